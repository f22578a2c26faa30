/**
 * The session operator (`lifecycle.md` §4, §8; `attribution.md` §6.1): one accumulator per
 * `workflow_session_id`, folded signal by signal, emitting `fact_workflow_sessions` rows.
 *
 * @module
 */
import { attributionSourceOf } from "../attribution/bands.js";
import { bucketOf } from "../attribution/candidates.js";
import {
  compatibilityHintOf,
  resolvedModelOf,
  resolvedPipelineOf,
} from "../attribution/resolver.js";
import { identityFallbackAddress, selectCandidate } from "../attribution/select.js";
import type {
  AttributionMethod,
  Candidate,
  CapabilityIndex,
  SelectionOutcomeCode,
} from "../attribution/types.js";
import {
  blankToNull,
  eqIgnoreCase,
  firstNonBlank,
  isBlank,
  normAddr,
} from "../primitives/strings.js";
import {
  applyCandidate,
  applyIdentityAttribution,
  type AttributionTarget,
  OPERATOR_URL_PRECEDENCE,
} from "./attribution-apply.js";
import type { LifecycleConfig } from "./config.js";
import { traceCategory, type LifecycleSignal } from "./signal.js";

/** Current version of {@link SessionState}. */
export const SESSION_STATE_VERSION = 1;

/** Trace types with a lifecycle effect. */
export const TRACE = {
  request: "gateway_receive_stream_request",
  firstProcessed: "gateway_receive_first_processed_segment",
  playable: "gateway_receive_few_processed_segments",
  noOrchestrators: "gateway_no_orchestrators_available",
  swap: "orchestrator_swap",
  closed: "gateway_ingest_stream_closed",
  firstIngestSent: "gateway_send_first_ingest_segment",
  runnerFirstProcessed: "runner_send_first_processed_segment",
} as const;

/** The value of `workflow_type` (and the `workflow_id` fallback). */
export const WORKFLOW_TYPE = "ai_live_video_stream";

/**
 * Earliest attribution that carried capacity units (`lifecycle.md` §8.4).
 *
 * @category Lifecycle
 */
export interface CapacityAnchor {
  /** Signal time of the attribution, epoch ms. */
  readonly signalTs: number;
  /** Capacity units of the applied snapshot. */
  readonly units: number;
  /** Snapshot time, epoch ms. */
  readonly snapshotTs: number;
}

/**
 * The session accumulator (`lifecycle.md` §4.2). Plain JSON. Sets are sorted arrays of unique
 * strings; `pipelinesSeen` and `modelIdsSeen` keep at most two values (only "more than one" is
 * ever observed), `canonicalOrchestratorsSeen` keeps every value.
 *
 * @category Lifecycle
 */
export interface SessionState extends AttributionTarget {
  /** State schema version. */
  readonly v: typeof SESSION_STATE_VERSION;
  workflowSessionId: string;
  streamId: string;
  requestId: string;
  pipeline: string;
  workflowId: string;
  gateway: string;
  sessionStartTs: number | null;
  sessionEndTs: number | null;
  firstStreamRequestTs: number | null;
  firstProcessedTs: number | null;
  firstPlayableTs: number | null;
  knownStream: boolean;
  startupSuccess: boolean;
  noOrchestratorsAvailable: boolean;
  errorCount: number;
  excusableErrorCount: number;
  explicitSwapCount: number;
  paramsUpdateCount: number;
  eventCount: number;
  /** Signals applied (reference semantics). */
  version: number;
  statusSampleCount: number;
  statusNonLoadingSampleCount: number;
  statusPositiveOutputSampleCount: number;
  statusErrorSampleCount: number;
  lastErrorOccurred: boolean;
  sourceFirstEventUid: string;
  sourceLastEventUid: string;
  canonicalOrchestratorsSeen: string[];
  pipelinesSeen: string[];
  modelIdsSeen: string[];
  noOrchestratorsErrorSeen: boolean;
  orchestratorAssignedTs: number | null;
  streamClosedTs: number | null;
  capacityAnchor: CapacityAnchor | null;
  firstIngestSentTs: number | null;
  firstRunnerProcessedTs: number | null;
  firstStartTimeMs: number | null;
  /** Outcome code of the last selection attempt of the latest signal; `""` before the first. */
  attributionOutcome: SelectionOutcomeCode | "";
}

/**
 * A fresh accumulator.
 *
 * @category Lifecycle
 */
