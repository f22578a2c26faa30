// Coalesced emission (issue 10 item 2): between two `advance` / `flush` calls a versioned row
// identity is emitted at most once, with its latest content; final tables are those of
// emit-on-every-change (with the same versions in reference-compat; in correction mode the operator
// emits a changed session once per advance, so versions count fewer emissions).
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { realEventLines } from "@livepeer-analytics/testing/fixtures";
import { isVersionedTable, rowIdentity } from "../lifecycle/identity.js";
import { resolveEngineConfig, type EngineConfigInput } from "./config.js";
import { createEngine, type Engine, type EngineOutput, type EngineState } from "./engine.js";
import { collectFinalTables } from "./results.js";

const NOW = 1_800_000_000_000;
const PROPERTY_TIMEOUT_MS = 240_000;
const lines = realEventLines();
const sessionLines = lines.filter((l) => !l.includes('"network_capabilities"'));
const capabilityLine = lines.find((l) => l.includes('"network_capabilities"'))!;
const CANON = "0xd00354656922168815fcd1e51cbddb9e359e3c7f";
const HOT2 = "0xedd45674825cd5a27c4c645014f37b9e402fdcbe";
const OTHER = "0x5263e0ce3a97b634d8828ce4337ad0f70b30b077";
const tsOf = (line: string): number =>
  Number((JSON.parse(line) as { timestamp: string }).timestamp);

/**
 * One host action: a record, an advance (to `nextWatermark`, or to an explicit watermark), or a
 * snapshot/restore of the state.
 */
type Op =
  | { readonly kind: "record"; readonly value: string }
  | { readonly kind: "next" }
  | { readonly kind: "advance"; readonly to: number }
  | { readonly kind: "snapshot" };

/**
 * A copy of a session line with another id, stream and request (suffix), shifted in time, and
 * `orchestrator_info.address` replaced when `hot` is given.
 */
function sessionCopy(line: string, c: number, shiftMs: number, hot: string | null): string {
  const e = JSON.parse(line) as Record<string, unknown>;
  e["id"] = `${String(e["id"])}-c${c}`;
  e["timestamp"] = String(Number(e["timestamp"]) + shiftMs);
  const d = e["data"];
  if (typeof d === "object" && d !== null && !Array.isArray(d)) {
    const data = d as Record<string, unknown>;
    for (const k of ["stream_id", "request_id", "requestID"])
      if (typeof data[k] === "string") data[k] += `-c${c}`;
    if (typeof data["timestamp"] === "number") data["timestamp"] += shiftMs;
    const info = data["orchestrator_info"] as Record<string, unknown> | undefined;
    if (hot !== null && typeof info === "object" && info !== null && info["address"] !== "")
      info["address"] = hot;
  }
  return JSON.stringify(e);
}

/** The real capability event with another id and time, mapping `hot` to `canonical`. */
function capabilityCopy(id: string, timestamp: number, hot: string, canonical: string): string {
  const e = JSON.parse(capabilityLine) as Record<string, unknown>;
  e["id"] = id;
  e["timestamp"] = String(timestamp);
  const orch = (e["data"] as Record<string, unknown>[])[0]!;
  orch["address"] = canonical;
  orch["local_address"] = hot;
  return JSON.stringify(e);
}

interface Run {
  /** Outputs of each transition, in order, tagged with the transition. */
  readonly batches: { readonly op: "step" | "advance" | "flush"; readonly out: EngineOutput[] }[];
}

