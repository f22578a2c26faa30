/**
 * Output sinks of the Kafka pipeline: where engine outputs go, each with a durable `flush` (the
 * pipeline commits nothing before every sink has flushed) and, where the sink can, a position
 * saved in the checkpoint so that a restart rewinds it (effectively-once files).
 *
 * @module
 */
import { randomUUID } from "node:crypto";
import {
  closeSync,
  fstatSync,
  fsyncSync,
  ftruncateSync,
  mkdirSync,
  openSync,
  readdirSync,
  readFileSync,
  writeFileSync,
  writeSync,
} from "node:fs";
import { join } from "node:path";
import type { EngineOutput } from "@livepeer-analytics/core/engine";
import {
  serializeEnvelope,
  toRejectionRow,
  type MetricsCallback,
  type RejectedEventEnvelope,
} from "@livepeer-analytics/core/quality";
import {
  createClickHouseSink,
  DEFAULT_DLQ_TABLE,
  DEFAULT_QUARANTINE_TABLE,
  isTableName,
  toClickHouseRow,
  toStorableRow,
  type ClickHouseExecutor,
  type ClickHouseSink,
  type ClickHouseSinkOptions,
  type TableName,
  type TableRow,
} from "@livepeer-analytics/clickhouse";
import type { KafkaClientPort, KafkaOutgoing, KafkaProducerPort } from "./port.js";

/**
 * A destination of engine outputs.
 *
 * @category Sinks
 */
export interface OutputSink {
  /** Name (a key of the checkpoint's sink positions, and of metrics). */
  readonly name: string;
  /**
   * Accepts one output. A returned promise resolves once the output is buffered: a full buffer
   * makes the pipeline wait (back-pressure). Counter outputs may be ignored.
   */
  write(output: EngineOutput): void | Promise<void>;
  /** Makes everything written so far durable; rejects when that is impossible. */
  flush(): Promise<void>;
  /** The sink's position after a `flush`, saved in the checkpoint (plain JSON), if it has one. */
  position?(): unknown;
  /**
   * Rewinds to a checkpointed position (`undefined`: the state before any checkpoint) before the
   * outputs after that checkpoint are produced again.
   */
  rewind?(position: unknown): Promise<void>;
  /** Releases resources (after a final `flush`). */
  close(): Promise<void>;
  /**
   * Counts of this sink's work so far, by name (e.g. `batches`, `retries`, `dropped`), exported as
   * metrics; optional.
   */
  counts?(): Readonly<Record<string, number>>;
}

/** Table of an output (rejections go to their tables); `null` for counters. */
function tableOf(o: EngineOutput): string | null {
  return o.kind === "row"
    ? o.table
    : o.kind === "dlq"
      ? DEFAULT_DLQ_TABLE
      : o.kind === "quarantine"
        ? DEFAULT_QUARANTINE_TABLE
        : null;
}

/**
 * Options of {@link clickHouseOutputSink}.
 *
 * @category Sinks
 */
export type ClickHouseOutputSinkOptions = Omit<ClickHouseSinkOptions, "toRow">;

/**
 * Writes outputs into ClickHouse through the batched sink (`createClickHouseSink`), with the
 * catalogue's row mapping. Every table is a `ReplacingMergeTree` whose sort key holds its grain,
 * so rows written again after a restart collapse.
 *
 * @category Sinks
 */
export function clickHouseOutputSink(
  executor: ClickHouseExecutor,
  options: ClickHouseOutputSinkOptions = {},
): OutputSink & { readonly sink: ClickHouseSink } {
  const metrics = options.metrics;
  const counts = { batches: 0, retries: 0, dropped: 0 };
  const sink = createClickHouseSink(executor, {
    ...options,
    toRow: (table, row) =>
      isTableName(table) ? toClickHouseRow(table, row as TableRow<TableName>, metrics) : row,
    onInserted: (e) => {
      counts.batches += 1;
      options.onInserted?.(e);
    },
    onRetry: (e) => {
      counts.retries += 1;
      options.onRetry?.(e);
    },
    onDrop: (e) => {
      counts.dropped += 1;
      if (options.onDrop !== undefined) options.onDrop(e);
      else
        process.emitWarning(
          `Dropped a row for ${e.table}: size ${e.bytes} exceeds limit ${e.limit} (${e.reason})`,
          { code: "LPA_CH_ROW_DROPPED" },
        );
    },
  });
  return {
    name: "clickhouse",
    sink,
    write: (o) => (o.kind === "counter" ? undefined : sink.writeOutput(o)),
    flush: () => sink.flush(),
    close: () => sink.close(),
    counts: () => ({ ...counts }),
  };
}

