/**
 * The batched ClickHouse sink (`ingest-and-storage.md` §6.1): per-table `JSONEachRow` batches
 * bounded by rows, bytes and time, bounded concurrency and buffering with back-pressure, bounded
 * retries, an awaitable durable `flush`, and the sink-side row guard with its recursion rule
 * (§2.9).
 *
 * @module
 */
import { createHash } from "node:crypto";
import type { EngineOutput } from "@livepeer-analytics/core/engine";
import type { AcceptedEvent, SourcePointer } from "@livepeer-analytics/core/events";
import {
  guardRow,
  toRejectionRow,
  type MetricsCallback,
  type RejectedEventEnvelope,
} from "@livepeer-analytics/core/quality";
import { ClickHouseAdapterError, isRetryableClickHouseError } from "../executor/errors.js";
import type { ClickHouseExecutor } from "../executor/executor.js";
import {
  resolveRetryPolicy,
  resolveSinkLimits,
  retryDelayMs,
  type ClickHouseRetryPolicy,
  type ClickHouseSinkLimits,
} from "./options.js";

/**
 * Default DLQ table (`ingest-and-storage.md` §2.13).
 *
 * @category Sink
 */
export const DEFAULT_DLQ_TABLE = "raw_streaming_events_dlq";
/**
 * Default quarantine table (`ingest-and-storage.md` §2.13).
 *
 * @category Sink
 */
export const DEFAULT_QUARANTINE_TABLE = "raw_streaming_events_quarantine";

/**
 * The event a row derives from, and the explicit time stamped on a rejection envelope built for
 * it (`ingest-and-storage.md` §2.15).
 *
 * @category Sink
 */
export interface SinkRowOrigin {
  /** The accepted event that produced the row. */
  readonly event: AcceptedEvent;
  /** `ingestionTimestamp` of an envelope built for this row, epoch ms. */
  readonly now: number;
}

/**
 * A batch as seen by a deduplication-token strategy.
 *
 * @category Sink
 */
export interface SinkBatchInfo {
  /** Destination table. */
  readonly table: string;
  /** Sequence number of the batch within this sink (from 1, across tables). */
  readonly sequence: number;
  /** Serialized rows, in write order. */
  readonly lines: readonly string[];
  /** Sum of the rows' UTF-8 sizes. */
  readonly bytes: number;
  /** Source of the first row's originating event, or `null` when it was written without one. */
  readonly firstSource: SourcePointer | null;
  /** Source of the last row's originating event, or `null` when it was written without one. */
  readonly lastSource: SourcePointer | null;
}

/**
 * How each batch's `insert_deduplication_token` is chosen. The token is computed once per batch
 * and reused by every retry of it, so a retried batch is not written twice where insert
 * deduplication applies (`Replicated*MergeTree`, or `MergeTree` with
 * `non_replicated_deduplication_window`).
 *
 * - `"content"` (default): {@link contentDeduplicationToken}, a hash of the table and the rows.
 * - `"none"`: no token (the reference's behaviour).
 * - a function: its result, or no token when it returns `null` (see
 *   {@link sourceRangeDeduplicationToken}).
 *
 * @category Sink
 */
export type DeduplicationTokenStrategy =
  "content" | "none" | ((batch: SinkBatchInfo) => string | null);

/**
 * Reported when an insert attempt starts.
 *
 * @category Sink
 */
export interface SinkBatchEvent {
  /** Destination table. */
  readonly table: string;
  /** Batch sequence number. */
  readonly sequence: number;
  /** Rows in the batch. */
  readonly rows: number;
  /** Sum of the rows' UTF-8 sizes. */
  readonly bytes: number;
  /** Inserts in flight for this table, this one included. */
  readonly inFlight: number;
  /** Rows buffered for this table (open, queued and in-flight batches). */
  readonly buffered: number;
  /** Attempt number, from 1. */
  readonly attempt: number;
}

/**
 * Reported when a batch has been inserted.
 *
 * @category Sink
 */
