// The worked example of lifecycle.md §4.12 on the real 2026-01-08 event log, in arrival order,
// with the REFERENCE_COMPAT configuration (ingest-and-storage.md §10.3 for the aligned rows).
import { describe, expect, it } from "vitest";
import { realEventLines } from "@livepeer-analytics/testing/fixtures";
import { parseCapabilitySnapshots } from "../events/network-capabilities.js";
import { runGate } from "../quality/gate.js";
import { REFERENCE_COMPAT_LIFECYCLE_CONFIG, type LifecycleConfig } from "./config.js";
import type { LifecycleOutput } from "./fold.js";
import { initLifecycleState, lifecycleOperator } from "./operator.js";
import { toLifecycleInputs } from "./signal.js";

function replay(config: LifecycleConfig): LifecycleOutput[] {
  const state = initLifecycleState();
  const outputs: LifecycleOutput[] = [];
  let maxTs = -Infinity;
  for (const line of realEventLines()) {
    const gate = runGate({ value: line }, { now: 0 });
    if (!gate.ok) throw new Error(gate.envelope.failure.reason);
    const e = gate.event;
    if (e.eventType === "network_capabilities") {
      outputs.push(
        ...lifecycleOperator.stepInPlace(
          state,
          { kind: "capability", snapshots: parseCapabilitySnapshots(e).rows },
          config,
        ),
      );
    } else {
      const inputs = toLifecycleInputs(e);
      if (inputs !== null)
        outputs.push(
          ...lifecycleOperator.stepInPlace(state, { kind: "signal", ...inputs }, config),
        );
    }
    maxTs = Math.max(maxTs, e.timestamp);
    outputs.push(
      ...lifecycleOperator.advanceInPlace(
        state,
        maxTs - config.attribution.allowedLatenessMs,
        config,
      ),
    );
  }
  outputs.push(...lifecycleOperator.advanceInPlace(state, Number.MAX_SAFE_INTEGER, config));
  return outputs;
}

const rows = <T extends string>(outs: LifecycleOutput[], table: T) =>
  outs.flatMap((o) =>
    o.kind === "row" && o.table === table ? [o.row as Record<string, unknown>] : [],
  );

