/**
 * The Kafka pipeline: a consumer-group member that runs the engine over an input topic and writes
 * its outputs to sinks, with checkpoints that make the results effectively-once.
 *
 * Delivery: input is at-least-once (a restart reads again from the last checkpoint) and results
 * are effectively-once. The engine state is checkpointed together with the input positions it
 * covers, and only after every output derived from the records before those positions is durable
 * in every sink; group offsets are committed after the checkpoint. A runner that starts (or a
 * standby that takes over) restores the newest checkpoint, rewinds the sinks that can rewind
 * (JSONL files) and seeks every partition to the checkpoint's positions, so each record is
 * processed once by the state it lands in. Outputs produced again after a restart have the same
 * content; rows of versioned tables carry the activation epoch in the high bits of `version`
 * (`epoch × 2³² + version`), so that what a new activation writes supersedes whatever a crashed
 * one wrote after its last checkpoint, and ClickHouse's `ReplacingMergeTree` tables converge.
 *
 * One member of a group is active and holds every partition (all events of a session, and the
 * capability snapshots, must meet one engine); the others are hot standbys that take over when it
 * dies or leaves (scale-out across machines is the Flink integration's job).
 *
 * @module
 */
import { randomUUID } from "node:crypto";
import {
  createRunner,
  type Engine,
  type EngineOutput,
  type EngineRunner,
} from "@livepeer-analytics/core/engine";
import { OVERSIZE_PREFIX_BYTES } from "@livepeer-analytics/core/events";
// Activation epochs share the version layout of backfill epochs: `epoch × 2³² + version`.
import {
  BACKFILL_EPOCH_STRIDE,
  isVersionedTable,
  MAX_BACKFILL_EPOCH,
} from "@livepeer-analytics/core/lifecycle";
import { oversizeRecordOutputs } from "@livepeer-analytics/core/quality";
import type { Checkpoint, CheckpointStore } from "./checkpoint.js";
import {
  initPartitionClock,
  inputFrontier,
  observeEventTime,
  type PartitionClock,
} from "./clock.js";
import type { KafkaAdminPort, KafkaBatch, KafkaClientPort, KafkaRecord } from "./port.js";
import type { OutputSink } from "./sinks.js";

/**
 * Default input topic (`QUALITY_INPUT_TOPIC`).
 *
 * @category Pipeline
 */
export const DEFAULT_INPUT_TOPIC = "streaming_events";
/**
 * Default consumer group of `lpa run` (`QUALITY_GROUP_ID`).
 *
 * @category Pipeline
 */
export const DEFAULT_GROUP_ID = "lpa-quality-gate-v1";

/**
 * Default time between checkpoints, ms: a crash replays at most this much input. Each checkpoint
 * costs a snapshot of the state and a durable flush of every sink, so a shorter interval costs
 * throughput (the reference checkpoints every 60 s).
 *
 * @category Pipeline
 */
export const DEFAULT_CHECKPOINT_INTERVAL_MS = 30_000;

/**
 * A log line of the pipeline.
 *
 * @category Pipeline
 */
export interface PipelineLog {
  /** Severity. */
  readonly level: "error" | "warn" | "info" | "debug";
  /** Message, one line. */
  readonly message: string;
  /** Structured fields. */
  readonly fields?: Readonly<Record<string, unknown>>;
}

/**
 * Options of {@link startPipeline}.
 *
 * @category Pipeline
 */
