import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { ClickHouseError } from "@clickhouse/client";
import type { EngineOutput } from "@livepeer-analytics/core/engine";
import type { AcceptedEvent } from "@livepeer-analytics/core/events";
import type { CounterName, RejectedEventEnvelope } from "@livepeer-analytics/core/quality";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createEmbeddedExecutor } from "../executor/embedded.js";
import { ClickHouseAdapterError } from "../executor/errors.js";
import type { ClickHouseExecutor, ClickHouseInsertOptions } from "../executor/executor.js";
import {
  contentDeduplicationToken,
  createClickHouseSink,
  sourceRangeDeduplicationToken,
  type ClickHouseSinkOptions,
  type SinkBatchEvent,
  type SinkBatchInfo,
  type SinkDropEvent,
  type SinkRetryEvent,
} from "./sink.js";

// ---------------------------------------------------------------------------------------------
// Fixtures and helpers

const dir = mkdtempSync(join(tmpdir(), "lpa-sink-"));
let base: ClickHouseExecutor;

beforeAll(async () => {
  base = await createEmbeddedExecutor({ path: dir, database: "lpa_sink_test" });
});

afterAll(async () => {
  await base.close();
  rmSync(dir, { recursive: true, force: true });
});

let tableCounter = 0;
async function newTable(
  columns = "id UInt32, payload String",
  engine = "MergeTree ORDER BY id",
): Promise<string> {
  const name = `t_${++tableCounter}`;
  await base.command(`CREATE TABLE ${name} (${columns}) ENGINE = ${engine}`);
  return name;
}

async function count(table: string, where = "1"): Promise<number> {
  const rows = await base.query<{ n: number | string }>(
    `SELECT count() AS n FROM ${table} WHERE ${where}`,
  );
  return Number(rows[0]?.n);
}

async function ids(table: string): Promise<number[]> {
  const rows = await base.query<{ id: number }>(`SELECT id FROM ${table} ORDER BY id`);
  return rows.map((r) => r.id);
}

type InsertFn = (
  table: string,
  lines: readonly string[],
  options: ClickHouseInsertOptions | undefined,
  next: () => Promise<void>,
) => Promise<void>;

/** The real embedded executor with its batch insert intercepted. */
function wrap(insert: InsertFn): ClickHouseExecutor {
  return {
    ...base,
    insertJsonEachRow: (table, lines, options) =>
      insert(table, lines, options, () => base.insertJsonEachRow(table, lines, options)),
  };
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** Inserts made to wait on `wait()` until `open()` is called. */
function gate(): { wait: () => Promise<void>; open: () => void } {
  let open!: () => void;
  const p = new Promise<void>((r) => {
    open = r;
  });
  return { wait: () => p, open: () => open() };
}

async function waitFor(cond: () => boolean | Promise<boolean>, timeoutMs = 5000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await cond())) {
    if (Date.now() > deadline) throw new Error("condition not reached in time");
    await sleep(5);
  }
}

const rejectionOf = async (p: Promise<unknown>): Promise<unknown> =>
  p.then(
    () => null,
    (e: unknown) => e,
  );

const chError = (code: string, type: string): ClickHouseError =>
  new ClickHouseError({ message: `Code: ${code}. DB::Exception: injected. (${type})`, code, type });

const fastRetry = { initialBackoffMs: 2, multiplier: 2, maxBackoffMs: 50 } as const;

const utf8 = (s: string): number => Buffer.byteLength(s, "utf8");

const rawJson =
  '{"id":"evt-1","type":"ai_stream_status","timestamp":1767908955607,"gateway":"gw-1","data":{"stream_id":"s1"}}';
const event: AcceptedEvent = {
  eventId: "evt-1",
  eventType: "ai_stream_status",
  eventVersion: "1",
  timestamp: 1767908955607,
  gateway: "gw-1",
  rawJson,
  replay: false,
  source: { topic: "streaming_events", partition: 3, offset: 42, recordTimestamp: 1767908955600 },
  dimensions: { orchestrator: "0xabc", broadcaster: null, region: null },
  dedupKey: "evt-1",
  dedupStrategy: "event_id",
  root: { id: "evt-1", type: "ai_stream_status", timestamp: 1767908955607, gateway: "gw-1" },
  data: { stream_id: "s1" },
};
const NOW = 1767909000000;

// ---------------------------------------------------------------------------------------------

