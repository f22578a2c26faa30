// Correction-mode properties (attribution.md §7.3 convergence, §8 items 23–26).
import { describe, expect, it } from "vitest";
import fc from "fast-check";
import {
  capabilitySnapshot,
  REAL_CANONICAL_ADDRESSES,
  REAL_HOT_WALLETS,
  inputTime,
  lifecycleStreamArbitrary,
} from "@livepeer-analytics/testing";
import { DEFAULT_LIFECYCLE_CONFIG } from "./config.js";
import {
  correctionOperator,
  DEFAULT_CORRECTION_CONFIG,
  flushCorrection,
  initCorrectionState,
  type CorrectionOperatorConfig,
} from "./correction.js";
import type { LifecycleInput, LifecycleOutput } from "./fold.js";

const config: CorrectionOperatorConfig = {
  ...DEFAULT_LIFECYCLE_CONFIG,
  ...DEFAULT_CORRECTION_CONFIG,
  edgeSemanticsVersions: ["v1", "v2"],
};
const LATENESS = config.attribution.allowedLatenessMs;
const HOTS = REAL_HOT_WALLETS;
const CANONS = REAL_CANONICAL_ADDRESSES;

const capsArb: fc.Arbitrary<LifecycleInput[]> = fc
  .array(
    fc.record({
      ts: fc.integer({ min: 1_767_899_900_000, max: 1_767_900_200_000 }),
      hot: fc.constantFrom(...HOTS),
      canon: fc.constantFrom(...CANONS),
      model: fc.constantFrom(
        "streamdiffusion-sdxl",
        "streamdiffusion-sdxl-faceid",
        "meta-llama/Meta-Llama-3.1-8B-Instruct",
        "",
      ),
      gpus: fc.integer({ min: 1, max: 3 }),
    }),
    { maxLength: 5 },
  )
  .map((caps) =>
    caps.map((c, i) => ({
      kind: "capability" as const,
      snapshots: Array.from({ length: c.gpus }, (_, g) =>
        capabilitySnapshot({
          snapshotTs: c.ts,
          hotAddress: c.hot,
          canonicalOrchestratorAddress: c.canon,
          modelId: c.model,
          pipeline: c.model.startsWith("meta") ? "llm" : "live-video-to-video",
          gpuId: `GPU-${i}-${g}`,
          sourceEventId: `cap-${i}`,
          capacityUnits: g + 1,
        }),
      ),
    })),
  );

/** A duplicate-free event set (P4). */
const eventsArb = fc
  .tuple(lifecycleStreamArbitrary({ hotWallets: [...HOTS, ""], maxSessions: 3 }), capsArb)
  .map(([signals, caps]) => [...signals, ...caps].sort((a, b) => inputTime(a) - inputTime(b)));

function run(
  inputs: readonly LifecycleInput[],
  arrivalTime: (i: LifecycleInput) => number,
): LifecycleOutput[] {
  const state = initCorrectionState();
  const out: LifecycleOutput[] = [];
  let maxSeen = -Infinity;
  for (const input of inputs) {
    out.push(...correctionOperator.stepInPlace(state, input, config));
    maxSeen = Math.max(maxSeen, arrivalTime(input));
    out.push(...correctionOperator.advanceInPlace(state, maxSeen - LATENESS, config));
  }
  out.push(...flushCorrection(state, config));
  for (const cs of Object.values(state.sessions)) {
    expect(cs.unsealed).toEqual([]);
    expect(cs.retained).toEqual([]);
  }
  return out;
}

const KEYS: Record<string, (r: Record<string, unknown>) => string> = {
  fact_workflow_sessions: (r) => String(r["workflow_session_id"]),
  fact_workflow_session_segments: (r) =>
    `${String(r["workflow_session_id"])}|${String(r["segment_index"])}`,
  fact_workflow_param_updates: (r) =>
    `${String(r["workflow_session_id"])}|${String(r["source_event_uid"])}`,
  fact_stream_status_samples: (r) =>
    `${String(r["workflow_session_id"])}|${String(r["sample_ts"])}|${String(r["source_event_uid"])}`,
  fact_stream_trace_edges: (r) =>
    `${String(r["workflow_session_id"])}|${String(r["edge_ts"])}|${String(r["source_event_uid"])}`,
  fact_workflow_latency_samples: (r) =>
    `${String(r["workflow_session_id"])}|${String(r["edge_semantics_version"])}`,
};

/** Latest row per key per table, without version; plus the retracted segment keys. */
function finalTables(out: readonly LifecycleOutput[]) {
  const latest = new Map<string, Record<string, unknown>>();
  for (const o of out) {
    if (o.kind !== "row" || !(o.table in KEYS)) continue;
    const row = o.row as unknown as Record<string, unknown>;
    const k = `${o.table}#${KEYS[o.table]!(row)}`;
    const prev = latest.get(k);
    if (prev === undefined || (row["version"] as number) > (prev["version"] as number))
      latest.set(k, row);
  }
  const result: Record<string, unknown> = {};
  for (const k of [...latest.keys()].sort()) {
    const { version: _v, ...rest } = latest.get(k)!;
    result[k] = rest;
  }
  return result;
}