export interface SinkInsertedEvent {
  /** Destination table. */
  readonly table: string;
  /** Batch sequence number. */
  readonly sequence: number;
  /** Rows inserted. */
  readonly rows: number;
  /** Sum of the rows' UTF-8 sizes. */
  readonly bytes: number;
  /** Attempts used. */
  readonly attempts: number;
  /** Time from the first attempt to success, ms. */
  readonly durationMs: number;
}

/**
 * Reported when a retryable failure is followed by another attempt.
 *
 * @category Sink
 */
export interface SinkRetryEvent {
  /** Destination table. */
  readonly table: string;
  /** Batch sequence number. */
  readonly sequence: number;
  /** Rows in the batch. */
  readonly rows: number;
  /** The attempt that failed, from 1. */
  readonly attempt: number;
  /** Delay before the next attempt, ms. */
  readonly delayMs: number;
  /** The failure. */
  readonly error: unknown;
}

/**
 * Reported when an oversized row is dropped without an envelope.
 *
 * - `rejection_row_too_large`: a DLQ/quarantine row (the recursion guard; also counted as
 *   `quality_gate.sink_guard.oversize_drops`);
 * - `origin_unknown`: a row written without its originating event, so no envelope can be built.
 *
 * @category Sink
 */
export interface SinkDropEvent {
  /** Destination table. */
  readonly table: string;
  /** Why the row was dropped. */
  readonly reason: "rejection_row_too_large" | "origin_unknown";
  /** UTF-8 size of the serialized row. */
  readonly bytes: number;
  /** The `maxRecordBytes` limit. */
  readonly limit: number;
}

/**
 * Options of {@link createClickHouseSink}: the §8.1 limits (each optional, defaults in
 * `DEFAULT_SINK_LIMITS`), hooks and observers.
 *
 * @category Sink
 */
export interface ClickHouseSinkOptions extends Partial<ClickHouseSinkLimits> {
  /** Retry policy (defaults in `DEFAULT_RETRY_POLICY`). */
  readonly retry?: Partial<ClickHouseRetryPolicy>;
  /** Which failures are retried. Default {@link isRetryableClickHouseError}. */
  readonly isRetryable?: (error: unknown) => boolean;
  /** Maps a written row to its ClickHouse object (plug the schema mappers in here). Default: identity. */
  readonly toRow?: (table: string, row: object) => object;
  /** Serializes a mapped row to one JSON object; its UTF-8 size is what the limits measure. Default `JSON.stringify`. */
  readonly serialize?: (table: string, row: object) => string;
  /** `insert_deduplication_token` per batch. Default `"content"`. */
  readonly deduplicationToken?: DeduplicationTokenStrategy;
  /** DLQ table name (rows of it are subject to the recursion guard). Default `raw_streaming_events_dlq`. */
  readonly dlqTable?: string;
  /** Quarantine table name (rows of it are subject to the recursion guard). Default `raw_streaming_events_quarantine`. */
  readonly quarantineTable?: string;
  /**
   * Receives the `SINK_GUARD` / `record_too_large` envelope of an oversized row written with its
   * originating event; route it to the DLQ topic and table. `write` awaits it. Without this
   * callback such a row makes `write` reject with `LPA_CH_RECORD_TOO_LARGE`.
   */
  readonly onReject?: (envelope: RejectedEventEnvelope) => void | Promise<void>;
  /** Core counters: `quality_gate.sink_guard.oversize_drops`, and the `counter` outputs of {@link ClickHouseSink.writeOutput}. */
  readonly metrics?: MetricsCallback;
  /** Observes each insert attempt. */
  readonly onBatch?: (event: SinkBatchEvent) => void;
  /** Observes each inserted batch. */
  readonly onInserted?: (event: SinkInsertedEvent) => void;
  /** Observes each retry. */
  readonly onRetry?: (event: SinkRetryEvent) => void;
  /** Observes dropped rows. Default for `origin_unknown` drops: a process warning (`LPA_CH_ROW_DROPPED`). */
  readonly onDrop?: (event: SinkDropEvent) => void;
}

/**
 * Per-table state of a sink.
 *
 * @category Sink
 */
