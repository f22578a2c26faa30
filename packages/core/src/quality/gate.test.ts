import { describe, expect, it } from "vitest";
import { runGate, parseLenientJson, rawVersionOf, dimensionsOf } from "./gate.js";
import { serializeEnvelope } from "./reject-envelope.js";
import type { GateResult } from "./gate.js";
import type { TransportRecord } from "../events/transport.js";

const NOW = 1710000000123;
const gate = (
  value: TransportRecord["value"],
  extra: Partial<TransportRecord> = {},
  versions?: string[],
): GateResult =>
  runGate({ value, ...extra }, { now: NOW, ...(versions ? { supportedVersions: versions } : {}) });

const rejected = (r: GateResult) => {
  if (r.ok) throw new Error(`expected a rejection, got accepted ${r.event.eventType}`);
  return r.envelope;
};
const accepted = (r: GateResult) => {
  if (!r.ok)
    throw new Error(
      `expected accepted, got ${r.envelope.failure.reason}: ${r.envelope.failure.details}`,
    );
  return r.event;
};

const validStatus = {
  id: "evt-1",
  type: "ai_stream_status",
  timestamp: 1710000000000,
  data: { stream_id: "s1", request_id: "r1", pipeline: "p1", pipeline_id: "pid" },
};

describe("SchemaValidatorTest (ingest-and-storage.md §9.1)", () => {
  it("validEventPassesValidation", () => {
    const e = accepted(gate(JSON.stringify(validStatus), {}, ["1"]));
    expect(e.eventVersion).toBe("1");
  });

  it("missingFieldFailsValidation", () => {
    const env = rejected(
      gate(
        JSON.stringify({
          id: "evt-2",
          type: "stream_ingest_metrics",
          timestamp: 1710000000000,
          data: { request_id: "r1" },
        }),
      ),
    );
    expect(env.failure).toEqual({
      stage: "SCHEMA_VALIDATION",
      failureClass: "SCHEMA_INVALID",
      reason: "missing_field",
      details: "Missing required field: data.stream_id",
    });
  });

  it("unsupportedVersionFailsValidation", () => {
    const env = rejected(
      gate(JSON.stringify({ ...validStatus, id: "evt-3", version: "2" }), {}, ["1"]),
    );
    expect(env.failure.failureClass).toBe("UNSUPPORTED_VERSION");
    expect(env.failure.reason).toBe("unsupported_version");
    expect(env.failure.details).toBe("Unsupported event version: 2");
    expect(env.identity.eventVersion).toBe("2");
  });

  it("networkCapabilitiesAcceptsObjectData", () => {
    accepted(
      gate(
        JSON.stringify({
          id: "evt-4",
          type: "network_capabilities",
          timestamp: 1710000000000,
          data: { address: "0xabc" },
        }),
      ),
    );
  });

  it("networkCapabilitiesRejectsInvalidScalarData", () => {
    const env = rejected(
      gate(
        JSON.stringify({
          id: "evt-5",
          type: "network_capabilities",
          timestamp: 1710000000000,
          data: "bad-shape",
        }),
      ),
    );
    expect([env.failure.failureClass, env.failure.reason]).toEqual([
      "SCHEMA_INVALID",
      "invalid_data_shape",
    ]);
    expect(env.failure.details).toBe("Expected data object or array");
  });
});

describe("QualityGateProcessFunctionTest (ingest-and-storage.md §9.1)", () => {
  const record = {
    topic: "streaming_events",
    partition: 0,
    offset: 1,
    recordTimestamp: 1710000000000,
  };
  const value =
    '{"id":"evt-1","type":"ai_stream_status","timestamp":"1710000000000","__replay":true,"data":{"request_id":"r1","pipeline":"p1"}}';

  it("replayFlagPropagatesToDlqOnSchemaFailure (exact variant-B envelope)", () => {
    const env = rejected(gate(value, record));
    expect(env.failure.failureClass).toBe("SCHEMA_INVALID");
    expect(env.replay).toBe(true);
    expect(serializeEnvelope(env)).toBe(
      '{"schemaVersion":"v1","source":{"topic":"streaming_events","partition":0,"offset":1,"recordTimestamp":1710000000000},' +
        '"failure":{"stage":"SCHEMA_VALIDATION","failureClass":"SCHEMA_INVALID","reason":"missing_field","details":"Missing required field: data.stream_id"},' +
        '"identity":{"eventId":"evt-1","eventType":"ai_stream_status","eventVersion":null},' +
        '"dimensions":{"orchestrator":null,"broadcaster":null,"region":null},' +
        `"payload":{"encoding":"json","body":${JSON.stringify(value)},"canonicalJson":${JSON.stringify(value)}},` +
        '"dedupKey":null,"dedupStrategy":null,"replay":true,"ingestionTimestamp":1710000000123,"eventTimestamp":1710000000000}',
    );
  });

  it("validEventEmitsValidatedEvent", () => {
    const e = accepted(
      gate(
        '{"id":"evt-2","type":"ai_stream_status","timestamp":1710000000000,"data":{"stream_id":"s1","request_id":"r1","pipeline":"p1"}}',
        { ...record, offset: 2 },
      ),
    );
    expect(e.eventId).toBe("evt-2");
    expect(e.eventType).toBe("ai_stream_status");
    expect(e.source).toEqual({
      topic: "streaming_events",
      partition: 0,
      offset: 2,
      recordTimestamp: 1710000000000,
    });
    expect(e.dedupKey).toBe("evt-2");
    expect(e.dedupStrategy).toBe("event_id");
  });
});