export function initSessionState(workflowSessionId = ""): SessionState {
  return {
    v: SESSION_STATE_VERSION,
    workflowSessionId,
    streamId: "",
    requestId: "",
    pipeline: "",
    workflowId: "",
    gateway: "",
    orchestratorAddress: "",
    orchestratorUrl: "",
    modelId: null,
    gpuId: null,
    attributionMethod: "none",
    attributionConfidence: 0,
    sessionStartTs: null,
    sessionEndTs: null,
    firstStreamRequestTs: null,
    firstProcessedTs: null,
    firstPlayableTs: null,
    knownStream: false,
    startupSuccess: false,
    noOrchestratorsAvailable: false,
    errorCount: 0,
    excusableErrorCount: 0,
    explicitSwapCount: 0,
    paramsUpdateCount: 0,
    eventCount: 0,
    version: 0,
    statusSampleCount: 0,
    statusNonLoadingSampleCount: 0,
    statusPositiveOutputSampleCount: 0,
    statusErrorSampleCount: 0,
    lastErrorOccurred: false,
    sourceFirstEventUid: "",
    sourceLastEventUid: "",
    canonicalOrchestratorsSeen: [],
    pipelinesSeen: [],
    modelIdsSeen: [],
    noOrchestratorsErrorSeen: false,
    orchestratorAssignedTs: null,
    streamClosedTs: null,
    capacityAnchor: null,
    firstIngestSentTs: null,
    firstRunnerProcessedTs: null,
    firstStartTimeMs: null,
    attributionOutcome: "",
  };
}

const minTs = (a: number | null, b: number): number => (a === null || b < a ? b : a);

/** Adds `value` to a sorted unique array (in place). */
export function addToSet(set: string[], value: string): void {
  let lo = 0;
  let hi = set.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    const m = set[mid]!;
    if (m === value) return;
    if (m < value) lo = mid + 1;
    else hi = mid;
  }
  set.splice(lo, 0, value);
}

/** Adds to a set that only needs to tell "more than one value" (keeps at most two). */
function addToPairSet(set: string[], value: string): void {
  if (set.length >= 2 || set[0] === value) return;
  addToSet(set, value);
}

/** Substrings that make an AI-event error excusable (`lifecycle.md` §4.4). */
export const EXCUSABLE_ERROR_SUBSTRINGS: readonly string[] = [
  "no orchestrators available",
  "mediamtx ingest disconnected",
  "whip disconnected",
  "missing video",
  "ice connection state failed",
  "user disconnected",
];

/**
 * `true` when an AI-event error message is excusable: non-blank and, lower-cased, containing one
 * of {@link EXCUSABLE_ERROR_SUBSTRINGS}.
 *
 * @category Lifecycle
 * @example
 * isExcusableError("WHIP disconnected unexpectedly") // true
 */
export function isExcusableError(message: string | null | undefined): boolean {
  if (isBlank(message)) return false;
  const m = message.toLowerCase();
  for (const p of EXCUSABLE_ERROR_SUBSTRINGS) if (m.includes(p)) return true;
  return false;
}

/**
 * The fields of {@link SessionState} that {@link applySignalCore} updates: the session's identity
 * (first non-blank values), its signal count (`version`) and its edge milestones.
 *
 * @category Lifecycle
 */
export type SignalCoreField =
  | "workflowSessionId"
  | "streamId"
  | "requestId"
  | "pipeline"
  | "modelId"
  | "gateway"
  | "version"
  | "knownStream"
  | "firstStreamRequestTs"
  | "firstProcessedTs"
  | "startupSuccess"
  | "firstPlayableTs";

/**
 * The part of a session accumulator that {@link applySignalCore} maintains: the whole
 * {@link SessionState} or a compact accumulator that needs only these fields (coverage's
 * `CoverageState`).
 *
 * @category Lifecycle
 */
export type SignalCoreState = Pick<SessionState, SignalCoreField>;

/**
 * The update of the {@link SignalCoreField}s by one signal (`lifecycle.md` §4.3–4.4), with
 * `pipeline` standing for the signal's (possibly resolved) pipeline: the identity fields keep
 * their first non-blank value (`modelId` from the signal's model hint, `null` while blank),
 * `version` counts the signal, and the request, first-processed and playable traces set their
 * milestones (flag and earliest time). Each field is computed from its own value and the signal
 * only. Part of {@link applySignal}; the coverage accumulator applies it alone. Mutates `st`.
 *
 * @category Lifecycle
 */
