// The sidecar (issue 13 item 2): a client that drives it the way a Flink job would — route each
// record, keep every state on its side, batch several keys per call, broadcast capability items,
// advance watermarks from its own event clock, flush at the end — gets the single engine's final
// tables; and the error model (400, 404, 413) with RFC 7807 bodies.
import { readFileSync } from "node:fs";
import { join } from "node:path";
import fc from "fast-check";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  canonicalFinalTables,
  collectFinalTables,
  createEngine,
  createPartitionedEngine,
  createRunner,
  type EngineConfigInput,
  type EngineOutput,
  type EngineState,
  type LifecycleItem,
  type SessionSlice,
} from "@livepeer-analytics/core/engine";
import { sessionEventsArbitrary } from "@livepeer-analytics/testing";
import { realEventLines, realisticEventLines } from "@livepeer-analytics/testing/fixtures";
import { PROTOCOL_SCHEMA, validateJson } from "./schema.js";
import { startSidecar, type Sidecar } from "./server.js";

const NOW = 1_800_000_000_000;

interface Reply {
  readonly status: number;
  readonly type: string;
  readonly body: Record<string, unknown>;
}

async function call(
  url: string,
  path: string,
  body?: unknown,
  raw?: string | Uint8Array,
): Promise<Reply> {
  const res = await fetch(url + path, {
    method: body === undefined && raw === undefined ? "GET" : "POST",
    ...(body === undefined && raw === undefined
      ? {}
      : { body: raw ?? JSON.stringify(body), headers: { "content-type": "application/json" } }),
  });
  const text = await res.text();
  return {
    status: res.status,
    type: res.headers.get("content-type") ?? "",
    body: JSON.parse(text) as Record<string, unknown>,
  };
}

/** Posts a request, checks it and its 200 response against the schema, returns the response. */
async function ok<T = Wire>(
  url: string,
  path: string,
  def: string,
  body: unknown,
  ms: Record<string, number> = {},
): Promise<T> {
  expect(validateJson(`${def}Request`, body)).toEqual([]);
  const t0 = performance.now();
  const r = await call(url, path, body);
  ms[path] = (ms[path] ?? 0) + performance.now() - t0;
  if (r.status !== 200) throw new Error(`${path}: ${r.status} ${JSON.stringify(r.body)}`);
  expect(validateJson(`${def}Response`, r.body)).toEqual([]);
  return r.body as T;
}

/** A response body, as the schema checked it. */
interface Wire {
  readonly shared: EngineState | null;
  readonly routes: readonly { readonly kind: string; readonly key?: string }[];
  readonly items: {
    readonly key: string;
    readonly slice: unknown;
    readonly results: RecordResult[];
  }[];
  readonly outputs: EngineOutput[];
}

/** What the record stage returns for one record. */
interface RecordResult {
  readonly outputs: EngineOutput[];
  readonly eventTime: number | null;
  readonly item: LifecycleItem | null;
}

/** A record as it crosses the wire. */
interface WireRecord {
  readonly value: string | null;
  readonly offset: number;
  readonly now: number;
  readonly receivedAt?: number;
}

/** Deterministic partition of a key (a host uses its own hash: any choice is exact). */
const partitionOf = (key: string, n: number): number => {
  let h = 7;
  for (let i = 0; i < key.length; i++) h = (h * 31 + key.charCodeAt(i)) >>> 0;
  return h % n;
};

/** One parallel instance of the Flink job: its keyed states and its shared (broadcast) state. */
interface Partition {
  readonly dedup: Map<string, number>;
  readonly sessions: Map<string, SessionSlice>;
  /** Each session slice's due time (`dueAt` of the last response that held it). */
  readonly due: Map<string, number | null>;
  shared: EngineState | null;
}

type LifecycleInput =
  | { readonly item: LifecycleItem }
  | { readonly advance: number }
  | { readonly flush: { readonly newestEventTime: number | null } };

