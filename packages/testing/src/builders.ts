/**
 * Scenario builders: concise constructors of lifecycle signals, samples and capability
 * candidates for tests (defaults follow the real 2026-01-08 session).
 *
 * @module
 */
import type { Candidate } from "@livepeer-analytics/core/attribution";
import type { CapabilitySnapshot } from "@livepeer-analytics/core/events";
import type {
  AiEventSignal,
  LifecycleSignal,
  StatusSampleInput,
  StatusSignal,
  TraceEdgeInput,
  TraceSignal,
} from "@livepeer-analytics/core/lifecycle";

/**
 * Optional fields of a built signal.
 *
 * @category Builders
 */
export type SignalOverrides = Partial<Omit<LifecycleSignal, "signalType">>;

/**
 * A signal of the family `signalType`: `defaults`, then `overrides`, then `fixed`, over the session
 * `s|r` at time 0 with every other field `null` (`gateway` `""`, `ingestTimestamp` the signal time,
 * `sourceEventUid` `e-<signal time>`). Built as one literal, so every signal has the same shape
 * (benchmarks measure over built signals).
 */
const build = <S extends LifecycleSignal>(
  signalType: S["signalType"],
  defaults: SignalOverrides,
  overrides: SignalOverrides,
  fixed: SignalOverrides,
): S => {
  const f: SignalOverrides = { ...defaults, ...overrides, ...fixed };
  const ts = f.signalTimestamp ?? 0;
  return {
    workflowSessionId: f.workflowSessionId ?? "s|r",
    signalTimestamp: ts,
    ingestTimestamp: f.ingestTimestamp ?? ts,
    streamId: f.streamId ?? "s",
    requestId: f.requestId ?? "r",
    pipeline: f.pipeline ?? null,
    pipelineHint: f.pipelineHint ?? null,
    modelHint: f.modelHint ?? null,
    gateway: f.gateway ?? "",
    orchestratorAddress: f.orchestratorAddress ?? null,
    orchestratorUrl: f.orchestratorUrl ?? null,
    traceType: f.traceType ?? null,
    aiEventType: f.aiEventType ?? null,
    message: f.message ?? null,
    startTimeMs: f.startTimeMs ?? null,
    statusState: f.statusState ?? null,
    statusOutputFps: f.statusOutputFps ?? null,
    statusLastError: f.statusLastError ?? null,
    sourceEventUid: f.sourceEventUid ?? `e-${ts}`,
    signalType,
    // Overrides may set any field (tests build unusual signals on purpose): the family's shape
    // is the caller's promise, not checked here.
  } as S;
};

/** `pipeline`, `pipelineHint` and `modelHint` all set to `model`, as status and AI events carry them. */
const modelFields = (model: string | null): SignalOverrides => ({
  pipeline: model,
  pipelineHint: model,
  modelHint: model,
});

/**
 * A `STREAM_TRACE` signal.
 *
 * @category Builders
 * @example
 * traceSignal("gateway_receive_stream_request", 1000, { orchestratorAddress: "0xhot1", sourceEventUid: "e1" })
 */
export function traceSignal(
  traceType: string,
  ts: number,
  overrides: SignalOverrides = {},
): TraceSignal {
  return build<TraceSignal>(
    "STREAM_TRACE",
    { orchestratorAddress: "", orchestratorUrl: "" },
    overrides,
    {
      signalTimestamp: ts,
      traceType,
    },
  );
}

/**
 * A `STREAM_STATUS` signal (`pipeline`, `pipelineHint` and `modelHint` all set to `model`).
 *
 * @category Builders
 */
export function statusSignal(
  ts: number,
  model: string | null,
  overrides: SignalOverrides = {},
): StatusSignal {
  const defaults: SignalOverrides = {
    ...modelFields(model),
    orchestratorAddress: "",
    orchestratorUrl: "",
    statusState: "ONLINE",
    statusOutputFps: Math.fround(20),
  };
  return build<StatusSignal>("STREAM_STATUS", defaults, overrides, { signalTimestamp: ts });
}

/**
 * An `AI_STREAM_EVENT` signal (`pipeline`, `pipelineHint` and `modelHint` all set to `model`,
 * `message` `""` unless overridden).
 *
 * @category Builders
 */
export function aiEventSignal(
  aiEventType: string,
  ts: number,
  model: string | null,
  overrides: SignalOverrides = {},
): AiEventSignal {
  const defaults: SignalOverrides = { ...modelFields(model), message: "" };
  return build<AiEventSignal>("AI_STREAM_EVENT", defaults, overrides, {
    signalTimestamp: ts,
    aiEventType,
  });
}

/**
 * A capability candidate.
 *
 * @category Builders
 * @example
 * candidate({ snapshotTs: 1000, canonicalOrchestratorAddress: "0xcanonical", modelId: "streamdiffusion-sdxl", gpuId: "GPU-1" })
 */
export function candidate(fields: Partial<Candidate> & Pick<Candidate, "snapshotTs">): Candidate {
  return {
    sourceEventId: `cap-${fields.snapshotTs}`,
    canonicalOrchestratorAddress: "",
    orchestratorUrl: "",
    pipeline: "live-video-to-video",
    modelId: "streamdiffusion-sdxl",
    gpuId: null,
    capacityUnits: null,
    ...fields,
  };
}

/**
 * A status sample input for the segment-window join.
 *
 * @category Builders
 */
export function statusSample(
  ts: number,
  overrides: Partial<StatusSampleInput> = {},
): StatusSampleInput {
  return {
    kind: "status",
    workflowSessionId: "s|r",
    sampleTs: ts,
    streamId: "s",
    requestId: "r",
    gateway: "",
    orchestratorUrl: "",
    state: "ONLINE",
    outputFps: 24,
    inputFps: 30,
    sourceEventUid: `sample-${ts}`,
    ...overrides,
  };
}

/**
 * A trace edge input for the segment-window join.
 *
 * @category Builders
 */
export function traceSample(
  traceType: string,
  ts: number,
  overrides: Partial<TraceEdgeInput> = {},
): TraceEdgeInput {
  return {
    kind: "trace",
    workflowSessionId: "s|r",
    edgeTs: ts,
    streamId: "s",
    requestId: "r",
    gateway: "",
    orchestratorUrl: "",
    traceType,
    sourceEventUid: `edge-${ts}`,
    ...overrides,
  };
}

/**
 * A capability snapshot row (as `parseCapabilitySnapshots` yields) for the lifecycle operator's
 * `capability` input.
 *
 * @category Builders
 */
export function capabilitySnapshot(
  fields: Partial<CapabilitySnapshot> &
    Pick<CapabilitySnapshot, "snapshotTs" | "hotAddress" | "canonicalOrchestratorAddress">,
): CapabilitySnapshot {
  return {
    sourceEventId: `cap-${fields.snapshotTs}`,
    orchestratorUrl: "",
    orchestratorVersion: "0.8.8",
    pipeline: "live-video-to-video",
    modelId: "streamdiffusion-sdxl",
    capabilityId: 35,
    capabilityName: "Live video to video",
    capabilityGroup: "live-video",
    capabilityCatalogVersion: "v1",
    runnerVersion: null,
    capacity: null,
    capacityInUse: null,
    warm: null,
    pricePerUnit: null,
    pixelsPerUnit: null,
    gpuId: null,
    gpuName: null,
    gpuMemoryTotal: null,
    gpuMemoryFree: null,
    gpuMajor: null,
    gpuMinor: null,
    capacityUnits: null,
    rawJson: "{}",
    ...fields,
  };
}
