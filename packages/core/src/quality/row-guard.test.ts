import { describe, expect, it } from "vitest";
import { runGate } from "./gate.js";
import { guardEnvelopeRow, guardRow } from "./row-guard.js";

const event = (id: string) => {
  const r = runGate(
    {
      value: `{"id":"${id}","type":"ai_stream_status","timestamp":1710000000000,"data":{"stream_id":"s","request_id":"r","pipeline":"p"}}`,
    },
    { now: 0 },
  );
  if (!r.ok) throw new Error("fixture must pass the gate");
  return r.event;
};

describe("RowGuardProcessFunctionTest (ingest-and-storage.md §9.2)", () => {
  it("parsedEventOversizeEmitsDlq", () => {
    const r = guardRow(event("evt-1"), "12345678901", 10, 3);
    expect(r.ok).toBe(false);
    if (r.ok) return;
    expect(r.envelope.failure).toEqual({
      stage: "SINK_GUARD",
      failureClass: "RECORD_TOO_LARGE",
      reason: "record_too_large",
      details: "Row size 11 exceeds limit 10",
    });
    expect(r.envelope.identity.eventId).toBe("evt-1");
    expect(r.envelope.eventTimestamp).toBe(1710000000000);
  });

  it("dlqOversizeIsDropped (recursion guard: no new envelope)", () => {
    expect(guardEnvelopeRow("12345678901", 10)).toBe(false);
  });

  it("parsedEventWithinLimitEmitsRow", () => {
    expect(guardRow(event("evt-2"), "ok", 10, 0)).toEqual({ ok: true, bytes: 2 });
  });

  it("equal size passes; size is measured in UTF-8 bytes", () => {
    expect(guardRow(event("e"), "1234567890", 10, 0).ok).toBe(true);
    expect(guardRow(event("e"), "ééééé", 10, 0).ok).toBe(true);
    expect(guardRow(event("e"), "éééééx", 10, 0).ok).toBe(false);
    expect(guardEnvelopeRow("1234567890", 10)).toBe(true);
  });
});
