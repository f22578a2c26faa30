/**
 * The Kafka port: the few operations the runtime needs from a Kafka client, so that the client
 * can be swapped (`kafkajs` is the implementation shipped, see {@link createKafkaJsClient}).
 * Offsets are plain numbers (safe up to 2⁵³, far beyond any real log).
 *
 * @module
 */

/**
 * One record read from a topic.
 *
 * @category Port
 */
export interface KafkaRecord {
  /** Topic. */
  readonly topic: string;
  /** Partition. */
  readonly partition: number;
  /** Offset within the partition. */
  readonly offset: number;
  /** Record timestamp (producer create time or broker append time), epoch ms. */
  readonly timestamp: number;
  /** Key bytes, or `null`. */
  readonly key: Uint8Array | null;
  /** Value bytes, or `null` (a tombstone). */
  readonly value: Uint8Array | null;
  /** Headers, UTF-8 decoded (a repeated header keeps its last value). */
  readonly headers: Readonly<Record<string, string>>;
}

/**
 * One record to produce.
 *
 * @category Port
 */
export interface KafkaOutgoing {
  /** Key (`null` or absent: none; the partitioner then spreads records). */
  readonly key?: string | Uint8Array | null;
  /** Value; `null` produces a tombstone (for compacted topics). */
  readonly value: string | Uint8Array | null;
  /** Headers. */
  readonly headers?: Readonly<Record<string, string>>;
  /** Explicit partition (default: chosen from the key). */
  readonly partition?: number;
  /** Record timestamp, epoch ms (default: the client's clock at send time). */
  readonly timestamp?: number;
}

/**
 * A producer. `send` resolves once every record is acknowledged by all in-sync replicas
 * (`acks = all`), so a resolved send is durable.
 *
 * @category Port
 */
export interface KafkaProducerPort {
  /** Sends records to one topic; resolves when all are acknowledged. */
  send(topic: string, records: readonly KafkaOutgoing[]): Promise<void>;
  /** Disconnects (pending sends settle first). */
  close(): Promise<void>;
}

/**
 * A topic to create when missing.
 *
 * @category Port
 */
export interface TopicSpec {
  /** Name. */
  readonly topic: string;
  /** Partitions (default 1). */
  readonly partitions?: number;
  /** Topic-level configuration entries, e.g. `{ "cleanup.policy": "compact" }`. */
  readonly configs?: Readonly<Record<string, string>>;
}

/**
 * The offsets of one partition: `low` is the first offset still in the log, `high` the offset the
 * next record will get (so `high − low` records are readable and a reader at `high` is caught up).
 *
 * @category Port
 */
export interface PartitionOffsets {
  /** Partition. */
  readonly partition: number;
  /** Log start offset. */
  readonly low: number;
  /** High watermark (end offset). */
  readonly high: number;
}

/**
 * Administration.
 *
 * @category Port
 */
export interface KafkaAdminPort {
  /** Creates the topics that do not exist yet (existing ones are left as they are). */
  ensureTopics(specs: readonly TopicSpec[]): Promise<void>;
  /** Whether a topic exists. */
  topicExists(topic: string): Promise<boolean>;
  /** Low and high offsets of every partition of a topic, by partition. */
  offsets(topic: string): Promise<PartitionOffsets[]>;
  /** Deletes consumer groups (missing ones are ignored). */
  deleteGroups(groups: readonly string[]): Promise<void>;
  /** Disconnects. */
  close(): Promise<void>;
}

/**
 * A batch handed to {@link GroupHandlers.onBatch}: consecutive records of one partition.
 *
 * @category Port
 */
export interface KafkaBatch {
  /** Partition. */
  readonly partition: number;
  /** Records, in offset order. */
  readonly records: readonly KafkaRecord[];
  /** The partition's high watermark when the batch was fetched. */
  readonly highWatermark: number;
  /**
   * Keeps the group membership alive during long processing (a member that does not heartbeat
   * within the session timeout is removed from the group). Never rejects: a heartbeat answered
   * with a rebalance makes {@link KafkaBatch.isStale} true instead.
   */
  heartbeat(): Promise<void>;
  /**
   * `true` once the batch is obsolete (a seek, a rebalance, or the group answered a heartbeat
   * that this member must rejoin): stop processing it.
   */
  isStale(): boolean;
}

/**
 * What a group consumer calls back.
 *
 * @category Port
 */
