/**
 * The assertion definitions (`ingest-and-storage.md` §5.3–5.6 ported to the SDK, `attribution.md`
 * §7.6): one single-row SQL query per assertion, evaluated by the `failed_rows` / `warn_rows` /
 * `checked_rows` contract of `evaluateAssertionRow`.
 *
 * @module
 */
import { quoteString } from "../executor/executor.js";
import { TABLES, type TableName } from "../schema/columns.js";
import type { TableDef } from "../schema/types.js";
import { identityOf, latestByArgMax } from "../views/blocks.js";
import {
  EPOCH_FLOOR,
  GPU_KEY_COLUMNS,
  canonicalPipeline,
  hourOf,
  minuteOf,
  notTailSessionHour,
  ratio,
  statusEligible,
} from "../views/sql.js";
import { VIEW_NAMES } from "../views/index.js";
import { API_WRAPPERS } from "../views/wrappers.js";
import { paritySql, type ParityMeasure } from "./parity.js";
import type { AssertionContext, AssertionDefinition, RateThreshold } from "./types.js";

// ---------------------------------------------------------------------------------------------
// Helpers
// ---------------------------------------------------------------------------------------------

/** A key column made non-nullable for joins (`window_start` is never NULL). */
function nk(column: string, alias: string = column): string {
  return column === "window_start" ? `${column} AS ${alias}` : `ifNull(${column}, '') AS ${alias}`;
}

/** The normalized GPU/SLA key `(window_start, orchestrator, pipeline, model, GPU, region)`. */
const GPU_KEY = GPU_KEY_COLUMNS;
const GPU_TEXT_KEYS = GPU_KEY.slice(1);

/** Latest status rows per identity, resolved with argMax (independent of the FINAL block). */
function latestStatusRows(ctx: AssertionContext): string {
  return `(${latestByArgMax(ctx.view, "fact_stream_status_samples")})`;
}

/** Latest session rows per identity, resolved with argMax (independent of `latest_sessions`). */
function latestSessionRows(ctx: AssertionContext): string {
  return `(${latestByArgMax(ctx.view, "fact_workflow_sessions")})`;
}

/** `tuple NOT IN` the terminal-tail session-hours, for rows with `sample_ts`. */
function notTail(ctx: AssertionContext): string {
  return notTailSessionHour(
    hourOf("sample_ts"),
    ctx.t("status_tail_artifact_session_hours"),
    "    ",
  );
}

/** Sessions with orchestrator evidence (`attribution.md` §7.6), approximated from the facts. */
function evidenceCte(ctx: AssertionContext): string {
  const has = "orchestrator_address != '' OR orchestrator_url != ''";
  return `evidence AS (
    SELECT DISTINCT workflow_session_id FROM (
        SELECT workflow_session_id FROM ${ctx.t("latest_sessions")} WHERE ${has}
        UNION ALL
        SELECT workflow_session_id FROM ${ctx.t("latest_status")} WHERE ${has}
        UNION ALL
        SELECT workflow_session_id FROM ${ctx.t("latest_trace_edges")} WHERE ${has}
    )
)`;
}

/** A KPI rate query: rows of `source` passing `filter`, the share matching `bad`. */
function rateSql(
  ctx: AssertionContext,
  source: string,
  filter: string,
  bad: string,
  badName: string,
  threshold: RateThreshold,
): string {
  return `WITH ${evidenceCte(ctx)}
SELECT
    count() AS checked_rows,
    countIf(${bad}) AS ${badName},
    if(checked_rows = 0, 0, ${badName} / checked_rows) AS rate,
    ${threshold.warn} AS warn_threshold,
    ${threshold.fail} AS fail_threshold,
    toUInt64(rate > fail_threshold) AS failed_rows,
    toUInt64(rate > warn_threshold) AS warn_rows
FROM ${source}
WHERE workflow_session_id IN (SELECT workflow_session_id FROM evidence) AND (${filter})`;
}

/** Service failure reasons of `lifecycle.md` §8.2. */
const FAILURE_REASONS = [
  "",
  "no_orchestrators_available",
  "excusable_error",
  "non_excusable_error",
  "orchestrator_not_assigned",
  "no_processed_output",
  "not_playable",
  "loading_only",
  "zero_output_fps",
];

/** Raw tables no serving view may read (§5.3 #54 plus `raw_payment_events`, 11.19). */
const FORBIDDEN_RAW_TABLES = [
  "raw_streaming_events",
  "raw_ai_stream_status",
  "raw_stream_trace_events",
  "raw_stream_ingest_metrics",
  "raw_ai_stream_events",
  "raw_network_capabilities",
  "raw_network_capabilities_advertised",
  "raw_network_capabilities_model_constraints",
  "raw_network_capabilities_prices",
  "raw_payment_events",
];

/** Fact tables whose orchestrator addresses must be canonical. */
const ADDRESS_FACTS: readonly TableName[] = [
  "fact_workflow_sessions",
  "fact_workflow_session_segments",
  "fact_stream_status_samples",
  "fact_stream_trace_edges",
  "fact_workflow_param_updates",
  "fact_workflow_latency_samples",
  "fact_workflow_session_serving",
];

// ---------------------------------------------------------------------------------------------
// Grain uniqueness
// ---------------------------------------------------------------------------------------------

const factGrain: AssertionDefinition[] = TABLES.filter((t) => t.identity !== null).map((t) => {
  const ids = identityOf(t.name);
  const except = t.columns.some((c) => c.name === "ingestion_timestamp")
    ? " EXCEPT (ingestion_timestamp)"
    : "";
  return {
    name: `latest_row_unique_${t.name}`,
    family: "grain_uniqueness",
    severity: "error",
    description: `${t.name} has exactly one latest row per identity (${ids.join(", ")}): fails when two rows with different content (all columns but ingestion_timestamp, NULLs included) share the greatest version of an identity (ingest-and-storage.md 3.8)`,
    sql: (ctx) => `SELECT
    count() AS checked_rows,
    countIf(latest_contents > 1) AS failed_rows,
    toString(groupArrayIf(5)(identity_key, latest_contents > 1)) AS examples
FROM (
    SELECT
        arrayStringConcat([${ids.map((i) => `toString(${i})`).join(", ")}], '|') AS identity_key,
        argMax(contents, version) AS latest_contents
    FROM (
        SELECT ${ids.join(", ")}, version, uniqExact(content_hash) AS contents
        FROM (
            SELECT ${ids.join(", ")}, version,
                cityHash64(toJSONString(tuple(*${except}))) AS content_hash
            FROM ${ctx.t(t.name)}
        )
        GROUP BY ${ids.join(", ")}, version
    )
    GROUP BY ${ids.join(", ")}
)`,
  };
});

