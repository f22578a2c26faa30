/**
 * Building blocks shared by the serving views (`ingest-and-storage.md` §3.8, §4.1, §4.2): the
 * latest-row views of the versioned facts, the status session-hours, the terminal-tail artifacts and
 * the `agg_stream_performance_1m` view.
 *
 * @module
 */
import { getTable, type TableName } from "../schema/columns.js";
import type { ResolvedViewOptions } from "./options.js";
import { quoteString } from "../executor/executor.js";
import {
  argMaxColumns,
  hourOf,
  minuteOf,
  notTailSessionHour,
  nullableKeyParts,
  qualify,
  statusEligible,
} from "./sql.js";
import type { ViewStatement } from "./types.js";

/** Status states that count as "running" in the tail predicate (`ingest-and-storage.md` §4.1). */
const RUNNING_STATES = "('ONLINE', 'DEGRADED_INFERENCE', 'DEGRADED_INPUT')";

/** Columns of a fact that the latest-row view resolves with `argMax` (everything but identity, version, server-filled). */
function resolvedColumns(table: TableName): string[] {
  const t = getTable(table);
  const identity = new Set(t.identity ?? []);
  return t.columns
    .filter(
      (c) =>
        c.materialized === undefined &&
        c.name !== "version" &&
        c.name !== "ingestion_timestamp" &&
        !identity.has(c.name),
    )
    .map((c) => c.name);
}

/** Identity columns of a versioned fact (`ingest-and-storage.md` §3.8). */
export function identityOf(table: TableName): readonly string[] {
  const identity = getTable(table).identity;
  if (identity === null) throw new RangeError(`${table} is not a versioned fact`);
  return identity;
}

/**
 * Latest row per identity with `argMax(col, version)` (the 3.8 reader rule). The version is renamed
 * `_version` in an inner query so that the output alias `version` cannot shadow the argument of the
 * other `argMax` calls.
 */
export function latestByArgMax(
  o: Pick<ResolvedViewOptions, "database">,
  table: TableName,
  where?: string,
): string {
  const identity = identityOf(table);
  const filter = where === undefined ? "" : `\n    WHERE ${where}`;
  return `SELECT
    ${identity.join(",\n    ")},
    max(_version) AS version,
${argMaxColumns(resolvedColumns(table), "_version")}
FROM (
    SELECT *, version AS _version
    FROM ${qualify(o, table)}${filter}
)
GROUP BY ${identity.join(", ")}`;
}