/** Statistics of a run through the sidecar. */
interface Stats {
  calls: number;
  bytes: number;
  /** Session slices sent to /v1/lifecycle. */
  slicesSent?: number;
  /** Session slices the lifecycle stage deleted (a tombstone expired). */
  deleted?: number;
  /** Round-trip ms by path (calls of one round run concurrently: the sum can exceed wall time). */
  readonly ms: Record<string, number>;
}

/** Drives `records` through the sidecar over `n` partitions, `batch` records per round. */
async function throughSidecar(
  url: string,
  config: EngineConfigInput,
  records: readonly WireRecord[],
  n: number,
  batch: number,
  stats: Stats = { calls: 0, bytes: 0, ms: {} },
  serverClock = false,
  dueOnly = true,
): Promise<EngineOutput[]> {
  // The host's event clock (the one global watermark), kept client-side.
  const p = createPartitionedEngine(config);
  let clock = p.initClock();
  const parts: Partition[] = Array.from({ length: n }, () => ({
    dedup: new Map(),
    sessions: new Map(),
    due: new Map(),
    shared: null,
  }));
  const out: EngineOutput[] = [];
  const post = async (path: string, def: string, body: unknown): Promise<Wire> => {
    stats.calls += 1;
    stats.bytes += JSON.stringify(body).length;
    return ok(url, path, def, body, stats.ms);
  };
  const lifecycle = async (
    part: Partition,
    index: number,
    inputs: LifecycleInput[],
    keys: Set<string>,
  ) => {
    // A broadcast or the flush reaches every key the partition holds; an advance to W only the
    // keys due at W (`dueAt` ≤ W), unless the test asks for every key.
    const global = inputs.some(
      (i) => "flush" in i || ("item" in i && p.routeItem(i.item).kind === "broadcast"),
    );
    const advances = inputs.flatMap((i) => ("advance" in i ? [i.advance] : []));
    if (global || (advances.length > 0 && !dueOnly))
      for (const k of part.sessions.keys()) keys.add(k);
    else if (advances.length > 0) {
      const w = Math.max(...advances);
      for (const [k, t] of part.due) if (t !== null && t <= w) keys.add(k);
    }
    const res = await post("/v1/lifecycle", "Lifecycle", {
      protocol: 1,
      shared: part.shared,
      primary: index === 0,
      items: [...keys].map((key) => ({ key, slice: part.sessions.get(key) ?? null })),
      inputs,
    });
    if (res.shared !== null) part.shared = res.shared;
    stats.slicesSent = (stats.slicesSent ?? 0) + keys.size;
    for (const { key, slice, dueAt } of res.items as unknown as {
      key: string;
      slice: SessionSlice | null;
      dueAt: number | null;
    }[])
      if (slice === null) {
        if (part.sessions.has(key)) stats.deleted = (stats.deleted ?? 0) + 1;
        part.sessions.delete(key);
        part.due.delete(key);
      } else {
        part.sessions.set(key, slice);
        part.due.set(key, dueAt);
      }
    out.push(...(res.outputs as EngineOutput[]));
  };

  for (let from = 0; from < records.length; from += batch) {
    const chunk = records.slice(from, from + batch);
    const watermark = clock.watermark;
    // 1. Route (Flink's keyBy needs the key before the keyed operator).
    const { routes } = await post("/v1/route", "Route", { protocol: 1, records: chunk });
    // 2. The record stage: one call per partition, records grouped by key in stream order.
    const results: {
      outputs: EngineOutput[];
      eventTime: number | null;
      item: LifecycleItem | null;
    }[] = new Array(chunk.length);
    const byPart = Array.from({ length: n }, () => new Map<string, number[]>());
    (routes as { kind: string; key?: string }[]).forEach((r, i) => {
      const key = r.kind === "key" ? r.key! : `any-${(from + i) % n}`;
      const m = byPart[partitionOf(key, n)]!;
      if (!m.has(key)) m.set(key, []);
      m.get(key)!.push(i);
    });
    await Promise.all(
      byPart.map(async (m, pi) => {
        if (m.size === 0) return;
        const part = parts[pi]!;
        const res = await post("/v1/records", "Records", {
          protocol: 1,
          items: [...m].map(([key, idx]) => ({
            key,
            slice: part.dedup.get(key) ?? null,
            records: idx.map((i) => ({ ...chunk[i]!, watermark })),
          })),
        });
        (res.items as { key: string; slice: number | null; results: typeof results }[]).forEach(
          (it) => {
            if (it.slice === null) part.dedup.delete(it.key);
            else part.dedup.set(it.key, it.slice);
            m.get(it.key)!.forEach((i, j) => (results[i] = it.results[j]!));
          },
        );
      }),
    );
    // 3. In stream order: outputs, the clock, lifecycle items to their partitions, watermarks.
    const inputs = parts.map((): LifecycleInput[] => []);
    const keys = parts.map(() => new Set<string>());
    // The clock runs on the client (core's EventClock functions) or in the sidecar (/v1/clock).
    let watermarks: (number | null)[] | null = null;
    if (serverClock) {
      const c = (await post("/v1/clock", "Clock", {
        protocol: 1,
        clock,
        eventTimes: results.map((r) => r.eventTime),
      })) as unknown as { clock: typeof clock; watermarks: (number | null)[] };
      clock = c.clock;
      watermarks = c.watermarks;
    }
    for (const [i, r] of results.entries()) {
      out.push(...r.outputs);
      if (watermarks === null) p.observeInPlace(clock, r.eventTime);
      if (r.item !== null) {
        const to = p.routeItem(r.item);
        if (to.kind === "key") {
          const pi = partitionOf(to.key, n);
          inputs[pi]!.push({ item: r.item });
          keys[pi]!.add(to.key);
        } else for (const list of inputs) list.push({ item: r.item });
      }
      const w = watermarks === null ? p.nextWatermark(clock) : watermarks[i]!;
      if (w !== null) {
        if (watermarks === null) p.advanceClockInPlace(clock, w);
        for (const list of inputs) list.push({ advance: w });
      }
    }
    // 4. The lifecycle stage: one call per partition with something to do.
    await Promise.all(
      parts.map((part, pi) =>
        inputs[pi]!.length === 0 ? undefined : lifecycle(part, pi, inputs[pi]!, keys[pi]!),
      ),
    );
  }
  const newestEventTime = clock.newestEventTs[0] ?? null;
  await Promise.all(
    parts.map((part, pi) => lifecycle(part, pi, [{ flush: { newestEventTime } }], new Set())),
  );
  if (serverClock) {
    const c = (await post("/v1/clock", "Clock", {
      protocol: 1,
      clock,
      eventTimes: [],
      flush: true,
    })) as unknown as { outputs: EngineOutput[] };
    out.push(...c.outputs);
  } else out.push(...p.flushClockInPlace(clock));
  return out;
}

