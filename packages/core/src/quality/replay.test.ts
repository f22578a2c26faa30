import { describe, expect, it } from "vitest";
import { readReplayFlag, withReplayMetadata, REPLAY_FIELDS } from "./replay.js";
import { runGate } from "./gate.js";

describe("replay metadata (ingest-and-storage.md §1.5)", () => {
  it("withReplayMetadata appends the four fields, replacing stale ones", () => {
    const root = { id: "e", type: "stream_trace", __replay: false, data: {} };
    const out = withReplayMetadata(root, { now: 1234, failureClass: "PARSING_FAILED" });
    expect(JSON.stringify(out)).toBe(
      '{"id":"e","type":"stream_trace","data":{},"__replay":true,"__replay_ts":1234,"__replay_source":"dlq","__replay_failure_class":"PARSING_FAILED"}',
    );
    expect(root.__replay).toBe(false);
    expect("__replay_failure_class" in withReplayMetadata(root, { now: 1 })).toBe(false);
    expect(REPLAY_FIELDS).toHaveLength(4);
  });

  it("a __proto__ key survives as data", () => {
    const root = JSON.parse('{"__proto__":{"x":1},"id":"e"}') as Record<string, never>;
    const out = withReplayMetadata(root, { now: 1 });
    expect(Object.getPrototypeOf(out)).toBe(Object.prototype);
    expect(JSON.stringify(out)).toContain('"__proto__":{"x":1}');
  });

  it("readReplayFlag re-reads numeric literals from the raw text", () => {
    expect(readReplayFlag({ __replay: 1 }, '{"__replay":1}')).toBe(true);
    expect(readReplayFlag({ __replay: 1 }, '{"__replay":1.0}')).toBe(false);
    expect(readReplayFlag({ __replay: 1 }, '{"x":{"__replay":1.0},"__replay":1}')).toBe(true);
  });

  it("a replayed envelope passes the gate flagged as replay", () => {
    const original = {
      id: "e",
      type: "stream_ingest_metrics",
      timestamp: 5,
      data: { stream_id: "s", request_id: "r" },
    };
    const r = runGate(
      { value: JSON.stringify(withReplayMetadata(original, { now: 9 })) },
      { now: 9 },
    );
    expect(r.ok && r.event.replay).toBe(true);
  });
});
