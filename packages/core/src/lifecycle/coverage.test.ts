import { describe, expect, it } from "vitest";
import fc from "fast-check";
import { aiEventSignal, lifecycleStreamArbitrary, traceSignal } from "@livepeer-analytics/testing";
import {
  compactCoverageRecord,
  coverageApply,
  initCoverageState,
  toCoverageRow,
  type CoverageState,
} from "./coverage.js";
import { applySignal, initSessionState, type SessionState } from "./session.js";

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

describe("the compact coverage accumulator", () => {
  /** The coverage fields of a whole session accumulator (as coverage kept before it was compact). */
  const projected = (full: SessionState): CoverageState =>
    compactCoverageRecord(full) as CoverageState;

  it("holds exactly the fields of a fresh session accumulator it needs, with their values", () => {
    const fresh = initCoverageState();
    expect(projected(initSessionState())).toEqual(fresh);
    expect(Object.keys(projected(initSessionState()))).toEqual(Object.keys(fresh));
    expect(Object.keys(fresh).sort()).toEqual(
      [
        "v",
        "workflowSessionId",
        "streamId",
        "requestId",
        "pipeline",
        "gateway",
        "modelId",
        "version",
        "knownStream",
        "firstStreamRequestTs",
        "firstProcessedTs",
        "startupSuccess",
        "firstPlayableTs",
      ].sort(),
    );
  });

  it("evolves as the whole session accumulator did, row for row (applySignal with the raw pipeline)", () => {
    fc.assert(
      fc.property(lifecycleStreamArbitrary({ maxSessions: 3 }), (inputs) => {
        const full = new Map<string, SessionState>();
        const compact = new Map<string, CoverageState>();
        for (const input of inputs) {
          if (input.kind !== "signal") continue;
          const s = input.signal;
          const id = s.workflowSessionId;
          const f = full.get(id) ?? initSessionState();
          const c = compact.get(id) ?? initCoverageState();
          full.set(id, f);
          compact.set(id, c);
          // What coverage did while its accumulator was a whole session accumulator.
          applySignal(f, s, s.pipeline);
          expect(coverageApply(c, s)).toEqual(toCoverageRow(f, s));
          expect(c).toEqual(projected(f));
        }
      }),
      { numRuns: 60 },
    );
  });

  it("blank identity values and model hints are kept out as the session reducer keeps them out", () => {
    const st = initCoverageState();
    coverageApply(st, aiEventSignal("params_update", 1, "  ", { streamId: " " }));
    expect(st).toMatchObject({ streamId: "", pipeline: "", modelId: null, version: 1 });
    coverageApply(st, aiEventSignal("params_update", 2, "m-1", { streamId: "s-1" }));
    coverageApply(st, aiEventSignal("params_update", 3, "m-2", { streamId: "s-2" }));
    expect(st).toMatchObject({ streamId: "s-1", pipeline: "m-1", modelId: "m-1", version: 3 });
  });

  it("compactCoverageRecord keeps the coverage fields only, and leaves anything else alone", () => {
    const full = { ...initSessionState("w"), errorCount: 3, pipelinesSeen: ["a"] };
    const compact = compactCoverageRecord(full);
    expect(compact).toEqual({ ...initCoverageState(), workflowSessionId: "w" });
    expect(full.pipelinesSeen).toEqual(["a"]); // pure
    expect(compactCoverageRecord({ version: "x" })).toEqual({ version: "x" });
    for (const v of [null, 3, "s", [1]]) expect(compactCoverageRecord(v)).toBe(v);
  });
});
