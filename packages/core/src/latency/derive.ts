/**
 * Latency derivation (`lifecycle.md` §6, §8.5): `v1` (reference code) and `v2` (edge-spec
 * document) KPIs with null reasons, one `fact_workflow_latency_samples` row per emitted session
 * row and configured version.
 *
 * @module
 */
import type { AttributionMethod } from "../attribution/types.js";

/**
 * Latency definition label.
 *
 * @category Latency
 */
export type LatencySemanticsVersion = "v1" | "v2";

/**
 * Why a KPI is null (`lifecycle.md` §8.5). `cross_clock_domain` is reserved and never emitted.
 *
 * @category Latency
 */
export type LatencyNullReason =
  | ""
  | "missing_both_edges"
  | "missing_start_edge"
  | "missing_end_edge"
  | "negative_interval"
  | "cross_clock_domain";

/**
 * One interval: its value in ms (`null` when it cannot be computed) and the reason.
 *
 * @category Latency
 */
export interface DerivedInterval {
  /** `end − start` in milliseconds, ≥ 0, or `null`. */
  readonly ms: number | null;
  /** `""` when `ms` is non-null, else why not. */
  readonly nullReason: LatencyNullReason;
}

/**
 * `deriveMs` with null reasons: null if either edge is null or `end − start < 0`; 0 is valid.
 *
 * @category Latency
 * @example
 * deriveInterval(1000, 1200) // { ms: 200, nullReason: "" }
 * deriveInterval(2000, 1000) // { ms: null, nullReason: "negative_interval" }
 */
export function deriveInterval(start: number | null, end: number | null): DerivedInterval {
  if (start === null && end === null) return { ms: null, nullReason: "missing_both_edges" };
  if (start === null) return { ms: null, nullReason: "missing_start_edge" };
  if (end === null) return { ms: null, nullReason: "missing_end_edge" };
  const d = end - start;
  return d < 0 ? { ms: null, nullReason: "negative_interval" } : { ms: d, nullReason: "" };
}

/**
 * The edges a latency row is derived from (session-accumulator values, epoch ms or `null`).
 *
 * @category Latency
 */
export interface LatencyEdges {
  /** `gateway_receive_stream_request` (gateway clock). */
  readonly firstStreamRequestTs: number | null;
  /** `gateway_receive_first_processed_segment` (gateway clock). */
  readonly firstProcessedTs: number | null;
  /** `gateway_receive_few_processed_segments` (gateway clock). */
  readonly firstPlayableTs: number | null;
  /** Min positive status `start_time` (runner clock). */
  readonly firstStartTimeMs: number | null;
  /** `gateway_send_first_ingest_segment` (gateway clock). */
  readonly firstIngestSentTs: number | null;
  /** `runner_send_first_processed_segment` (runner clock). */
  readonly firstRunnerProcessedTs: number | null;
}

/**
 * The three KPIs of one semantics version.
 *
 * @category Latency
 */
export interface LatencyKpis {
  /** v1: request → first processed. v2: status `start_time` → playable ("prompt-to-playable"). */
  readonly promptToFirstFrame: DerivedInterval;
  /** v1: first processed → playable. v2: request → first processed ("startup proxy"). */
  readonly startupTime: DerivedInterval;
  /** v1: request → playable. v2: first ingest sent → runner first processed ("E2E proxy"). */
  readonly e2eLatency: DerivedInterval;
}

/**
 * KPIs of one version from the edges.
 *
 * @category Latency
 */
export function deriveLatencyKpis(
  edges: LatencyEdges,
  version: LatencySemanticsVersion,
): LatencyKpis {
  if (version === "v1") {
    return {
      promptToFirstFrame: deriveInterval(edges.firstStreamRequestTs, edges.firstProcessedTs),
      startupTime: deriveInterval(edges.firstProcessedTs, edges.firstPlayableTs),
      e2eLatency: deriveInterval(edges.firstStreamRequestTs, edges.firstPlayableTs),
    };
  }
  return {
    promptToFirstFrame: deriveInterval(edges.firstStartTimeMs, edges.firstPlayableTs),
    startupTime: deriveInterval(edges.firstStreamRequestTs, edges.firstProcessedTs),
    e2eLatency: deriveInterval(edges.firstIngestSentTs, edges.firstRunnerProcessedTs),
  };
}

/**
 * The session-row columns a latency row copies.
 *
 * @category Latency
 */
export interface LatencySessionColumns {
  /** Session identity. */
  readonly workflow_session_id: string;
  /** Stream id. */
  readonly stream_id: string;
  /** Request id. */
  readonly request_id: string;
  /** Gateway. */
  readonly gateway: string;
  /** Canonical orchestrator address or `""`. */
  readonly orchestrator_address: string;
  /** Canonical pipeline or `""`. */
  readonly pipeline: string;
  /** Model id (nullable). */
  readonly model_id: string | null;
  /** GPU UUID (nullable). */
  readonly gpu_id: string | null;
  /** Region (nullable). */
  readonly region: string | null;
  /** Session start, epoch ms. */
  readonly session_start_ts: number;
  /** Attribution method. */
  readonly gpu_attribution_method: AttributionMethod;
  /** Attribution confidence (float32). */
  readonly gpu_attribution_confidence: number;
  /** Session row version. */
  readonly version: number;
}

/**
 * One row of `fact_workflow_latency_samples` (`lifecycle.md` §6.1, §8.5). Identity:
 * `(workflow_session_id, edge_semantics_version)`; `version` equals the session row's.
 *
 * @category Latency
 */
