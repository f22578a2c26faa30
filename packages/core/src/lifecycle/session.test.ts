import { describe, expect, it } from "vitest";
import { aiEventSignal, candidate, statusSignal, traceSignal } from "@livepeer-analytics/testing";
import { createCapabilityIndex, upsertCandidateInPlace } from "../attribution/candidates.js";
import { selectCandidate } from "../attribution/select.js";
import type { Candidate, CapabilityIndex } from "../attribution/types.js";
import { DEFAULT_LIFECYCLE_CONFIG, type LifecycleConfig } from "./config.js";
import {
  applyAttribution,
  applySignal,
  initSessionState,
  isExcusableError,
  lookupKeyOf,
  sessionApply,
  toSessionRow,
  type SessionState,
} from "./session.js";

const TTL = 86_400_000;
const config: LifecycleConfig = DEFAULT_LIFECYCLE_CONFIG;
const fresh = (): SessionState => initSessionState("s|r");

/** State-machine level: applySignal with the raw signal pipeline, as the reference test does. */
function apply(st: SessionState, ...signals: Parameters<typeof applySignal>[1][]): SessionState {
  for (const s of signals) applySignal(st, s, s.pipeline);
  return st;
}

describe("WorkflowSessionStateMachineTest (lifecycle.md §10.1)", () => {
  it("classifiesKnownStreamSuccessAndSwapFallback (superseded G1 revision; the SDK follows G4: swap_count 0)", () => {
    const st = apply(
      fresh(),
      traceSignal("gateway_receive_stream_request", 1000, {
        orchestratorAddress: "0xhot1",
        sourceEventUid: "e1",
      }),
      traceSignal("gateway_receive_few_processed_segments", 2000, {
        orchestratorAddress: "0xhot2",
        sourceEventUid: "e2",
      }),
    );
    const row = toSessionRow(st);
    expect([row.known_stream, row.startup_success, row.startup_unexcused]).toEqual([1, 1, 0]);
    // G1 counted hot-wallet changes as a swap (1); the canonical-only rule gives 0.
    expect(row.swap_count).toBe(0);
    expect([row.source_first_event_uid, row.source_last_event_uid]).toEqual(["e1", "e2"]);
  });

  it("classifiesKnownStreamSuccessWithoutCanonicalSwapFallback", () => {
    const row = toSessionRow(
      apply(
        fresh(),
        traceSignal("gateway_receive_stream_request", 1000, {
          orchestratorAddress: "0xhot1",
          sourceEventUid: "e1",
        }),
        traceSignal("gateway_receive_few_processed_segments", 2000, {
          orchestratorAddress: "0xhot2",
          sourceEventUid: "e2",
        }),
      ),
    );
    expect(row).toMatchObject({
      known_stream: 1,
      startup_success: 1,
      startup_unexcused: 0,
      confirmed_swap_count: 0,
      inferred_orchestrator_change_count: 0,
      swap_count: 0,
      source_first_event_uid: "e1",
      source_last_event_uid: "e2",
      orchestrator_address: "",
    });
  });

  it("classifiesExcusedByErrorTaxonomy", () => {
    const row = toSessionRow(
      apply(
        fresh(),
        traceSignal("gateway_receive_stream_request", 1000, { sourceEventUid: "e1" }),
        aiEventSignal("error", 2000, null, {
          message: "WHIP disconnected unexpectedly",
          sourceEventUid: "e2",
        }),
      ),
    );
    expect(row).toMatchObject({
      known_stream: 1,
      startup_success: 0,
      startup_excused: 1,
      startup_unexcused: 0,
      error_count: 1,
      excusable_error_count: 1,
    });
  });

  it("classificationPrecedenceKeepsSuccessOverExcusedSignals", () => {
    const row = toSessionRow(
      apply(
        fresh(),
        traceSignal("gateway_receive_stream_request", 1000),
        traceSignal("gateway_receive_few_processed_segments", 1100),
        traceSignal("gateway_no_orchestrators_available", 1200),
      ),
    );
    expect([row.startup_success, row.startup_excused, row.startup_unexcused]).toEqual([1, 0, 0]);
  });

  it("appliesCapabilityAttributionWithTtl", () => {
    const st = fresh();
    st.orchestratorAddress = "0xhot";
    applyAttribution(
      st,
      candidate({
        snapshotTs: 10_000,
        canonicalOrchestratorAddress: "0xcanonical",
        modelId: "streamdiffusion-sdxl",
        gpuId: "GPU-1",
      }),
      20_000,
      config,
    );
    const row = toSessionRow(st);
    expect(row).toMatchObject({
      orchestrator_address: "0xcanonical",
      model_id: "streamdiffusion-sdxl",
      gpu_id: "GPU-1",
      gpu_attribution_method: "nearest_prior_snapshot",
      gpu_attribution_confidence: Math.fround(0.9),
    });
    expect(row.gpu_attribution_confidence).toBeGreaterThan(0);
  });

  const canon = (address: string, ts: number): Candidate =>
    candidate({ snapshotTs: ts, canonicalOrchestratorAddress: address });

  it("canonicalAttributionPreventsFalseSwapFromHotWalletChanges", () => {
    const st = fresh();
    applySignal(
      st,
      traceSignal("gateway_receive_stream_request", 1000, { orchestratorAddress: "0xhotA" }),
      null,
    );
    applyAttribution(st, canon("0xcanonical", 1000), 1000, config);
    applySignal(
      st,
      traceSignal("gateway_receive_first_processed_segment", 2000, {
        orchestratorAddress: "0xhotB",
      }),
      null,
    );
    applyAttribution(st, canon("0xcanonical", 2000), 2000, config);
    const row = toSessionRow(st);
    expect([
      row.confirmed_swap_count,
      row.inferred_orchestrator_change_count,
      row.swap_count,
    ]).toEqual([0, 0, 0]);
  });

  it("tracksConfirmedAndInferredSwapSignalsSeparately", () => {
    const st = fresh();
    applySignal(
      st,
      traceSignal("gateway_receive_stream_request", 1000, { orchestratorAddress: "0xhotA" }),
      null,
    );
    applyAttribution(st, canon("0xcanonical-a", 1000), 1000, config);
    applySignal(
      st,
      traceSignal("orchestrator_swap", 2000, { orchestratorAddress: "0xhotB" }),
      null,
    );
    applyAttribution(st, canon("0xcanonical-b", 2000), 2000, config);
    const row = toSessionRow(st);
    expect([
      row.confirmed_swap_count,
      row.inferred_orchestrator_change_count,
      row.swap_count,
    ]).toEqual([1, 1, 1]);
  });

  it("inferredOnlyOrchestratorChangeDoesNotIncrementLegacySwapCount", () => {
    const st = fresh();
    applySignal(
      st,
      traceSignal("gateway_receive_stream_request", 1000, { orchestratorAddress: "0xhotA" }),
      null,
    );
    applyAttribution(st, canon("0xcanonical-a", 1000), 1000, config);
    applySignal(
      st,
      traceSignal("gateway_receive_first_processed_segment", 2000, {
        orchestratorAddress: "0xhotB",
      }),
      null,
    );
    applyAttribution(st, canon("0xcanonical-b", 2000), 2000, config);
    const row = toSessionRow(st);
    expect([
      row.confirmed_swap_count,
      row.inferred_orchestrator_change_count,
      row.swap_count,
    ]).toEqual([0, 1, 0]);
  });

  it("prodRegression_mixedSignalSequenceKeepsStreamdiffusionAttribution", () => {
    const canonical = "0xd00354656922168815fcd1e51cbddb9e359e3c7f";
    const gpu = "GPU-6f1bacf5-d5be-9cad-aa38-e35f905daebe";
    const index: CapabilityIndex = createCapabilityIndex();
    const cfg = { ...config.attribution, maxCandidatesPerKey: 32 };
    for (const c of [
      candidate({
        snapshotTs: 1739040506612,
        canonicalOrchestratorAddress: canonical,
        modelId: "streamdiffusion-sdxl",
        gpuId: gpu,
      }),
      candidate({
        snapshotTs: 1739040509903,
        canonicalOrchestratorAddress: canonical,
        pipeline: "llm",
        modelId: "meta-llama/Meta-Llama-3.1-8B-Instruct",
      }),
      candidate({
        snapshotTs: 1739040519000,
        canonicalOrchestratorAddress: canonical,
        modelId: "streamdiffusion-sdxl",
        gpuId: gpu,
      }),
    ]) {
      upsertCandidateInPlace(index, canonical, c, null, cfg);
    }
    const bucket = index.buckets[canonical];
    const hot = "0x52cf2968b3dc6016778742d3539449a6597d5954";
    const st = initSessionState("aiJobTesterStream-1771579795824071406|f43724b2");
    const status = statusSignal(1739041800304, "streamdiffusion-sdxl", {
      workflowSessionId: "aiJobTesterStream-1771579795824071406|f43724b2",
      orchestratorAddress: hot,
    });
    applySignal(st, status, status.pipeline);
    const first = selectCandidate(
      bucket,
      {
        modelHint: status.pipeline,
        urlHint: null,
        gpuHint: null,
        signalTs: status.signalTimestamp,
        ttlMs: TTL,
      },
      cfg,
    );
    if (first.code !== "selected") throw new Error(first.code);
    applyAttribution(st, first.candidate, status.signalTimestamp, config);
    const trace = traceSignal("gateway_receive_first_processed_segment", 1739041803000, {
      orchestratorAddress: hot,
    });
    applySignal(st, trace, trace.pipeline);
    const second = selectCandidate(
      bucket,
      {
        modelHint: st.pipeline,
        urlHint: null,
        gpuHint: st.gpuId,
        signalTs: trace.signalTimestamp,
        ttlMs: TTL,
      },
      cfg,
    );
    if (second.code !== "selected") throw new Error(second.code);
    applyAttribution(st, second.candidate, trace.signalTimestamp, config);
    expect(toSessionRow(st)).toMatchObject({
      pipeline: "streamdiffusion-sdxl",
      model_id: "streamdiffusion-sdxl",
      gpu_id: gpu,
    });
  });
});

