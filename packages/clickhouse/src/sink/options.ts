/**
 * Limits, retry policy and environment loading of the batched ClickHouse sink
 * (`ingest-and-storage.md` §6.1, §8.1).
 *
 * @module
 */
import type { ConfigNotice } from "@livepeer-analytics/core/engine";
import { envPositiveInt, type EnvSource } from "../executor/env.js";
import { ClickHouseAdapterError } from "../executor/errors.js";

/**
 * The six sink limits. Like the reference (one writer per destination table), every limit applies
 * **per table**: each table has its own batch, its own in-flight inserts and its own buffer.
 *
 * @category Sink
 */
export interface ClickHouseSinkLimits {
  /** Rows per batch (`CLICKHOUSE_SINK_MAX_BATCH_SIZE`, 1000): a full batch is sent at once. */
  readonly maxBatchSize: number;
  /**
   * Bytes per batch (`CLICKHOUSE_SINK_MAX_BATCH_BYTES`, 5 000 000): the sum of the serialized
   * rows' UTF-8 sizes; a batch is cut before a row would make it exceed the limit.
   */
  readonly maxBatchBytes: number;
  /** Concurrent inserts per table (`CLICKHOUSE_SINK_MAX_IN_FLIGHT`, 2). */
  readonly maxInFlight: number;
  /**
   * Rows per table accepted but not yet inserted — open, queued and in-flight batches
   * (`CLICKHOUSE_SINK_MAX_BUFFERED`, 10 000). `write` waits while the buffer is full. Must be
   * greater than `maxBatchSize`.
   */
  readonly maxBuffered: number;
  /** A partial batch is sent when its oldest row has waited this long, ms (`CLICKHOUSE_SINK_MAX_TIME_MS`, 1000). */
  readonly maxTimeMs: number;
  /**
   * Largest serialized row, UTF-8 bytes (`CLICKHOUSE_SINK_MAX_RECORD_BYTES`, 1 000 000; equal size
   * passes). Must not exceed `maxBatchBytes`.
   */
  readonly maxRecordBytes: number;
}

/**
 * The §8.1 defaults.
 *
 * @category Sink
 */
export const DEFAULT_SINK_LIMITS: ClickHouseSinkLimits = Object.freeze({
  maxBatchSize: 1000,
  maxBatchBytes: 5_000_000,
  maxInFlight: 2,
  maxBuffered: 10_000,
  maxTimeMs: 1000,
  maxRecordBytes: 1_000_000,
});

/**
 * Bounded retries with a deterministic exponential back-off (no jitter): the delay after failed
 * attempt `n` (1-based) is `min(maxBackoffMs, initialBackoffMs × multiplier^(n−1))`.
 *
 * @category Sink
 */
export interface ClickHouseRetryPolicy {
  /** Attempts per batch including the first (≥ 1; 1 disables retries). */
  readonly maxAttempts: number;
  /** Delay after the first failed attempt, ms. */
  readonly initialBackoffMs: number;
  /** Growth factor of the delay (≥ 1). */
  readonly multiplier: number;
  /** Upper bound of a delay, ms. */
  readonly maxBackoffMs: number;
}

/**
 * Default retry policy: 5 attempts, waiting 200, 400, 800 and 1600 ms (3 s in total) between them.
 *
 * @category Sink
 */
export const DEFAULT_RETRY_POLICY: ClickHouseRetryPolicy = Object.freeze({
  maxAttempts: 5,
  initialBackoffMs: 200,
  multiplier: 2,
  maxBackoffMs: 5000,
});

/**
 * The delay before the attempt that follows failed attempt `attempt` (1-based).
 *
 * @category Sink
 * @example
 * retryDelayMs(DEFAULT_RETRY_POLICY, 1) // 200
 * retryDelayMs(DEFAULT_RETRY_POLICY, 3) // 800
 */
export function retryDelayMs(policy: ClickHouseRetryPolicy, attempt: number): number {
  return Math.min(
    policy.maxBackoffMs,
    policy.initialBackoffMs * Math.pow(policy.multiplier, Math.max(0, attempt - 1)),
  );
}

function invalid(message: string): ClickHouseAdapterError {
  return new ClickHouseAdapterError("LPA_CH_INVALID_OPTIONS", message);
}

function positiveInt(name: string, value: number): void {
  if (!Number.isSafeInteger(value) || value < 1)
    throw invalid(`${name} must be a positive integer, got ${String(value)}`);
}

/**
 * Fills defaults and validates the limits.
 *
 * @category Sink
 * @throws {@link ClickHouseAdapterError} `LPA_CH_INVALID_OPTIONS` when a limit is not a positive
 * integer, `maxBuffered ≤ maxBatchSize`, or `maxRecordBytes > maxBatchBytes`.
 */
export function resolveSinkLimits(
  limits: Partial<ClickHouseSinkLimits> = {},
): ClickHouseSinkLimits {
  const r: ClickHouseSinkLimits = { ...DEFAULT_SINK_LIMITS, ...stripUndefined(limits) };
  for (const key of Object.keys(DEFAULT_SINK_LIMITS) as (keyof ClickHouseSinkLimits)[])
    positiveInt(key, r[key]);
  if (r.maxBuffered <= r.maxBatchSize)
    throw invalid(
      `maxBuffered (${r.maxBuffered}) must be greater than maxBatchSize (${r.maxBatchSize})`,
    );
  if (r.maxRecordBytes > r.maxBatchBytes)
    throw invalid(
      `maxRecordBytes (${r.maxRecordBytes}) must not exceed maxBatchBytes (${r.maxBatchBytes})`,
    );
  return r;
}

