import { describe, expect, it } from "vitest";
import { candidate, traceSignal } from "@livepeer-analytics/testing";
import { DEFAULT_LIFECYCLE_CONFIG } from "./config.js";
import { initSegmentState, segmentTransition, type SegmentRow } from "./segment.js";

const config = DEFAULT_LIFECYCLE_CONFIG;
const snap = (ts: number, canonical: string) =>
  candidate({ snapshotTs: ts, canonicalOrchestratorAddress: canonical });
const trace = (type: string, ts: number, hot: string) =>
  traceSignal(type, ts, {
    workflowSessionId: "s|r",
    orchestratorAddress: hot,
    sourceEventUid: `e-${ts}`,
  });
const pick = (r: SegmentRow) => [
  r.segment_index,
  r.orchestrator_address,
  r.segment_start_ts,
  r.segment_end_ts,
  r.reason,
  r.version,
];

describe("WorkflowSessionSegmentStateMachineTest (lifecycle.md §10.3)", () => {
  it("emitsNewSegmentWhenOrchestratorChanges", () => {
    const seg = initSegmentState();
    const first = segmentTransition(
      seg,
      trace("gateway_receive_stream_request", 1000, "0xhot1"),
      "",
      snap(1000, "0xofficial1"),
      config,
    );
    expect(first.map(pick)).toEqual([[0, "0xofficial1", 1000, null, "initial", 1]]);
    expect(first[0]!.gpu_attribution_method).toBe("exact_orchestrator_time_match");
    const second = segmentTransition(
      seg,
      trace("orchestrator_swap", 2000, "0xhot2"),
      "",
      snap(2000, "0xofficial2"),
      config,
    );
    expect(second.map(pick)).toEqual([
      [0, "0xofficial1", 1000, 2000, "orchestrator_change", 2],
      [1, "0xofficial2", 2000, null, "orchestrator_change", 3],
    ]);
    expect(second[1]!.gpu_attribution_method).toBe("exact_orchestrator_time_match");
    expect(second.map((r) => r.source_trace_type)).toEqual([
      "orchestrator_swap",
      "orchestrator_swap",
    ]);
  });

  it("closesSegmentOnExplicitCloseEdge", () => {
    const seg = initSegmentState();
    segmentTransition(
      seg,
      trace("gateway_receive_stream_request", 1000, "0xhot1"),
      "",
      snap(1000, "0xofficial1"),
      config,
    );
    const rows = segmentTransition(
      seg,
      trace("gateway_ingest_stream_closed", 2500, ""),
      "",
      snap(2500, "0xofficial1"),
      config,
    );
    expect(rows.map(pick)).toEqual([[0, "0xofficial1", 1000, 2500, "stream_closed", 2]]);
  });

  it("doesNotCreateNewSegmentOnNonBoundarySignals", () => {
    const seg = initSegmentState();
    const a = segmentTransition(
      seg,
      trace("gateway_receive_stream_request", 1000, "0xhot1"),
      "",
      snap(1000, "0xofficial1"),
      config,
    );
    const b = segmentTransition(
      seg,
      trace("gateway_receive_first_processed_segment", 1500, "0xhot1"),
      "",
      snap(1500, "0xofficial1"),
      config,
    );
    expect([...a, ...b].map((r) => [r.segment_index, r.segment_end_ts])).toEqual([
      [0, null],
      [0, null],
    ]);
  });
});

describe("segment consequences (lifecycle.md §5.3)", () => {
  it("the first assignment is an in-place update; a session without capability data stays one segment", () => {
    const seg = initSegmentState();
    const rows = [
      ...segmentTransition(
        seg,
        trace("gateway_receive_stream_request", 1000, ""),
        "",
        null,
        config,
      ),
      ...segmentTransition(
        seg,
        trace("gateway_send_first_ingest_segment", 1100, "0xhot"),
        "",
        null,
        config,
      ),
      ...segmentTransition(
        seg,
        trace("gateway_receive_first_processed_segment", 1200, "0xhot"),
        "",
        snap(1150, "0xcanon"),
        config,
      ),
    ];
    expect(rows.map(pick)).toEqual([
      [0, "", 1000, null, "initial", 1],
      [0, "", 1000, null, "initial", 2],
      [0, "0xcanon", 1000, null, "initial", 3],
    ]);
    expect(rows[2]!.gpu_attribution_method).toBe("nearest_prior_snapshot");
  });

  it("the snapshot URL wins over the signal URL on segments", () => {
    const seg = initSegmentState();
    const [row] = segmentTransition(
      seg,
      traceSignal("gateway_receive_stream_request", 1000, {
        orchestratorUrl: "https://signal",
        orchestratorAddress: "0xhot",
      }),
      "",
      candidate({
        snapshotTs: 1000,
        canonicalOrchestratorAddress: "0xc",
        orchestratorUrl: "https://snapshot",
      }),
      config,
    );
    expect(row!.orchestrator_url).toBe("https://snapshot");
  });

  it("a close processed first (case A) does not close; a later close overwrites the end time", () => {
    const seg = initSegmentState();
    const a = segmentTransition(
      seg,
      trace("gateway_ingest_stream_closed", 1000, ""),
      "",
      null,
      config,
    );
    expect(a.map(pick)).toEqual([[0, "", 1000, null, "initial", 1]]);
    segmentTransition(seg, trace("gateway_ingest_stream_closed", 3000, ""), "", null, config);
    const c = segmentTransition(
      seg,
      trace("gateway_ingest_stream_closed", 2000, ""),
      "",
      null,
      config,
    );
    expect(c.map(pick)).toEqual([[0, "", 1000, 2000, "stream_closed", 3]]);
  });
});
