/**
 * The DLQ replay job (`ingest-and-storage.md` §7) as a bounded run: it reads the DLQ topic from
 * the log start up to the end offsets observed when it starts, rebuilds every envelope in the
 * window with core's `replayEnvelope` (core), and republishes the records to the output topic
 * (normally the pipeline's input topic), keyed by event id. Unlike the reference's unbounded
 * streaming job it ends on its own, and a run never reads what it (or anything else) produced
 * after it started.
 *
 * @module
 */
import {
  REPLAY_SKIP_REASONS,
  replayEnvelope,
  type ReplaySkipReason,
} from "@livepeer-analytics/core/quality";
import type { PipelineLog } from "./pipeline.js";
import type { KafkaClientPort, KafkaOutgoing, KafkaProducerPort } from "./port.js";

/**
 * Stable codes of {@link DlqReplayError}.
 *
 * - `LPA_KAFKA_REPLAY_LOOP`: the input and output topics are the same, so the run would feed
 *   itself.
 * - `LPA_KAFKA_REPLAY_INVALID`: an option is out of range (a window whose start is after its
 *   end, a batch size below 1, a `now` that is not an integer).
 *
 * @category DLQ replay
 */
export type DlqReplayErrorCode = "LPA_KAFKA_REPLAY_LOOP" | "LPA_KAFKA_REPLAY_INVALID";

/**
 * A refused DLQ replay, with a stable {@link DlqReplayError.code}.
 *
 * @category DLQ replay
 */
export class DlqReplayError extends Error {
  /** Always `DlqReplayError`. */
  override readonly name = "DlqReplayError";
  /** Stable code for programs (the message is for people). */
  readonly code: DlqReplayErrorCode;

  /**
   * @param code - stable code
   * @param message - what is wrong and what to do about it
   */
  constructor(code: DlqReplayErrorCode, message: string) {
    super(message);
    this.code = code;
  }
}

/**
 * Default number of records per `send` of {@link runDlqReplay}.
 *
 * @category DLQ replay
 */
export const DEFAULT_DLQ_REPLAY_BATCH_SIZE = 500;

/**
 * Options of {@link runDlqReplay}.
 *
 * @category DLQ replay
 */
export interface DlqReplayOptions {
  /** The Kafka client. */
  readonly client: KafkaClientPort;
  /** DLQ topic to read (`REPLAY_DLQ_TOPIC`). */
  readonly fromTopic: string;
  /** Topic to republish to (`REPLAY_OUTPUT_TOPIC`); must differ from `fromTopic`. */
  readonly toTopic: string;
  /** Inclusive lower bound of the record time, epoch ms (`REPLAY_START_EPOCH_MS`). */
  readonly start?: number;
  /** Inclusive upper bound of the record time, epoch ms (`REPLAY_END_EPOCH_MS`). */
  readonly end?: number;
  /** Epoch ms written as `__replay_ts` on every republished record of this run. */
  readonly now: number;
  /**
   * Also republish envelopes whose rejected input was itself a replay (default `false`: skipped
   * as `already_replayed`, so a record that keeps failing is not replayed forever).
   */
  readonly includeReplayed?: boolean;
  /** Read and count, but produce nothing (default `false`). */
  readonly dryRun?: boolean;
  /** Records per `send` (default {@link DEFAULT_DLQ_REPLAY_BATCH_SIZE}). */
  readonly batchSize?: number;
  /** Give up when the read does not reach the end offsets within this long, ms (default 120 000). */
  readonly readTimeoutMs?: number;
  /** Receives progress and skipped-envelope lines (default: none). */
  readonly log?: (entry: PipelineLog) => void;
}

/**
 * The offsets one partition of the DLQ topic was read over: `from` (inclusive, the log start) to
 * `until` (exclusive, the end offset when the run started).
 *
 * @category DLQ replay
 */
export interface DlqReplayPartition {
  /** Partition. */
  readonly partition: number;
  /** First offset read. */
  readonly from: number;
  /** End offset, exclusive. */
  readonly until: number;
}

/**
 * What a {@link runDlqReplay} run did. `read = replayable + Σ skipped`; without `dryRun`,
 * `republished = replayable`.
 *
 * @category DLQ replay
 */
export interface DlqReplayReport {
  /** DLQ topic read. */
  readonly fromTopic: string;
  /** Output topic. */
  readonly toTopic: string;
  /** Whether nothing was produced. */
  readonly dryRun: boolean;
  /** DLQ records read. */
  readonly read: number;
  /** Records that passed the window and skip rules. */
  readonly replayable: number;
  /** Records produced to the output topic and acknowledged (0 in a dry run). */
  readonly republished: number;
  /** Skipped records by reason (every reason present, zeros included). */
  readonly skipped: Record<ReplaySkipReason, number>;
  /** The offset ranges read, by partition (empty when the DLQ topic does not exist). */
  readonly partitions: readonly DlqReplayPartition[];
}

const utf8 = new TextDecoder("utf-8");

