// The bounded DLQ replay (ingest-and-storage.md §7) against a real broker: envelopes built by the
// engine from bad input and written by the pipeline's DLQ sink, a window, the skip reasons, the
// republished records read back, a second run with the same bounds, and records produced to the
// DLQ while a run reads it (left for the next run).
import { randomUUID } from "node:crypto";
import { describe, expect, inject, it } from "vitest";
import { createEngine, type EngineOutput } from "@livepeer-analytics/core/engine";
import { serializeEnvelope, type RejectedEventEnvelope } from "@livepeer-analytics/core/quality";
import { createKafkaJsClient } from "../src/kafkajs.js";
import { rejectionTopicSink } from "../src/sinks.js";
import { DlqReplayError, runDlqReplay, type DlqReplayReport } from "../src/dlq-replay.js";
import type { KafkaClientPort, KafkaRecord } from "../src/port.js";

const SLOW = { timeout: 180_000 };

/** The shared broker of the `kafka` project's global setup (scripts/vitest/kafka-broker.ts). */
const brokers = inject("kafkaBrokers");

const client = (): KafkaClientPort =>
  createKafkaJsClient({ brokers: [brokers], clientId: "lpa-dlq-replay-test" });
const suffix = (): string => randomUUID().slice(0, 8);

/** Creates a new DLQ topic and a new output topic, each with `partitions` partitions. */
async function createTopics(
  c: KafkaClientPort,
  partitions: number,
): Promise<{ dlq: string; out: string }> {
  const dlq = `lpa-test-dlq-${suffix()}`;
  const out = `lpa-test-out-${suffix()}`;
  const admin = await c.admin();
  try {
    await admin.ensureTopics([
      { topic: dlq, partitions },
      { topic: out, partitions },
    ]);
  } finally {
    await admin.close();
  }
  return { dlq, out };
}

const START = 1_710_000_000_000;
const END = START + 60_000;
const NOW1 = 1_720_000_000_000;
const NOW2 = NOW1 + 1;
const utf8 = new TextDecoder();

/** A schema failure (ai_stream_status without data.stream_id) stamped `timestamp`. */
const badStatus = (id: string | null, timestamp: number, extra: object = {}): string =>
  JSON.stringify({
    ...(id === null ? {} : { id }),
    type: "ai_stream_status",
    timestamp,
    data: { request_id: `r-${id ?? "none"}`, pipeline: "p1" },
    ...extra,
  });

/** Runs the engine over raw input values; returns its DLQ outputs (one per bad value). */
function engineDlq(values: readonly string[]): EngineOutput[] {
  const engine = createEngine();
  const state = engine.init();
  const out: EngineOutput[] = [];
  values.forEach((value, i) => {
    for (const o of engine.stepInPlace(state, {
      record: { value, topic: "streaming_events", partition: 0, offset: i, recordTimestamp: START },
      now: NOW1 - 1_000,
    }))
      if (o.kind === "dlq") out.push(o);
  });
  if (out.length !== values.length)
    throw new Error(`expected ${values.length} DLQ envelopes, got ${out.length}`);
  return out;
}

const envelopeOf = (o: EngineOutput): RejectedEventEnvelope => {
  if (o.kind !== "dlq") throw new Error("not a DLQ output");
  return o.envelope;
};

/** Writes DLQ outputs with the pipeline's sink (keyed, acknowledged). */
async function writeDlq(
  c: KafkaClientPort,
  dlqTopic: string,
  outputs: readonly EngineOutput[],
): Promise<void> {
  const sink = rejectionTopicSink(c, { dlqTopic, quarantineTopic: `${dlqTopic}.quarantine` });
  for (const o of outputs) await sink.write(o);
  await sink.flush();
  await sink.close();
}

async function produceRaw(c: KafkaClientPort, topic: string, values: readonly string[]) {
  const producer = await c.producer();
  try {
    await producer.send(
      topic,
      values.map((value) => ({ value })),
    );
  } finally {
    await producer.close();
  }
}

async function readAll(c: KafkaClientPort, topic: string): Promise<KafkaRecord[]> {
  const out: KafkaRecord[] = [];
  await c.readTopic(topic, { onRecords: (records) => void out.push(...records) });
  return out.sort((a, b) => a.partition - b.partition || a.offset - b.offset);
}

