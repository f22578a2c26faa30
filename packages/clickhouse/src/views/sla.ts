/**
 * `v_serving_sla_1h` (`ingest-and-storage.md` §4.8) and the diagnostic views (§4.9).
 *
 * @module
 */
import type { ResolvedViewOptions } from "./options.js";
import { EPOCH_FLOOR, qualify, ratio } from "./sql.js";
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
        AND (window_start, workflow_session_id, orchestrator_address, pipeline,
            ifNull(model_id, ''), ifNull(gpu_id, ''), ifNull(region, '')) NOT IN (
            SELECT window_start, workflow_session_id, orchestrator_address, pipeline,
                ifNull(model_id, ''), ifNull(gpu_id, ''), ifNull(region, '')
            FROM ${q("status_tail_artifact_session_hours")}
        )
)
SELECT
    g.window_start AS window_start,
    g.orchestrator_address AS orchestrator_address,
    g.pipeline AS pipeline,
    g.model_id AS model_id,
    g.gpu_id AS gpu_id,
    g.region AS region,
    g.known_sessions AS known_sessions,
    g.startup_success_sessions AS startup_success_sessions,
    g.excused_sessions AS excused_sessions,
    g.unexcused_sessions AS unexcused_sessions,
    g.confirmed_swapped_sessions AS confirmed_swapped_sessions,
    g.inferred_orchestrator_change_sessions AS inferred_orchestrator_change_sessions,
    g.swapped_sessions AS swapped_sessions,
    g.sessions_with_errors AS sessions_with_errors,
    g.sessions_with_last_error AS sessions_with_last_error,
    g.loading_only_sessions AS loading_only_sessions,
    g.zero_output_fps_sessions AS zero_output_fps_sessions,
    g.status_error_samples AS status_error_samples,
    g.health_signal_count AS health_signal_count,
    g.health_expected_signal_count AS health_expected_signal_count,
    ${ratio(o, "ifNull(g.health_signal_count / nullIf(g.health_expected_signal_count, 0), 1.0)")} AS health_completeness_ratio,
    ${ratio(o, "1 - g.unexcused_sessions / nullIf(g.known_sessions, 0)")} AS startup_success_ratio,
    ${ratio(o, "1 - g.effective_failed_sessions / nullIf(g.known_sessions, 0)")} AS success_ratio,
    ${ratio(o, "1 - g.swapped_sessions / nullIf(g.known_sessions, 0)")} AS no_swap_ratio,
    ${o.capHealthRatio ? `least(100, greatest(0, ${score}))` : score} AS sla_score
FROM (
    SELECT
        sh.window_start AS window_start,
        sh.orchestrator_address AS orchestrator_address,
        sh.pipeline AS pipeline,
        sh.model_id AS model_id,
        sh.gpu_id AS gpu_id,
        sh.region AS region,
        sum(s.known_stream) AS known_sessions,
        sum(s.startup_success) AS startup_success_sessions,
        sum(s.startup_excused) AS excused_sessions,
        sum(s.startup_unexcused) AS unexcused_sessions,
        countIf(s.confirmed_swap_count > 0) AS confirmed_swapped_sessions,
        countIf(s.inferred_orchestrator_change_count > 0) AS inferred_orchestrator_change_sessions,
        countIf(s.confirmed_swap_count > 0 OR s.inferred_orchestrator_change_count > 0)
            AS swapped_sessions,
        countIf(s.error_count > 0) AS sessions_with_errors,
        countIf(s.last_error_occurred > 0) AS sessions_with_last_error,
        countIf(s.loading_only_session > 0) AS loading_only_sessions,
        countIf(s.zero_output_fps_session > 0) AS zero_output_fps_sessions,
        countIf(s.loading_only_session > 0 OR s.zero_output_fps_session > 0) AS no_output_sessions,
        countIf(s.startup_unexcused > 0 OR s.zero_output_fps_session > 0
            OR s.loading_only_session > 0) AS effective_failed_sessions,
        sum(s.status_error_sample_count) AS status_error_samples,
        sum(s.health_signal_count) AS health_signal_count,
        sum(s.health_expected_signal_count) AS health_expected_signal_count
    FROM sh
    INNER JOIN ${q("latest_sessions")} AS s ON s.workflow_session_id = sh.workflow_session_id
    GROUP BY window_start, orchestrator_address, pipeline, model_id, gpu_id, region
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
