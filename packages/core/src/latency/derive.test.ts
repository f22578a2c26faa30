import { describe, expect, it } from "vitest";
import {
  deriveInterval,
  deriveLatencyRows,
  type LatencyEdges,
  type LatencySessionColumns,
} from "./derive.js";

const session = (version: number, start = 1000): LatencySessionColumns => ({
  workflow_session_id: "s|r",
  stream_id: "s",
  request_id: "r",
  gateway: "gateway-1",
  orchestrator_address: "0xorch",
  pipeline: "live-video-to-video",
  model_id: "streamdiffusion-sdxl",
  gpu_id: "GPU-1",
  region: null,
  session_start_ts: start,
  gpu_attribution_method: "nearest_prior_snapshot",
  gpu_attribution_confidence: Math.fround(0.9),
  version,
});
const edges = (e: Partial<LatencyEdges>): LatencyEdges => ({
  firstStreamRequestTs: null,
  firstProcessedTs: null,
  firstPlayableTs: null,
  firstStartTimeMs: null,
  firstIngestSentTs: null,
  firstRunnerProcessedTs: null,
  ...e,
});
const kpis = (r: {
  prompt_to_first_frame_ms: number | null;
  startup_time_ms: number | null;
  e2e_latency_ms: number | null;
}) => [r.prompt_to_first_frame_ms, r.startup_time_ms, r.e2e_latency_ms];

describe("WorkflowLatencyDerivationTest (lifecycle.md §10.4)", () => {
  it("derivesLatencyIntervalsFromSessionEdges", () => {
    const [row] = deriveLatencyRows(
      session(7),
      edges({ firstStreamRequestTs: 1000, firstProcessedTs: 1200, firstPlayableTs: 4300 }),
      ["v1"],
    );
    expect(kpis(row!)).toEqual([200, 3100, 3300]);
    expect(row).toMatchObject({
      has_prompt_to_first_frame: 1,
      has_startup_time: 1,
      has_e2e_latency: 1,
      edge_semantics_version: "v1",
      version: 7,
      gateway: "gateway-1",
      orchestrator_address: "0xorch",
      pipeline: "live-video-to-video",
      model_id: "streamdiffusion-sdxl",
      gpu_id: "GPU-1",
      sample_ts: 1000,
    });
  });

  it("nullsInvalidOrMissingIntervals", () => {
    const [row] = deriveLatencyRows(
      session(1),
      edges({ firstStreamRequestTs: 2000, firstProcessedTs: 1000 }),
      ["v1"],
    );
    expect(kpis(row!)).toEqual([null, null, null]);
    expect([row!.has_prompt_to_first_frame, row!.has_startup_time, row!.has_e2e_latency]).toEqual([
      0, 0, 0,
    ]);
    expect([
      row!.prompt_to_first_frame_null_reason,
      row!.startup_time_null_reason,
      row!.e2e_latency_null_reason,
    ]).toEqual(["negative_interval", "missing_end_edge", "missing_end_edge"]);
  });

  const both = edges({
    firstStreamRequestTs: 1000,
    firstIngestSentTs: 1100,
    firstRunnerProcessedTs: 1150,
    firstProcessedTs: 1200,
    firstPlayableTs: 4300,
    firstStartTimeMs: 900,
  });

  it("v2 pairs (§6.2): two rows per session version", () => {
    const rows = deriveLatencyRows(session(3), both, ["v1", "v2"]);
    expect(rows.map((r) => [r.edge_semantics_version, ...kpis(r), r.version])).toEqual([
      ["v1", 200, 3100, 3300, 3],
      ["v2", 3400, 200, 50, 3],
    ]);
  });

  it("default emits v1 only", () => {
    const rows = deriveLatencyRows(session(3), both, ["v1"]);
    expect(rows.map((r) => r.edge_semantics_version)).toEqual(["v1"]);
  });
});

describe("null reasons (§8.5)", () => {
  it("in precedence order; zero is a valid interval", () => {
    expect(deriveInterval(null, null)).toEqual({ ms: null, nullReason: "missing_both_edges" });
    expect(deriveInterval(null, 5)).toEqual({ ms: null, nullReason: "missing_start_edge" });
    expect(deriveInterval(5, null)).toEqual({ ms: null, nullReason: "missing_end_edge" });
    expect(deriveInterval(5, 4)).toEqual({ ms: null, nullReason: "negative_interval" });
    expect(deriveInterval(5, 5)).toEqual({ ms: 0, nullReason: "" });
  });
});
