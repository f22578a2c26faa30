// Due-time indexes of the lifecycle operators: `advance` visits only the sessions (and tombstones)
// whose timers are due. These properties run the indexed operators in lockstep with the exhaustive
// reference (`*ByScan`: every session and tombstone visited at every watermark, as before the
// indexes existed) over arbitrary streams, configurations and watermark schedules, and require the
// same outputs, in the same order, at every transition — including across JSON round trips of the
// state, states saved before the indexes existed (timers stripped, rebuilt on first use), and the
// pure (immer) path.
import { describe, expect, it } from "vitest";
import fc from "fast-check";
import {
  capabilitySnapshot,
  REAL_CANONICAL_ADDRESSES,
  REAL_HOT_WALLETS,
  inputTime,
  lifecycleStreamArbitrary,
  statusSample,
  statusSignal,
} from "@livepeer-analytics/testing";
import { DEFAULT_LIFECYCLE_CONFIG, REFERENCE_COMPAT_LIFECYCLE_CONFIG } from "./config.js";
import {
  advanceCorrectionByScan,
  correctionOperator,
  DEFAULT_CORRECTION_CONFIG,
  flushCorrection,
  initCorrectionState,
  type CorrectionOperatorConfig,
  type CorrectionState,
} from "./correction.js";
import type { LifecycleInput, LifecycleOutput } from "./fold.js";
import {
  initLifecycleState,
  lifecycleAdvanceByScan,
  lifecycleOperator,
  type LifecycleState,
} from "./operator.js";
import type { Operator } from "../operator/operator.js";

const HOTS = REAL_HOT_WALLETS;
const CANONS = REAL_CANONICAL_ADDRESSES.slice(0, 2);
const MINUTE = 60_000;
const HOUR = 60 * MINUTE;

const capsArb: fc.Arbitrary<LifecycleInput[]> = fc
  .array(
    fc.record({
      ts: fc.integer({ min: 1_767_899_900_000, max: 1_767_900_300_000 }),
      hot: fc.constantFrom(...HOTS),
      canon: fc.constantFrom(...CANONS),
      model: fc.constantFrom("streamdiffusion-sdxl", "streamdiffusion-sdxl-faceid", ""),
    }),
    { maxLength: 4 },
  )
  .map((caps) =>
    caps.map((c, i) => ({
      kind: "capability" as const,
      snapshots: [
        capabilitySnapshot({
          snapshotTs: c.ts,
          hotAddress: c.hot,
          canonicalOrchestratorAddress: c.canon,
          modelId: c.model,
          pipeline: "live-video-to-video",
          gpuId: `GPU-${i}`,
          sourceEventId: `cap-${i}`,
          capacityUnits: 1,
        }),
      ],
    })),
  );

/**
 * Record keys whose enumeration order is not insertion order (array indices), escaped keys, and
 * ordinary ids: sessions are renamed to these so the visiting order is exercised.
 */
const ID_POOL = ["7", "12", "0", "4294967295", "__proto__", "\u0000x", "constructor", "b|x", "a|y"];

/** Moves an input by `shift` ms, renames its session and makes its uids unique with `tag`. */
function moved(input: LifecycleInput, id: string | null, shift: number, tag: string) {
  if (input.kind === "capability") {
    return {
      kind: "capability" as const,
      snapshots: input.snapshots.map((s) => ({
        ...s,
        snapshotTs: s.snapshotTs + shift,
        sourceEventId: s.sourceEventId + tag,
      })),
    };
  }
  const s = input.signal;
  const wid = id ?? s.workflowSessionId;
  const signal = {
    ...s,
    workflowSessionId: wid,
    signalTimestamp: s.signalTimestamp + shift,
    ingestTimestamp: s.ingestTimestamp + shift,
    startTimeMs: s.startTimeMs === null ? null : s.startTimeMs + shift,
    sourceEventUid: s.sourceEventUid + tag,
  };
  const sample = input.sample ?? null;
  if (sample === null) return { kind: "signal" as const, signal, sample: null };
  return {
    kind: "signal" as const,
    signal,
    sample:
      sample.kind === "status"
        ? {
            ...sample,
            workflowSessionId: wid,
            sampleTs: sample.sampleTs + shift,
            sourceEventUid: sample.sourceEventUid + tag,
          }
        : {
            ...sample,
            workflowSessionId: wid,
            edgeTs: sample.edgeTs + shift,
            sourceEventUid: sample.sourceEventUid + tag,
          },
  };
}