export interface PipelineOptions {
  /** The Kafka client. */
  readonly client: KafkaClientPort;
  /** The engine (its configuration decides the emission mode; `coalesced` suits a live stream). */
  readonly engine: Engine;
  /**
   * Creates the sinks of one activation (called at each takeover and after a sink failure, so a
   * failed sink is replaced by a fresh one). Rejects while a sink cannot be created.
   */
  readonly createSinks: () => Promise<readonly OutputSink[]>;
  /** Where checkpoints are kept. */
  readonly checkpoints: CheckpointStore;
  /** Input topic (default {@link DEFAULT_INPUT_TOPIC}). */
  readonly topic?: string;
  /** Consumer group (default {@link DEFAULT_GROUP_ID}). */
  readonly group?: string;
  /** Time between checkpoints, ms (default {@link DEFAULT_CHECKPOINT_INTERVAL_MS}). */
  readonly checkpointIntervalMs?: number;
  /**
   * A partition that is caught up and has received no record for this long stops holding the
   * watermark back, ms (default 5 000).
   */
  readonly idlePartitionMs?: number;
  /**
   * End the run once every assigned partition is caught up and no record arrived for this long,
   * ms: the engine is flushed, outputs made durable, a checkpoint saved and offsets committed
   * (batch use). `null` (default): run until {@link PipelineHandle.stop}.
   */
  readonly exitWhenIdleMs?: number | null;
  /** How often lag, idleness and due checkpoints are checked, ms (default 500). */
  readonly pollIntervalMs?: number;
  /** Group session timeout, ms (default 10 000): how fast a standby notices a dead active member. */
  readonly sessionTimeoutMs?: number;
  /** First wait after a sink failure before the pipeline tries again, ms (default 1 000; doubles up to 30 000). */
  readonly retryBackoffMs?: number;
  /** Wall clock, epoch ms (default `Date.now`); used for timing only, never for results. */
  readonly clock?: () => number;
  /** Log lines (default: none). */
  readonly log?: (entry: PipelineLog) => void;
  /**
   * A lower bound for the epoch of the next activation (default none): the host returns the
   * highest epoch its outputs already hold + 1 (`lpa run` reads it from the versioned ClickHouse
   * tables), so that a new group, a new checkpoint store or lost checkpoints never write versions
   * below rows already written.
   */
  readonly epochFloor?: () => Promise<number>;
}

/**
 * Counters and gauges of a running pipeline (what the Prometheus endpoint exposes).
 *
 * @category Pipeline
 */
export interface PipelineStatus {
  /** `standby` (holds no partition), `active`, `recovering` (after a sink failure), `stopped`. */
  state: "starting" | "standby" | "active" | "recovering" | "stopping" | "stopped";
  /** Activation epoch, or 0 before the first activation. */
  epoch: number;
  /** Partitions held. */
  assigned: number[];
  /** Records processed (stepped through the engine). */
  records: number;
  /** Records skipped because an earlier activation already processed them. */
  skipped: number;
  /** Engine counter totals by name (`quality_gate.*`, `late_events`, `forced_seals`, …). */
  counters: Record<string, number>;
  /** Rejections by outcome (`dlq` / `quarantine`) and reason code. */
  rejections: Record<string, number>;
  /** Rows written per table. */
  rows: Record<string, number>;
  /** Lag per partition (high watermark − position), from the last poll. */
  lag: Record<string, number>;
  /** Partitions currently idle. */
  idle: number[];
  /** Engine watermark, epoch ms, or `null`. */
  watermark: number | null;
  /** Newest frontier over the partitions, epoch ms, or `null`. */
  frontier: number | null;
  /** Live sessions and tombstones in the engine state, and the last snapshot's size in bytes. */
  stateSize: { sessions: number; tombstones: number; bytes: number };
  /** Checkpoints saved by this process. */
  checkpoints: number;
  /** Wall time of the last checkpoint saved (or restored), epoch ms, or `null`. */
  lastCheckpointAt: number | null;
  /** Sink flushes, and sink failures (each followed by a restore from the last checkpoint). */
  sinkFlushes: number;
  /** Sink failures. */
  sinkFailures: number;
  /**
   * Work counts of the sinks that report them, totals over every activation, keyed
   * `<sink>:<count>` (e.g. `clickhouse:batches`, `clickhouse:retries`, `clickhouse:dropped`).
   */
  sinkCounts: Record<string, number>;
  /** Records lost to retention (a partition whose log start moved past the checkpoint). */
  retentionGaps: number;
  /** Wall time the last record arrived, epoch ms, or `null`. */
  lastRecordAt: number | null;
  /** Why the pipeline stopped, when it did. */
  stopReason: string | null;
}

/**
 * A running pipeline.
 *
 * @category Pipeline
 */
export interface PipelineHandle {
  /** Live counters (read-only for the host). */
  readonly status: Readonly<PipelineStatus>;
  /** Resolves when the pipeline has stopped (by `stop`, idle exit or a fatal error). */
  readonly done: Promise<PipelineStatus>;
  /**
   * Stops: emits what the engine holds, makes the outputs durable, checkpoints, commits, leaves the
   * group. With `flush: true` the engine is also flushed first (end of input), the checkpoint
   * keeping the state before the flush so that a later run continues from it.
   */
  stop(options?: { readonly flush?: boolean; readonly reason?: string }): Promise<PipelineStatus>;
  /** `true` while the pipeline can do work (connected; active or standing by). */
  ready(): boolean;
}