describe("batch limits", () => {
  it("batches never exceed maxBatchSize; full batches go out without flush()", async () => {
    const table = await newTable();
    const batches: SinkBatchEvent[] = [];
    const sink = createClickHouseSink(base, {
      maxBatchSize: 7,
      maxBuffered: 50,
      maxTimeMs: 60_000,
      onBatch: (e) => batches.push(e),
    });
    for (let i = 0; i < 100; i++) await sink.write(table, { id: i, payload: `row ${i}` });
    await waitFor(() => sink.stats().tables[table]?.insertedRows === 98);
    expect(batches.every((b) => b.rows === 7)).toBe(true);
    await sink.flush();
    expect(batches.map((b) => b.rows)).toEqual([...Array<number>(14).fill(7), 2]);
    expect(batches.every((b) => b.attempt === 1 && b.table === table)).toBe(true);
    expect(await count(table)).toBe(100);
    expect(await ids(table)).toEqual(Array.from({ length: 100 }, (_, i) => i));
    await sink.close();
  });

  it("batches never exceed maxBatchBytes (sum of serialized UTF-8 row sizes)", async () => {
    const table = await newTable();
    const batches: SinkBatchEvent[] = [];
    const sink = createClickHouseSink(base, {
      maxBatchSize: 1000,
      maxBatchBytes: 1000,
      maxRecordBytes: 300,
      onBatch: (e) => batches.push(e),
    });
    const rows = Array.from({ length: 60 }, (_, i) => ({
      id: i,
      payload: (i % 2 === 0 ? "é" : "a").repeat((i * 37) % 120),
    }));
    const sizes = rows.map((r) => utf8(JSON.stringify(r)));
    for (const r of rows) await sink.write(table, r);
    await sink.flush();
    expect(batches.length).toBeGreaterThan(1);
    expect(batches.every((b) => b.bytes <= 1000)).toBe(true);
    // The batches partition the rows in order, and each was cut only when the next row did not fit.
    let i = 0;
    for (const b of batches) {
      const slice = sizes.slice(i, i + b.rows);
      expect(b.bytes).toBe(slice.reduce((a, s) => a + s, 0));
      i += b.rows;
      if (i < sizes.length) expect(b.bytes + sizes[i]!).toBeGreaterThan(1000);
    }
    expect(i).toBe(rows.length);
    expect(await count(table)).toBe(60);
    await sink.close();
  });

  it("in-flight inserts per table never exceed maxInFlight (slow inserts)", async () => {
    const a = await newTable();
    const b = await newTable();
    const current = new Map<string, number>();
    const peak = new Map<string, number>();
    let total = 0;
    let totalPeak = 0;
    const slow = wrap(async (table, _lines, _o, next) => {
      current.set(table, (current.get(table) ?? 0) + 1);
      total++;
      peak.set(table, Math.max(peak.get(table) ?? 0, current.get(table)!));
      totalPeak = Math.max(totalPeak, total);
      try {
        await sleep(20);
        await next();
      } finally {
        current.set(table, current.get(table)! - 1);
        total--;
      }
    });
    const reported: SinkBatchEvent[] = [];
    const sink = createClickHouseSink(slow, {
      maxBatchSize: 5,
      maxInFlight: 2,
      maxBuffered: 1000,
      onBatch: (e) => reported.push(e),
    });
    for (let i = 0; i < 60; i++) {
      await sink.write(a, { id: i, payload: "a" });
      await sink.write(b, { id: i, payload: "b" });
    }
    await sink.flush();
    expect(peak.get(a)).toBe(2);
    expect(peak.get(b)).toBe(2);
    expect(totalPeak).toBeGreaterThan(2); // the limit is per table, like one writer per table
    // 60 rows per table in full batches of 5: 12 batches each.
    expect(reported.map((e) => e.rows)).toEqual(Array<number>(24).fill(5));
    expect(reported.every((e) => e.inFlight >= 1 && e.inFlight <= 2)).toBe(true);
    expect(await count(a)).toBe(60);
    expect(await count(b)).toBe(60);
    await sink.close();
  });
});