describe("lifecycle.md §4.12 worked example (REFERENCE_COMPAT, arrival order)", () => {
  const config: LifecycleConfig = {
    ...REFERENCE_COMPAT_LIFECYCLE_CONFIG,
    edgeSemanticsVersions: ["v1", "v2"],
  };
  const outs = replay(config);
  const sessions = rows(outs, "fact_workflow_sessions");

  it("emits one session row per signal, the last at version 23 with the listed values", () => {
    expect(sessions.map((r) => r["version"])).toEqual(Array.from({ length: 23 }, (_, i) => i + 1));
    expect(sessions.at(-1)).toEqual({
      workflow_session_id: "stream-o5s73x-mk5zc8fy|db936fab",
      workflow_type: "ai_live_video_stream",
      workflow_id: "ai_live_video_stream",
      stream_id: "stream-o5s73x-mk5zc8fy",
      request_id: "db936fab",
      session_id: "",
      pipeline: "live-video-to-video",
      gateway: "",
      orchestrator_address: "0xd00354656922168815fcd1e51cbddb9e359e3c7f",
      orchestrator_url: "https://rtav-orch2.xodeapp.xyz:28935",
      model_id: "streamdiffusion-sdxl-faceid",
      gpu_id: "GPU-a8d13655-197b-2226-d09f-b4b81e07504b",
      region: null,
      has_model_change: 0,
      has_pipeline_change: 0,
      gpu_attribution_method: "nearest_prior_snapshot",
      gpu_attribution_confidence: Math.fround(0.9),
      session_start_ts: 1767908945298,
      session_end_ts: 1767909115610,
      known_stream: 1,
      startup_success: 1,
      startup_excused: 0,
      startup_unexcused: 0,
      confirmed_swap_count: 0,
      inferred_orchestrator_change_count: 0,
      swap_count: 0,
      error_count: 0,
      excusable_error_count: 0,
      last_error_occurred: 0,
      loading_only_session: 0,
      zero_output_fps_session: 0,
      status_sample_count: 17,
      status_error_sample_count: 0,
      health_signal_count: 3,
      health_expected_signal_count: 3,
      health_completeness_ratio: 1,
      first_stream_request_ts: 1767908945298,
      first_processed_ts: 1767908947953,
      first_playable_ts: 1767908952042,
      event_count: 23,
      version: 23,
      source_first_event_uid: "59485235-8460-472f-a894-3b84f37ee9bb",
      source_last_event_uid: "8b35b1b6-38ca-4acb-bc55-84ecc5cb73b5",
      served_session: 1,
      unserved_session: 0,
      service_failure_reason: "",
      orchestrator_assigned_ts: 1767908947583,
      stream_closed_ts: null,
      served_duration_ms: 163568,
      active_duration_ms: 170312,
      capacity_units_at_start: 1,
      capacity_snapshot_ts: 1767909021590,
      attribution_source: "direct",
      attribution_outcome: "selected",
    });
  });

  it("before the capability event nothing is attributed; the first status sets the model from its hint", () => {
    const beforeCap = sessions.filter((r) => (r["version"] as number) <= 13);
    expect(beforeCap.every((r) => r["orchestrator_address"] === "" && r["pipeline"] === "")).toBe(
      true,
    );
    expect(sessions[5]!["model_id"]).toBeNull();
    expect(sessions[6]!["model_id"]).toBe("streamdiffusion-sdxl-faceid");
    expect(sessions[13]).toMatchObject({
      pipeline: "live-video-to-video",
      gpu_attribution_method: "nearest_prior_snapshot",
    });
  });

  it("latency: v1 2655 / 4089 / 6744 ms and v2 6435 / 2655 / 105 ms on the final version", () => {
    const latency = rows(outs, "fact_workflow_latency_samples").filter((r) => r["version"] === 23);
    expect(
      latency.map((r) => [
        r["edge_semantics_version"],
        r["prompt_to_first_frame_ms"],
        r["startup_time_ms"],
        r["e2e_latency_ms"],
      ]),
    ).toEqual([
      ["v1", 2655, 4089, 6744],
      ["v2", 6435, 2655, 105],
    ]);
    expect(latency[0]).toMatchObject({
      sample_ts: 1767908945298,
      has_prompt_to_first_frame: 1,
      prompt_to_first_frame_null_reason: "",
    });
    expect(rows(outs, "fact_workflow_latency_samples")).toHaveLength(46);
  });

  it("status samples and trace edges: 17 / 6 rows; 10 / 0 attributed in REFERENCE_COMPAT", () => {
    const status = rows(outs, "fact_stream_status_samples");
    const traces = rows(outs, "fact_stream_trace_edges");
    expect([status.length, traces.length]).toEqual([17, 6]);
    expect(status.filter((r) => r["is_attributed"] === 1)).toHaveLength(10);
    expect(traces.filter((r) => r["is_attributed"] === 1)).toHaveLength(0);
    const attributed = status.find((r) => r["is_attributed"] === 1)!;
    expect(attributed).toMatchObject({
      sample_ts: 1767909025622,
      orchestrator_address: "0xd00354656922168815fcd1e51cbddb9e359e3c7f",
      pipeline: "live-video-to-video",
      model_id: "streamdiffusion-sdxl-faceid",
      gpu_id: "GPU-a8d13655-197b-2226-d09f-b4b81e07504b",
      gpu_attribution_method: "segment_window_join",
      gpu_attribution_confidence: 1,
      attribution_source: "direct",
      version: 1,
    });
    expect(status[0]).toMatchObject({
      is_attributed: 0,
      orchestrator_address: "",
      pipeline: "",
      model_id: null,
      attribution_source: "unattributed",
    });
    expect(status[0]!["source_event_uid"]).toBe(
      "fb2306a831eba8fd765f3ed68699af420d78b0096b90e3e0ab75855f0603738f",
    );
    expect(traces[0]!["source_event_uid"]).toBe(
      "d91637ef270f0a2a05a2acf5b912051a1dbb9e23f714e0cda0cc4811ef880c95",
    );
    expect(traces.map((r) => r["trace_category"])).toEqual([
      "gateway",
      "gateway",
      "runner",
      "runner",
      "gateway",
      "gateway",
    ]);
  });

  it("one segment, attributed in place when the capability arrives; coverage has one row per signal", () => {
    const segments = rows(outs, "fact_workflow_session_segments");
    expect(segments).toHaveLength(23);
    expect(new Set(segments.map((r) => r["segment_index"]))).toEqual(new Set([0]));
    expect(segments.at(-1)).toMatchObject({
      orchestrator_address: "0xd00354656922168815fcd1e51cbddb9e359e3c7f",
      pipeline: "live-video-to-video",
      reason: "initial",
      segment_start_ts: 1767908945298,
      segment_end_ts: null,
      version: 23,
    });
    const coverage = rows(outs, "fact_lifecycle_edge_coverage");
    expect(coverage).toHaveLength(23);
    expect(coverage.at(-1)).toMatchObject({
      unmatched_reason: "",
      pipeline: "streamdiffusion-sdxl-faceid",
      orchestrator_address: "",
    });
    expect(rows(outs, "fact_workflow_param_updates")).toHaveLength(0);
  });
});