interface Scenario {
  readonly inputs: LifecycleInput[];
  /** Per input: extra watermark lead after it (0 = `maxSeen − lateness`), or `null` = no advance. */
  readonly leads: (number | null)[];
  /** Per input: 0 nothing, 1 JSON round trip, 2 strip the timers (a pre-index state), 3 pure path. */
  readonly actions: number[];
}

const TTLS = [30_000, 2 * MINUTE, 20 * MINUTE, 7 * 24 * HOUR];

/** Sessions (renamed, some revived much later), capabilities, reordering and a watermark plan. */
const scenarioArb: fc.Arbitrary<Scenario> = fc
  .tuple(
    lifecycleStreamArbitrary({ hotWallets: [...HOTS, ""], maxSessions: 6, maxStatus: 8 }),
    capsArb,
    fc.array(fc.constantFrom(null, ...ID_POOL), { minLength: 6, maxLength: 6 }),
    fc.array(
      fc.record({ session: fc.nat(5), shift: fc.integer({ min: MINUTE, max: 40 * MINUTE }) }),
      { maxLength: 3 },
    ),
  )
  .chain(([stream, caps, names, revivals]) => {
    const ids = [
      ...new Set(stream.map((i) => (i.kind === "signal" ? i.signal.workflowSessionId : ""))),
    ];
    const rename = (id: string): string | null => {
      const at = ids.indexOf(id);
      return names[at] ?? null;
    };
    const base = stream.map((i) =>
      i.kind === "signal" ? moved(i, rename(i.signal.workflowSessionId), 0, "") : i,
    );
    // Revivals: a session's inputs again, later (after eviction, tombstone expiry or neither).
    const again: LifecycleInput[] = [];
    revivals.forEach((r, k) => {
      const id = ids[r.session % Math.max(1, ids.length)];
      for (const i of stream)
        if (i.kind === "signal" && i.signal.workflowSessionId === id)
          again.push(moved(i, rename(id), r.shift, `-r${k}`));
    });
    const sorted = [...base, ...again, ...caps].sort((a, b) => inputTime(a) - inputTime(b));
    const n = sorted.length;
    return fc.record({
      inputs: fc
        .array(fc.integer({ min: 0, max: 90_000 }), { minLength: n, maxLength: n })
        .map((delays) =>
          sorted
            .map((e, i) => ({ e, at: inputTime(e) + delays[i]! }))
            .sort((a, b) => a.at - b.at)
            .map((x) => x.e),
        ),
      leads: fc.array(
        fc.oneof(
          { weight: 6, arbitrary: fc.constant(0) },
          { weight: 2, arbitrary: fc.constant(null) },
          { weight: 1, arbitrary: fc.integer({ min: 1, max: 45 * MINUTE }) },
        ),
        { minLength: n, maxLength: n },
      ),
      actions: fc.array(
        fc.oneof(
          { weight: 12, arbitrary: fc.constant(0) },
          { weight: 1, arbitrary: fc.constantFrom(1, 2, 3) },
        ),
        { minLength: n, maxLength: n },
      ),
    });
  });

const correctionConfigArb: fc.Arbitrary<CorrectionOperatorConfig> = fc
  .record({
    ttl: fc.constantFrom(...TTLS),
    tombstone: fc.constantFrom(...TTLS),
    delay: fc.constantFrom(0, 15_000, 90_000),
    reach: fc.constantFrom(null, 0, 20_000, 600_000),
    unsealed: fc.constantFrom(1, 3, 2048),
    retained: fc.constantFrom(1, 2, 4096),
    pruning: fc.constantFrom("watermark" as const, "reference" as const),
    window: fc.constantFrom(HOUR, 24 * HOUR),
    foldRows: fc.constantFrom("every-change" as const, "advance" as const, "final" as const),
  })
  .map((c) => ({
    ...DEFAULT_LIFECYCLE_CONFIG,
    ...DEFAULT_CORRECTION_CONFIG,
    attribution: {
      ...DEFAULT_LIFECYCLE_CONFIG.attribution,
      futureReachMs: c.reach,
      pruning: c.pruning,
      ttlMs: c.window,
      staleWindowMs: c.window,
    },
    sessionStateTtlMs: c.ttl,
    tombstoneTtlMs: c.tombstone,
    initialEmitDelayMs: c.delay,
    maxUnsealedSignalsPerSession: c.unsealed,
    maxRetainedRowsPerSession: c.retained,
    foldRows: c.foldRows,
  }));

