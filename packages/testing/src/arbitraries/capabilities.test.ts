// The capability arbitraries must produce valid envelopes and the situations attribution is
// about: shared hot wallets, mixed models per wallet, GPU-rich and hardware-less orchestrators,
// refreshes, stale snapshots and late arrival.
import { describe, expect, it } from "vitest";
import fc from "fast-check";
import { runGate } from "@livepeer-analytics/core/quality";
import {
  parseCapabilitySnapshots,
  type AcceptedEvent,
  type CapabilitySnapshot,
} from "@livepeer-analytics/core/events";
import type { JsonObject, JsonValue } from "@livepeer-analytics/core/primitives";
import {
  CAPABILITY_MODEL_FAMILIES,
  capabilityEventArbitrary,
  capabilityStreamArbitrary,
  orchestratorObjectArbitrary,
  withLateCapabilities,
} from "./capabilities.js";

const DAY_MS = 86_400_000;

function accept(env: JsonObject): AcceptedEvent {
  const r = runGate({ value: JSON.stringify(env) }, { now: 0 });
  if (!r.ok) throw new Error(`rejected: ${r.envelope.failure.reason}`);
  return r.event;
}

function snapshotsOf(env: JsonObject): CapabilitySnapshot[] {
  const out = parseCapabilitySnapshots(accept(env));
  expect(out.issues).toEqual([]);
  return out.rows;
}

const isObject = (v: JsonValue | undefined): v is JsonObject =>
  typeof v === "object" && v !== null && !Array.isArray(v);

/** The orchestrator objects of an envelope's `data`. */
function orchestrators(env: JsonObject): JsonObject[] {
  const data = env["data"];
  if (isObject(data)) return [data];
  return Array.isArray(data) ? data.filter(isObject) : [];
}

/** Largest number of GPUs of one hardware entry of an orchestrator object. */
function maxGpusOf(orch: JsonObject): number {
  const hw = orch["hardware"];
  if (!Array.isArray(hw)) return 0;
  return Math.max(
    0,
    ...hw.map((h) =>
      isObject(h) && isObject(h["gpu_info"]) ? Object.keys(h["gpu_info"]).length : 0,
    ),
  );
}

describe("orchestratorObjectArbitrary", () => {
  const objects = fc.sample(orchestratorObjectArbitrary(), { numRuns: 300, seed: 5 });
  const count = (p: (o: JsonObject) => boolean): number => objects.filter(p).length;
  const constraintsOf = (o: JsonObject): JsonValue | undefined => {
    const c = o["capabilities"];
    return isObject(c) ? c["constraints"] : undefined;
  };
  const prices = (o: JsonObject): JsonObject[] => {
    const p = o["capabilities_prices"];
    return Array.isArray(p) ? p.filter(isObject) : [];
  };

  it("produces the real payload variety", () => {
    expect(count((o) => o["hardware"] === null)).toBeGreaterThan(5);
    expect(count((o) => !("hardware" in o))).toBeGreaterThan(5);
    expect(
      count((o) => Array.isArray(o["hardware"]) && o["hardware"].length === 0),
    ).toBeGreaterThan(5);
    expect(count((o) => maxGpusOf(o) >= 5)).toBeGreaterThan(10);
    expect(
      count(
        (o) =>
          Array.isArray(o["hardware"]) &&
          o["hardware"].some((h) => isObject(h) && !("gpu_info" in h)),
      ),
    ).toBeGreaterThan(10);
    expect(count((o) => o["address"] === o["local_address"])).toBeGreaterThan(30);
    expect(
      count((o) => typeof o["address"] === "string" && /[A-F]/.test(o["address"])),
    ).toBeGreaterThan(100);
    expect(
      count((o) => typeof o["address"] === "string" && o["address"] === o["address"].toLowerCase()),
    ).toBeGreaterThan(20);
    expect(count((o) => o["capabilities_prices"] === null)).toBeGreaterThan(30);
    expect(count((o) => prices(o).some((p) => !("pricePerUnit" in p)))).toBeGreaterThan(10);
    expect(count((o) => prices(o).some((p) => p["capability"] === 37))).toBeGreaterThan(10);
    expect(
      count((o) => JSON.stringify(constraintsOf(o)) === JSON.stringify({ minVersion: "0.8.9" })),
    ).toBeGreaterThan(10);
    expect(count((o) => JSON.stringify(constraintsOf(o)) === "{}")).toBeGreaterThan(10);
    const models = new Set(
      objects.flatMap((o) =>
        Array.isArray(o["hardware"])
          ? o["hardware"].flatMap((h) => (isObject(h) ? [h["model_id"]] : []))
          : [],
      ),
    );
    expect([...models].sort()).toEqual([...CAPABILITY_MODEL_FAMILIES].sort());
  });

  it("honours the address options and normalizes them", () => {
    const [o] = fc.sample(
      orchestratorObjectArbitrary({ address: " 0xABC ", localAddress: "0xDEF", maxGpus: 0 }),
      { numRuns: 1, seed: 1 },
    );
    expect(String(o!["address"]).toLowerCase()).toBe("0xabc");
    expect(String(o!["local_address"]).toLowerCase()).toBe("0xdef");
    expect(maxGpusOf(o!)).toBe(0);
  });
});