export function applySignalCore(
  st: SignalCoreState,
  s: LifecycleSignal,
  pipeline: string | null,
): void {
  st.workflowSessionId = firstNonBlank(st.workflowSessionId, s.workflowSessionId);
  st.streamId = firstNonBlank(st.streamId, s.streamId);
  st.requestId = firstNonBlank(st.requestId, s.requestId);
  st.pipeline = firstNonBlank(st.pipeline, pipeline);
  st.modelId = blankToNull(firstNonBlank(st.modelId, s.modelHint));
  st.gateway = firstNonBlank(st.gateway, s.gateway);
  st.version += 1;
  if (s.signalType !== "STREAM_TRACE") return;
  const t = s.traceType ?? "";
  const ts = s.signalTimestamp;
  if (t === TRACE.request) {
    st.knownStream = true;
    st.firstStreamRequestTs = minTs(st.firstStreamRequestTs, ts);
  } else if (t === TRACE.firstProcessed) st.firstProcessedTs = minTs(st.firstProcessedTs, ts);
  else if (t === TRACE.playable) {
    st.startupSuccess = true;
    st.firstPlayableTs = minTs(st.firstPlayableTs, ts);
  }
}

/**
 * The common and type-specific update of one signal (`lifecycle.md` §4.3–4.4, §6.2, §8.1), with
 * `pipeline` standing for the signal's (possibly resolved) pipeline: {@link applySignalCore},
 * then the fields that depend on others (the change-flag sets, `workflowId`) and the rest.
 * Mutates `st`.
 *
 * @category Lifecycle
 */
export function applySignal(st: SessionState, s: LifecycleSignal, pipeline: string | null): void {
  applySignalCore(st, s, pipeline);
  // After the core: these read the updated pipeline and model id.
  if (!isBlank(st.pipeline)) addToPairSet(st.pipelinesSeen, st.pipeline);
  if (!isBlank(st.modelId)) addToPairSet(st.modelIdsSeen, st.modelId);
  st.workflowId = firstNonBlank(st.workflowId, st.pipeline, WORKFLOW_TYPE);
  if (!isBlank(s.orchestratorUrl)) st.orchestratorUrl = s.orchestratorUrl;
  const ts = s.signalTimestamp;
  st.sessionStartTs = minTs(st.sessionStartTs, ts);
  st.sessionEndTs = st.sessionEndTs === null || ts > st.sessionEndTs ? ts : st.sessionEndTs;
  if (s.startTimeMs !== null) {
    st.sessionStartTs = minTs(st.sessionStartTs, s.startTimeMs);
    if (s.startTimeMs > 0) st.firstStartTimeMs = minTs(st.firstStartTimeMs, s.startTimeMs);
  }
  st.eventCount += 1;
  if (isBlank(st.sourceFirstEventUid)) st.sourceFirstEventUid = s.sourceEventUid;
  st.sourceLastEventUid = s.sourceEventUid;

  switch (s.signalType) {
    case "STREAM_TRACE": {
      // The request, first-processed and playable edges are applied by applySignalCore.
      const t = s.traceType ?? "";
      if (t === TRACE.noOrchestrators) st.noOrchestratorsAvailable = true;
      else if (t === TRACE.swap) st.explicitSwapCount += 1;
      else if (t === TRACE.closed) st.streamClosedTs = minTs(st.streamClosedTs, ts);
      else if (t === TRACE.firstIngestSent) st.firstIngestSentTs = minTs(st.firstIngestSentTs, ts);
      else if (t === TRACE.runnerFirstProcessed)
        st.firstRunnerProcessedTs = minTs(st.firstRunnerProcessedTs, ts);
      if (!isBlank(s.orchestratorAddress)) {
        const cat = traceCategory(s.traceType);
        if (cat === "gateway" || cat === "orchestrator")
          st.orchestratorAssignedTs = minTs(st.orchestratorAssignedTs, ts);
      }
      return;
    }
    case "AI_STREAM_EVENT": {
      const e = s.aiEventType ?? "";
      if (eqIgnoreCase(e, "error")) {
        st.errorCount += 1;
        if (isExcusableError(s.message)) st.excusableErrorCount += 1;
        if (s.message !== null && s.message.toLowerCase().includes("no orchestrators available")) {
          st.noOrchestratorsErrorSeen = true;
        }
      } else if (eqIgnoreCase(e, "params_update")) st.paramsUpdateCount += 1;
      return;
    }
    case "STREAM_STATUS": {
      st.statusSampleCount += 1;
      if (!eqIgnoreCase(s.statusState ?? "", "LOADING")) st.statusNonLoadingSampleCount += 1;
      if ((s.statusOutputFps ?? 0) > 0) st.statusPositiveOutputSampleCount += 1;
      if (!isBlank(s.statusLastError)) {
        st.lastErrorOccurred = true;
        st.statusErrorSampleCount += 1;
      }
      if (!isBlank(s.orchestratorAddress))
        st.orchestratorAssignedTs = minTs(st.orchestratorAssignedTs, ts);
      return;
    }
  }
}