/** Runs `ops` then `flush` through the in-place API (snapshots round-trip the state). */
function runInPlace(engine: Engine, ops: readonly Op[]): Run {
  let state = engine.init();
  const batches: Run["batches"] = [];
  let offset = 0;
  ops.forEach((op) => {
    if (op.kind === "record")
      batches.push({
        op: "step",
        out: engine.stepInPlace(state, { record: { value: op.value, offset: offset++ }, now: NOW }),
      });
    else if (op.kind === "next") {
      const w = engine.nextWatermark(state);
      if (w !== null) batches.push({ op: "advance", out: engine.advanceInPlace(state, w) });
    } else if (op.kind === "advance")
      batches.push({ op: "advance", out: engine.advanceInPlace(state, op.to) });
    else {
      const r = engine.restore(engine.snapshot(state));
      if (!r.ok) throw new Error(r.error.message);
      state = r.state;
    }
  });
  batches.push({ op: "flush", out: engine.flushInPlace(state) });
  return { batches };
}

/** The same through the pure API (immer), skipping snapshots. */
function runPure(engine: Engine, ops: readonly Op[]): Run {
  let state: EngineState = engine.init();
  const batches: Run["batches"] = [];
  let offset = 0;
  ops.forEach((op) => {
    if (op.kind === "record") {
      const r = engine.step(state, { record: { value: op.value, offset: offset++ }, now: NOW });
      batches.push({ op: "step", out: [...r.outputs] });
      state = r.state;
    } else if (op.kind === "next" || op.kind === "advance") {
      const w = op.kind === "next" ? engine.nextWatermark(state) : op.to;
      if (w === null) return;
      const r = engine.advance(state, w);
      batches.push({ op: "advance", out: [...r.outputs] });
      state = r.state;
    }
  });
  batches.push({ op: "flush", out: [...engine.flush(state).outputs] });
  return { batches };
}

const all = (run: Run): EngineOutput[] => run.batches.flatMap((b) => b.out);

/**
 * Final tables as the bytes a reader would store: each table's final rows as JSON (tables by
 * name: one file per table), then the rejections and counters.
 */
function finalBytes(outputs: readonly EngineOutput[], versions = true): string[] {
  const f = collectFinalTables(outputs);
  const strip = (rows: unknown): unknown =>
    versions
      ? rows
      : (rows as Record<string, unknown>[])
          .flatMap((r) =>
            // A segment retracted before it was ever published has no row in coalesced mode.
            r["is_retracted"] === 1 ? [] : [JSON.stringify({ ...r, version: undefined })],
          )
          // Deferred emission publishes identities in another order: compare the sets.
          .sort();
  return [
    ...Object.keys(f.tables)
      .sort()
      .map((t) => `${t} ${JSON.stringify(strip(f.tables[t]))}`),
    JSON.stringify(f.dlq),
    JSON.stringify(f.quarantine),
    JSON.stringify(f.counters),
  ];
}

/**
 * The identities retracted in a run's final tables. Coalesced emission may have fewer (a segment
 * gone by the next advance is never published, so it needs no retraction), never others; a
 * retraction repeats the content last published, which coalescing may publish less often.
 */
function retracted(outputs: readonly EngineOutput[]): Set<string> {
  const f = collectFinalTables(outputs);
  const out = new Set<string>();
  for (const [t, rows] of Object.entries(f.tables))
    for (const r of rows as Record<string, unknown>[])
      if (r["is_retracted"] === 1) out.add(`${t}\u0001${rowIdentity(t, r)}`);
  return out;
}

/** Coalesced final tables: the every-change ones, versions aside, less unpublished retractions. */
function expectSameFinals(
  coalesced: readonly EngineOutput[],
  every: readonly EngineOutput[],
): void {
  expect(finalBytes(coalesced, false)).toEqual(finalBytes(every, false));
  const all = retracted(every);
  for (const key of retracted(coalesced)) expect(all.has(key)).toBe(true);
}

const keyOf = (o: EngineOutput): string | null =>
  o.kind === "row" && isVersionedTable(o.table)
    ? `${o.table}\u0001${rowIdentity(o.table, o.row)}`
    : null;
const versionOf = (o: EngineOutput): number => (o as { row: { version: number } }).row.version;

/**
 * Coalesced-emission invariants of a run: steps emit no versioned row; every advance / flush
 * emits each versioned identity at most once; an identity's versions strictly increase from one
 * interval to the next.
 */
