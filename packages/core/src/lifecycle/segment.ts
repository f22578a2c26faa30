/**
 * The segment operator (`lifecycle.md` §5.1–5.4; `attribution.md` §6.2): spans of a session
 * served by one canonical orchestrator, emitting `fact_workflow_session_segments` rows.
 *
 * @module
 */
import { attributionSourceOf } from "../attribution/bands.js";
import { resolvedModelOf, resolvedPipelineOf } from "../attribution/resolver.js";
import type { AttributionMethod, Candidate, CapabilityIndex } from "../attribution/types.js";
import { firstNonBlank, isBlank, normAddr } from "../primitives/strings.js";
import {
  applyCandidate,
  applyIdentityAttribution,
  type AttributionTarget,
  OPERATOR_URL_PRECEDENCE,
} from "./attribution-apply.js";
import type { LifecycleConfig } from "./config.js";
import {
  identityFallbackFor,
  lookupKeyOf,
  lookupSignalAttribution,
  type SelectionMemo,
  TRACE,
} from "./session.js";
import type { LifecycleSignal } from "./signal.js";

/** Current version of {@link SegmentState}. */
export const SEGMENT_STATE_VERSION = 1;

/**
 * Why a segment row was written.
 *
 * @category Lifecycle
 */
export type SegmentReason = "initial" | "orchestrator_change" | "stream_closed";

/**
 * The segment accumulator (`lifecycle.md` §5.2): the open segment of a session. Plain JSON.
 *
 * @category Lifecycle
 */
export interface SegmentState extends AttributionTarget {
  /** State schema version. */
  readonly v: typeof SEGMENT_STATE_VERSION;
  workflowSessionId: string;
  segmentIndex: number;
  openSegment: boolean;
  segmentStartTs: number;
  segmentEndTs: number | null;
  gateway: string;
  pipeline: string;
  reason: SegmentReason;
  sourceTraceType: string;
  sourceEventUid: string;
  /** One counter across all segments of the session. */
  version: number;
}

/**
 * A fresh segment accumulator.
 *
 * @category Lifecycle
 */
export function initSegmentState(): SegmentState {
  return {
    v: SEGMENT_STATE_VERSION,
    workflowSessionId: "",
    segmentIndex: 0,
    openSegment: false,
    segmentStartTs: 0,
    segmentEndTs: null,
    gateway: "",
    pipeline: "",
    orchestratorAddress: "",
    orchestratorUrl: "",
    gpuId: null,
    modelId: null,
    attributionMethod: "none",
    attributionConfidence: 0,
    reason: "initial",
    sourceTraceType: "",
    sourceEventUid: "",
    version: 0,
  };
}

/**
 * One row of `fact_workflow_session_segments` (`lifecycle.md` §5.4). Timestamps are epoch ms.
 *
 * @category Lifecycle
 */
export interface SegmentRow {
  /** Session identity. */
  readonly workflow_session_id: string;
  /** 0-based, contiguous. */
  readonly segment_index: number;
  /** Time of the first signal processed for the segment, epoch ms. */
  readonly segment_start_ts: number;
  /** Close time, epoch ms; `null` while open. */
  readonly segment_end_ts: number | null;
  /** Gateway. */
  readonly gateway: string;
  /** Segment pipeline (always emitted). */
  readonly pipeline: string;
  /** Canonical orchestrator address or `""`. */
  readonly orchestrator_address: string;
  /** Orchestrator URL (the snapshot URL wins over the signal URL here). */
  readonly orchestrator_url: string;
  /** Always `null`. */
  readonly worker_id: string | null;
  /** GPU UUID (nullable). */
  readonly gpu_id: string | null;
  /** Model id (nullable). */
  readonly model_id: string | null;
  /** Always `null`. */
  readonly region: string | null;
  /** Band method of the last applied snapshot, or `none`. */
  readonly gpu_attribution_method: AttributionMethod;
  /** Band confidence (float32). */
  readonly gpu_attribution_confidence: number;
  /** `initial` | `orchestrator_change` | `stream_closed`. */
  readonly reason: SegmentReason;
  /** Last non-blank trace type. */
  readonly source_trace_type: string;
  /** Last non-blank signal uid. */
  readonly source_event_uid: string;
  /** Session-wide segment row counter (emission counter in correction mode). */
  readonly version: number;
  /** `direct`, `mapped_window` or `unattributed`. */
  readonly attribution_source: "direct" | "mapped_window" | "unattributed";
  /** 1 on a retraction row (correction mode), else 0. */
  readonly is_retracted: 0 | 1;
}

/**
 * The current segment row of an accumulator.
 *
 * @category Lifecycle
 */
export function toSegmentRow(seg: SegmentState, version: number = seg.version): SegmentRow {
  return {
    workflow_session_id: seg.workflowSessionId,
    segment_index: seg.segmentIndex,
    segment_start_ts: seg.segmentStartTs,
    segment_end_ts: seg.segmentEndTs,
    gateway: seg.gateway,
    pipeline: seg.pipeline,
    orchestrator_address: seg.orchestratorAddress,
    orchestrator_url: seg.orchestratorUrl,
    worker_id: null,
    gpu_id: seg.gpuId,
    model_id: seg.modelId,
    region: null,
    gpu_attribution_method: seg.attributionMethod,
    gpu_attribution_confidence: seg.attributionConfidence,
    reason: seg.reason,
    source_trace_type: seg.sourceTraceType,
    source_event_uid: seg.sourceEventUid,
    version,
    attribution_source: attributionSourceOf(
      seg.attributionMethod,
    ) as SegmentRow["attribution_source"],
    is_retracted: 0,
  };
}