/** A simple async mutex: engine work, checkpoints and stops never interleave. */
class Lane {
  private tail: Promise<unknown> = Promise.resolve();
  run<T>(f: () => Promise<T>): Promise<T> {
    const next = this.tail.then(f, f);
    this.tail = next.catch(() => undefined);
    return next;
  }
}

/** What one activation (a period of holding the partitions) owns. */
interface Activation {
  readonly epoch: number;
  /** Random id of this activation (written in its checkpoints). */
  readonly owner: string;
  seq: number;
  readonly runner: EngineRunner;
  readonly positions: Map<number, number>;
  readonly clock: PartitionClock;
  readonly sinks: readonly OutputSink[];
  /** Last watermark applied. */
  watermark: number | null;
  /** Whether anything happened since the last checkpoint. */
  dirty: boolean;
  lastCheckpointAt: number;
  /** Sink positions of the last checkpoint (where a deactivation rewinds the sinks to). */
  sinkPositions: Readonly<Record<string, unknown>>;
  /** Wall time of the activation, epoch ms (the idle exit counts quiet time from it at the earliest). */
  readonly activatedAt: number;
  /** Partitions already sought back once for a gap (a second gap is retention). */
  readonly soughtForGap: Set<number>;
}

/** An engine version checked to fit below the epoch stride (it never gets near in practice). */
function versionInEpoch(version: number): number {
  if (version >= BACKFILL_EPOCH_STRIDE)
    throw new Error(`version ${version} of one identity does not fit in an activation epoch`);
  return version;
}

const sleep = (ms: number): Promise<void> =>
  new Promise((resolve) => setTimeout(resolve, ms).unref());

/**
 * Starts a pipeline: joins the group and, once it holds the partitions, restores the newest
 * checkpoint and processes records until stopped.
 *
 * @category Pipeline
 * @example
 * const handle = startPipeline({
 *   client: createKafkaJsClient({ brokers: ["127.0.0.1:9092"] }),
 *   engine: createEngine({ emission: "coalesced" }),
 *   createSinks: async () => [clickHouseOutputSink(executor)],
 *   checkpoints: createDirectoryCheckpointStore("./checkpoints", { group: "g", topic: "streaming_events" }),
 *   group: "g",
 * });
 * process.on("SIGTERM", () => void handle.stop());
 * await handle.done;
 */
