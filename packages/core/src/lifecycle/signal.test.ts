import { describe, expect, it } from "vitest";
import { runGate } from "../quality/gate.js";
import { toLifecycleInputs, traceCategory } from "./signal.js";

const accept = (root: unknown) => {
  const r = runGate({ value: JSON.stringify(root) }, { now: 0 });
  if (!r.ok) throw new Error(r.envelope.failure.reason);
  return r.event;
};

describe("StreamingEventsToClickHouseSignalMappingTest (lifecycle.md §10.6)", () => {
  it("traceSignalMappingCarriesGatewayFromSourceEvent", () => {
    const out = toLifecycleInputs(
      accept({
        id: "evt-trace-1",
        type: "stream_trace",
        timestamp: 1739000000000,
        gateway: "gateway-a",
        data: {
          stream_id: "stream-1",
          request_id: "req-1",
          type: "gateway_receive_stream_request",
          timestamp: 1739000000200,
          event_timestamp: 1739000000100,
        },
      }),
    )!;
    expect(out.signal).toMatchObject({
      gateway: "gateway-a",
      workflowSessionId: "stream-1|req-1",
      signalTimestamp: 1739000000200,
      ingestTimestamp: 1739000000000,
    });
  });

  it("aiEventSignalMappingCarriesGatewayFromSourceEvent", () => {
    const out = toLifecycleInputs(
      accept({
        id: "evt-ai-1",
        type: "ai_stream_events",
        timestamp: "1739000001100",
        gateway: "gateway-b",
        data: {
          type: "error",
          stream_id: "stream-2",
          request_id: "req-2",
          pipeline: "streamdiffusion-sdxl",
          pipeline_id: "",
          capability: "LiveVideoToVideo",
          message: "no orchestrators available within 2s timeout",
          orchestrator_info: { address: "0xignored", url: "https://ignored" },
        },
      }),
    )!;
    expect(out.signal).toMatchObject({
      signalType: "AI_STREAM_EVENT",
      gateway: "gateway-b",
      workflowSessionId: "stream-2|req-2",
      aiEventType: "error",
      message: "no orchestrators available within 2s timeout",
      orchestratorAddress: null,
      orchestratorUrl: null,
      pipeline: "streamdiffusion-sdxl",
      modelHint: "streamdiffusion-sdxl",
    });
    expect(out.sample).toBeNull();
  });
});

describe("signal normalization (lifecycle.md §2)", () => {
  it("the normalized example of §2.5", () => {
    const out = toLifecycleInputs(
      accept({
        id: "fb543250-7376-4de4-9541-42319b83e109",
        type: "stream_trace",
        timestamp: "1770062787846",
        gateway: "",
        data: {
          orchestrator_info: { address: "", url: "" },
          pipeline_id: "",
          request_id: "56bc6b29",
          stream_id: "stream-qkqf2m-ml5lojrb",
          timestamp: 1770062787846,
          type: "gateway_receive_stream_request",
        },
      }),
    )!;
    expect(out.signal).toEqual({
      signalType: "STREAM_TRACE",
      workflowSessionId: "stream-qkqf2m-ml5lojrb|56bc6b29",
      signalTimestamp: 1770062787846,
      ingestTimestamp: 1770062787846,
      streamId: "stream-qkqf2m-ml5lojrb",
      requestId: "56bc6b29",
      pipeline: null,
      pipelineHint: null,
      modelHint: null,
      gateway: "",
      orchestratorAddress: "",
      orchestratorUrl: "",
      traceType: "gateway_receive_stream_request",
      aiEventType: null,
      message: null,
      startTimeMs: null,
      statusState: null,
      statusOutputFps: null,
      statusLastError: null,
      sourceEventUid: "fb543250-7376-4de4-9541-42319b83e109",
    });
  });

  it("a trace with a zero, negative or unparseable data.timestamp uses the envelope time", () => {
    for (const ts of [0, -5, "abc"]) {
      const out = toLifecycleInputs(
        accept({
          id: "t",
          type: "stream_trace",
          timestamp: 5000,
          data: { stream_id: "s", request_id: "r", type: "x", timestamp: ts },
        }),
      )!;
      expect(out.signal.signalTimestamp).toBe(5000);
      expect(out.sample!.kind === "trace" && out.sample!.edgeTs).toBe(5000);
    }
  });

  it("uids: signals use a non-blank id, samples hash the received text", () => {
    const raw = {
      id: " ",
      type: "ai_stream_status",
      timestamp: 1,
      data: { stream_id: "s", request_id: "r", pipeline: "p" },
    };
    const out = toLifecycleInputs(accept(raw))!;
    expect(out.signal.sourceEventUid).toMatch(/^[0-9a-f]{64}$/);
    expect(out.sample!.sourceEventUid).toBe(out.signal.sourceEventUid);
    const withId = toLifecycleInputs(accept({ ...raw, id: "x" }))!;
    expect(withId.signal.sourceEventUid).toBe("x");
    expect(withId.sample!.sourceEventUid).toMatch(/^[0-9a-f]{64}$/);
  });

  it("non-lifecycle families map to null; trace categories", () => {
    expect(
      toLifecycleInputs(
        accept({
          id: "p",
          type: "stream_ingest_metrics",
          timestamp: 1,
          data: { stream_id: "s", request_id: "r" },
        }),
      ),
    ).toBeNull();
    expect(
      ["gateway_x", "orchestrator_swap", "runner_y", "app_z", "stream_stopped", null].map(
        traceCategory,
      ),
    ).toEqual(["gateway", "orchestrator", "runner", "app", "other", "other"]);
  });
});
