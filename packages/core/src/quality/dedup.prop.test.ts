// The dedup store keeps its expiry buckets in bucket order (`bucketOrder`) so `advance` and the size
// bound reach the oldest buckets without a pass over all of them. This property runs it in lockstep
// with a reference that scans every bucket (the algorithm before the order existed) and requires the
// same outputs and the same entries at every transition, across JSON round trips of the state and
// states saved before the order existed. The store holds 128-bit digests of the keys: the reference
// computes them independently (node:crypto), and states saved with full keys (version 1, rendered
// from the reference's digest → key map) are upgraded, lazily by the operator or by
// `upgradeDedupState`, without any change of behaviour.
import { createHash } from "node:crypto";
import { describe, expect, it } from "vitest";
import fc from "fast-check";
import {
  dedupOperator,
  initDedupState,
  upgradeDedupState,
  type DedupConfig,
  type DedupOutput,
  type DedupState,
} from "./dedup.js";

/** First 128 bits of SHA-256 of the key's UTF-8 bytes, base64url (node:crypto). */
const digestOf = (key: string): string =>
  createHash("sha256").update(key, "utf8").digest().subarray(0, 16).toString("base64url");

/** The reference: every bucket scanned on each `advance` and for each size-bound eviction. */
function referenceDedup(ttlMs: number) {
  const bucketMs = Math.max(1, Math.min(60_000, ttlMs));
  /** Digest → seenAt. */
  const seen = new Map<string, number>();
  /** Bucket → digests. */
  const buckets = new Map<string, string[]>();
  /** Digest → the key it was computed from. */
  const keyOf = new Map<string, string>();
  let sorted: string | null = null;
  let watermark: number | null = null;
  const bucketOf = (t: number) => String(Math.floor(t / bucketMs));
  const liveIn = (key: string, b: string) => {
    const at = seen.get(key);
    return at !== undefined && bucketOf(at) === b ? at : undefined;
  };
  const evictOldest = (out: DedupOutput[]): void => {
    for (;;) {
      let min: string | null = null;
      let minNum = Infinity;
      for (const b of buckets.keys()) {
        if (Number(b) < minNum) {
          minNum = Number(b);
          min = b;
        }
      }
      if (min === null) return;
      const keys = buckets.get(min)!;
      if (sorted !== min) {
        keys.sort((x, y) => {
          const d = (seen.get(y) ?? 0) - (seen.get(x) ?? 0);
          return d !== 0 ? d : x < y ? 1 : x > y ? -1 : 0;
        });
        sorted = min;
      }
      while (keys.length > 0) {
        const key = keys.pop()!;
        const at = liveIn(key, min);
        if (at === undefined) continue;
        seen.delete(key);
        if (keys.length === 0) {
          buckets.delete(min);
          sorted = null;
        }
        out.push({ type: "evicted", digest: key, seenAt: at });
        return;
      }
      buckets.delete(min);
      sorted = null;
    }
  };
  return {
    seen,
    keyOf,
    step(key: string, seenAt: number, now: number | null | undefined, c: DedupConfig) {
      const out: DedupOutput[] = [];
      const clock = now === undefined ? watermark : now;
      const d = digestOf(key);
      keyOf.set(d, key);
      const existing = seen.get(d);
      if (existing !== undefined && (clock === null || clock - existing < c.ttlMs)) {
        out.push({ type: "verdict", key, duplicate: true, firstSeenAt: existing });
        return out;
      }
      seen.set(d, seenAt);
      const b = bucketOf(seenAt);
      const list = buckets.get(b);
      if (list === undefined) buckets.set(b, [d]);
      else {
        list.push(d);
        if (sorted === b) sorted = null;
      }
      out.push({ type: "verdict", key, duplicate: false, firstSeenAt: null });
      while (seen.size > c.maxEntries) evictOldest(out);
      return out;
    },
    advance(w: number, c: DedupConfig) {
      const out: DedupOutput[] = [];
      if (watermark !== null && w <= watermark) return out;
      watermark = w;
      let removed = 0;
      for (const b of [...buckets.keys()]) {
        if (w - ((Number(b) + 1) * bucketMs - 1) < c.ttlMs) continue;
        for (const key of buckets.get(b)!) {
          const at = liveIn(key, b);
          if (at !== undefined && w - at >= c.ttlMs) {
            seen.delete(key);
            removed += 1;
          }
        }
        buckets.delete(b);
        if (sorted === b) sorted = null;
      }
      if (removed > 0) out.push({ type: "expired", count: removed });
      return out;
    },
  };
}

type Op =
  | { readonly op: "step"; readonly key: string; readonly seenAt: number; readonly now?: number }
  | { readonly op: "advance"; readonly by: number }
  | { readonly op: "json" | "legacy" | "pure" | "v1" | "v1-upgrade" };

/** Storage form of a full key in a version-1 state (`__proto__` and U+0000… escaped). */
const escapeV1 = (key: string): string =>
  key === "__proto__" || key.charCodeAt(0) === 0 ? "\u0000" + key : key;

