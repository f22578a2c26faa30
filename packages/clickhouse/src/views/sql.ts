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

/**
 * The GPU/SLA key `(window_start, orchestrator, pipeline, model, GPU, region)` of
 * `v_serving_gpu_metrics_1h` and `v_serving_sla_1h` (`ingest-and-storage.md` §4.4, §4.8).
 */
export const GPU_KEY_COLUMNS: readonly string[] = [
  "window_start",
  "orchestrator_address",
  "pipeline",
  "model_id",
  "gpu_id",
  "region",
];

/** Nullable key parts of the serving keys, `''` normalized to NULL (`ingest-and-storage.md` 11.13). */
const NULLABLE_KEY_PARTS = ["model_id", "gpu_id", "region"] as const;

/** `nullIf(col, '') AS col` for `model_id`, `gpu_id` and `region` (11.13), joined by `separator`. */
export function nullableKeyParts(separator: string): string {
  return NULLABLE_KEY_PARTS.map((c) => `nullIf(${c}, '') AS ${c}`).join(separator);
}

/** `alias.col AS col` for each column, joined by `separator`. */
export function passThrough(alias: string, columns: readonly string[], separator: string): string {
  return columns.map((c) => `${alias}.${c} AS ${c}`).join(separator);
}

/**
 * `tuple NOT IN` the terminal-tail session-hours of `tailView` (`ingest-and-storage.md` §4.1, 11.13):
 * true for rows (with `workflow_session_id` and the status key) whose hour `windowExpr` is not a
 * tail-artifact hour of their session. Continuation lines are indented by `indent`.
 */
export function notTailSessionHour(windowExpr: string, tailView: string, indent: string): string {
  const nullable = NULLABLE_KEY_PARTS.map((c) => `ifNull(${c}, '')`).join(", ");
  return `(${windowExpr}, workflow_session_id, orchestrator_address, pipeline,
${indent}    ${nullable}) NOT IN (
${indent}    SELECT window_start, workflow_session_id, orchestrator_address, pipeline,
${indent}        ${nullable}
${indent}    FROM ${tailView}
${indent})`;
}

/**
 * Health completeness ratio of the reliability counters of `alias` (`ingest-and-storage.md` §4.8):
 * signals over expected signals, 1 without expected signals, reported through {@link ratio}.
 */
export function healthCompletenessRatio(
  o: Pick<ResolvedViewOptions, "capHealthRatio">,
  alias: string,
): string {
  return `${ratio(o, `ifNull(${alias}.health_signal_count / nullIf(${alias}.health_expected_signal_count, 0), 1.0)`)} AS health_completeness_ratio`;
}

/**
 * Session reliability counters shared by the demand, supply, GPU and SLA views (§4.4, §4.5, §4.8), in
 * output order, as `[output name, aggregate over latest-session columns]`; `col` qualifies a session
 * column (`s.x`).
 */
export function sessionCounters(
  col: (name: string) => string = (name) => name,
): readonly (readonly [string, string])[] {
  return [
    ["unexcused_sessions", `sum(${col("startup_unexcused")})`],
    ["confirmed_swapped_sessions", `countIf(${col("confirmed_swap_count")} > 0)`],
    [
      "inferred_orchestrator_change_sessions",
      `countIf(${col("inferred_orchestrator_change_count")} > 0)`,
    ],
    [
      "swapped_sessions",
      `countIf(${col("confirmed_swap_count")} > 0 OR ${col("inferred_orchestrator_change_count")} > 0)`,
    ],
    ["sessions_with_errors", `countIf(${col("error_count")} > 0)`],
    ["sessions_with_last_error", `countIf(${col("last_error_occurred")} > 0)`],
    ["loading_only_sessions", `countIf(${col("loading_only_session")} > 0)`],
    ["zero_output_fps_sessions", `countIf(${col("zero_output_fps_session")} > 0)`],
    ["status_error_samples", `sum(${col("status_error_sample_count")})`],
    ["health_signal_count", `sum(${col("health_signal_count")})`],
    ["health_expected_signal_count", `sum(${col("health_expected_signal_count")})`],
  ];
}

/** Output names of {@link sessionCounters}, in order. */
export const SESSION_COUNTER_NAMES: readonly string[] = sessionCounters().map(([name]) => name);