/** Grain keys of every serving surface. */
const SERVING_KEYS: readonly (readonly [string, readonly string[]])[] = [
  [
    "agg_stream_performance_1m",
    ["window_start", "gateway", "orchestrator_address", "pipeline", "model_id", "gpu_id", "region"],
  ],
  ["v_api_jitter_5m", ["window_start_5m", ...GPU_TEXT_KEYS]],
  ...API_WRAPPERS.map(
    (w) => [w.source, w.columns.filter((c) => c.role === "key").map((c) => c.from)] as const,
  ),
];

const viewGrain: AssertionDefinition[] = SERVING_KEYS.map(([view, keys]) => ({
  name: `serving_keys_unique_${view}`,
  family: "grain_uniqueness",
  severity: "error",
  description: `${view} has one row per key (${keys.join(", ")}) with '' and NULL treated as equal: fails on duplicate keys (the 11.13 ''/NULL split)`,
  sql: (ctx) => `SELECT
    count() AS checked_rows,
    count() - uniqExact(tuple(${keys.map((k) => `ifNull(toString(${k}), '')`).join(", ")})) AS failed_rows
FROM ${ctx.t(view)}`,
}));

/** `tuple(grain…)` of a table, for `uniqExact` (a tuple keeps NULL elements). */
function grainTuple(t: TableDef): string {
  return `tuple(${t.grain.join(", ")})`;
}

/** Tables without versions: one stored row per grain after FINAL (`TableDef.grain`). */
const UNVERSIONED_TABLES = TABLES.filter((t) => t.identity === null);

const storedGrain: AssertionDefinition[] = [
  {
    name: "stored_rows_unique_per_grain",
    family: "grain_uniqueness",
    severity: "error",
    description:
      "every table without versions (raw, rejection, materialized-view targets, dimensions) holds one row per grain after FINAL, so an event delivered twice is stored once (ingest-and-storage.md 6.1): fails when two rows share a grain, e.g. the same event parsed twice with different column values; `tables` lists table:excess_rows",
    sql: (ctx) => `SELECT
    sum(stored) AS checked_rows,
    sum(stored - grains) AS failed_rows,
    arrayStringConcat(arraySort(groupArrayIf(concat(tbl, ':', toString(stored - grains)), stored > grains)), ', ') AS tables
FROM (
${UNVERSIONED_TABLES.map(
  (t) =>
    `    SELECT ${quoteString(t.name)} AS tbl, uniqExact(${grainTuple(t)}) AS grains, count() AS stored\n    FROM ${ctx.t(t.name)} FINAL`,
).join("\n    UNION ALL\n")}
)`,
  },
  {
    name: "sort_keys_contain_grain",
    family: "grain_uniqueness",
    severity: "error",
    description:
      "every table of the catalogue exists as a ReplacingMergeTree whose sort key (system.tables.sorting_key) contains every expression of its grain, so FINAL collapses exactly the redelivered rows and never two distinct grains: fails for a missing table, another engine, or a key without a grain column (e.g. a database created by an older schema version, whose price key omitted the constraint); `tables` lists the offending tables",
    sql: (ctx) => {
      const expected = TABLES.map(
        (t) => `(${quoteString(t.name)}, [${t.grain.map(quoteString).join(", ")}])`,
      );
      return `SELECT
    count() AS checked_rows,
    countIf(NOT ok) AS failed_rows,
    arrayStringConcat(arraySort(groupArrayIf(tbl, NOT ok)), ', ') AS tables
FROM (
    SELECT x.tbl AS tbl,
        s.name = x.tbl AND s.engine = 'ReplacingMergeTree'
            AND arrayAll(g -> position(concat(', ', s.sorting_key, ', '), concat(', ', g, ', ')) > 0, x.grain) AS ok
    FROM (
        SELECT e.1 AS tbl, e.2 AS grain
        FROM (SELECT arrayJoin([
        ${expected.join(",\n        ")}
        ]) AS e)
    ) AS x
    LEFT JOIN (
        SELECT name, engine, sorting_key FROM system.tables WHERE database = ${quoteString(ctx.view.database)}
    ) AS s ON s.name = x.tbl
)`;
    },
  },
];

// ---------------------------------------------------------------------------------------------
// Additive-field consistency
// ---------------------------------------------------------------------------------------------