describe("stage 1: record decode (§2.2)", () => {
  it("null record and null value → null_payload, variant A", () => {
    for (const r of [runGate(null, { now: NOW }), gate(null, { topic: "t", offset: 9 })]) {
      const env = rejected(r);
      expect(env.failure).toEqual({
        stage: "DESERIALIZATION",
        failureClass: "DESERIALIZATION_FAILED",
        reason: "null_payload",
        details: "Record value is null",
      });
      expect(env.payload).toEqual({ encoding: "json", body: null, canonicalJson: null });
      expect(env.identity).toEqual({ eventId: null, eventType: null, eventVersion: null });
      expect(env.dimensions).toBeNull();
      expect(env.dedupKey).toBeNull();
      expect(env.replay).toBe(false);
      expect(env.eventTimestamp).toBeNull();
      expect(env.ingestionTimestamp).toBe(NOW);
    }
    expect(rejected(runGate(null, { now: NOW })).source).toEqual({
      topic: null,
      partition: 0,
      offset: 0,
      recordTimestamp: 0,
    });
  });

  it("unparseable bytes → json_parse_error with the Base64 of the raw bytes", () => {
    const bytes = new Uint8Array([0x7b, 0x22, 0x61, 0xff, 0x3a]); // {"a\xff:
    const env = rejected(gate(bytes, { topic: "t" }));
    expect(env.failure.stage).toBe("DESERIALIZATION");
    expect(env.failure.reason).toBe("json_parse_error");
    expect(env.failure.details).toBeTruthy();
    expect(env.payload).toEqual({
      encoding: "base64",
      body: Buffer.from(bytes).toString("base64"),
      canonicalJson: null,
    });
    expect(env.identity).toEqual({ eventId: null, eventType: null, eventVersion: null });
  });

  it("a string value that is not JSON → json_parse_error, body = Base64 of its UTF-8", () => {
    const env = rejected(gate("not json é"));
    expect(env.failure.reason).toBe("json_parse_error");
    expect(env.payload.body).toBe(Buffer.from("not json é", "utf8").toString("base64"));
  });

  it.each([[""], ["   "], ["\n\t "]])(
    "empty or whitespace-only %j → root_not_object (not json_parse_error)",
    (v) => {
      const env = rejected(gate(v));
      expect(env.failure.reason).toBe("root_not_object");
      expect(env.failure.details).toBe("Root node is missing or not an object");
      expect(env.payload.canonicalJson).toBeNull();
    },
  );

  it("trailing garbage after a complete object is ignored", () => {
    const text = JSON.stringify(validStatus) + " trailing-garbage";
    const e = accepted(gate(text));
    expect(e.rawJson).toBe(text);
    expect(e.eventId).toBe("evt-1");
  });

  it.each([["[1,2]"], ['"text"'], ["123"], ["null"], ["true"]])(
    "valid JSON that is not an object %s → root_not_object",
    (v) => {
      const env = rejected(gate(v));
      expect(env.failure.reason).toBe("root_not_object");
      expect(env.identity).toEqual({ eventId: "", eventType: "", eventVersion: null });
      expect(env.payload.canonicalJson).toBe(JSON.stringify(JSON.parse(v)));
    },
  );

  it("invalid UTF-8 inside a string is decoded with replacement, not rejected", () => {
    const text = JSON.stringify({ ...validStatus, gateway: "gw-X" });
    const bytes = Buffer.from(text, "utf8");
    const at = bytes.indexOf(Buffer.from("X"));
    bytes[at] = 0xff;
    const e = accepted(gate(new Uint8Array(bytes)));
    expect(e.gateway).toBe("gw-\ufffd");
    expect(e.rawJson).toBe(text.replace("gw-X", "gw-\ufffd"));
  });

  it("parseLenientJson keeps the first value of concatenated objects", () => {
    expect(parseLenientJson('{"a":1}{"b":2}')).toEqual({ root: { a: 1 } });
    expect(parseLenientJson("{")).toBeNull();
    expect(parseLenientJson("  ")).toEqual({ root: undefined });
  });
});