/**
 * Appends outputs to one JSONL file per table in a directory (`<table>.jsonl`), with the same
 * storage rule as ClickHouse (`toStorableRow`). Its position is the size of every file after a
 * flush (fsync); a rewind truncates the files to it, so the files hold each output exactly once
 * across restarts.
 *
 * Group members that each write their own directory: the position holds the sizes of every
 * directory that took part (keyed by an id kept in `DIR/.lpa-jsonl-id`), so a member that takes
 * over rewinds its own directory to its own last checkpointed sizes (never to another member's),
 * and the union of the directories holds each output once (superseded versions aside).
 *
 * @category Sinks
 */
export function jsonlOutputSink(dir: string, metrics?: MetricsCallback): OutputSink {
  mkdirSync(dir, { recursive: true });
  // Fix (group members with separate --out directories): the position used to be the bare file
  // sizes of whichever member saved the checkpoint, and a member taking over truncated (or, with
  // ftruncate, extended with NUL bytes) its own files to the other member's sizes, destroying rows
  // it had written and checkpointed earlier. Sizes are now kept per directory id.
  const dirId = directoryId(dir);
  /** Positions of the other directories of the group, carried from checkpoint to checkpoint. */
  let others: Record<string, Record<string, number>> = {};
  const files = new Map<string, { fd: number; size: number; pending: string[] }>();
  const open = (table: string): { fd: number; size: number; pending: string[] } => {
    let f = files.get(table);
    if (f === undefined) {
      const fd = openSync(join(dir, `${table}.jsonl`), "a+");
      f = { fd, size: -1, pending: [] };
      files.set(table, f);
    }
    return f;
  };
  const drain = (f: { fd: number; size: number; pending: string[] }): void => {
    if (f.pending.length === 0) return;
    // writeSync may write less than asked: write until every byte is out.
    const bytes = Buffer.from(f.pending.join(""), "utf8");
    for (let at = 0; at < bytes.length;) at += writeSync(f.fd, bytes, at, bytes.length - at);
    f.pending.length = 0;
  };
  return {
    name: "jsonl",
    write(o) {
      const table = tableOf(o);
      if (table === null || o.kind === "counter") return;
      const raw = o.kind === "row" ? o.row : toRejectionRow(o.envelope);
      const row = isTableName(table)
        ? toStorableRow(table, raw as TableRow<TableName>, metrics)
        : raw;
      const f = open(table);
      f.pending.push(JSON.stringify(row) + "\n");
      if (f.pending.length >= 1024) drain(f);
    },
    async flush() {
      for (const f of files.values()) {
        drain(f);
        fsyncSync(f.fd);
      }
    },
    position() {
      const sizes: Record<string, number> = {};
      for (const [table, f] of files) sizes[table] = fstatSync(f.fd).size;
      return { dirs: { ...others, [dirId]: sizes } };
    },
    async rewind(position) {
      let sizes: Record<string, number>;
      const p = position as { dirs?: Record<string, Record<string, number>> } | null | undefined;
      if (p !== null && typeof p === "object" && typeof p.dirs === "object" && p.dirs !== null) {
        const { [dirId]: mine, ...rest } = p.dirs;
        others = rest;
        sizes = mine ?? {};
      } else {
        // No checkpoint, or one saved before positions were kept per directory (bare sizes).
        others = {};
        sizes = (position ?? {}) as Record<string, number>;
      }
      for (const name of readdirSync(dir)) {
        if (!name.endsWith(".jsonl")) continue;
        const table = name.slice(0, -".jsonl".length);
        const f = open(table);
        f.pending.length = 0;
        ftruncateSync(f.fd, sizes[table] ?? 0);
        fsyncSync(f.fd);
      }
    },
    async close() {
      for (const f of files.values()) {
        drain(f);
        fsyncSync(f.fd);
        closeSync(f.fd);
      }
      files.clear();
    },
  };
}

