/**
 * The compact serving fact (`lifecycle.md` §8.6): a projection of a session row and its latency
 * row of the serving semantics version. Emitted only when `emitServingFact` is on.
 *
 * @module
 */
import type { LatencyRow } from "../latency/derive.js";
import type { SessionRow } from "./session.js";

/**
 * One row of `fact_workflow_session_serving`: the listed session columns plus the latency KPIs
 * of the serving version.
 *
 * @category Lifecycle
 */
export type ServingRow = Pick<
  SessionRow,
  | "workflow_session_id"
  | "version"
  | "session_start_ts"
  | "session_end_ts"
  | "stream_closed_ts"
  | "gateway"
  | "orchestrator_address"
  | "pipeline"
  | "model_id"
  | "gpu_id"
  | "region"
  | "gpu_attribution_method"
  | "gpu_attribution_confidence"
  | "known_stream"
  | "startup_success"
  | "startup_excused"
  | "startup_unexcused"
  | "served_session"
  | "unserved_session"
  | "service_failure_reason"
  | "confirmed_swap_count"
  | "inferred_orchestrator_change_count"
  | "loading_only_session"
  | "zero_output_fps_session"
  | "health_completeness_ratio"
  | "orchestrator_assigned_ts"
  | "served_duration_ms"
  | "active_duration_ms"
  | "capacity_units_at_start"
  | "capacity_snapshot_ts"
  | "attribution_source"
> &
  Pick<
    LatencyRow,
    | "prompt_to_first_frame_ms"
    | "startup_time_ms"
    | "e2e_latency_ms"
    | "prompt_to_first_frame_null_reason"
    | "startup_time_null_reason"
    | "e2e_latency_null_reason"
    | "edge_semantics_version"
  >;

/**
 * Projects a session row and its serving-version latency row.
 *
 * @category Lifecycle
 */
export function toServingRow(s: SessionRow, l: LatencyRow): ServingRow {
  return {
    workflow_session_id: s.workflow_session_id,
    version: s.version,
    session_start_ts: s.session_start_ts,
    session_end_ts: s.session_end_ts,
    stream_closed_ts: s.stream_closed_ts,
    gateway: s.gateway,
    orchestrator_address: s.orchestrator_address,
    pipeline: s.pipeline,
    model_id: s.model_id,
    gpu_id: s.gpu_id,
    region: s.region,
    gpu_attribution_method: s.gpu_attribution_method,
    gpu_attribution_confidence: s.gpu_attribution_confidence,
    known_stream: s.known_stream,
    startup_success: s.startup_success,
    startup_excused: s.startup_excused,
    startup_unexcused: s.startup_unexcused,
    served_session: s.served_session,
    unserved_session: s.unserved_session,
    service_failure_reason: s.service_failure_reason,
    confirmed_swap_count: s.confirmed_swap_count,
    inferred_orchestrator_change_count: s.inferred_orchestrator_change_count,
    loading_only_session: s.loading_only_session,
    zero_output_fps_session: s.zero_output_fps_session,
    health_completeness_ratio: s.health_completeness_ratio,
    orchestrator_assigned_ts: s.orchestrator_assigned_ts,
    served_duration_ms: s.served_duration_ms,
    active_duration_ms: s.active_duration_ms,
    capacity_units_at_start: s.capacity_units_at_start,
    capacity_snapshot_ts: s.capacity_snapshot_ts,
    attribution_source: s.attribution_source,
    prompt_to_first_frame_ms: l.prompt_to_first_frame_ms,
    startup_time_ms: l.startup_time_ms,
    e2e_latency_ms: l.e2e_latency_ms,
    prompt_to_first_frame_null_reason: l.prompt_to_first_frame_null_reason,
    startup_time_null_reason: l.startup_time_null_reason,
    e2e_latency_null_reason: l.e2e_latency_null_reason,
    edge_semantics_version: l.edge_semantics_version,
  };
}