export interface LatencyRow {
  /** The session row's `session_start_ts`, epoch ms. */
  readonly sample_ts: number;
  /** Session identity (copied). */
  readonly workflow_session_id: string;
  /** Copied from the session row. */
  readonly stream_id: string;
  /** Copied from the session row. */
  readonly request_id: string;
  /** Copied from the session row. */
  readonly gateway: string;
  /** Copied from the session row (canonical or `""`). */
  readonly orchestrator_address: string;
  /** Copied from the session row. */
  readonly pipeline: string;
  /** Copied (nullable). */
  readonly model_id: string | null;
  /** Copied (nullable). */
  readonly gpu_id: string | null;
  /** Copied (always null). */
  readonly region: string | null;
  /** Milliseconds, ≥ 0, or `null` (see the null reason). */
  readonly prompt_to_first_frame_ms: number | null;
  /** Milliseconds, ≥ 0, or `null`. */
  readonly startup_time_ms: number | null;
  /** Milliseconds, ≥ 0, or `null`. */
  readonly e2e_latency_ms: number | null;
  /** 1 iff `prompt_to_first_frame_ms` is non-null. */
  readonly has_prompt_to_first_frame: 0 | 1;
  /** 1 iff `startup_time_ms` is non-null. */
  readonly has_startup_time: 0 | 1;
  /** 1 iff `e2e_latency_ms` is non-null. */
  readonly has_e2e_latency: 0 | 1;
  /** `v1` or `v2`. */
  readonly edge_semantics_version: LatencySemanticsVersion;
  /** The session row's version. */
  readonly version: number;
  /** Why `prompt_to_first_frame_ms` is null, else `""`. */
  readonly prompt_to_first_frame_null_reason: LatencyNullReason;
  /** Why `startup_time_ms` is null, else `""`. */
  readonly startup_time_null_reason: LatencyNullReason;
  /** Why `e2e_latency_ms` is null, else `""`. */
  readonly e2e_latency_null_reason: LatencyNullReason;
  /** Copied from the session row. */
  readonly gpu_attribution_method: AttributionMethod;
  /** Copied from the session row (float32). */
  readonly gpu_attribution_confidence: number;
}

/** `deriveInterval(start, end).ms` without allocating. */
function intervalMs(start: number | null, end: number | null): number | null {
  if (start === null || end === null) return null;
  const d = end - start;
  return d < 0 ? null : d;
}

/** `deriveInterval(start, end).nullReason` without allocating. */
function intervalReason(start: number | null, end: number | null): LatencyNullReason {
  if (start === null) return end === null ? "missing_both_edges" : "missing_start_edge";
  if (end === null) return "missing_end_edge";
  return end - start < 0 ? "negative_interval" : "";
}

/**
 * One latency row for a session row and a version.
 *
 * @category Latency
 */
export function toLatencyRow(
  session: LatencySessionColumns,
  edges: LatencyEdges,
  version: LatencySemanticsVersion,
): LatencyRow {
  // Edge pairs per version (see deriveLatencyKpis); computed inline on this hot path.
  const v1 = version === "v1";
  const pStart = v1 ? edges.firstStreamRequestTs : edges.firstStartTimeMs;
  const pEnd = v1 ? edges.firstProcessedTs : edges.firstPlayableTs;
  const sStart = v1 ? edges.firstProcessedTs : edges.firstStreamRequestTs;
  const sEnd = v1 ? edges.firstPlayableTs : edges.firstProcessedTs;
  const eStart = v1 ? edges.firstStreamRequestTs : edges.firstIngestSentTs;
  const eEnd = v1 ? edges.firstPlayableTs : edges.firstRunnerProcessedTs;
  const p = intervalMs(pStart, pEnd);
  const st = intervalMs(sStart, sEnd);
  const e = intervalMs(eStart, eEnd);
  return {
    sample_ts: session.session_start_ts,
    workflow_session_id: session.workflow_session_id,
    stream_id: session.stream_id,
    request_id: session.request_id,
    gateway: session.gateway,
    orchestrator_address: session.orchestrator_address,
    pipeline: session.pipeline,
    model_id: session.model_id,
    gpu_id: session.gpu_id,
    region: session.region,
    prompt_to_first_frame_ms: p,
    startup_time_ms: st,
    e2e_latency_ms: e,
    has_prompt_to_first_frame: p === null ? 0 : 1,
    has_startup_time: st === null ? 0 : 1,
    has_e2e_latency: e === null ? 0 : 1,
    edge_semantics_version: version,
    version: session.version,
    prompt_to_first_frame_null_reason: p === null ? intervalReason(pStart, pEnd) : "",
    startup_time_null_reason: st === null ? intervalReason(sStart, sEnd) : "",
    e2e_latency_null_reason: e === null ? intervalReason(eStart, eEnd) : "",
    gpu_attribution_method: session.gpu_attribution_method,
    gpu_attribution_confidence: session.gpu_attribution_confidence,
  };
}

/**
 * Latency rows of a session row for every configured version, in list order.
 *
 * @category Latency
 */
export function deriveLatencyRows(
  session: LatencySessionColumns,
  edges: LatencyEdges,
  versions: readonly LatencySemanticsVersion[],
): LatencyRow[] {
  const out: LatencyRow[] = [];
  for (const v of versions) out.push(toLatencyRow(session, edges, v));
  return out;
}
