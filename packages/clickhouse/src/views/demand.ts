/**
 * Demand and supply serving views: `v_serving_network_demand_1h` (`ingest-and-storage.md` §4.5) and
 * `v_serving_network_supply_1h` (§4.6), with session-minutes, served/unserved flags, parsed fees and
 * reliability from latest sessions.
 *
 * @module
 */
import type { ResolvedViewOptions } from "./options.js";
import {
  EPOCH_FLOOR,
  SESSION_COUNTER_NAMES,
  canonicalPipeline,
  healthCompletenessRatio,
  hourOf,
  passThrough,
  qualify,
  ratio,
  sessionCounters,
  sessionEligible,
} from "./sql.js";
import type { ViewStatement } from "./types.js";

/** Latest sessions with the demand-view key normalization (§4.1, §4.5). */
function sessionsCte(o: ResolvedViewOptions): string {
  return `ls AS (
    SELECT
        workflow_session_id,
        request_id,
        session_start_ts,
        ${hourOf("session_start_ts")} AS hour_start,
        gateway,
        orchestrator_address,
        attribution_source,
        ifNull(region, '') AS region_key,
        ifNull(model_id, '') AS model_key,
        ifNull(gpu_id, '') AS gpu_own,
        ${canonicalPipeline("pipeline", "ifNull(model_id, '')")} AS pipeline_c,
        known_stream, served_session, unserved_session, startup_unexcused,
        confirmed_swap_count, inferred_orchestrator_change_count, error_count, last_error_occurred,
        loading_only_session, zero_output_fps_session, status_error_sample_count,
        health_signal_count, health_expected_signal_count
    FROM ${qualify(o, "latest_sessions")}
    WHERE session_start_ts > ${EPOCH_FLOOR}
)`;
}

/**
 * Fee of one `fact_payments` row (alias `p`) in wei as Float64.
 * SDK fix (11.7): the parsed `face_value_wei`; `strict-reference` reproduces the reference, which
 * turned `"N WEI"` text into 0.
 */
function feeWei(o: ResolvedViewOptions): string {
  return o.feeParsing === "strip-units"
    ? "toFloat64(p.face_value_wei)"
    : "toFloat64OrZero(p.face_value)";
}

/** Reliability counters summed over latest sessions (§4.5 `demand_1h`). */
const RELIABILITY: readonly (readonly [string, string])[] = [
  ["known_sessions", "sum(known_stream)"],
  // SDK fix (decision 46, lifecycle.md 8.2): served/unserved are the session flags, not the
  // reference's "orchestrator address is (non-)empty" test.
  ["served_sessions", "sum(served_session)"],
  ["unserved_sessions", "sum(unserved_session)"],
  ...sessionCounters(),
  [
    "effective_failed_sessions",
    "countIf(startup_unexcused > 0 OR zero_output_fps_session > 0 OR loading_only_session > 0)",
  ],
];

/** A union part: key expressions, then every measure (own expression or zero/NULL). */
interface PartColumn {
  readonly name: string;
  readonly kind: "count" | "float" | "nullable";
}

function unionPart(
  columns: readonly PartColumn[],
  own: ReadonlyMap<string, string>,
  keys: string,
  from: string,
): string {
  const cols = columns.map((c) => {
    const e = own.get(c.name);
    if (c.kind === "count") return `toUInt64(${e ?? "0"}) AS ${c.name}`;
    if (c.kind === "float") return `toFloat64(${e ?? "0"}) AS ${c.name}`;
    return e === undefined
      ? `CAST(NULL AS Nullable(Float64)) AS ${c.name}`
      : `toNullable(toFloat64(${e})) AS ${c.name}`;
  });
  return `    SELECT ${keys},
        ${cols.join(",\n        ")}
    ${from}`;
}

function mergeColumn(c: PartColumn): string {
  return c.kind === "nullable" ? `max(${c.name}) AS ${c.name}` : `sum(${c.name}) AS ${c.name}`;
}