describe("back-pressure", () => {
  it("write waits while maxBuffered rows are pending, and resumes as inserts complete", async () => {
    const table = await newTable();
    const g = gate();
    const gated = wrap(async (_t, _l, _o, next) => {
      await g.wait();
      await next();
    });
    const sink = createClickHouseSink(gated, { maxBatchSize: 5, maxBuffered: 12, maxInFlight: 1 });
    for (let i = 0; i < 12; i++) await sink.write(table, { id: i, payload: "x" });
    expect(sink.stats().tables[table]).toMatchObject({ buffered: 12, inFlight: 1, queued: 1 });

    let admitted = false;
    const blocked = sink.write(table, { id: 12, payload: "blocked" }).then(() => {
      admitted = true;
    });
    await sleep(50);
    expect(admitted).toBe(false);
    expect(sink.stats().tables[table]).toMatchObject({ buffered: 12, waiting: 1 });

    g.open();
    await blocked;
    expect(admitted).toBe(true);
    await sink.flush();
    expect(await count(table)).toBe(13);
    expect(sink.stats().tables[table]).toMatchObject({ buffered: 0, waiting: 0, inFlight: 0 });
    await sink.close();
  });

  it("buffered rows never exceed maxBuffered under sustained load", async () => {
    const table = await newTable();
    const slow = wrap(async (_t, _l, _o, next) => {
      await sleep(5);
      await next();
    });
    let maxSeen = 0;
    const sink = createClickHouseSink(slow, {
      maxBatchSize: 4,
      maxBuffered: 10,
      maxInFlight: 2,
      onBatch: (e) => {
        maxSeen = Math.max(maxSeen, e.buffered);
      },
    });
    const writes: Promise<void>[] = [];
    for (let i = 0; i < 80; i++) {
      // Not awaited one by one: concurrent writers queue up in order.
      writes.push(sink.write(table, { id: i, payload: "p" }));
      maxSeen = Math.max(maxSeen, sink.stats().tables[table]?.buffered ?? 0);
    }
    await Promise.all(writes);
    await sink.flush();
    expect(maxSeen).toBeLessThanOrEqual(10);
    expect(maxSeen).toBe(10);
    expect(await ids(table)).toEqual(Array.from({ length: 80 }, (_, i) => i));
    await sink.close();
  });
});

describe("time-based flush", () => {
  it("a partial batch is sent once its oldest row has waited maxTimeMs", async () => {
    const table = await newTable();
    const batches: SinkBatchEvent[] = [];
    const sink = createClickHouseSink(base, {
      maxTimeMs: 40,
      onBatch: (e) => batches.push(e),
    });
    const started = Date.now();
    for (let i = 0; i < 3; i++) await sink.write(table, { id: i, payload: "t" });
    expect(batches).toHaveLength(0);
    await waitFor(async () => (await count(table)) === 3);
    expect(Date.now() - started).toBeGreaterThanOrEqual(35);
    expect(batches.map((b) => b.rows)).toEqual([3]);
    await sink.close();
  });
});

describe("flush", () => {
  it("resolves only when every row written before it is durably inserted", async () => {
    const a = await newTable();
    const b = await newTable();
    const slow = wrap(async (_t, _l, _o, next) => {
      await sleep(10);
      await next();
    });
    const sink = createClickHouseSink(slow, {
      maxBatchSize: 10,
      maxBuffered: 100,
      maxTimeMs: 60_000,
    });
    for (let i = 0; i < 25; i++) await sink.write(a, { id: i, payload: "a" });
    for (let i = 0; i < 7; i++) await sink.write(b, { id: i, payload: "b" });
    await sink.flush();
    expect(await count(a)).toBe(25);
    expect(await count(b)).toBe(7);
    await sink.flush(); // nothing pending
    await sink.close();
  });

  it("also covers writes that were waiting for buffer space when it was called", async () => {
    const table = await newTable();
    const g = gate();
    const gated = wrap(async (_t, _l, _o, next) => {
      await g.wait();
      await next();
    });
    const sink = createClickHouseSink(gated, { maxBatchSize: 2, maxBuffered: 3, maxInFlight: 1 });
    for (let i = 0; i < 3; i++) await sink.write(table, { id: i, payload: "x" });
    const waiting = [3, 4, 5].map((id) => sink.write(table, { id, payload: "late" }));
    const flushed = sink.flush();
    g.open();
    await flushed;
    expect(await ids(table)).toEqual([0, 1, 2, 3, 4, 5]);
    await Promise.all(waiting);
    await sink.close();
  });
});

