import { describe, expect, it } from "vitest";
import type { AcceptedEvent } from "../events/accepted-event.js";
import { describeParseError } from "../events/parse-event.js";
import { runGate } from "./gate.js";
import {
  RejectedEventEnvelopeSchema,
  rejectAcceptedEvent,
  serializeEnvelope,
  toRejectionRow,
} from "./reject-envelope.js";

function accept(value: string, ts = 0): AcceptedEvent {
  const r = runGate(
    { value, topic: "t", partition: 3, offset: 7, recordTimestamp: 99 },
    { now: ts },
  );
  if (!r.ok) throw new Error(r.envelope.failure.reason);
  return r.event;
}

describe("RejectedEventEnvelopeFactoryTest (ingest-and-storage.md §9.1)", () => {
  it("parseFailureIncludesExceptionClassWhenMessageMissing", () => {
    const raw = '{"id":"evt-1","type":"network_capabilities","timestamp":1771936670203,"data":[]}';
    const npe = new Error("");
    npe.name = "NullPointerException";
    const env = rejectAcceptedEvent(accept(raw), "parse_exception", describeParseError(npe), 5);
    expect(env.failure).toEqual({
      stage: "PARSE",
      failureClass: "PARSING_FAILED",
      reason: "parse_exception",
      details: "NullPointerException",
    });
    expect(env.failure.details).toContain("NullPointerException");
  });

  it("describeParseError renders name: message, name alone, or the unknown fallback", () => {
    expect(describeParseError(new TypeError("boom"))).toBe("TypeError: boom");
    expect(describeParseError(new RangeError("  "))).toBe("RangeError");
    expect(describeParseError(undefined)).toBe("Unknown parse error");
  });
});

describe("variant C envelopes (§2.12)", () => {
  it("carry the accepted event's identity, dimensions, dedup key and raw body", () => {
    const raw =
      '{"id":"e1","type":"ai_stream_status","timestamp":"1710000000000","__replay":1,"data":{"stream_id":"s","request_id":"r","pipeline":"p","orchestrator_info":{"address":"0xAB"}}}';
    const env = rejectAcceptedEvent(
      accept(raw),
      "duplicate_event",
      "Duplicate detected for key: e1",
      42,
    );
    expect(env).toEqual({
      schemaVersion: "v1",
      source: { topic: "t", partition: 3, offset: 7, recordTimestamp: 99 },
      failure: {
        stage: "DEDUP",
        failureClass: "DUPLICATE",
        reason: "duplicate_event",
        details: "Duplicate detected for key: e1",
      },
      identity: { eventId: "e1", eventType: "ai_stream_status", eventVersion: "1" },
      dimensions: { orchestrator: "0xAB", broadcaster: null, region: null },
      payload: { encoding: "json", body: raw, canonicalJson: null },
      dedupKey: "e1",
      dedupStrategy: "event_id",
      replay: true,
      ingestionTimestamp: 42,
      eventTimestamp: 1710000000000,
    });
    expect(RejectedEventEnvelopeSchema.parse(JSON.parse(serializeEnvelope(env)))).toEqual(env);
  });

  it("serialization writes nulls and keeps the canonical field order", () => {
    const env = rejectAcceptedEvent(
      accept(
        '{"id":"","type":"stream_ingest_metrics","timestamp":1,"data":{"stream_id":"s","request_id":"r"}}',
      ),
      "parse_exception",
      null,
      0,
    );
    const text = serializeEnvelope(env);
    expect(Object.keys(JSON.parse(text) as object)).toEqual([
      "schemaVersion",
      "source",
      "failure",
      "identity",
      "dimensions",
      "payload",
      "dedupKey",
      "dedupStrategy",
      "replay",
      "ingestionTimestamp",
      "eventTimestamp",
    ]);
    expect(text).toContain('"details":null');
    expect(env.dedupStrategy).toBe("payload_hash");
  });
});

describe("envelope → ClickHouse row (§2.13)", () => {
  it("dlqRowMatchesSchema values (ClickHouseSchemaSyncTest)", () => {
    const row = toRejectionRow({
      schemaVersion: "v1",
      source: { topic: "t", partition: 0, offset: 1, recordTimestamp: 1710000000000 },
      failure: {
        stage: "PARSE",
        failureClass: "PARSING_FAILED",
        reason: "parse_exception",
        details: "details",
      },
      identity: { eventId: "e", eventType: "t", eventVersion: "1" },
      dimensions: null,
      payload: { encoding: "json", body: "{}", canonicalJson: null },
      dedupKey: null,
      dedupStrategy: null,
      replay: false,
      ingestionTimestamp: 5,
      eventTimestamp: null,
    });
    expect(row).toEqual({
      schema_version: "v1",
      source_topic: "t",
      source_partition: 0,
      source_offset: 1,
      source_record_timestamp: 1710000000000,
      event_id: "e",
      event_type: "t",
      event_version: "1",
      event_timestamp: null,
      dedup_key: null,
      dedup_strategy: null,
      replay: 0,
      failure_stage: "PARSE",
      failure_class: "PARSING_FAILED",
      failure_reason: "parse_exception",
      failure_details: "details",
      orchestrator: null,
      broadcaster: null,
      region: null,
      payload_encoding: "json",
      payload_body: "{}",
      payload_canonical_json: null,
      ingestion_timestamp: 5,
    });
  });

  it("null handling: empty strings for non-nullable text, ingestion time when source is absent", () => {
    const row = toRejectionRow({
      schemaVersion: "v1",
      source: null,
      failure: {
        stage: "DESERIALIZATION",
        failureClass: "DESERIALIZATION_FAILED",
        reason: "null_payload",
        details: null,
      },
      identity: { eventId: null, eventType: null, eventVersion: null },
      dimensions: null,
      payload: { encoding: "json", body: null, canonicalJson: null },
      dedupKey: null,
      dedupStrategy: null,
      replay: true,
      ingestionTimestamp: 77,
      eventTimestamp: null,
    });
    expect(row.source_topic).toBe("");
    expect(row.source_record_timestamp).toBe(77);
    expect(row.event_id).toBe("");
    expect(row.event_type).toBe("");
    expect(row.failure_details).toBe("");
    expect(row.payload_body).toBe("");
    expect(row.replay).toBe(1);
  });
});
