// The partitioned engine (issue 13 item 1): for any input, any number of partitions and any
// assignment of keys to partitions, running the partitions separately — the record stage keyed by
// dedup key, the lifecycle stage keyed by session with capability snapshots broadcast, the
// watermark from the host's event clock — gives exactly the single engine's final tables.
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import {
  mutatedEnvelopeArbitrary,
  recordValueArbitrary,
  sessionEventsArbitrary,
} from "@livepeer-analytics/testing";
import { realEventLines } from "@livepeer-analytics/testing/fixtures";
import type { JsonObject } from "../primitives/json.js";
import type { EngineConfigInput } from "./config.js";
import { createEngine, type EngineInput, type EngineOutput, type EngineState } from "./engine.js";
import {
  assembleState,
  assembleStateInPlace,
  clockOf,
  createPartitionedEngine,
  mergeStates,
  sliceState,
  sliceStateInPlace,
  splitState,
  type EventClock,
  type LifecycleItem,
} from "./partition.js";
import { canonicalFinalTables } from "./results.js";

const NOW = 1_800_000_000_000;
const START = 1_767_900_000_000;
const PROPERTY_TIMEOUT_MS = 300_000;
const lines = realEventLines();

function runSingle(config: EngineConfigInput, inputs: readonly EngineInput[]): EngineOutput[] {
  const engine = createEngine(config);
  const state = engine.init();
  const out: EngineOutput[] = [];
  for (const input of inputs) {
    out.push(...engine.stepInPlace(state, input));
    const w = engine.nextWatermark(state);
    if (w !== null) out.push(...engine.advanceInPlace(state, w));
  }
  out.push(...engine.flushInPlace(state));
  return out;
}

/** How the host spreads work over `n` partitions. */
interface Assignment {
  readonly n: number;
  /** Partition of a record-stage key (a dedup-key digest). */
  readonly dedup: (key: string) => number;
  /** Partition of a lifecycle-stage key (a session id). */
  readonly session: (key: string) => number;
  /** Partition of a record any partition may take (by its position in the stream). */
  readonly any: (position: number) => number;
  /** The partition that emits what a broadcast makes once. */
  readonly primary: number;
  /** Every this many records, each partition state goes through `snapshot` / `restore`. */
  readonly restoreEvery: number;
}

/** Where a run changes hands: from a single engine to partitions, and from n to n' partitions. */
interface Plan {
  /** After this many records, the single engine's state is split into the partitions. */
  readonly handoffAt: number | null;
  /** Every this many records, the partitions are merged and split again with the next of `rescaleTo`. */
  readonly rescaleEvery: number | null;
  /** The assignments the rescales cycle through. */
  readonly rescaleTo: readonly Assignment[];
}

/** A reference host: every partition in one process, fed in stream order. */
function runPartitioned(
  config: EngineConfigInput,
  inputs: readonly EngineInput[],
  first: Assignment,
  plan: Plan = { handoffAt: null, rescaleEvery: null, rescaleTo: [] },
): EngineOutput[] {
  const p = createPartitionedEngine(config);
  const out: EngineOutput[] = [];
  let a = first;
  let parts: EngineState[];
  let clock: EventClock;
  let from = 0;
  if (plan.handoffAt === null) {
    parts = Array.from({ length: a.n }, () => p.init());
    clock = p.initClock();
  } else {
    const engine = p.engine;
    const state = engine.init();
    for (const input of inputs.slice(0, plan.handoffAt)) {
      out.push(...engine.stepInPlace(state, input));
      const w = engine.nextWatermark(state);
      if (w !== null) out.push(...engine.advanceInPlace(state, w));
    }
    parts = splitState(state, a.n, a);
    clock = clockOf(state);
    from = plan.handoffAt;
  }
  inputs.slice(from).forEach((input, j) => {
    const i = from + j;
    const route = p.routeRecord(input);
    const r = p.recordStageInPlace(
      parts[route.kind === "key" ? a.dedup(route.key) : a.any(i)]!,
      input,
    );
    out.push(...r.outputs);
    p.observeInPlace(clock, r.eventTime);
    if (r.item !== null) {
      // Items cross the wire between the stages as JSON.
      const item = JSON.parse(JSON.stringify(r.item)) as LifecycleItem;
      const to = p.routeItem(item);
      if (to.kind === "key")
        out.push(...p.lifecycleStageInPlace(parts[a.session(to.key)]!, item, true));
      else parts.forEach((s, k) => out.push(...p.lifecycleStageInPlace(s, item, k === a.primary)));
    }
    const w = p.nextWatermark(clock);
    if (w !== null) {
      p.advanceClockInPlace(clock, w);
      for (const s of parts) out.push(...p.advanceInPlace(s, w));
    }
    if ((i + 1) % a.restoreEvery === 0)
      parts = parts.map((s) => {
        const r = p.engine.restore(JSON.stringify(JSON.parse(p.engine.snapshot(s))));
        if (!r.ok) throw new Error(r.error.message);
        return r.state;
      });
    if (plan.rescaleEvery !== null && (j + 1) % plan.rescaleEvery === 0) {
      const next = plan.rescaleTo[((j + 1) / plan.rescaleEvery) % plan.rescaleTo.length]!;
      parts = splitState(mergeStates(parts, clock), next.n, next);
      a = next;
    }
  });
  for (const s of parts) out.push(...p.flushInPlace(s, clock));
  out.push(...p.flushClockInPlace(clock));
  return out;
}

