import { createHash } from "node:crypto";
import { describe, expect, it } from "vitest";
import fc from "fast-check";
import { realEventLines } from "@livepeer-analytics/testing/fixtures";
import { createEngine } from "../engine/engine.js";
import {
  DEDUP_DIGEST_LENGTH,
  DEDUP_STATE_VERSION,
  createDedupOperator,
  dedupCheck,
  dedupKeyDigest,
  dedupOperator,
  initDedupState,
  upgradeDedupState,
  type DedupConfig,
  type DedupState,
} from "./dedup.js";

const cfg: DedupConfig = { ttlMs: 1000, maxEntries: 1_000_000 };
/** The digest the store keys an entry by. */
const dg = (key: string): string => dedupKeyDigest(key);

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
    expect(s.seen[dg("k")]).toBe(1100);
    expect(dedupCheck(s, { key: "k", seenAt: 2000, now: 2099 }, cfg).duplicate).toBe(true);
  });

  it("a duplicate hit never re-arms the entry", () => {
    let s = dedupCheck(initDedupState(cfg), { key: "k", seenAt: 0, now: 0 }, cfg).state;
    s = dedupCheck(s, { key: "k", seenAt: 900, now: 900 }, cfg).state;
    expect(s.seen[dg("k")]).toBe(0);
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
    expect(Object.keys(r.state.seen).sort()).toEqual(["k6", "k7", "k8", "k9"].map(dg).sort());
    expect(r.state.size).toBe(4);
    expect(dedupCheck(r.state, { key: "k6", seenAt: 300_000 }, c).duplicate).toBe(false);
    expect(dedupCheck(r.state, { key: "k7", seenAt: 300_000 }, c).duplicate).toBe(true);
  });
});