describe("row guard (§2.9)", () => {
  it("an oversized row with an origin becomes a record_too_large envelope for onReject", async () => {
    const table = await newTable();
    const rejected: RejectedEventEnvelope[] = [];
    const sink = createClickHouseSink(base, {
      maxRecordBytes: 200,
      maxBatchBytes: 1000,
      onReject: (e) => {
        rejected.push(e);
      },
    });
    const big = { id: 1, payload: "é".repeat(100) }; // 100 characters, 200+ bytes
    const n = utf8(JSON.stringify(big));
    expect(big.payload.length).toBeLessThan(200);
    expect(n).toBeGreaterThan(200);
    await sink.write(table, big, { event, now: NOW });

    const exact = { id: 2, payload: "" };
    exact.payload = "a".repeat(200 - utf8(JSON.stringify(exact)));
    expect(utf8(JSON.stringify(exact))).toBe(200);
    await sink.write(table, exact, { event, now: NOW });
    await sink.flush();

    expect(rejected).toHaveLength(1);
    expect(rejected[0]).toMatchObject({
      schemaVersion: "v1",
      source: event.source,
      failure: {
        stage: "SINK_GUARD",
        failureClass: "RECORD_TOO_LARGE",
        reason: "record_too_large",
        details: `Row size ${n} exceeds limit 200`,
      },
      identity: { eventId: "evt-1", eventType: "ai_stream_status", eventVersion: "1" },
      payload: { encoding: "json", body: rawJson, canonicalJson: null },
      dedupKey: "evt-1",
      ingestionTimestamp: NOW,
      eventTimestamp: event.timestamp,
    });
    expect(await ids(table)).toEqual([2]);
    await sink.close();
  });

  it("without onReject an oversized row with an origin rejects the write", async () => {
    const table = await newTable();
    const sink = createClickHouseSink(base, { maxRecordBytes: 50, maxBatchBytes: 1000 });
    const err = await rejectionOf(
      sink.write(table, { id: 1, payload: "x".repeat(100) }, { event, now: NOW }),
    );
    expect((err as ClickHouseAdapterError).code).toBe("LPA_CH_RECORD_TOO_LARGE");
    await sink.write(table, { id: 2, payload: "ok" });
    await sink.close();
    expect(await ids(table)).toEqual([2]);
  });

  it("an oversized DLQ/quarantine row is dropped and counted, with no new envelope (recursion guard)", async () => {
    const dlq = await newTable(
      "event_id String, payload_body String",
      "MergeTree ORDER BY event_id",
    );
    const quarantine = await newTable(
      "event_id String, payload_body String",
      "MergeTree ORDER BY event_id",
    );
    const counters: [CounterName, number][] = [];
    const drops: SinkDropEvent[] = [];
    const rejected: RejectedEventEnvelope[] = [];
    const sink = createClickHouseSink(base, {
      maxRecordBytes: 100,
      maxBatchBytes: 1000,
      dlqTable: dlq,
      quarantineTable: quarantine,
      metrics: (name, delta) => counters.push([name, delta]),
      onDrop: (e) => drops.push(e),
      onReject: (e) => {
        rejected.push(e);
      },
    });
    const oversized = { event_id: "e1", payload_body: "x".repeat(200) };
    await sink.write(dlq, oversized, { event, now: NOW });
    await sink.write(quarantine, oversized);
    await sink.write(dlq, { event_id: "e2", payload_body: "small" });
    await sink.flush();
    expect(rejected).toEqual([]);
    expect(counters).toEqual([
      ["quality_gate.sink_guard.oversize_drops", 1],
      ["quality_gate.sink_guard.oversize_drops", 1],
    ]);
    const size = utf8(JSON.stringify(oversized));
    expect(drops).toEqual([
      { table: dlq, reason: "rejection_row_too_large", bytes: size, limit: 100 },
      { table: quarantine, reason: "rejection_row_too_large", bytes: size, limit: 100 },
    ]);
    expect(await count(dlq)).toBe(1);
    expect(await count(quarantine)).toBe(0);
    await sink.close();
  });

  it("an oversized row without an origin is dropped and reported", async () => {
    const table = await newTable();
    const drops: SinkDropEvent[] = [];
    const sink = createClickHouseSink(base, {
      maxRecordBytes: 100,
      maxBatchBytes: 1000,
      onDrop: (e) => drops.push(e),
    });
    await sink.write(table, { id: 1, payload: "x".repeat(200) });
    await sink.close();
    expect(drops).toEqual([
      expect.objectContaining({ table, reason: "origin_unknown", limit: 100 }),
    ]);
    expect(await count(table)).toBe(0);
  });
});

