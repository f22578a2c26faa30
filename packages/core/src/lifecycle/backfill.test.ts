// Deterministic backfill (attribution.md §7.5) and quality KPIs (§7.6).
import { describe, expect, it } from "vitest";
import fc from "fast-check";
import {
  capabilitySnapshot,
  inputTime,
  lifecycleStreamArbitrary,
} from "@livepeer-analytics/testing";
import { BACKFILL_EPOCH_STRIDE, backfillCapabilityRange, runBackfill } from "./backfill.js";
import { DEFAULT_LIFECYCLE_CONFIG } from "./config.js";
import { computeQualityKpis } from "./kpis.js";
import type { LifecycleInput } from "./fold.js";
import type { SessionRow } from "./session.js";

const HOT = "0x52cf2968b3dc6016778742d3539449a6597d5954";
const cap = (ts: number): LifecycleInput => ({
  kind: "capability",
  snapshots: [
    capabilitySnapshot({
      snapshotTs: ts,
      hotAddress: HOT,
      canonicalOrchestratorAddress: "0xd00354656922168815fcd1e51cbddb9e359e3c7f",
      modelId: "",
    }),
  ],
});
const eventsArb = lifecycleStreamArbitrary({ hotWallets: [HOT, ""], maxSessions: 3 }).map(
  (signals) => [cap(1_767_899_950_000), ...signals],
);

describe("deterministic backfill (attribution.md §7.5)", () => {
  const window = { windowStart: 1_767_900_000_000, windowEnd: 1_767_900_060_000, epoch: 3 };

  it("is idempotent, publishes only rows keyed inside the window, with epoch versions above 2^32", () => {
    fc.assert(
      fc.property(eventsArb, (events) => {
        const a = runBackfill(events, window, DEFAULT_LIFECYCLE_CONFIG);
        const b = runBackfill([...events].reverse(), window, DEFAULT_LIFECYCLE_CONFIG);
        if (!a.ok || !b.ok) throw new Error("backfill failed");
        expect(b.rows).toEqual(a.rows);
        for (const o of a.rows) {
          if (o.kind !== "row") continue;
          const r = o.row as unknown as Record<string, number>;
          expect(r["version"]).toBeGreaterThan(3 * BACKFILL_EPOCH_STRIDE);
          expect(r["version"]).toBeLessThan(4 * BACKFILL_EPOCH_STRIDE);
          const t =
            r["session_start_ts"] ??
            r["segment_start_ts"] ??
            r["sample_ts"] ??
            r["edge_ts"] ??
            r["update_ts"] ??
            r["signal_ts"];
          expect(t! >= window.windowStart && t! < window.windowEnd).toBe(true);
        }
      }),
    );
  });

  it("rejects bad epochs and windows with typed errors", () => {
    expect(runBackfill([], { ...window, epoch: 0 }, DEFAULT_LIFECYCLE_CONFIG)).toMatchObject({
      ok: false,
      error: { code: "invalid_epoch" },
    });
    expect(runBackfill([], { ...window, epoch: 2 ** 21 }, DEFAULT_LIFECYCLE_CONFIG)).toMatchObject({
      ok: false,
      error: { code: "invalid_epoch" },
    });
    expect(
      runBackfill([], { ...window, windowEnd: window.windowStart }, DEFAULT_LIFECYCLE_CONFIG),
    ).toMatchObject({ ok: false, error: { code: "invalid_window" } });
  });

  it("capability range covers the eligibility windows of the selected signals", () => {
    expect(
      backfillCapabilityRange([5_000_000_000, 5_000_100_000], DEFAULT_LIFECYCLE_CONFIG),
    ).toEqual({
      from: 5_000_000_000 - 172_800_000,
      to: 5_000_100_000 + 600_000,
    });
    expect(backfillCapabilityRange([], DEFAULT_LIFECYCLE_CONFIG)).toBeNull();
    void inputTime;
  });
});

describe("quality KPIs (attribution.md §7.6)", () => {
  const session = (id: string, over: Partial<SessionRow>): SessionRow =>
    ({
      workflow_session_id: id,
      orchestrator_address: "",
      orchestrator_url: "https://orch",
      orchestrator_assigned_ts: 1,
      attribution_source: "unattributed",
      attribution_outcome: "no_candidates",
      model_id: null,
      pipeline: "",
      ...over,
    }) as SessionRow;

  it("rates over sessions with evidence, with the proposed thresholds", () => {
    const sessions = [
      ...Array.from({ length: 96 }, (_, i) =>
        session(`d${i}`, {
          orchestrator_address: "0xc",
          attribution_source: "direct",
          attribution_outcome: "selected",
          model_id: "m",
          pipeline: "live-video-to-video",
        }),
      ),
      session("m1", {
        orchestrator_address: "0xc",
        attribution_source: "mapped_window",
        attribution_outcome: "selected",
        model_id: "m",
        pipeline: "",
      }),
      session("u1", { attribution_outcome: "ambiguous_canonical" }),
      session("u2", {}),
      session("u3", {}),
      session("noevidence", {
        orchestrator_url: "",
        orchestrator_assigned_ts: null,
        attribution_outcome: "no_lookup_key",
      }),
    ];
    const k = computeQualityKpis({
      sessions,
      correctionRows: 5,
      firstEmissions: 100,
      counters: { late_events: 2 },
    });
    expect(k.unattributed_session_rate).toEqual({
      value: 3 / 100,
      numerator: 3,
      denominator: 100,
      status: "warn",
    });
    expect(k.empty_key_rate.sessions).toMatchObject({
      numerator: 3,
      denominator: 100,
      status: "warn",
    });
    expect(k.mapped_window_session_rate).toMatchObject({
      numerator: 1,
      denominator: 100,
      status: "info",
    });
    expect(k.ambiguous_rate).toMatchObject({ numerator: 1, denominator: 100, status: "ok" });
    expect(k.pipeline_coverage).toMatchObject({ numerator: 96, denominator: 97, status: "fail" });
    expect(k.correction_rate).toMatchObject({ value: 0.05, status: "info" });
    expect(k.guarantee_counters.late_events).toMatchObject({ value: 2, status: "warn" });
    expect(k.guarantee_counters.forced_seals).toMatchObject({ value: 0, status: "ok" });
    expect(k.empty_key_rate.status_samples).toMatchObject({ value: null, status: "ok" });
  });
});