/**
 * Fills defaults and validates a retry policy.
 *
 * @category Sink
 * @throws {@link ClickHouseAdapterError} `LPA_CH_INVALID_OPTIONS` for a non-positive
 * `maxAttempts`, negative delays, `multiplier < 1` or `maxBackoffMs < initialBackoffMs`.
 */
export function resolveRetryPolicy(
  policy: Partial<ClickHouseRetryPolicy> = {},
): ClickHouseRetryPolicy {
  const r: ClickHouseRetryPolicy = { ...DEFAULT_RETRY_POLICY, ...stripUndefined(policy) };
  positiveInt("retry.maxAttempts", r.maxAttempts);
  if (!(r.initialBackoffMs >= 0) || !Number.isFinite(r.initialBackoffMs))
    throw invalid(`retry.initialBackoffMs must be ≥ 0, got ${String(r.initialBackoffMs)}`);
  if (!(r.multiplier >= 1) || !Number.isFinite(r.multiplier))
    throw invalid(`retry.multiplier must be ≥ 1, got ${String(r.multiplier)}`);
  if (!(r.maxBackoffMs >= r.initialBackoffMs) || !Number.isFinite(r.maxBackoffMs))
    throw invalid(`retry.maxBackoffMs must be ≥ initialBackoffMs, got ${String(r.maxBackoffMs)}`);
  return r;
}

function stripUndefined<T extends object>(o: T): Partial<T> {
  const out: Partial<T> = {};
  for (const [k, v] of Object.entries(o))
    if (v !== undefined) (out as Record<string, unknown>)[k] = v;
  return out;
}

/**
 * Sink limits read from the environment, with notices about ignored values.
 *
 * @category Sink
 */
export interface ClickHouseSinkLimitsFromEnv {
  /** Valid limits (ready for `createClickHouseSink`). */
  readonly limits: ClickHouseSinkLimits;
  /** Ignored or replaced values. */
  readonly notices: readonly ConfigNotice[];
}

/**
 * Reads the `CLICKHOUSE_SINK_*` variables (`ingest-and-storage.md` §8.1). An empty value counts
 * as unset; a value that is not a positive integer falls back to the default, as in the
 * reference, but is reported as an `ignored_value` notice. Cross-field rules are repaired the same
 * way: `CLICKHOUSE_SINK_MAX_BUFFERED ≤ CLICKHOUSE_SINK_MAX_BATCH_SIZE` is replaced by
 * `max(10000, batch size + 1)`, and `CLICKHOUSE_SINK_MAX_RECORD_BYTES >
 * CLICKHOUSE_SINK_MAX_BATCH_BYTES` by the batch-bytes limit, each with a notice.
 *
 * @category Sink
 * @example
 * clickHouseSinkLimitsFromEnv({ CLICKHOUSE_SINK_MAX_BATCH_SIZE: "500", CLICKHOUSE_SINK_MAX_TIME_MS: "soon" })
 * // { limits: { maxBatchSize: 500, maxTimeMs: 1000, … }, notices: [{ code: "ignored_value", key: "CLICKHOUSE_SINK_MAX_TIME_MS", … }] }
 */
export function clickHouseSinkLimitsFromEnv(env: EnvSource): ClickHouseSinkLimitsFromEnv {
  const notices: ConfigNotice[] = [];
  const d = DEFAULT_SINK_LIMITS;
  const maxBatchSize = envPositiveInt(
    env,
    "CLICKHOUSE_SINK_MAX_BATCH_SIZE",
    d.maxBatchSize,
    notices,
  );
  const maxInFlight = envPositiveInt(env, "CLICKHOUSE_SINK_MAX_IN_FLIGHT", d.maxInFlight, notices);
  let maxBuffered = envPositiveInt(env, "CLICKHOUSE_SINK_MAX_BUFFERED", d.maxBuffered, notices);
  const maxBatchBytes = envPositiveInt(
    env,
    "CLICKHOUSE_SINK_MAX_BATCH_BYTES",
    d.maxBatchBytes,
    notices,
  );
  const maxTimeMs = envPositiveInt(env, "CLICKHOUSE_SINK_MAX_TIME_MS", d.maxTimeMs, notices);
  let maxRecordBytes = envPositiveInt(
    env,
    "CLICKHOUSE_SINK_MAX_RECORD_BYTES",
    d.maxRecordBytes,
    notices,
  );
  if (maxBuffered <= maxBatchSize) {
    const repaired = Math.max(d.maxBuffered, maxBatchSize + 1);
    notices.push({
      code: "ignored_value",
      key: "CLICKHOUSE_SINK_MAX_BUFFERED",
      message: `CLICKHOUSE_SINK_MAX_BUFFERED (${maxBuffered}) must be greater than CLICKHOUSE_SINK_MAX_BATCH_SIZE (${maxBatchSize}); using ${repaired}`,
    });
    maxBuffered = repaired;
  }
  if (maxRecordBytes > maxBatchBytes) {
    notices.push({
      code: "ignored_value",
      key: "CLICKHOUSE_SINK_MAX_RECORD_BYTES",
      message: `CLICKHOUSE_SINK_MAX_RECORD_BYTES (${maxRecordBytes}) must not exceed CLICKHOUSE_SINK_MAX_BATCH_BYTES (${maxBatchBytes}); using ${maxBatchBytes}`,
    });
    maxRecordBytes = maxBatchBytes;
  }
  return {
    limits: { maxBatchSize, maxBatchBytes, maxInFlight, maxBuffered, maxTimeMs, maxRecordBytes },
    notices,
  };
}