/**
 * Session-minutes and distinct counts from `agg_stream_performance_1m` rows (alias source `perf_rows`
 * with `minute_start`, `hour_start` and the output keys): SDK fix (4.2, 11.10), a session counts one
 * minute for every minute in which it has an attributed status sample, instead of the reference's
 * `countMerge(samples) / 60` (which assumed one sample per second).
 */
function perfCtes(keys: string, minutesName: string, withFps: boolean): string {
  const fpsState = withFps ? ",\n        avgMergeState(output_fps_avg_state) AS fps_state" : "";
  const fps = withFps ? ",\n        avgMerge(fps_state) AS avg_output_fps" : "";
  return `perf_minutes AS (
    SELECT minute_start, hour_start, ${keys},
        uniqExactMerge(sessions_uniq_state) AS minute_sessions,
        uniqExactMergeState(sessions_uniq_state) AS sessions_state,
        uniqExactMergeState(streams_uniq_state) AS streams_state${fpsState}
    FROM perf_rows
    GROUP BY minute_start, hour_start, ${keys}
),
perf AS (
    SELECT hour_start, ${keys},
        uniqExactMerge(sessions_state) AS total_sessions,
        uniqExactMerge(streams_state) AS total_streams,
        toFloat64(sum(minute_sessions)) AS ${minutesName}${fps}
    FROM perf_minutes
    GROUP BY hour_start, ${keys}
)`;
}

/** Reliability counters of alias `g` as output columns. */
const RELIABILITY_OUTPUT = `${passThrough("g", ["known_sessions", "served_sessions", "unserved_sessions"], ",\n    ")},
    g.served_sessions + g.unserved_sessions AS total_demand_sessions,
    ${passThrough("g", SESSION_COUNTER_NAMES, ",\n    ")}`;

/**
 * Measure columns of a demand/supply view: session and stream counts, the view's own performance
 * measures, the reliability counters, the fee and the `from_*` part flags.
 */
function partColumns(perf: readonly PartColumn[], flags: readonly string[]): PartColumn[] {
  return [
    { name: "total_sessions", kind: "count" },
    { name: "total_streams", kind: "count" },
    ...perf,
    ...RELIABILITY.map(([name]): PartColumn => ({ name, kind: "count" })),
    { name: "fee_payment_eth", kind: "float" },
    ...flags.map((name): PartColumn => ({ name, kind: "count" })),
  ];
}

/**
 * The three union parts of a demand/supply view at `hour_start` and `keys`: the `perf` CTE (with
 * `from_perf = 1`), the reliability CTE `reliability` (with its optional `flag = 1`) and `fees`.
 */
function unionParts(
  columns: readonly PartColumn[],
  keys: string,
  perf: readonly string[],
  reliability: string,
  flag?: string,
): string[] {
  const own = (names: readonly string[], extra: readonly string[]): Map<string, string> =>
    new Map([
      ...names.map((name): [string, string] => [name, name]),
      ...extra.map((name): [string, string] => [name, "1"]),
    ]);
  const k = `hour_start, ${keys}`;
  return [
    unionPart(
      columns,
      own(["total_sessions", "total_streams", ...perf], ["from_perf"]),
      k,
      "FROM perf",
    ),
    unionPart(
      columns,
      own(
        RELIABILITY.map(([name]) => name),
        flag === undefined ? [] : [flag],
      ),
      k,
      `FROM ${reliability}`,
    ),
    unionPart(columns, own(["fee_payment_eth"], []), k, "FROM fees"),
  ];
}

/**
 * The CTEs over the keyed latest sessions `source` at `hour_start` and `keys`: the reliability
 * counters (`name`), the latest-starting session per request id (`request_sessions`, so that a
 * payment is never attributed twice) and the fees attached to its keys (`fees`).
 */