describe("WorkflowSessionAggregatorFunctionTest (lifecycle.md §10.2)", () => {
  it("appliesResolvedPipelineToSignal_preventsModelLabelLeakIntoSessionPipeline", () => {
    const st = fresh();
    sessionApply(
      st,
      statusSignal(1000, "streamdiffusion-sdxl-v2v"),
      createCapabilityIndex(),
      config,
    );
    const row = toSessionRow(st);
    expect(row.pipeline).toBe("");
    expect(row.model_id).toBe("streamdiffusion-sdxl-v2v");
    expect(row.workflow_id).toBe("ai_live_video_stream");
  });

  it("capabilityLookupKeyFallsBackToStateOrchestratorAddress", () => {
    expect(lookupKeyOf("", "0xAbCd")).toBe("0xabcd");
    expect(lookupKeyOf(null, "0xAbCd")).toBe("0xabcd");
    expect(lookupKeyOf(" 0xHOT ", "0xAbCd")).toBe("0xhot");
  });
});

describe("session rules beyond the catalogue", () => {
  it("excusable error substrings (§4.4)", () => {
    for (const m of [
      "No orchestrators available within 2s timeout",
      "mediamtx ingest disconnected",
      "WHIP disconnected unexpectedly",
      "Missing video track",
      "ICE connection state failed",
      "user disconnected",
    ]) {
      expect(isExcusableError(m)).toBe(true);
    }
    expect(isExcusableError("CUDA out of memory")).toBe(false);
    expect(isExcusableError("   ")).toBe(false);
  });

  it("status health counters, LOADING is untrimmed and case-insensitive (§4.4, §4.10)", () => {
    const st = fresh();
    applySignal(st, statusSignal(1, "m", { statusState: "loading", statusOutputFps: 0 }), "m");
    expect(toSessionRow(st)).toMatchObject({
      loading_only_session: 1,
      zero_output_fps_session: 1,
      status_sample_count: 1,
    });
    applySignal(
      st,
      statusSignal(2, "m", {
        statusState: " LOADING",
        statusOutputFps: 0,
        statusLastError: "boom",
      }),
      "m",
    );
    expect(toSessionRow(st)).toMatchObject({
      loading_only_session: 0,
      zero_output_fps_session: 1,
      last_error_occurred: 1,
      status_error_sample_count: 1,
    });
  });

  it("health completeness: 1 for unknown streams, fround(count/3) for known ones", () => {
    const st = fresh();
    applySignal(st, traceSignal("gateway_receive_first_processed_segment", 5), null);
    expect(toSessionRow(st)).toMatchObject({
      health_signal_count: 1,
      health_expected_signal_count: 0,
      health_completeness_ratio: 1,
    });
    applySignal(st, traceSignal("gateway_receive_stream_request", 4), null);
    expect(toSessionRow(st).health_completeness_ratio).toBe(Math.fround(1 / 3));
    applySignal(st, statusSignal(6, "m"), "m");
    expect(toSessionRow(st).health_completeness_ratio).toBe(Math.fround(2 / 3));
  });

  it("session_start_ts takes start_time into account; workflow_id freezes at the first signal", () => {
    const st = fresh();
    applySignal(st, statusSignal(2000, "m", { startTimeMs: 1500 }), "live-video-to-video");
    applySignal(st, traceSignal("gateway_receive_stream_request", 1800), null);
    const row = toSessionRow(st);
    expect([row.session_start_ts, row.session_end_ts, row.workflow_id]).toEqual([
      1500,
      2000,
      "live-video-to-video",
    ]);
  });

  it("a null selection leaves every attribution field untouched (attribution.md §5.8)", () => {
    const st = fresh();
    const index = createCapabilityIndex();
    upsertCandidateInPlace(
      index,
      "0xhot",
      candidate({ snapshotTs: 1000, canonicalOrchestratorAddress: "0xcanon" }),
      null,
      config.attribution,
    );
    sessionApply(
      st,
      statusSignal(1000, "streamdiffusion-sdxl", { orchestratorAddress: "0xhot" }),
      index,
      config,
    );
    const before = JSON.stringify([
      st.orchestratorAddress,
      st.gpuId,
      st.attributionMethod,
      st.attributionConfidence,
      st.canonicalOrchestratorsSeen,
    ]);
    sessionApply(
      st,
      statusSignal(2000, "meta-llama/Meta-Llama-3.1-8B-Instruct", { orchestratorAddress: "0xhot" }),
      index,
      config,
    );
    expect(st.attributionOutcome).toBe("no_compatible_candidate");
    expect(
      JSON.stringify([
        st.orchestratorAddress,
        st.gpuId,
        st.attributionMethod,
        st.attributionConfidence,
        st.canonicalOrchestratorsSeen,
      ]),
    ).toBe(before);
  });

  it("served / unserved reasons (§8.2)", () => {
    const reasonOf = (...signals: Parameters<typeof applySignal>[1][]) => {
      const r = toSessionRow(apply(fresh(), ...signals));
      return [r.served_session, r.unserved_session, r.service_failure_reason];
    };
    const req = traceSignal("gateway_receive_stream_request", 1000);
    expect(reasonOf(req, traceSignal("gateway_no_orchestrators_available", 1100))).toEqual([
      0,
      1,
      "no_orchestrators_available",
    ]);
    expect(
      reasonOf(req, aiEventSignal("error", 1100, null, { message: "no orchestrators available" })),
    ).toEqual([0, 1, "no_orchestrators_available"]);
    expect(
      reasonOf(req, aiEventSignal("error", 1100, null, { message: "WHIP disconnected" })),
    ).toEqual([0, 1, "excusable_error"]);
    expect(reasonOf(req, aiEventSignal("error", 1100, null, { message: "CUDA OOM" }))).toEqual([
      0,
      1,
      "non_excusable_error",
    ]);
    expect(reasonOf(req)).toEqual([0, 1, "orchestrator_not_assigned"]);
    expect(
      reasonOf(
        req,
        traceSignal("gateway_send_first_ingest_segment", 1100, { orchestratorAddress: "0xhot" }),
      ),
    ).toEqual([0, 1, "no_processed_output"]);
    expect(
      reasonOf(
        req,
        traceSignal("gateway_send_first_ingest_segment", 1100, { orchestratorAddress: "0xhot" }),
        traceSignal("gateway_receive_first_processed_segment", 1200),
      ),
    ).toEqual([0, 1, "not_playable"]);
    const playable = traceSignal("gateway_receive_few_processed_segments", 1300);
    expect(reasonOf(req, playable, statusSignal(1400, "m", { statusState: "LOADING" }))).toEqual([
      0,
      1,
      "loading_only",
    ]);
    expect(reasonOf(req, playable, statusSignal(1400, "m", { statusOutputFps: 0 }))).toEqual([
      0,
      1,
      "zero_output_fps",
    ]);
    expect(reasonOf(req, playable, statusSignal(1400, "m"))).toEqual([1, 0, ""]);
    expect(reasonOf(playable)).toEqual([0, 0, ""]);
  });

  it("durations and assignment milestone (§8.3): runner clock and AI events never assign", () => {
    const st = apply(
      fresh(),
      traceSignal("gateway_receive_stream_request", 1000),
      traceSignal("runner_receive_first_ingest_segment", 900, { orchestratorAddress: "0xhot" }),
      aiEventSignal("params_update", 950, null),
      traceSignal("gateway_send_first_ingest_segment", 1100, { orchestratorAddress: "0xhot" }),
      traceSignal("gateway_receive_few_processed_segments", 1500),
      statusSignal(1600, "m", { startTimeMs: 500 }),
      traceSignal("gateway_ingest_stream_closed", 3000),
    );
    expect(toSessionRow(st)).toMatchObject({
      session_start_ts: 500,
      orchestrator_assigned_ts: 1100,
      stream_closed_ts: 3000,
      active_duration_ms: 2000,
      served_duration_ms: 1500,
      served_session: 1,
    });
  });
});