/** `s` as version 1 saved it: the full keys (from the reference's map) instead of digests. */
function toV1(s: DedupState, keyOf: ReadonlyMap<string, string>): DedupState {
  const full = (d: string): string => keyOf.get(d) ?? d;
  const j = JSON.parse(JSON.stringify(s)) as Record<string, unknown>;
  const seen: Record<string, number> = {};
  for (const [d, at] of Object.entries(s.seen)) seen[escapeV1(full(d))] = at;
  const buckets: Record<string, string[]> = {};
  for (const [b, list] of Object.entries(s.buckets)) buckets[b] = list.map(full);
  return { ...j, v: 1, seen, buckets } as unknown as DedupState;
}

describe("dedup: bucket order ≡ scanning every bucket", () => {
  it("same outputs and entries at every step and advance", () => {
    fc.assert(
      fc.property(
        fc.constantFrom(50, 1000, 120_000, 86_400_000),
        fc.integer({ min: 1, max: 12 }),
        fc.array(
          fc.oneof(
            {
              weight: 6,
              arbitrary: fc.record(
                {
                  op: fc.constant("step" as const),
                  key: fc.constantFrom(
                    "a",
                    "b",
                    "c",
                    "d",
                    "e",
                    "f",
                    "\u0000g",
                    "h\u00e9\u{1f600}",
                    "__proto__",
                    "k".repeat(5000),
                  ),
                  seenAt: fc.integer({ min: -200_000, max: 400_000 }),
                  now: fc.integer({ min: -200_000, max: 500_000 }),
                },
                { requiredKeys: ["op", "key", "seenAt"] },
              ),
            },
            {
              weight: 3,
              arbitrary: fc.record({
                op: fc.constant("advance" as const),
                by: fc.integer({ min: -1000, max: 120_000 }),
              }),
            },
            {
              weight: 1,
              arbitrary: fc.record({
                op: fc.constantFrom("json", "legacy", "pure", "v1", "v1-upgrade"),
              }),
            },
          ) as fc.Arbitrary<Op>,
          { maxLength: 120 },
        ),
        (ttlMs, maxEntries, ops) => {
          const config: DedupConfig = { ttlMs, maxEntries };
          const ref = referenceDedup(ttlMs);
          let s: DedupState = initDedupState(config);
          let w = -250_000;
          let pure = false;
          for (const o of ops) {
            if (o.op === "json") s = JSON.parse(JSON.stringify(s)) as DedupState;
            else if (o.op === "legacy") {
              s = JSON.parse(JSON.stringify(s)) as DedupState;
              delete s.bucketOrder;
            } else if (o.op === "v1") {
              // Upgraded by the next step or advance.
              if ((s.v as number) !== 1) s = toV1(s, ref.keyOf);
            } else if (o.op === "v1-upgrade" && (s.v as number) === 1) {
              s = upgradeDedupState(s) as DedupState;
            } else if (o.op === "v1-upgrade") {
              const old = toV1(s, ref.keyOf);
              const before = JSON.stringify(old);
              const up = upgradeDedupState(old) as DedupState;
              expect(JSON.stringify(old)).toBe(before);
              expect({ ...up, sortedBucket: s.sortedBucket }).toEqual(
                JSON.parse(JSON.stringify(s)),
              );
              s = up;
            } else if (o.op === "pure") pure = !pure;
            else if (o.op === "step") {
              const input = o.now === undefined ? o : { ...o, now: o.now };
              let out: readonly DedupOutput[];
              if (pure) {
                const r = dedupOperator.step(s, input, config);
                s = r.state;
                out = r.outputs;
              } else out = dedupOperator.stepInPlace(s, input, config);
              expect(out).toEqual(ref.step(o.key, o.seenAt, o.now, config));
            } else if (o.op === "advance") {
              w += o.by;
              let out: readonly DedupOutput[];
              if (pure) {
                const r = dedupOperator.advance(s, w, config);
                s = r.state;
                out = r.outputs;
              } else out = dedupOperator.advanceInPlace(s, w, config);
              expect(out).toEqual(ref.advance(w, config));
            }
            // A version-1 state is compared once the operator has upgraded it.
            if ((s.v as number) === 1) continue;
            const entries = Object.entries(s.seen)
              .map(([k, v]) => [k.replace(/^\u0000/, ""), v] as const)
              .sort();
            expect(entries).toEqual([...ref.seen.entries()].sort());
            expect(s.size).toBe(ref.seen.size);
            if (s.bucketOrder !== undefined) {
              expect([...s.bucketOrder].sort()).toEqual(Object.keys(s.buckets).sort());
              // Ascending bucket numbers: the order `advance` and the size bound rely on.
              expect(s.bucketOrder).toEqual(
                [...s.bucketOrder].sort((x, y) => Number(x) - Number(y)),
              );
            }
          }
        },
      ),
    );
  });
});