/**
 * Applies a selected candidate (`lifecycle.md` §4.6, §8.4; `attribution.md` §6.1 step 7):
 * {@link applyCandidate} with the session's URL precedence (the accumulator's URL wins), then the
 * canonical set, the change-flag sets and the capacity anchor. Mutates `st`.
 *
 * @category Lifecycle
 */
export function applyAttribution(
  st: SessionState,
  snap: Candidate,
  signalTs: number,
  config: Pick<LifecycleConfig, "attribution" | "overwriteModelGpuOnStale">,
): void {
  applyCandidate(st, snap, signalTs, config, OPERATOR_URL_PRECEDENCE.session);
  if (!isBlank(snap.canonicalOrchestratorAddress))
    addToSet(st.canonicalOrchestratorsSeen, normAddr(snap.canonicalOrchestratorAddress));
  if (!isBlank(st.modelId)) addToPairSet(st.modelIdsSeen, st.modelId);
  if (!isBlank(st.pipeline)) addToPairSet(st.pipelinesSeen, st.pipeline);
  if (
    snap.capacityUnits !== null &&
    (st.capacityAnchor === null || signalTs < st.capacityAnchor.signalTs)
  ) {
    st.capacityAnchor = { signalTs, units: snap.capacityUnits, snapshotTs: snap.snapshotTs };
  }
}

/**
 * Scratch memo shared by the operators that process the same signal against the same index:
 * the last selection's inputs and result. Selection is a pure function of these inputs, so a hit
 * returns exactly what a new selection would. Not state: create one per signal.
 *
 * @category Lifecycle
 */
export interface SelectionMemo {
  key: string | null;
  hint: string | null;
  url: string | null;
  gpu: string | null;
  ts: number;
  result: { readonly code: SelectionOutcomeCode; readonly candidate: Candidate | null } | null;
}

/**
 * A fresh, empty {@link SelectionMemo}.
 *
 * @category Lifecycle
 */
export function createSelectionMemo(): SelectionMemo {
  return { key: null, hint: null, url: null, gpu: null, ts: 0, result: null };
}

/**
 * The identity-only fallback for a failed selection, when `identityOnlyFallback` is on: the single
 * canonical address of the eligible candidates, else `null`.
 *
 * @category Lifecycle
 */
export function identityFallbackFor(
  index: CapabilityIndex,
  lookupKey: string,
  code: SelectionOutcomeCode,
  signalTs: number,
  config: Pick<LifecycleConfig, "attribution" | "identityOnlyFallback">,
): string | null {
  if (
    !config.identityOnlyFallback ||
    (code !== "no_compatible_candidate" && code !== "no_eligible_candidate")
  )
    return null;
  return identityFallbackAddress(bucketOf(index, lookupKey), signalTs, config.attribution);
}

/**
 * Applies an identity-only attribution to a session ({@link applyIdentityAttribution}): the
 * canonical address (and the canonical set) with method `proxy_address_join` / 0.4; model, GPU,
 * pipeline and URL are untouched.
 *
 * @category Lifecycle
 */
export function applyIdentityOnly(st: SessionState, canonical: string): void {
  applyIdentityAttribution(st, canonical);
  addToSet(st.canonicalOrchestratorsSeen, canonical);
}

/**
 * Lookup key of a signal (`attribution.md` §4.2): the signal's hot wallet, else the
 * accumulator's canonical address, normalized; `""` means no lookup.
 *
 * @category Lifecycle
 * @example
 * lookupKeyOf("", "0xAbCd") // "0xabcd"
 */
export function lookupKeyOf(signalAddress: string | null, stateAddress: string): string {
  return normAddr(firstNonBlank(signalAddress, stateAddress));
}

/**
 * Looks up and selects a candidate for one signal, recording nothing: returns the outcome code
 * and the candidate when selected.
 *
 * @category Lifecycle
 */