/** A state as a pre-index build saved it: no timers anywhere. */
function stripTimers<S extends CorrectionState | LifecycleState>(state: S): S {
  const copy = JSON.parse(JSON.stringify(state)) as S & { timers?: unknown };
  delete copy.timers;
  for (const s of Object.values(copy.sessions as Record<string, { due?: unknown }>)) delete s.due;
  return copy;
}

const jsonCopy = <S>(s: S): S => JSON.parse(JSON.stringify(s)) as S;

type LifecycleOp<S, C> = Operator<S, LifecycleInput, LifecycleOutput, C>;

/** `op.step` (`pure`: immer, a new state) or `op.stepInPlace` (the same state). */
function stepWith<S, C>(op: LifecycleOp<S, C>, s: S, input: LifecycleInput, c: C, pure: boolean) {
  return pure ? op.step(s, input, c) : { state: s, outputs: op.stepInPlace(s, input, c) };
}

/** `op.advance` (`pure`: immer, a new state) or `op.advanceInPlace` (the same state). */
function advanceWith<S, C>(op: LifecycleOp<S, C>, s: S, w: number, c: C, pure: boolean) {
  return pure ? op.advance(s, w, c) : { state: s, outputs: op.advanceInPlace(s, w, c) };
}

/**
 * Statistics over the runs of the first property, to check its scenarios reach every timer:
 * evictions, signals refused for tombstoned sessions, first emissions of unattributed rows at a
 * watermark, tombstone expiries.
 */
const reached = { evictions: 0, refused: 0, pendingReleases: 0, tombstoneExpiries: 0 };

function countReached(outs: readonly LifecycleOutput[], before: number, after: number): void {
  for (const o of outs) {
    if (o.kind === "row" && "row" in o && (o.row as { is_attributed?: number }).is_attributed === 0)
      reached.pendingReleases += 1;
  }
  if (after < before) reached.tombstoneExpiries += 1;
}

/** Sessions, tombstones and candidates (not `highWatermarkTs`: see the arrival-order property). */
const held = (st: CorrectionState | LifecycleState) => ({
  sessions: Object.keys(st.sessions),
  tombstones: Object.keys(st.tombstones).sort(),
  candidates: Object.fromEntries(
    Object.entries(st.index.buckets).map(([k, v]) => [k, v.candidates]),
  ),
});

/**
 * Drives `op` through a scenario on two states: `a` with its timer indexes (in place, through the
 * pure API, JSON-copied or with its timers stripped, per `actions`) and `b` advanced by the
 * exhaustive `scan`. Asserts equal outputs at every step and advance; `afterAdvance` checks more.
 */
function driveAgainstScan<S extends CorrectionState | LifecycleState, C>(
  op: LifecycleOp<S, C>,
  scan: (s: S, w: number, c: C) => LifecycleOutput[],
  init: () => S,
  { inputs, leads, actions }: Scenario,
  config: C,
  afterStep: (out: readonly LifecycleOutput[]) => void = () => undefined,
  afterAdvance: (
    a: S,
    b: S,
    outB: readonly LifecycleOutput[],
    tombstonesBefore: number,
  ) => void = () => undefined,
): { a: S; b: S; maxSeen: number } {
  let a = init();
  const b = init();
  let maxSeen = -Infinity;
  inputs.forEach((input, i) => {
    const action = actions[i]!;
    if (action === 1) a = jsonCopy(a);
    if (action === 2) a = stripTimers(a);
    const pure = action === 3;
    let r = stepWith(op, a, input, config, pure);
    a = r.state;
    expect(r.outputs).toEqual(op.stepInPlace(b, input, config));
    afterStep(r.outputs);
    maxSeen = Math.max(maxSeen, inputTime(input));
    const lead = leads[i]!;
    if (lead === null) return;
    const w = maxSeen - 60_000 + lead;
    const tombstones = Object.keys(b.tombstones).length;
    r = advanceWith(op, a, w, config, pure);
    a = r.state;
    const outB = scan(b, w, config);
    expect(r.outputs).toEqual(outB);
    afterAdvance(a, b, outB, tombstones);
  });
  return { a, b, maxSeen };
}