function open(
  seg: SegmentState,
  s: LifecycleSignal,
  pipeline: string,
  eff: string,
  reason: SegmentReason,
): void {
  seg.openSegment = true;
  seg.workflowSessionId = s.workflowSessionId;
  seg.segmentStartTs = s.signalTimestamp;
  seg.segmentEndTs = null;
  seg.gateway = firstNonBlank(seg.gateway, s.gateway);
  seg.pipeline = firstNonBlank(seg.pipeline, pipeline);
  seg.orchestratorAddress = firstNonBlank(eff, seg.orchestratorAddress);
  seg.orchestratorUrl = firstNonBlank(s.orchestratorUrl, seg.orchestratorUrl);
  seg.reason = reason;
  seg.sourceTraceType = firstNonBlank(s.traceType, "");
  seg.sourceEventUid = firstNonBlank(s.sourceEventUid, seg.sourceEventUid);
  seg.version += 1;
}

/**
 * `applySnap` (`lifecycle.md` §5.3): the selected candidate with the segment's URL precedence (the
 * snapshot's URL wins), else the identity-only attribution when there is one, else nothing.
 */
function applySnap(
  seg: SegmentState,
  snap: Candidate | null,
  ts: number,
  config: Pick<LifecycleConfig, "attribution" | "overwriteModelGpuOnStale">,
  identity: string | null,
): void {
  if (snap !== null) applyCandidate(seg, snap, ts, config, OPERATOR_URL_PRECEDENCE.segment);
  else if (identity !== null) applyIdentityAttribution(seg, identity);
}

/**
 * The segment state machine (`lifecycle.md` §5.3) for one signal whose pipeline has already been
 * resolved: opens, splits (two rows) or updates the segment in place. Mutates `seg` and returns
 * the rows to emit, in order.
 *
 * @category Lifecycle
 */
export function segmentTransition(
  seg: SegmentState,
  s: LifecycleSignal,
  pipeline: string,
  snap: Candidate | null,
  config: Pick<LifecycleConfig, "attribution" | "overwriteModelGpuOnStale">,
  identity: string | null = null,
): SegmentRow[] {
  const eff = snap === null ? (identity ?? "") : normAddr(snap.canonicalOrchestratorAddress);
  const ts = s.signalTimestamp;
  if (!seg.openSegment) {
    open(seg, s, pipeline, eff, "initial");
    applySnap(seg, snap, ts, config, identity);
    return [toSegmentRow(seg)];
  }
  if (
    eff !== "" &&
    !isBlank(seg.orchestratorAddress) &&
    normAddr(seg.orchestratorAddress) !== eff
  ) {
    seg.segmentEndTs = ts;
    seg.reason = "orchestrator_change";
    seg.sourceTraceType = firstNonBlank(s.traceType, seg.sourceTraceType);
    seg.sourceEventUid = firstNonBlank(s.sourceEventUid, seg.sourceEventUid);
    seg.version += 1;
    const closed = toSegmentRow(seg);
    seg.segmentIndex += 1;
    open(seg, s, pipeline, eff, "orchestrator_change");
    applySnap(seg, snap, ts, config, identity);
    return [closed, toSegmentRow(seg)];
  }
  seg.gateway = firstNonBlank(seg.gateway, s.gateway);
  seg.pipeline = firstNonBlank(seg.pipeline, pipeline);
  if (eff !== "") seg.orchestratorAddress = eff;
  seg.orchestratorUrl = firstNonBlank(s.orchestratorUrl, seg.orchestratorUrl);
  seg.sourceTraceType = firstNonBlank(s.traceType, seg.sourceTraceType);
  seg.sourceEventUid = firstNonBlank(s.sourceEventUid, seg.sourceEventUid);
  applySnap(seg, snap, ts, config, identity);
  if (s.traceType === TRACE.closed) {
    seg.segmentEndTs = ts;
    seg.reason = "stream_closed";
  }
  seg.version += 1;
  return [toSegmentRow(seg)];
}

/**
 * The segment operator's per-signal transition (`lifecycle.md` §5.1): lookup with the
 * canonical-address fallback, two-phase resolution, model write-back, then the state machine.
 * Mutates `seg`; returns 1 or 2 rows.
 *
 * @category Lifecycle
 */
export function segmentApply(
  seg: SegmentState,
  s: LifecycleSignal,
  index: CapabilityIndex,
  config: LifecycleConfig,
  memo?: SelectionMemo,
): SegmentRow[] {
  const key = lookupKeyOf(s.orchestratorAddress, seg.orchestratorAddress);
  const sel = lookupSignalAttribution(index, key, s, seg.modelId, seg.gpuId, config, memo);
  const resModel = resolvedModelOf(config.resolverMode, s, seg.modelId, sel.candidate);
  const resPipeline = resolvedPipelineOf(config.resolverMode, s, seg.pipeline, sel.candidate);
  if (!isBlank(resModel)) seg.modelId = resModel;
  const identity =
    sel.candidate === null
      ? identityFallbackFor(index, key, sel.code, s.signalTimestamp, config)
      : null;
  return segmentTransition(seg, s, resPipeline, sel.candidate, config, identity);
}
