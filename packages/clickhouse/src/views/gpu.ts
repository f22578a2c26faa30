/**
 * GPU serving views: `v_serving_gpu_metrics_1h` (`ingest-and-storage.md` §4.4 with the 11.13 fixes),
 * `v_serving_gpu_metrics_1m` (§4.10) and `v_api_jitter_5m` (§4.7).
 *
 * @module
 */
import type { ResolvedViewOptions } from "./options.js";
import {
  EPOCH_FLOOR,
  GPU_KEY_COLUMNS,
  SESSION_COUNTER_NAMES,
  fiveMinutesOf,
  healthCompletenessRatio,
  hourOf,
  latencyEligible,
  minuteOf,
  nullableKeyParts,
  passThrough,
  qualify,
  ratio,
  sessionCounters,
  sessionEligible,
} from "./sql.js";
import type { ViewStatement } from "./types.js";

/**
 * Current GPU attributes per `(orchestrator, model, GPU)`: `argMax(attr, snapshot_ts)` over the
 * capability snapshot dimension, which equals `argMax(attr, latest_snapshot_ts)` over
 * `dim_orchestrator_capability_current` (§3.5) without depending on that view.
 */
export function gpuDimCte(o: ResolvedViewOptions): string {
  return `dim AS (
    SELECT
        orchestrator_address AS dim_orchestrator,
        model_id AS dim_model,
        ifNull(gpu_id, '') AS dim_gpu,
        argMax(gpu_name, snapshot_ts) AS dim_gpu_name,
        argMax(gpu_memory_total, snapshot_ts) AS dim_gpu_memory_total,
        argMax(gpu_major, snapshot_ts) AS dim_gpu_major,
        argMax(gpu_minor, snapshot_ts) AS dim_gpu_minor,
        argMax(runner_version, snapshot_ts) AS dim_runner_version,
        toUInt8(1) AS dim_found
    FROM ${qualify(o, "dim_orchestrator_capability_snapshots")}
    GROUP BY dim_orchestrator, dim_model, dim_gpu
)`;
}

/** The dimension join of a GPU view whose measures are aliased `m`. */
const DIM_JOIN = `LEFT JOIN dim AS d
    ON d.dim_orchestrator = m.orchestrator_address
    AND d.dim_model = ifNull(m.model_id, '')
    AND d.dim_gpu = ifNull(m.gpu_id, '')`;

/** The four dimension output columns (NULL when the key has no capability snapshot). */
const DIM_COLUMNS = `if(d.dim_found = 1, d.dim_gpu_name, NULL) AS gpu_name,
    if(d.dim_found = 1, d.dim_gpu_memory_total, NULL) AS gpu_memory_total,
    if(d.dim_found = 1, d.dim_runner_version, NULL) AS runner_version,
    if(d.dim_found = 1 AND d.dim_gpu_major IS NOT NULL AND d.dim_gpu_minor IS NOT NULL,
        concat(toString(d.dim_gpu_major), '.', toString(d.dim_gpu_minor)), NULL) AS cuda_version`;

/** A measure of the hourly GPU view: its expression in the part that owns it. */
interface Measure {
  readonly name: string;
  readonly part: "perf" | "rel" | "lat";
  /** `sum` for counts (0 when absent), `max` for values that exist in one part only (NULL when absent). */
  readonly merge: "sum" | "max";
  readonly expr: string;
}

const LATENCY_KPIS = [
  ["p2ff", "prompt_to_first_frame_ms", "has_prompt_to_first_frame"],
  ["startup", "startup_time_ms", "has_startup_time"],
  ["e2e", "e2e_latency_ms", "has_e2e_latency"],
] as const;