const guaranteeCounters = (out: readonly LifecycleOutput[]) =>
  out.filter(
    (o) =>
      o.kind === "counter" &&
      ["late_events", "late_capabilities", "forced_seals", "relevant_evictions"].includes(o.name),
  ).length;

describe("convergence (attribution.md §7.3, §8 item 23)", () => {
  it("in-order vs delayed arrival within the lateness bound: identical final tables, zero guarantee counters", () => {
    fc.assert(
      fc.property(
        eventsArb,
        fc.array(fc.integer({ min: 0, max: LATENESS }), { minLength: 1, maxLength: 300 }),
        (events, delays) => {
          const delayed = events.map((e, i) => ({
            e,
            at: inputTime(e) + delays[i % delays.length]!,
          }));
          delayed.sort((a, b) => a.at - b.at);
          const a = run(events, inputTime);
          const b = run(
            delayed.map((d) => d.e),
            (e) => delayed.find((d) => d.e === e)!.at,
          );
          expect(guaranteeCounters(a)).toBe(0);
          expect(guaranteeCounters(b)).toBe(0);
          expect(finalTables(b)).toEqual(finalTables(a));
        },
      ),
      { numRuns: Number(process.env["FC_NUM_RUNS"] ?? 200) },
    );
  });

  it("ordering stress: every capability delayed by the full lateness relative to the signals that need it", () => {
    fc.assert(
      fc.property(eventsArb, (events) => {
        const arrival = (e: LifecycleInput) =>
          inputTime(e) + (e.kind === "capability" ? LATENESS : 0);
        const stressed = [...events].sort((x, y) => arrival(x) - arrival(y));
        const a = run(events, inputTime);
        const b = run(stressed, arrival);
        expect(guaranteeCounters(b)).toBe(0);
        expect(finalTables(b)).toEqual(finalTables(a));
      }),
    );
  });
});

describe("emission rules (attribution.md §8 items 24–26)", () => {
  it("versions strictly increase per key; consecutive emissions differ; only segments are retracted", () => {
    fc.assert(
      fc.property(eventsArb, (events) => {
        const out = run(events, inputTime);
        const last = new Map<string, Record<string, unknown>>();
        for (const o of out) {
          if (o.kind !== "row" || !(o.table in KEYS) || o.table === "fact_workflow_latency_samples")
            continue;
          const row = o.row as unknown as Record<string, unknown>;
          const k = `${o.table}#${KEYS[o.table]!(row)}`;
          const prev = last.get(k);
          if (prev !== undefined) {
            expect(row["version"] as number).toBeGreaterThan(prev["version"] as number);
            const { version: _a, ...pa } = prev;
            const { version: _b, ...pb } = row;
            expect(pb).not.toEqual(pa);
          }
          if (row["is_retracted"] === 1) expect(o.table).toBe("fact_workflow_session_segments");
          last.set(k, row);
        }
      }),
    );
  });

  it("re-delivering already processed events changes no final output", () => {
    fc.assert(
      fc.property(eventsArb, fc.array(fc.nat(), { maxLength: 5 }), (events, picks) => {
        const withDups = [...events];
        for (const p of picks)
          if (events.length > 0)
            withDups.splice(
              Math.min(withDups.length, (p % events.length) + 1),
              0,
              events[p % events.length]!,
            );
        const dupsSorted = withDups
          .map((e, i) => ({ e, i }))
          .sort((x, y) => inputTime(x.e) - inputTime(y.e) || x.i - y.i)
          .map((x) => x.e);
        expect(finalTables(run(dupsSorted, inputTime))).toEqual(
          finalTables(run(events, inputTime)),
        );
      }),
    );
  });

  it("status/trace rows: unattributed ⇔ source unattributed; attributed rows carry a canonical address, never a hot wallet", () => {
    fc.assert(
      fc.property(eventsArb, (events) => {
        const tables = finalTables(run(events, inputTime));
        for (const [k, r] of Object.entries(tables) as [string, Record<string, unknown>][]) {
          const addr = r["orchestrator_address"];
          if (typeof addr === "string" && addr !== "") {
            expect(CANONS).toContain(addr);
            expect(HOTS).not.toContain(addr);
          }
          if (k.startsWith("fact_stream_")) {
            expect(r["is_attributed"] === 0).toBe(r["attribution_source"] === "unattributed");
            if (r["is_attributed"] === 0)
              expect([addr, r["pipeline"], r["model_id"]]).toEqual(["", "", null]);
          }
        }
      }),
    );
  });
});
