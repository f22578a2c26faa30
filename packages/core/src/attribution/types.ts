/**
 * Shared types of the attribution layer: candidates, the capability index, selection context,
 * configuration and outcomes (`attribution.md` §1.6, §4, §5).
 *
 * @module
 */

/**
 * The cached projection of a capability snapshot used for selection (`attribution.md` §1.6).
 *
 * @category Attribution
 */
export interface Candidate {
  /** Envelope timestamp of the capability event, epoch ms. */
  readonly snapshotTs: number;
  /** Envelope id of the capability event (`""` when absent). */
  readonly sourceEventId: string;
  /** Normalized canonical orchestrator address (`address`); `""` when blank. */
  readonly canonicalOrchestratorAddress: string;
  /** Orchestrator URL (`orch_uri`), raw. */
  readonly orchestratorUrl: string;
  /** Hardware pipeline (`live-video-to-video`, `llm`, …). */
  readonly pipeline: string;
  /** Hardware model id, raw (untrimmed, case kept). */
  readonly modelId: string;
  /** GPU UUID, or `null` for GPU-less rows. */
  readonly gpuId: string | null;
  /** Capacity units of the row's own model (`attribution.md` §1.3), or `null`. */
  readonly capacityUnits: number | null;
}

/**
 * The bounded set of candidates under one lookup key.
 *
 * @category Attribution
 */
export interface Bucket {
  /** Candidate key → candidate. */
  readonly candidates: Record<string, Candidate>;
  /** Highest reference time (watermark) seen by this bucket's pruning, epoch ms, or `null`. */
  highWatermarkTs: number | null;
}

/**
 * The capability index shared by every operator of an engine: lookup key (normalized hot wallet
 * or canonical address) → bucket. Plain JSON.
 *
 * @category Attribution
 */
export interface CapabilityIndex {
  /** State schema version. */
  readonly v: 1;
  /** Lookup key → bucket. Keys are stored escaped (see `internal/own.ts`). */
  readonly buckets: Record<string, Bucket>;
}

/**
 * Selection context (`attribution.md` §5.1).
 *
 * @category Attribution
 */
export interface SelectionContext {
  /** Compatibility model hint; blank accepts every candidate. */
  readonly modelHint: string | null;
  /** URL hint (raw signal URL); blank ranks nothing by URL. */
  readonly urlHint: string | null;
  /** GPU hint (the accumulator's current GPU); blank ranks nothing by GPU. */
  readonly gpuHint: string | null;
  /** Signal time, epoch ms. */
  readonly signalTs: number;
  /** Freshness TTL, ms (default 86 400 000). */
  readonly ttlMs: number;
}

/**
 * Attribution configuration (`attribution.md` §4.3, §5.3, §5.6, §7.2).
 *
 * @category Attribution
 */
export interface AttributionConfig {
  /** Freshness boundary used by ranking, bands and ambiguity, ms. Default 86 400 000. */
  readonly ttlMs: number;
  /** A prior candidate is eligible iff `Δ ≤ ttlMs + staleWindowMs`; `null` = unbounded (reference). Default 86 400 000. */
  readonly staleWindowMs: number | null;
  /** A future candidate is eligible iff `−Δ ≤ futureReachMs`; `null` = unbounded (reference). Default 600 000. */
  readonly futureReachMs: number | null;
  /** Allowed lateness, ms; part of `retentionMs`. Default 60 000. */
  readonly allowedLatenessMs: number;
  /** Per-bucket cap k (values < 1 act as 1). Default 32. */
  readonly maxCandidatesPerKey: number;
  /** `"watermark"` (default) or `"reference"` (the reference's ±2·TTL prune around each insert). */
  readonly pruning: "watermark" | "reference";
  /** `"reference"` (default) or `"url_narrowed"` (§5.3). */
  readonly ambiguityScope: "reference" | "url_narrowed";
}

/**
 * Freshness class of a candidate relative to a signal (`attribution.md` §5.4 position 4):
 * 0 exact, 1 prior within TTL, 2 future within TTL, 3 stale prior, 4 stale future.
 *
 * @category Attribution
 */
export type FreshnessClass = 0 | 1 | 2 | 3 | 4;

/**
 * `gpu_attribution_method` values (`attribution.md` §5.5).
 *
 * @category Attribution
 */
export type AttributionMethod =
  | "exact_orchestrator_time_match"
  | "nearest_prior_snapshot"
  | "nearest_snapshot_within_ttl"
  | "proxy_address_join"
  | "segment_window_join"
  | "none";

/**
 * Codes of a selection attempt that did not select (`attribution.md` §5.7).
 *
 * @category Attribution
 */
export type SelectionFailureCode =
  | "no_lookup_key"
  | "no_candidates"
  | "ambiguous_canonical"
  | "no_compatible_candidate"
  | "no_eligible_candidate";

/**
 * Outcome code of a selection attempt.
 *
 * @category Attribution
 */
export type SelectionOutcomeCode = SelectionFailureCode | "selected";

/**
 * Result of a selection attempt: a discriminated union on `code`.
 *
 * @category Attribution
 */
export type SelectionOutcome =
  | {
      /** `"selected"`: a candidate was chosen. */
      readonly code: "selected";
      /** The chosen candidate. */
      readonly candidate: Candidate;
      /** Its freshness class. */
      readonly freshnessClass: FreshnessClass;
      /** Band method (`attribution.md` §5.5). */
      readonly method: AttributionMethod;
      /** Band confidence, float32. */
      readonly confidence: number;
    }
  | {
      /** Why nothing was selected (`attribution.md` §5.7). */
      readonly code: SelectionFailureCode;
    };

/**
 * Resolver mode (`attribution.md` §3.3).
 *
 * @category Attribution
 */
export type ResolverMode = "legacy_misnamed" | "native_correct";