const additive: AssertionDefinition[] = [
  {
    name: "gpu_metrics_1m_sums_to_1h",
    family: "additive_consistency",
    severity: "error",
    description:
      "status_samples of v_serving_gpu_metrics_1m summed per hour and GPU key equal v_serving_gpu_metrics_1h (4.10): fails on any key or count difference",
    sql: (ctx) =>
      paritySql({
        rollup: `SELECT ${GPU_KEY.map((k) => nk(k)).join(", ")}, status_samples
FROM ${ctx.t("v_serving_gpu_metrics_1h")}
WHERE status_samples > 0`,
        view: `SELECT ${hourOf("m.window_start")} AS window_start, ${GPU_TEXT_KEYS.map((k) => nk(`m.${k}`, k)).join(", ")},
    sum(m.status_samples) AS status_samples
FROM ${ctx.t("v_serving_gpu_metrics_1m")} AS m
GROUP BY ${GPU_KEY.join(", ")}`,
        keys: GPU_KEY,
        textKeys: GPU_TEXT_KEYS,
        measures: [{ name: "status_samples", kind: "count" }],
        tolerance: ctx.thresholds.tolerance,
      }),
  },
  {
    name: "network_demand_additive_fields_nonnegative",
    family: "additive_consistency",
    severity: "error",
    description:
      "every additive field of v_serving_network_demand_1h is a finite value ≥ 0: fails on any negative or NaN value",
    sql: (ctx) => `SELECT
    count() AS checked_rows,
    countIf(total_minutes < 0 OR isNaN(total_minutes) OR fee_payment_eth < 0 OR isNaN(fee_payment_eth)
        OR toInt64(total_sessions) < 0 OR toInt64(total_streams) < 0 OR toInt64(known_sessions) < 0
        OR toInt64(served_sessions) < 0 OR toInt64(unserved_sessions) < 0) AS failed_rows
FROM ${ctx.t("v_serving_network_demand_1h")}`,
  },
  {
    name: "network_supply_capacity_fields_valid",
    family: "additive_consistency",
    severity: "error",
    description:
      "v_serving_network_supply_1h minutes and capacity are ≥ 0 and capacity_rate is in [0, 1.5]: fails on any violating row",
    sql: (ctx) => `SELECT
    count() AS checked_rows,
    countIf(used_inference_minutes < 0 OR isNaN(used_inference_minutes) OR available_capacity_minutes < 0
        OR capacity_rate < 0 OR capacity_rate > 1.5 OR fee_payment_eth < 0) AS failed_rows
FROM ${ctx.t("v_serving_network_supply_1h")}`,
  },
  {
    name: "gpu_metrics_rates_consistent",
    family: "additive_consistency",
    severity: "error",
    description:
      "failure_rate, swap_rate and health_completeness_ratio of v_serving_gpu_metrics_1h equal their recomputation from the row's counts: fails on a difference above the tolerance",
    sql: (ctx) => {
      const o = ctx.view;
      const tol = ctx.thresholds.tolerance;
      return `SELECT
    count() AS checked_rows,
    countIf(abs(failure_rate - ${ratio(o, "ifNull(unexcused_sessions / nullIf(known_sessions, 0), 0)")}) > ${tol}) AS failure_rate_mismatches,
    countIf(abs(swap_rate - ${ratio(o, "ifNull(swapped_sessions / nullIf(known_sessions, 0), 0)")}) > ${tol}) AS swap_rate_mismatches,
    countIf(abs(health_completeness_ratio - ${ratio(o, "ifNull(health_signal_count / nullIf(health_expected_signal_count, 0), 1.0)")}) > ${tol}) AS health_ratio_mismatches,
    failure_rate_mismatches + swap_rate_mismatches + health_ratio_mismatches AS failed_rows
FROM ${ctx.t("v_serving_gpu_metrics_1h")}`;
    },
  },
  {
    name: "sla_compliance_rollup_safe",
    family: "additive_consistency",
    severity: "error",
    description:
      "v_serving_sla_1h ratios equal their recomputation from the row's counts, success_ratio ∈ [0, 1] and ≤ startup_success_ratio, health ratio ≤ 1 and sla_score ∈ [0, 100] (NULL ratios pass): fails on any violation",
    sql: (ctx) => {
      const o = ctx.view;
      const tol = ctx.thresholds.tolerance;
      return `SELECT
    count() AS checked_rows,
    countIf(abs(startup_success_ratio - ${ratio(o, "1 - unexcused_sessions / nullIf(known_sessions, 0)")}) > ${tol}) AS startup_ratio_mismatches,
    countIf(abs(no_swap_ratio - ${ratio(o, "1 - swapped_sessions / nullIf(known_sessions, 0)")}) > ${tol}) AS no_swap_ratio_mismatches,
    countIf(abs(health_completeness_ratio - ${ratio(o, "ifNull(health_signal_count / nullIf(health_expected_signal_count, 0), 1.0)")}) > ${tol}) AS health_ratio_mismatches,
    countIf(success_ratio < 0 OR success_ratio > 1 OR success_ratio > startup_success_ratio + 1e-6) AS success_ratio_violations,
    countIf(health_completeness_ratio > 1 + 1e-6) AS health_ratio_above_one,
    countIf(sla_score < 0 OR sla_score > 100 + 1e-9) AS sla_score_out_of_bounds,
    startup_ratio_mismatches + no_swap_ratio_mismatches + health_ratio_mismatches
        + success_ratio_violations + health_ratio_above_one + sla_score_out_of_bounds AS failed_rows
FROM ${ctx.t("v_serving_sla_1h")}`;
    },
  },
  {
    name: "network_demand_success_ratios_valid",
    family: "additive_consistency",
    severity: "error",
    description:
      "v_serving_network_demand_1h ratios are in [0, 1], success_ratio ≤ startup_success_ratio, and rows with unexcused, zero-output or loading-only sessions never show success_ratio ≥ 0.999999 (5.3 #42, #43): fails on any violating row",
    sql: (ctx) => `SELECT
    count() AS checked_rows,
    countIf(startup_success_ratio < 0 OR startup_success_ratio > 1 OR success_ratio < 0 OR success_ratio > 1) AS out_of_bounds,
    countIf(success_ratio > startup_success_ratio + 1e-6) AS success_above_startup,
    countIf(known_sessions > 0 AND (unexcused_sessions > 0 OR zero_output_fps_sessions > 0 OR loading_only_sessions > 0)
        AND success_ratio >= 0.999999) AS unpenalized_failures,
    out_of_bounds + success_above_startup + unpenalized_failures AS failed_rows
FROM ${ctx.t("v_serving_network_demand_1h")}`,
  },
  {
    name: "serving_known_sessions_match_latest_sessions",
    family: "additive_consistency",
    severity: "error",
    description:
      "Σ known_sessions of v_serving_network_demand_1h equals the known latest sessions and the GPU and supply views never exceed it (no version over-count, 11.9): fails otherwise",
    sql: (ctx) => `SELECT
    (SELECT sum(known_stream) FROM ${latestSessionRows(ctx)} WHERE session_start_ts > ${EPOCH_FLOOR}) AS latest_known_sessions,
    (SELECT sum(known_sessions) FROM ${ctx.t("v_serving_network_demand_1h")}) AS demand_known_sessions,
    (SELECT sum(known_sessions) FROM ${ctx.t("v_serving_network_supply_1h")}) AS supply_known_sessions,
    (SELECT sum(known_sessions) FROM ${ctx.t("v_serving_gpu_metrics_1h")}) AS gpu_known_sessions,
    toUInt64(demand_known_sessions != latest_known_sessions)
        + toUInt64(supply_known_sessions > latest_known_sessions)
        + toUInt64(gpu_known_sessions > latest_known_sessions) AS failed_rows,
    latest_known_sessions + demand_known_sessions AS checked_rows`,
  },
];