describe("retries", () => {
  it("retryable failures are retried with the deterministic back-off; rows land exactly once", async () => {
    const table = await newTable();
    let failuresLeft = 2;
    const flaky = wrap(async (_t, _l, _o, next) => {
      if (failuresLeft > 0) {
        failuresLeft--;
        throw chError("202", "TOO_MANY_SIMULTANEOUS_QUERIES");
      }
      await next();
    });
    const retries: SinkRetryEvent[] = [];
    const batches: SinkBatchEvent[] = [];
    const sink = createClickHouseSink(flaky, {
      retry: { ...fastRetry, maxAttempts: 5 },
      onRetry: (e) => retries.push(e),
      onBatch: (e) => batches.push(e),
    });
    for (let i = 0; i < 10; i++) await sink.write(table, { id: i, payload: "r" });
    await sink.flush();
    expect(retries.map((r) => [r.attempt, r.delayMs])).toEqual([
      [1, 2],
      [2, 4],
    ]);
    expect(retries[0]?.error).toBeInstanceOf(ClickHouseError);
    expect(batches.map((b) => b.attempt)).toEqual([1, 2, 3]);
    expect(await ids(table)).toEqual(Array.from({ length: 10 }, (_, i) => i));
    await sink.close();
  });

  it("an insert whose status is unknown (319) is retried with the same token and not duplicated", async () => {
    const deduplicating = await newTable(
      undefined,
      "MergeTree ORDER BY id SETTINGS non_replicated_deduplication_window = 1000",
    );
    const plain = await newTable();
    const tokens: (string | undefined)[] = [];
    const landsThenFails = (): ClickHouseExecutor => {
      let failed = false;
      return wrap(async (_t, _l, options, next) => {
        tokens.push(options?.deduplicationToken);
        await next(); // the rows are written…
        if (!failed) {
          failed = true;
          throw chError("319", "UNKNOWN_STATUS_OF_INSERT"); // …but the client never learns it
        }
      });
    };
    const rows = Array.from({ length: 5 }, (_, i) => ({ id: i, payload: "u" }));

    const sink = createClickHouseSink(landsThenFails(), { retry: fastRetry });
    for (const r of rows) await sink.write(deduplicating, r);
    await sink.close();
    expect(tokens).toHaveLength(2);
    expect(tokens[0]).toMatch(/^[0-9a-f]{64}$/);
    expect(tokens[1]).toBe(tokens[0]);
    expect(await count(deduplicating)).toBe(5);

    // Where insert deduplication does not apply, the retry duplicates the batch (at-least-once).
    const again = createClickHouseSink(landsThenFails(), { retry: fastRetry });
    for (const r of rows) await again.write(plain, r);
    await again.close();
    expect(await count(plain)).toBe(10);
  });

  it("a fatal error rejects flush with LPA_CH_INSERT_FAILED (cause kept) and stops the sink", async () => {
    const table = await newTable();
    let calls = 0;
    const broken = wrap(async () => {
      calls++;
      throw chError("60", "UNKNOWN_TABLE");
    });
    const sink = createClickHouseSink(broken, { retry: fastRetry });
    await sink.write(table, { id: 1, payload: "f" });
    const err = await rejectionOf(sink.flush());
    expect(ClickHouseAdapterError.isClickHouseAdapterError(err)).toBe(true);
    const e = err as ClickHouseAdapterError;
    expect(e.code).toBe("LPA_CH_INSERT_FAILED");
    expect(e.cause).toBeInstanceOf(ClickHouseError);
    expect((e.cause as ClickHouseError).code).toBe("60");
    expect(e.details).toMatchObject({ table, rows: 1, attempts: 1, retryable: false });
    expect(calls).toBe(1);
    expect(await rejectionOf(sink.write(table, { id: 2, payload: "f" }))).toBe(e);
    expect(await rejectionOf(sink.flush())).toBe(e);
    expect(await rejectionOf(sink.close())).toBe(e);
    expect(sink.stats().failure).toBe(e);
  });

  it("exhausted retries are fatal too", async () => {
    const table = await newTable();
    let calls = 0;
    const overloaded = wrap(async () => {
      calls++;
      throw chError("252", "TOO_MANY_PARTS");
    });
    const sink = createClickHouseSink(overloaded, { retry: { ...fastRetry, maxAttempts: 3 } });
    await sink.write(table, { id: 1, payload: "f" });
    const err = (await rejectionOf(sink.flush())) as ClickHouseAdapterError;
    expect(err.code).toBe("LPA_CH_INSERT_FAILED");
    expect(err.details).toMatchObject({ attempts: 3, retryable: true });
    expect(err.message).toContain("retries exhausted");
    expect(calls).toBe(3);
  });

  it("a real server error from the embedded engine is fatal", async () => {
    const sink = createClickHouseSink(base, { retry: fastRetry });
    await sink.write("no_such_table", { id: 1 });
    const err = (await rejectionOf(sink.flush())) as ClickHouseAdapterError;
    expect(err.code).toBe("LPA_CH_INSERT_FAILED");
    expect((err.cause as { code?: unknown }).code).toBe("60");
  });

  it("writers blocked on back-pressure are rejected with the failure", async () => {
    const table = await newTable();
    const g = gate();
    const failing = wrap(async () => {
      await g.wait();
      throw chError("60", "UNKNOWN_TABLE");
    });
    const sink = createClickHouseSink(failing, { maxBatchSize: 2, maxBuffered: 3, maxInFlight: 1 });
    for (let i = 0; i < 3; i++) await sink.write(table, { id: i, payload: "x" });
    const blocked = rejectionOf(sink.write(table, { id: 3, payload: "x" }));
    g.open();
    const err = (await blocked) as ClickHouseAdapterError;
    expect(err.code).toBe("LPA_CH_INSERT_FAILED");
  });
});

