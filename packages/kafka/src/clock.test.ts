import fc from "fast-check";
import { describe, expect, test } from "vitest";
import { initPartitionClock, inputFrontier, observeEventTime } from "./clock.js";

describe("partition clock", () => {
  test("each partition has its own quorum frontier", () => {
    const c = initPartitionClock();
    expect(observeEventTime(c, 0, 1_000, 2)).toBeNull();
    expect(observeEventTime(c, 1, 5_000, 2)).toBeNull();
    expect(observeEventTime(c, 0, 2_000, 2)).toBe(1_000);
    expect(observeEventTime(c, 1, 6_000, 2)).toBe(5_000);
    expect(inputFrontier(c, [0, 1], new Set())).toBe(1_000);
  });

  test("a busy partition without a frontier holds everything back; an idle one does not", () => {
    const c = initPartitionClock();
    observeEventTime(c, 0, 1_000, 1);
    expect(inputFrontier(c, [0, 1], new Set())).toBeNull();
    expect(inputFrontier(c, [0, 1], new Set([1]))).toBe(1_000);
  });

  test("with every partition idle the newest frontier applies (the input is drained)", () => {
    const c = initPartitionClock();
    observeEventTime(c, 0, 1_000, 1);
    observeEventTime(c, 1, 9_000, 1);
    expect(inputFrontier(c, [0, 1], new Set([0, 1]))).toBe(9_000);
    expect(inputFrontier(c, [], new Set())).toBeNull();
  });

  test("property: the input frontier never exceeds any busy partition's frontier and is one of them", () => {
    fc.assert(
      fc.property(
        fc.array(fc.tuple(fc.integer({ min: 0, max: 3 }), fc.integer({ min: 0, max: 1e6 })), {
          maxLength: 60,
        }),
        fc.uniqueArray(fc.integer({ min: 0, max: 3 })),
        (events, idleList) => {
          const c = initPartitionClock();
          for (const [p, t] of events) observeEventTime(c, p, t, 2);
          const idle = new Set(idleList);
          const all = [0, 1, 2, 3];
          const f = inputFrontier(c, all, idle);
          const frontiers = all.map((p) => c.partitions[String(p)]?.frontier ?? null);
          const busy = all.filter((p) => !idle.has(p));
          if (busy.some((p) => frontiers[p] === null)) return f === null;
          if (busy.length === 0) {
            const known = frontiers.filter((x): x is number => x !== null);
            return f === (known.length === 0 ? null : Math.max(...known));
          }
          return f === Math.min(...busy.map((p) => frontiers[p]!));
        },
      ),
      { numRuns: 300 },
    );
  });
});