function checkCoalesced(run: Run): void {
  const last = new Map<string, number>();
  for (const b of run.batches) {
    const seen = new Set<string>();
    for (const o of b.out) {
      const key = keyOf(o);
      if (key === null) continue;
      expect(b.op).not.toBe("step");
      expect(seen.has(key), `${b.op} ${key}`).toBe(false);
      seen.add(key);
      const v = versionOf(o);
      const before = last.get(key);
      if (before !== undefined) expect(v).toBeGreaterThan(before);
      last.set(key, v);
    }
  }
}

/** Final-emission invariant of a run: every versioned identity is emitted exactly once. */
function checkFinal(run: Run): void {
  const seen = new Set<string>();
  for (const o of all(run)) {
    const key = keyOf(o);
    if (key === null) continue;
    expect(seen.has(key), key).toBe(false);
    seen.add(key);
  }
}

/** Every run of `ops` in both modes (in place), and the pure coalesced run. */
function bothModes(config: EngineConfigInput, ops: readonly Op[]) {
  const every = runInPlace(createEngine({ ...config, emission: "every-change" }), ops);
  const coalesced = runInPlace(createEngine({ ...config, emission: "coalesced" }), ops);
  return { every, coalesced };
}

describe("emission configuration", () => {
  it("defaults to coalesced, accepts every-change, rejects anything else", () => {
    const d = resolveEngineConfig({});
    const e = resolveEngineConfig({ emission: "every-change" });
    if (!d.ok || !e.ok) throw new Error("config");
    expect(d.config.emission).toBe("coalesced");
    expect(e.config.emission).toBe("every-change");
    const bad = resolveEngineConfig({ emission: "sometimes" } as unknown as EngineConfigInput);
    expect(bad.ok).toBe(false);
    expect(() => createEngine({ emission: "x" } as unknown as EngineConfigInput)).toThrow(
      /emission/,
    );
  });
});