/**
 * The partitioned run's final tables equal the single run's. The one documented exception:
 * `relevant_evictions` counts per partition (a capability eviction relevant to sessions of two
 * partitions counts twice), so it is at least the single engine's, and equal with one partition.
 */
function expectSameFinalTables(
  parted: readonly EngineOutput[],
  single: readonly EngineOutput[],
  onePartition: boolean,
): void {
  const p = canonicalFinalTables(parted);
  const s = canonicalFinalTables(single);
  const pr = p.counters["relevant_evictions"] ?? 0;
  const sr = s.counters["relevant_evictions"] ?? 0;
  if (onePartition) expect(pr).toBe(sr);
  else expect(pr).toBeGreaterThanOrEqual(sr);
  delete p.counters["relevant_evictions"];
  delete s.counters["relevant_evictions"];
  expect(p).toEqual(s);
}

/** A copy of an envelope with the same id (hence dedup key) and another session. */
function sameIdOtherSession(e: JsonObject, suffix: string): string {
  const copy = JSON.parse(JSON.stringify(e)) as Record<string, unknown>;
  const d = copy["data"];
  if (typeof d === "object" && d !== null && !Array.isArray(d)) {
    const data = d as Record<string, unknown>;
    for (const k of ["stream_id", "request_id", "requestID"])
      if (typeof data[k] === "string") data[k] += suffix;
  }
  return JSON.stringify(copy);
}

const configArbitrary: fc.Arbitrary<EngineConfigInput> = fc.record({
  preset: fc.constantFrom("correction" as const, "reference-compat" as const),
  emission: fc.constantFrom("coalesced" as const, "final" as const, "every-change" as const),
  // Short windows too, so that dedup entries expire, signals seal late and sessions are evicted.
  dedupTtlMs: fc.constantFrom(86_400_000, 20_000),
  allowedLatenessMs: fc.constantFrom(60_000, 2_000),
  sessionStateTtlMs: fc.constantFrom(604_800_000, 15_000),
  tombstoneTtlMs: fc.constantFrom(604_800_000, 30_000),
  advanceGranularityMs: fc.constantFrom(1_000, 0, 20_000),
  initialEmitDelayMs: fc.constantFrom(15_000, 0),
  // 1: the capability cap evicts, so relevant evictions (counted per partition) occur.
  maxCandidatesPerKey: fc.constantFrom(32, 1),
});

/**
 * A copy of an envelope with a new id, moved `shiftMs` later (envelope and payload times): a late
 * capability snapshot, or a signal that reaches its session after a long gap (eviction, tombstone).
 */
function echo(e: JsonObject, n: number, shiftMs: number): string {
  const copy = JSON.parse(JSON.stringify(e)) as Record<string, unknown>;
  copy["id"] = `echo-${n}`;
  copy["timestamp"] = Number(copy["timestamp"]) + shiftMs;
  const d = copy["data"];
  if (typeof d === "object" && d !== null && !Array.isArray(d)) {
    const data = d as Record<string, unknown>;
    if (typeof data["timestamp"] === "number") data["timestamp"] += shiftMs;
  }
  return JSON.stringify(copy);
}