const GPU_MEASURES: readonly Measure[] = [
  { name: "avg_output_fps", part: "perf", merge: "max", expr: "avg(output_fps)" },
  {
    name: "p95_output_fps",
    part: "perf",
    merge: "max",
    expr: "quantileTDigest(0.95)(output_fps)",
  },
  {
    name: "jitter_coeff_fps",
    part: "perf",
    merge: "max",
    expr: "stddevPop(output_fps) / nullIf(avg(output_fps), 0)",
  },
  { name: "status_samples", part: "perf", merge: "sum", expr: "count()" },
  { name: "known_sessions", part: "rel", merge: "sum", expr: "sum(known_stream)" },
  { name: "startup_success_sessions", part: "rel", merge: "sum", expr: "sum(startup_success)" },
  { name: "excused_sessions", part: "rel", merge: "sum", expr: "sum(startup_excused)" },
  ...sessionCounters().map(([name, expr]): Measure => ({ name, part: "rel", merge: "sum", expr })),
  ...LATENCY_KPIS.flatMap(([short, col, has]): Measure[] => [
    { name: `avg_${short}`, part: "lat", merge: "max", expr: `avgIf(${col}, ${has} = 1)` },
    {
      name: `p95_${short}`,
      part: "lat",
      merge: "max",
      expr: `quantileTDigestIf(0.95)(${col}, ${has} = 1)`,
    },
    { name: `valid_${short}`, part: "lat", merge: "sum", expr: `countIf(${has} = 1)` },
  ]),
];

const KEYS = GPU_KEY_COLUMNS.join(", ");

/** Status-sample performance columns shared by the hourly and the minute GPU view. */
const PERF_COLUMNS = ["avg_output_fps", "p95_output_fps", "jitter_coeff_fps", "status_samples"];

/** One part of the hourly GPU view: its own measures, zero/NULL for the others. */
function gpuPart(part: Measure["part"], source: string, keyExprs: string, where: string): string {
  const cols = GPU_MEASURES.map((m) => {
    if (m.part === part) {
      return m.merge === "sum"
        ? `toUInt64(${m.expr}) AS ${m.name}`
        : `toNullable(toFloat64(${m.expr})) AS ${m.name}`;
    }
    return m.merge === "sum"
      ? `toUInt64(0) AS ${m.name}`
      : `CAST(NULL AS Nullable(Float64)) AS ${m.name}`;
  });
  return `    SELECT
        ${keyExprs},
        ${cols.join(",\n        ")}
    FROM ${source}
    WHERE ${where}
    GROUP BY ${KEYS}`;
}