describe("coalesced emission over the real 2026-01-08 event log", () => {
  const ops: Op[] = lines.flatMap((value): Op[] => [{ kind: "record", value }, { kind: "next" }]);

  for (const preset of ["correction", "reference-compat"] as const) {
    // In correction mode the operator emits a changed session's rows once per advance, so their
    // versions count fewer emissions; reference-compat keeps every version.
    const versions = preset === "reference-compat";
    it(`${preset}: byte-identical final tables (versions ${versions ? "included" : "aside"}), fewer outputs`, () => {
      const config: EngineConfigInput = { preset, edgeSemanticsVersions: ["v1", "v2"] };
      const { every, coalesced } = bothModes(config, ops);
      if (versions) expect(finalBytes(all(coalesced))).toEqual(finalBytes(all(every)));
      else expectSameFinals(all(coalesced), all(every));
      checkCoalesced(coalesced);
      const sessions = (r: Run) =>
        all(r).filter((o) => o.kind === "row" && o.table === "fact_workflow_sessions").length;
      // Every one of the 23 signals changes the session row; the log spans a few intervals.
      expect(sessions(every)).toBeGreaterThanOrEqual(23);
      expect(sessions(coalesced)).toBeLessThan(sessions(every));
      expect(all(coalesced).length).toBeLessThan(all(every).length);
      // Non-versioned outputs are the same, in the same order.
      const plain = (r: Run) => all(r).filter((o) => keyOf(o) === null);
      expect(plain(coalesced)).toEqual(plain(every));
    });
  }

  it("default mode: the pure API emits exactly what the in-place API emits", () => {
    const engine = createEngine();
    expect(runPure(engine, ops)).toEqual(runInPlace(engine, ops));
  });

  it("held rows survive snapshot/restore; advance without a watermark move releases them", () => {
    const engine = createEngine();
    const state = engine.init();
    for (const [i, value] of lines.slice(0, 30).entries())
      expect(
        engine
          .stepInPlace(state, { record: { value, offset: i }, now: NOW })
          .some((o) => keyOf(o) !== null),
      ).toBe(false);
    expect(Object.keys(state.coalesced ?? {}).length).toBeGreaterThan(0);
    const restored = engine.restore(engine.snapshot(state));
    if (!restored.ok) throw new Error(restored.error.message);
    expect(restored.state).toEqual(JSON.parse(JSON.stringify(state)));
    // `restore` validates the held rows like the rest of the state.
    const doc = JSON.parse(engine.snapshot(state)) as { state: EngineState };
    const first = Object.keys(doc.state.coalesced!)[0]!;
    (doc.state.coalesced![first] as { table: string }).table = "raw_ai_stream_status";
    const broken = engine.restore(JSON.stringify(doc));
    expect(broken.ok).toBe(false);
    if (!broken.ok) expect(broken.error.message).toContain("coalesced");
    const w = engine.nextWatermark(state)!;
    const a = engine.advanceInPlace(state, w);
    const b = engine.advanceInPlace(restored.state, w);
    expect(b).toEqual(a);
    expect(a.some((o) => keyOf(o) !== null)).toBe(true);
    expect(state.coalesced).toBeUndefined();
    // Rows held after the last advance come out at the next advance call, even one that does
    // not move the watermark.
    engine.stepInPlace(state, { record: { value: lines[30]!, offset: 30 }, now: NOW });
    expect(state.coalesced).toBeDefined();
    expect((state.lifecycle as { dirty?: string[] }).dirty).toHaveLength(1);
    const again = engine.advanceInPlace(state, w);
    // The session the record changed comes out too, not only the rows the engine held.
    expect(again.some((o) => o.kind === "row" && o.table === "fact_workflow_sessions")).toBe(true);
    expect(again.some((o) => o.kind === "row" && o.table === "fact_lifecycle_edge_coverage")).toBe(
      true,
    );
    expect((state.lifecycle as { dirty?: string[] }).dirty).toBeUndefined();
    expect(state.coalesced).toBeUndefined();
  });

  it("a segment that appears and is retracted within one interval is never published in coalesced mode", () => {
    // The session switches to a second hot wallet halfway; that wallet first maps to another
    // orchestrator (a second segment), then a later-arriving snapshot makes it ambiguous (the
    // re-fold has one segment again: index 1 is retracted). Nothing advances in between.
    const switchAt = 30;
    const switchTs = tsOf(sessionLines[switchAt]!);
    const ops: Op[] = [
      { kind: "record", value: capabilityLine },
      { kind: "record", value: capabilityCopy("cap-2", switchTs - 500, HOT2, OTHER) },
      ...sessionLines.map((l, i): Op => ({
        kind: "record",
        value: sessionCopy(l, 0, 0, i >= switchAt ? HOT2 : null),
      })),
      { kind: "record", value: capabilityCopy("cap-3", switchTs - 400, HOT2, CANON) },
    ];
    const { every, coalesced } = bothModes({}, ops);
    const segments = (r: Run) =>
      all(r).flatMap((o) =>
        o.kind === "row" && o.table === "fact_workflow_session_segments"
          ? [o.row as unknown as Record<string, unknown>]
          : [],
      );
    const index1 = segments(every).filter((r) => r["segment_index"] === 1);
    // Emitted (and revised) while it existed, then retracted: all before the first advance.
    expect(index1.some((r) => r["is_retracted"] === 0)).toBe(true);
    expect(index1.at(-1)!["is_retracted"]).toBe(1);
    const c1 = segments(coalesced).filter((r) => r["segment_index"] === 1);
    // Coalesced: index 1 is gone by the first advance, so it is never published nor retracted.
    expect(c1).toEqual([]);
    expectSameFinals(all(coalesced), all(every));
    checkCoalesced(coalesced);
  });
});