/** Records of generated sessions mixed with hostile ones, as engine inputs. */
const inputsArbitrary: fc.Arbitrary<EngineInput[]> = sessionEventsArbitrary({
  maxSessions: 5,
  maxDuplicates: 6,
}).chain(({ events, records }) => {
  const hostile = fc.oneof(
    recordValueArbitrary(),
    mutatedEnvelopeArbitrary(fc.constantFrom(...events)).map((m) => JSON.stringify(m.value)),
    fc
      .tuple(fc.constantFrom(...events), fc.constantFrom("-x", "-y"))
      .map(([e, s]) => sameIdOtherSession(e, s)),
    fc
      .tuple(fc.constantFrom(...events), fc.nat(), fc.integer({ min: 1_000, max: 900_000 }))
      .map(([e, n, shift]) => echo(e, n, shift)),
  );
  return fc
    .tuple(
      fc.array(fc.tuple(fc.nat(records.length), hostile), { maxLength: 10 }),
      fc.option(fc.integer({ min: -600_000, max: 1_800_000 }), { freq: 3 }),
    )
    .map(([extra, receivedOffset]) => {
      const values: (string | Uint8Array | null)[] = [...records];
      for (const [at, v] of extra) values.splice(at, 0, v);
      return values.map((value, i): EngineInput => ({
        record: { value, offset: i },
        now: NOW,
        ...(receivedOffset === null ? {} : { receivedAt: START + receivedOffset }),
      }));
    });
});

const assignmentArbitrary: fc.Arbitrary<Assignment> = fc
  .record({
    n: fc.integer({ min: 1, max: 4 }),
    dedup: fc.func(fc.nat(3)),
    session: fc.func(fc.nat(3)),
    any: fc.func(fc.nat(3)),
    primary: fc.nat(3),
    restoreEvery: fc.integer({ min: 5, max: 400 }),
  })
  .map(({ n, dedup, session, any, primary, restoreEvery }) => ({
    n,
    dedup: (key: string) => dedup(key) % n,
    session: (key: string) => session(key) % n,
    any: (position: number) => any(position) % n,
    primary: primary % n,
    restoreEvery,
  }));

/** A plan for `length` records: a hand-off from a single engine, rescales, both or neither. */
const planArbitrary = (length: number): fc.Arbitrary<Plan> =>
  fc.record({
    handoffAt: fc.option(fc.integer({ min: 0, max: length }), { freq: 2 }),
    rescaleEvery: fc.option(fc.integer({ min: 1, max: 40 }), { freq: 4 }),
    rescaleTo: fc.array(assignmentArbitrary, { minLength: 1, maxLength: 3 }),
  });