export function startPipeline(options: PipelineOptions): PipelineHandle {
  const topic = options.topic ?? DEFAULT_INPUT_TOPIC;
  const group = options.group ?? DEFAULT_GROUP_ID;
  const engine = options.engine;
  const clock = options.clock ?? Date.now;
  const log = options.log ?? ((): void => undefined);
  const checkpointIntervalMs = options.checkpointIntervalMs ?? DEFAULT_CHECKPOINT_INTERVAL_MS;
  const idlePartitionMs = options.idlePartitionMs ?? 5_000;
  const exitWhenIdleMs = options.exitWhenIdleMs ?? null;
  const pollIntervalMs = options.pollIntervalMs ?? 500;
  const baseBackoff = options.retryBackoffMs ?? 1_000;
  const lateness = engine.config.lifecycle.attribution.allowedLatenessMs;
  const granularity = Math.max(1, engine.config.advanceGranularityMs);
  const quorum = engine.config.frontierQuorum;
  const maxRecordBytes = engine.config.gate.maxRecordBytes;

  const status: PipelineStatus = {
    state: "starting",
    epoch: 0,
    assigned: [],
    records: 0,
    skipped: 0,
    counters: {},
    rejections: {},
    rows: {},
    lag: {},
    idle: [],
    watermark: null,
    frontier: null,
    stateSize: { sessions: 0, tombstones: 0, bytes: 0 },
    checkpoints: 0,
    lastCheckpointAt: null,
    sinkFlushes: 0,
    sinkFailures: 0,
    sinkCounts: {},
    retentionGaps: 0,
    lastRecordAt: null,
    stopReason: null,
  };

  const lane = new Lane();
  const consumer = options.client.groupConsumer({
    group,
    topic,
    assignment: "single-active",
    sessionTimeoutMs: options.sessionTimeoutMs ?? 10_000,
    // The newest activation keeps the partitions when two members claim them.
    holdingClaim: () => Math.max(1, active?.epoch ?? 1),
  });
  let admin: KafkaAdminPort | null = null;
  let active: Activation | null = null;
  let assigned: readonly number[] = [];
  /** Wall time of the last record per partition. */
  const lastRecordAt = new Map<number, number>();
  let high = new Map<number, number>();
  let idle = new Set<number>();
  let stopping = false;
  let failure: unknown = null;
  let backoff = baseBackoff;
  let retryAt = 0;
  let poller: NodeJS.Timeout | null = null;
  const startedAt = clock();
  /** Wall time the brokers last failed to answer a poll (0: never). */
  let brokerTroubleAt = 0;
  let resolveDone!: (s: PipelineStatus) => void;
  const done = new Promise<PipelineStatus>((resolve) => (resolveDone = resolve));

  const remember = (o: EngineOutput): EngineOutput => {
    switch (o.kind) {
      case "counter":
        status.counters[o.name] = (status.counters[o.name] ?? 0) + o.delta;
        return o;
      case "dlq":
      case "quarantine": {
        const k = `${o.kind}:${o.envelope.failure.reason}`;
        status.rejections[k] = (status.rejections[k] ?? 0) + 1;
        return o;
      }
      case "row": {
        status.rows[o.table] = (status.rows[o.table] ?? 0) + 1;
        return o;
      }
    }
  };

  /** Writes outputs to every sink, in order; versioned rows get the epoch in their version. */
  const write = async (a: Activation, outs: readonly EngineOutput[]): Promise<void> => {
    for (const raw of outs) {
      let o = remember(raw);
      if (o.kind === "row" && isVersionedTable(o.table)) {
        const row = o.row as { version: number };
        o = {
          ...o,
          row: { ...row, version: a.epoch * BACKFILL_EPOCH_STRIDE + versionInEpoch(row.version) },
        } as EngineOutput;
      }
      for (const s of a.sinks) {
        const p = s.write(o);
        if (p !== undefined) await p;
      }
    }
  };

  const stateSize = (a: Activation, bytes: number): void => {
    const lc = a.runner.state.lifecycle as {
      sessions?: Record<string, unknown>;
      tombstones?: Record<string, unknown>;
    };
    status.stateSize = {
      sessions: Object.keys(lc.sessions ?? {}).length,
      tombstones: Object.keys(lc.tombstones ?? {}).length,
      bytes,
    };
  };

  /** Sink counts of closed sinks (activations before the current one). */
  const retiredCounts: Record<string, number> = {};
  /** Refreshes `status.sinkCounts` (and, with `retire`, banks the counts of sinks being closed). */
  const countSinks = (sinks: readonly OutputSink[], retire: boolean): void => {
    const totals: Record<string, number> = { ...retiredCounts };
    for (const s of sinks)
      for (const [k, v] of Object.entries(s.counts?.() ?? {})) {
        const key = `${s.name}:${k}`;
        totals[key] = (totals[key] ?? 0) + v;
        if (retire) retiredCounts[key] = (retiredCounts[key] ?? 0) + v;
      }
    status.sinkCounts = totals;
  };

  const closeSinks = async (sinks: readonly OutputSink[]): Promise<void> => {
    countSinks(sinks, true);
    for (const s of sinks) await s.close().catch(() => undefined);
  };

  /** Restores the newest checkpoint and takes the partitions over. */
  const activate = async (partitions: readonly number[]): Promise<Activation> => {
    admin ??= await options.client.admin();
    const cp = await options.checkpoints.load();
    if (cp !== null && cp.topic !== topic)
      throw new Error(`checkpoint of topic ${cp.topic} found for ${topic}`);
    const runner = createRunner(engine, cp === null ? undefined : cp.engine);
    const offsets = await admin.offsets(topic);
    const low = new Map(offsets.map((o) => [o.partition, o.low]));
    const positions = new Map<number, number>();
    for (const p of partitions) {
      const saved = cp?.positions[String(p)];
      positions.set(p, saved ?? low.get(p) ?? 0);
    }
    const sinks = await options.createSinks();
    try {
      for (const s of sinks) await s.rewind?.(cp?.sinks[s.name]);
    } catch (error) {
      await closeSinks(sinks);
      throw error;
    }
    // The new epoch is above the newest checkpoint's and above the host's floor (e.g. the highest
    // epoch already in the output tables, for a new group or a lost checkpoint store).
    const floor = options.epochFloor === undefined ? 0 : await options.epochFloor();
    const epoch = Math.max((cp?.epoch ?? 0) + 1, floor);
    if (!Number.isSafeInteger(epoch) || epoch > MAX_BACKFILL_EPOCH)
      throw new Error(`activation epoch ${epoch} is out of range (1 … ${MAX_BACKFILL_EPOCH})`);
    const a: Activation = {
      epoch,
      owner: randomUUID(),
      seq: 0,
      runner,
      positions,
      clock: cp === null ? initPartitionClock() : structuredClone(cp.clock),
      sinks,
      watermark: runner.state.watermark,
      dirty: false,
      lastCheckpointAt: clock(),
      activatedAt: clock(),
      sinkPositions: cp?.sinks ?? {},
      soughtForGap: new Set(),
    };
    // Fix (fencing): claim the new epoch durably before writing anything with it. Without this
    // claim, an activation that had not checkpointed yet was invisible to a paused member that
    // got the partitions back (see onAssigned), which then went on with an older epoch.
    try {
      await checkpoint(a);
      // Two members that loaded the same newest checkpoint at the same time (one of them about
      // to lose the group) would both claim this epoch: only the one whose claim is in force
      // goes on.
      const inForce = await options.checkpoints.load();
      if (inForce !== null && (inForce.epoch !== a.epoch || inForce.owner !== a.owner))
        throw new Error(
          `another member claimed the partitions at the same time (checkpoint ${inForce.epoch}.${inForce.seq} is newer)`,
        );
    } catch (error) {
      await closeSinks(sinks);
      throw error;
    }
    for (const [p, at] of positions) consumer.seek(p, at);
    consumer.resume();
    status.epoch = a.epoch;
    status.state = "active";
    status.lastCheckpointAt = a.lastCheckpointAt; // the claim above
    status.watermark = a.watermark;
    stateSize(a, cp?.engine.length ?? 0);
    log({
      level: "info",
      message:
        cp === null
          ? `active (epoch ${a.epoch}): no checkpoint, reading partitions ${partitions.join(",")} from the start`
          : `active (epoch ${a.epoch}): restored checkpoint ${cp.epoch}.${cp.seq}`,
      fields: { epoch: a.epoch, positions: Object.fromEntries(positions) },
    });
    return a;
  };

  /** Drops the activation without a checkpoint (the partitions are gone, or a sink failed). */
  const deactivate = async (why: string): Promise<void> => {
    const a = active;
    active = null;
    if (a !== null) {
      // What this activation wrote after its last checkpoint will be produced again by whoever
      // restores that checkpoint: sinks that can rewind (JSONL files) drop it, so that files hold
      // each output once.
      for (const s of a.sinks) await s.rewind?.(a.sinkPositions[s.name]).catch(() => undefined);
      await closeSinks(a.sinks);
      log({ level: "warn", message: `inactive: ${why}`, fields: { epoch: a.epoch } });
    }
  };

  /** Makes sure the pipeline is active when it holds partitions (activation is retried with back-off). */
  const ensureActive = async (): Promise<Activation | null> => {
    if (active !== null || assigned.length === 0 || stopping) return active;
    if (clock() < retryAt) return null;
    try {
      active = await activate(assigned);
      // Not `backoff = baseBackoff` here: activating needs no sink I/O (a ClickHouse sink is
      // created without a connection), so it succeeds during a sink outage and resetting here
      // kept the wait after every sink failure at the base (a re-read of the whole backlog every
      // ~1 s instead of 1, 2, 4 … 30 s). The back-off resets after a successful checkpoint.
      return active;
    } catch (error) {
      status.state = "recovering";
      retryAt = clock() + backoff;
      log({
        level: "warn",
        message: `could not take the partitions over (retrying in ${backoff} ms): ${String((error as Error)?.message ?? error)}`,
      });
      backoff = Math.min(backoff * 2, 30_000);
      return null;
    }
  };

  /** A sink failed: forget everything since the last checkpoint and try again later. */
  const onSinkFailure = async (error: unknown): Promise<void> => {
    status.sinkFailures += 1;
    status.state = "recovering";
    retryAt = clock() + backoff;
    log({
      level: "error",
      message: `sink failure, restoring from the last checkpoint in ${backoff} ms: ${String((error as Error)?.message ?? error)}`,
    });
    backoff = Math.min(backoff * 2, 30_000);
    await deactivate("sink failure");
    consumer.pause();
  };

  const advance = async (a: Activation): Promise<void> => {
    const f = inputFrontier(a.clock, [...a.positions.keys()], idle);
    status.frontier = f;
    if (f === null) return;
    const w = f - lateness;
    if (a.watermark !== null && w - a.watermark < granularity) return;
    a.watermark = w;
    status.watermark = w;
    a.dirty = true;
    await write(a, a.runner.advance(w));
  };

  const toInput = (r: KafkaRecord): Parameters<EngineRunner["step"]>[0] => ({
    record: {
      topic: r.topic,
      partition: r.partition,
      offset: r.offset,
      recordTimestamp: r.timestamp,
      key: r.key === null ? null : Buffer.from(r.key).toString("utf8"),
      headers: r.headers,
      value: r.value,
    },
    // Envelope times come from the record, so outputs produced again after a restart are equal.
    now: r.timestamp,
    receivedAt: r.timestamp,
  });

  const step = async (a: Activation, r: KafkaRecord): Promise<void> => {
    const size = r.value === null ? 0 : r.value.byteLength;
    let outs: EngineOutput[];
    if (size > maxRecordBytes) {
      const input = toInput(r);
      outs = oversizeRecordOutputs(
        {
          record: { ...input.record, value: r.value!.subarray(0, OVERSIZE_PREFIX_BYTES) },
          size,
          limit: maxRecordBytes,
          line: 0,
          byteOffset: 0,
        },
        r.timestamp,
      );
    } else {
      outs = a.runner.step(toInput(r));
      const t = engine.lastStepEventTime();
      if (t !== null) observeEventTime(a.clock, r.partition, t, quorum);
    }
    a.positions.set(r.partition, r.offset + 1);
    a.dirty = true;
    status.records += 1;
    await write(a, outs);
  };

  const checkpoint = async (a: Activation, snapshot?: string): Promise<void> => {
    const flushedOutputs = a.dirty;
    const text = snapshot ?? a.runner.snapshot();
    const positions = Object.fromEntries([...a.positions].map(([p, o]) => [String(p), o]));
    const clockCopy = structuredClone(a.clock);
    await Promise.all(a.sinks.map((s) => s.flush()));
    status.sinkFlushes += 1;
    const sinks: Record<string, unknown> = {};
    for (const s of a.sinks) if (s.position !== undefined) sinks[s.name] = s.position();
    const cp: Checkpoint = {
      group,
      topic,
      epoch: a.epoch,
      seq: a.seq + 1,
      owner: a.owner,
      createdAt: clock(),
      positions,
      clock: clockCopy,
      sinks,
      engine: text,
    };
    await options.checkpoints.save(cp);
    a.sinkPositions = sinks;
    // Outputs reached every sink and the checkpoint is saved: the pipeline is healthy again (not
    // after the claim of an activation, which flushes nothing).
    if (flushedOutputs) backoff = baseBackoff;
    a.seq += 1;
    a.dirty = false;
    a.lastCheckpointAt = cp.createdAt;
    status.checkpoints += 1;
    status.lastCheckpointAt = cp.createdAt;
    stateSize(a, text.length);
    try {
      await consumer.commit(
        Object.entries(positions).map(([p, o]) => ({ partition: Number(p), offset: o })),
      );
    } catch (error) {
      // Informational only: the checkpoint holds the positions.
      log({
        level: "debug",
        message: `offset commit failed: ${String((error as Error)?.message ?? error)}`,
      });
    }
  };

  // Once stopping, batches and assignments return at once without queueing on the lane: the stop
  // holds the lane while it closes the consumer, which waits for the batch in progress.
  const onBatch = (batch: KafkaBatch): Promise<number | null> =>
    stopping
      ? Promise.resolve(null)
      : lane.run(async () => {
          if (stopping) return null;
          let a = active ?? (await ensureActive());
          while (a === null && !stopping && !batch.isStale() && assigned.length > 0) {
            // Recovering: keep the membership alive until the next attempt.
            await sleep(Math.min(1_000, Math.max(50, retryAt - clock())));
            await batch.heartbeat().catch(() => undefined);
            a = await ensureActive();
          }
          if (a === null || stopping || !a.positions.has(batch.partition)) return null;
          const p = batch.partition;
          const position = a.positions.get(p)!;
          const first = batch.records[0]?.offset;
          if (first !== undefined && first > position) {
            if (!a.soughtForGap.has(p)) {
              a.soughtForGap.add(p);
              consumer.seek(p, position);
              return null;
            }
            status.retentionGaps += first - position;
            log({
              level: "warn",
              message: `partition ${p}: records ${position}…${first - 1} are no longer in the log (retention); continuing at ${first}`,
            });
          }
          a.soughtForGap.delete(p);
          let lastBeat = clock();
          try {
            for (const r of batch.records) {
              if (r.offset < a.positions.get(p)!) {
                status.skipped += 1;
                continue;
              }
              if (batch.isStale() || stopping) break;
              await step(a, r);
              if ((status.records & 1023) === 0) await advance(a);
              if (clock() - lastBeat > 1_000) {
                lastBeat = clock();
                await batch.heartbeat().catch(() => undefined);
              }
            }
            const now = clock();
            lastRecordAt.set(p, now);
            status.lastRecordAt = now;
            idle.delete(p);
            // After a rebalance answer this member may no longer hold the partitions: no
            // checkpoint until the group says so (onAssigned).
            if (batch.isStale()) return a.positions.get(p)!;
            await advance(a);
            if (a.dirty && now - a.lastCheckpointAt >= checkpointIntervalMs) await checkpoint(a);
          } catch (error) {
            if (active === a) await onSinkFailure(error);
            return null;
          }
          return a.positions.get(p)!;
        });

  const finish = async (reason: string, flush: boolean): Promise<void> => {
    if (poller !== null) clearInterval(poller);
    poller = null;
    const a = active;
    if (a !== null) {
      try {
        if (flush) {
          const before = a.runner.snapshot();
          await write(a, a.runner.flush());
          await checkpoint(a, before);
        } else {
          if (a.watermark !== null) await write(a, a.runner.advance(a.watermark));
          await checkpoint(a);
        }
      } catch (error) {
        failure ??= error;
        log({
          level: "error",
          message: `final checkpoint failed: ${String((error as Error)?.message ?? error)}`,
        });
      }
      await closeSinks(a.sinks);
      active = null;
    }
    await consumer.close().catch(() => undefined);
    await admin?.close().catch(() => undefined);
    await options.checkpoints.close().catch(() => undefined);
    status.state = "stopped";
    status.stopReason = reason;
    log({ level: "info", message: `stopped: ${reason}`, fields: { records: status.records } });
    resolveDone(status);
  };

  let stopped: Promise<PipelineStatus> | null = null;
  const stop = (
    o: { readonly flush?: boolean; readonly reason?: string } = {},
  ): Promise<PipelineStatus> => {
    if (stopped !== null) return stopped;
    stopping = true;
    status.state = "stopping";
    stopped = lane
      .run(() => finish(o.reason ?? "stopped", o.flush === true))
      .then(() => {
        if (failure !== null) throw failure;
        return status;
      });
    return stopped;
  };

  /** Lag, idleness, due checkpoints, the idle exit, and activation of partitions that get no batch. */
  const poll = async (): Promise<void> => {
    if (stopping) return;
    await lane.run(async () => {
      if (stopping) return;
      const a = active ?? (await ensureActive());
      if (a === null) return;
      admin ??= await options.client.admin();
      let offsets: Awaited<ReturnType<KafkaAdminPort["offsets"]>>;
      const asked = clock();
      try {
        offsets = await admin.offsets(topic);
        // An answer that took retries through an outage counts as trouble too.
        if (clock() - asked > 5_000) brokerTroubleAt = clock();
      } catch (error) {
        // The brokers did not answer: whatever quiet time passed does not count for the idle
        // exit (a producer may be waiting for the same brokers to come back).
        brokerTroubleAt = clock();
        throw error;
      }
      high = new Map(offsets.map((o) => [o.partition, o.high]));
      const now = clock();
      const nextIdle = new Set<number>();
      let caughtUp = true;
      // Rebuilt each poll, so partitions no longer held do not keep a stale lag.
      const lagNow: Record<string, number> = {};
      for (const [p, position] of a.positions) {
        const lag = Math.max(0, (high.get(p) ?? position) - position);
        lagNow[String(p)] = lag;
        if (lag > 0) caughtUp = false;
        else if (now - (lastRecordAt.get(p) ?? 0) >= idlePartitionMs) nextIdle.add(p);
      }
      status.lag = lagNow;
      countSinks(a.sinks, false);
      idle = nextIdle;
      status.idle = [...nextIdle].sort((x, y) => x - y);
      try {
        await advance(a);
        if (a.dirty && now - a.lastCheckpointAt >= checkpointIntervalMs) await checkpoint(a);
      } catch (error) {
        if (active === a) await onSinkFailure(error);
        return;
      }
      // Quiet time counts from this activation at the earliest (a standby that has just taken
      // over a caught-up topic must not take the previous member's quiet time for its own), and
      // from the last time the brokers did not answer.
      const quiet =
        now - Math.max(status.lastRecordAt ?? startedAt, a.activatedAt, brokerTroubleAt);
      if (exitWhenIdleMs !== null && caughtUp && quiet >= exitWhenIdleMs) {
        // Not awaited inside the lane: stop queues its own lane work.
        void stop({
          flush: true,
          reason: `idle for ${exitWhenIdleMs} ms with every partition caught up`,
        });
      }
    });
  };

  void (async () => {
    try {
      await consumer.start({
        onAssigned: (partitions) =>
          stopping
            ? Promise.resolve()
            : lane.run(async () => {
                assigned = partitions;
                status.assigned = [...partitions];
                if (partitions.length === 0) {
                  if (active !== null)
                    await deactivate("the partitions were assigned to another member");
                  // Fix: a member that lost its partitions kept exporting its last lag and
                  // idleness per partition (frozen `lpa_consumer_lag` series on a standby).
                  status.lag = {};
                  status.idle = [];
                  if (!stopping) status.state = "standby";
                  return;
                }
                if (active !== null) {
                  const same =
                    active.positions.size === partitions.length &&
                    partitions.every((p) => active!.positions.has(p));
                  // Fix (fencing): a member paused past the session timeout (GC, SIGSTOP, a
                  // frozen VM) can get the same partitions back when it rejoins (the assignor
                  // keeps them with a "holding" member, and both claim to hold them), without
                  // ever seeing an empty assignment. It used to carry on with its old state and
                  // epoch, while another member had taken over with a newer epoch in between: its
                  // later rows lost to the other member's older ones (lower epoch in `version`).
                  // A newer checkpoint epoch means exactly that: restore it instead.
                  const newest = same ? await options.checkpoints.load().catch(() => null) : null;
                  if (!same) await deactivate("the assignment changed");
                  else if (
                    newest !== null &&
                    (newest.epoch > active.epoch ||
                      (newest.epoch === active.epoch && newest.owner !== active.owner))
                  )
                    await deactivate(
                      `another member took the partitions over in between (epoch ${newest.epoch})`,
                    );
                  else for (const [p, at] of active.positions) consumer.seek(p, at);
                }
                await ensureActive();
              }),
        onBatch,
        onFatal: (error) => {
          failure ??= error;
          log({
            level: "error",
            message: `Kafka consumer failed: ${String((error as Error)?.message ?? error)}`,
          });
          void stop({ reason: "the Kafka consumer failed" }).catch(() => undefined);
        },
      });
      if (status.state === "starting") status.state = "standby";
      if (stopping) return;
      poller = setInterval(() => {
        poll().catch((error: unknown) =>
          log({
            level: "warn",
            message: `poll failed: ${String((error as Error)?.message ?? error)}`,
          }),
        );
      }, pollIntervalMs);
      poller.unref();
    } catch (error) {
      failure = error;
      void stop({ reason: `could not start: ${String((error as Error)?.message ?? error)}` }).catch(
        () => undefined,
      );
    }
  })();

  return {
    status,
    done,
    stop,
    ready: () => !stopping && status.state !== "starting" && status.state !== "stopped",
  };
}
