import { describe, expect, it } from "vitest";
import fc from "fast-check";
import {
  readReplayFlag,
  replayEnvelope,
  withReplayMetadata,
  REPLAY_FIELDS,
  REPLAY_SKIP_REASONS,
  type ReplayEnvelopeResult,
  type ReplaySkipReason,
} from "./replay.js";
import { runGate } from "./gate.js";
import { serializeEnvelope, type RejectedEventEnvelope } from "./reject-envelope.js";
import type { JsonObject, JsonValue } from "../primitives/json.js";

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

/** A real variant-B DLQ envelope: the gate's rejection of `body` (which must fail validation). */
function dlqEnvelopeOf(
  body: string,
  source: { recordTimestamp?: number } = {},
  now = 1_700_000_000_000,
): RejectedEventEnvelope {
  const r = runGate(
    { value: body, topic: "streaming_events", partition: 0, offset: 7, ...source },
    { now },
  );
  if (r.ok) throw new Error(`expected a rejection of ${body}`);
  return r.envelope;
}

const T = 1_710_000_000_000;
const badBody = (extra: Record<string, unknown> = {}): string =>
  JSON.stringify({
    id: "evt-1",
    type: "ai_stream_status",
    timestamp: T,
    data: { request_id: "r1" },
    ...extra,
  });
const envText = (e: RejectedEventEnvelope): string => serializeEnvelope(e);
/** An envelope's JSON text with some fields replaced. */
const edit = (e: RejectedEventEnvelope, patch: (o: Record<string, unknown>) => void): string => {
  const o = JSON.parse(serializeEnvelope(e)) as Record<string, unknown>;
  patch(o);
  return JSON.stringify(o);
};
const skipOf = (r: ReplayEnvelopeResult): ReplaySkipReason | "ok" => (r.ok ? "ok" : r.skip);
const ok = (r: ReplayEnvelopeResult) => {
  if (!r.ok) throw new Error(`expected a record, got skip ${r.skip}`);
  return r;
};
const NOW = 1_720_000_000_000;