interface Replayed {
  readonly key: string | null;
  readonly body: Record<string, unknown>;
}
const decode = (r: KafkaRecord): Replayed => ({
  key: r.key === null ? null : utf8.decode(r.key),
  body: JSON.parse(utf8.decode(r.value!)) as Record<string, unknown>,
});
/** Orders replayed records by their data (request ids are unique). */
const byData = (a: Replayed, b: Replayed): number =>
  JSON.stringify(a.body["data"]).localeCompare(JSON.stringify(b.body["data"]));

const ZERO_SKIPS = {
  unparseable_envelope: 0,
  no_timestamp: 0,
  outside_window: 0,
  already_replayed: 0,
  null_body: 0,
  not_json_encoding: 0,
  body_not_object: 0,
};

describe("runDlqReplay (ingest-and-storage.md §7) against a real broker", () => {
  it("refuses to replay a topic into itself", async () => {
    const error = await runDlqReplay({
      client: client(),
      fromTopic: "t",
      toTopic: "t",
      now: NOW1,
    }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(DlqReplayError);
    expect((error as DlqReplayError).code).toBe("LPA_KAFKA_REPLAY_LOOP");
  });

  it(
    "republishes the window once per run, bounded by the end offsets at its start",
    SLOW,
    async () => {
      const c = client();
      const { dlq, out } = await createTopics(c, 2);
      /** A run over the window [START, END] of `dlq` into `out`. */
      const replayWindow = (
        now: number,
        options: { readonly dryRun?: boolean; readonly batchSize?: number } = {},
      ): Promise<DlqReplayReport> =>
        runDlqReplay({
          client: c,
          fromTopic: dlq,
          toTopic: out,
          start: START,
          end: END,
          now,
          ...options,
        });

      // Real envelopes: the engine's rejections of bad input.
      const inWindow = engineDlq([
        badStatus("in-start", START), // on the start bound (inclusive)
        badStatus("in-mid", START + 30_000),
        badStatus("in-end", END), // on the end bound (inclusive)
        badStatus(null, START + 10_000), // id-less: no key
      ]);
      const outside = engineDlq([badStatus("before", START - 1), badStatus("after", END + 1)]);
      const [replayedAgain] = engineDlq([
        badStatus("again", START + 5, { __replay: true, __replay_ts: 1, __replay_source: "dlq" }),
      ]);
      const [parseError] = engineDlq(["{not json"]); // Base64 body, record time = source (START)
      expect(envelopeOf(replayedAgain!).replay).toBe(true);
      expect(envelopeOf(parseError!).payload.encoding).toBe("base64");
      await writeDlq(c, dlq, [...inWindow, ...outside, replayedAgain!, parseError!]);
      // An unparseable record and an envelope without any time (no eventTimestamp, no source).
      const timeless = JSON.parse(
        serializeEnvelope(envelopeOf(engineDlq([badStatus("timeless", START)])[0]!)),
      ) as Record<string, unknown>;
      timeless["eventTimestamp"] = null;
      delete timeless["source"];
      await produceRaw(c, dlq, ["this is not an envelope", JSON.stringify(timeless)]);
      const total = 4 + 2 + 1 + 1 + 2;

      // A dry run counts and produces nothing.
      const dry = await replayWindow(NOW1, { dryRun: true });
      expect(dry).toMatchObject({ read: total, replayable: 4, republished: 0, dryRun: true });
      expect(await readAll(c, out)).toHaveLength(0);

      const expectedSkips = {
        ...ZERO_SKIPS,
        unparseable_envelope: 1,
        no_timestamp: 1,
        outside_window: 2,
        already_replayed: 1,
        not_json_encoding: 1,
      };
      const first = await replayWindow(NOW1, { batchSize: 3 }); // two sends
      expect(first).toMatchObject<Partial<DlqReplayReport>>({
        fromTopic: dlq,
        toTopic: out,
        dryRun: false,
        read: total,
        replayable: 4,
        republished: 4,
        skipped: expectedSkips,
      });
      expect(first.partitions.map((p) => p.partition)).toEqual([0, 1]);
      expect(first.partitions.reduce((n, p) => n + p.until - p.from, 0)).toBe(total);

      const afterFirst = (await readAll(c, out)).map(decode);
      expect(afterFirst).toHaveLength(4);
      expect(afterFirst.map((r) => r.key ?? "(none)").sort()).toEqual([
        "(none)",
        "in-end",
        "in-mid",
        "in-start",
      ]);
      for (const r of afterFirst) {
        expect(r.body).toMatchObject({
          type: "ai_stream_status",
          __replay: true,
          __replay_ts: NOW1,
          __replay_source: "dlq",
          __replay_failure_class: "SCHEMA_INVALID",
        });
        // The replay fields come after the original keys.
        expect(Object.keys(r.body).slice(-4)).toEqual([
          "__replay",
          "__replay_ts",
          "__replay_source",
          "__replay_failure_class",
        ]);
        expect(r.key).toBe((r.body["id"] as string | undefined) ?? null);
      }
      expect(afterFirst.map((r) => r.body["timestamp"]).sort()).toEqual(
        [START, START + 10_000, START + 30_000, END].sort(),
      );

      // Same bounds again: the same set, once more (nothing it produced is read back).
      const second = await replayWindow(NOW2);
      expect(second).toMatchObject({ read: total, republished: 4, skipped: expectedSkips });
      expect(second.partitions).toEqual(first.partitions);
      const afterSecond = (await readAll(c, out)).map(decode);
      expect(afterSecond).toHaveLength(8);
      const fresh = afterSecond.filter((r) => r.body["__replay_ts"] === NOW2);
      expect(fresh).toHaveLength(4);
      const strip = (r: Replayed) => ({
        key: r.key,
        body: { ...r.body, __replay_ts: 0 },
      });
      expect(fresh.map(strip).sort(byData)).toEqual(afterFirst.map(strip).sort(byData));
    },
  );

  it("does not read records produced to the DLQ after the run started", SLOW, async () => {
    const base = client();
    const { dlq, out } = await createTopics(base, 1);
    await writeDlq(
      base,
      dlq,
      engineDlq([badStatus("a", START), badStatus("b", START + 1), badStatus("c", START + 2)]),
    );
    const late = engineDlq([badStatus("late-1", START + 3), badStatus("late-2", START + 4)]);

    // A client whose first batch of the DLQ read produces two more envelopes (acknowledged)
    // before the replay handles it: they land after the end offsets of this run.
    let injected = false;
    const racing: KafkaClientPort = {
      ...base,
      readTopic: (topic, options) =>
        base.readTopic(topic, {
          ...options,
          onRecords: async (records) => {
            if (!injected && topic === dlq) {
              injected = true;
              await writeDlq(base, dlq, late);
            }
            await options.onRecords(records);
          },
        }),
    };
    const first = await runDlqReplay({ client: racing, fromTopic: dlq, toTopic: out, now: NOW1 });
    expect(injected).toBe(true);
    expect(first).toMatchObject({ read: 3, republished: 3, skipped: ZERO_SKIPS });
    expect(first.partitions).toEqual([{ partition: 0, from: 0, until: 3 }]);
    expect((await readAll(base, out)).map((r) => decode(r).key)).toEqual(["a", "b", "c"]);

    // The next run sees them (no window: everything).
    const second = await runDlqReplay({ client: base, fromTopic: dlq, toTopic: out, now: NOW2 });
    expect(second).toMatchObject({ read: 5, republished: 5 });
    expect(second.partitions).toEqual([{ partition: 0, from: 0, until: 5 }]);
    const keys = (await readAll(base, out)).map((r) => decode(r).key);
    expect(keys).toEqual(["a", "b", "c", "a", "b", "c", "late-1", "late-2"]);
  });

  it("a missing DLQ topic is an empty run", SLOW, async () => {
    const report = await runDlqReplay({
      client: client(),
      fromTopic: `lpa-test-missing-${suffix()}`,
      toTopic: `lpa-test-out-${suffix()}`,
      now: NOW1,
    });
    expect(report).toMatchObject({ read: 0, republished: 0, partitions: [] });
  });
});
