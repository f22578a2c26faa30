/**
 * The {@link KafkaClientPort} over `kafkajs` 2.2.4, the client chosen for this package (see the
 * package README: it survived every broker fault test on Node 20; `@platformatic/kafka` 1.x loses
 * data on a broker restart and 2.x needs Node ≥ 22.22).
 *
 * @module
 */
import { randomUUID } from "node:crypto";
import {
  AssignerProtocol,
  Kafka,
  logLevel as KafkaLogLevel,
  type Consumer,
  type KafkaMessage,
  type LogEntry,
  type PartitionAssigner,
} from "kafkajs";
import type {
  GroupConsumerOptions,
  GroupConsumerPort,
  GroupHandlers,
  KafkaAdminPort,
  KafkaClientPort,
  KafkaOutgoing,
  KafkaProducerPort,
  KafkaRecord,
  PartitionOffsets,
  ReadTopicOptions,
  TopicSpec,
} from "./port.js";

/**
 * A log line of the Kafka client, for the host's logger.
 *
 * @category Client
 */
export interface KafkaClientLog {
  /** Severity. */
  readonly level: "error" | "warn" | "info" | "debug";
  /** Message. */
  readonly message: string;
  /** Client namespace (e.g. `Consumer`, `Connection`). */
  readonly namespace: string;
  /** Extra fields of the entry. */
  readonly fields: Readonly<Record<string, unknown>>;
}

/**
 * Options of {@link createKafkaJsClient}.
 *
 * @category Client
 */
export interface KafkaJsClientOptions {
  /** Bootstrap brokers, `HOST:PORT` each. */
  readonly brokers: readonly string[];
  /** Client id sent to the brokers (default `livepeer-analytics`). */
  readonly clientId?: string;
  /** Receives the client's log lines at `warn` and above (default: none are printed). */
  readonly log?: (entry: KafkaClientLog) => void;
  /**
   * How long requests are retried while brokers are unreachable (a broker restart), ms
   * (default 120 000). The client's own default gives up after about 30 s.
   */
  readonly retryForMs?: number;
}

const LEVELS: Record<number, KafkaClientLog["level"]> = {
  [KafkaLogLevel.ERROR]: "error",
  [KafkaLogLevel.WARN]: "warn",
  [KafkaLogLevel.INFO]: "info",
  [KafkaLogLevel.DEBUG]: "debug",
};

const toBytes = (v: string | Uint8Array | null | undefined): Buffer | null =>
  v === null || v === undefined
    ? null
    : typeof v === "string"
      ? Buffer.from(v, "utf8")
      : Buffer.from(v);

function toRecord(topic: string, partition: number, m: KafkaMessage): KafkaRecord {
  const headers: Record<string, string> = {};
  if (m.headers !== undefined)
    for (const [k, v] of Object.entries(m.headers)) {
      const last = Array.isArray(v) ? v[v.length - 1] : v;
      if (last !== undefined)
        headers[k] = Buffer.isBuffer(last) ? last.toString("utf8") : String(last);
    }
  return {
    topic,
    partition,
    offset: Number(m.offset),
    timestamp: Number(m.timestamp),
    key: m.key ?? null,
    value: m.value ?? null,
    headers,
  };
}

/** The prefix of a member's join metadata while it holds the partitions: `holding:<claim>`. */
const HOLDING = "holding:";

/** The claim a member put in its join metadata (0: not holding). */
function claimOf(userData: Buffer | undefined): number {
  const text = Buffer.from(userData ?? []).toString("utf8");
  if (text === "holding") return 1; // the first format, without a claim
  if (!text.startsWith(HOLDING)) return 0;
  const n = Number(text.slice(HOLDING.length));
  return Number.isSafeInteger(n) && n > 0 ? n : 0;
}

/**
 * The `single-active` assignor: every partition to one member, the others get nothing. The member
 * that holds them keeps them (sticky); when several claim to hold them (one was paused past the
 * session timeout and came back), the highest claim wins (the host's activation epoch: the newest
 * owner), then the smallest member id; with no holder, the smallest member id.
 */