export function lookupAttribution(
  index: CapabilityIndex,
  lookupKey: string,
  modelHint: string | null,
  urlHint: string | null,
  gpuHint: string | null,
  signalTs: number,
  config: Pick<LifecycleConfig, "attribution">,
  memo?: SelectionMemo,
): { readonly code: SelectionOutcomeCode; readonly candidate: Candidate | null } {
  if (lookupKey === "") return FAILED.no_lookup_key;
  if (
    memo !== undefined &&
    memo.result !== null &&
    memo.key === lookupKey &&
    memo.hint === modelHint &&
    memo.url === urlHint &&
    memo.gpu === gpuHint &&
    memo.ts === signalTs
  ) {
    return memo.result;
  }
  const out = selectCandidate(
    bucketOf(index, lookupKey),
    { modelHint, urlHint, gpuHint, signalTs, ttlMs: config.attribution.ttlMs },
    config.attribution,
    lookupKey,
  );
  const result = out.code === "selected" ? out : FAILED[out.code];
  if (memo !== undefined) {
    memo.key = lookupKey;
    memo.hint = modelHint;
    memo.url = urlHint;
    memo.gpu = gpuHint;
    memo.ts = signalTs;
    memo.result = result;
  }
  return result;
}

/**
 * The per-signal lookup shared by the session, segment and parameter-update operators
 * (`attribution.md` §3.4 step 1): {@link lookupAttribution} with the signal's compatibility hint
 * (given the accumulator's model id), the signal's URL, the accumulator's GPU and the signal time.
 *
 * @category Lifecycle
 */
export function lookupSignalAttribution(
  index: CapabilityIndex,
  lookupKey: string,
  s: LifecycleSignal,
  existingModelId: string | null,
  gpuHint: string | null,
  config: Pick<LifecycleConfig, "attribution">,
  memo?: SelectionMemo,
): { readonly code: SelectionOutcomeCode; readonly candidate: Candidate | null } {
  return lookupAttribution(
    index,
    lookupKey,
    compatibilityHintOf(s, existingModelId),
    s.orchestratorUrl,
    gpuHint,
    s.signalTimestamp,
    config,
    memo,
  );
}

const failed = <C extends SelectionOutcomeCode>(
  code: C,
): { readonly code: C; readonly candidate: null } => Object.freeze({ code, candidate: null });
/** Shared results of failed lookups (no allocation per signal). */
const FAILED = {
  no_lookup_key: failed("no_lookup_key"),
  no_candidates: failed("no_candidates"),
  ambiguous_canonical: failed("ambiguous_canonical"),
  no_compatible_candidate: failed("no_compatible_candidate"),
  no_eligible_candidate: failed("no_eligible_candidate"),
} as const;

/**
 * The session operator's per-signal transition (`lifecycle.md` §4.1): lookup, two-phase
 * resolution, `applySignal`, write-back, attribution and the close-time pass. Mutates `st`.
 *
 * @category Lifecycle
 */
export function sessionApply(
  st: SessionState,
  s: LifecycleSignal,
  index: CapabilityIndex,
  config: LifecycleConfig,
  memo?: SelectionMemo,
): void {
  const key = lookupKeyOf(s.orchestratorAddress, st.orchestratorAddress);
  const sel = lookupSignalAttribution(index, key, s, st.modelId, st.gpuId, config, memo);
  const resPipeline = resolvedPipelineOf(config.resolverMode, s, st.pipeline, sel.candidate);
  const resModel = resolvedModelOf(config.resolverMode, s, st.modelId, sel.candidate);
  applySignal(st, s, resPipeline);
  // Write-back (step 7). Like the reference, the change-flag sets pick these values up at the
  // next applySignal / applyAttribution, not here.
  if (!isBlank(resPipeline)) st.pipeline = resPipeline;
  if (!isBlank(resModel)) st.modelId = resModel;
  st.attributionOutcome = sel.code;
  if (sel.candidate !== null) applyAttribution(st, sel.candidate, s.signalTimestamp, config);
  else {
    const identity = identityFallbackFor(index, key, sel.code, s.signalTimestamp, config);
    if (identity !== null) applyIdentityOnly(st, identity);
  }
  if (s.signalType === "STREAM_TRACE" && s.traceType === TRACE.closed) {
    const key2 = lookupKeyOf(s.orchestratorAddress, st.orchestratorAddress);
    if (key2 !== "" && bucketOf(index, key2) !== undefined) {
      const close = lookupAttribution(
        index,
        key2,
        firstNonBlank(st.modelId, s.modelHint, s.pipelineHint, s.pipeline),
        firstNonBlank(s.orchestratorUrl, st.orchestratorUrl),
        st.gpuId,
        s.signalTimestamp,
        config,
      );
      st.attributionOutcome = close.code;
      if (close.candidate !== null)
        applyAttribution(st, close.candidate, s.signalTimestamp, config);
    }
  }
}

