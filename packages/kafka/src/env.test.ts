import { describe, expect, test } from "vitest";
import { parseBrokers, pipelineSettingsFromEnv, replaySettingsFromEnv } from "./env.js";
import { eventKey } from "./keys.js";

describe("environment", () => {
  test("defaults are the reference deployment's", () => {
    const s = pipelineSettingsFromEnv({});
    expect(s).toEqual({
      brokers: ["kafka:9092"],
      topic: "streaming_events",
      dlqTopic: "events.dlq.streaming_events.v1",
      quarantineTopic: "events.quarantine.streaming_events.v1",
      group: "lpa-quality-gate-v1",
      notices: [],
    });
  });

  test("every variable is read; empty means unset; a bad TTL is reported and ignored", () => {
    const s = pipelineSettingsFromEnv({
      QUALITY_KAFKA_BOOTSTRAP: " a:1, b:2 ,",
      QUALITY_INPUT_TOPIC: "in",
      QUALITY_DLQ_TOPIC: "",
      QUALITY_QUARANTINE_TOPIC: "q",
      QUALITY_GROUP_ID: "g",
      QUALITY_DEDUP_TTL_MINUTES: "60",
      QUALITY_SUPPORTED_VERSIONS: "  ",
    });
    expect(s.brokers).toEqual(["a:1", "b:2"]);
    expect(s.topic).toBe("in");
    expect(s.dlqTopic).toBe("events.dlq.streaming_events.v1");
    expect(s.quarantineTopic).toBe("q");
    expect(s.group).toBe("g");
    expect(s.dedupTtlMs).toBe(3_600_000);
    // Whitespace only is a value (it disables the version check), unlike the empty string.
    expect(s.supportedVersions).toBe("  ");
    const bad = pipelineSettingsFromEnv({ QUALITY_DEDUP_TTL_MINUTES: "soon" });
    expect(bad.dedupTtlMs).toBeUndefined();
    expect(bad.notices.map((n) => n.key)).toEqual(["QUALITY_DEDUP_TTL_MINUTES"]);
  });

  test("replay job: REPLAY_* first, then QUALITY_*, then defaults; a non-numeric bound is no bound", () => {
    expect(replaySettingsFromEnv({})).toEqual({
      brokers: ["kafka:9092"],
      fromTopic: "events.dlq.streaming_events.v1",
      toTopic: "streaming_events",
      notices: [],
    });
    const s = replaySettingsFromEnv({
      QUALITY_KAFKA_BOOTSTRAP: "q:1",
      REPLAY_KAFKA_BOOTSTRAP: "r:1",
      QUALITY_DLQ_TOPIC: "dlq2",
      QUALITY_INPUT_TOPIC: "in2",
      REPLAY_START_EPOCH_MS: "100",
      REPLAY_END_EPOCH_MS: "later",
    });
    expect(s.brokers).toEqual(["r:1"]);
    expect(s.fromTopic).toBe("dlq2");
    expect(s.toTopic).toBe("in2");
    expect(s.start).toBe(100);
    expect(s.end).toBeUndefined();
    expect(s.notices.map((n) => n.key)).toEqual(["REPLAY_END_EPOCH_MS"]);
  });

  test("parseBrokers drops empty items", () => {
    expect(parseBrokers("")).toEqual([]);
    expect(parseBrokers("h:1")).toEqual(["h:1"]);
  });
});

describe("eventKey", () => {
  test("stream, then request, then event id; nothing for non-objects", () => {
    expect(eventKey('{"id":"e","data":{"stream_id":"s","request_id":"r"}}')).toBe("s");
    expect(eventKey('{"id":"e","data":{"stream_id":"","request_id":"r"}}')).toBe("r");
    expect(eventKey('{"id":"e","data":[1]}')).toBe("e");
    expect(eventKey('{"data":{}}')).toBeNull();
    expect(eventKey("[1]")).toBeNull();
    expect(eventKey("{not json")).toBeNull();
  });
});