// ---------------------------------------------------------------------------------------------
// Latency validity
// ---------------------------------------------------------------------------------------------

const KPIS = [
  ["prompt_to_first_frame_ms", "has_prompt_to_first_frame", "prompt_to_first_frame_null_reason"],
  ["startup_time_ms", "has_startup_time", "startup_time_null_reason"],
  ["e2e_latency_ms", "has_e2e_latency", "e2e_latency_null_reason"],
] as const;

const latency: AssertionDefinition[] = [
  {
    name: "latency_fields_nonnegative",
    family: "latency_validity",
    severity: "error",
    description:
      "latest fact_workflow_latency_samples rows (every edge_semantics_version) have no negative latency: fails on any negative KPI",
    sql: (ctx) => `SELECT
    count() AS checked_rows,
    ${KPIS.map(([kpi]) => `countIf(${kpi} < 0) AS negative_${kpi}`).join(",\n    ")},
    countIf(${KPIS.map(([kpi]) => `${kpi} < 0`).join(" OR ")}) AS failed_rows
FROM (${latestByArgMax(ctx.view, "fact_workflow_latency_samples")})`,
  },
  {
    name: "latency_flags_consistent",
    family: "latency_validity",
    severity: "error",
    description:
      "in latest latency rows has_<kpi> = 1 exactly when the KPI is not NULL, and the null reason is '' exactly then (lifecycle.md 8.5): fails on any inconsistent row",
    sql: (ctx) => `SELECT
    count() AS checked_rows,
    countIf(${KPIS.map(([kpi, has]) => `${has} != toUInt8(${kpi} IS NOT NULL)`).join(" OR ")}) AS flag_mismatches,
    countIf(${KPIS.map(([kpi, , reason]) => `(${reason} = '') != (${kpi} IS NOT NULL)`).join(" OR ")}) AS null_reason_mismatches,
    countIf(${KPIS.map(([kpi, has, reason]) => `${has} != toUInt8(${kpi} IS NOT NULL) OR (${reason} = '') != (${kpi} IS NOT NULL)`).join(" OR ")}) AS failed_rows
FROM (${latestByArgMax(ctx.view, "fact_workflow_latency_samples")})`,
  },
  {
    name: "gpu_metrics_latency_fields_nonnegative",
    family: "latency_validity",
    severity: "error",
    description:
      "latency columns of v_serving_gpu_metrics_1h (averages, p95, startup seconds) are ≥ 0: fails on any negative value",
    sql: (ctx) => `SELECT
    count() AS checked_rows,
    countIf(prompt_to_first_frame_ms < 0 OR startup_time_ms < 0 OR startup_time_s < 0 OR e2e_latency_ms < 0
        OR p95_prompt_to_first_frame_ms < 0 OR p95_startup_time_ms < 0 OR p95_e2e_latency_ms < 0) AS failed_rows
FROM ${ctx.t("v_serving_gpu_metrics_1h")}`,
  },
  {
    name: "gpu_metrics_startup_seconds_matches_ms",
    family: "latency_validity",
    severity: "error",
    description:
      "startup_time_s = startup_time_ms / 1000 in v_serving_gpu_metrics_1h: fails when both are set and differ by more than 1e-6",
    sql: (ctx) => `SELECT
    count() AS checked_rows,
    countIf(abs(startup_time_s - startup_time_ms / 1000) > 1e-6) AS failed_rows
FROM ${ctx.t("v_serving_gpu_metrics_1h")}`,
  },
  {
    name: "latency_v1_e2e_is_sum_of_parts",
    family: "latency_validity",
    severity: "warning",
    description:
      "for v1 latency rows with all three KPIs, e2e = prompt-to-first-frame + startup (request→processed + processed→playable = request→playable, lifecycle.md 6.1): warns on a difference above 1e-6 ms",
    sql: (ctx) => `SELECT
    count() AS checked_rows,
    countIf(abs(e2e_latency_ms - (prompt_to_first_frame_ms + startup_time_ms)) > 1e-6) AS failed_rows
FROM (${latestByArgMax(ctx.view, "fact_workflow_latency_samples", "edge_semantics_version = 'v1'")})
WHERE has_prompt_to_first_frame = 1 AND has_startup_time = 1 AND has_e2e_latency = 1`,
  },
];

// ---------------------------------------------------------------------------------------------
// Served / unserved consistency
// ---------------------------------------------------------------------------------------------

