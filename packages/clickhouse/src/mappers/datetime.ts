/**
 * UTC renderings of epoch milliseconds for ClickHouse text input, computed with integer
 * arithmetic only (no `Date`, no local time zone).
 *
 * @module
 */

const MS_PER_DAY = 86_400_000;

/**
 * Smallest epoch ms a `DateTime64(3)` column stores: 1900-01-01 00:00:00.000 UTC.
 *
 * @category Mappers
 */
export const DATETIME64_MIN_MS = -2_208_988_800_000;

/**
 * Largest epoch ms a `DateTime64(3)` column stores: 2299-12-31 23:59:59.999 UTC.
 *
 * @category Mappers
 */
export const DATETIME64_MAX_MS = 10_413_791_999_999;

/** Civil date (proleptic Gregorian) of a day count since 1970-01-01. */
function civilFromDays(days: number): [year: number, month: number, day: number] {
  const z = days + 719_468;
  const era = Math.floor(z / 146_097);
  const doe = z - era * 146_097;
  const yoe = Math.floor(
    (doe - Math.floor(doe / 1_460) + Math.floor(doe / 36_524) - Math.floor(doe / 146_096)) / 365,
  );
  const doy = doe - (365 * yoe + Math.floor(yoe / 4) - Math.floor(yoe / 100));
  const mp = Math.floor((5 * doy + 2) / 153);
  const day = doy - Math.floor((153 * mp + 2) / 5) + 1;
  const month = mp < 10 ? mp + 3 : mp - 9;
  const year = yoe + era * 400 + (month <= 2 ? 1 : 0);
  return [year, month, day];
}

function pad(n: number, width: number): string {
  return String(n).padStart(width, "0");
}

function splitMs(ms: number): { days: number; rest: number } {
  const whole = Math.floor(ms);
  const days = Math.floor(whole / MS_PER_DAY);
  return { days, rest: whole - days * MS_PER_DAY };
}

function renderDate(days: number): string {
  const [y, m, d] = civilFromDays(days);
  const year = y < 0 ? `-${pad(-y, 4)}` : pad(y, 4);
  return `${year}-${pad(m, 2)}-${pad(d, 2)}`;
}

/**
 * Renders epoch milliseconds as the UTC text `yyyy-MM-dd HH:mm:ss.SSS` that ClickHouse parses
 * into `DateTime64(3, 'UTC')`. Fractional milliseconds are floored. Negative values (before
 * 1970) are rendered too; ClickHouse itself stores only {@link DATETIME64_MIN_MS} …
 * {@link DATETIME64_MAX_MS}.
 *
 * @category Mappers
 * @throws RangeError when `ms` is not a finite number.
 * @example
 * formatDateTime64(1767908955607) // "2026-01-08 21:49:15.607"
 * formatDateTime64(-1) // "1969-12-31 23:59:59.999"
 */
export function formatDateTime64(ms: number): string {
  if (!Number.isFinite(ms)) throw new RangeError(`not a finite epoch ms value: ${String(ms)}`);
  const { days, rest } = splitMs(ms);
  const h = Math.floor(rest / 3_600_000);
  const mi = Math.floor((rest % 3_600_000) / 60_000);
  const s = Math.floor((rest % 60_000) / 1_000);
  const milli = rest % 1_000;
  return `${renderDate(days)} ${pad(h, 2)}:${pad(mi, 2)}:${pad(s, 2)}.${pad(milli, 3)}`;
}

/**
 * Renders the UTC calendar date of epoch milliseconds as `yyyy-MM-dd` (ClickHouse `Date` text).
 *
 * @category Mappers
 * @throws RangeError when `ms` is not a finite number.
 * @example
 * formatDate(1767908955607) // "2026-01-08"
 */
export function formatDate(ms: number): string {
  if (!Number.isFinite(ms)) throw new RangeError(`not a finite epoch ms value: ${String(ms)}`);
  return renderDate(splitMs(ms).days);
}