describe("capabilityEventArbitrary", () => {
  it("every event passes the quality gate and parses without issues", () => {
    fc.assert(
      fc.property(capabilityEventArbitrary(), (env) => {
        expect(runGate({ value: JSON.stringify(env) }, { now: 0 }).ok).toBe(true);
        const rows = snapshotsOf(env);
        for (const r of rows) {
          expect(r.snapshotTs).toBe(Number(env["timestamp"]));
          expect(r.sourceEventId).toBe(env["id"]);
        }
      }),
    );
  });

  it("produces shared wallets, mixed models, GPU-rich rows, null hardware, single objects", () => {
    const events = fc.sample(capabilityEventArbitrary(), { numRuns: 300, seed: 17 });
    let shared = 0;
    let mixed = 0;
    let gpuRich = 0;
    let nullHardware = 0;
    let single = 0;
    let empty = 0;
    let stringTs = 0;
    let duplicates = 0;
    for (const env of events) {
      const rows = snapshotsOf(env);
      const byHot = new Map<string, CapabilitySnapshot[]>();
      for (const r of rows) byHot.set(r.hotAddress, [...(byHot.get(r.hotAddress) ?? []), r]);
      const hots = [...byHot.values()];
      if (hots.some((rs) => new Set(rs.map((r) => r.canonicalOrchestratorAddress)).size === 2))
        shared++;
      if (hots.some((rs) => new Set(rs.map((r) => r.modelId)).size >= 2)) mixed++;
      const orchs = orchestrators(env);
      if (orchs.some((o) => maxGpusOf(o) >= 5)) gpuRich++;
      if (orchs.some((o) => o["hardware"] === null)) nullHardware++;
      if (isObject(env["data"])) single++;
      if (Array.isArray(env["data"]) && env["data"].length === 0) empty++;
      if (typeof env["timestamp"] === "string") stringTs++;
      if (new Set(orchs.map((o) => JSON.stringify(o))).size < orchs.length) duplicates++;
    }
    expect(shared).toBeGreaterThan(30);
    expect(mixed).toBeGreaterThan(100);
    expect(gpuRich).toBeGreaterThan(50);
    expect(nullHardware).toBeGreaterThan(50);
    expect(single).toBeGreaterThan(5);
    expect(empty).toBeGreaterThan(0);
    expect(stringTs).toBeGreaterThan(100);
    expect(duplicates).toBeGreaterThan(5);
  });
});

