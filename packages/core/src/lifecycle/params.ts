/**
 * The parameter-update operator (`lifecycle.md` §5.6; `attribution.md` §6.3): markers for
 * `params_update` AI events, emitting `fact_workflow_param_updates` rows.
 *
 * @module
 */
import { attributionSourceOf } from "../attribution/bands.js";
import { resolvedModelOf, resolvedPipelineOf } from "../attribution/resolver.js";
import type { AttributionMethod, CapabilityIndex } from "../attribution/types.js";
import { blankToNull, eqIgnoreCase, firstNonBlank } from "../primitives/strings.js";
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
} from "./session.js";
import type { LifecycleSignal } from "./signal.js";

/** Current version of {@link ParamState}. */
export const PARAM_STATE_VERSION = 1;

/**
 * The parameter-update accumulator. Plain JSON.
 *
 * @category Lifecycle
 */
export interface ParamState extends AttributionTarget {
  /** State schema version. */
  readonly v: typeof PARAM_STATE_VERSION;
  workflowSessionId: string;
  streamId: string;
  requestId: string;
  pipeline: string;
  gateway: string;
  /** Signals applied (every type). */
  version: number;
}

/**
 * A fresh parameter-update accumulator.
 *
 * @category Lifecycle
 */
export function initParamState(): ParamState {
  return {
    v: PARAM_STATE_VERSION,
    workflowSessionId: "",
    streamId: "",
    requestId: "",
    pipeline: "",
    gateway: "",
    orchestratorAddress: "",
    orchestratorUrl: "",
    modelId: null,
    gpuId: null,
    attributionMethod: "none",
    attributionConfidence: 0,
    version: 0,
  };
}

/**
 * One row of `fact_workflow_param_updates`. Timestamps are epoch ms.
 *
 * @category Lifecycle
 */
export interface ParamUpdateRow {
  /** Signal time of the update, epoch ms. */
  readonly update_ts: number;
  /** Session identity. */
  readonly workflow_session_id: string;
  /** First non-blank stream id. */
  readonly stream_id: string;
  /** First non-blank request id. */
  readonly request_id: string;
  /** First resolved pipeline (first write wins). */
  readonly pipeline: string;
  /** First non-blank gateway. */
  readonly gateway: string;
  /** Canonical orchestrator address or `""`. */
  readonly orchestrator_address: string;
  /** First non-blank URL (signal), else the snapshot URL. */
  readonly orchestrator_url: string;
  /** Model id (nullable). */
  readonly model_id: string | null;
  /** GPU UUID (nullable). */
  readonly gpu_id: string | null;
  /** Band method, or `none`. */
  readonly gpu_attribution_method: AttributionMethod;
  /** Band confidence (float32). */
  readonly gpu_attribution_confidence: number;
  /** Always `params_update`. */
  readonly update_type: "params_update";
  /** The event message, usually `""`. */
  readonly message: string;
  /** Signal uid (identity with `workflow_session_id`). */
  readonly source_event_uid: string;
  /** Accumulator version after this signal (gaps are normal); emission counter in correction mode. */
  readonly version: number;
  /** `direct`, `mapped_window` or `unattributed`. */
  readonly attribution_source: "direct" | "mapped_window" | "unattributed";
}

/**
 * `true` when a signal is a parameter update (an AI event of type `params_update`).
 *
 * @category Lifecycle
 */
export function isParamsUpdate(s: LifecycleSignal): boolean {
  return (
    s.signalType === "AI_STREAM_EVENT" &&
    eqIgnoreCase(firstNonBlank(s.aiEventType, ""), "params_update")
  );
}

/**
 * The row of a parameter update given the accumulator after the signal.
 *
 * @category Lifecycle
 */
export function toParamUpdateRow(
  st: ParamState,
  s: LifecycleSignal,
  version: number = st.version,
): ParamUpdateRow {
  return {
    update_ts: s.signalTimestamp,
    workflow_session_id: st.workflowSessionId,
    stream_id: st.streamId,
    request_id: st.requestId,
    pipeline: st.pipeline,
    gateway: st.gateway,
    orchestrator_address: st.orchestratorAddress,
    orchestrator_url: st.orchestratorUrl,
    model_id: st.modelId,
    gpu_id: st.gpuId,
    gpu_attribution_method: st.attributionMethod,
    gpu_attribution_confidence: st.attributionConfidence,
    update_type: "params_update",
    message: firstNonBlank(s.message, ""),
    source_event_uid: s.sourceEventUid,
    version,
    attribution_source: attributionSourceOf(
      st.attributionMethod,
    ) as ParamUpdateRow["attribution_source"],
  };
}

/**
 * Per-signal transition (`lifecycle.md` §5.6). Mutates `st`; returns the row for
 * `params_update` events, else `null`.
 *
 * @category Lifecycle
 */
export function paramApply(
  st: ParamState,
  s: LifecycleSignal,
  index: CapabilityIndex,
  config: LifecycleConfig,
  memo?: SelectionMemo,
): ParamUpdateRow | null {
  st.workflowSessionId = firstNonBlank(st.workflowSessionId, s.workflowSessionId);
  st.streamId = firstNonBlank(st.streamId, s.streamId);
  st.requestId = firstNonBlank(st.requestId, s.requestId);
  st.gateway = firstNonBlank(st.gateway, s.gateway);
  st.orchestratorUrl = firstNonBlank(st.orchestratorUrl, s.orchestratorUrl);
  const key = lookupKeyOf(s.orchestratorAddress, st.orchestratorAddress);
  const sel = lookupSignalAttribution(index, key, s, st.modelId, st.gpuId, config, memo);
  const resPipeline = resolvedPipelineOf(config.resolverMode, s, st.pipeline, sel.candidate);
  const resModel = resolvedModelOf(config.resolverMode, s, st.modelId, sel.candidate);
  st.pipeline = firstNonBlank(st.pipeline, resPipeline);
  st.modelId = blankToNull(firstNonBlank(st.modelId, resModel));
  const snap = sel.candidate;
  const identity =
    snap === null ? identityFallbackFor(index, key, sel.code, s.signalTimestamp, config) : null;
  if (snap !== null)
    applyCandidate(st, snap, s.signalTimestamp, config, OPERATOR_URL_PRECEDENCE.paramUpdate);
  else if (identity !== null) applyIdentityAttribution(st, identity);
  st.version += 1;
  return isParamsUpdate(s) ? toParamUpdateRow(st, s) : null;
}