/** The id of a JSONL output directory (created in `DIR/.lpa-jsonl-id` on first use). */
function directoryId(dir: string): string {
  const file = join(dir, ".lpa-jsonl-id");
  try {
    writeFileSync(file, `${randomUUID()}\n`, { flag: "wx" });
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== "EEXIST") throw error;
  }
  return readFileSync(file, "utf8").trim();
}

/**
 * Options of {@link rejectionTopicSink}.
 *
 * @category Sinks
 */
export interface RejectionTopicSinkOptions {
  /** DLQ topic (default {@link DEFAULT_DLQ_TOPIC}). */
  readonly dlqTopic?: string;
  /** Quarantine topic (default {@link DEFAULT_QUARANTINE_TOPIC}). */
  readonly quarantineTopic?: string;
  /** Envelopes sent per produce request (default 500). */
  readonly batchSize?: number;
}

/**
 * Default DLQ topic (`QUALITY_DLQ_TOPIC`).
 *
 * @category Sinks
 */
export const DEFAULT_DLQ_TOPIC = "events.dlq.streaming_events.v1";
/**
 * Default quarantine topic (`QUALITY_QUARANTINE_TOPIC`).
 *
 * @category Sinks
 */
export const DEFAULT_QUARANTINE_TOPIC = "events.quarantine.streaming_events.v1";

/**
 * The record key of a rejection envelope: its dedup key, else its event id, else none (so a
 * compacting or deduplicating consumer of the topic can collapse redeliveries).
 *
 * @category Sinks
 */
export function rejectionKey(e: RejectedEventEnvelope): string | null {
  return e.dedupKey ?? e.identity.eventId ?? null;
}

/**
 * Produces DLQ and quarantine envelopes (the envelope JSON, keyed by {@link rejectionKey}) to their
 * topics; `flush` resolves when the broker acknowledged all of them (at-least-once: a restart can
 * send an envelope again).
 *
 * @category Sinks
 */
export function rejectionTopicSink(
  client: KafkaClientPort,
  options: RejectionTopicSinkOptions = {},
): OutputSink {
  const dlqTopic = options.dlqTopic ?? DEFAULT_DLQ_TOPIC;
  const quarantineTopic = options.quarantineTopic ?? DEFAULT_QUARANTINE_TOPIC;
  const batchSize = options.batchSize ?? 500;
  let producer: KafkaProducerPort | null = null;
  const pending = new Map<string, KafkaOutgoing[]>([
    [dlqTopic, []],
    [quarantineTopic, []],
  ]);
  let inFlight: Promise<void> = Promise.resolve();
  let failure: unknown = null;
  const send = (topic: string): void => {
    const records = pending.get(topic)!;
    if (records.length === 0) return;
    pending.set(topic, []);
    inFlight = inFlight.then(async () => {
      producer ??= await client.producer();
      await producer.send(topic, records);
    });
    inFlight.catch((error: unknown) => {
      failure ??= error;
    });
  };
  return {
    name: "rejection-topics",
    async write(o) {
      if (failure !== null) throw failure;
      if (o.kind !== "dlq" && o.kind !== "quarantine") return;
      const topic = o.kind === "dlq" ? dlqTopic : quarantineTopic;
      pending
        .get(topic)!
        .push({ key: rejectionKey(o.envelope), value: serializeEnvelope(o.envelope) });
      if (pending.get(topic)!.length >= batchSize) {
        send(topic);
        await inFlight;
      }
    },
    async flush() {
      for (const topic of pending.keys()) send(topic);
      await inFlight;
      if (failure !== null) {
        const f = failure;
        failure = null;
        inFlight = Promise.resolve();
        throw f;
      }
    },
    async rewind() {
      for (const topic of pending.keys()) pending.set(topic, []);
      await inFlight.catch(() => undefined);
      failure = null;
      inFlight = Promise.resolve();
    },
    async close() {
      // Sends still in flight settle first, so no producer is created after this one closed.
      await inFlight.catch(() => undefined);
      await producer?.close();
      producer = null;
    },
  };
}