describe("final emission over the real 2026-01-08 event log", () => {
  const ops: Op[] = lines.flatMap((value): Op[] => [{ kind: "record", value }, { kind: "next" }]);

  for (const preset of ["correction", "reference-compat"] as const) {
    it(`${preset}: each identity once, the final tables of every-change`, () => {
      const config: EngineConfigInput = { preset, edgeSemanticsVersions: ["v1", "v2"] };
      const every = runInPlace(createEngine({ ...config, emission: "every-change" }), ops);
      const final = runInPlace(createEngine({ ...config, emission: "final" }), ops);
      checkFinal(final);
      expectSameFinals(all(final), all(every));
      if (preset === "reference-compat") {
        // Held until flush: same versions as every-change.
        expect(finalBytes(all(final))).toEqual(finalBytes(all(every)));
        for (const b of final.batches)
          if (b.op !== "flush") expect(b.out.filter((o) => keyOf(o) !== null)).toEqual([]);
      }
      // Non-versioned outputs are the same, in the same order.
      const plain = (r: Run) => all(r).filter((o) => keyOf(o) === null);
      expect(plain(final)).toEqual(plain(every));
    });
  }

  it("correction: samples come out when sealed, a session's rows when it is evicted", () => {
    const last = Math.max(...lines.map((l) => tsOf(l)));
    const config: EngineConfigInput = { sessionStateTtlMs: 1_800_000, tombstoneTtlMs: 60_000 };
    // Past the 10-minute future reach (everything seals), then past the state TTL (eviction).
    const evicting: Op[] = [
      ...ops,
      { kind: "advance", to: last + 660_000 },
      { kind: "advance", to: last + 3_600_000 },
    ];
    const final = runInPlace(createEngine({ ...config, emission: "final" }), evicting);
    const every = runInPlace(createEngine({ ...config, emission: "every-change" }), evicting);
    checkFinal(final);
    expectSameFinals(all(final), all(every));
    const [sealing, evicted, flush] = final.batches.slice(-3);
    const rows = (b: Run["batches"][number], table: string) =>
      b.out.filter((o) => o.kind === "row" && o.table === table).length;
    expect(rows(sealing!, "fact_stream_status_samples")).toBeGreaterThan(0);
    expect(rows(sealing!, "fact_workflow_sessions")).toBe(0);
    expect(rows(evicted!, "fact_workflow_sessions")).toBe(1);
    expect(rows(evicted!, "fact_workflow_latency_samples")).toBe(1);
    expect(flush!.op).toBe("flush");
    expect(flush!.out.filter((o) => keyOf(o) !== null)).toEqual([]);
  });
});

