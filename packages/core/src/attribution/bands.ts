/**
 * Method/confidence bands of an applied snapshot (`attribution.md` §5.5), freshness classes
 * (§5.4 position 4) and the `attribution_source` label of a method (§7.4).
 *
 * @module
 */
import type { AttributionMethod, FreshnessClass } from "./types.js";

/**
 * A `gpu_attribution_method` with its float32 confidence (`attribution.md` §5.5).
 *
 * @category Attribution
 */
export interface AttributionBand {
  /** The method label. */
  readonly method: AttributionMethod;
  /** Confidence, a float32 value (`Math.fround` of the table value). */
  readonly confidence: number;
}

const band = (method: AttributionMethod, confidence: number): AttributionBand =>
  Object.freeze({ method, confidence: Math.fround(confidence) });

const EXACT_BAND = band("exact_orchestrator_time_match", 1);
const PRIOR_BAND = band("nearest_prior_snapshot", 0.9);
const FUTURE_BAND = band("nearest_snapshot_within_ttl", 0.7);

/**
 * The `proxy_address_join` band, confidence `fround(0.4)` (`attribution.md` §5.5, §7.4): the band
 * of a stale selected snapshot (`|Δ| > ttlMs`, either side) and of an identity-only attribution
 * (`identityOnlyFallback`, §7.4 rule 2). Source `mapped_window`.
 *
 * @category Attribution
 */
export const PROXY_ADDRESS_JOIN_BAND: AttributionBand = band("proxy_address_join", 0.4);

/**
 * Band of an accumulator that was never attributed: `none`, confidence `0`.
 *
 * @category Attribution
 */
export const NONE_BAND: AttributionBand = band("none", 0);

/**
 * Band of a status sample joined to a segment (`attribution.md` §6.4): `segment_window_join`,
 * confidence `1`.
 *
 * @category Attribution
 */
export const SEGMENT_WINDOW_JOIN_BAND: AttributionBand = band("segment_window_join", 1);

/**
 * Band of a selected snapshot (`attribution.md` §5.5), with `Δ = signalTs − snapshotTs`; first
 * match wins and `≤ ttlMs` is inclusive:
 *
 * | Condition | method | confidence |
 * |---|---|---|
 * | `Δ = 0` | `exact_orchestrator_time_match` | `1` |
 * | `Δ > 0`, `Δ ≤ ttlMs` | `nearest_prior_snapshot` | `fround(0.9)` |
 * | `Δ < 0`, `−Δ ≤ ttlMs` | `nearest_snapshot_within_ttl` | `fround(0.7)` |
 * | otherwise (stale, either side) | `proxy_address_join` | `fround(0.4)` |
 *
 * Returns shared frozen objects (no allocation).
 *
 * @category Attribution
 * @example
 * attributionBand(2000, 1500, 1000) // { method: "nearest_prior_snapshot", confidence: 0.8999999761581421 }
 * attributionBand(2000, 20000, 1000) // { method: "proxy_address_join", confidence: 0.4000000059604645 }
 */
export function attributionBand(
  signalTs: number,
  snapshotTs: number,
  ttlMs: number,
): AttributionBand {
  const delta = signalTs - snapshotTs;
  if (delta === 0) return EXACT_BAND;
  const abs = Math.abs(delta);
  if (delta > 0 && abs <= ttlMs) return PRIOR_BAND;
  if (abs <= ttlMs) return FUTURE_BAND;
  return PROXY_ADDRESS_JOIN_BAND;
}

/**
 * Freshness class of a candidate for a signal (`attribution.md` §5.4 position 4), with
 * `Δ = signalTs − snapshotTs`: `0` exact (`Δ = 0`), `1` prior within TTL, `2` future within TTL,
 * `3` stale prior (`Δ > ttlMs`), `4` stale future (`−Δ > ttlMs`). Inclusive at `ttlMs`.
 *
 * @category Attribution
 * @example
 * freshnessClass(10000, 9000, 5000) // 1
 * freshnessClass(10000, 11000, 5000) // 2
 */
export function freshnessClass(
  signalTs: number,
  snapshotTs: number,
  ttlMs: number,
): FreshnessClass {
  const delta = signalTs - snapshotTs;
  if (delta === 0) return 0;
  const abs = Math.abs(delta);
  if (delta > 0) return abs <= ttlMs ? 1 : 3;
  return abs <= ttlMs ? 2 : 4;
}

/**
 * `attribution_source` of a method (`attribution.md` §7.4): `exact_orchestrator_time_match`,
 * `nearest_prior_snapshot`, `nearest_snapshot_within_ttl` and `segment_window_join` → `direct`;
 * `proxy_address_join` → `mapped_window`; `none` → `unattributed`.
 *
 * (Status samples and trace edges take the source of their covering segment; this mapping gives
 * `direct` for the `segment_window_join` method itself.)
 *
 * @category Attribution
 */
export function attributionSourceOf(
  method: AttributionMethod,
): "direct" | "mapped_window" | "unattributed" {
  switch (method) {
    case "exact_orchestrator_time_match":
    case "nearest_prior_snapshot":
    case "nearest_snapshot_within_ttl":
    case "segment_window_join":
      return "direct";
    case "proxy_address_join":
      return "mapped_window";
    case "none":
      return "unattributed";
  }
}
