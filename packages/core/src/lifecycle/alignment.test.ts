import { describe, expect, it } from "vitest";
import { statusSample, traceSample } from "@livepeer-analytics/testing";
import {
  alignAdvance,
  alignNewSample,
  alignSegmentRow,
  coveringSegment,
  initAlignmentState,
} from "./alignment.js";
import type { SegmentRow } from "./segment.js";

const segment = (over: Partial<SegmentRow>): SegmentRow => ({
  workflow_session_id: "wf-1",
  segment_index: 0,
  segment_start_ts: 1900,
  segment_end_ts: null,
  gateway: "",
  pipeline: "live-video-to-video",
  orchestrator_address: "0xcanonical",
  orchestrator_url: "https://orch.example",
  worker_id: null,
  gpu_id: "gpu-1",
  model_id: "streamdiffusion-sdxl-v2v",
  region: "us-west",
  gpu_attribution_method: "nearest_prior_snapshot",
  gpu_attribution_confidence: Math.fround(0.9),
  reason: "initial",
  source_trace_type: "",
  source_event_uid: "seg",
  version: 1,
  attribution_source: "direct",
  is_retracted: 0,
  ...over,
});

describe("segment-aligned samples (lifecycle.md §10.8)", () => {
  it("WorkflowStatusAttributionProcessFunctionTest.buffersUnmatchedStatusAndEmitsAttributedAfterSegmentArrives", () => {
    const st = initAlignmentState();
    const sample = statusSample(2000, {
      workflowSessionId: "wf-1",
      streamId: "stream-1",
      requestId: "req-1",
      gateway: "naap-gateway",
      state: "running",
      outputFps: 24,
      inputFps: 30,
    });
    expect(alignNewSample(st, sample, null)).toEqual([]);
    const out = alignSegmentRow(st, segment({}));
    expect(out).toHaveLength(1);
    expect(out[0]!.table).toBe("fact_stream_status_samples");
    expect(out[0]!.row).toMatchObject({
      is_attributed: 1,
      pipeline: "live-video-to-video",
      model_id: "streamdiffusion-sdxl-v2v",
      gpu_id: "gpu-1",
      region: "us-west",
      orchestrator_address: "0xcanonical",
      orchestrator_url: "https://orch.example",
      gpu_attribution_method: "segment_window_join",
      gpu_attribution_confidence: 1,
      workflow_session_id: "wf-1",
      gateway: "naap-gateway",
      state: "running",
      output_fps: 24,
      input_fps: 30,
      version: 1,
      attribution_source: "direct",
    });
  });

  it("WorkflowTraceAttributionProcessFunctionTest.buffersUnmatchedTraceAndEmitsAttributedAfterSegmentArrives", () => {
    const st = initAlignmentState();
    expect(
      alignNewSample(
        st,
        traceSample("gateway_receive_first_processed_segment", 1000, { workflowSessionId: "wf-1" }),
        null,
      ),
    ).toEqual([]);
    const out = alignSegmentRow(st, segment({ segment_start_ts: 900 }));
    expect(out.map((o) => o.row)).toMatchObject([
      {
        is_attributed: 1,
        pipeline: "live-video-to-video",
        model_id: "streamdiffusion-sdxl-v2v",
        orchestrator_address: "0xcanonical",
        workflow_session_id: "wf-1",
        trace_category: "gateway",
        is_swap_event: 0,
      },
    ]);
  });
});

describe("join rules (lifecycle.md §5.5)", () => {
  it("covering rule: start inclusive, end exclusive; greatest start, then version, then index", () => {
    const a = segment({ segment_index: 0, segment_start_ts: 100, segment_end_ts: 200, version: 2 });
    const b = segment({
      segment_index: 1,
      segment_start_ts: 200,
      segment_end_ts: null,
      version: 3,
      orchestrator_address: "0xb",
    });
    expect(coveringSegment([a, b], 99)).toBeNull();
    expect(coveringSegment([a, b], 100)).toBe(a);
    expect(coveringSegment([a, b], 200)).toBe(b);
    const a2 = segment({
      segment_index: 0,
      segment_start_ts: 100,
      segment_end_ts: null,
      version: 5,
    });
    expect(
      coveringSegment([a2, segment({ segment_index: 1, segment_start_ts: 100, version: 4 })], 150),
    ).toBe(a2);
  });

  it("a covering segment without a canonical address gives an immediate unattributed row (no buffering)", () => {
    const st = initAlignmentState();
    alignSegmentRow(st, segment({ orchestrator_address: "", orchestrator_url: "" }));
    const [row] = alignNewSample(
      st,
      statusSample(2000, { orchestratorUrl: "https://payload" }),
      null,
    );
    expect(row!.row).toMatchObject({
      is_attributed: 0,
      orchestrator_address: "",
      pipeline: "",
      model_id: null,
      gpu_id: null,
      region: null,
      orchestrator_url: "https://payload",
      gpu_attribution_method: "none",
      gpu_attribution_confidence: 0,
      attribution_source: "unattributed",
    });
    expect(st.pending).toEqual([]);
  });

  it("pending samples are released unattributed once the watermark wait elapsed; same key replaces", () => {
    const st = initAlignmentState();
    alignNewSample(st, statusSample(2000, { sourceEventUid: "u", state: "first" }), 5000);
    alignNewSample(st, statusSample(2000, { sourceEventUid: "u", state: "second" }), 5000);
    alignNewSample(st, traceSample("x", 2500), 5000);
    expect(st.pending).toHaveLength(2);
    expect(alignAdvance(st, 19_999, 15_000)).toHaveLength(0);
    const released = alignAdvance(st, 20_000, 15_000);
    expect(released.map((r) => [r.table, r.row.is_attributed])).toEqual([
      ["fact_stream_status_samples", 0],
      ["fact_stream_trace_edges", 0],
    ]);
    expect((released[0]!.row as { state: string }).state).toBe("second");
    expect(st.pending).toEqual([]);
    // Before the first watermark the wait is measured from the sample's own time.
    alignNewSample(st, traceSample("y", 2500), null);
    expect(alignAdvance(st, 17_499, 15_000)).toHaveLength(0);
    expect(alignAdvance(st, 17_500, 15_000)).toHaveLength(1);
  });

  it("a stored segment row is replaced only by an equal or higher version", () => {
    const st = initAlignmentState();
    alignSegmentRow(st, segment({ version: 3, orchestrator_address: "0xnew" }));
    alignSegmentRow(st, segment({ version: 2, orchestrator_address: "0xold" }));
    expect(st.segments[0]!.orchestrator_address).toBe("0xnew");
  });
});