/**
 * Runs one bounded DLQ replay: reads `fromTopic` from its log start up to the end offsets
 * observed at the start of the run (never `toTopic`), and republishes every replayable envelope
 * (`replayEnvelope` (core): window, skip rules, replay fields) to `toTopic` in batches, keyed by
 * the body's `id` (no key when it has none), each batch acknowledged before the next. A record
 * whose value is `null` counts as `unparseable_envelope`. A missing DLQ topic is an empty run.
 * Running it twice with the same bounds republishes the same set again (with a new
 * `__replay_ts`): the pipeline's dedup decides what happens to the copies (§7).
 *
 * @category DLQ replay
 * @throws {@link DlqReplayError} `LPA_KAFKA_REPLAY_LOOP` when `fromTopic === toTopic`,
 *   `LPA_KAFKA_REPLAY_INVALID` for an invalid option; Kafka errors as the client throws them.
 * @example
 * const report = await runDlqReplay({
 *   client: createKafkaJsClient({ brokers: ["127.0.0.1:9092"] }),
 *   fromTopic: "events.dlq.streaming_events.v1",
 *   toTopic: "streaming_events",
 *   start: 1710000000000,
 *   now: Date.now(),
 * });
 * console.log(report.republished, report.skipped);
 */
export async function runDlqReplay(options: DlqReplayOptions): Promise<DlqReplayReport> {
  const { client, fromTopic, toTopic, now, start, end } = options;
  const dryRun = options.dryRun === true;
  const batchSize = options.batchSize ?? DEFAULT_DLQ_REPLAY_BATCH_SIZE;
  const log = options.log ?? (() => undefined);
  if (fromTopic === toTopic)
    throw new DlqReplayError(
      "LPA_KAFKA_REPLAY_LOOP",
      `refusing to replay ${fromTopic} into itself: the output topic must differ from the DLQ topic`,
    );
  if (!Number.isSafeInteger(now))
    throw new DlqReplayError("LPA_KAFKA_REPLAY_INVALID", `now must be an integer, got ${now}`);
  if (start !== undefined && end !== undefined && start > end)
    throw new DlqReplayError(
      "LPA_KAFKA_REPLAY_INVALID",
      `the window start ${start} is after its end ${end}`,
    );
  if (!Number.isSafeInteger(batchSize) || batchSize < 1)
    throw new DlqReplayError(
      "LPA_KAFKA_REPLAY_INVALID",
      `batchSize must be a positive integer, got ${batchSize}`,
    );

  const skipped = Object.fromEntries(REPLAY_SKIP_REASONS.map((r) => [r, 0])) as Record<
    ReplaySkipReason,
    number
  >;
  let read = 0;
  let replayable = 0;
  let republished = 0;

  // The bounds: every partition from its log start to its end offset now.
  const admin = await client.admin();
  let partitions: DlqReplayPartition[];
  try {
    partitions = (await admin.topicExists(fromTopic))
      ? (await admin.offsets(fromTopic))
          .map((p) => ({ partition: p.partition, from: p.low, until: p.high }))
          .sort((a, b) => a.partition - b.partition)
      : [];
  } finally {
    await admin.close();
  }
  const report = (): DlqReplayReport => ({
    fromTopic,
    toTopic,
    dryRun,
    read,
    replayable,
    republished,
    skipped: { ...skipped },
    partitions,
  });
  if (partitions.length === 0)
    log({ level: "warn", message: `DLQ topic ${fromTopic} does not exist: nothing to replay` });
  const total = partitions.reduce((n, p) => n + Math.max(0, p.until - p.from), 0);
  log({
    level: "info",
    message: `replaying ${fromTopic} → ${toTopic}${dryRun ? " (dry run)" : ""}: up to ${total} records`,
    fields: { partitions, start, end, includeReplayed: options.includeReplayed === true },
  });
  if (total === 0) return report();

  const producer: KafkaProducerPort | null = dryRun ? null : await client.producer();
  let pending: KafkaOutgoing[] = [];
  const flush = async (): Promise<void> => {
    if (pending.length === 0) return;
    const batch = pending;
    pending = [];
    await producer?.send(toTopic, batch);
    republished += batch.length;
  };
  const window = {
    ...(start === undefined ? {} : { start }),
    ...(end === undefined ? {} : { end }),
  };
  const replayOptions = { includeReplayed: options.includeReplayed === true };
  try {
    await client.readTopic(fromTopic, {
      from: Object.fromEntries(partitions.map((p) => [p.partition, p.from])),
      until: Object.fromEntries(partitions.map((p) => [p.partition, p.until])),
      ...(options.readTimeoutMs === undefined ? {} : { timeoutMs: options.readTimeoutMs }),
      onRecords: async (records) => {
        for (const record of records) {
          read++;
          const text = record.value === null ? "" : utf8.decode(record.value);
          const r = replayEnvelope(text, window, now, replayOptions);
          if (!r.ok) {
            skipped[r.skip]++;
            log({
              level:
                r.skip === "unparseable_envelope" || r.skip === "no_timestamp" ? "warn" : "debug",
              message: `skipped ${fromTopic}[${record.partition}]@${record.offset}: ${r.skip}`,
              fields: { partition: record.partition, offset: record.offset, reason: r.skip },
            });
            continue;
          }
          replayable++;
          if (producer === null) continue;
          pending.push({ key: r.key, value: r.record });
          if (pending.length >= batchSize) await flush();
        }
      },
    });
    await flush();
  } finally {
    await producer?.close();
  }
  const result = report();
  log({
    level: "info",
    message: `replayed ${fromTopic} → ${toTopic}: read ${read}, ${dryRun ? `replayable ${replayable} (dry run)` : `republished ${republished}`}`,
    fields: { skipped: result.skipped },
  });
  return result;
}
