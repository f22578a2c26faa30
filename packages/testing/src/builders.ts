/**
 * Scenario builders: concise constructors of lifecycle signals, samples and capability
 * candidates for tests (defaults follow the real 2026-01-08 session).
 *
 * @module
 */
import type { Candidate } from "@livepeer-analytics/core/attribution";
import type { CapabilitySnapshot } from "@livepeer-analytics/core/events";
import type {
  LifecycleSignal,
  StatusSampleInput,
  TraceEdgeInput,
} from "@livepeer-analytics/core/lifecycle";

/**
 * Optional fields of a built signal.
 *
 * @category Builders
 */
export type SignalOverrides = Partial<Omit<LifecycleSignal, "signalType">>;

const base = (overrides: SignalOverrides): Omit<LifecycleSignal, "signalType"> => ({
  workflowSessionId: "s|r",
  signalTimestamp: 0,
  ingestTimestamp: overrides.signalTimestamp ?? 0,
  streamId: "s",
  requestId: "r",
  pipeline: null,
  pipelineHint: null,
  modelHint: null,
  gateway: "",
  orchestratorAddress: null,
  orchestratorUrl: null,
  traceType: null,
  aiEventType: null,
  message: null,
  startTimeMs: null,
  statusState: null,
  statusOutputFps: null,
  statusLastError: null,
  sourceEventUid: `e-${overrides.signalTimestamp ?? 0}`,
  ...overrides,
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
): LifecycleSignal {
  return {
    ...base({ orchestratorAddress: "", orchestratorUrl: "", ...overrides, signalTimestamp: ts }),
    signalType: "STREAM_TRACE",
    traceType,
  };
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
): LifecycleSignal {
  return {
    ...base({
      pipeline: model,
      pipelineHint: model,
      modelHint: model,
      orchestratorAddress: "",
      orchestratorUrl: "",
      statusState: "ONLINE",
      statusOutputFps: Math.fround(20),
      ...overrides,
      signalTimestamp: ts,
    }),
    signalType: "STREAM_STATUS",
  };
}

/**
 * An `AI_STREAM_EVENT` signal.
 *
 * @category Builders
 */
export function aiEventSignal(
  aiEventType: string,
  ts: number,
  model: string | null,
  overrides: SignalOverrides = {},
): LifecycleSignal {
  return {
    ...base({
      pipeline: model,
      pipelineHint: model,
      modelHint: model,
      message: "",
      ...overrides,
      signalTimestamp: ts,
    }),
    signalType: "AI_STREAM_EVENT",
    aiEventType,
  };
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