describe("replayEnvelope (ingest-and-storage.md §7)", () => {
  it("rebuilds the original body with the four replay fields appended", () => {
    const body = badBody();
    const r = ok(replayEnvelope(envText(dlqEnvelopeOf(body)), {}, NOW));
    expect(r.record).toBe(
      `{"id":"evt-1","type":"ai_stream_status","timestamp":${T},"data":{"request_id":"r1"},"__replay":true,"__replay_ts":${NOW},"__replay_source":"dlq","__replay_failure_class":"SCHEMA_INVALID"}`,
    );
    expect(r.key).toBe("evt-1");
    expect(r.eventTimestamp).toBe(T);
    expect(r.failureClass).toBe("SCHEMA_INVALID");
    // The replayed record is flagged as a replay by the gate (and fails the same way).
    const again = runGate({ value: r.record }, { now: NOW });
    expect(!again.ok && again.envelope.replay).toBe(true);
  });

  it("skip reasons are stable codes", () => {
    expect(REPLAY_SKIP_REASONS).toEqual([
      "unparseable_envelope",
      "no_timestamp",
      "outside_window",
      "already_replayed",
      "null_body",
      "not_json_encoding",
      "body_not_object",
    ]);
  });

  it("unparseable_envelope: not JSON, or not an object", () => {
    for (const text of ["", "   ", "{", "not json", "[1,2]", "42", "null", '"x"'])
      expect(skipOf(replayEnvelope(text, {}, NOW)), text).toBe("unparseable_envelope");
    // A complete envelope followed by trailing content is read like a lenient tree reader does.
    const text = envText(dlqEnvelopeOf(badBody()));
    expect(skipOf(replayEnvelope(`\ufeff ${text} trailing`, {}, NOW))).toBe("ok");
  });

  it("no_timestamp: a window is set and the envelope has no record time", () => {
    const e = dlqEnvelopeOf(badBody({ timestamp: "not a time" }));
    expect(e.eventTimestamp).toBeNull();
    const noSource = edit(e, (o) => delete o["source"]);
    expect(skipOf(replayEnvelope(noSource, { start: 0 }, NOW))).toBe("no_timestamp");
    expect(skipOf(replayEnvelope(noSource, { end: T }, NOW))).toBe("no_timestamp");
    const nullSourceTs = edit(
      e,
      (o) => ((o["source"] as Record<string, unknown>)["recordTimestamp"] = null),
    );
    expect(skipOf(replayEnvelope(nullSourceTs, { start: 0 }, NOW))).toBe("no_timestamp");
    // Without a window it is replayed (record time unknown).
    const r = ok(replayEnvelope(noSource, {}, NOW));
    expect(r.eventTimestamp).toBeNull();
  });

  it("record time: eventTimestamp, else source.recordTimestamp", () => {
    const withEventTs = envText(dlqEnvelopeOf(badBody(), { recordTimestamp: 5 }));
    expect(ok(replayEnvelope(withEventTs, {}, NOW)).eventTimestamp).toBe(T);
    const fallback = envText(dlqEnvelopeOf(badBody({ timestamp: null }), { recordTimestamp: 5 }));
    expect(ok(replayEnvelope(fallback, { start: 5, end: 5 }, NOW)).eventTimestamp).toBe(5);
    expect(skipOf(replayEnvelope(fallback, { start: 6 }, NOW))).toBe("outside_window");
  });

  it("outside_window: both bounds inclusive", () => {
    const text = envText(dlqEnvelopeOf(badBody()));
    const at = (w: { start?: number; end?: number }) => skipOf(replayEnvelope(text, w, NOW));
    expect(at({ start: T })).toBe("ok");
    expect(at({ end: T })).toBe("ok");
    expect(at({ start: T, end: T })).toBe("ok");
    expect(at({ start: T - 1, end: T + 1 })).toBe("ok");
    expect(at({ start: T + 1 })).toBe("outside_window");
    expect(at({ end: T - 1 })).toBe("outside_window");
    expect(at({ start: T + 1, end: T + 2 })).toBe("outside_window");
    expect(at({})).toBe("ok");
  });

  it("null_body: payload.body null or missing", () => {
    const e = dlqEnvelopeOf(badBody());
    const nullBody = edit(e, (o) => ((o["payload"] as Record<string, unknown>)["body"] = null));
    expect(skipOf(replayEnvelope(nullBody, {}, NOW))).toBe("null_body");
    expect(
      skipOf(
        replayEnvelope(
          edit(e, (o) => delete o["payload"]),
          {},
          NOW,
        ),
      ),
    ).toBe("null_body");
    // The gate's own envelope of a null record.
    const nullRecord = runGate({ value: null }, { now: NOW });
    expect(nullRecord.ok).toBe(false);
    if (!nullRecord.ok) {
      expect(nullRecord.envelope.payload.body).toBeNull();
      expect(skipOf(replayEnvelope(envText(nullRecord.envelope), {}, NOW))).toBe("null_body");
    }
  });

  it("not_json_encoding: base64 bodies (json_parse_error) are never replayed; case is ignored", () => {
    const parseError = runGate({ value: "{not json" }, { now: NOW });
    if (parseError.ok) throw new Error("expected a rejection");
    expect(parseError.envelope.payload.encoding).toBe("base64");
    expect(skipOf(replayEnvelope(envText(parseError.envelope), {}, NOW))).toBe("not_json_encoding");
    const e = dlqEnvelopeOf(badBody());
    const enc = (v: unknown) =>
      edit(e, (o) => ((o["payload"] as Record<string, unknown>)["encoding"] = v));
    expect(skipOf(replayEnvelope(enc("JSON"), {}, NOW))).toBe("ok");
    expect(skipOf(replayEnvelope(enc("Json"), {}, NOW))).toBe("ok");
    expect(skipOf(replayEnvelope(enc(null), {}, NOW))).toBe("not_json_encoding");
    expect(skipOf(replayEnvelope(enc("text"), {}, NOW))).toBe("not_json_encoding");
  });

  it("body_not_object: the body must parse to a JSON object", () => {
    for (const value of ["[1]", "5", '"s"', "null", "  "]) {
      const e = dlqEnvelopeOf(value);
      expect(skipOf(replayEnvelope(envText(e), {}, NOW)), value).toBe("body_not_object");
    }
    const e = dlqEnvelopeOf(badBody());
    const body = (v: unknown) =>
      edit(e, (o) => ((o["payload"] as Record<string, unknown>)["body"] = v));
    expect(skipOf(replayEnvelope(body("{oops"), {}, NOW))).toBe("body_not_object");
    expect(skipOf(replayEnvelope(body(7), {}, NOW))).toBe("body_not_object");
  });

  it("already_replayed: skipped unless includeReplayed", () => {
    const e = dlqEnvelopeOf(badBody({ __replay: true, __replay_ts: 1 }));
    expect(e.replay).toBe(true);
    const text = envText(e);
    expect(skipOf(replayEnvelope(text, {}, NOW))).toBe("already_replayed");
    // The window is checked first.
    expect(skipOf(replayEnvelope(text, { start: T + 1 }, NOW))).toBe("outside_window");
    const r = ok(replayEnvelope(text, {}, NOW, { includeReplayed: true }));
    expect(JSON.parse(r.record)).toMatchObject({ __replay: true, __replay_ts: NOW });
  });

  it("key placement: new keys appended, existing replay keys overwritten in place", () => {
    const body =
      '{"__replay_ts":1,"id":"evt-1","__replay":false,"type":"ai_stream_status","timestamp":' +
      T +
      ',"data":{"request_id":"r1"},"__replay_source":"kafka"}';
    const r = ok(replayEnvelope(envText(dlqEnvelopeOf(body)), {}, NOW, { includeReplayed: true }));
    expect(r.record).toBe(
      `{"__replay_ts":${NOW},"id":"evt-1","__replay":true,"type":"ai_stream_status","timestamp":${T},"data":{"request_id":"r1"},"__replay_source":"dlq","__replay_failure_class":"SCHEMA_INVALID"}`,
    );
    // Whitespace of the original body is not kept: the record is compact.
    const spaced = ok(
      replayEnvelope(envText(dlqEnvelopeOf('{ "id" : "a",\n "data" : { } }')), {}, NOW),
    );
    expect(spaced.record).toBe(
      `{"id":"a","data":{},"__replay":true,"__replay_ts":${NOW},"__replay_source":"dlq","__replay_failure_class":"SCHEMA_INVALID"}`,
    );
  });

  it("failure class: the envelope's class, JSON null when null, absent without a failure block", () => {
    const e = dlqEnvelopeOf(badBody());
    const nullClass = edit(
      e,
      (o) => ((o["failure"] as Record<string, unknown>)["failureClass"] = null),
    );
    const rn = ok(replayEnvelope(nullClass, {}, NOW));
    expect(rn.failureClass).toBeNull();
    expect(rn.record.endsWith(',"__replay_failure_class":null}')).toBe(true);

    const noFailure = edit(e, (o) => delete o["failure"]);
    const ra = ok(replayEnvelope(noFailure, {}, NOW));
    expect(ra.failureClass).toBeNull();
    expect(ra.record).not.toContain("__replay_failure_class");
    expect(ra.record.endsWith(`"__replay_ts":${NOW},"__replay_source":"dlq"}`)).toBe(true);
  });

  it("key: the body's id when a non-empty string", () => {
    const keyOf = (extra: Record<string, unknown>) =>
      ok(replayEnvelope(envText(dlqEnvelopeOf(badBody(extra))), {}, NOW)).key;
    expect(keyOf({ id: "abc" })).toBe("abc");
    expect(keyOf({ id: "" })).toBeNull();
    expect(keyOf({ id: 12 })).toBeNull();
    expect(keyOf({ id: null })).toBeNull();
  });

  it("withReplayMetadata: null failure class is written, inPlace keeps positions", () => {
    const root = { __replay: 0, id: "e" };
    expect(JSON.stringify(withReplayMetadata(root, { now: 3, failureClass: null }))).toBe(
      '{"id":"e","__replay":true,"__replay_ts":3,"__replay_source":"dlq","__replay_failure_class":null}',
    );
    expect(
      JSON.stringify(
        withReplayMetadata(
          { __replay_failure_class: "OLD", __replay: 0, id: "e" },
          { now: 3, inPlace: true },
        ),
      ),
    ).toBe(
      '{"__replay_failure_class":"OLD","__replay":true,"id":"e","__replay_ts":3,"__replay_source":"dlq"}',
    );
  });

  it("property: replaying a rejected replay keeps exactly one set of replay fields", () => {
    const replayValue = fc.oneof(fc.boolean(), fc.integer(), fc.string(), fc.constant(null));
    const bodyArb = fc
      .record({
        fields: fc.dictionary(
          fc.string().filter((k) => !REPLAY_FIELDS.includes(k) && k !== "type"),
          fc.jsonValue({ maxDepth: 2 }) as fc.Arbitrary<JsonValue>,
          { maxKeys: 5 },
        ),
        replayKeys: fc.subarray([...REPLAY_FIELDS]),
        replayValues: fc.array(replayValue, { minLength: 4, maxLength: 4 }),
        // Without a string `type` the gate always rejects (missing_type).
        type: fc.oneof(fc.constant(undefined), fc.integer(), fc.constant(null)),
        order: fc.integer({ min: 0, max: 5 }),
      })
      .map(({ fields, replayKeys, replayValues, type, order }) => {
        const entries: [string, JsonValue][] = Object.entries(fields);
        replayKeys.forEach((k, i) => {
          entries.splice(Math.min(order + i, entries.length), 0, [k, replayValues[i]!]);
        });
        if (type !== undefined) entries.push(["type", type]);
        const o: JsonObject = {};
        for (const [k, v] of entries)
          Object.defineProperty(o, k, {
            value: v,
            enumerable: true,
            writable: true,
            configurable: true,
          });
        return JSON.stringify(o);
      });
    const strip = (o: JsonObject): JsonObject =>
      Object.fromEntries(Object.entries(o).filter(([k]) => !REPLAY_FIELDS.includes(k)));
    fc.assert(
      fc.property(bodyArb, fc.integer({ min: 0, max: 2 ** 42 }), (body, now1) => {
        const now2 = now1 + 1;
        const first = ok(
          replayEnvelope(envText(dlqEnvelopeOf(body)), {}, now1, { includeReplayed: true }),
        );
        // The replay is rejected again by the gate, flagged as a replay.
        const rejected = dlqEnvelopeOf(first.record);
        expect(rejected.replay).toBe(true);
        expect(skipOf(replayEnvelope(envText(rejected), {}, now2))).toBe("already_replayed");
        const second = ok(replayEnvelope(envText(rejected), {}, now2, { includeReplayed: true }));
        const a = JSON.parse(first.record) as JsonObject;
        const b = JSON.parse(second.record) as JsonObject;
        // No duplicate keys in the text (a duplicate would not survive a parse/stringify round).
        expect(JSON.stringify(b)).toBe(second.record);
        // One set: each replay field exactly once, with this run's values, at the same places.
        expect(Object.keys(b)).toEqual(Object.keys(a));
        expect(
          Object.keys(b)
            .filter((k) => REPLAY_FIELDS.includes(k))
            .sort(),
        ).toEqual([...REPLAY_FIELDS].sort());
        expect(b["__replay"]).toBe(true);
        expect(b["__replay_ts"]).toBe(now2);
        expect(b["__replay_source"]).toBe("dlq");
        expect(b["__replay_failure_class"]).toBe("SCHEMA_INVALID");
        // The rest of the body is the original's.
        expect(strip(b)).toEqual(strip(JSON.parse(body) as JsonObject));
      }),
      { numRuns: 200 },
    );
  });
});