const served: AssertionDefinition[] = [
  {
    name: "session_served_unserved_partition",
    family: "served_unserved",
    severity: "error",
    description:
      "latest sessions: served + unserved = known_stream, served ⇒ startup_success, service_failure_reason non-empty ⇔ unserved and from the closed vocabulary (lifecycle.md 8.2): fails on any violating session",
    sql: (ctx) => `SELECT
    count() AS checked_rows,
    countIf(served_session + unserved_session != known_stream) AS partition_violations,
    countIf(served_session = 1 AND startup_success = 0) AS served_without_startup,
    countIf((service_failure_reason != '') != (unserved_session = 1)) AS reason_violations,
    countIf(service_failure_reason NOT IN (${FAILURE_REASONS.map(quoteString).join(", ")})) AS unknown_reasons,
    countIf(served_session + unserved_session != known_stream OR (served_session = 1 AND startup_success = 0)
        OR (service_failure_reason != '') != (unserved_session = 1)
        OR service_failure_reason NOT IN (${FAILURE_REASONS.map(quoteString).join(", ")})) AS failed_rows
FROM ${latestSessionRows(ctx)}`,
  },
  ...(
    [
      ["network_demand_served_unserved_consistency", "v_serving_network_demand_1h"],
      ["network_supply_served_unserved_consistency", "v_serving_network_supply_1h"],
    ] as const
  ).map(([name, view]): AssertionDefinition => ({
    name,
    family: "served_unserved",
    severity: "error",
    description: `${view}: total_demand_sessions = served_sessions + unserved_sessions = known_sessions on every row: fails on any violating row`,
    sql: (ctx) => `SELECT
    count() AS checked_rows,
    countIf(total_demand_sessions != served_sessions + unserved_sessions) AS total_demand_mismatches,
    countIf(served_sessions + unserved_sessions != known_sessions) AS known_mismatches,
    countIf(total_demand_sessions != served_sessions + unserved_sessions
        OR served_sessions + unserved_sessions != known_sessions) AS failed_rows
FROM ${ctx.t(view)}`,
  })),
  {
    name: "network_demand_served_unserved_conserved",
    family: "served_unserved",
    severity: "error",
    description:
      "Σ served_sessions and Σ unserved_sessions of v_serving_network_demand_1h equal the flags summed over latest sessions (decision 46): fails on a difference",
    sql: (ctx) => `SELECT
    (SELECT sum(served_session) FROM ${latestSessionRows(ctx)} WHERE session_start_ts > ${EPOCH_FLOOR}) AS latest_served_sessions,
    (SELECT sum(unserved_session) FROM ${latestSessionRows(ctx)} WHERE session_start_ts > ${EPOCH_FLOOR}) AS latest_unserved_sessions,
    (SELECT sum(served_sessions) FROM ${ctx.t("v_serving_network_demand_1h")}) AS view_served_sessions,
    (SELECT sum(unserved_sessions) FROM ${ctx.t("v_serving_network_demand_1h")}) AS view_unserved_sessions,
    toUInt64(view_served_sessions != latest_served_sessions)
        + toUInt64(view_unserved_sessions != latest_unserved_sessions) AS failed_rows,
    latest_served_sessions + latest_unserved_sessions + view_served_sessions + view_unserved_sessions AS checked_rows`,
  },
];

// ---------------------------------------------------------------------------------------------
// Wrapper parity
// ---------------------------------------------------------------------------------------------

const wrappers: AssertionDefinition[] = API_WRAPPERS.map((w) => {
  const keys = w.columns.filter((c) => c.role === "key");
  const values = w.columns.filter((c) => c.role !== "key");
  const measures: ParityMeasure[] = values.map((c) => ({
    name: c.to,
    kind: c.role === "text" ? "text" : "float",
  }));
  return {
    name: `wrapper_parity_${w.name}`,
    family: "wrapper_parity",
    severity: "error",
    description: `${w.name} equals ${w.source} row for row: same keys and every column equal under its V-C name (5.6, 5.2 pattern): fails on a missing or extra key or any value difference`,
    sql: (ctx) =>
      paritySql({
        rollup: `SELECT ${[...keys.map((c) => nk(c.from, c.to)), ...values.map((c) => `${c.from} AS ${c.to}`)].join(", ")}
FROM ${ctx.t(w.source)}`,
        view: `SELECT ${[...keys.map((c) => nk(c.to)), ...values.map((c) => c.to)].join(", ")}
FROM ${ctx.t(w.name)}`,
        keys: keys.map((c) => c.to),
        textKeys: keys.filter((c) => c.to !== "window_start").map((c) => c.to),
        measures,
        tolerance: ctx.thresholds.tolerance,
      }),
  };
});

// ---------------------------------------------------------------------------------------------
// Rollup-vs-view parity (5.2 pattern)
// ---------------------------------------------------------------------------------------------

const SEVEN = [
  "window_start",
  "gateway",
  "orchestrator_address",
  "pipeline",
  "model_id",
  "gpu_id",
  "region",
];

