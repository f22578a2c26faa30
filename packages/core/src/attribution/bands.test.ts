import { describe, it, expect } from "vitest";
import fc from "fast-check";
import {
  NONE_BAND,
  PROXY_ADDRESS_JOIN_BAND,
  SEGMENT_WINDOW_JOIN_BAND,
  attributionBand,
  attributionSourceOf,
  freshnessClass,
} from "./bands.js";
import type { AttributionMethod } from "./types.js";

const TTL = 86_400_000;

describe("AttributionSemanticsTest (attribution.md §9.3)", () => {
  it("exactSnapshotHasHighestConfidence", () => {
    expect(attributionBand(1000, 1000, 10000)).toEqual({
      method: "exact_orchestrator_time_match",
      confidence: 1,
    });
  });

  it("nearestPriorWithinTtlUsesPriorSemantics", () => {
    expect(attributionBand(2000, 1500, 1000)).toEqual({
      method: "nearest_prior_snapshot",
      confidence: Math.fround(0.9),
    });
  });

  it("nearestWithinTtlFutureSnapshotUsesMidConfidence", () => {
    expect(attributionBand(2000, 2500, 1000)).toEqual({
      method: "nearest_snapshot_within_ttl",
      confidence: Math.fround(0.7),
    });
  });

  it("staleSnapshotFallsBackToProxyJoin", () => {
    expect(attributionBand(2000, 20000, 1000)).toEqual({
      method: "proxy_address_join",
      confidence: Math.fround(0.4),
    });
  });
});

describe("bands (attribution.md §5.5)", () => {
  it("confidences are the float32 values", () => {
    expect(attributionBand(5, 5, TTL).confidence).toBe(1);
    expect(attributionBand(6, 5, TTL).confidence).toBe(0.8999999761581421);
    expect(attributionBand(4, 5, TTL).confidence).toBe(0.699999988079071);
    expect(attributionBand(TTL + 6, 5, TTL).confidence).toBe(0.4000000059604645);
    expect(NONE_BAND).toEqual({ method: "none", confidence: 0 });
    expect(SEGMENT_WINDOW_JOIN_BAND).toEqual({ method: "segment_window_join", confidence: 1 });
  });

  it("the stale band is the shared proxy_address_join band (identity-only uses it too)", () => {
    expect(PROXY_ADDRESS_JOIN_BAND).toEqual({
      method: "proxy_address_join",
      confidence: Math.fround(0.4),
    });
    expect(attributionBand(TTL + 6, 5, TTL)).toBe(PROXY_ADDRESS_JOIN_BAND);
    expect(attributionBand(5, TTL + 6, TTL)).toBe(PROXY_ADDRESS_JOIN_BAND);
  });

  it("the TTL boundary is inclusive on both sides", () => {
    const s = 1_770_063_008_615;
    expect(attributionBand(s + TTL, s, TTL).method).toBe("nearest_prior_snapshot");
    expect(attributionBand(s + TTL + 1, s, TTL).method).toBe("proxy_address_join");
    expect(attributionBand(s - TTL, s, TTL).method).toBe("nearest_snapshot_within_ttl");
    expect(attributionBand(s - TTL - 1, s, TTL).method).toBe("proxy_address_join");
  });

  it("property (§8 item 15): one of the six pairs, following Δ exactly", () => {
    const pairs = new Map<AttributionMethod, number>([
      ["exact_orchestrator_time_match", 1],
      ["nearest_prior_snapshot", Math.fround(0.9)],
      ["nearest_snapshot_within_ttl", Math.fround(0.7)],
      ["proxy_address_join", Math.fround(0.4)],
      ["segment_window_join", 1],
      ["none", 0],
    ]);
    const ttl = fc.integer({ min: 0, max: 10_000 });
    fc.assert(
      fc.property(
        ttl,
        fc.integer({ min: -1_000_000, max: 1_000_000 }),
        fc.integer({ min: -30_000, max: 30_000 }),
        fc.boolean(),
        (ttlMs, snapshotTs, rawDelta, atBoundary) => {
          const delta = atBoundary ? Math.sign(rawDelta) * (ttlMs + (rawDelta % 2)) : rawDelta;
          const b = attributionBand(snapshotTs + delta, snapshotTs, ttlMs);
          expect(pairs.get(b.method)).toBe(b.confidence);
          const expected: AttributionMethod =
            delta === 0
              ? "exact_orchestrator_time_match"
              : Math.abs(delta) > ttlMs
                ? "proxy_address_join"
                : delta > 0
                  ? "nearest_prior_snapshot"
                  : "nearest_snapshot_within_ttl";
          expect(b.method).toBe(expected);
        },
      ),
    );
  });
});

describe("freshnessClass (attribution.md §5.4 position 4)", () => {
  it("classes 0–4", () => {
    expect(freshnessClass(10_000, 10_000, 1000)).toBe(0);
    expect(freshnessClass(10_000, 9_000, 1000)).toBe(1);
    expect(freshnessClass(10_000, 11_000, 1000)).toBe(2);
    expect(freshnessClass(10_000, 8_999, 1000)).toBe(3);
    expect(freshnessClass(10_000, 11_001, 1000)).toBe(4);
  });

  it("agrees with the band", () => {
    fc.assert(
      fc.property(
        fc.integer({ min: -5000, max: 5000 }),
        fc.integer({ min: 0, max: 3000 }),
        (delta, ttlMs) => {
          const cls = freshnessClass(delta, 0, ttlMs);
          const method = attributionBand(delta, 0, ttlMs).method;
          const byClass: AttributionMethod[] = [
            "exact_orchestrator_time_match",
            "nearest_prior_snapshot",
            "nearest_snapshot_within_ttl",
            "proxy_address_join",
            "proxy_address_join",
          ];
          expect(method).toBe(byClass[cls]);
        },
      ),
    );
  });
});

describe("attributionSourceOf (attribution.md §7.4)", () => {
  it("maps every method", () => {
    expect(attributionSourceOf("exact_orchestrator_time_match")).toBe("direct");
    expect(attributionSourceOf("nearest_prior_snapshot")).toBe("direct");
    expect(attributionSourceOf("nearest_snapshot_within_ttl")).toBe("direct");
    expect(attributionSourceOf("segment_window_join")).toBe("direct");
    expect(attributionSourceOf("proxy_address_join")).toBe("mapped_window");
    expect(attributionSourceOf("none")).toBe("unattributed");
  });
});