export interface SinkTableStats {
  /** Rows accepted and not yet inserted. */
  readonly buffered: number;
  /** Rows of the open (not yet cut) batch. */
  readonly open: number;
  /** Batches cut and waiting for an insert slot. */
  readonly queued: number;
  /** Inserts in flight. */
  readonly inFlight: number;
  /** Writers waiting for buffer space. */
  readonly waiting: number;
  /** Rows inserted so far. */
  readonly insertedRows: number;
}

/**
 * A snapshot of a sink's state.
 *
 * @category Sink
 */
export interface ClickHouseSinkStats {
  /** Per table. */
  readonly tables: Readonly<Record<string, SinkTableStats>>;
  /** The fatal error that stopped the sink, or `null`. */
  readonly failure: ClickHouseAdapterError | null;
  /** `true` once `close()` has been called. */
  readonly closed: boolean;
}

/**
 * The batched sink. Delivery is at-least-once: a failure surfaces as an error, and the host
 * replays from its last commit.
 *
 * @category Sink
 */
export interface ClickHouseSink {
  /** The resolved limits. */
  readonly limits: ClickHouseSinkLimits;
  /**
   * Buffers one row for `table`; resolves once it is buffered (waits while the table's buffer is
   * full). An oversized row is not buffered: with `origin` it becomes a `record_too_large`
   * envelope for `onReject`; a DLQ/quarantine row is dropped and counted; otherwise it is dropped
   * and reported through `onDrop`. Rejects with the sink's fatal error once there is one, and with
   * `LPA_CH_SINK_CLOSED` after `close()`. The promise is handled at creation, so leaving it
   * unawaited never raises an unhandled rejection; a fatal failure is still surfaced by every
   * later `write`, `flush` and `close`.
   */
  write(table: string, row: object, origin?: SinkRowOrigin): Promise<void>;
  /**
   * Routes one engine output: `row` → its table; `dlq`/`quarantine` envelopes → the DLQ/quarantine
   * table as `toRejectionRow(envelope)`; `counter` → `metrics`.
   */
  writeOutput(output: EngineOutput, origin?: SinkRowOrigin): Promise<void>;
  /**
   * Sends every partial batch and resolves when every row whose `write` was called before this
   * call has been inserted — commit consumer offsets after it. Rejects with the fatal
   * `LPA_CH_INSERT_FAILED` error if any insert failed, once no insert is running any more (the
   * executor may be closed right after).
   */
  flush(): Promise<void>;
  /**
   * Flushes, then stops the timers; later writes reject. Does not close the executor; when it
   * settles (resolved or rejected) no insert is running.
   */
  close(): Promise<void>;
  /** Current buffer state. */
  stats(): ClickHouseSinkStats;
}

interface Deferred {
  readonly promise: Promise<void>;
  resolve(): void;
  reject(error: unknown): void;
}

function deferred(): Deferred {
  let resolve!: () => void;
  let reject!: (error: unknown) => void;
  const promise = new Promise<void>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  // Failures are surfaced through write/flush; an unobserved rejection must not crash the host.
  promise.catch(() => undefined);
  return { promise, resolve, reject };
}

interface Batch {
  readonly sequence: number;
  readonly lines: string[];
  bytes: number;
  firstSource: SourcePointer | null;
  lastSource: SourcePointer | null;
  readonly done: Deferred;
}

interface PreparedRow {
  readonly text: string;
  readonly bytes: number;
  readonly source: SourcePointer | null;
}

interface Waiter {
  readonly row: PreparedRow;
  readonly admitted: Deferred;
}

interface TableState {
  readonly name: string;
  open: Batch | null;
  timer: ReturnType<typeof setTimeout> | null;
  readonly queue: Batch[];
  readonly unfinished: Set<Batch>;
  readonly waiters: Waiter[];
  inFlight: number;
  buffered: number;
  insertedRows: number;
}

/**
 * `insert_deduplication_token` derived from the batch content: SHA-256 of the table name and the
 * serialized rows. Identical batches get identical tokens, distinct batches distinct ones, so it
 * is stable across retries and across a replay that rebuilds the same batch, and never causes
 * different data to be skipped.
 *
 * @category Sink
 */