const parity: AssertionDefinition[] = [
  {
    name: "agg_stream_performance_1m_matches_status_samples",
    family: "rollup_parity",
    severity: "error",
    description:
      "agg_stream_performance_1m (view side) against a recomputation from the latest attributed, non-empty-orchestrator status samples (rollup side) at the seven-part minute key: sessions, streams, samples, avg fps (5.3 #33): fails on zero overlap, one-sided keys or value differences",
    sql: (ctx) =>
      paritySql({
        rollup: `SELECT ${minuteOf("sample_ts")} AS window_start, gateway, orchestrator_address, pipeline,
    ifNull(model_id, '') AS model_id, ifNull(gpu_id, '') AS gpu_id, ifNull(region, '') AS region,
    toUInt64(uniqExact(workflow_session_id)) AS sessions, toUInt64(uniqExact(stream_id)) AS streams,
    count() AS samples, avg(toFloat64(output_fps)) AS avg_output_fps
FROM ${latestStatusRows(ctx)}
WHERE ${statusEligible(ctx.view)} AND orchestrator_address != ''
GROUP BY ${SEVEN.join(", ")}`,
        view: `SELECT window_start, gateway, orchestrator_address, pipeline,
    ifNull(model_id, '') AS model_id, ifNull(gpu_id, '') AS gpu_id, ifNull(region, '') AS region,
    toUInt64(uniqExactMerge(sessions_uniq_state)) AS sessions,
    toUInt64(uniqExactMerge(streams_uniq_state)) AS streams,
    countMerge(sample_count_state) AS samples, avgMerge(output_fps_avg_state) AS avg_output_fps
FROM ${ctx.t("agg_stream_performance_1m")}
GROUP BY ${SEVEN.join(", ")}`,
        keys: SEVEN,
        textKeys: SEVEN.slice(1),
        measures: [
          { name: "sessions", kind: "count" },
          { name: "streams", kind: "count" },
          { name: "samples", kind: "count" },
          { name: "avg_output_fps", kind: "float" },
        ],
        tolerance: ctx.thresholds.tolerance,
      }),
  },
  {
    name: "gpu_view_matches_status_samples",
    family: "rollup_parity",
    severity: "error",
    description:
      "v_serving_gpu_metrics_1h rows with samples (view side) against the latest eligible status samples with non-empty orchestrator and GPU minus terminal-tail session-hours (rollup side), per hour and GPU key: samples and avg fps (5.3 #40): fails on zero overlap, one-sided keys or value differences",
    sql: (ctx) =>
      paritySql({
        rollup: `SELECT ${hourOf("sample_ts")} AS window_start, orchestrator_address, pipeline,
    ifNull(model_id, '') AS model_id, ifNull(gpu_id, '') AS gpu_id, ifNull(region, '') AS region,
    count() AS status_samples, avg(toFloat64(output_fps)) AS avg_output_fps
FROM ${latestStatusRows(ctx)}
WHERE ${statusEligible(ctx.view)} AND orchestrator_address != '' AND ifNull(gpu_id, '') != ''
    AND ${notTail(ctx)}
GROUP BY ${GPU_KEY.join(", ")}`,
        view: `SELECT ${GPU_KEY.map((k) => nk(k)).join(", ")}, status_samples, avg_output_fps
FROM ${ctx.t("v_serving_gpu_metrics_1h")}
WHERE status_samples > 0`,
        keys: GPU_KEY,
        textKeys: GPU_TEXT_KEYS,
        measures: [
          { name: "status_samples", kind: "count" },
          { name: "avg_output_fps", kind: "float" },
        ],
        tolerance: ctx.thresholds.tolerance,
      }),
  },
  {
    name: "network_demand_view_matches_rollup",
    family: "rollup_parity",
    severity: "error",
    description:
      "v_serving_network_demand_1h summed per (hour, gateway, region, model) (view side) against session-minutes from agg_stream_performance_1m plus known/served/unserved/unexcused/swapped counts of the latest sessions (rollup side) (5.3 #41 with the SDK formulas; the pipeline fallback is outside the key): fails on zero overlap, one-sided keys or value differences",
    sql: (ctx) => {
      const key = ["window_start", "gateway", "region", "model_id"];
      const zeroCounts =
        "toUInt64(0) AS known_sessions, toUInt64(0) AS served_sessions, toUInt64(0) AS unserved_sessions, " +
        "toUInt64(0) AS unexcused_sessions, toUInt64(0) AS swapped_sessions";
      return paritySql({
        rollup: `SELECT window_start, gateway, region, model_id,
    sum(total_minutes) AS total_minutes, sum(known_sessions) AS known_sessions,
    sum(served_sessions) AS served_sessions, sum(unserved_sessions) AS unserved_sessions,
    sum(unexcused_sessions) AS unexcused_sessions, sum(swapped_sessions) AS swapped_sessions
FROM (
    SELECT ${hourOf("a.window_start")} AS window_start, a.gateway AS gateway,
        ifNull(a.region, '') AS region, ifNull(a.model_id, '') AS model_id,
        toFloat64(uniqExactMerge(a.sessions_uniq_state)) AS total_minutes, ${zeroCounts}
    FROM ${ctx.t("agg_stream_performance_1m")} AS a
    GROUP BY a.window_start, a.gateway, a.region, a.model_id
    UNION ALL
    SELECT ${hourOf("session_start_ts")} AS window_start, gateway,
        ifNull(region, '') AS region, ifNull(model_id, '') AS model_id,
        toFloat64(0) AS total_minutes, toUInt64(sum(known_stream)) AS known_sessions,
        toUInt64(sum(served_session)) AS served_sessions, toUInt64(sum(unserved_session)) AS unserved_sessions,
        toUInt64(sum(startup_unexcused)) AS unexcused_sessions,
        toUInt64(countIf(confirmed_swap_count > 0 OR inferred_orchestrator_change_count > 0)) AS swapped_sessions
    FROM ${latestSessionRows(ctx)}
    WHERE session_start_ts > ${EPOCH_FLOOR}
    GROUP BY window_start, gateway, region, model_id
)
GROUP BY ${key.join(", ")}`,
        view: `SELECT window_start, gateway, region, model_id,
    sum(total_minutes) AS total_minutes, sum(known_sessions) AS known_sessions,
    sum(served_sessions) AS served_sessions, sum(unserved_sessions) AS unserved_sessions,
    sum(unexcused_sessions) AS unexcused_sessions, sum(swapped_sessions) AS swapped_sessions
FROM ${ctx.t("v_serving_network_demand_1h")}
GROUP BY ${key.join(", ")}`,
        keys: key,
        textKeys: key.slice(1),
        measures: [
          { name: "total_minutes", kind: "float" },
          { name: "known_sessions", kind: "count" },
          { name: "served_sessions", kind: "count" },
          { name: "unserved_sessions", kind: "count" },
          { name: "unexcused_sessions", kind: "count" },
          { name: "swapped_sessions", kind: "count" },
        ],
        tolerance: ctx.thresholds.tolerance,
      });
    },
  },
  {
    name: "network_supply_view_matches_rollup",
    family: "rollup_parity",
    severity: "error",
    description:
      "used_inference_minutes of v_serving_network_supply_1h summed per (hour, gateway, orchestrator, region, pipeline, model) (view side) against session-minutes from agg_stream_performance_1m (rollup side; the GPU fallback is outside the key): fails on zero overlap, one-sided keys or value differences",
    sql: (ctx) => {
      const key = [
        "window_start",
        "gateway",
        "orchestrator_address",
        "region",
        "pipeline",
        "model_id",
      ];
      return paritySql({
        rollup: `SELECT window_start, gateway, orchestrator_address, region, pipeline, model_id,
    sum(minute_sessions) AS used_inference_minutes
FROM (
    SELECT ${hourOf("a.window_start")} AS window_start, a.gateway AS gateway,
        a.orchestrator_address AS orchestrator_address, ifNull(a.region, '') AS region,
        ${canonicalPipeline("a.pipeline", "ifNull(a.model_id, '')")} AS pipeline,
        ifNull(a.model_id, '') AS model_id,
        toFloat64(uniqExactMerge(a.sessions_uniq_state)) AS minute_sessions
    FROM ${ctx.t("agg_stream_performance_1m")} AS a
    GROUP BY a.window_start, gateway, orchestrator_address, region, pipeline, model_id
)
GROUP BY ${key.join(", ")}`,
        view: `SELECT ${key.join(", ")}, sum(used_inference_minutes) AS used_inference_minutes
FROM ${ctx.t("v_serving_network_supply_1h")}
GROUP BY ${key.join(", ")}`,
        keys: key,
        textKeys: key.slice(1),
        measures: [{ name: "used_inference_minutes", kind: "float" }],
        tolerance: ctx.thresholds.tolerance,
      });
    },
  },
  {
    name: "sla_view_matches_latest_sessions",
    family: "rollup_parity",
    severity: "error",
    description:
      "v_serving_sla_1h (view side) against latest sessions joined to their attributed status hours minus tail session-hours (rollup side), at the status-hour grain of 4.8 (5.3 #48 ported, 11.11): fails on zero overlap, one-sided keys or value differences",
    sql: (ctx) => {
      const counts: readonly (readonly [string, string])[] = [
        ["known_sessions", "sum(s.known_stream)"],
        ["unexcused_sessions", "sum(s.startup_unexcused)"],
        [
          "swapped_sessions",
          "countIf(s.confirmed_swap_count > 0 OR s.inferred_orchestrator_change_count > 0)",
        ],
        ["sessions_with_last_error", "countIf(s.last_error_occurred > 0)"],
        ["loading_only_sessions", "countIf(s.loading_only_session > 0)"],
        ["zero_output_fps_sessions", "countIf(s.zero_output_fps_session > 0)"],
        ["status_error_samples", "sum(s.status_error_sample_count)"],
        ["health_signal_count", "sum(s.health_signal_count)"],
        ["health_expected_signal_count", "sum(s.health_expected_signal_count)"],
      ];
      return paritySql({
        rollup: `SELECT ${GPU_KEY.map((k) => `sh.${k} AS ${k}`).join(", ")},
    ${counts.map(([name, expr]) => `toUInt64(${expr}) AS ${name}`).join(",\n    ")}
FROM (
    SELECT DISTINCT ${hourOf("sample_ts")} AS window_start, workflow_session_id, orchestrator_address, pipeline,
        ifNull(model_id, '') AS model_id, ifNull(gpu_id, '') AS gpu_id, ifNull(region, '') AS region
    FROM ${latestStatusRows(ctx)}
    WHERE ${statusEligible(ctx.view)} AND orchestrator_address != '' AND sample_ts > ${EPOCH_FLOOR}
        AND ${notTail(ctx)}
) AS sh
INNER JOIN ${latestSessionRows(ctx)} AS s ON s.workflow_session_id = sh.workflow_session_id
GROUP BY ${GPU_KEY.join(", ")}`,
        view: `SELECT ${GPU_KEY.map((k) => nk(k)).join(", ")}, ${counts.map(([name]) => name).join(", ")}
FROM ${ctx.t("v_serving_sla_1h")}`,
        keys: GPU_KEY,
        textKeys: GPU_TEXT_KEYS,
        measures: counts.map(([name]): ParityMeasure => ({ name, kind: "count" })),
        tolerance: ctx.thresholds.tolerance,
      });
    },
  },
];