describe("an insert failure mid-run", () => {
  it("leaves no unhandled rejection; the failure surfaces at the next write, flush and close", async () => {
    const table = await newTable();
    const unhandled: unknown[] = [];
    const onUnhandled = (reason: unknown): void => {
      unhandled.push(reason);
    };
    process.on("unhandledRejection", onUnhandled);
    try {
      const sink = createClickHouseSink(base, { maxBatchSize: 2, maxInFlight: 1 });
      // Writes are not awaited one by one, like a host that awaits them in bulk later (the
      // lpa replay writer awaits every 4 096 rows).
      void sink.write(table, { id: 0, payload: "a" });
      void sink.write(table, { id: 1, payload: "a" });
      await waitFor(async () => (await count(table)) === 2);
      // The table disappears under the running sink: every later insert fails for real, as
      // under a full disk.
      await base.command(`DROP TABLE ${table}`);
      for (let i = 2; i < 6; i++) void sink.write(table, { id: i, payload: "b" });
      await waitFor(() => sink.stats().failure !== null);
      for (let i = 6; i < 9; i++) void sink.write(table, { id: i, payload: "c" });
      const next = (await rejectionOf(
        sink.write(table, { id: 9, payload: "d" }),
      )) as ClickHouseAdapterError;
      expect(ClickHouseAdapterError.isClickHouseAdapterError(next)).toBe(true);
      expect(next.code).toBe("LPA_CH_INSERT_FAILED");
      expect((next.cause as { code?: unknown }).code).toBe("60");
      expect(await rejectionOf(sink.flush())).toBe(next);
      expect(await rejectionOf(sink.close())).toBe(next);
      await sleep(20); // a turn for any unhandled rejection to be reported
      expect(unhandled).toEqual([]);
    } finally {
      process.off("unhandledRejection", onUnhandled);
    }
  });

  it("flush and close reject only once every in-flight insert has settled", async () => {
    const table = await newTable();
    const g = gate();
    let calls = 0;
    const executor = wrap(async (_table, _lines, _options, next) => {
      calls++;
      if (calls === 1) throw chError("243", "NOT_ENOUGH_SPACE");
      await g.wait();
      await next();
    });
    const sink = createClickHouseSink(executor, { maxBatchSize: 1, maxInFlight: 2 });
    void sink.write(table, { id: 1, payload: "x" }); // fails
    void sink.write(table, { id: 2, payload: "y" }); // still running when the first one fails
    await waitFor(() => sink.stats().failure !== null);
    expect(sink.stats().tables[table]?.inFlight).toBe(1);
    let settled = false;
    const flushed = rejectionOf(sink.flush()).then((e) => {
      settled = true;
      return e;
    });
    await sleep(30);
    expect(settled).toBe(false); // the executor must not be closed under the running insert
    g.open();
    const err = (await flushed) as ClickHouseAdapterError;
    expect(err.code).toBe("LPA_CH_INSERT_FAILED");
    expect(err.details).toMatchObject({ rows: 1, attempts: 1 });
    expect(sink.stats().tables[table]?.inFlight).toBe(0);
    expect(await ids(table)).toEqual([2]);
    expect(await rejectionOf(sink.close())).toBe(err);
  });
});