describe("size bound (ingest-and-storage.md §2.7)", () => {
  it("evicts the smallest seenAt, then the smallest digest, and reports it", () => {
    const c = { ttlMs: 10_000_000, maxEntries: 3 };
    let s = initDedupState(c);
    const evicted: string[] = [];
    const keyOf = new Map(["a", "b", "m", "n", "y", "z"].map((k) => [dg(k), k]));
    const feed = (key: string, seenAt: number) => {
      const r = dedupCheck(s, { key, seenAt, now: 0 }, c);
      s = r.state;
      for (const o of r.outputs)
        if (o.type === "evicted") evicted.push(`${keyOf.get(o.digest)}@${o.seenAt}`);
    };
    // "a" and "b" share a seenAt: the one with the smaller digest goes first.
    const [tieFirst, tieSecond] = ["a", "b"].sort((x, y) => (dg(x) < dg(y) ? -1 : 1));
    feed("b", 100);
    feed("a", 100);
    feed("z", 50);
    feed("n", 200);
    feed("m", 300);
    feed("y", 10);
    expect(evicted).toEqual(["z@50", `${tieFirst}@100`, "y@10"]);
    expect(s.size).toBe(3);
    expect(Object.keys(s.seen).sort()).toEqual([tieSecond!, "m", "n"].map(dg).sort());
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

describe("compact keys: the store holds 128-bit digests", () => {
  const nodeDigest = (key: string): string =>
    createHash("sha256").update(key, "utf8").digest().subarray(0, 16).toString("base64url");
  const nativeHex = (key: string): string => createHash("sha256").update(key, "utf8").digest("hex");

  it("dedupKeyDigest is the first 16 bytes of SHA-256(UTF-8) in base64url, pure or native", () => {
    fc.assert(
      fc.property(
        fc.oneof(fc.string({ unit: "binary" }), fc.string({ unit: "grapheme" }), fc.string()),
        (key) => {
          const d = dedupKeyDigest(key);
          expect(d).toMatch(/^[A-Za-z0-9_-]{22}$/);
          expect(d).toBe(nodeDigest(key));
          expect(dedupKeyDigest(key, nativeHex)).toBe(d);
        },
      ),
    );
    expect(dedupKeyDigest("")).toBe("47DEQpj8HBSa-_TImW-5JA");
    expect(DEDUP_DIGEST_LENGTH).toBe(22);
  });

  it("an entry costs the same whatever the key's length; verdicts keep the full key", () => {
    const huge = "x".repeat(1 << 20);
    const a = dedupCheck(initDedupState(cfg), { key: huge, seenAt: 5, now: 5 }, cfg);
    const b = dedupCheck(initDedupState(cfg), { key: "e", seenAt: 5, now: 5 }, cfg);
    expect(JSON.stringify(a.state).length).toBe(JSON.stringify(b.state).length);
    expect(Object.keys(a.state.seen)).toEqual([nodeDigest(huge)]);
    expect(a.outputs).toEqual([
      { type: "verdict", key: huge, duplicate: false, firstSeenAt: null },
    ]);
    const again = dedupCheck(a.state, { key: huge, seenAt: 6, now: 6 }, cfg);
    expect(again.duplicate).toBe(true);
    expect(again.outputs).toEqual([
      { type: "verdict", key: huge, duplicate: true, firstSeenAt: 5 },
    ]);
  });

  it("a native SHA-256 gives the same outputs and states as the pure one", () => {
    let nativeCalls = 0;
    const native = createDedupOperator({
      sha256Hex: (s) => {
        nativeCalls += 1;
        return nativeHex(s);
      },
    });
    const long = ["l".repeat(120), "é".repeat(130), "m".repeat(500) + "\ud800"];
    fc.assert(
      fc.property(
        fc.array(
          fc.oneof(
            fc.record({
              key: fc.oneof(fc.string({ maxLength: 4 }), fc.constantFrom(...long)),
              seenAt: fc.integer({ min: 0, max: 5000 }),
            }),
            fc.integer({ min: 0, max: 8000 }),
          ),
          { maxLength: 60 },
        ),
        (ops) => {
          const c = { ttlMs: 1000, maxEntries: 5 };
          const s1 = initDedupState(c);
          const s2 = initDedupState(c);
          for (const o of ops) {
            if (typeof o === "number")
              expect(native.advanceInPlace(s2, o, c)).toEqual(
                dedupOperator.advanceInPlace(s1, o, c),
              );
            else expect(native.stepInPlace(s2, o, c)).toEqual(dedupOperator.stepInPlace(s1, o, c));
            expect(s2).toEqual(s1);
          }
        },
      ),
    );
    // Keys longer than 119 characters went to the host's SHA-256.
    expect(nativeCalls).toBeGreaterThan(0);
  });
});

describe("version-1 states (full keys) are upgraded", () => {
  /** A state as version 1 saved it: full keys (escaped), full keys in the bucket lists. */
  const v1 = () => ({
    v: 1,
    seen: { "evt-1": 1000, "\u0000__proto__": 61_000, "\u0000\u0000x": 61_500 },
    size: 3,
    buckets: { "0": ["evt-1", "gone"], "1": ["__proto__", "\u0000x"] },
    bucketMs: 60_000,
    sortedBucket: "1",
    watermark: 900,
    bucketOrder: ["0", "1"],
  });

  it("upgradeDedupState digests every key, keeps seenAt and the rest; it is pure", () => {
    const old = v1();
    const before = JSON.stringify(old);
    expect(upgradeDedupState(old)).toEqual({
      v: DEDUP_STATE_VERSION,
      seen: { [dg("evt-1")]: 1000, [dg("__proto__")]: 61_000, [dg("\u0000x")]: 61_500 },
      size: 3,
      buckets: { "0": [dg("evt-1"), dg("gone")], "1": [dg("__proto__"), dg("\u0000x")] },
      bucketMs: 60_000,
      sortedBucket: null,
      watermark: 900,
      bucketOrder: ["0", "1"],
    });
    expect(JSON.stringify(old)).toBe(before);
    expect(DEDUP_STATE_VERSION).toBe(2);
  });

  it("anything else is returned as is (current states, malformed values)", () => {
    const current = initDedupState(cfg);
    expect(upgradeDedupState(current)).toBe(current);
    for (const x of [null, 1, "s", [], { v: 1, seen: [], buckets: {} }, { v: 3 }])
      expect(upgradeDedupState(x)).toBe(x);
  });

  it("the operator upgrades a version-1 state on first use: old keys stay duplicates", () => {
    const c = { ttlMs: 100_000, maxEntries: 10 };
    for (const pure of [true, false]) {
      const s = v1() as unknown as DedupState;
      let next: DedupState;
      let outs: readonly unknown[];
      if (pure) {
        const r = dedupOperator.step(s, { key: "__proto__", seenAt: 62_000 }, c);
        next = r.state;
        outs = r.outputs;
      } else {
        outs = dedupOperator.stepInPlace(s, { key: "__proto__", seenAt: 62_000 }, c);
        next = s;
      }
      expect(outs).toEqual([
        { type: "verdict", key: "__proto__", duplicate: true, firstSeenAt: 61_000 },
      ]);
      expect(next).toEqual(upgradeDedupState(v1()));
      expect(dedupCheck(next, { key: "\u0000x", seenAt: 70_000 }, c).duplicate).toBe(true);
      expect(dedupCheck(next, { key: "gone", seenAt: 70_000 }, c).duplicate).toBe(false);
    }
    // advance upgrades too.
    const s = v1() as unknown as DedupState;
    expect(dedupOperator.advanceInPlace(s, 160_000, c)).toEqual([{ type: "expired", count: 1 }]);
    expect(s.v).toBe(DEDUP_STATE_VERSION);
    expect(Object.keys(s.seen).sort()).toEqual([dg("__proto__"), dg("\u0000x")].sort());
  });

  it("engine.restore upgrades a snapshot whose dedup store has full keys; a malformed one is refused", () => {
    const engine = createEngine();
    const line = realEventLines()[0]!;
    const first = engine.step(engine.init(), { record: { value: line }, now: 0 });
    const state = first.state;
    const [digest] = Object.keys(state.dedup.seen);
    const id = (JSON.parse(line) as { id: string }).id;
    expect(digest).toBe(dg(id));
    const doc = JSON.parse(engine.snapshot(state)) as { state: { dedup: Record<string, unknown> } };
    const seenAt = state.dedup.seen[digest!]!;
    const bucket = Object.keys(state.dedup.buckets)[0]!;
    doc.state.dedup = {
      ...doc.state.dedup,
      v: 1,
      seen: { [id]: seenAt },
      buckets: { [bucket]: [id] },
    };
    const r = engine.restore(JSON.stringify(doc));
    if (!r.ok) throw new Error(r.error.message);
    expect(r.state).toEqual(JSON.parse(JSON.stringify(state)));
    const again = engine.step(r.state, { record: { value: line }, now: 0 }).outputs;
    expect(again.some((o) => o.kind === "quarantine")).toBe(true);

    doc.state.dedup = { ...doc.state.dedup, seen: { [id]: "soon" } };
    const bad = engine.restore(JSON.stringify(doc));
    expect(bad.ok).toBe(false);
    expect(!bad.ok && bad.error.message).toContain(
      `state.dedup.seen["${dg(id)}"]: expected number`,
    );
  });
});
