// The timer queues (binary min-heaps of [time, key] with lazy deletion) and the record-order sort
// the operators use to visit due sessions in the order a full scan of the record would.
import { describe, expect, it } from "vitest";
import fc from "fast-check";
import {
  compactTimerQueue,
  expireTombstones,
  isArrayIndexKey,
  popDueTimers,
  popTimer,
  pushTimer,
  pushTombstone,
  sortInRecordOrder,
  type TimerEntry,
  type TimerQueue,
  type TombstoneQueue,
} from "./timers.js";

const byTimeThenKey = (a: TimerEntry, b: TimerEntry): number =>
  a[0] - b[0] || (a[1] < b[1] ? -1 : a[1] > b[1] ? 1 : 0);

const entryArb = fc.tuple(fc.integer({ min: -50, max: 50 }), fc.constantFrom("a", "b", "c", "d"));

function drain(q: TimerQueue): TimerEntry[] {
  const out: TimerEntry[] = [];
  for (let e = popTimer(q); e !== undefined; e = popTimer(q)) out.push(e);
  return out;
}

describe("timer queue", () => {
  it("pops in (time, key) order, also after a JSON round trip at any point", () => {
    fc.assert(
      fc.property(fc.array(entryArb, { maxLength: 60 }), fc.nat(60), (entries, cut) => {
        let q: TimerQueue = [];
        entries.forEach(([t, k], i) => {
          if (i === cut) q = JSON.parse(JSON.stringify(q)) as TimerQueue;
          pushTimer(q, t, k);
        });
        expect(drain(q)).toEqual([...entries].sort(byTimeThenKey));
      }),
    );
  });

  it("popDueTimers takes exactly the entries due, earliest first, and leaves the rest queued", () => {
    fc.assert(
      fc.property(
        fc.array(entryArb, { maxLength: 60 }),
        fc.integer({ min: -60, max: 60 }),
        (entries, w) => {
          const q: TimerQueue = [];
          for (const [t, k] of entries) pushTimer(q, t, k);
          const taken: TimerEntry[] = [];
          const keys = popDueTimers(
            q,
            (t) => t < w,
            (t, k) => {
              taken.push([t, k]);
              return k !== "d";
            },
          );
          const sorted = [...entries].sort(byTimeThenKey);
          expect(taken).toEqual(sorted.filter(([t]) => t < w));
          expect(keys).toEqual(taken.filter(([, k]) => k !== "d").map(([, k]) => k));
          expect(drain(q)).toEqual(sorted.filter(([t]) => t >= w));
        },
      ),
    );
  });

  it("does not queue times JSON cannot hold", () => {
    const q: TimerQueue = [];
    pushTimer(q, Number.POSITIVE_INFINITY, "a");
    pushTimer(q, Number.NaN, "b");
    pushTimer(q, Number.NEGATIVE_INFINITY, "c");
    expect(q).toEqual([]);
  });

  it("compaction keeps exactly the live entries once (heap order intact) and only past its bound", () => {
    // `size: "max"`: fast-check would otherwise generate at most 10 entries, never past the bound.
    let compacted = 0;
    fc.assert(
      fc.property(
        fc.array(entryArb, { maxLength: 200, size: "max" }),
        fc.integer({ min: 0, max: 10 }),
        (entries, bound) => {
          const q: TimerQueue = [];
          for (const [t, k] of entries) pushTimer(q, t, k);
          const live = (t: number, k: string): boolean => k !== "a" && t % 2 === 0;
          const before = [...q];
          compactTimerQueue(q, bound, live);
          if (entries.length <= 2 * bound + 64) {
            expect(q).toEqual(before);
            return;
          }
          const expected = [...new Set(entries.map((e) => JSON.stringify(e)))]
            .map((s) => JSON.parse(s) as TimerEntry)
            .filter(([t, k]) => live(t, k))
            .sort(byTimeThenKey);
          expect(drain(q)).toEqual(expected);
          compacted += 1;
        },
      ),
    );
    // The runs do reach the compaction.
    expect(compacted).toBeGreaterThan(0);
  });
});