describe("at-least-once redelivery", () => {
  it("re-inserting the same batches into ReplacingMergeTree(version) converges under FINAL", async () => {
    const table = await newTable(
      "id UInt32, version UInt64, value String",
      "ReplacingMergeTree(version) ORDER BY id",
    );
    const revisions = [
      ...Array.from({ length: 20 }, (_, i) => ({ id: i, version: 1, value: `v1-${i}` })),
      ...Array.from({ length: 5 }, (_, i) => ({ id: i * 4, version: 2, value: `v2-${i * 4}` })),
    ];
    const expected = Array.from({ length: 20 }, (_, i) =>
      i % 4 === 0 && i < 20
        ? { id: i, version: 2, value: `v2-${i}` }
        : { id: i, version: 1, value: `v1-${i}` },
    );
    const final = async (): Promise<unknown[]> =>
      (
        await base.query<{ id: number; version: number | string; value: string }>(
          `SELECT id, version, value FROM ${table} FINAL ORDER BY id`,
        )
      ).map((r) => ({ ...r, version: Number(r.version) }));

    const first = createClickHouseSink(base, { maxBatchSize: 6, maxBuffered: 20 });
    for (const r of revisions) await first.write(table, r);
    await first.close();
    expect(await final()).toEqual(expected);

    // A restart replays from the last commit: the same rows, cut into different batches, no dedup.
    let reinserted = 0;
    const replay = createClickHouseSink(base, {
      maxBatchSize: 4,
      maxBuffered: 20,
      deduplicationToken: "none",
      onInserted: (e) => {
        reinserted += e.rows;
      },
    });
    for (const r of revisions) await replay.write(table, r);
    await replay.close();
    expect(reinserted).toBe(revisions.length);
    expect(await final()).toEqual(expected);
  });
});

describe("hooks and outputs", () => {
  it("toRow and serialize shape what is sent and what the limits measure", async () => {
    const table = await newTable("id UInt32, payload String, table_name String");
    const batches: SinkBatchEvent[] = [];
    const serialize = (_t: string, row: object): string =>
      JSON.stringify(row, Object.keys(row).sort());
    const sink = createClickHouseSink(base, {
      toRow: (t, row) => ({ ...(row as { id: number }), payload: "mapped", table_name: t }),
      serialize,
      onBatch: (e) => batches.push(e),
    });
    await sink.write(table, { id: 1 });
    await sink.write(table, { id: 2 });
    await sink.close();
    const rows = await base.query(`SELECT id, payload, table_name FROM ${table} ORDER BY id`);
    expect(rows).toEqual([
      { id: 1, payload: "mapped", table_name: table },
      { id: 2, payload: "mapped", table_name: table },
    ]);
    const expectedBytes = [1, 2]
      .map((id) => utf8(serialize(table, { id, payload: "mapped", table_name: table })))
      .reduce((a, b) => a + b, 0);
    expect(batches[0]?.bytes).toBe(expectedBytes);
  });

  it("a failing hook rejects the write with LPA_CH_SERIALIZE_FAILED", async () => {
    const table = await newTable();
    const sink = createClickHouseSink(base, {
      serialize: () => {
        throw new TypeError("Do not know how to serialize a BigInt");
      },
    });
    const err = (await rejectionOf(sink.write(table, { id: 1n }))) as ClickHouseAdapterError;
    expect(err.code).toBe("LPA_CH_SERIALIZE_FAILED");
    expect(err.cause).toBeInstanceOf(TypeError);
    await sink.close();
  });

  it("writeOutput routes rows, DLQ/quarantine envelopes and counters", async () => {
    const facts = await newTable();
    const dlq = await newTable(
      "event_id String, failure_reason String, source_offset UInt64",
      "MergeTree ORDER BY event_id",
    );
    const quarantine = await newTable(
      "event_id String, failure_reason String, source_offset UInt64",
      "MergeTree ORDER BY event_id",
    );
    const counters: [CounterName, number][] = [];
    const pick = (row: Record<string, unknown>): object => ({
      event_id: row["event_id"],
      failure_reason: row["failure_reason"],
      source_offset: row["source_offset"],
    });
    const sink = createClickHouseSink(base, {
      dlqTable: dlq,
      quarantineTable: quarantine,
      toRow: (t, row) =>
        t === dlq || t === quarantine ? pick(row as Record<string, unknown>) : row,
      metrics: (name, delta) => counters.push([name, delta]),
    });
    const envelope: RejectedEventEnvelope = {
      schemaVersion: "v1",
      source: event.source,
      failure: {
        stage: "PARSE",
        failureClass: "PARSING_FAILED",
        reason: "parse_exception",
        details: "boom",
      },
      identity: { eventId: "evt-9", eventType: "ai_stream_status", eventVersion: "1" },
      dimensions: event.dimensions,
      payload: { encoding: "json", body: rawJson, canonicalJson: null },
      dedupKey: "evt-9",
      dedupStrategy: "event_id",
      replay: false,
      ingestionTimestamp: NOW,
      eventTimestamp: event.timestamp,
    };
    const outputs = [
      { kind: "row", table: facts, row: { id: 1, payload: "fact" } },
      { kind: "dlq", envelope },
      {
        kind: "quarantine",
        envelope: { ...envelope, failure: { ...envelope.failure, reason: "duplicate_event" } },
      },
      { kind: "counter", name: "dedup_evictions", delta: 3 },
    ] as unknown as EngineOutput[];
    for (const o of outputs) await sink.writeOutput(o, { event, now: NOW });
    await sink.close();
    expect(await ids(facts)).toEqual([1]);
    expect(await base.query(`SELECT * FROM ${dlq}`)).toEqual([
      { event_id: "evt-9", failure_reason: "parse_exception", source_offset: 42 },
    ]);
    expect(await base.query(`SELECT failure_reason FROM ${quarantine}`)).toEqual([
      { failure_reason: "duplicate_event" },
    ]);
    expect(counters).toEqual([["dedup_evictions", 3]]);
  });

  it("deduplication tokens: content hash by default, source range or custom on request", async () => {
    const table = await newTable();
    const seen: (string | undefined)[] = [];
    const infos: SinkBatchInfo[] = [];
    const spy = wrap(async (_t, _l, options, next) => {
      seen.push(options?.deduplicationToken);
      await next();
    });
    const origin = (offset: number) => ({
      event: { ...event, source: { ...event.source, offset } },
      now: NOW,
    });
    const sink = createClickHouseSink(spy, {
      maxBatchSize: 2,
      maxBuffered: 10,
      deduplicationToken: (info) => {
        infos.push(info);
        return sourceRangeDeduplicationToken(info) ?? contentDeduplicationToken(info);
      },
    });
    await sink.write(table, { id: 1, payload: "a" }, origin(100));
    await sink.write(table, { id: 2, payload: "b" }, origin(101));
    await sink.write(table, { id: 3, payload: "c" });
    await sink.close();
    expect(seen[0]).toBe(`${table}|streaming_events:3:100|streaming_events:3:101|2`);
    expect(seen[1]).toMatch(/^[0-9a-f]{64}$/);
    expect(infos[1]).toMatchObject({
      firstSource: null,
      lastSource: null,
      lines: ['{"id":3,"payload":"c"}'],
    });

    const info: SinkBatchInfo = {
      table: "t",
      sequence: 1,
      lines: ['{"a":1}'],
      bytes: 7,
      firstSource: null,
      lastSource: null,
    };
    expect(contentDeduplicationToken(info)).toBe(
      contentDeduplicationToken({ ...info, sequence: 9 }),
    );
    expect(contentDeduplicationToken(info)).not.toBe(
      contentDeduplicationToken({ ...info, table: "u" }),
    );
    expect(contentDeduplicationToken(info)).not.toBe(
      contentDeduplicationToken({ ...info, lines: ['{"a":2}'] }),
    );
  });
});