export interface GroupHandlers {
  /**
   * The partitions of the input topic assigned to this member changed (after each join of the
   * group; an empty list: this member holds nothing — a standby). Awaited before the next batch.
   */
  onAssigned(partitions: readonly number[]): Promise<void>;
  /**
   * Processes a batch; resolves with the next offset to read from the partition (records before it
   * are done). A handler that did not process the batch (it sought elsewhere) resolves `null`.
   */
  onBatch(batch: KafkaBatch): Promise<number | null>;
  /**
   * The consumer failed for good (a crash the client does not recover from, or a failed
   * `onAssigned`): the host should stop. Optional.
   */
  onFatal?(error: unknown): void;
}

/**
 * How the partitions of the input topic are spread over the members of a group.
 *
 * - `single-active`: one member gets every partition, the others none (hot standbys); the member
 *   that holds them keeps them across rebalances (sticky), so a standby joining does not move
 *   them. Needed when all records must meet one engine.
 * - `spread`: the client's default assignor.
 *
 * @category Port
 */
export type AssignmentMode = "single-active" | "spread";

/**
 * Options of a group consumer.
 *
 * @category Port
 */
export interface GroupConsumerOptions {
  /** Consumer group. */
  readonly group: string;
  /** Input topic. */
  readonly topic: string;
  /** Assignment of partitions to members (default `single-active`). */
  readonly assignment?: AssignmentMode;
  /** A member that sends no heartbeat for this long is removed from the group, ms (default 10 000). */
  readonly sessionTimeoutMs?: number;
  /** Heartbeat interval, ms (default 1 000). */
  readonly heartbeatIntervalMs?: number;
  /** Maximum bytes fetched per partition per request (default 1 MiB). */
  readonly maxBytesPerPartition?: number;
  /**
   * `single-active`: the claim this member puts forward while it holds the partitions (a positive
   * integer; default 1). When several members claim to hold them, the highest claim keeps them: a
   * host passes its activation epoch, so the newest owner wins over a member that was paused and
   * came back.
   */
  readonly holdingClaim?: () => number;
}

/**
 * A consumer-group member on one topic. Offsets are never committed automatically.
 *
 * @category Port
 */
export interface GroupConsumerPort {
  /** Joins the group and calls the handlers until {@link GroupConsumerPort.close}. */
  start(handlers: GroupHandlers): Promise<void>;
  /** Sets the next offset to fetch for an assigned partition. */
  seek(partition: number, offset: number): void;
  /** Stops fetching every assigned partition (membership is kept). */
  pause(): void;
  /** Resumes fetching. */
  resume(): void;
  /** Commits next-offsets to the group (informational: checkpoints hold the truth). */
  commit(
    offsets: readonly { readonly partition: number; readonly offset: number }[],
  ): Promise<void>;
  /** Leaves the group and disconnects (waits for the batch in progress). */
  close(): Promise<void>;
}

/**
 * Options of {@link KafkaClientPort.readTopic}.
 *
 * @category Port
 */
export interface ReadTopicOptions {
  /** Called with each batch of records, in offset order per partition. */
  readonly onRecords: (records: readonly KafkaRecord[]) => void | Promise<void>;
  /** Start offsets per partition (default: the log start of each). */
  readonly from?: Readonly<Record<number, number>>;
  /**
   * End offsets per partition, exclusive (default: the high watermarks when the read starts, so
   * the read is bounded even while producers keep writing).
   */
  readonly until?: Readonly<Record<number, number>>;
  /** Give up after this long without reaching the end, ms (default 120 000). */
  readonly timeoutMs?: number;
}

/**
 * A Kafka client: the factory of the other ports.
 *
 * @category Port
 */
export interface KafkaClientPort {
  /** Bootstrap brokers, as given. */
  readonly brokers: readonly string[];
  /** A connected producer. */
  producer(): Promise<KafkaProducerPort>;
  /** A connected admin client. */
  admin(): Promise<KafkaAdminPort>;
  /** A group consumer (connected and subscribed by `start`). */
  groupConsumer(options: GroupConsumerOptions): GroupConsumerPort;
  /**
   * Reads every partition of a topic from `from` up to `until` without joining a group
   * (a bounded read: checkpoints, DLQ replay, tests).
   */
  readTopic(topic: string, options: ReadTopicOptions): Promise<void>;
}
