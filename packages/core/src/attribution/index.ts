/**
 * Attribution selection layer (`attribution.md` §3–5): the pipeline/model resolver,
 * method/confidence bands, the capability candidate cache (dual keying, upsert, pruning, cap) and
 * candidate selection with outcome codes. Pure functions over plain-JSON state; the `*InPlace`
 * helpers mutate the index they are given.
 *
 * @packageDocumentation
 */
export type {
  AttributionConfig,
  AttributionMethod,
  Bucket,
  Candidate,
  CapabilityIndex,
  FreshnessClass,
  ResolverMode,
  SelectionContext,
  SelectionFailureCode,
  SelectionOutcome,
  SelectionOutcomeCode,
} from "./types.js";
export {
  DEFAULT_RESOLVER_MODE,
  canonicalPipeline,
  compatibilityHintOf,
  resolvePipelineModel,
  resolvedModelOf,
  resolvedPipelineOf,
  resolveResolverMode,
} from "./resolver.js";
export type { Resolution, ResolverSignal } from "./resolver.js";
export {
  NONE_BAND,
  PROXY_ADDRESS_JOIN_BAND,
  SEGMENT_WINDOW_JOIN_BAND,
  attributionBand,
  attributionSourceOf,
  freshnessClass,
} from "./bands.js";
export type { AttributionBand } from "./bands.js";
export {
  DEFAULT_ATTRIBUTION_CONFIG,
  REFERENCE_COMPAT_ATTRIBUTION_CONFIG,
  bucketOf,
  candidateKey,
  candidatesOf,
  createCapabilityIndex,
  ingestSnapshotInPlace,
  pruneIndexInPlace,
  retentionMs,
  snapshotLookupKeys,
  snapshotToCandidate,
  upsertCandidateInPlace,
} from "./candidates.js";
export type { EvictedCandidate } from "./candidates.js";
export {
  eligibleSnapshotRange,
  futureReachOf,
  identityFallbackAddress,
  isCompatible,
  isEligibleDelta,
  isEligibleSnapshot,
  priorReachOf,
  select,
  selectCandidate,
} from "./select.js";