describe("stage 2: schema-validation rules in order (§2.3)", () => {
  const base = {
    id: "e",
    type: "ai_stream_status",
    timestamp: "1710000000000",
    data: { stream_id: "s", request_id: "r", pipeline: "p" },
  };
  const reasonOf = (root: unknown, versions?: string[]) => {
    const r = gate(JSON.stringify(root), {}, versions);
    return r.ok ? "accepted" : `${r.envelope.failure.reason} | ${r.envelope.failure.details}`;
  };

  it("rule 2: type must be a JSON string", () => {
    expect(reasonOf({ ...base, type: 5 })).toBe(
      "missing_type | Event type is missing or not a string",
    );
    const { type: _t, ...noType } = base;
    expect(reasonOf(noType)).toBe("missing_type | Event type is missing or not a string");
  });

  it.each([[undefined], [null], ["abc"], ["1.5"], [true], ["-5"], [""]])(
    "rule 3: timestamp %j fails",
    (ts) => {
      const root: Record<string, unknown> = { ...base };
      if (ts === undefined) delete root["timestamp"];
      else root["timestamp"] = ts;
      expect(reasonOf(root)).toBe("missing_timestamp | Event timestamp is missing or not numeric");
    },
  );

  it("rule 3 accepts digit strings with JVM whitespace and fractional numbers", () => {
    expect(accepted(gate(JSON.stringify({ ...base, timestamp: " 17 " }))).timestamp).toBe(17);
    expect(accepted(gate(JSON.stringify({ ...base, timestamp: 1743500000.9 }))).timestamp).toBe(
      1743500000,
    );
  });

  it("rule 4: the key data must exist; explicit null passes rule 4", () => {
    const { data: _d, ...noData } = base;
    expect(reasonOf(noData)).toBe("missing_data | Event data payload is missing");
    expect(reasonOf({ ...base, data: null })).toBe(
      "missing_field | Missing required field: data.stream_id",
    );
  });

  it("rule 5: unsupported types, including the empty string", () => {
    expect(reasonOf({ ...base, type: "create_signed_ticket" })).toBe(
      "unsupported_event_type | Unsupported event type: create_signed_ticket",
    );
    expect(reasonOf({ ...base, type: "" })).toBe(
      "unsupported_event_type | Unsupported event type: ",
    );
  });

  it("rule order: timestamp before data before type", () => {
    expect(reasonOf({ type: "nope" })).toMatch(/^missing_timestamp/);
    expect(reasonOf({ type: "nope", timestamp: 1 })).toMatch(/^missing_data/);
  });

  it("rule 6: versions (root, then data.version; numbers by integer part; empty set disables)", () => {
    expect(reasonOf({ ...base, version: 1 })).toBe("accepted");
    expect(reasonOf({ ...base, version: 1.9 })).toBe("accepted");
    expect(reasonOf({ ...base, version: "v1" })).toBe("accepted");
    expect(reasonOf({ ...base, version: "v2" })).toBe(
      "unsupported_version | Unsupported event version: v2",
    );
    expect(reasonOf({ ...base, version: null, data: { ...base.data, version: "3" } })).toBe(
      "unsupported_version | Unsupported event version: 3",
    );
    expect(reasonOf({ ...base, version: true })).toBe(
      "unsupported_version | Unsupported event version: true",
    );
    expect(reasonOf({ ...base, version: "v9" }, [])).toBe("accepted");
    expect(accepted(gate(JSON.stringify(base))).eventVersion).toBe("1");
    expect(accepted(gate(JSON.stringify({ ...base, version: "v1" }))).eventVersion).toBe("v1");
  });

  it("rule 7: first missing path only; whitespace, 0, false, {} and [] pass", () => {
    expect(reasonOf({ ...base, data: { stream_id: "", request_id: "" } })).toBe(
      "missing_field | Missing required field: data.stream_id",
    );
    for (const v of ["  ", 0, false, {}, []]) {
      expect(reasonOf({ ...base, data: { stream_id: v, request_id: v, pipeline: v } })).toBe(
        "accepted",
      );
    }
    expect(reasonOf({ ...base, data: [1] })).toBe(
      "missing_field | Missing required field: data.stream_id",
    );
    const trace = {
      type: "stream_trace",
      timestamp: 1,
      data: { stream_id: "s", request_id: "r", type: "x" },
    };
    expect(reasonOf(trace)).toBe("missing_field | Missing required field: id");
    expect(reasonOf({ ...trace, id: "" })).toBe("missing_field | Missing required field: id");
    expect(reasonOf({ ...trace, id: 7 })).toBe("accepted");
    expect(
      reasonOf({
        type: "ai_stream_events",
        timestamp: 1,
        data: { stream_id: "s", request_id: "r", type: "error" },
      }),
    ).toBe("missing_field | Missing required field: data.pipeline");
    expect(
      reasonOf({
        type: "create_new_payment",
        timestamp: 1,
        data: {
          sessionID: "x",
          manifestID: "m",
          sender: "s",
          recipient: "r",
          orchestrator: "o",
          faceValue: "1",
          numTickets: "1",
          price: "1",
        },
      }),
    ).toBe("missing_field | Missing required field: data.winProb");
  });

  it("rule 8a: discovery_results needs a non-empty array", () => {
    const d = { id: "d", type: "discovery_results", timestamp: 1 };
    expect(reasonOf({ ...d, data: [] })).toBe("empty_array | Expected non-empty data array");
    expect(reasonOf({ ...d, data: {} })).toBe("empty_array | Expected non-empty data array");
    expect(reasonOf({ ...d, data: null })).toBe("missing_field | Missing required field: data");
    expect(reasonOf({ ...d, data: [{}] })).toBe("accepted");
  });

  it("rule 8b: network_capabilities accepts an object or any array, including []", () => {
    const c = { id: "c", type: "network_capabilities", timestamp: 1 };
    expect(reasonOf({ ...c, data: [] })).toBe("accepted");
    expect(reasonOf({ ...c, data: 5 })).toBe("invalid_data_shape | Expected data object or array");
    expect(reasonOf({ ...c, data: "" })).toBe("missing_field | Missing required field: data");
  });

  it("variant-B identity renders ids and types by their text form", () => {
    const env = rejected(gate(JSON.stringify({ id: 42, type: 5, timestamp: 1, data: {} })));
    expect(env.identity).toEqual({ eventId: "42", eventType: "5", eventVersion: null });
    const env2 = rejected(
      gate(JSON.stringify({ id: { x: 1 }, type: [1], timestamp: "x", data: {} })),
    );
    expect(env2.identity).toEqual({ eventId: "", eventType: "", eventVersion: null });
    expect(env2.eventTimestamp).toBeNull();
  });
});