function singleActiveAssigner(claim: () => number): PartitionAssigner {
  return ({ cluster }) => ({
    name: "lpa-single-active",
    version: 1,
    async assign({ members, topics }) {
      const ids = members.map((m) => m.memberId).sort();
      const holders = members
        .map((m) => {
          const meta = AssignerProtocol.MemberMetadata.decode(m.memberMetadata);
          return { id: m.memberId, claim: meta === null ? 0 : claimOf(meta.userData) };
        })
        .filter((h) => h.claim > 0)
        .sort((a, b) => b.claim - a.claim || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
      const active = holders[0]?.id ?? ids[0];
      const all: Record<string, number[]> = {};
      for (const topic of topics)
        all[topic] = cluster
          .findTopicPartitionMetadata(topic)
          .map((p) => p.partitionId)
          .sort((a, b) => a - b);
      return members.map((m) => ({
        memberId: m.memberId,
        memberAssignment: AssignerProtocol.MemberAssignment.encode({
          version: 1,
          assignment: m.memberId === active ? all : {},
          userData: Buffer.alloc(0),
        }),
      }));
    },
    protocol({ topics }) {
      return {
        name: "lpa-single-active",
        metadata: AssignerProtocol.MemberMetadata.encode({
          version: 1,
          topics,
          userData: claim() > 0 ? Buffer.from(`${HOLDING}${claim()}`, "utf8") : Buffer.alloc(0),
        }),
      };
    },
  });
}

/**
 * Creates the kafkajs-backed client.
 *
 * @category Client
 * @example
 * const client = createKafkaJsClient({ brokers: ["127.0.0.1:9092"] });
 * const producer = await client.producer();
 * await producer.send("streaming_events", [{ key: "evt-1", value: JSON.stringify(event) }]);
 * await producer.close();
 */
export function createKafkaJsClient(options: KafkaJsClientOptions): KafkaClientPort {
  const log = options.log;
  const retryForMs = options.retryForMs ?? 120_000;
  // One retry policy for every client part: a broker restart takes seconds to tens of seconds
  // (kill -9 under load: up to ~25 s), so requests are retried for about `retryForMs`.
  const retry = {
    initialRetryTime: 300,
    maxRetryTime: 5_000,
    retries: Math.max(5, Math.ceil(retryForMs / 5_000)),
  };
  const kafka = new Kafka({
    clientId: options.clientId ?? "livepeer-analytics",
    brokers: [...options.brokers],
    logLevel: log === undefined ? KafkaLogLevel.NOTHING : KafkaLogLevel.WARN,
    logCreator: () => (entry: LogEntry) => {
      const {
        message,
        timestamp: _t,
        logger: _l,
        ...fields
      } = entry.log as Record<string, unknown>;
      log?.({
        level: LEVELS[entry.level] ?? "info",
        message: String(message),
        namespace: entry.namespace,
        fields,
      });
    },
    retry,
    connectionTimeout: 5_000,
    requestTimeout: 30_000,
  });

  const producer = async (): Promise<KafkaProducerPort> => {
    const p = kafka.producer({
      allowAutoTopicCreation: true,
      idempotent: false,
      maxInFlightRequests: 5,
    });
    await p.connect();
    return {
      async send(topic, records: readonly KafkaOutgoing[]) {
        if (records.length === 0) return;
        await p.send({
          topic,
          acks: -1,
          messages: records.map((r) => ({
            key: toBytes(r.key),
            value: toBytes(r.value),
            ...(r.headers === undefined ? {} : { headers: { ...r.headers } }),
            ...(r.partition === undefined ? {} : { partition: r.partition }),
            ...(r.timestamp === undefined ? {} : { timestamp: String(r.timestamp) }),
          })),
        });
      },
      close: () => p.disconnect(),
    };
  };

  const admin = async (): Promise<KafkaAdminPort> => {
    const a = kafka.admin();
    await a.connect();
    return {
      async ensureTopics(specs: readonly TopicSpec[]) {
        const existing = new Set(await a.listTopics());
        const missing = specs.filter((s) => !existing.has(s.topic));
        if (missing.length === 0) return;
        await a.createTopics({
          waitForLeaders: true,
          topics: missing.map((s) => ({
            topic: s.topic,
            numPartitions: s.partitions ?? 1,
            replicationFactor: -1,
            configEntries: Object.entries(s.configs ?? {}).map(([name, value]) => ({
              name,
              value,
            })),
          })),
        });
      },
      async topicExists(topic) {
        return (await a.listTopics()).includes(topic);
      },
      async offsets(topic): Promise<PartitionOffsets[]> {
        const rows = await a.fetchTopicOffsets(topic);
        return rows
          .map((r) => ({ partition: r.partition, low: Number(r.low), high: Number(r.high) }))
          .sort((x, y) => x.partition - y.partition);
      },
      async deleteGroups(groups) {
        if (groups.length === 0) return;
        await a.deleteGroups([...groups]).catch(() => undefined);
      },
      close: () => a.disconnect(),
    };
  };

  const groupConsumer = (o: GroupConsumerOptions): GroupConsumerPort => {
    let holding = false;
    /** Set by `close`: from then on a crash of the kafkajs consumer must not restart it. */
    let closed = false;
    const consumer: Consumer = kafka.consumer({
      groupId: o.group,
      sessionTimeout: o.sessionTimeoutMs ?? 10_000,
      heartbeatInterval: o.heartbeatIntervalMs ?? 1_000,
      rebalanceTimeout: 60_000,
      maxBytesPerPartition: o.maxBytesPerPartition ?? 1_048_576,
      maxWaitTimeInMs: 500,
      allowAutoTopicCreation: false,
      ...((o.assignment ?? "single-active") === "single-active"
        ? {
            partitionAssigners: [
              singleActiveAssigner(() => (holding ? (o.holdingClaim?.() ?? 1) : 0)),
            ],
          }
        : {}),
      retry: {
        ...retry,
        // kafkajs restarts a crashed consumer after a delay, even when the crash happens during or
        // after `disconnect` (e.g. "write after end" on a connection of the restarted broker): the
        // restarted consumer rejoined the group and kept the process alive forever after
        // `lpa run --exit-when-idle` had stopped (crash test: broker kill -9, then idle exit).
        restartOnFailure: async () => !closed,
      },
    });
    let chain: Promise<void> = Promise.resolve();
    let handlers: GroupHandlers | null = null;
    let paused = false;
    let running = false;
    /** Joins of the group so far: a batch fetched in an older generation is stale. */
    let generation = 0;
    /** A heartbeat answered that the group is rebalancing (or forgot this member). */
    let rebalancing = false;
    const fatal = (error: unknown): void => {
      if (!closed) handlers?.onFatal?.(error);
    };
    consumer.on(consumer.events.GROUP_JOIN, (e) => {
      generation += 1;
      rebalancing = false;
      const partitions = [...(e.payload.memberAssignment[o.topic] ?? [])].sort((a, b) => a - b);
      holding = partitions.length > 0;
      const h = handlers;
      // A failed handler must not leave the chain rejected (every later batch would fail).
      if (h !== null) chain = chain.then(() => h.onAssigned(partitions)).catch(fatal);
    });
    // A crash kafkajs does not recover from (no restart) ends the consumer for good.
    consumer.on(consumer.events.CRASH, (e) => {
      if (!e.payload.restart) fatal(e.payload.error);
    });
    const REBALANCE_TYPES = new Set([
      "REBALANCE_IN_PROGRESS",
      "UNKNOWN_MEMBER_ID",
      "ILLEGAL_GENERATION",
    ]);
    /** Heartbeats, never throwing: a rebalance answer marks the batch in progress stale. */
    const beat = async (p: { heartbeat(): Promise<void> }): Promise<void> => {
      try {
        await p.heartbeat();
      } catch (error) {
        if (REBALANCE_TYPES.has(String((error as { type?: unknown }).type))) rebalancing = true;
      }
    };
    return {
      async start(h) {
        handlers = h;
        await consumer.connect();
        await consumer.subscribe({ topic: o.topic, fromBeginning: true });
        running = true;
        await consumer.run({
          autoCommit: false,
          eachBatchAutoResolve: false,
          partitionsConsumedConcurrently: 1,
          eachBatch: async (p) => {
            // kafkajs heartbeats only between batches and when asked: keep the membership alive
            // while the handlers work (a blocked sink, a restore, a checkpoint), so that slow work
            // does not get this member evicted and the partitions moved.
            const started = generation;
            const timer = setInterval(() => void beat(p), o.heartbeatIntervalMs ?? 1_000);
            try {
              await chain;
              const batch = p.batch;
              const records = batch.messages.map((m) => toRecord(batch.topic, batch.partition, m));
              const stale = (): boolean =>
                p.isStale() || !p.isRunning() || rebalancing || generation !== started;
              const next = await h.onBatch({
                partition: batch.partition,
                records,
                highWatermark: Number(batch.highWatermark),
                heartbeat: () => beat(p),
                isStale: stale,
              });
              if (next !== null && next > 0 && !stale()) p.resolveOffset(String(next - 1));
            } finally {
              clearInterval(timer);
            }
          },
        });
      },
      seek(partition, offset) {
        consumer.seek({ topic: o.topic, partition, offset: String(offset) });
      },
      pause() {
        if (!running || paused) return;
        paused = true;
        consumer.pause([{ topic: o.topic }]);
      },
      resume() {
        if (!paused) return;
        paused = false;
        consumer.resume([{ topic: o.topic }]);
      },
      async commit(offsets) {
        if (offsets.length === 0) return;
        await consumer.commitOffsets(
          offsets.map((x) => ({
            topic: o.topic,
            partition: x.partition,
            offset: String(x.offset),
          })),
        );
      },
      async close() {
        running = false;
        closed = true;
        await consumer.disconnect();
      },
    };
  };

  const readTopic = async (topic: string, r: ReadTopicOptions): Promise<void> => {
    const a = await admin();
    let ranges: { partition: number; from: number; until: number }[];
    try {
      ranges = (await a.offsets(topic)).map((p) => ({
        partition: p.partition,
        from: Math.max(p.low, r.from?.[p.partition] ?? p.low),
        until: r.until?.[p.partition] ?? p.high,
      }));
    } finally {
      await a.close();
    }
    const pending = new Map(ranges.filter((x) => x.until > x.from).map((x) => [x.partition, x]));
    if (pending.size === 0) return;
    const group = `lpa-reader-${randomUUID()}`;
    /** Set before the disconnect: a crash after it must not restart the reader (see groupConsumer). */
    let closed = false;
    const consumer = kafka.consumer({
      groupId: group,
      sessionTimeout: 10_000,
      heartbeatInterval: 1_000,
      maxWaitTimeInMs: 200,
      allowAutoTopicCreation: false,
      retry: { ...retry, restartOnFailure: async () => !closed },
    });
    let failure: unknown = null;
    let finish!: () => void;
    const finished = new Promise<void>((resolve) => (finish = resolve));
    const timer = setTimeout(() => {
      failure = new Error(
        `reading ${topic} did not reach its end offsets within ${r.timeoutMs ?? 120_000} ms`,
      );
      finish();
    }, r.timeoutMs ?? 120_000);
    consumer.on(consumer.events.GROUP_JOIN, () => {
      for (const x of pending.values())
        consumer.seek({ topic, partition: x.partition, offset: String(x.from) });
    });
    try {
      await consumer.connect();
      await consumer.subscribe({ topic, fromBeginning: true });
      await consumer.run({
        autoCommit: false,
        eachBatchAutoResolve: false,
        eachBatch: async (p) => {
          const range = pending.get(p.batch.partition);
          if (range === undefined || failure !== null) return;
          const records = p.batch.messages
            .map((m) => toRecord(topic, p.batch.partition, m))
            .filter((m) => m.offset >= range.from && m.offset < range.until);
          try {
            if (records.length > 0) await r.onRecords(records);
          } catch (error) {
            failure = error;
            finish();
            return;
          }
          const last = Number(p.batch.lastOffset());
          p.resolveOffset(p.batch.lastOffset());
          if (last + 1 >= range.until) {
            pending.delete(range.partition);
            if (pending.size === 0) finish();
          }
        },
      });
      await finished;
    } finally {
      clearTimeout(timer);
      closed = true;
      await consumer.disconnect().catch(() => undefined);
      const cleanup = await admin().catch(() => null);
      if (cleanup !== null) {
        await cleanup.deleteGroups([group]);
        await cleanup.close().catch(() => undefined);
      }
    }
    if (failure !== null) throw failure;
  };

  return { brokers: [...options.brokers], producer, admin, groupConsumer, readTopic };
}