export function contentDeduplicationToken(batch: SinkBatchInfo): string {
  const h = createHash("sha256");
  h.update(batch.table);
  for (const line of batch.lines) {
    h.update("\n");
    h.update(line);
  }
  return h.digest("hex");
}

function sourceText(s: SourcePointer): string {
  return `${s.topic ?? ""}:${s.partition}:${s.offset}`;
}

/**
 * `insert_deduplication_token` derived from the batch's first and last `(topic, partition,
 * offset)` and its row count (`ingest-and-storage.md` §6.1), or `null` when a boundary row has no
 * originating event. Use it only when a replay is guaranteed to rebuild batches with the same
 * boundaries and rows; otherwise a replayed batch with the same boundaries but different rows
 * would be skipped. Compose it with a fallback, e.g.
 * `(b) => sourceRangeDeduplicationToken(b) ?? contentDeduplicationToken(b)`.
 *
 * @category Sink
 */
export function sourceRangeDeduplicationToken(batch: SinkBatchInfo): string | null {
  if (batch.firstSource === null || batch.lastSource === null) return null;
  return `${batch.table}|${sourceText(batch.firstSource)}|${sourceText(batch.lastSource)}|${batch.lines.length}`;
}

function errorText(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/**
 * Creates a batched sink writing through `executor`.
 *
 * Per table (like the reference's one writer per destination table): rows are serialized
 * (`toRow` then `serialize`) and appended to an open batch; a batch is cut when it holds
 * `maxBatchSize` rows, before a row would take it past `maxBatchBytes`, when its oldest row has
 * waited `maxTimeMs`, or on `flush()`. At most `maxInFlight` inserts run at once and at most
 * `maxBuffered` rows wait; `write` then waits (back-pressure). Each batch is one
 * `INSERT … FORMAT JSONEachRow` carrying its `insert_deduplication_token`; retryable failures are
 * retried with a deterministic exponential back-off, and a fatal failure (or exhausted retries)
 * stops the sink: `flush()` and later `write()`s reject with `LPA_CH_INSERT_FAILED`, the cause
 * kept — rows are never silently dropped.
 *
 * Oversized rows (serialized UTF-8 size `> maxRecordBytes`) are never sent (§2.9): with an origin
 * event they become a `SINK_GUARD` / `record_too_large` envelope handed to `onReject`; rows of the
 * DLQ and quarantine tables are dropped and counted as `quality_gate.sink_guard.oversize_drops`
 * without a new envelope (the recursion guard).
 *
 * @category Sink
 * @throws {@link ClickHouseAdapterError} `LPA_CH_INVALID_OPTIONS` for invalid limits or retry policy.
 * @example
 * const sink = createClickHouseSink(executor, {
 *   toRow: (table, row) => toClickHouseRow(table as TableName, row),
 *   onReject: (envelope) => dlq.push(envelope),
 *   metrics: (name, delta) => counters.add(name, delta),
 * });
 * for (const output of engine.stepInPlace(state, input)) await sink.writeOutput(output);
 * await sink.flush(); // then commit the consumer offsets
 * await sink.close();
 */
export function createClickHouseSink(
  executor: ClickHouseExecutor,
  options: ClickHouseSinkOptions = {},
): ClickHouseSink {
  const limits = resolveSinkLimits({
    ...(options.maxBatchSize === undefined ? {} : { maxBatchSize: options.maxBatchSize }),
    ...(options.maxBatchBytes === undefined ? {} : { maxBatchBytes: options.maxBatchBytes }),
    ...(options.maxInFlight === undefined ? {} : { maxInFlight: options.maxInFlight }),
    ...(options.maxBuffered === undefined ? {} : { maxBuffered: options.maxBuffered }),
    ...(options.maxTimeMs === undefined ? {} : { maxTimeMs: options.maxTimeMs }),
    ...(options.maxRecordBytes === undefined ? {} : { maxRecordBytes: options.maxRecordBytes }),
  });
  const retry = resolveRetryPolicy(options.retry);
  const isRetryable = options.isRetryable ?? isRetryableClickHouseError;
  const toRow = options.toRow ?? ((_table: string, row: object) => row);
  const serialize =
    options.serialize ?? ((_table: string, row: object): string => JSON.stringify(row));
  const tokenStrategy = options.deduplicationToken ?? "content";
  const dlqTable = options.dlqTable ?? DEFAULT_DLQ_TABLE;
  const quarantineTable = options.quarantineTable ?? DEFAULT_QUARANTINE_TABLE;
  const rejectionTables = new Set([dlqTable, quarantineTable]);

  const tables = new Map<string, TableState>();
  /** Every running insert (`run`), so that nothing returns while one still uses the executor. */
  const running = new Set<Promise<void>>();
  let sequence = 0;
  let failure: ClickHouseAdapterError | null = null;
  let closing = false;
  let closed: Promise<void> | null = null;

  const tableState = (name: string): TableState => {
    let t = tables.get(name);
    if (t === undefined) {
      t = {
        name,
        open: null,
        timer: null,
        queue: [],
        unfinished: new Set(),
        waiters: [],
        inFlight: 0,
        buffered: 0,
        insertedRows: 0,
      };
      tables.set(name, t);
    }
    return t;
  };

  const tokenFor = (t: TableState, b: Batch): string | null => {
    if (tokenStrategy === "none") return null;
    const info: SinkBatchInfo = {
      table: t.name,
      sequence: b.sequence,
      lines: b.lines,
      bytes: b.bytes,
      firstSource: b.firstSource,
      lastSource: b.lastSource,
    };
    return tokenStrategy === "content" ? contentDeduplicationToken(info) : tokenStrategy(info);
  };

  const clearTimer = (t: TableState): void => {
    if (t.timer !== null) {
      clearTimeout(t.timer);
      t.timer = null;
    }
  };

  const cut = (t: TableState): void => {
    const b = t.open;
    if (b === null) return;
    clearTimer(t);
    t.open = null;
    t.queue.push(b);
    t.unfinished.add(b);
    pump(t);
  };

  const cutAll = (): void => {
    for (const t of tables.values()) cut(t);
  };

  /** Sends the open batch when nothing else can drain the buffer of a blocked table. */
  const ensureProgress = (t: TableState): void => {
    if (t.waiters.length > 0 && t.inFlight === 0 && t.queue.length === 0) cut(t);
  };

  const append = (t: TableState, row: PreparedRow): void => {
    let b = t.open;
    if (b !== null && b.bytes + row.bytes > limits.maxBatchBytes) {
      cut(t);
      b = null;
    }
    if (b === null) {
      b = {
        sequence: ++sequence,
        lines: [],
        bytes: 0,
        firstSource: row.source,
        lastSource: null,
        done: deferred(),
      };
      t.open = b;
      const timer = setTimeout(() => {
        if (t.open === b) cut(t);
      }, limits.maxTimeMs);
      timer.unref();
      t.timer = timer;
    }
    b.lines.push(row.text);
    b.bytes += row.bytes;
    b.lastSource = row.source;
    t.buffered++;
    if (b.lines.length >= limits.maxBatchSize) cut(t);
  };

  /** Admits waiting writers, in order, while the table has buffer space. */
  const release = (t: TableState): void => {
    while (failure === null && t.waiters.length > 0 && t.buffered < limits.maxBuffered) {
      const w = t.waiters.shift()!;
      append(t, w.row);
      w.admitted.resolve();
    }
    ensureProgress(t);
  };

  const fail = (error: ClickHouseAdapterError): void => {
    if (failure !== null) return;
    failure = error;
    for (const t of tables.values()) {
      clearTimer(t);
      for (const b of t.queue) {
        t.unfinished.delete(b);
        b.done.reject(error);
      }
      t.queue.length = 0;
      for (const w of t.waiters.splice(0)) w.admitted.reject(error);
    }
  };

  /** Runs one batch to completion; never rejects (failures go through `fail`). */
  const run = async (t: TableState, b: Batch): Promise<void> => {
    const started = performance.now();
    let attempt = 0;
    try {
      const token = tokenFor(t, b);
      const insertOptions = token === null ? {} : { deduplicationToken: token };
      for (;;) {
        attempt++;
        options.onBatch?.({
          table: t.name,
          sequence: b.sequence,
          rows: b.lines.length,
          bytes: b.bytes,
          inFlight: t.inFlight,
          buffered: t.buffered,
          attempt,
        });
        try {
          await executor.insertJsonEachRow(t.name, b.lines, insertOptions);
          break;
        } catch (error) {
          if (failure !== null || attempt >= retry.maxAttempts || !isRetryable(error)) throw error;
          const delayMs = retryDelayMs(retry, attempt);
          options.onRetry?.({
            table: t.name,
            sequence: b.sequence,
            rows: b.lines.length,
            attempt,
            delayMs,
            error,
          });
          await sleep(delayMs);
        }
      }
      // An observer that throws fails the batch like an insert error would (at-least-once).
      options.onInserted?.({
        table: t.name,
        sequence: b.sequence,
        rows: b.lines.length,
        bytes: b.bytes,
        attempts: attempt,
        durationMs: performance.now() - started,
      });
    } catch (error) {
      let retryable: boolean;
      try {
        retryable = isRetryable(error);
      } catch {
        retryable = false;
      }
      const err = new ClickHouseAdapterError(
        "LPA_CH_INSERT_FAILED",
        `Insert of ${b.lines.length} row(s) into ${t.name} failed after ${attempt} attempt(s)${retryable ? " (retries exhausted)" : ""}: ${errorText(error)}`,
        {
          cause: error,
          details: {
            table: t.name,
            rows: b.lines.length,
            bytes: b.bytes,
            attempts: attempt,
            retryable,
          },
        },
      );
      t.inFlight--;
      t.buffered -= b.lines.length;
      t.unfinished.delete(b);
      fail(err);
      b.done.reject(failure ?? err);
      return;
    }
    t.inFlight--;
    t.buffered -= b.lines.length;
    t.insertedRows += b.lines.length;
    t.unfinished.delete(b);
    b.done.resolve();
    release(t);
    pump(t);
  };

  function pump(t: TableState): void {
    while (failure === null && t.inFlight < limits.maxInFlight && t.queue.length > 0) {
      const b = t.queue.shift()!;
      t.inFlight++;
      const r = run(t, b);
      running.add(r);
      void r.then(() => running.delete(r));
    }
  }

  /** Resolves once no insert is running (after a failure none starts any more). */
  const settle = async (): Promise<void> => {
    while (running.size > 0) await Promise.allSettled([...running]);
  };

  const prepare = (table: string, row: object, origin: SinkRowOrigin | undefined): PreparedRow => {
    let text: string;
    try {
      text = serialize(table, toRow(table, row));
    } catch (cause) {
      throw new ClickHouseAdapterError(
        "LPA_CH_SERIALIZE_FAILED",
        `Cannot serialize a row for ${table}: ${errorText(cause)}`,
        { cause, details: { table } },
      );
    }
    if (typeof text !== "string")
      throw new ClickHouseAdapterError(
        "LPA_CH_SERIALIZE_FAILED",
        `serialize returned ${typeof text} instead of a string for ${table}`,
        { details: { table } },
      );
    return { text, bytes: Buffer.byteLength(text, "utf8"), source: origin?.event.source ?? null };
  };

  const dropOversize = async (
    table: string,
    prepared: PreparedRow,
    origin: SinkRowOrigin | undefined,
  ): Promise<void> => {
    const limit = limits.maxRecordBytes;
    if (rejectionTables.has(table)) {
      options.metrics?.("quality_gate.sink_guard.oversize_drops", 1);
      options.onDrop?.({ table, reason: "rejection_row_too_large", bytes: prepared.bytes, limit });
      return;
    }
    if (origin !== undefined) {
      const g = guardRow(origin.event, prepared.text, limit, origin.now);
      if (g.ok) return; // unreachable: both sizes are the UTF-8 length of the same text
      if (options.onReject === undefined)
        throw new ClickHouseAdapterError(
          "LPA_CH_RECORD_TOO_LARGE",
          `Row for ${table}: ${g.envelope.failure.details ?? "too large"}, and no onReject callback is configured`,
          { details: { table, bytes: prepared.bytes, limit } },
        );
      await options.onReject(g.envelope);
      return;
    }
    const event: SinkDropEvent = {
      table,
      reason: "origin_unknown",
      bytes: prepared.bytes,
      limit,
    };
    if (options.onDrop !== undefined) options.onDrop(event);
    else
      process.emitWarning(
        `Dropped a row for ${table}: size ${prepared.bytes} exceeds limit ${limit} and its originating event is unknown`,
        { code: "LPA_CH_ROW_DROPPED" },
      );
  };

  const writeRow = async (table: string, row: object, origin?: SinkRowOrigin): Promise<void> => {
    if (closing)
      throw new ClickHouseAdapterError("LPA_CH_SINK_CLOSED", `Write to ${table} after close()`, {
        details: { table },
      });
    if (failure !== null) throw failure;
    const prepared = prepare(table, row, origin);
    if (prepared.bytes > limits.maxRecordBytes) {
      await dropOversize(table, prepared, origin);
      return;
    }
    const t = tableState(table);
    if (t.waiters.length === 0 && t.buffered < limits.maxBuffered) {
      append(t, prepared);
      return;
    }
    const w: Waiter = { row: prepared, admitted: deferred() };
    t.waiters.push(w);
    ensureProgress(t);
    await w.admitted.promise;
  };

  /**
   * The returned promise is handled at creation: a host that awaits its writes in bulk (or not at
   * all) never sees an unhandled rejection. Nothing is lost: a fatal insert failure is kept as the
   * sink's failure and rejects every later `write`, `flush` and `close`.
   */
  const write = (table: string, row: object, origin?: SinkRowOrigin): Promise<void> => {
    const p = writeRow(table, row, origin);
    p.catch(() => undefined);
    return p;
  };

  const writeOutput = (output: EngineOutput, origin?: SinkRowOrigin): Promise<void> => {
    switch (output.kind) {
      case "row":
        return write(output.table, output.row, origin);
      case "dlq":
        return write(dlqTable, toRejectionRow(output.envelope));
      case "quarantine":
        return write(quarantineTable, toRejectionRow(output.envelope));
      case "counter":
        options.metrics?.(output.name, output.delta);
        return Promise.resolve();
    }
  };

  const flush = async (): Promise<void> => {
    if (failure === null) {
      const blocked: Promise<void>[] = [];
      for (const t of tables.values()) for (const w of t.waiters) blocked.push(w.admitted.promise);
      cutAll();
      if (blocked.length > 0) {
        await Promise.allSettled(blocked);
        if (failure === null) cutAll();
      }
      const pending: Promise<void>[] = [];
      for (const t of tables.values()) for (const b of t.unfinished) pending.push(b.done.promise);
      await Promise.allSettled(pending);
    }
    // After a failure, inserts already running still use the executor: wait for them, so that a
    // host may close the executor as soon as this rejects.
    await settle();
    if (failure !== null) throw failure;
  };

  const close = (): Promise<void> => {
    if (closed !== null) return closed;
    closing = true;
    closed = flush().finally(() => {
      for (const t of tables.values()) clearTimer(t);
    });
    return closed;
  };

  const stats = (): ClickHouseSinkStats => {
    const out: Record<string, SinkTableStats> = {};
    for (const t of tables.values())
      out[t.name] = {
        buffered: t.buffered,
        open: t.open?.lines.length ?? 0,
        queued: t.queue.length,
        inFlight: t.inFlight,
        waiting: t.waiters.length,
        insertedRows: t.insertedRows,
      };
    return { tables: out, failure, closed: closing };
  };

  return { limits, write, writeOutput, flush, close, stats };
}
