import { describe, expect, it } from "vitest";
import fc from "fast-check";
import {
  dedupCheck,
  dedupOperator,
  initDedupState,
  type DedupConfig,
  type DedupState,
} from "./dedup.js";

const cfg: DedupConfig = { ttlMs: 1000, maxEntries: 1_000_000 };

describe("DeduplicationProcessFunctionTest (ingest-and-storage.md §9.1)", () => {
  it("duplicateEmitsQuarantineEnvelope: the same key at times 0 and 1 → pass, then duplicate", () => {
    let s = initDedupState(cfg);
    const a = dedupCheck(s, { key: "dedup-1", seenAt: 0, now: 0 }, cfg);
    s = a.state;
    const b = dedupCheck(s, { key: "dedup-1", seenAt: 1, now: 1 }, cfg);
    expect([a.duplicate, b.duplicate]).toEqual([false, true]);
    expect(b.outputs).toEqual([
      { type: "verdict", key: "dedup-1", duplicate: true, firstSeenAt: 0 },
    ]);
  });
});

describe("TTL (ingest-and-storage.md §2.7)", () => {
  it("an entry expires once its TTL has fully elapsed (W − seenAt ≥ ttl)", () => {
    let s = dedupCheck(initDedupState(cfg), { key: "k", seenAt: 100, now: 100 }, cfg).state;
    expect(dedupCheck(s, { key: "k", seenAt: 500, now: 1099 }, cfg).duplicate).toBe(true);
    const readmit = dedupCheck(s, { key: "k", seenAt: 1100, now: 1100 }, cfg);
    expect(readmit.duplicate).toBe(false);
    s = readmit.state;
    expect(s.seen["k"]).toBe(1100);
    expect(dedupCheck(s, { key: "k", seenAt: 2000, now: 2099 }, cfg).duplicate).toBe(true);
  });

  it("a duplicate hit never re-arms the entry", () => {
    let s = dedupCheck(initDedupState(cfg), { key: "k", seenAt: 0, now: 0 }, cfg).state;
    s = dedupCheck(s, { key: "k", seenAt: 900, now: 900 }, cfg).state;
    expect(s.seen["k"]).toBe(0);
    expect(dedupCheck(s, { key: "k", seenAt: 1000, now: 1000 }, cfg).duplicate).toBe(false);
  });

  it("before the first watermark nothing expires; the state watermark is the default clock", () => {
    let s = dedupCheck(initDedupState(cfg), { key: "k", seenAt: 0 }, cfg).state;
    expect(dedupCheck(s, { key: "k", seenAt: 10_000_000 }, cfg).duplicate).toBe(true);
    s = dedupOperator.advance(s, 999, cfg).state;
    expect(dedupCheck(s, { key: "k", seenAt: 5 }, cfg).duplicate).toBe(true);
    s = dedupOperator.advance(s, 1000, cfg).state;
    expect(dedupCheck(s, { key: "k", seenAt: 5 }, cfg).duplicate).toBe(false);
  });

  it("advance physically removes expired entries and reports the count", () => {
    let s = initDedupState({ ttlMs: 120_000, maxEntries: 100 });
    const c = { ttlMs: 120_000, maxEntries: 100 };
    for (let i = 0; i < 10; i++)
      s = dedupCheck(s, { key: `k${i}`, seenAt: i * 30_000, now: 0 }, c).state;
    const r = dedupOperator.advance(s, 300_000, c);
    // seenAt 0..180000 are expired (W − seenAt ≥ 120000). Whole 1-minute buckets are swept
    // (k0..k5); k6 sits in a bucket that is not fully expired yet but already reads as unseen.
    expect(r.outputs).toEqual([{ type: "expired", count: 6 }]);
    expect(Object.keys(r.state.seen).sort()).toEqual(["k6", "k7", "k8", "k9"]);
    expect(r.state.size).toBe(4);
    expect(dedupCheck(r.state, { key: "k6", seenAt: 300_000 }, c).duplicate).toBe(false);
    expect(dedupCheck(r.state, { key: "k7", seenAt: 300_000 }, c).duplicate).toBe(true);
  });
});