// ---------------------------------------------------------------------------------------------
// Attribution KPIs (attribution.md 7.6)
// ---------------------------------------------------------------------------------------------

const ROW_EVIDENCE = "orchestrator_address != '' OR orchestrator_url != ''";

const kpis: AssertionDefinition[] = [
  ...(
    [
      ["status_samples", "latest_status", ROW_EVIDENCE],
      ["trace_edges", "latest_trace_edges", ROW_EVIDENCE],
      ["sessions", "latest_sessions", "1"],
      ["segments", "latest_segments", "1"],
    ] as const
  ).map(([label, view, filter]): AssertionDefinition => ({
    name: `empty_key_rate_${label}`,
    family: "attribution_kpi",
    severity: "error",
    description: `empty_key_rate of ${label}: latest rows with orchestrator_address = '' among rows of sessions with orchestrator evidence${filter === "1" ? "" : " that carry evidence themselves (an orchestrator address or URL)"} (attribution.md 7.6): warns above the warn threshold, fails above the fail threshold`,
    sql: (ctx) =>
      rateSql(
        ctx,
        ctx.t(view),
        filter,
        "orchestrator_address = ''",
        "empty_key_rows",
        ctx.thresholds.emptyKeyRate,
      ),
  })),
  {
    name: "unattributed_session_rate",
    family: "attribution_kpi",
    severity: "error",
    description:
      "share of latest sessions with orchestrator evidence whose attribution_source is 'unattributed' (attribution.md 7.6): warns above the warn threshold, fails above the fail threshold",
    sql: (ctx) =>
      rateSql(
        ctx,
        ctx.t("latest_sessions"),
        "1",
        "attribution_source = 'unattributed'",
        "unattributed_sessions",
        ctx.thresholds.unattributedSessionRate,
      ),
  },
  {
    name: "mapped_window_session_rate",
    family: "attribution_kpi",
    severity: "info",
    description:
      "share of latest sessions with orchestrator evidence attributed through a mapped (stale) window, and the attributable vs unattributed proportions (attribution.md 7.6): informational",
    sql: (ctx) => `WITH ${evidenceCte(ctx)}
SELECT
    count() AS checked_rows,
    countIf(attribution_source = 'direct') AS direct_sessions,
    countIf(attribution_source = 'mapped_window') AS mapped_window_sessions,
    countIf(attribution_source = 'unattributed') AS unattributed_sessions,
    if(checked_rows = 0, 0, mapped_window_sessions / checked_rows) AS rate,
    if(checked_rows = 0, 0, (direct_sessions + mapped_window_sessions) / checked_rows) AS attributable_rate,
    toUInt64(0) AS failed_rows
FROM ${ctx.t("latest_sessions")}
WHERE workflow_session_id IN (SELECT workflow_session_id FROM evidence)`,
  },
  {
    name: "ambiguous_session_rate",
    family: "attribution_kpi",
    severity: "warning",
    description:
      "share of latest sessions with orchestrator evidence and a selection outcome whose latest outcome is 'ambiguous_canonical' (attribution.md 7.6 ambiguous_rate, per session): warns above the threshold",
    sql: (ctx) => `WITH ${evidenceCte(ctx)}
SELECT
    count() AS checked_rows,
    countIf(attribution_outcome = 'ambiguous_canonical') AS ambiguous_sessions,
    if(checked_rows = 0, 0, ambiguous_sessions / checked_rows) AS rate,
    ${ctx.thresholds.ambiguousRate} AS warn_threshold,
    toUInt64(rate > warn_threshold) AS failed_rows
FROM ${ctx.t("latest_sessions")}
WHERE workflow_session_id IN (SELECT workflow_session_id FROM evidence) AND attribution_outcome != ''`,
  },
  ...(
    [
      ["sessions", "latest_sessions", "orchestrator_address != '' AND ifNull(model_id, '') != ''"],
      ["status_samples", "latest_status", "is_attributed = 1 AND ifNull(model_id, '') != ''"],
      ["gpu_metrics", "v_serving_gpu_metrics_1h", "ifNull(model_id, '') != ''"],
      ["sla", "v_serving_sla_1h", "ifNull(model_id, '') != ''"],
    ] as const
  ).map(([label, source, filter]): AssertionDefinition => ({
    name: `pipeline_coverage_${label}`,
    family: "attribution_kpi",
    severity: "error",
    description: `pipeline_coverage of ${source}: attributed rows with a model that also have a pipeline (attribution.md 7.6, the readiness SLO): fails below the threshold`,
    sql: (ctx) => `SELECT
    count() AS checked_rows,
    countIf(pipeline != '') AS covered_rows,
    if(checked_rows = 0, 1, covered_rows / checked_rows) AS coverage,
    ${ctx.thresholds.pipelineCoverage} AS min_coverage,
    toUInt64(coverage < min_coverage) AS failed_rows
FROM ${ctx.t(source)}
WHERE ${filter}`,
  })),
];