describe("property: coalesced and every-change emission", () => {
  // Streams built from the real session: 1–3 copies shifted by up to 5 minutes, some switching to
  // a second hot wallet part-way; extra capability snapshots mapping either wallet to either
  // orchestrator, often a pair that first separates the second wallet and then, arriving anywhere,
  // makes it ambiguous; arrival jittered by up to 0 s, 30 s (on time) or 200 s (late: corrections,
  // retractions); duplicates re-sent a few records later; after each record the host advances to
  // `nextWatermark`, does nothing, advances to an explicit watermark (possibly not moving it), or
  // snapshots and restores the state.
  const stream = fc
    .record({
      copies: fc.array(
        fc.record({
          shift: fc.integer({ min: 0, max: 300_000 }),
          switchAt: fc.option(fc.integer({ min: 1, max: sessionLines.length - 1 })),
        }),
        { minLength: 1, maxLength: 3 },
      ),
      caps: fc.array(
        fc.record({
          hot2: fc.constantFrom(true, true, false),
          other: fc.boolean(),
          shift: fc.integer({ min: -200_000, max: 200_000 }),
        }),
        { maxLength: 4 },
      ),
      maxJitter: fc.constantFrom(0, 30_000, 200_000),
      jitter: fc.array(fc.nat({ max: 1_000_000 }), { minLength: 64, maxLength: 64 }),
      dups: fc.array(fc.tuple(fc.nat(), fc.integer({ min: 1, max: 6 })), { maxLength: 6 }),
      actions: fc.array(fc.constantFrom(0, 0, 0, 1, 1, 2, 3), { minLength: 32, maxLength: 32 }),
      back: fc.integer({ min: -5_000, max: 120_000 }),
      ambiguity: fc.option(fc.nat(), { freq: 2 }),
    })
    .map(({ copies, caps, maxJitter, jitter, dups, actions, back, ambiguity }) => {
      const events: { value: string; ts: number }[] = [
        { value: capabilityLine, ts: tsOf(capabilityLine) },
      ];
      caps.forEach((c, i) => {
        const ts = tsOf(capabilityLine) + c.shift;
        const value = capabilityCopy(
          `cap-${i}`,
          ts,
          c.hot2 ? HOT2 : "0x52cf2968b3dc6016778742d3539449a6597d5954",
          c.other ? OTHER : CANON,
        );
        events.push({ value, ts });
      });
      copies.forEach(({ shift, switchAt }, c) => {
        sessionLines.forEach((l, i) => {
          const value = sessionCopy(l, c, shift, switchAt !== null && i >= switchAt ? HOT2 : null);
          events.push({ value, ts: tsOf(value) });
        });
      });
      const arrival = events
        .map((e, i) => ({ ...e, key: e.ts + (jitter[i % jitter.length]! % (maxJitter + 1)) }))
        .sort((a, b) => a.key - b.key)
        .map((e) => e.value);
      // The first switching copy's second wallet maps to the other orchestrator just before the
      // switch; a snapshot arriving anywhere makes it ambiguous (re-folds, retractions).
      const switching = copies.findIndex((c) => c.switchAt !== null);
      if (ambiguity !== null && switching >= 0) {
        const { shift, switchAt } = copies[switching]!;
        const at = tsOf(sessionLines[switchAt!]!) + shift;
        arrival.unshift(capabilityCopy("cap-other", at - 500, HOT2, OTHER));
        arrival.splice(
          ambiguity % (arrival.length + 1),
          0,
          capabilityCopy("cap-ambiguous", at - 400, HOT2, CANON),
        );
      }
      for (const [at, gap] of dups) {
        const i = at % arrival.length;
        arrival.splice(Math.min(arrival.length, i + gap), 0, arrival[i]!);
      }
      const ops: Op[] = [];
      arrival.forEach((value, i) => {
        ops.push({ kind: "record", value });
        const a = actions[i % actions.length]!;
        if (a === 0) ops.push({ kind: "next" });
        else if (a === 2) ops.push({ kind: "advance", to: tsOf(value) - back });
        else if (a === 3) ops.push({ kind: "snapshot" });
      });
      return ops;
    });
  const config = fc.record({
    preset: fc.constantFrom("correction", "reference-compat"),
    advanceGranularityMs: fc.constantFrom(0, 1_000, 60_000),
    edgeSemanticsVersions: fc.constantFrom<("v1" | "v2")[]>(["v1"], ["v1", "v2"]),
    emitServingFact: fc.boolean(),
    // Tight caps force seals in the middle of a session (and tight TTLs evict) in some runs.
    maxUnsealedSignalsPerSession: fc.constantFrom(2048, 3),
    maxRetainedRowsPerSession: fc.constantFrom(4096, 2),
    sessionStateTtlMs: fc.constantFrom(604_800_000, 1_000),
  });

  it(
    "identical final tables (versions aside); each identity at most once per interval, versions increasing",
    () => {
      fc.assert(
        fc.property(stream, config, (ops, cfg) => {
          const { every, coalesced } = bothModes(cfg, ops);
          expectSameFinals(all(coalesced), all(every));
          checkCoalesced(coalesced);
          // Same non-versioned outputs (raw rows, DLQ, quarantine, counters), same order.
          expect(all(coalesced).filter((o) => keyOf(o) === null)).toEqual(
            all(every).filter((o) => keyOf(o) === null),
          );
        }),
        { numRuns: 80 },
      );
    },
    PROPERTY_TIMEOUT_MS,
  );

  it(
    "final emission: each identity exactly once, the final tables of every-change",
    () => {
      fc.assert(
        fc.property(stream, config, (ops, cfg) => {
          const every = runInPlace(createEngine({ ...cfg, emission: "every-change" }), ops);
          const final = runInPlace(createEngine({ ...cfg, emission: "final" }), ops);
          checkFinal(final);
          expectSameFinals(all(final), all(every));
          expect(all(final).filter((o) => keyOf(o) === null)).toEqual(
            all(every).filter((o) => keyOf(o) === null),
          );
        }),
        { numRuns: 60 },
      );
    },
    PROPERTY_TIMEOUT_MS,
  );

  it(
    "the pure API emits exactly what the in-place API emits",
    () => {
      fc.assert(
        fc.property(stream, (ops) => {
          const engine = createEngine();
          const inPlace = runInPlace(
            engine,
            ops.filter((o) => o.kind !== "snapshot"),
          );
          expect(runPure(engine, ops)).toEqual(inPlace);
        }),
        { numRuns: 15 },
      );
    },
    PROPERTY_TIMEOUT_MS,
  );
});

