/**
 * SQL fragments shared by the view and assertion generators.
 *
 * @module
 */
import type { ResolvedViewOptions } from "./options.js";

/** `name` qualified with the database of `o`. */
export function qualify(o: Pick<ResolvedViewOptions, "database">, name: string): string {
  return `${o.database}.${name}`;
}

/** Start of the UTC hour of `expr` as `DateTime64(3,'UTC')`. */
export function hourOf(expr: string): string {
  return `toDateTime64(toStartOfInterval(${expr}, INTERVAL 1 HOUR), 3, 'UTC')`;
}

/** Start of the UTC minute of `expr` as `DateTime64(3,'UTC')`. */
export function minuteOf(expr: string): string {
  return `toDateTime64(toStartOfInterval(${expr}, INTERVAL 1 MINUTE), 3, 'UTC')`;
}

/** Start of the five-minute bucket of `expr` as `DateTime64(3,'UTC')`. */
export function fiveMinutesOf(expr: string): string {
  return `toDateTime64(toStartOfInterval(${expr}, INTERVAL 5 MINUTE), 3, 'UTC')`;
}

/** Lower bound that drops defaulted 1970 timestamps (`ingest-and-storage.md` §3.8, §4.1). */
export const EPOCH_FLOOR = "toDateTime64('2000-01-01 00:00:00.000', 3, 'UTC')";

/**
 * A ratio as reported by the serving views: clamped to `[0, 1]` when `capHealthRatio` is on
 * (`ingest-and-storage.md` §4.8, 11.11), the raw expression otherwise. NULL stays NULL.
 */
export function ratio(o: Pick<ResolvedViewOptions, "capHealthRatio">, expr: string): string {
  return o.capHealthRatio ? `least(1, greatest(0, ${expr}))` : `(${expr})`;
}

/**
 * Canonical pipeline rule of the demand views (`ingest-and-storage.md` §4.1): `''` when pipeline and
 * model are both non-empty and equal ignoring case.
 */
export function canonicalPipeline(pipeline: string, model: string): string {
  return (
    `if(${pipeline} != '' AND ${model} != '' AND lowerUTF8(${pipeline}) = lowerUTF8(${model}), ` +
    `'', ${pipeline})`
  );
}

/** Band methods whose `attribution_source` is `direct` (`attribution.md` §7.4). */
const DIRECT_METHODS =
  "('exact_orchestrator_time_match', 'nearest_prior_snapshot', 'nearest_snapshot_within_ttl')";

type Eligibility = Pick<ResolvedViewOptions, "servingIncludesMappedWindow">;

/** `alias.` or nothing. */
function prefix(alias: string | undefined): string {
  return alias === undefined ? "" : `${alias}.`;
}

/**
 * Serving eligibility of status samples (`ingest-and-storage.md` §4.1, `attribution.md` §7.4 rule 1):
 * `is_attributed = 1`, plus `attribution_source = 'direct'` under the strict policy.
 */
export function statusEligible(o: Eligibility, alias?: string): string {
  const p = prefix(alias);
  return o.servingIncludesMappedWindow
    ? `${p}is_attributed = 1`
    : `${p}is_attributed = 1 AND ${p}attribution_source = 'direct'`;
}

/**
 * Serving eligibility of sessions: `orchestrator_address != ''`, plus `attribution_source = 'direct'`
 * under the strict policy.
 */
export function sessionEligible(o: Eligibility, alias?: string): string {
  const p = prefix(alias);
  return o.servingIncludesMappedWindow
    ? `${p}orchestrator_address != ''`
    : `${p}orchestrator_address != '' AND ${p}attribution_source = 'direct'`;
}

/**
 * Serving eligibility of latency rows (they carry the session's method, not its source): non-empty
 * orchestrator, plus a `direct` band method under the strict policy.
 */
export function latencyEligible(o: Eligibility, alias?: string): string {
  const p = prefix(alias);
  return o.servingIncludesMappedWindow
    ? `${p}orchestrator_address != ''`
    : `${p}orchestrator_address != '' AND ${p}gpu_attribution_method IN ${DIRECT_METHODS}`;
}

/** `argMax(col, <version>) AS col` for each column, one per line. */
export function argMaxColumns(columns: readonly string[], versionExpr: string): string {
  // argMax skips NULL values, so a NULL in the latest revision would surface an older value;
  // wrapping the value in a tuple keeps NULL as a value.
  return columns
    .map((c) => `    tupleElement(argMax(tuple(${c}), ${versionExpr}), 1) AS ${c}`)
    .join(",\n");
}