function keyedCtes(o: ResolvedViewOptions, name: string, source: string, keys: string): string {
  const cols = keys.split(", ");
  return `${name} AS (
    SELECT hour_start, ${keys},
        ${RELIABILITY.map(([col, expr]) => `${expr} AS ${col}`).join(",\n        ")}
    FROM ${source}
    GROUP BY hour_start, ${keys}
),
request_sessions AS (
    SELECT request_id AS req_id,
        ${cols.map((c) => `argMax(${c}, session_start_ts) AS req_${c}`).join(",\n        ")}
    FROM ${source}
    WHERE request_id != ''
    GROUP BY req_id
),
fees AS (
    SELECT ${hourOf("p.payment_ts")} AS hour_start,
        ${cols.map((c) => `r.req_${c} AS ${c}`).join(", ")},
        ifNull(sum(${feeWei(o)}), 0) / 1e18 AS fee_payment_eth
    FROM ${qualify(o, "fact_payments")} AS p FINAL
    INNER JOIN request_sessions AS r ON r.req_id = p.request_id
    WHERE p.request_id != ''
    GROUP BY hour_start, ${keys}
)`;
}

/** Statements of the demand and supply views. */
export function demandStatements(o: ResolvedViewOptions): ViewStatement[] {
  const q = (name: string): string => qualify(o, name);

  // ---- v_serving_network_demand_1h -------------------------------------------------------
  const demandKeys = "gateway, region_key, pipeline_key, model_key";
  const demandColumns = partColumns(
    [
      { name: "total_minutes", kind: "float" },
      { name: "avg_output_fps", kind: "nullable" },
    ],
    ["from_perf", "from_demand"],
  );
  const demandParts = unionParts(
    demandColumns,
    demandKeys,
    ["total_minutes", "avg_output_fps"],
    "demand",
    "from_demand",
  );
  const demand: ViewStatement = {
    name: "v_serving_network_demand_1h",
    sql: `-- Network demand per (hour, gateway, region, pipeline, model), ingest-and-storage.md 4.5. Keys are the
-- union of performance keys (hour of each attributed status minute) and demand keys (hour of the
-- session start), fees attach to existing keys only (reference behaviour). Demand counts cover every
-- latest session (demand exists whether or not it was attributed), serving eligibility applies to the
-- performance part through agg_stream_performance_1m.
-- SDK fix (11.10): total_minutes are session-minutes, not status samples / 60.
-- SDK fix (decision 46): served/unserved sum the lifecycle flags of latest sessions.
-- SDK fix (11.7, 11.19): fees come from fact_payments with face_value_wei parsed from "N WEI" text, the
-- view never reads a raw payment table. fact_payments is read FINAL: a redelivered payment event is
-- counted once (its sort key ends with source_event_uid).
-- SDK fix (11.9): every count reads latest rows, never a rollup that sums session revisions.
WITH
${sessionsCte(o)},
pipeline_fallback AS (
    SELECT hour_start AS fb_hour, gateway AS fb_gateway, region_key AS fb_region,
        model_key AS fb_model,
        if(uniqExactIf(pipeline_c, pipeline_c != '') = 1, anyIf(pipeline_c, pipeline_c != ''), '')
            AS fb_pipeline
    FROM ls
    GROUP BY fb_hour, fb_gateway, fb_region, fb_model
),
ls_keyed AS (
    SELECT ls.*,
        if(ls.pipeline_c != '', ls.pipeline_c, ifNull(f.fb_pipeline, '')) AS pipeline_key
    FROM ls
    LEFT JOIN pipeline_fallback AS f
        ON f.fb_hour = ls.hour_start AND f.fb_gateway = ls.gateway
        AND f.fb_region = ls.region_key AND f.fb_model = ls.model_key
),
perf_rows AS (
    SELECT
        a.window_start AS minute_start,
        ${hourOf("a.window_start")} AS hour_start,
        a.gateway AS gateway,
        ifNull(a.region, '') AS region_key,
        ifNull(a.model_id, '') AS model_key,
        ${canonicalPipeline("if(a.pipeline != '', a.pipeline, ifNull(f.fb_pipeline, ''))", "ifNull(a.model_id, '')")} AS pipeline_key,
        a.sessions_uniq_state AS sessions_uniq_state,
        a.streams_uniq_state AS streams_uniq_state,
        a.output_fps_avg_state AS output_fps_avg_state
    FROM ${q("agg_stream_performance_1m")} AS a
    LEFT JOIN pipeline_fallback AS f
        ON f.fb_hour = ${hourOf("a.window_start")} AND f.fb_gateway = a.gateway
        AND f.fb_region = ifNull(a.region, '') AND f.fb_model = ifNull(a.model_id, '')
),
${perfCtes(demandKeys, "total_minutes", true)},
${keyedCtes(o, "demand", "ls_keyed", demandKeys)},
parts AS (
${demandParts.join("\n    UNION ALL\n")}
)
SELECT
    g.hour_start AS window_start,
    g.gateway AS gateway,
    g.region_key AS region,
    g.pipeline_key AS pipeline,
    g.model_key AS model_id,
    g.total_sessions AS total_sessions,
    g.total_streams AS total_streams,
    g.total_minutes AS total_minutes,
    g.avg_output_fps AS avg_output_fps,
    ${RELIABILITY_OUTPUT},
    ${healthCompletenessRatio(o, "g")},
    ${ratio(o, "ifNull(1 - g.unexcused_sessions / nullIf(g.known_sessions, 0), 0)")} AS startup_success_ratio,
    ${ratio(o, "ifNull(1 - g.effective_failed_sessions / nullIf(g.known_sessions, 0), 0)")} AS success_ratio,
    g.fee_payment_eth AS fee_payment_eth
FROM (
    SELECT hour_start, ${demandKeys},
        ${demandColumns.map(mergeColumn).join(",\n        ")}
    FROM parts
    GROUP BY hour_start, ${demandKeys}
    HAVING from_perf > 0 OR from_demand > 0
) AS g`,
  };

  // ---- v_serving_network_supply_1h -------------------------------------------------------
  const supplyKeys = "gateway, orchestrator_address, region_key, pipeline_key, model_key, gpu_key";
  const supplyColumns = partColumns(
    [{ name: "used_inference_minutes", kind: "float" }],
    ["from_perf"],
  );
  const supplyParts = unionParts(
    supplyColumns,
    supplyKeys,
    ["used_inference_minutes"],
    "reliability",
  );
  const supply: ViewStatement = {
    name: "v_serving_network_supply_1h",
    sql: `-- Network supply per (hour, gateway, orchestrator, region, pipeline, model, GPU), ingest-and-storage.md
-- 4.6, keys come from performance rows only, an empty GPU takes the latest non-empty GPU of the
-- latest sessions with the same (hour, gateway, orchestrator, region, pipeline, model).
-- SDK fix (11.9): reliability is recomputed from latest_sessions at this grain (the reference merged a
-- rollup that counted every session revision).
-- SDK fix (11.10): used_inference_minutes (and capacity_rate) are session-minutes.
-- SDK fix (decision 46): served/unserved sum the lifecycle flags.
-- SDK fix (11.7, 11.19): fees from fact_payments with parsed face_value_wei.
-- SDK fix (11.13): missing_capacity_count (unexcused sessions here, unserved sessions in the demand
-- view) is dropped.
WITH
${sessionsCte(o)},
gpu_fallback AS (
    SELECT hour_start AS gf_hour, gateway AS gf_gateway, orchestrator_address AS gf_orch,
        region_key AS gf_region, pipeline_c AS gf_pipeline, model_key AS gf_model,
        argMaxIf(gpu_own, session_start_ts, gpu_own != '') AS gf_gpu
    FROM ls
    WHERE ${sessionEligible(o)}
    GROUP BY gf_hour, gf_gateway, gf_orch, gf_region, gf_pipeline, gf_model
),
ls_gpu AS (
    SELECT ls.*,
        ls.pipeline_c AS pipeline_key,
        if(ls.gpu_own != '', ls.gpu_own, ifNull(g.gf_gpu, '')) AS gpu_key
    FROM ls
    LEFT JOIN gpu_fallback AS g
        ON g.gf_hour = ls.hour_start AND g.gf_gateway = ls.gateway
        AND g.gf_orch = ls.orchestrator_address AND g.gf_region = ls.region_key
        AND g.gf_pipeline = ls.pipeline_c AND g.gf_model = ls.model_key
    WHERE ${sessionEligible(o, "ls")}
),
perf_rows AS (
    SELECT
        a.window_start AS minute_start,
        ${hourOf("a.window_start")} AS hour_start,
        a.gateway AS gateway,
        a.orchestrator_address AS orchestrator_address,
        ifNull(a.region, '') AS region_key,
        ${canonicalPipeline("a.pipeline", "ifNull(a.model_id, '')")} AS pipeline_key,
        ifNull(a.model_id, '') AS model_key,
        if(ifNull(a.gpu_id, '') != '', ifNull(a.gpu_id, ''), ifNull(g.gf_gpu, '')) AS gpu_key,
        a.sessions_uniq_state AS sessions_uniq_state,
        a.streams_uniq_state AS streams_uniq_state
    FROM ${q("agg_stream_performance_1m")} AS a
    LEFT JOIN gpu_fallback AS g
        ON g.gf_hour = ${hourOf("a.window_start")} AND g.gf_gateway = a.gateway
        AND g.gf_orch = a.orchestrator_address AND g.gf_region = ifNull(a.region, '')
        AND g.gf_pipeline = ${canonicalPipeline("a.pipeline", "ifNull(a.model_id, '')")}
        AND g.gf_model = ifNull(a.model_id, '')
),
${perfCtes(supplyKeys, "used_inference_minutes", false)},
${keyedCtes(o, "reliability", "ls_gpu", supplyKeys)},
gpu_type AS (
    SELECT orchestrator_address AS gt_orch, model_id AS gt_model, ifNull(gpu_id, '') AS gt_gpu,
        argMax(gpu_name, snapshot_ts) AS gt_name, toUInt8(1) AS gt_found
    FROM ${q("dim_orchestrator_capability_snapshots")}
    GROUP BY gt_orch, gt_model, gt_gpu
),
capacity_current AS (
    SELECT orchestrator_address AS cap_orch, model_id AS cap_model,
        argMax(capacity, snapshot_ts) AS cap_capacity, toUInt8(1) AS cap_found
    FROM ${q("dim_orchestrator_capability_model_constraints")}
    GROUP BY cap_orch, cap_model
),
parts AS (
${supplyParts.join("\n    UNION ALL\n")}
)
SELECT
    g.hour_start AS window_start,
    g.gateway AS gateway,
    g.orchestrator_address AS orchestrator_address,
    g.region_key AS region,
    g.pipeline_key AS pipeline,
    g.model_key AS model_id,
    g.gpu_key AS gpu_id,
    if(t.gt_found = 1, ifNull(t.gt_name, 'unknown'), 'unknown') AS gpu_type,
    g.total_streams AS total_streams,
    g.total_sessions AS total_sessions,
    g.used_inference_minutes AS inference_minutes_by_gpu_type,
    g.used_inference_minutes AS used_inference_minutes,
    toFloat64(if(c.cap_found = 1, ifNull(c.cap_capacity, 0), 0)) * 60.0 AS available_capacity_minutes,
    ifNull(g.used_inference_minutes / nullIf(available_capacity_minutes, 0), 0) AS capacity_rate,
    ${RELIABILITY_OUTPUT},
    ${healthCompletenessRatio(o, "g")},
    g.fee_payment_eth AS fee_payment_eth
FROM (
    SELECT hour_start, ${supplyKeys},
        ${supplyColumns.map(mergeColumn).join(",\n        ")}
    FROM parts
    GROUP BY hour_start, ${supplyKeys}
    HAVING from_perf > 0
) AS g
LEFT JOIN gpu_type AS t
    ON t.gt_orch = g.orchestrator_address AND t.gt_model = g.model_key AND t.gt_gpu = g.gpu_key
LEFT JOIN capacity_current AS c
    ON c.cap_orch = g.orchestrator_address AND c.cap_model = g.model_key`,
  };
  return [demand, supply];
}