/**
 * `service_failure_reason` vocabulary (`lifecycle.md` §8.2).
 *
 * @category Lifecycle
 */
export type ServiceFailureReason =
  | ""
  | "no_orchestrators_available"
  | "excusable_error"
  | "non_excusable_error"
  | "orchestrator_not_assigned"
  | "no_processed_output"
  | "not_playable"
  | "loading_only"
  | "zero_output_fps";

/**
 * One row of `fact_workflow_sessions` (`lifecycle.md` §4.11, §8). Timestamps are epoch ms.
 *
 * @category Lifecycle
 */
export interface SessionRow {
  /** Session identity. */
  readonly workflow_session_id: string;
  /** Always `ai_live_video_stream`. */
  readonly workflow_type: string;
  /** Frozen at the first signal: its canonical pipeline, else `ai_live_video_stream`. */
  readonly workflow_id: string;
  /** First non-blank raw stream id. */
  readonly stream_id: string;
  /** First non-blank raw request id. */
  readonly request_id: string;
  /** Always `""`. */
  readonly session_id: string;
  /** Canonical pipeline (from capability snapshots in legacy mode) or `""`. */
  readonly pipeline: string;
  /** First non-blank envelope gateway or `""`. */
  readonly gateway: string;
  /** Canonical orchestrator address (lower-case) or `""`; never a hot wallet. */
  readonly orchestrator_address: string;
  /** Last non-blank signal URL, else the first applied snapshot URL. */
  readonly orchestrator_url: string;
  /** Model id (nullable). */
  readonly model_id: string | null;
  /** GPU UUID (nullable). */
  readonly gpu_id: string | null;
  /** Always `null`. */
  readonly region: string | null;
  /** 1 iff more than one distinct model id was seen. */
  readonly has_model_change: 0 | 1;
  /** 1 iff more than one distinct pipeline was seen. */
  readonly has_pipeline_change: 0 | 1;
  /** Method of the most recent applied attribution, or `none`. */
  readonly gpu_attribution_method: AttributionMethod;
  /** Confidence of that method (float32: 1, 0.9, 0.7, 0.4 or 0). */
  readonly gpu_attribution_confidence: number;
  /** Earliest signal time (or `start_time`), epoch ms; `0` if unset (never after a signal). */
  readonly session_start_ts: number;
  /** Latest signal time, epoch ms, or `null`. */
  readonly session_end_ts: number | null;
  /** 1 iff a `gateway_receive_stream_request` edge was seen. */
  readonly known_stream: 0 | 1;
  /** 1 iff a playable edge was seen (not gated by `known_stream`). */
  readonly startup_success: 0 | 1;
  /** Known, not successful, and every failure excusable. */
  readonly startup_excused: 0 | 1;
  /** Known, not successful, not excused. */
  readonly startup_unexcused: 0 | 1;
  /** Number of `orchestrator_swap` traces (UInt16). */
  readonly confirmed_swap_count: number;
  /** `max(0, distinct canonical orchestrators − 1)` (UInt16). */
  readonly inferred_orchestrator_change_count: number;
  /** Alias of `confirmed_swap_count`. */
  readonly swap_count: number;
  /** AI-event errors. */
  readonly error_count: number;
  /** AI-event errors with an excusable message. */
  readonly excusable_error_count: number;
  /** 1 iff a status sample carried a non-blank `last_error`. */
  readonly last_error_occurred: 0 | 1;
  /** Status samples exist and all were `LOADING`. */
  readonly loading_only_session: 0 | 1;
  /** Status samples exist and none had output fps > 0. */
  readonly zero_output_fps_session: 0 | 1;
  /** Status samples. */
  readonly status_sample_count: number;
  /** Status samples with a non-blank `last_error`. */
  readonly status_error_sample_count: number;
  /** (status seen) + (processed edge) + (playable edge), 0–3. */
  readonly health_signal_count: number;
  /** 3 for known streams, else 0. */
  readonly health_expected_signal_count: number;
  /** `fround(count / expected)`, or 1 when nothing is expected. */
  readonly health_completeness_ratio: number;
  /** Request edge time, epoch ms, or `null`. */
  readonly first_stream_request_ts: number | null;
  /** First processed edge time, epoch ms, or `null`. */
  readonly first_processed_ts: number | null;
  /** Playable edge time, epoch ms, or `null`. */
  readonly first_playable_ts: number | null;
  /** Signals applied (equals `version` in `REFERENCE_COMPAT`). */
  readonly event_count: number;
  /** Row version: signals applied (`REFERENCE_COMPAT`) or the emission counter (correction mode). */
  readonly version: number;
  /** First signal uid in processing order. */
  readonly source_first_event_uid: string;
  /** Last signal uid in processing order. */
  readonly source_last_event_uid: string;
  /** Known stream that produced sustained output (`lifecycle.md` §8.2). */
  readonly served_session: 0 | 1;
  /** Known stream that did not (`known_stream − served_session`). */
  readonly unserved_session: 0 | 1;
  /** Why an unserved session failed; `""` unless unserved. */
  readonly service_failure_reason: ServiceFailureReason;
  /** Earliest gateway-clock evidence of an attached orchestrator, epoch ms, or `null`. */
  readonly orchestrator_assigned_ts: number | null;
  /** Earliest close edge, epoch ms, or `null`. */
  readonly stream_closed_ts: number | null;
  /** Served time: demand end − playable edge for served sessions, else 0; milliseconds. */
  readonly served_duration_ms: number;
  /** Demand end − demand start (request edge, else session start), ≥ 0, milliseconds. */
  readonly active_duration_ms: number;
  /** Capacity units of the earliest attribution that had them, or `null`. */
  readonly capacity_units_at_start: number | null;
  /** Snapshot time of that attribution, epoch ms, or `null`. */
  readonly capacity_snapshot_ts: number | null;
  /** `direct`, `mapped_window` or `unattributed` (from the method). */
  readonly attribution_source: "direct" | "mapped_window" | "unattributed";
  /** Outcome code of the last selection attempt of the latest signal. */
  readonly attribution_outcome: SelectionOutcomeCode | "";
}

