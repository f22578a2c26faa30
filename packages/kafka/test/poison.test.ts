/**
 * Poison records in the input topic: malformed JSON, non-UTF-8 bytes, a null value (tombstone), a
 * record over the engine's `maxRecordBytes` (but under the broker's 1 MB message limit), and
 * schema-invalid events, between valid events. `lpa run --exit-when-idle` must route each to the
 * DLQ topic with its reason code, keep going (the valid events after them land in ClickHouse,
 * exactly as `lpa replay` of the valid events alone writes them) and exit 0.
 */
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, test } from "vitest";
import type { RejectedEventEnvelope } from "@livepeer-analytics/core/quality";
import type { KafkaOutgoing } from "../src/index.js";
import {
  client,
  createTopic,
  diffTables,
  dlqTopicOf,
  expectCleanExit,
  expectSameAsReplay,
  finalTables,
  produceLines,
  produceRecords,
  readAll,
  replayTables,
  runArgs,
  runLpa,
  tempDir,
  testInput,
  unique,
  writeInput,
} from "./support.js";

/** The engine's record limit in this test (the default, 1 000 000, is too close to the broker's 1 MB). */
const MAX_RECORD_BYTES = 100_000;
const DLQ_TABLE = "raw_streaming_events_dlq";

const TS = "1767908945298";
const trace = (id: string): Record<string, unknown> => ({
  id,
  type: "stream_trace",
  timestamp: TS,
  gateway: "",
  data: {
    orchestrator_info: { address: "", url: "" },
    pipeline_id: "",
    request_id: "poison",
    stream_id: "stream-poison",
    timestamp: Number(TS),
    type: "gateway_receive_stream_request",
  },
});

/** Each poison record and the DLQ reason it must get. */
const POISON: readonly { what: string; record: KafkaOutgoing; reason: string }[] = [
  {
    what: "malformed JSON",
    record: { key: "p-malformed", value: '{"id":"p-malformed","type":"stream_trace","timestamp":' },
    reason: "json_parse_error",
  },
  {
    what: "non-UTF-8 bytes",
    record: {
      key: "p-binary",
      value: Uint8Array.from([0xff, 0xfe, 0xfd, 0x00, 0x80, 0x81, 0xc3, 0x28, 0xa0, 0xa1]),
    },
    reason: "json_parse_error",
  },
  {
    what: "null value (tombstone)",
    record: { key: "p-tombstone", value: null },
    reason: "null_payload",
  },
  {
    what: "oversize record",
    record: {
      key: "p-oversize",
      value: JSON.stringify({ ...trace("p-oversize"), padding: "x".repeat(2 * MAX_RECORD_BYTES) }),
    },
    reason: "record_too_large",
  },
  {
    what: "root not an object",
    record: { key: "p-array", value: "[1,2,3]" },
    reason: "root_not_object",
  },
  {
    what: "no type",
    record: {
      key: "p-no-type",
      value: JSON.stringify({ ...trace("p-no-type"), type: undefined }),
    },
    reason: "missing_type",
  },
  {
    what: "no timestamp",
    record: {
      key: "p-no-timestamp",
      value: JSON.stringify({ ...trace("p-no-timestamp"), timestamp: undefined }),
    },
    reason: "missing_timestamp",
  },
  {
    what: "no data",
    record: { key: "p-no-data", value: JSON.stringify({ ...trace("p-no-data"), data: undefined }) },
    reason: "missing_data",
  },
  {
    what: "unknown event type",
    record: {
      key: "p-unknown-type",
      value: JSON.stringify({ ...trace("p-unknown-type"), type: "no_such_event_type" }),
    },
    reason: "unsupported_event_type",
  },
];

describe("lpa run: poison records", () => {
  test(
    "each poison record goes to the DLQ topic with its reason; valid events around them land; exit 0",
    { timeout: 300_000 },
    async () => {
      const dir = tempDir("poison");
      const topic = unique("poison-events");
      const dlqTopic = dlqTopicOf(topic);
      const valid = testInput(3_000);
      const half = Math.floor(valid.length / 2);
      const config = join(dir, "config.json");
      writeFileSync(config, JSON.stringify({ maxRecordBytes: MAX_RECORD_BYTES }));
      const validInput = writeInput(dir, valid, "valid.jsonl");

      // One partition: the poison records get the offsets half … half + POISON.length − 1.
      const c = client();
      await createTopic(c, topic, 1);
      await produceLines(c, topic, valid.slice(0, half));
      await produceRecords(
        c,
        topic,
        POISON.map((p) => p.record),
      );
      await produceLines(c, topic, valid.slice(half));

      const run = await runLpa(
        runArgs({
          topic,
          group: unique("poison-group"),
          clickhouse: join(dir, "ch-run"),
          checkpointDir: join(dir, "checkpoints"),
          config,
          exitWhenIdleMs: 3000,
        }),
      );
      expectCleanExit(run);
      expect(run.stdout).toContain(`records ${valid.length + POISON.length}`);

      // The DLQ topic: one envelope per poison record, by offset, with the expected reason.
      const envelopes = (await readAll(c, dlqTopic)).map(
        (v) => JSON.parse(v) as RejectedEventEnvelope,
      );
      const byOffset = new Map<number, RejectedEventEnvelope[]>();
      for (const e of envelopes)
        if (e.source.topic === topic)
          byOffset.set(e.source.offset, [...(byOffset.get(e.source.offset) ?? []), e]);
      const got = POISON.map((p, i) => ({
        what: p.what,
        reasons: (byOffset.get(half + i) ?? []).map((e) => e.failure.reason),
      }));
      expect(got).toEqual(POISON.map((p) => ({ what: p.what, reasons: [p.reason] })));
      const binary = byOffset.get(half + 1)![0]!;
      expect(binary.payload.encoding).toBe("base64");
      expect(Buffer.from(binary.payload.body!, "base64")).toEqual(
        Buffer.from(POISON[1]!.record.value as Uint8Array),
      );
      expect(byOffset.get(half + 2)![0]!.payload.body).toBeNull();
      const oversize = byOffset.get(half + 3)![0]!;
      expect(oversize.failure.failureClass).toBe("RECORD_TOO_LARGE");
      expect(oversize.payload.body!.length).toBeLessThan(MAX_RECORD_BYTES);

      // Everything else equals lpa replay of the valid events alone; the DLQ table holds the
      // replay's DLQ rows plus one per poison record.
      const want = await replayTables(validInput, dir, { config });
      const tables = await finalTables(join(dir, "ch-run"));
      expect(tables.fact_workflow_sessions.length).toBeGreaterThan(10);
      const dlqGot = tables[DLQ_TABLE];
      const dlqWant = want[DLQ_TABLE];
      const withoutDlq = (t: Record<string, string[]>): Record<string, string[]> =>
        Object.fromEntries(Object.entries(t).filter(([k]) => k !== DLQ_TABLE));
      expectSameAsReplay(withoutDlq(tables), withoutDlq(want));
      const dlqDiff = diffTables({ [DLQ_TABLE]: dlqGot }, { [DLQ_TABLE]: dlqWant }, 0);
      expect(dlqDiff.map((d) => [d.onlyGot, d.onlyWant])).toEqual([[POISON.length, 0]]);
    },
  );
});
