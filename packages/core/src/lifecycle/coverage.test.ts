import { describe, expect, it } from "vitest";
import { traceSignal } from "@livepeer-analytics/testing";
import { coverageApply, initCoverageState, toCoverageRow } from "./coverage.js";

describe("WorkflowLifecycleCoverageAggregatorFunctionTest (lifecycle.md §10.5)", () => {
  it("emitsMatchedCoverageWhenStartupAndPlayableEdgesExist", () => {
    const st = initCoverageState();
    Object.assign(st, {
      knownStream: true,
      firstProcessedTs: 2000,
      firstPlayableTs: 2500,
      version: 4,
    });
    const row = toCoverageRow(st, traceSignal("gateway_receive_few_processed_segments", 2500));
    expect(row).toMatchObject({
      known_stream: 1,
      startup_edge_matched: 1,
      playable_edge_matched: 1,
      unmatched_reason: "",
      version: 4,
    });
  });

  it("emitsAwaitingProcessedReasonBeforeTerminalClose", () => {
    const row = coverageApply(
      initCoverageState(),
      traceSignal("gateway_receive_stream_request", 1000),
    );
    expect(row).toMatchObject({
      known_stream: 1,
      unmatched_reason: "awaiting_first_processed_segment_edge",
      is_terminal_signal: 0,
    });
  });

  it("emitsTerminalUnmatchedReasonWhenClosedWithoutProcessedEdge", () => {
    const st = initCoverageState();
    st.knownStream = true;
    const row = coverageApply(st, traceSignal("gateway_ingest_stream_closed", 3000));
    expect(row).toMatchObject({
      is_terminal_signal: 1,
      unmatched_reason: "missing_first_processed_segment_edge",
    });
  });

  it("every reason of the vocabulary, and the raw (unresolved) context", () => {
    const st = initCoverageState();
    expect(
      coverageApply(st, traceSignal("gateway_receive_first_processed_segment", 1)).unmatched_reason,
    ).toBe("missing_stream_request_edge");
    expect(
      coverageApply(st, traceSignal("gateway_receive_stream_request", 0)).unmatched_reason,
    ).toBe("awaiting_playable_edge");
    expect(coverageApply(st, traceSignal("gateway_ingest_stream_closed", 5)).unmatched_reason).toBe(
      "missing_playable_edge",
    );
    const row = coverageApply(
      st,
      traceSignal("gateway_receive_few_processed_segments", 6, { orchestratorAddress: "0xhot" }),
    );
    expect(row).toMatchObject({ unmatched_reason: "", orchestrator_address: "", version: 4 });
  });
});