const flag = (b: boolean): 0 | 1 => (b ? 1 : 0);

/**
 * Startup classes (`lifecycle.md` §4.8).
 *
 * @category Lifecycle
 */
export function classifyStartup(
  st: Pick<
    SessionState,
    | "knownStream"
    | "startupSuccess"
    | "noOrchestratorsAvailable"
    | "errorCount"
    | "excusableErrorCount"
  >,
): {
  readonly success: boolean;
  readonly excused: boolean;
  readonly unexcused: boolean;
} {
  const known = st.knownStream;
  const success = st.startupSuccess;
  const excused = isStartupExcused(st);
  return { success, excused, unexcused: known && !success && !excused };
}

/**
 * The `excused` class of {@link classifyStartup}, without allocating the classification: a known,
 * unsuccessful session with no orchestrators available, or whose errors were all excusable.
 */
function isStartupExcused(st: Parameters<typeof classifyStartup>[0]): boolean {
  return (
    st.knownStream &&
    !st.startupSuccess &&
    (st.noOrchestratorsAvailable || (st.errorCount > 0 && st.errorCount === st.excusableErrorCount))
  );
}

const SERVED = Object.freeze({ served: true, unserved: false, reason: "" as const });
const NOT_DEMAND = Object.freeze({ served: false, unserved: false, reason: "" as const });

/**
 * Served / unserved and the failure reason (`lifecycle.md` §8.2).
 *
 * @category Lifecycle
 */
export function classifyServed(st: SessionState): {
  readonly served: boolean;
  readonly unserved: boolean;
  readonly reason: ServiceFailureReason;
} {
  const loadingOnly = st.statusSampleCount > 0 && st.statusNonLoadingSampleCount === 0;
  const zeroFps = st.statusSampleCount > 0 && st.statusPositiveOutputSampleCount === 0;
  const served = st.knownStream && st.startupSuccess && !loadingOnly && !zeroFps;
  const unserved = st.knownStream && !served;
  if (!unserved) return served ? SERVED : NOT_DEMAND;
  const allExcusable = st.errorCount > 0 && st.errorCount === st.excusableErrorCount;
  let reason: ServiceFailureReason;
  if (!st.startupSuccess) {
    if (st.noOrchestratorsAvailable || (allExcusable && st.noOrchestratorsErrorSeen))
      reason = "no_orchestrators_available";
    else if (allExcusable) reason = "excusable_error";
    else if (st.errorCount > st.excusableErrorCount) reason = "non_excusable_error";
    else if (st.orchestratorAssignedTs === null) reason = "orchestrator_not_assigned";
    else if (st.firstProcessedTs === null) reason = "no_processed_output";
    else reason = "not_playable";
  } else reason = loadingOnly ? "loading_only" : "zero_output_fps";
  return { served, unserved, reason };
}