/** The building-block statements, in dependency order. */
export function blockStatements(o: ResolvedViewOptions): ViewStatement[] {
  const q = (name: string): string => qualify(o, name);
  const latestSessions: ViewStatement = {
    name: "latest_sessions",
    sql: `-- Latest revision of every session: argMax(col, version) grouped by workflow_session_id
-- (ingest-and-storage.md 3.8). One named view used by every serving view (decision 69), FINAL alone is
-- not exact for sessions because their partition follows the moving session start.
${latestByArgMax(o, "fact_workflow_sessions")}`,
  };
  const latestSegments: ViewStatement = {
    name: "latest_segments",
    sql: `-- Latest revision per (workflow_session_id, segment_index), retracted identities are dropped
-- (ingest-and-storage.md 3.8, attribution.md 7.2).
SELECT * FROM (
${latestByArgMax(o, "fact_workflow_session_segments")}
)
WHERE is_retracted = 0`,
  };
  const latestStatus: ViewStatement = {
    name: "latest_status",
    sql: `-- Latest row per status key. FINAL is exact here: partition and sort key are functions of the
-- immutable identity (workflow_session_id, sample_ts, source_event_uid), ingest-and-storage.md 3.8.
SELECT * FROM ${q("fact_stream_status_samples")} FINAL`,
  };
  const latestTrace: ViewStatement = {
    name: "latest_trace_edges",
    sql: `-- Latest row per trace-edge key (FINAL is exact, as for status samples).
SELECT * FROM ${q("fact_stream_trace_edges")} FINAL`,
  };
  const latestLatency: ViewStatement = {
    name: "latest_latency",
    sql: `-- Latest latency row per (workflow_session_id, edge_semantics_version) of the serving latency
-- definition servingEdgeSemanticsVersion = ${o.servingEdgeSemanticsVersion} (lifecycle.md 6.3).
${latestByArgMax(o, "fact_workflow_latency_samples", `edge_semantics_version = ${quoteString(o.servingEdgeSemanticsVersion)}`)}`,
  };
  const aggPerf: ViewStatement = {
    name: "agg_stream_performance_1m",
    sql: `-- SDK fix (ingest-and-storage.md 3.1.1, 11.8, 11.9): a VIEW, not an AggregatingMergeTree fed by an
-- insert-time MV. It groups the latest attributed status rows by all seven dimension columns, so no
-- background merge can collapse rows of different gateways/pipelines/models/regions (sort-key
-- collapse), and a status row revised in correction mode is counted once (version over-count).
SELECT
    ${minuteOf("sample_ts")} AS window_start,
    gateway,
    orchestrator_address,
    pipeline,
    ${nullableKeyParts(",\n    ")},
    uniqExactState(workflow_session_id) AS sessions_uniq_state,
    uniqExactState(stream_id) AS streams_uniq_state,
    -- output_fps is Float32 and stddevPop over Float32 accumulates in Float32 (the 21:49 jitter of the
    -- real sample would read 0.003846 instead of 0.003852): every fps aggregate takes Float64.
    avgState(toFloat64(output_fps)) AS output_fps_avg_state,
    quantileTDigestState(0.95)(toFloat64(output_fps)) AS output_fps_p95_state,
    stddevPopState(toFloat64(output_fps)) AS fps_jitter_num_state,
    avgState(toFloat64(output_fps)) AS fps_jitter_den_state,
    countState() AS sample_count_state
FROM ${q("latest_status")}
WHERE ${statusEligible(o)}
GROUP BY window_start, gateway, orchestrator_address, pipeline, model_id, gpu_id, region`,
  };
  const statusSessionHours: ViewStatement = {
    name: "status_session_hours",
    sql: `-- One row per (hour, session, key) with attributed status samples (ingest-and-storage.md 4.1),
-- nullable key parts normalized with nullIf(x, '') (11.13).
SELECT
    ${hourOf("sample_ts")} AS window_start,
    workflow_session_id,
    orchestrator_address,
    pipeline,
    ${nullableKeyParts(",\n    ")},
    count() AS status_samples,
    countIf(output_fps > 0) AS fps_positive_samples,
    countIf(state IN ${RUNNING_STATES}) AS running_state_samples,
    toUInt8(1) AS has_status_row
FROM ${q("latest_status")}
WHERE ${statusEligible(o)}
GROUP BY window_start, workflow_session_id, orchestrator_address, pipeline, model_id, gpu_id, region`,
  };
  const tail: ViewStatement = {
    name: "status_tail_artifact_session_hours",
    sql: `-- Terminal-tail artifacts (ingest-and-storage.md 4.1), one row per SESSION-hour: the session started
-- before the hour and ended inside it, and both this and the previous hour of the same session and
-- key have < 3 samples, no positive fps and no running state.
SELECT sh.window_start AS window_start, sh.workflow_session_id AS workflow_session_id,
    sh.orchestrator_address AS orchestrator_address, sh.pipeline AS pipeline,
    sh.model_id AS model_id, sh.gpu_id AS gpu_id, sh.region AS region
FROM ${q("status_session_hours")} AS sh
INNER JOIN ${q("latest_sessions")} AS s ON s.workflow_session_id = sh.workflow_session_id
INNER JOIN ${q("status_session_hours")} AS prev
    ON prev.workflow_session_id = sh.workflow_session_id
    AND prev.orchestrator_address = sh.orchestrator_address
    AND prev.pipeline = sh.pipeline
    AND ifNull(prev.model_id, '') = ifNull(sh.model_id, '')
    AND ifNull(prev.gpu_id, '') = ifNull(sh.gpu_id, '')
    AND ifNull(prev.region, '') = ifNull(sh.region, '')
    AND prev.window_start = sh.window_start - INTERVAL 1 HOUR
WHERE s.session_start_ts < sh.window_start
    AND s.session_end_ts IS NOT NULL
    AND s.session_end_ts >= sh.window_start
    AND s.session_end_ts < sh.window_start + INTERVAL 1 HOUR
    AND sh.fps_positive_samples = 0 AND sh.running_state_samples = 0 AND sh.status_samples < 3
    AND prev.fps_positive_samples = 0 AND prev.running_state_samples = 0 AND prev.status_samples < 3`,
  };
  const servingStatus: ViewStatement = {
    name: "serving_status_samples",
    sql: `-- Serving-eligible latest status samples (attribution.md 7.4 rule 1) with normalized keys, minus the
-- terminal-tail session-hours. SDK fix (11.13): the tail filter removes only the artifact session's
-- samples of that hour, the reference removed the whole key-hour, including healthy sessions.
SELECT
    sample_ts,
    ${hourOf("sample_ts")} AS window_start,
    workflow_session_id,
    stream_id,
    gateway,
    orchestrator_address,
    pipeline,
    ${nullableKeyParts(",\n    ")},
    state,
    toFloat64(output_fps) AS output_fps
FROM ${q("latest_status")}
WHERE ${statusEligible(o)}
    AND ${notTailSessionHour("window_start", q("status_tail_artifact_session_hours"), "    ")}`,
  };
  return [
    latestSessions,
    latestSegments,
    latestStatus,
    latestTrace,
    latestLatency,
    aggPerf,
    statusSessionHours,
    tail,
    servingStatus,
  ];
}