describe("size bound (ingest-and-storage.md §2.7)", () => {
  it("evicts the smallest seenAt, then the smallest key, and reports it", () => {
    const c = { ttlMs: 10_000_000, maxEntries: 3 };
    let s = initDedupState(c);
    const evicted: string[] = [];
    const feed = (key: string, seenAt: number) => {
      const r = dedupCheck(s, { key, seenAt, now: 0 }, c);
      s = r.state;
      for (const o of r.outputs) if (o.type === "evicted") evicted.push(`${o.key}@${o.seenAt}`);
    };
    feed("b", 100);
    feed("a", 100);
    feed("z", 50);
    feed("n", 200);
    feed("m", 300);
    feed("y", 10);
    expect(evicted).toEqual(["z@50", "a@100", "y@10"]);
    expect(s.size).toBe(3);
    expect(Object.keys(s.seen).sort()).toEqual(["b", "m", "n"]);
  });
});

describe("state is plain JSON (properties)", () => {
  const keyArb = fc.constantFrom(
    "a",
    "b",
    "c",
    "__proto__",
    "constructor",
    "\u0000x",
    "toString",
    "k1",
    "k2",
  );
  const opArb = fc.oneof(
    fc.record({
      op: fc.constant("check" as const),
      key: keyArb,
      seenAt: fc.integer({ min: 0, max: 5000 }),
    }),
    fc.record({ op: fc.constant("advance" as const), w: fc.integer({ min: 0, max: 8000 }) }),
  );
  const run = (
    ops: readonly (typeof opArb extends fc.Arbitrary<infer T> ? T : never)[],
    roundTripEvery: number,
    c: DedupConfig,
  ) => {
    let s: DedupState = initDedupState(c);
    const verdicts: boolean[] = [];
    ops.forEach((o, i) => {
      if (i % roundTripEvery === 0) s = JSON.parse(JSON.stringify(s)) as DedupState;
      if (o.op === "check") {
        const r = dedupCheck(s, { key: o.key, seenAt: o.seenAt }, c);
        verdicts.push(r.duplicate);
        s = r.state;
      } else s = dedupOperator.advance(s, o.w, c).state;
    });
    return { verdicts, size: s.size, live: Object.keys(s.seen).length };
  };

  it("JSON.parse(JSON.stringify(state)) at any point does not change behaviour", () => {
    fc.assert(
      fc.property(
        fc.array(opArb, { maxLength: 60 }),
        fc.integer({ min: 1, max: 5 }),
        fc.integer({ min: 1, max: 6 }),
        (ops, every, max) => {
          const c = { ttlMs: 1000, maxEntries: max };
          expect(run(ops, every, c)).toEqual(run(ops, Number.MAX_SAFE_INTEGER, c));
        },
      ),
    );
  });

  it("size matches live entries and never exceeds the bound; hostile keys stay own data", () => {
    fc.assert(
      fc.property(
        fc.array(opArb, { maxLength: 60 }),
        fc.integer({ min: 1, max: 4 }),
        (ops, max) => {
          const r = run(ops, 3, { ttlMs: 1000, maxEntries: max });
          expect(r.size).toBe(r.live);
          expect(r.size).toBeLessThanOrEqual(max);
          expect(Object.getPrototypeOf({})).toBe(Object.prototype);
        },
      ),
    );
  });

  it("pure step and in-place step agree", () => {
    fc.assert(
      fc.property(fc.array(opArb, { maxLength: 40 }), (ops) => {
        const c = { ttlMs: 1000, maxEntries: 4 };
        let pure = initDedupState(c);
        const inPlace = initDedupState(c);
        for (const o of ops) {
          if (o.op === "check") {
            const r = dedupOperator.step(pure, { key: o.key, seenAt: o.seenAt }, c);
            const before = JSON.stringify(pure);
            expect(dedupOperator.stepInPlace(inPlace, { key: o.key, seenAt: o.seenAt }, c)).toEqual(
              r.outputs,
            );
            expect(JSON.stringify(pure)).toBe(before); // input untouched
            pure = r.state;
          } else {
            const r = dedupOperator.advance(pure, o.w, c);
            expect(dedupOperator.advanceInPlace(inPlace, o.w, c)).toEqual(r.outputs);
            pure = r.state;
          }
          expect(JSON.stringify(inPlace)).toBe(JSON.stringify(pure));
        }
      }),
    );
  });
});
