/**
 * String primitives with JVM semantics.
 *
 * The reference pipeline runs on the JVM, where `String.trim()` and `isBlank`-style checks treat
 * every UTF-16 code unit `<= U+0020` as whitespace and nothing else. JavaScript's own `trim()`
 * also strips U+00A0, U+2028, U+3000, U+FEFF and friends, which would change identities
 * (`workflow_session_id`, cache keys) for inputs that carry those characters. Every helper here
 * therefore works on code units and never calls `String.prototype.trim`.
 *
 * @module
 */

const SPACE = 0x20;

/**
 * `true` when `s` is `null`/`undefined` or every UTF-16 code unit of `s` is `<= U+0020`
 * (the JVM `trim()` notion of whitespace).
 *
 * Non-ASCII whitespace such as U+00A0 (no-break space), U+2028 or U+3000 is **not** blank.
 *
 * @category Strings
 * @example
 * isBlank("  \t\n") // true
 * isBlank("\u00a0") // false
 */
export function isBlank(s: string | null | undefined): s is null | undefined | "" {
  if (s === null || s === undefined) return true;
  for (let i = 0; i < s.length; i++) {
    if (s.charCodeAt(i) > SPACE) return false;
  }
  return true;
}

/**
 * Removes leading and trailing code units `<= U+0020` (JVM `String.trim()`).
 *
 * @category Strings
 * @example
 * jtrim(" \t s \n") // "s"
 * jtrim("\u00a0s\u00a0") // "\u00a0s\u00a0" (unchanged)
 */
export function jtrim(s: string): string {
  let start = 0;
  let end = s.length;
  while (start < end && s.charCodeAt(start) <= SPACE) start++;
  while (end > start && s.charCodeAt(end - 1) <= SPACE) end--;
  return start === 0 && end === s.length ? s : s.slice(start, end);
}

/**
 * Returns the first argument that is not blank ({@link isBlank}), **unmodified** (not trimmed),
 * or `""` when every argument is blank.
 *
 * @category Strings
 * @example
 * firstNonBlank(" ", null, "x", "y") // "x"
 * firstNonBlank(" ", null, "\t") // ""
 */
export function firstNonBlank(
  a?: string | null,
  b?: string | null,
  c?: string | null,
  d?: string | null,
  ...rest: ReadonlyArray<string | null | undefined>
): string {
  // Fixed leading parameters keep the hot path free of rest-array allocations.
  if (!isBlank(a)) return a;
  if (!isBlank(b)) return b;
  if (!isBlank(c)) return c;
  if (!isBlank(d)) return d;
  for (const v of rest) {
    if (!isBlank(v)) return v;
  }
  return "";
}

/**
 * `null` when `s` is blank ({@link isBlank}), otherwise `s` unmodified.
 *
 * @category Strings
 * @example
 * blankToNull(" ") // null
 * blankToNull(" value ") // " value "
 */
export function blankToNull(s: string | null | undefined): string | null {
  return isBlank(s) ? null : s;
}

/**
 * Address normalization (`attribution.md` §2): `""` when blank, else `jtrim(s).toLowerCase()`.
 * No `0x` prefix is added or removed and no validation happens.
 *
 * @category Strings
 * @example
 * normAddr(" 0xAbC123 ") // "0xabc123"
 * normAddr("   ") // ""
 */
export function normAddr(s: string | null | undefined): string {
  return isBlank(s) ? "" : jtrim(s).toLowerCase();
}

/**
 * `true` when the normalized address is a 20-byte hex address (`0x` + 40 lower-case hex digits).
 * Diagnostics only: identities are never validated.
 *
 * @category Strings
 */
export function isHexAddress(s: string | null | undefined): boolean {
  return /^0x[0-9a-f]{40}$/.test(normAddr(s));
}

/** Comparison key used for cache and ranking comparisons when the value is blank. */
export const EMPTY_KEY = "__empty__";

/**
 * Comparison key (`attribution.md` §0.2): `"__empty__"` when blank, else `jtrim(s).toLowerCase()`.
 *
 * @category Strings
 * @example
 * compareKey(" Https://Orch:1 ") // "https://orch:1"
 * compareKey("") // "__empty__"
 */
export function compareKey(s: string | null | undefined): string {
  return isBlank(s) ? EMPTY_KEY : jtrim(s).toLowerCase();
}

/**
 * Model equality (`attribution.md` §0.2): `jtrim` + case-insensitive comparison.
 * `null`/`undefined` compare as `""`.
 *
 * @category Strings
 */
export function eqModel(a: string | null | undefined, b: string | null | undefined): boolean {
  return jtrim(a ?? "").toLowerCase() === jtrim(b ?? "").toLowerCase();
}

/**
 * Case-insensitive equality without trimming (`lifecycle.md` §0.2). `null` never equals anything.
 *
 * @category Strings
 */
export function eqIgnoreCase(a: string | null | undefined, b: string | null | undefined): boolean {
  if (a === null || a === undefined || b === null || b === undefined) return false;
  return a.toLowerCase() === b.toLowerCase();
}

/**
 * Plain substring test on the lower-cased haystack (`lifecycle.md` §0.2). The needle is
 * expected to be lower-case already.
 *
 * @category Strings
 */
export function containsLower(haystack: string | null | undefined, needle: string): boolean {
  if (haystack === null || haystack === undefined) return false;
  return haystack.toLowerCase().includes(needle);
}

/**
 * Total order on strings by UTF-16 code units (JS `<`, same as Java `String.compareTo`), never
 * locale-aware. Returns a negative number, zero, or a positive number.
 *
 * @category Strings
 */
export function compareStrings(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