describe("accepted event fields (§2.5)", () => {
  it("dimensions prefer a non-blank orchestrator_info.address, else data.orchestrator", () => {
    expect(
      dimensionsOf({ data: { orchestrator_info: { address: "0xA" }, orchestrator: "url" } }),
    ).toEqual({
      orchestrator: "0xA",
      broadcaster: null,
      region: null,
    });
    expect(
      dimensionsOf({ data: { orchestrator_info: { address: "  " }, orchestrator: "https://o" } })
        .orchestrator,
    ).toBe("https://o");
    expect(
      dimensionsOf({ data: { orchestrator_info: "x", broadcaster: "", region: " " } }),
    ).toEqual({
      orchestrator: null,
      broadcaster: null,
      region: " ",
    });
    expect(dimensionsOf({ data: [{ orchestrator: "x" }] })).toEqual({
      orchestrator: null,
      broadcaster: null,
      region: null,
    });
  });

  it("rawVersionOf follows §1.4", () => {
    expect(rawVersionOf({})).toBeNull();
    expect(rawVersionOf({ version: 1.9 })).toBe("1");
    expect(rawVersionOf({ version: null, data: { version: 2 } })).toBe("2");
    expect(rawVersionOf({ data: [{ version: 2 }] })).toBeNull();
    expect(rawVersionOf({ version: false })).toBe("false");
  });

  it("id as a number is stringified; gateway and replay are read", () => {
    const e = accepted(
      gate(JSON.stringify({ ...validStatus, id: 12, gateway: "gw", __replay: " true " })),
    );
    expect(e.eventId).toBe("12");
    expect(e.gateway).toBe("gw");
    expect(e.replay).toBe(true);
  });

  it.each([
    ["true", true],
    ["1", true],
    ["-2", true],
    ['"true"', true],
    ['" true\\t"', true],
    ["false", false],
    ["0", false],
    ["1.0", false],
    ["1e0", false],
    ['"TRUE"', false],
    ['"1"', false],
    ["null", false],
  ])("replay flag literal %s → %s", (literal, expected) => {
    const text = `{"id":"r","type":"ai_stream_status","timestamp":1,"__replay":${literal},"data":{"stream_id":"s","request_id":"r","pipeline":"p"}}`;
    expect(accepted(gate(text)).replay).toBe(expected);
  });
});
