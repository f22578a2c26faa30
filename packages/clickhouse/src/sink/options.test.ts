import { describe, expect, it } from "vitest";
import { ClickHouseAdapterError } from "../executor/errors.js";
import {
  DEFAULT_RETRY_POLICY,
  DEFAULT_SINK_LIMITS,
  clickHouseSinkLimitsFromEnv,
  resolveRetryPolicy,
  resolveSinkLimits,
  retryDelayMs,
} from "./options.js";

const codeOf = (fn: () => unknown): string | null => {
  try {
    fn();
    return null;
  } catch (err) {
    return ClickHouseAdapterError.isClickHouseAdapterError(err) ? err.code : "other";
  }
};

describe("sink limits", () => {
  it("defaults are the §8.1 values", () => {
    expect(DEFAULT_SINK_LIMITS).toEqual({
      maxBatchSize: 1000,
      maxBatchBytes: 5_000_000,
      maxInFlight: 2,
      maxBuffered: 10_000,
      maxTimeMs: 1000,
      maxRecordBytes: 1_000_000,
    });
    expect(resolveSinkLimits()).toEqual(DEFAULT_SINK_LIMITS);
    expect(resolveSinkLimits({ maxBatchSize: 10, maxBuffered: 11 })).toMatchObject({
      maxBatchSize: 10,
      maxBuffered: 11,
      maxInFlight: 2,
    });
  });

  it.each([
    { maxBatchSize: 0 },
    { maxInFlight: -1 },
    { maxTimeMs: 1.5 },
    { maxBatchBytes: Number.NaN },
    { maxBuffered: 1000 },
    { maxBatchSize: 20, maxBuffered: 20 },
    { maxRecordBytes: 6_000_000 },
  ])("rejects %j", (limits) => {
    expect(codeOf(() => resolveSinkLimits(limits))).toBe("LPA_CH_INVALID_OPTIONS");
  });
});

describe("retry policy", () => {
  it("has a deterministic, capped exponential schedule", () => {
    expect(DEFAULT_RETRY_POLICY).toEqual({
      maxAttempts: 5,
      initialBackoffMs: 200,
      multiplier: 2,
      maxBackoffMs: 5000,
    });
    const delays = [1, 2, 3, 4, 5, 6, 7].map((n) => retryDelayMs(DEFAULT_RETRY_POLICY, n));
    expect(delays).toEqual([200, 400, 800, 1600, 3200, 5000, 5000]);
    expect(retryDelayMs({ ...DEFAULT_RETRY_POLICY, multiplier: 1 }, 4)).toBe(200);
  });

  it("validates", () => {
    expect(resolveRetryPolicy({ maxAttempts: 1, initialBackoffMs: 0, maxBackoffMs: 0 })).toEqual({
      maxAttempts: 1,
      initialBackoffMs: 0,
      multiplier: 2,
      maxBackoffMs: 0,
    });
    for (const p of [
      { maxAttempts: 0 },
      { initialBackoffMs: -1 },
      { multiplier: 0.5 },
      { initialBackoffMs: 100, maxBackoffMs: 50 },
      { maxBackoffMs: Number.POSITIVE_INFINITY },
    ])
      expect(codeOf(() => resolveRetryPolicy(p))).toBe("LPA_CH_INVALID_OPTIONS");
  });
});

describe("clickHouseSinkLimitsFromEnv", () => {
  it("reads all six variables", () => {
    const r = clickHouseSinkLimitsFromEnv({
      CLICKHOUSE_SINK_MAX_BATCH_SIZE: "500",
      CLICKHOUSE_SINK_MAX_IN_FLIGHT: "4",
      CLICKHOUSE_SINK_MAX_BUFFERED: "2000",
      CLICKHOUSE_SINK_MAX_BATCH_BYTES: "1000000",
      CLICKHOUSE_SINK_MAX_TIME_MS: " 250 ",
      CLICKHOUSE_SINK_MAX_RECORD_BYTES: "+100000",
    });
    expect(r.limits).toEqual({
      maxBatchSize: 500,
      maxInFlight: 4,
      maxBuffered: 2000,
      maxBatchBytes: 1_000_000,
      maxTimeMs: 250,
      maxRecordBytes: 100_000,
    });
    expect(r.notices).toEqual([]);
    expect(resolveSinkLimits(r.limits)).toEqual(r.limits);
  });

  it("unset and empty values give the defaults silently", () => {
    const r = clickHouseSinkLimitsFromEnv({
      CLICKHOUSE_SINK_MAX_BATCH_SIZE: "",
      CLICKHOUSE_SINK_MAX_TIME_MS: undefined,
    });
    expect(r.limits).toEqual(DEFAULT_SINK_LIMITS);
    expect(r.notices).toEqual([]);
  });

  it("unparseable values fall back to the default and are reported", () => {
    const r = clickHouseSinkLimitsFromEnv({
      CLICKHOUSE_SINK_MAX_BATCH_SIZE: "1e3",
      CLICKHOUSE_SINK_MAX_IN_FLIGHT: "two",
      CLICKHOUSE_SINK_MAX_BUFFERED: "0",
      CLICKHOUSE_SINK_MAX_BATCH_BYTES: "-5",
      CLICKHOUSE_SINK_MAX_TIME_MS: "1.5",
      CLICKHOUSE_SINK_MAX_RECORD_BYTES: "99999999999",
    });
    expect(r.limits).toEqual(DEFAULT_SINK_LIMITS);
    expect(r.notices.map((n) => n.key)).toEqual([
      "CLICKHOUSE_SINK_MAX_BATCH_SIZE",
      "CLICKHOUSE_SINK_MAX_IN_FLIGHT",
      "CLICKHOUSE_SINK_MAX_BUFFERED",
      "CLICKHOUSE_SINK_MAX_BATCH_BYTES",
      "CLICKHOUSE_SINK_MAX_TIME_MS",
      "CLICKHOUSE_SINK_MAX_RECORD_BYTES",
    ]);
    expect(r.notices.every((n) => n.code === "ignored_value")).toBe(true);
    expect(r.notices[1]?.message).toBe(
      'CLICKHOUSE_SINK_MAX_IN_FLIGHT="two" is not a positive integer; using the default 2',
    );
  });

  it("repairs cross-field violations with a notice", () => {
    const r = clickHouseSinkLimitsFromEnv({
      CLICKHOUSE_SINK_MAX_BATCH_SIZE: "20000",
      CLICKHOUSE_SINK_MAX_RECORD_BYTES: "6000000",
    });
    expect(r.limits.maxBuffered).toBe(20_001);
    expect(r.limits.maxRecordBytes).toBe(5_000_000);
    expect(r.notices.map((n) => n.key)).toEqual([
      "CLICKHOUSE_SINK_MAX_BUFFERED",
      "CLICKHOUSE_SINK_MAX_RECORD_BYTES",
    ]);
    expect(resolveSinkLimits(r.limits)).toEqual(r.limits);
    const small = clickHouseSinkLimitsFromEnv({ CLICKHOUSE_SINK_MAX_BUFFERED: "500" });
    expect(small.limits.maxBuffered).toBe(10_000);
    expect(small.notices).toHaveLength(1);
  });
});