describe("correction operator: indexed advance ≡ full scan", () => {
  it("same outputs in the same order at every step, advance and flush", () => {
    fc.assert(
      fc.property(scenarioArb, correctionConfigArb, (scenario, config) => {
        const { a, b, maxSeen } = driveAgainstScan(
          correctionOperator,
          advanceCorrectionByScan,
          initCorrectionState,
          scenario,
          config,
          (out) => {
            if (out.some((o) => o.kind === "evicted_signal")) reached.refused += 1;
          },
          (a, b, outB, tombstones) => {
            expect(held(a)).toEqual(held(b));
            countReached(outB, tombstones, Object.keys(b.tombstones).length);
            reached.evictions += Math.max(0, Object.keys(b.tombstones).length - tombstones);
          },
        );
        // Far beyond every timer: everything sealed, released, evicted, then expired.
        const end = maxSeen + 8 * 24 * HOUR;
        expect(correctionOperator.advanceInPlace(a, end, config)).toEqual(
          advanceCorrectionByScan(b, end, config),
        );
        expect(held(a)).toEqual(held(b));
        expect(flushCorrection(a, config)).toEqual(flushCorrection(b, config));
      }),
      { numRuns: Number(process.env["FC_NUM_RUNS"] ?? 300) },
    );
    // The scenarios do reach every timer.
    expect(reached.evictions).toBeGreaterThan(0);
    expect(reached.refused).toBeGreaterThan(0);
    expect(reached.pendingReleases).toBeGreaterThan(0);
    expect(reached.tombstoneExpiries).toBeGreaterThan(0);
  });

  it("a restored snapshot (JSON round trip, or a state saved before the timers) keeps its timers working", () => {
    fc.assert(
      fc.property(
        scenarioArb,
        correctionConfigArb,
        fc.nat(),
        fc.boolean(),
        ({ inputs }, config, cutAt, legacy) => {
          const cut = inputs.length === 0 ? 0 : cutAt % inputs.length;
          const run = (restoreAt: number | null) => {
            let s = initCorrectionState();
            const out: LifecycleOutput[] = [];
            let maxSeen = -Infinity;
            inputs.forEach((input, i) => {
              if (i === restoreAt) s = legacy ? stripTimers(s) : jsonCopy(s);
              out.push(...correctionOperator.stepInPlace(s, input, config));
              maxSeen = Math.max(maxSeen, inputTime(input));
              out.push(...correctionOperator.advanceInPlace(s, maxSeen - 60_000, config));
            });
            for (const w of [maxSeen + HOUR, maxSeen + 8 * 24 * HOUR, maxSeen + 16 * 24 * HOUR])
              out.push(...correctionOperator.advanceInPlace(s, w, config));
            return { out, state: s };
          };
          const plain = run(null);
          const restored = run(cut);
          expect(restored.out).toEqual(plain.out);
          // A restored state ends with the same sessions, tombstones and timers.
          // (Timer bookkeeping aside: a rebuild sets it exactly where steps keep lower bounds.)
          expect(stripTimers(restored.state).sessions).toEqual(stripTimers(plain.state).sessions);
          expect(restored.state.tombstones).toEqual(plain.state.tombstones);
          expect(restored.state.timers!.held).toBe(Object.keys(plain.state.sessions).length);
        },
      ),
      { numRuns: 60 },
    );
  });
});

describe("lifecycle operator (arrival order): indexed eviction sweep ≡ full scan", () => {
  it("same outputs in the same order at every step, advance and final sweep", () => {
    fc.assert(
      fc.property(
        scenarioArb,
        fc.constantFrom(...TTLS),
        fc.constantFrom(...TTLS),
        fc.constantFrom("watermark" as const, "reference" as const),
        (scenario, ttl, tombstone, pruning) => {
          const config = {
            ...REFERENCE_COMPAT_LIFECYCLE_CONFIG,
            attribution: {
              ...REFERENCE_COMPAT_LIFECYCLE_CONFIG.attribution,
              pruning,
              staleWindowMs: HOUR,
              futureReachMs: MINUTE,
            },
            sessionStateTtlMs: ttl,
            tombstoneTtlMs: tombstone,
          };
          const { a, b, maxSeen } = driveAgainstScan(
            lifecycleOperator,
            lifecycleAdvanceByScan,
            initLifecycleState,
            scenario,
            config,
          );
          for (const w of [maxSeen + 8 * 24 * HOUR, maxSeen + 16 * 24 * HOUR])
            expect(lifecycleOperator.advanceInPlace(a, w, config)).toEqual(
              lifecycleAdvanceByScan(b, w, config),
            );
          // Same sessions, tombstones and candidates. (The scan prunes at every step, the index
          // only once a candidate can go: the buckets' `highWatermarkTs`, which no output depends
          // on, may lag behind.)
          expect(held(a)).toEqual(held(b));
          expect(a.tombstones).toEqual(b.tombstones);
        },
      ),
    );
  });
});

