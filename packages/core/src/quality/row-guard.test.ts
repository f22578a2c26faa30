import { describe, expect, it } from "vitest";
import { runGate } from "./gate.js";
import { guardEnvelopeRow, guardRow, rowSizeUpperBound } from "./row-guard.js";

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

describe("rowSizeUpperBound", () => {
  it("is never below the serialized UTF-8 size", async () => {
    const fc = (await import("fast-check")).default;
    const { utf8ByteLength } = await import("../primitives/utf8.js");
    fc.assert(
      fc.property(
        fc.dictionary(
          fc.string({ unit: "binary" }),
          fc.oneof(
            fc.string({ unit: "binary" }),
            fc.double(),
            fc.integer(),
            fc.boolean(),
            fc.constant(null),
          ),
        ),
        (row) => {
          expect(rowSizeUpperBound(row)).toBeGreaterThanOrEqual(
            utf8ByteLength(JSON.stringify(row)),
          );
        },
      ),
    );
    expect(rowSizeUpperBound({ nested: {} })).toBe(Infinity);
  });

  it("the pipeline still rejects oversized rows without a custom serializer", async () => {
    const { qualityOperator, initQualityState } = await import("./pipeline.js");
    const { DEFAULT_GATE_CONFIG } = await import("./config.js");
    const big = "x".repeat(200);
    const value = `{"id":"big","type":"stream_ingest_metrics","timestamp":1,"data":{"stream_id":"${big}","request_id":"r"}}`;
    const outs = qualityOperator.stepInPlace(
      initQualityState(),
      { record: { value }, now: 0 },
      { ...DEFAULT_GATE_CONFIG, maxRecordBytes: 400 },
    );
    const dlq = outs.filter((o) => o.kind === "dlq");
    expect(dlq).toHaveLength(1);
    expect(dlq[0]!.kind === "dlq" && dlq[0]!.envelope.failure.reason).toBe("record_too_large");
    expect(outs.some((o) => o.kind === "accepted")).toBe(true);
    expect(outs.some((o) => o.kind === "row")).toBe(false);
  });
});