describe("snapshots saved with the last session row itself (before it was kept as a digest)", () => {
  for (const emission of ["every-change", "coalesced"] as const) {
    it(`${emission}: restore upgrades the row to its digest; the run continues exactly as from a current snapshot`, () => {
      const engine = createEngine({ emission });
      const feedRange = (state: EngineState, from: number, to: number): EngineOutput[] => {
        const out: EngineOutput[] = [];
        for (let i = from; i < to; i++) {
          out.push(
            ...engine.stepInPlace(state, { record: { value: lines[i]!, offset: i }, now: NOW }),
          );
          const w = engine.nextWatermark(state);
          if (w !== null) out.push(...engine.advanceInPlace(state, w));
        }
        return out;
      };
      const cut = Math.floor(lines.length / 2);
      const state = engine.init();
      const before = feedRange(state, 0, cut);
      const snapshot = engine.snapshot(state);
      // The same snapshot as saved by correction-state version 2: a session's `lastSession` is
      // the session row last emitted (with its version).
      const lastRow = new Map<string, unknown>();
      for (const o of before)
        if (o.kind === "row" && o.table === "fact_workflow_sessions")
          lastRow.set(o.row.workflow_session_id, o.row);
      const doc = JSON.parse(snapshot) as {
        state: { lifecycle: { v: number; sessions: Record<string, { lastSession: unknown }> } };
      };
      doc.state.lifecycle.v = 2;
      let converted = 0;
      for (const [id, cs] of Object.entries(doc.state.lifecycle.sessions)) {
        if (cs.lastSession === null) continue;
        expect(cs.lastSession).toMatch(/^[A-Za-z0-9_-]{22}$/);
        cs.lastSession = lastRow.get(id);
        expect(cs.lastSession).toBeDefined();
        converted += 1;
      }
      expect(converted).toBeGreaterThan(0);
      const old = engine.restore(JSON.stringify(doc));
      const current = engine.restore(snapshot);
      if (!old.ok) throw new Error(old.error.message);
      if (!current.ok) throw new Error(current.error.message);
      expect(old.state).toEqual(current.state);
      const rest = (s: EngineState): EngineOutput[] => [
        ...feedRange(s, cut, lines.length),
        ...engine.flushInPlace(s),
      ];
      const expected = rest(state);
      expect(expected.some((o) => o.kind === "row" && o.table === "fact_workflow_sessions")).toBe(
        true,
      );
      expect(rest(old.state)).toEqual(expected);
      expect(rest(current.state)).toEqual(expected);
    });
  }
});