/** Statements of the GPU views. */
export function gpuStatements(o: ResolvedViewOptions): ViewStatement[] {
  const q = (name: string): string => qualify(o, name);
  const normalizedKeys = (timeExpr: string): string =>
    `${timeExpr} AS window_start, orchestrator_address, pipeline, ${nullableKeyParts(", ")}`;
  const parts = [
    gpuPart("perf", q("serving_status_samples"), KEYS, "1"),
    gpuPart(
      "rel",
      q("latest_sessions"),
      normalizedKeys(hourOf("session_start_ts")),
      `session_start_ts > ${EPOCH_FLOOR} AND ${sessionEligible(o)}`,
    ),
    gpuPart(
      "lat",
      q("latest_latency"),
      normalizedKeys(hourOf("sample_ts")),
      `sample_ts > ${EPOCH_FLOOR} AND ${latencyEligible(o)}`,
    ),
  ];
  const merged = GPU_MEASURES.map((m) => `${m.merge}(${m.name}) AS ${m.name}`).join(",\n        ");
  const lat = LATENCY_KPIS.map(([short]) => short);
  const [p2ff, startup, e2e] = lat;
  const hourly: ViewStatement = {
    name: "v_serving_gpu_metrics_1h",
    sql: `-- GPU metrics per (hour, orchestrator, pipeline, model, GPU, region), ingest-and-storage.md 4.4.
-- Performance uses the hour of each status sample, reliability the hour of the session start,
-- latency the session start of the latest serving-version latency row.
-- SDK fix (11.13): every part normalizes nullable key parts with nullIf(x, ''), so one logical key
-- yields one row (the reference kept '' in the reliability part and NULL elsewhere, producing two rows
-- that shared the measures).
-- SDK fix (11.13): terminal-tail artifacts are removed per session-hour (serving_status_samples),
-- never the whole key-hour.
-- serving_status_samples carries output_fps as Float64 (Float32 aggregates lose precision).
-- SDK fix (11.9): reliability counts read latest_sessions (one revision per session), never a
-- rollup that sums session revisions.
WITH
${gpuDimCte(o)},
parts AS (
${parts.join("\n    UNION ALL\n")}
)
SELECT
    ${passThrough("m", GPU_KEY_COLUMNS, ",\n    ")},
    ${DIM_COLUMNS},
    ${passThrough("m", PERF_COLUMNS, ",\n    ")},
    if(m.valid_${p2ff} > 0, m.avg_${p2ff}, NULL) AS prompt_to_first_frame_ms,
    if(m.valid_${startup} > 0, m.avg_${startup}, NULL) AS startup_time_ms,
    if(m.valid_${startup} > 0, m.avg_${startup} / 1000, NULL) AS startup_time_s,
    if(m.valid_${e2e} > 0, m.avg_${e2e}, NULL) AS e2e_latency_ms,
    if(m.valid_${p2ff} > 0, m.p95_${p2ff}, NULL) AS p95_prompt_to_first_frame_ms,
    if(m.valid_${startup} > 0, m.p95_${startup}, NULL) AS p95_startup_time_ms,
    if(m.valid_${e2e} > 0, m.p95_${e2e}, NULL) AS p95_e2e_latency_ms,
    m.valid_${p2ff} AS valid_prompt_to_first_frame_count,
    m.valid_${startup} AS valid_startup_time_count,
    m.valid_${e2e} AS valid_e2e_latency_count,
    ${passThrough("m", ["known_sessions", "startup_success_sessions", "excused_sessions", ...SESSION_COUNTER_NAMES], ",\n    ")},
    -- SDK fix (4.8, 11.11): the reported health ratio is clamped to [0, 1] (capHealthRatio).
    ${healthCompletenessRatio(o, "m")},
    ${ratio(o, "ifNull(m.unexcused_sessions / nullIf(m.known_sessions, 0), 0)")} AS failure_rate,
    ${ratio(o, "ifNull(m.swapped_sessions / nullIf(m.known_sessions, 0), 0)")} AS swap_rate
FROM (
    SELECT
        ${KEYS},
        ${merged}
    FROM parts
    WHERE orchestrator_address != '' AND ifNull(gpu_id, '') != ''
    GROUP BY ${KEYS}
) AS m
${DIM_JOIN}`,
  };
  const minute: ViewStatement = {
    name: "v_serving_gpu_metrics_1m",
    sql: `-- GPU performance per (minute, gateway, orchestrator, pipeline, model, GPU, region) from the latest
-- serving-eligible status samples (ingest-and-storage.md 4.10, design note 000's name). Same filters as
-- the hourly view (non-empty orchestrator and GPU, terminal-tail session-hours removed), so its
-- status_samples sum to the hourly view's per hour and key.
WITH
${gpuDimCte(o)}
SELECT
    ${passThrough("m", ["window_start", "gateway", ...GPU_KEY_COLUMNS.slice(1)], ",\n    ")},
    ${DIM_COLUMNS},
    ${passThrough("m", [...PERF_COLUMNS, "total_sessions"], ",\n    ")}
FROM (
    SELECT
        ${minuteOf("sample_ts")} AS minute_start,
        minute_start AS window_start,
        gateway, orchestrator_address, pipeline, model_id, gpu_id, region,
        avg(output_fps) AS avg_output_fps,
        toFloat64(quantileTDigest(0.95)(output_fps)) AS p95_output_fps,
        stddevPop(output_fps) / nullIf(avg(output_fps), 0) AS jitter_coeff_fps,
        count() AS status_samples,
        uniqExact(workflow_session_id) AS total_sessions
    FROM ${q("serving_status_samples")}
    WHERE orchestrator_address != '' AND ifNull(gpu_id, '') != ''
    GROUP BY minute_start, gateway, orchestrator_address, pipeline, model_id, gpu_id, region
) AS m
${DIM_JOIN}`,
  };
  const jitter: ViewStatement = {
    name: "v_api_jitter_5m",
    sql: `-- FPS jitter per 5-minute bucket and (orchestrator, pipeline, model, GPU, region), read directly from
-- agg_stream_performance_1m (ingest-and-storage.md 4.7, 4.10), buckets with fewer than
-- ${o.jitterMinSamples} status samples are dropped (V-B rule).
SELECT
    ${fiveMinutesOf("window_start")} AS window_start_5m,
    orchestrator_address,
    pipeline,
    model_id,
    gpu_id,
    region,
    avgMerge(output_fps_avg_state) AS avg_output_fps,
    stddevPopMerge(fps_jitter_num_state) / nullIf(avgMerge(fps_jitter_den_state), 0) AS jitter_coeff_fps,
    countMerge(sample_count_state) AS status_samples
FROM ${q("agg_stream_performance_1m")}
GROUP BY window_start_5m, orchestrator_address, pipeline, model_id, gpu_id, region
HAVING status_samples >= ${o.jitterMinSamples}`,
  };
  return [hourly, minute, jitter];
}