describe("timer boundaries (indexed ≡ scan, exact comparisons kept)", () => {
  const T = 1_767_900_000_000;
  const config: CorrectionOperatorConfig = {
    ...DEFAULT_LIFECYCLE_CONFIG,
    ...DEFAULT_CORRECTION_CONFIG,
    attribution: { ...DEFAULT_LIFECYCLE_CONFIG.attribution, futureReachMs: 20_000 },
    initialEmitDelayMs: 15_000,
    sessionStateTtlMs: 120_000,
    tombstoneTtlMs: 180_000,
  };
  const signal = statusSignal(T, "streamdiffusion-sdxl", {
    workflowSessionId: "s|r",
    streamId: "s",
    requestId: "r",
    sourceEventUid: "u1",
  });
  /** Runs the same watermarks on an indexed and a scanned state; returns the indexed one. */
  function lockstep(watermarks: readonly number[], withSample = true) {
    const a = initCorrectionState();
    const b = initCorrectionState();
    const out: LifecycleOutput[][] = [];
    const i: LifecycleInput = {
      kind: "signal",
      signal,
      sample: withSample ? statusSample(T, { sourceEventUid: "h-u1" }) : null,
    };
    expect(correctionOperator.stepInPlace(a, i, config)).toEqual(
      correctionOperator.stepInPlace(b, i, config),
    );
    for (const w of watermarks) {
      const o = correctionOperator.advanceInPlace(a, w, config);
      expect(o).toEqual(advanceCorrectionByScan(b, w, config));
      expect(held(a)).toEqual(held(b));
      out.push(o);
    }
    return { state: a, out };
  }
  const statusRows = (o: readonly LifecycleOutput[]) =>
    o.filter((x) => x.kind === "row" && x.table === "fact_stream_status_samples").length;

  it.each([-1, 0])("pending first row: released once W ≥ enqueuedAt + delay (W = +%i)", (d) => {
    const { out } = lockstep([T + 15_000 + d]);
    expect(statusRows(out[0]!)).toBe(d === 0 ? 1 : 0);
  });

  it.each([0, 1])("sealing: once ts + futureReachMs < W (W = ts + reach + %i)", (d) => {
    // Without a sample: no pending row whose timer would visit the session anyway.
    const { state } = lockstep([T + 20_000 + d], false);
    expect(state.sessions["s|r"]!.unsealed.length).toBe(d === 1 ? 0 : 1);
  });

  it.each([0, 1])("eviction: once W − end > sessionStateTtlMs (W = end + ttl + %i)", (d) => {
    const { state } = lockstep([T + 20_001, T + 120_000 + d]);
    expect(Object.keys(state.sessions)).toEqual(d === 1 ? [] : ["s|r"]);
  });

  it.each([0, 1])("tombstone expiry: once W − evictedAt > tombstoneTtlMs (+%i)", (d) => {
    const evictedAt = T + 120_001;
    const { state } = lockstep([T + 20_001, evictedAt, evictedAt + 180_000 + d]);
    expect(Object.keys(state.tombstones)).toEqual(d === 1 ? [] : ["s|r"]);
  });

  it.each([0, 1])("arrival-order operator: eviction and tombstone expiry at +%i", (d) => {
    const signalOnly: LifecycleInput = { kind: "signal", signal, sample: null };
    const a = initLifecycleState();
    const b = initLifecycleState();
    lifecycleOperator.stepInPlace(a, signalOnly, config);
    lifecycleOperator.stepInPlace(b, signalOnly, config);
    const evictedAt = T + 120_000 + d;
    for (const w of [T + 1000, evictedAt, T + 120_001 + 180_000 + d]) {
      expect(lifecycleOperator.advanceInPlace(a, w, config)).toEqual(
        lifecycleAdvanceByScan(b, w, config),
      );
      expect(held(a)).toEqual(held(b));
      if (w === evictedAt) expect(Object.keys(a.sessions)).toEqual(d === 1 ? [] : ["s|r"]);
    }
    // d = 1: evicted at T + ttl + 1, its tombstone expires at the last step exactly; d = 0:
    // evicted only at the last step.
    expect(Object.keys(a.tombstones)).toEqual(d === 1 ? [] : ["s|r"]);
  });
});