/**
 * The `fact_workflow_sessions` row of an accumulator, with `version` as given (the signal count
 * in `REFERENCE_COMPAT`, the emission counter in correction mode).
 *
 * @category Lifecycle
 */
export function toSessionRow(st: SessionState, version: number = st.version): SessionRow {
  const known = st.knownStream;
  const success = st.startupSuccess;
  const excused = isStartupExcused(st);
  const served = classifyServed(st);
  const healthCount =
    (st.statusSampleCount > 0 ? 1 : 0) +
    (st.firstProcessedTs !== null ? 1 : 0) +
    (st.firstPlayableTs !== null ? 1 : 0);
  const expected = known ? 3 : 0;
  const demandStart = st.firstStreamRequestTs ?? st.sessionStartTs;
  const demandEnd = st.streamClosedTs ?? st.sessionEndTs;
  const active =
    demandStart !== null && demandEnd !== null ? Math.max(0, demandEnd - demandStart) : 0;
  const servedDuration =
    served.served && demandEnd !== null && st.firstPlayableTs !== null
      ? Math.max(0, demandEnd - st.firstPlayableTs)
      : 0;
  const inferred = Math.max(0, st.canonicalOrchestratorsSeen.length - 1);
  return {
    workflow_session_id: st.workflowSessionId,
    workflow_type: WORKFLOW_TYPE,
    workflow_id: st.workflowId,
    stream_id: st.streamId,
    request_id: st.requestId,
    session_id: "",
    pipeline: st.pipeline,
    gateway: st.gateway,
    orchestrator_address: st.orchestratorAddress,
    orchestrator_url: st.orchestratorUrl,
    model_id: st.modelId,
    gpu_id: st.gpuId,
    region: null,
    has_model_change: flag(st.modelIdsSeen.length > 1),
    has_pipeline_change: flag(st.pipelinesSeen.length > 1),
    gpu_attribution_method: st.attributionMethod,
    gpu_attribution_confidence: st.attributionConfidence,
    session_start_ts: st.sessionStartTs ?? 0,
    session_end_ts: st.sessionEndTs,
    known_stream: flag(known),
    startup_success: flag(success),
    startup_excused: flag(excused),
    startup_unexcused: flag(known && !success && !excused),
    confirmed_swap_count: st.explicitSwapCount,
    inferred_orchestrator_change_count: inferred,
    swap_count: st.explicitSwapCount,
    error_count: st.errorCount,
    excusable_error_count: st.excusableErrorCount,
    last_error_occurred: flag(st.lastErrorOccurred),
    loading_only_session: flag(st.statusSampleCount > 0 && st.statusNonLoadingSampleCount === 0),
    zero_output_fps_session: flag(
      st.statusSampleCount > 0 && st.statusPositiveOutputSampleCount === 0,
    ),
    status_sample_count: st.statusSampleCount,
    status_error_sample_count: st.statusErrorSampleCount,
    health_signal_count: healthCount,
    health_expected_signal_count: expected,
    health_completeness_ratio: expected > 0 ? Math.fround(healthCount / expected) : 1,
    first_stream_request_ts: st.firstStreamRequestTs,
    first_processed_ts: st.firstProcessedTs,
    first_playable_ts: st.firstPlayableTs,
    event_count: st.eventCount,
    version,
    source_first_event_uid: st.sourceFirstEventUid,
    source_last_event_uid: st.sourceLastEventUid,
    served_session: flag(served.served),
    unserved_session: flag(served.unserved),
    service_failure_reason: served.reason,
    orchestrator_assigned_ts: st.orchestratorAssignedTs,
    stream_closed_ts: st.streamClosedTs,
    served_duration_ms: servedDuration,
    active_duration_ms: active,
    capacity_units_at_start: st.capacityAnchor?.units ?? null,
    capacity_snapshot_ts: st.capacityAnchor?.snapshotTs ?? null,
    attribution_source: attributionSourceOf(
      st.attributionMethod,
    ) as SessionRow["attribution_source"],
    attribution_outcome: st.attributionOutcome,
  };
}
