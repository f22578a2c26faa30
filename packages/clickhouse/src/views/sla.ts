/**
 * `v_serving_sla_1h` (`ingest-and-storage.md` §4.8) and the diagnostic views (§4.9).
 *
 * @module
 */
import type { ResolvedViewOptions } from "./options.js";
import {
  EPOCH_FLOOR,
  GPU_KEY_COLUMNS,
  SESSION_COUNTER_NAMES,
  healthCompletenessRatio,
  notTailSessionHour,
  passThrough,
  qualify,
  ratio,
  sessionCounters,
} from "./sql.js";
import type { ViewStatement } from "./types.js";

/** Statements of the SLA and diagnostic views. */
export function slaStatements(o: ResolvedViewOptions): ViewStatement[] {
  const q = (name: string): string => qualify(o, name);
  const w = o.slaWeights;
  const health = o.slaHealthMultiplier ? "health_completeness_ratio" : "1";
  const score =
    `(${w.startup} * ${ratio(o, "1 - g.unexcused_sessions / nullIf(g.known_sessions, 0)")}` +
    ` + ${w.noSwap} * ${ratio(o, "1 - g.swapped_sessions / nullIf(g.known_sessions, 0)")}` +
    ` + ${w.output} * ${ratio(o, "1 - g.no_output_sessions / nullIf(g.known_sessions, 0)")})` +
    ` * ${health} * 100`;
  const sla: ViewStatement = {
    name: "v_serving_sla_1h",
    sql: `-- SLA per (hour, orchestrator, pipeline, model, GPU, region) where hour and key come from attributed
-- status samples (status_session_hours), ingest-and-storage.md 4.8: one row per session per hour in
-- which it had attributed status, minus terminal-tail session-hours, summed per key. Counts are not
-- additive across hours.
-- SDK fix (4.8, 11.11, capHealthRatio = ${o.capHealthRatio}): the health ratio H and every ratio are
-- clamped to [0, 1] and the score to [0, 100], the reference let H exceed 1 (scores above 100) when a
-- group held unknown sessions with health signals but nothing expected.
-- Score = (${w.startup} * startup + ${w.noSwap} * no-swap + ${w.output} * output) * ${o.slaHealthMultiplier ? "H" : "1"} * 100, NULL without known sessions.
WITH sh AS (
    SELECT window_start, workflow_session_id, orchestrator_address, pipeline, model_id, gpu_id, region
    FROM ${q("status_session_hours")}
    WHERE window_start > ${EPOCH_FLOOR}
        AND orchestrator_address != ''
        AND ${notTailSessionHour("window_start", q("status_tail_artifact_session_hours"), "        ")}
)
SELECT
    ${passThrough("g", GPU_KEY_COLUMNS, ",\n    ")},
    ${passThrough("g", ["known_sessions", "startup_success_sessions", "excused_sessions", ...SESSION_COUNTER_NAMES], ",\n    ")},
    ${healthCompletenessRatio(o, "g")},
    ${ratio(o, "1 - g.unexcused_sessions / nullIf(g.known_sessions, 0)")} AS startup_success_ratio,
    ${ratio(o, "1 - g.effective_failed_sessions / nullIf(g.known_sessions, 0)")} AS success_ratio,
    ${ratio(o, "1 - g.swapped_sessions / nullIf(g.known_sessions, 0)")} AS no_swap_ratio,
    ${o.capHealthRatio ? `least(100, greatest(0, ${score}))` : score} AS sla_score
FROM (
    SELECT
        ${passThrough("sh", GPU_KEY_COLUMNS, ",\n        ")},
        sum(s.known_stream) AS known_sessions,
        sum(s.startup_success) AS startup_success_sessions,
        sum(s.startup_excused) AS excused_sessions,
        ${sessionCounters((c) => `s.${c}`)
          .map(([name, expr]) => `${expr} AS ${name}`)
          .join(",\n        ")},
        countIf(s.loading_only_session > 0 OR s.zero_output_fps_session > 0) AS no_output_sessions,
        countIf(s.startup_unexcused > 0 OR s.zero_output_fps_session > 0
            OR s.loading_only_session > 0) AS effective_failed_sessions
    FROM sh
    INNER JOIN ${q("latest_sessions")} AS s ON s.workflow_session_id = sh.workflow_session_id
    GROUP BY ${GPU_KEY_COLUMNS.join(", ")}
) AS g`,
  };
  const freshness: ViewStatement = {
    name: "v_health_rollup_freshness",
    sql: `-- Freshness of the two inputs of the serving layer (ingest-and-storage.md 4.9).
SELECT
    'fact_stream_status_samples' AS table_name,
    max(sample_ts) AS latest_event_ts,
    now64(3) AS checked_at,
    dateDiff('minute', max(sample_ts), now64(3)) AS lag_minutes
FROM ${q("fact_stream_status_samples")}
UNION ALL
SELECT
    'fact_workflow_sessions' AS table_name,
    max(session_start_ts) AS latest_event_ts,
    now64(3) AS checked_at,
    dateDiff('minute', max(session_start_ts), now64(3)) AS lag_minutes
FROM ${q("fact_workflow_sessions")}`,
  };
  const identity: ViewStatement = {
    name: "v_api_session_identity",
    sql: `-- Latest identity of every session (ingest-and-storage.md 4.9).
SELECT
    workflow_session_id,
    orchestrator_address,
    stream_id,
    request_id,
    session_start_ts,
    session_end_ts,
    version AS latest_version
FROM ${q("latest_sessions")}`,
  };
  return [sla, freshness, identity];
}