function single(config: EngineConfigInput, records: readonly WireRecord[]): EngineOutput[] {
  const runner = createRunner(createEngine(config));
  const out: EngineOutput[] = [];
  for (const r of records) {
    const { value, offset, now, receivedAt } = r;
    out.push(
      ...runner.push({
        record: { value, offset },
        now,
        ...(receivedAt === undefined ? {} : { receivedAt }),
      }),
    );
  }
  out.push(...runner.flush());
  return out;
}

/** Equal final tables; `relevant_evictions` counts per partition (≥ the single engine's). */
function expectSameFinalTables(
  parted: readonly EngineOutput[],
  one: readonly EngineOutput[],
): void {
  const p = canonicalFinalTables(parted);
  const s = canonicalFinalTables(one);
  expect(p.counters["relevant_evictions"] ?? 0).toBeGreaterThanOrEqual(
    s.counters["relevant_evictions"] ?? 0,
  );
  delete p.counters["relevant_evictions"];
  delete s.counters["relevant_evictions"];
  expect(p).toEqual(s);
}

const wire = (lines: readonly (string | null)[]): WireRecord[] =>
  lines.map((value, offset) => ({ value, offset, now: NOW }));

describe("sidecar", () => {
  let sidecar: Sidecar;
  let compat: Sidecar;
  beforeAll(async () => {
    sidecar = await startSidecar({
      port: 0,
      limits: { maxBodyBytes: 4_000_000, maxBatchRecords: 5_000 },
    });
    compat = await startSidecar({ port: 0, config: { preset: "reference-compat" } });
  });
  afterAll(async () => {
    await sidecar.close();
    await compat.close();
  });

  it("answers /v1/health with its protocol version", async () => {
    expect(sidecar.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    const r = await call(sidecar.url, "/v1/health");
    expect(r.status).toBe(200);
    expect(r.body).toEqual({ protocol: 1 });
    expect(validateJson("HealthResponse", r.body)).toEqual([]);
  });

  it("ships the schema it validates with", () => {
    const shipped = JSON.parse(
      readFileSync(join(import.meta.dirname, "protocol.schema.json"), "utf8"),
    ) as unknown;
    expect(shipped).toEqual(JSON.parse(JSON.stringify(PROTOCOL_SCHEMA)));
  });

  it("the real fixture plus generated events, 2 partitions: the single engine's final tables", async () => {
    const lines = [
      ...realEventLines(),
      ...realisticEventLines(4_000, 40),
      "not json",
      realEventLines()[3]!, // a duplicate
    ];
    const records = wire(lines);
    const stats: Stats = { calls: 0, bytes: 0, ms: {} };
    const t0 = performance.now();
    const parted = await throughSidecar(sidecar.url, {}, records, 2, 500, stats);
    const seconds = (performance.now() - t0) / 1000;
    const t1 = performance.now();
    const one = single({}, records);
    const singleSeconds = (performance.now() - t1) / 1000;
    expectSameFinalTables(parted, one);
    const f = collectFinalTables(parted);
    expect(f.dlq.length).toBeGreaterThan(0);
    expect(f.quarantine.length).toBeGreaterThan(0);
    console.log(
      `sidecar through this test client (which checks every request and response against the schema): ${records.length} records, 2 partitions, batches of 500: ${Math.round(records.length / seconds)} records/s (${stats.calls} calls, ${(stats.bytes / 1e6).toFixed(1)} MB sent; round trips ${JSON.stringify(Object.fromEntries(Object.entries(stats.ms).map(([k, v]) => [k, Math.round(v)])))} ms); single engine ${Math.round(records.length / singleSeconds)} records/s`,
    );
  });

  it("reference-compat, 3 partitions, small batches, the clock in the sidecar: the single engine's final tables", async () => {
    const records = wire([...realEventLines(), ...realisticEventLines(1_500, 15, 7)]);
    const config = { preset: "reference-compat" as const };
    expectSameFinalTables(
      await throughSidecar(compat.url, config, records, 3, 37, undefined, true),
      single(config, records),
    );
  });

  it("generated sessions with duplicates and reordering: the single engine's final tables", async () => {
    const samples = fc.sample(sessionEventsArbitrary({ maxSessions: 5, maxDuplicates: 6 }), {
      numRuns: 8,
      seed: 13,
    });
    for (const [k, s] of samples.entries()) {
      const records = s.records.map((value, offset): WireRecord => ({
        value: typeof value === "string" || value === null ? value : Buffer.from(value).toString(),
        offset,
        now: NOW,
      }));
      expectSameFinalTables(
        await throughSidecar(sidecar.url, {}, records, 1 + (k % 3), 1 + k * 5),
        single({}, records),
      );
    }
  });

  it(
    "advances carry only the slices due: exact with evictions and tombstone expiry, in every emission mode",
    { timeout: 300_000 },
    async () => {
      // Everything evicts within the file: sessions idle for a minute, tombstones after a minute.
      const scaled = {
        sessionStateTtlMs: 60_000,
        tombstoneTtlMs: 60_000,
        futureReachMs: 60_000,
        dedupTtlMs: 60_000,
      };
      const records = wire([...realisticEventLines(6_000, 60, 5)]);
      for (const emission of ["coalesced", "final", "every-change"] as const) {
        const config = { ...scaled, emission };
        const server = await startSidecar({ port: 0, config });
        try {
          const due: Stats = { calls: 0, bytes: 0, ms: {} };
          const all: Stats = { calls: 0, bytes: 0, ms: {} };
          const one = single(config, records);
          const dueOnly = await throughSidecar(server.url, config, records, 2, 100, due);
          const every = await throughSidecar(
            server.url,
            config,
            records,
            2,
            100,
            all,
            false,
            false,
          );
          expectSameFinalTables(dueOnly, one);
          expectSameFinalTables(every, one);
          // Sessions were evicted within the file and their tombstones expired (slices deleted).
          expect(due.deleted ?? 0).toBeGreaterThan(10);
          expect(due.deleted).toBe(all.deleted);
          // The due times leave slices out of calls that carry advances.
          expect(due.slicesSent!, emission).toBeLessThan(all.slicesSent!);
          console.log(
            `${emission}: slices sent with due times ${due.slicesSent}, with every slice ${all.slicesSent}`,
          );
        } finally {
          await server.close();
        }
      }
    },
  );

  it("copies a record's Kafka coordinates into its rejection envelope, as the engine does", async () => {
    const record = {
      value: '{"id":"x","type":"stream_trace","timestamp":"soon"}',
      topic: "streaming_events",
      partition: 3,
      offset: 41,
      recordTimestamp: 1_767_900_000_000,
      now: NOW,
      receivedAt: 1_767_900_000_500,
    };
    const { routes } = await ok(sidecar.url, "/v1/route", "Route", {
      protocol: 1,
      records: [record],
    });
    const key = routes[0]!.kind === "key" ? routes[0]!.key! : "any";
    const res = await ok(sidecar.url, "/v1/records", "Records", {
      protocol: 1,
      items: [{ key, slice: null, records: [record] }],
    });
    const outputs = res.items[0]!.results[0]!.outputs;
    const { value, topic, partition, offset, recordTimestamp, now, receivedAt } = record;
    const engine = createRunner(createEngine()).push({
      record: { value, topic, partition, offset, recordTimestamp },
      now,
      receivedAt,
    });
    expect(outputs).toEqual(JSON.parse(JSON.stringify(engine)));
    const rejected = outputs.find((o) => o.kind === "dlq" || o.kind === "quarantine");
    expect(rejected).toBeDefined();
    expect(JSON.stringify(rejected)).toContain('"streaming_events"');
  });

  it("takes a value that is not UTF-8 as bytes (valueBase64), as the engine does", async () => {
    const bytes = new Uint8Array([0x7b, 0x22, 0xed, 0xa0, 0x80, 0x22, 0x3a, 0x31, 0x7d]);
    const record = { value: null, valueBase64: Buffer.from(bytes).toString("base64"), now: NOW };
    const res = await ok(sidecar.url, "/v1/records", "Records", {
      protocol: 1,
      items: [{ key: "any-0", slice: null, records: [record] }],
    });
    const engine = createRunner(createEngine()).push({ record: { value: bytes }, now: NOW });
    expect(res.items[0]!.results[0]!.outputs).toEqual(JSON.parse(JSON.stringify(engine)));
    const bad = await call(sidecar.url, "/v1/route", {
      protocol: 1,
      records: [{ ...record, value: "{}" }],
    });
    expect(bad.status).toBe(400);
    expect(bad.body["detail"]).toMatch(/valueBase64 must have value null/);
  });

  it("a misrouted record is a 400", async () => {
    const lines = realEventLines();
    const r = await call(sidecar.url, "/v1/records", {
      protocol: 1,
      items: [{ key: "k", slice: null, records: [{ value: lines[0], now: NOW }] }],
    });
    expect(r.status).toBe(400);
    expect(r.body["type"]).toMatch(/#misrouted$/);
  });

  it("the error model: RFC 7807 problems for bad JSON, schema, protocol, limits, paths", async () => {
    const problem = (r: Reply, status: number, type: string): void => {
      expect(r.status).toBe(status);
      expect(r.type).toBe("application/problem+json");
      expect(r.body["status"]).toBe(status);
      expect(r.body["type"]).toMatch(new RegExp(`#${type}$`));
      expect(validateJson("Problem", r.body)).toEqual([]);
      expect(JSON.stringify(r.body)).not.toMatch(/\bat .*\.(ts|js):\d+/);
    };
    problem(await call(sidecar.url, "/v1/records", undefined, "{nope"), 400, "invalid-json");
    // Bytes that are not UTF-8 are refused, not replaced.
    const notUtf8 = Uint8Array.from([0x7b, 0x22, 0xff, 0xfe, 0x22, 0x7d]);
    problem(await call(sidecar.url, "/v1/records", undefined, notUtf8), 400, "invalid-json");
    // A session slice that is not one (the schema checks only that it is an object).
    problem(
      await call(sidecar.url, "/v1/lifecycle", {
        protocol: 1,
        shared: null,
        primary: true,
        items: [{ key: "s", slice: { session: { foo: 1 } } }],
        inputs: [],
      }),
      400,
      "invalid-state",
    );
    // A lifecycle item the engine cannot apply is the request's fault: 400, not 500.
    problem(
      await call(sidecar.url, "/v1/lifecycle", {
        protocol: 1,
        shared: null,
        primary: true,
        items: [{ key: "k", slice: null }],
        inputs: [{ item: { event: {}, input: {}, now: 1 } }],
      }),
      400,
      "invalid-input",
    );
    const schema = await call(sidecar.url, "/v1/records", { protocol: 1, items: [{ key: "" }] });
    problem(schema, 400, "schema-violation");
    expect(schema.body["errors"]).toEqual(
      expect.arrayContaining([{ path: "/items/0", message: 'must have property "slice"' }]),
    );
    problem(
      await call(sidecar.url, "/v1/lifecycle", {
        protocol: 2,
        shared: null,
        items: [],
        inputs: [],
      }),
      400,
      "unsupported-protocol",
    );
    problem(
      await call(sidecar.url, "/v1/lifecycle", {
        protocol: 1,
        shared: { v: 2, mode: "correction" },
        primary: true,
        items: [],
        inputs: [],
      }),
      400,
      "invalid-state",
    );
    const many = Array.from({ length: 5_001 }, () => ({ value: null, now: NOW }));
    problem(
      await call(sidecar.url, "/v1/route", { protocol: 1, records: many }),
      413,
      "batch-too-large",
    );
    const big = "x".repeat(4_000_001);
    problem(
      await call(sidecar.url, "/v1/route", { protocol: 1, records: [{ value: big, now: NOW }] }),
      413,
      "body-too-large",
    );
    problem(
      await call(sidecar.url, "/v1/clock", {
        protocol: 1,
        clock: { frontier: 5, newestEventTs: [1, 2], watermark: null, flushed: false },
        eventTimes: [],
      }),
      400,
      "invalid-state",
    );
    problem(await call(sidecar.url, "/v2/records", {}), 404, "not-found");
    problem(await call(sidecar.url, "/v1/records"), 405, "method-not-allowed");
    // A bad record never fails a batch: it comes back as a DLQ output.
    const res = await ok(sidecar.url, "/v1/records", "Records", {
      protocol: 1,
      items: [{ key: "any", slice: null, records: [{ value: "{", now: NOW, offset: 9 }] }],
    });
    expect(res.items[0]!.results[0]!.outputs).toContainEqual(
      expect.objectContaining({ kind: "dlq" }),
    );
    expect(res.items[0]!.slice).toBeNull();
    // After a flush, a partition takes no input: an engine usage error.
    const flushed = await ok(sidecar.url, "/v1/lifecycle", "Lifecycle", {
      protocol: 1,
      shared: null,
      primary: true,
      items: [],
      inputs: [{ flush: { newestEventTime: null } }],
    });
    problem(
      await call(sidecar.url, "/v1/lifecycle", {
        protocol: 1,
        shared: flushed.shared,
        primary: true,
        items: [],
        inputs: [{ advance: 5 }],
      }),
      400,
      "engine-usage",
    );
  });
});
