/**
 * Lifecycle configuration (`lifecycle.md` §5.5, §6.3, §8.6, §8.7; `attribution.md` §3.3, §6.1,
 * §7.2).
 *
 * @module
 */
import { DEFAULT_RESOLVER_MODE } from "../attribution/resolver.js";
import type { AttributionConfig, ResolverMode } from "../attribution/types.js";
import {
  DEFAULT_ATTRIBUTION_CONFIG,
  REFERENCE_COMPAT_ATTRIBUTION_CONFIG,
} from "../attribution/candidates.js";

/**
 * Latency definition label (`lifecycle.md` §6): `v1` = reference code, `v2` = edge-spec document.
 *
 * @category Lifecycle
 */
export type EdgeSemanticsVersion = "v1" | "v2";

/**
 * Configuration of the lifecycle operators.
 *
 * @category Lifecycle
 */
export interface LifecycleConfig {
  /** How stream-event `pipeline` is read (`attribution.md` §3.3). Default `legacy_misnamed`. */
  readonly resolverMode: ResolverMode;
  /** Candidate cache and selection settings. */
  readonly attribution: AttributionConfig;
  /** Stale-band snapshots overwrite model and GPU (reference code). Default `true`. */
  readonly overwriteModelGpuOnStale: boolean;
  /**
   * After `no_compatible_candidate` / `no_eligible_candidate`, attribute the identity alone when the
   * eligible candidates share exactly one canonical address (`attribution.md` §7.4). Default `false`.
   */
  readonly identityOnlyFallback: boolean;
  /** Latency versions emitted per session row, in order. Default `["v1"]`. */
  readonly edgeSemanticsVersions: readonly EdgeSemanticsVersion[];
  /** Version read by serving views and the serving fact; must be configured. Default `v1`. */
  readonly servingEdgeSemanticsVersion: EdgeSemanticsVersion;
  /** Emit `fact_workflow_session_serving`. Default `false`. */
  readonly emitServingFact: boolean;
  /** Watermark wait before a pending status/trace sample is released, ms. Default 15 000. */
  readonly initialEmitDelayMs: number;
  /** Evict a session's state once `W − sessionEndTs > sessionStateTtlMs`, ms. Default 7 days. */
  readonly sessionStateTtlMs: number;
  /** Keep the tombstone of an evicted session this long, ms. Default 7 days. */
  readonly tombstoneTtlMs: number;
}

/**
 * Minimum watermark progress between two eviction sweeps, ms (one minute): `advance(W)` evicts
 * idle sessions and expired tombstones (`lifecycle.md` §8.7) only when `W` has moved at least this
 * far past the watermark of the previous sweep. An SDK throttle, not a spec value; the eviction
 * rule itself (`W − sessionEndTs > sessionStateTtlMs`) does not depend on it.
 *
 * @category Lifecycle
 */
export const EVICTION_SWEEP_INTERVAL_MS = 60_000;

/** Seven days in milliseconds. */
const SEVEN_DAYS_MS = 604_800_000;

/**
 * Defaults of {@link LifecycleConfig}.
 *
 * @category Lifecycle
 */
export const DEFAULT_LIFECYCLE_CONFIG: LifecycleConfig = {
  resolverMode: DEFAULT_RESOLVER_MODE,
  attribution: DEFAULT_ATTRIBUTION_CONFIG,
  overwriteModelGpuOnStale: true,
  identityOnlyFallback: false,
  edgeSemanticsVersions: ["v1"],
  servingEdgeSemanticsVersion: "v1",
  emitServingFact: false,
  initialEmitDelayMs: 15_000,
  sessionStateTtlMs: SEVEN_DAYS_MS,
  tombstoneTtlMs: SEVEN_DAYS_MS,
};

/**
 * The lifecycle side of the `REFERENCE_COMPAT` preset: reference pruning and unbounded
 * eligibility windows (`attribution.md` §7.2); everything else as the defaults.
 *
 * @category Lifecycle
 */
export const REFERENCE_COMPAT_LIFECYCLE_CONFIG: LifecycleConfig = {
  ...DEFAULT_LIFECYCLE_CONFIG,
  attribution: REFERENCE_COMPAT_ATTRIBUTION_CONFIG,
};
