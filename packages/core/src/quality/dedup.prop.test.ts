// The dedup store keeps its expiry buckets in bucket order (`bucketOrder`) so `advance` and the size
// bound reach the oldest buckets without a pass over all of them. This property runs it in lockstep
// with a reference that scans every bucket (the algorithm before the order existed) and requires the
// same outputs and the same entries at every transition, across JSON round trips of the state and
// states saved before the order existed.
import { describe, expect, it } from "vitest";
import fc from "fast-check";
import {
  dedupOperator,
  initDedupState,
  type DedupConfig,
  type DedupOutput,
  type DedupState,
} from "./dedup.js";

/** The reference: every bucket scanned on each `advance` and for each size-bound eviction. */
function referenceDedup(ttlMs: number) {
  const bucketMs = Math.max(1, Math.min(60_000, ttlMs));
  const seen = new Map<string, number>();
  const buckets = new Map<string, string[]>();
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
        out.push({ type: "evicted", key, seenAt: at });
        return;
      }
      buckets.delete(min);
      sorted = null;
    }
  };
  return {
    seen,
    step(key: string, seenAt: number, now: number | null | undefined, c: DedupConfig) {
      const out: DedupOutput[] = [];
      const clock = now === undefined ? watermark : now;
      const existing = seen.get(key);
      if (existing !== undefined && (clock === null || clock - existing < c.ttlMs)) {
        out.push({ type: "verdict", key, duplicate: true, firstSeenAt: existing });
        return out;
      }
      seen.set(key, seenAt);
      const b = bucketOf(seenAt);
      const list = buckets.get(b);
      if (list === undefined) buckets.set(b, [key]);
      else {
        list.push(key);
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
  | { readonly op: "json" | "legacy" | "pure" };

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
                  key: fc.constantFrom("a", "b", "c", "d", "e", "f", "g", "h", "__proto__"),
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
            { weight: 1, arbitrary: fc.record({ op: fc.constantFrom("json", "legacy", "pure") }) },
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
            const entries = Object.entries(s.seen)
              .map(([k, v]) => [k.replace(/^\u0000/, ""), v] as const)
              .sort();
            expect(entries).toEqual([...ref.seen.entries()].sort());
            expect(s.size).toBe(ref.seen.size);
            if (s.bucketOrder !== undefined)
              expect([...s.bucketOrder].sort()).toEqual(Object.keys(s.buckets).sort());
          }
        },
      ),
    );
  });
});