// ---------------------------------------------------------------------------------------------
// Canonical-only identity
// ---------------------------------------------------------------------------------------------

const canonical: AssertionDefinition[] = [
  {
    name: "facts_use_canonical_orchestrator_identity",
    family: "canonical_identity",
    severity: "error",
    description:
      "every non-empty orchestrator_address of every fact row is a canonical address (lower-cased capability `address` of raw_network_capabilities or the snapshot dimension), never a hot wallet (attribution.md 2, 11.16; vacuous without capability rows, 5.3 #15): fails on any non-canonical row",
    sql: (ctx) => `WITH
canonical AS (
    SELECT lower(orchestrator_address) AS address FROM ${ctx.t("raw_network_capabilities")} WHERE orchestrator_address != ''
    UNION DISTINCT
    SELECT orchestrator_address AS address FROM ${ctx.t("dim_orchestrator_capability_snapshots")} WHERE orchestrator_address != ''
),
hot AS (
    SELECT lower(local_address) AS address FROM ${ctx.t("raw_network_capabilities")} WHERE local_address != ''
    UNION DISTINCT
    SELECT orchestrator_proxy_address AS address FROM ${ctx.t("dim_orchestrator_capability_snapshots")} WHERE orchestrator_proxy_address != ''
),
facts AS (
${ADDRESS_FACTS.map((f) => `    SELECT ${quoteString(f)} AS source, orchestrator_address AS address FROM ${ctx.t(f)} WHERE orchestrator_address != ''`).join("\n    UNION ALL\n")}
)
SELECT
    (SELECT count() FROM canonical) AS canonical_addresses,
    uniqExact(address) AS fact_addresses,
    countIf(address NOT IN (SELECT address FROM canonical)) AS non_canonical_rows,
    uniqExactIf(address, address NOT IN (SELECT address FROM canonical)) AS non_canonical_addresses,
    uniqExactIf(address, address IN (SELECT address FROM hot) AND address NOT IN (SELECT address FROM canonical)) AS hot_wallet_addresses,
    toString(groupUniqArrayIf(5)(concat(source, ':', address), address NOT IN (SELECT address FROM canonical))) AS examples,
    if(canonical_addresses = 0, 0, count()) AS checked_rows,
    if(canonical_addresses = 0, 0, non_canonical_rows) AS failed_rows
FROM facts`,
  },
];

// ---------------------------------------------------------------------------------------------
// Serving-layer purity
// ---------------------------------------------------------------------------------------------

const purity: AssertionDefinition[] = [
  {
    name: "serving_views_present",
    family: "serving_purity",
    severity: "error",
    description: "every view of the serving layer (VIEW_NAMES) exists: fails on any missing view",
    sql: (ctx) => `SELECT
    ${VIEW_NAMES.length} AS checked_rows,
    arrayFilter(x -> NOT has(present, x), [${VIEW_NAMES.map(quoteString).join(", ")}]) AS missing,
    length(missing) AS failed_rows,
    toString(missing) AS missing_views
FROM (SELECT groupArray(name) AS present FROM system.tables WHERE database = ${quoteString(ctx.view.database)})`,
  },
  {
    name: "serving_views_do_not_read_raw_tables",
    family: "serving_purity",
    severity: "error",
    description:
      "no v_api_*, v_serving_* or building-block view reads a raw typed table or raw_payment_events (5.3 #54 with the 11.19 addition): fails on any view whose DDL names one",
    sql: (ctx) => {
      const pattern = `(^|[^A-Za-z0-9_])(${FORBIDDEN_RAW_TABLES.join("|")})([^A-Za-z0-9_]|$)`;
      return `SELECT
    count() AS checked_rows,
    countIf(match(create_table_query, ${quoteString(pattern)})) AS failed_rows,
    toString(groupArrayIf(name, match(create_table_query, ${quoteString(pattern)}))) AS offending_views
FROM system.tables
WHERE database = ${quoteString(ctx.view.database)}
    AND (startsWith(name, 'v_api_') OR startsWith(name, 'v_serving_')
        OR name IN (${VIEW_NAMES.map(quoteString).join(", ")}))`;
    },
  },
];

/**
 * Every assertion of the suite, in run order.
 */
export const ASSERTION_DEFINITIONS: readonly AssertionDefinition[] = [
  ...factGrain,
  ...viewGrain,
  ...storedGrain,
  ...additive,
  ...latency,
  ...served,
  ...wrappers,
  ...parity,
  ...kpis,
  ...canonical,
  ...purity,
];