describe("record order", () => {
  it("isArrayIndexKey recognizes exactly the canonical array indices", () => {
    for (const k of ["0", "7", "10", "4294967294"]) expect(isArrayIndexKey(k)).toBe(true);
    for (const k of ["", "-1", "01", "1.5", "1e3", " 1", "4294967295", "99999999999", "a1", "+1"])
      expect(isArrayIndexKey(k)).toBe(false);
  });

  it("sortInRecordOrder reproduces the enumeration order of a record built by insertion", () => {
    const keyArb = fc.oneof(
      fc.nat({ max: 20 }).map(String),
      fc.constantFrom("4294967294", "4294967295", "-1", "01", "1.5", "\u0000__proto__", "x", "y"),
      fc.string({ maxLength: 4 }),
    );
    fc.assert(
      fc.property(fc.uniqueArray(keyArb, { maxLength: 30 }), fc.nat(), (keys, seed) => {
        const stored = keys.filter((k) => k !== "__proto__");
        const record: Record<string, number> = {};
        const rank = new Map<string, number>();
        stored.forEach((k, i) => {
          record[k] = i;
          rank.set(k, i);
        });
        // Any subset, in any order, sorts into the record's order.
        const subset = stored.filter((_, i) => (seed >> (i % 30)) & 1);
        subset.reverse();
        const expected = Object.keys(record).filter((k) => subset.includes(k));
        expect(sortInRecordOrder(subset, (k) => rank.get(k)!)).toEqual(expected);
      }),
    );
  });
});

describe("tombstone expiry queue", () => {
  it("batches the tombstones of one sweep and keeps batches in time order", () => {
    const q: TombstoneQueue = [];
    pushTombstone(q, 100, "a");
    pushTombstone(q, 100, "b");
    pushTombstone(q, 200, "c");
    pushTombstone(q, 150, "d"); // out of order (a rebuild): inserted in place
    pushTombstone(q, 100, "e");
    expect(q).toEqual([
      [100, "a", "b", "e"],
      [150, "d"],
      [200, "c"],
    ]);
  });

  it("expires exactly the due tombstones; a key whose tombstone changed is dead", () => {
    const q: TombstoneQueue = [];
    const tombstones: Record<string, { evictedAt: number }> = {};
    const add = (k: string, at: number): void => {
      tombstones[k] = { evictedAt: at };
      pushTombstone(q, at, k);
    };
    add("a", 100);
    add("b", 100);
    add("c", 200);
    delete tombstones["b"]; // expired by a scan, then re-created later
    add("b", 300);
    expireTombstones(tombstones, q, 250, 100, false); // due: evictedAt < 150
    expect(Object.keys(tombstones).sort()).toEqual(["b", "c"]);
    expect(q).toEqual([
      [200, "c"],
      [300, "b"],
    ]);
    expireTombstones(tombstones, q, 10_000, 100, false);
    expect(tombstones).toEqual({});
    expect(q).toEqual([]);
  });

  it("property: the same tombstones as a full scan, from any queue order (earlier heap form)", () => {
    fc.assert(
      fc.property(
        fc.uniqueArray(
          fc.tuple(fc.constantFrom("a", "b", "c", "d", "e", "f"), fc.integer({ min: 0, max: 50 })),
          {
            selector: (x) => x[0],
          },
        ),
        fc.integer({ min: 0, max: 100 }),
        fc.boolean(),
        (entries, watermark, shuffled) => {
          const tombstones = Object.fromEntries(entries.map(([k, at]) => [k, { evictedAt: at }]));
          const scan = structuredClone(tombstones);
          // One-key batches in the given order: what a state saved with the binary heap holds.
          const q: TombstoneQueue = shuffled
            ? entries.map(([k, at]) => [at, k])
            : entries.reduce<TombstoneQueue>(
                (acc, [k, at]) => (pushTombstone(acc, at, k), acc),
                [],
              );
          expireTombstones(tombstones, q, watermark, 20, false);
          expireTombstones(scan, [], watermark, 20, true);
          expect(tombstones).toEqual(scan);
          for (let i = 1; i < q.length; i++) expect(q[i - 1]![0]).toBeLessThanOrEqual(q[i]![0]);
        },
      ),
      { numRuns: 300 },
    );
  });
});