describe("partitioned engine", () => {
  it(
    "any partitioning gives exactly the single engine's final tables",
    { timeout: PROPERTY_TIMEOUT_MS },
    () => {
      fc.assert(
        fc.property(configArbitrary, inputsArbitrary, assignmentArbitrary, (config, inputs, a) => {
          const single = runSingle(config, inputs);
          const parted = runPartitioned(config, inputs, a);
          expectSameFinalTables(parted, single, a.n === 1);
        }),
        { numRuns: 50 },
      );
    },
  );

  it(
    "a single engine's state split into partitions, and partitions rescaled, continue exactly",
    { timeout: PROPERTY_TIMEOUT_MS },
    () => {
      const run = configArbitrary.chain((config) =>
        inputsArbitrary.chain((inputs) =>
          fc.tuple(
            fc.constant(config),
            fc.constant(inputs),
            assignmentArbitrary,
            planArbitrary(inputs.length),
          ),
        ),
      );
      fc.assert(
        fc.property(run, ([config, inputs, a, plan]) => {
          const single = runSingle(config, inputs);
          const parted = runPartitioned(config, inputs, a, plan);
          const one =
            a.n === 1 && (plan.rescaleEvery === null || plan.rescaleTo.every((b) => b.n === 1));
          expectSameFinalTables(parted, single, one);
        }),
        { numRuns: 40 },
      );
    },
  );

  it("merges only partitions of one run, each session in one partition", () => {
    const p = createPartitionedEngine();
    const engine = p.engine;
    const state = engine.init();
    lines.forEach((value, offset) => {
      engine.stepInPlace(state, { record: { value, offset }, now: NOW });
      const w = engine.nextWatermark(state);
      if (w !== null) engine.advanceInPlace(state, w);
    });
    const clock = clockOf(state);
    const [a, b] = splitState(state, 2, { dedup: () => 0, session: () => 1 });
    expect(Object.keys(a!.lifecycle.sessions)).toEqual([]);
    expect(Object.keys(b!.dedup.seen)).toEqual([]);
    const merged = mergeStates([a!, b!], clock);
    expect(Object.keys(merged.lifecycle.sessions).sort()).toEqual(
      Object.keys(state.lifecycle.sessions).sort(),
    );
    expect(merged.dedup.size).toBe(state.dedup.size);
    expect(() => mergeStates([b!, b!], clock)).toThrow(/two partitions/);
    expect(() => mergeStates([a!, a!], clock)).toThrow(/dedup key .* two partitions/);
    const other = { ...a!, watermark: (a!.watermark ?? 0) + 1 };
    expect(() => mergeStates([other, b!], clock)).toThrow(/shared states differ/);
    expect(() =>
      mergeStates([a!, b!], { ...clock, watermark: (clock.watermark ?? 0) + 1 }),
    ).toThrow(/clock is at another watermark/);
    // Bad arguments are named errors, not TypeErrors from inside.
    expect(() => splitState(state, 0, { dedup: () => 0, session: () => 0 })).toThrow(
      /positive integer/,
    );
    expect(() => splitState(state, 2, { dedup: () => 2, session: () => 0 })).toThrow(
      /not an integer in \[0, 2\)/,
    );
    // Assembling onto a whole state keeps only its shared part: the sizes stay exact.
    const slices = sliceState(state);
    const again = assembleState(state, slices.dedup, slices.sessions);
    expect(again.dedup.size).toBe(state.dedup.size);
    expect(Object.keys(again.dedup.seen).length).toBe(state.dedup.size);
    expect(() => assembleState(slices.shared, { x: Number.NaN }, {})).toThrow(/not a time/);
    // The in-place variants give the same states as the copying ones, and the copying ones leave
    // their inputs untouched.
    const before = JSON.stringify(state);
    expect(sliceStateInPlace(structuredClone(state))).toEqual(slices);
    expect(
      assembleStateInPlace(
        structuredClone(slices.shared),
        slices.dedup,
        structuredClone(slices.sessions),
      ),
    ).toEqual(assembleState(slices.shared, slices.dedup, slices.sessions));
    expect(JSON.stringify(state)).toBe(before);
  });

  it("gives each slice the watermark from which an advance can change it", () => {
    for (const preset of ["correction", "reference-compat"] as const) {
      const p = createPartitionedEngine({ preset, emission: "final" });
      const state = p.init();
      for (const [offset, value] of lines.entries()) {
        const r = p.recordStageInPlace(state, { record: { value, offset }, now: NOW });
        if (r.item !== null) p.lifecycleStageInPlace(state, r.item, true);
      }
      const due = p.dueTimes(state);
      const keys = Object.keys(sliceState(state).sessions).sort();
      expect(Object.keys(due).sort()).toEqual(keys);
      expect(keys.length).toBeGreaterThan(0);
      for (const key of keys) {
        const t = due[key]!;
        if (preset === "reference-compat") expect(t).toBe(-Infinity);
        else {
          // Every session of the fixture has something due at a finite watermark (a seal, a
          // first emission or its eviction): below it an advance leaves the slice unchanged, just
          // past it (the timers' conditions are strict) the advance changes or removes it.
          expect(Number.isFinite(t)).toBe(true);
          const below = structuredClone(state);
          p.advanceInPlace(below, t! - 1);
          expect(sliceState(below).sessions[key]).toEqual(sliceState(state).sessions[key]);
          const past = structuredClone(state);
          p.advanceInPlace(past, t! + 1);
          expect(sliceState(past).sessions[key]).not.toEqual(sliceState(state).sessions[key]);
        }
      }
    }
  });

  it("routes records by dedup key, signals by session and capability snapshots to every partition", () => {
    const p = createPartitionedEngine();
    const state = p.init();
    expect(p.routeRecord({ record: { value: "not json" }, now: NOW })).toEqual({ kind: "any" });
    const cap = lines.find((l) => l.includes('"network_capabilities"'))!;
    const trace = lines.find((l) => l.includes('"stream_trace"'))!;
    const routes = [cap, trace].map((value, offset) => {
      const input = { record: { value, offset }, now: NOW };
      const route = p.routeRecord(input);
      const r = p.recordStageInPlace(state, input);
      return { route, eventTime: r.eventTime, item: r.item === null ? null : p.routeItem(r.item) };
    });
    expect(routes[0]!.route).toMatchObject({ kind: "key" });
    expect(routes[0]!.item).toEqual({ kind: "broadcast" });
    expect(routes[1]!.item).toMatchObject({ kind: "key" });
    expect(routes[1]!.eventTime).toBe(
      Number((JSON.parse(trace) as { timestamp: string }).timestamp),
    );
    // The same record again is a duplicate in the partition owning its dedup key.
    const again = p.recordStageInPlace(state, { record: { value: trace }, now: NOW });
    expect(again.eventTime).toBeNull();
    expect(again.item).toBeNull();
  });
});
