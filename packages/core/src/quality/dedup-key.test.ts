import { describe, expect, it } from "vitest";
import { dedupKeyOf, canonicalizeWithoutReplayFields } from "./dedup-key.js";
import { runGate } from "./gate.js";

const payload = {
  type: "ai_stream_status",
  timestamp: 1710000000000,
  data: { stream_id: "s1", request_id: "r1", pipeline: "p1", pipeline_id: "pid" },
};
const nullDims = { orchestrator: null, broadcaster: null, region: null };

describe("DedupKeyTest (ingest-and-storage.md §9.1, §2.6)", () => {
  it("usesEventIdWhenPresent", () => {
    expect(
      dedupKeyOf("evt-123", "ai_stream_status", nullDims, { id: "evt-123", ...payload }),
    ).toEqual({
      key: "evt-123",
      strategy: "event_id",
    });
  });

  it("hashesPayloadWhenEventIdMissing: golden vector through the gate (three nulls)", () => {
    const r = runGate({ value: JSON.stringify(payload) }, { now: 0 });
    if (!r.ok) throw new Error(r.envelope.failure.reason);
    expect(r.event.dedupStrategy).toBe("payload_hash");
    expect(r.event.dedupKey).toBe(
      "6e1ade4d91217e8e157d5ccec9db8ce18efa9d09111b936e53a1682ad73bcfec",
    );
  });

  it("hashesPayloadWhenEventIdMissing: golden vector without a dimensions object", () => {
    expect(dedupKeyOf("", "ai_stream_status", null, payload)).toEqual({
      key: "7b85a62d4d423e242bc83ce6169e53e9e088e805f58acf0d4a17af775fb77d92",
      strategy: "payload_hash",
    });
  });

  it("replay fields are stripped so a replayed copy collides with its original", () => {
    const replayed = {
      ...payload,
      __replay: true,
      __replay_ts: 99,
      __replay_source: "dlq",
      __replay_failure_class: "PARSING_FAILED",
    };
    expect(canonicalizeWithoutReplayFields(replayed)).toBe(JSON.stringify(payload));
    const a = runGate({ value: JSON.stringify(payload) }, { now: 0 });
    const b = runGate({ value: JSON.stringify(replayed) }, { now: 5 });
    if (!a.ok || !b.ok) throw new Error("expected both accepted");
    expect(b.event.dedupKey).toBe(a.event.dedupKey);
    expect(b.event.replay).toBe(true);
  });

  it("other unknown root fields do participate, and key order matters", () => {
    const a = dedupKeyOf("", "ai_stream_status", nullDims, payload).key;
    expect(dedupKeyOf("", "ai_stream_status", nullDims, { ...payload, extra: 1 }).key).not.toBe(a);
    const reordered = { data: payload.data, type: payload.type, timestamp: payload.timestamp };
    expect(dedupKeyOf("", "ai_stream_status", nullDims, reordered).key).not.toBe(a);
  });

  it("dimensions render as text, null as the word null", () => {
    const k1 = dedupKeyOf(
      "",
      "t",
      { orchestrator: "0xa", broadcaster: null, region: null },
      {},
    ).key;
    const k2 = dedupKeyOf("", "t", nullDims, {}).key;
    expect(k1).not.toBe(k2);
  });

  it("the canonicalizer is pluggable", () => {
    const k = dedupKeyOf("", "t", nullDims, { b: 1, a: 2 }, () => "fixed");
    expect(k.key).toBe(dedupKeyOf("", "t", nullDims, {}, () => "fixed").key);
  });

  it("keys are not namespaced by type: same id in two families collides", () => {
    expect(dedupKeyOf("x", "stream_trace", nullDims, {}).key).toBe(
      dedupKeyOf("x", "ai_stream_status", nullDims, {}).key,
    );
  });
});