describe("lifecycle", () => {
  it("close flushes, is idempotent, and later writes reject with LPA_CH_SINK_CLOSED", async () => {
    const table = await newTable();
    const sink = createClickHouseSink(base, { maxTimeMs: 60_000 });
    await sink.write(table, { id: 1, payload: "c" });
    const closing = sink.close();
    expect(sink.close()).toBe(closing);
    const err = (await rejectionOf(sink.write(table, { id: 2 }))) as ClickHouseAdapterError;
    expect(err.code).toBe("LPA_CH_SINK_CLOSED");
    await closing;
    expect(await ids(table)).toEqual([1]);
    expect(sink.stats()).toMatchObject({ closed: true, failure: null });
    expect(sink.stats().tables[table]).toMatchObject({ buffered: 0, open: 0, insertedRows: 1 });
  });

  it.each<[string, ClickHouseSinkOptions]>([
    ["maxBuffered ≤ maxBatchSize", { maxBatchSize: 10, maxBuffered: 10 }],
    ["maxRecordBytes > maxBatchBytes", { maxBatchBytes: 10, maxRecordBytes: 11 }],
    ["zero in flight", { maxInFlight: 0 }],
    ["no attempts", { retry: { maxAttempts: 0 } }],
  ])("invalid options (%s) → LPA_CH_INVALID_OPTIONS", (_label, options) => {
    let code: string | null = null;
    try {
      createClickHouseSink(base, options);
    } catch (err) {
      code = ClickHouseAdapterError.isClickHouseAdapterError(err) ? err.code : "other";
    }
    expect(code).toBe("LPA_CH_INVALID_OPTIONS");
  });

  it("exposes the resolved limits", () => {
    const sink = createClickHouseSink(base, { maxBatchSize: 10, maxBuffered: 20 });
    expect(sink.limits).toEqual({
      maxBatchSize: 10,
      maxBatchBytes: 5_000_000,
      maxInFlight: 2,
      maxBuffered: 20,
      maxTimeMs: 1000,
      maxRecordBytes: 1_000_000,
    });
  });
});
