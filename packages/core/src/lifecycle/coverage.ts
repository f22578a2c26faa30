/**
 * Edge-coverage diagnostics (`lifecycle.md` §7): one `fact_lifecycle_edge_coverage` row per
 * signal, from a compact accumulator fed the raw signal (no resolver, no attribution) by the
 * session reducer's own update of the fields it holds ({@link applySignalCore}).
 *
 * @module
 */
import {
  applySignalCore,
  initSessionState,
  TRACE,
  type SessionState,
  type SignalCoreState,
} from "./session.js";
import type { LifecycleSignal } from "./signal.js";

/** Current version of {@link CoverageState}. */
export const COVERAGE_STATE_VERSION = 1;

/**
 * The coverage accumulator of a session: the fields {@link applySignalCore} maintains (identity,
 * signal count and edge milestones of a {@link SessionState}, {@link SignalCoreState}), which hold
 * everything coverage rows read, updated by the session
 * reducer's own {@link applySignalCore} from the raw signals. Plain JSON. (Until lifecycle state
 * version 2 and correction state version 3, the accumulator was a whole {@link SessionState};
 * restoring such a state keeps these fields.)
 *
 * @category Lifecycle
 */
export interface CoverageState extends SignalCoreState {
  /** State schema version. */
  readonly v: typeof COVERAGE_STATE_VERSION;
}

/**
 * `unmatched_reason` vocabulary (`lifecycle.md` §7).
 *
 * @category Lifecycle
 */
export type UnmatchedReason =
  | ""
  | "missing_stream_request_edge"
  | "missing_first_processed_segment_edge"
  | "missing_playable_edge"
  | "awaiting_first_processed_segment_edge"
  | "awaiting_playable_edge";

/**
 * One row of `fact_lifecycle_edge_coverage`. Timestamps are epoch ms.
 *
 * @category Lifecycle
 */
export interface CoverageRow {
  /** Signal time, epoch ms. */
  readonly signal_ts: number;
  /** Session identity. */
  readonly workflow_session_id: string;
  /** First non-blank raw stream id. */
  readonly stream_id: string;
  /** First non-blank raw request id. */
  readonly request_id: string;
  /** First non-blank raw payload pipeline (a model label in legacy data). */
  readonly pipeline: string;
  /** First non-blank gateway. */
  readonly gateway: string;
  /** Always `""` (coverage never attributes). */
  readonly orchestrator_address: string;
  /** First non-blank model hint (nullable). */
  readonly model_id: string | null;
  /** Trace type of the signal, `""` for status and AI signals. */
  readonly trace_type: string;
  /** Signal uid. */
  readonly source_event_uid: string;
  /** 1 iff a request edge was seen. */
  readonly known_stream: 0 | 1;
  /** 1 iff a first-processed edge was seen. */
  readonly has_first_processed_edge: 0 | 1;
  /** 1 iff a playable edge was seen. */
  readonly has_first_playable_edge: 0 | 1;
  /** Known and a first-processed edge. */
  readonly startup_edge_matched: 0 | 1;
  /** Known and a playable edge. */
  readonly playable_edge_matched: 0 | 1;
  /** 1 for a `gateway_ingest_stream_closed` trace. */
  readonly is_terminal_signal: 0 | 1;
  /** Why the edges are incomplete, `""` when both are matched. */
  readonly unmatched_reason: UnmatchedReason;
  /** This accumulator's version (signals applied). */
  readonly version: number;
}

/**
 * A fresh coverage accumulator: the values of a fresh {@link SessionState} for its fields.
 *
 * @category Lifecycle
 */
export function initCoverageState(): CoverageState {
  const s = initSessionState();
  return {
    v: COVERAGE_STATE_VERSION,
    workflowSessionId: s.workflowSessionId,
    streamId: s.streamId,
    requestId: s.requestId,
    pipeline: s.pipeline,
    gateway: s.gateway,
    modelId: s.modelId,
    version: s.version,
    knownStream: s.knownStream,
    firstStreamRequestTs: s.firstStreamRequestTs,
    firstProcessedTs: s.firstProcessedTs,
    startupSuccess: s.startupSuccess,
    firstPlayableTs: s.firstPlayableTs,
  };
}

/**
 * The coverage accumulator of a state saved when it was a whole {@link SessionState}: its
 * {@link CoverageState} fields, in their current order (fields it lacks stay absent, values are
 * carried over as they are, for validation to report). Anything but a plain record is returned
 * unchanged. Pure.
 *
 * @internal
 */
export function compactCoverageRecord(value: unknown): unknown {
  if (typeof value !== "object" || value === null || Array.isArray(value)) return value;
  const full = value as Record<string, unknown>;
  const out: Record<string, unknown> = {};
  // The fields in the order a fresh accumulator has them, so snapshots come out the same.
  for (const k of Object.keys(initCoverageState())) if (Object.hasOwn(full, k)) out[k] = full[k];
  // The tag is the coverage state's own version, not the saved session accumulator's.
  if (Object.hasOwn(out, "v")) out["v"] = COVERAGE_STATE_VERSION;
  return out;
}

/**
 * `unmatched_reason` for a state and whether the signal is terminal.
 *
 * @category Lifecycle
 */
export function unmatchedReason(
  st: Pick<SessionState, "knownStream" | "firstProcessedTs" | "firstPlayableTs">,
  terminal: boolean,
): UnmatchedReason {
  if (!st.knownStream) return "missing_stream_request_edge";
  if (terminal && st.firstProcessedTs === null) return "missing_first_processed_segment_edge";
  if (terminal && st.firstPlayableTs === null) return "missing_playable_edge";
  if (st.firstProcessedTs === null) return "awaiting_first_processed_segment_edge";
  if (st.firstPlayableTs === null) return "awaiting_playable_edge";
  return "";
}

/**
 * The coverage row of a state after a signal.
 *
 * @category Lifecycle
 */
export function toCoverageRow(
  st: Pick<
    SessionState,
    | "workflowSessionId"
    | "streamId"
    | "requestId"
    | "pipeline"
    | "gateway"
    | "modelId"
    | "knownStream"
    | "firstProcessedTs"
    | "firstPlayableTs"
    | "version"
  >,
  s: LifecycleSignal,
): CoverageRow {
  const terminal = s.signalType === "STREAM_TRACE" && s.traceType === TRACE.closed;
  const known = st.knownStream;
  return {
    signal_ts: s.signalTimestamp,
    workflow_session_id: st.workflowSessionId,
    stream_id: st.streamId,
    request_id: st.requestId,
    pipeline: st.pipeline,
    gateway: st.gateway,
    orchestrator_address: "",
    model_id: st.modelId,
    trace_type: s.traceType ?? "",
    source_event_uid: s.sourceEventUid,
    known_stream: known ? 1 : 0,
    has_first_processed_edge: st.firstProcessedTs !== null ? 1 : 0,
    has_first_playable_edge: st.firstPlayableTs !== null ? 1 : 0,
    startup_edge_matched: known && st.firstProcessedTs !== null ? 1 : 0,
    playable_edge_matched: known && st.firstPlayableTs !== null ? 1 : 0,
    is_terminal_signal: terminal ? 1 : 0,
    unmatched_reason: unmatchedReason(st, terminal),
    version: st.version,
  };
}

/**
 * Applies one raw signal to the coverage accumulator ({@link applySignalCore} with the signal's
 * raw pipeline) and returns its row. Mutates `st`.
 *
 * @category Lifecycle
 */
export function coverageApply(st: CoverageState, s: LifecycleSignal): CoverageRow {
  applySignalCore(st, s, s.pipeline);
  return toCoverageRow(st, s);
}