describe("capabilityStreamArbitrary", () => {
  it("every event passes the gate, parses without issues, and events are time-ordered", () => {
    fc.assert(
      fc.property(capabilityStreamArbitrary(), ({ wallets, events }) => {
        const times = events.map((e) => Number(e["timestamp"]));
        expect(times).toEqual([...times].sort((a, b) => a - b));
        const hots = new Set(wallets.map((w) => w.hot));
        const canonicals = new Set(wallets.flatMap((w) => w.canonicals));
        for (const env of events) {
          for (const r of snapshotsOf(env)) {
            // Snapshots come only from the pool (hardware-less extras yield none).
            expect(hots.has(r.hotAddress)).toBe(true);
            expect(canonicals.has(r.canonicalOrchestratorAddress)).toBe(true);
          }
        }
      }),
    );
  });

  it("produces shared hot wallets, mixed models per wallet, refreshes, stale and GPU-rich rows", () => {
    const end = 1_767_900_600_000;
    const streams = fc.sample(capabilityStreamArbitrary({ end }), { numRuns: 300, seed: 23 });
    let sharedWallets = 0;
    let sharedInSnapshots = 0;
    let mixedPerWallet = 0;
    let mixedInOneEvent = 0;
    let refreshed = 0;
    let stale = 0;
    let staleOrchestrator = 0;
    let gpuRich = 0;
    let nullHardware = 0;
    let selfCanonical = 0;
    for (const { wallets, events } of streams) {
      expect(wallets.length).toBeGreaterThan(0);
      if (wallets.some((w) => w.canonicals.length === 2)) sharedWallets++;
      if (wallets.some((w) => w.canonicals.includes(w.hot))) selfCanonical++;
      const rows = events.flatMap((env) => snapshotsOf(env));
      const byHot = new Map<string, CapabilitySnapshot[]>();
      for (const r of rows) byHot.set(r.hotAddress, [...(byHot.get(r.hotAddress) ?? []), r]);
      const perHot = [...byHot.values()];
      if (perHot.some((rs) => new Set(rs.map((r) => r.canonicalOrchestratorAddress)).size === 2))
        sharedInSnapshots++;
      if (perHot.some((rs) => new Set(rs.map((r) => r.modelId)).size >= 2)) mixedPerWallet++;
      if (
        events.some((env) => {
          const m = new Map<string, Set<string>>();
          for (const r of snapshotsOf(env))
            m.set(r.hotAddress, (m.get(r.hotAddress) ?? new Set()).add(r.modelId));
          return [...m.values()].some((s) => s.size >= 2);
        })
      )
        mixedInOneEvent++;
      const seen = new Map<string, Set<number>>();
      for (const r of rows) {
        const k = `${r.canonicalOrchestratorAddress}|${r.orchestratorUrl}`;
        seen.set(k, (seen.get(k) ?? new Set()).add(r.snapshotTs));
      }
      if ([...seen.values()].some((s) => s.size >= 2)) refreshed++;
      if (rows.some((r) => end - r.snapshotTs > DAY_MS)) stale++;
      const lastSeen = new Map<string, number>();
      for (const r of rows) lastSeen.set(r.canonicalOrchestratorAddress, r.snapshotTs);
      const ages = [...lastSeen.values()].map((t) => end - t);
      if (ages.some((a) => a > DAY_MS) && ages.some((a) => a <= DAY_MS)) staleOrchestrator++;
      if (events.some((env) => orchestrators(env).some((o) => maxGpusOf(o) >= 5))) gpuRich++;
      if (events.some((env) => orchestrators(env).some((o) => o["hardware"] === null)))
        nullHardware++;
    }
    expect(sharedWallets).toBeGreaterThan(100);
    expect(sharedInSnapshots).toBeGreaterThan(60);
    expect(mixedPerWallet).toBeGreaterThan(150);
    expect(mixedInOneEvent).toBeGreaterThan(100);
    expect(refreshed).toBeGreaterThan(150);
    expect(stale).toBeGreaterThan(50);
    expect(staleOrchestrator).toBeGreaterThan(30);
    expect(gpuRich).toBeGreaterThan(100);
    expect(nullHardware).toBeGreaterThan(100);
    expect(selfCanonical).toBeGreaterThan(50);
  });

  it("every snapshot lies in [start, end]", () => {
    const end = 1_767_900_600_000;
    const start = end - 26 * 3_600_000;
    fc.assert(
      fc.property(
        capabilityStreamArbitrary({ start, end, staleProbability: 0.5 }),
        ({ events }) => {
          for (const env of events)
            for (const r of snapshotsOf(env)) {
              expect(r.snapshotTs).toBeGreaterThanOrEqual(start);
              expect(r.snapshotTs).toBeLessThanOrEqual(end);
            }
        },
      ),
    );
  });
});

describe("withLateCapabilities", () => {
  interface Item {
    readonly t: number;
    readonly late: boolean;
    readonly n: number;
  }
  const itemsArb = fc
    .array(fc.tuple(fc.integer({ min: 0, max: 100_000 }), fc.boolean()), { maxLength: 30 })
    .map((xs) =>
      xs.map(([t, late], n): Item => ({ t, late, n })).sort((a, b) => a.t - b.t || a.n - b.n),
    );
  const maxDelay = 5_000;

  it("is a permutation; on-time items keep their order; late items move by at most maxDelayMs", () => {
    fc.assert(
      fc.property(
        itemsArb.chain((xs) =>
          fc.tuple(
            fc.constant(xs),
            withLateCapabilities(
              fc.constant(xs),
              (x) => x.t,
              (x) => x.late,
              maxDelay,
            ),
          ),
        ),
        ([xs, ys]) => {
          expect([...ys].sort((a, b) => a.n - b.n)).toEqual([...xs].sort((a, b) => a.n - b.n));
          expect(ys.filter((y) => !y.late)).toEqual(xs.filter((x) => !x.late));
          ys.forEach((a, i) => {
            // a precedes b ⇒ t(a) ≤ key(a) ≤ key(b) ≤ t(b) + (b late ? maxDelay : 0).
            for (const b of ys.slice(i + 1))
              expect(a.t).toBeLessThanOrEqual(b.t + (b.late ? maxDelay : 0));
          });
        },
      ),
    );
  });

  it("actually delays late items past later on-time items", () => {
    const samples = fc.sample(
      itemsArb.chain((xs) =>
        withLateCapabilities(
          fc.constant(xs),
          (x) => x.t,
          (x) => x.late,
          50_000,
        ),
      ),
      { numRuns: 100, seed: 3 },
    );
    const reordered = samples.filter((ys) =>
      ys.some((a, i) => ys.slice(i + 1).some((b) => !a.late && b.late && b.t < a.t)),
    );
    expect(reordered.length).toBeGreaterThan(30);
  });
});
