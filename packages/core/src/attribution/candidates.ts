/**
 * The candidate cache (`attribution.md` §1.6, §4): snapshot → candidate, lookup keys (hot and
 * canonical address), candidate keys, upsert with pruning (reference ±2·TTL or watermark
 * retention) and the per-key cap with deterministic eviction.
 *
 * The index is plain JSON. The `*InPlace` functions mutate the index they are given (and say so);
 * everything else is pure.
 *
 * @module
 */
import { deleteOwn, getOwn, setOwn, unescapeKey } from "../internal/own.js";
import { compareKey, compareStrings, normAddr } from "../primitives/strings.js";
import type { CapabilitySnapshot } from "../events/network-capabilities.js";
import { futureReachOf, priorReachOf } from "./select.js";
import type { AttributionConfig, Bucket, Candidate, CapabilityIndex } from "./types.js";

/**
 * Default attribution configuration (`attribution.md` §4.3, §5.3, §5.6, §7.2): TTL 24 h, stale
 * window 24 h, future reach 10 min, allowed lateness 60 s, k = 32, watermark pruning, reference
 * ambiguity scope.
 *
 * @category Attribution
 */
export const DEFAULT_ATTRIBUTION_CONFIG: AttributionConfig = Object.freeze({
  ttlMs: 86_400_000,
  staleWindowMs: 86_400_000,
  futureReachMs: 600_000,
  allowedLatenessMs: 60_000,
  maxCandidatesPerKey: 32,
  pruning: "watermark",
  ambiguityScope: "reference",
});

/**
 * Attribution part of the `REFERENCE_COMPAT` preset (`attribution.md` §7.2): the reference's
 * ±2·TTL prune around each insert and unbounded eligibility windows; everything else as
 * {@link DEFAULT_ATTRIBUTION_CONFIG}.
 *
 * @category Attribution
 */
export const REFERENCE_COMPAT_ATTRIBUTION_CONFIG: AttributionConfig = Object.freeze({
  ...DEFAULT_ATTRIBUTION_CONFIG,
  pruning: "reference",
  staleWindowMs: null,
  futureReachMs: null,
});

/**
 * Candidate prune horizon behind the watermark (`attribution.md` §4.3, §7.2):
 * `ttlMs + staleWindowMs + futureReachMs + allowedLatenessMs` (the §5.6 reaches of
 * {@link priorReachOf} and {@link futureReachOf} plus the lateness), with a `null` (unbounded)
 * window counting as `Infinity`. 173 460 000 ms with the defaults.
 *
 * @category Attribution
 */
export function retentionMs(config: AttributionConfig): number {
  return priorReachOf(config) + futureReachOf(config) + config.allowedLatenessMs;
}

/**
 * The cached projection of a capability snapshot (`attribution.md` §1.6).
 *
 * @category Attribution
 */
export function snapshotToCandidate(s: CapabilitySnapshot): Candidate {
  return {
    snapshotTs: s.snapshotTs,
    sourceEventId: s.sourceEventId,
    canonicalOrchestratorAddress: s.canonicalOrchestratorAddress,
    orchestratorUrl: s.orchestratorUrl,
    pipeline: s.pipeline,
    modelId: s.modelId,
    gpuId: s.gpuId,
    capacityUnits: s.capacityUnits,
  };
}

/**
 * Candidate key (`attribution.md` §4.2): `key(modelId)|key(canonical)|key(url)|key(gpuId)|
 * snapshotTs|key(sourceEventId)|key(pipeline)`, where `key` is {@link compareKey}. The trailing
 * pipeline component is the SDK addition that keeps rows differing only in pipeline apart.
 *
 * @category Attribution
 * @example
 * candidateKey({ modelId: "sd", canonicalOrchestratorAddress: "0xabc", orchestratorUrl: "",
 *   gpuId: null, snapshotTs: 5, sourceEventId: "E1", pipeline: "llm", capacityUnits: null })
 * // "sd|0xabc|__empty__|__empty__|5|e1|llm"
 */
export function candidateKey(c: Candidate): string {
  return (
    compareKey(c.modelId) +
    "|" +
    compareKey(c.canonicalOrchestratorAddress) +
    "|" +
    compareKey(c.orchestratorUrl) +
    "|" +
    compareKey(c.gpuId) +
    "|" +
    String(c.snapshotTs) +
    "|" +
    compareKey(c.sourceEventId) +
    "|" +
    compareKey(c.pipeline)
  );
}

/**
 * Lookup keys of a snapshot (`attribution.md` §1.6, §4.2): the normalized hot address if
 * non-blank, then the normalized canonical address if non-blank and different from it. `[]`
 * when both are blank (the snapshot is not cached).
 *
 * @category Attribution
 */
export function snapshotLookupKeys(s: {
  readonly hotAddress: string;
  readonly canonicalOrchestratorAddress: string;
}): string[] {
  const hot = normAddr(s.hotAddress);
  const canonical = normAddr(s.canonicalOrchestratorAddress);
  const keys: string[] = [];
  if (hot !== "") keys.push(hot);
  if (canonical !== "" && canonical !== hot) keys.push(canonical);
  return keys;
}

/**
 * A fresh, empty capability index.
 *
 * @category Attribution
 */
export function createCapabilityIndex(): CapabilityIndex {
  return { v: 1, buckets: {} };
}

/**
 * A candidate removed from the index by the cap or by pruning.
 *
 * @category Attribution
 */
export interface EvictedCandidate {
  /** Lookup key of the bucket it was removed from. */
  readonly lookupKey: string;
  /** The removed candidate. */
  readonly candidate: Candidate;
  /** `"cap"`: the per-key cap (`maxCandidatesPerKey`); `"prune"`: the time horizon. */
  readonly reason: "cap" | "prune";
}

/**
 * The bucket stored under `lookupKey`, or `undefined`.
 *
 * @category Attribution
 */
export function bucketOf(index: CapabilityIndex, lookupKey: string): Bucket | undefined {
  return getOwn(index.buckets, lookupKey);
}

/**
 * The candidates of a bucket sorted by candidate key (string order), for deterministic output.
 * `[]` for `undefined`.
 *
 * @category Attribution
 */
export function candidatesOf(bucket: Bucket | undefined): Candidate[] {
  if (bucket === undefined) return [];
  return entriesOf(bucket)
    .sort((a, b) => compareStrings(a.key, b.key))
    .map((e) => e.candidate);
}

/** A stored candidate with its (unescaped) candidate key. */
interface Entry {
  readonly key: string;
  readonly candidate: Candidate;
}

function entriesOf(bucket: Bucket): Entry[] {
  const out: Entry[] = [];
  const record = bucket.candidates;
  for (const stored of Object.keys(record)) {
    const candidate = record[stored];
    if (candidate !== undefined) out.push({ key: unescapeKey(stored), candidate });
  }
  return out;
}

/** Eviction order (`attribution.md` §4.4 step 3): smallest `snapshotTs`, then smallest key. */
function compareEviction(a: Entry, b: Entry): number {
  const d = a.candidate.snapshotTs - b.candidate.snapshotTs;
  return d !== 0 ? (d < 0 ? -1 : 1) : compareStrings(a.key, b.key);
}

/** Effective cap: `maxCandidatesPerKey` floored, at least 1 (non-numbers act as 1). */
function capOf(config: AttributionConfig): number {
  const k = config.maxCandidatesPerKey;
  return k >= 1 ? Math.floor(k) : 1;
}

/**
 * Removes every candidate of `bucket` matching `drop`, in eviction order, appending to `out`.
 */
function removeWhere(
  bucket: Bucket,
  lookupKey: string,
  drop: (c: Candidate) => boolean,
  out: EvictedCandidate[],
): void {
  const doomed = entriesOf(bucket).filter((e) => drop(e.candidate));
  if (doomed.length === 0) return;
  doomed.sort(compareEviction);
  for (const e of doomed) {
    deleteOwn(bucket.candidates, e.key);
    out.push({ lookupKey, candidate: e.candidate, reason: "prune" });
  }
}

/** Watermark prune of one bucket against `W` (raises `highWatermarkTs`). */
function pruneBucketToWatermark(
  bucket: Bucket,
  lookupKey: string,
  watermark: number,
  retention: number,
  out: EvictedCandidate[],
): void {
  const hw =
    bucket.highWatermarkTs === null ? watermark : Math.max(bucket.highWatermarkTs, watermark);
  bucket.highWatermarkTs = hw;
  const horizon = hw - retention;
  removeWhere(bucket, lookupKey, (c) => c.snapshotTs < horizon, out);
}

/**
 * Upserts one candidate into the bucket of `lookupKey` (`attribution.md` §4.4), **mutating**
 * `index`, and returns the candidates it removed (prune evictions first, then cap evictions,
 * each in eviction order). The bucket is created when missing and deleted when left empty.
 *
 * 1. `candidates[candidateKey(cand)] = cand` (replace on equal key; not an eviction).
 * 2. Prune:
 *    - `pruning: "reference"`: remove every `c` with `|ref − c.snapshotTs| > 2·ttlMs`, where
 *      `ref = referenceTs ?? cand.snapshotTs` (production passes the candidate's own time).
 *      The absolute value is the reference quirk: a late, much older insert evicts newer rows.
 *    - `pruning: "watermark"`: `referenceTs` is the engine watermark `W`; when non-null,
 *      `highWatermarkTs = max(previous, W)` and every `c` with
 *      `c.snapshotTs < highWatermarkTs − retentionMs(config)` is removed (possibly `cand` itself,
 *      when it arrives that late). `null` (before the first watermark, `W = −∞`) prunes nothing.
 * 3. Cap: while more than `max(1, k)` candidates remain, remove the smallest `snapshotTs`, ties →
 *    smallest candidate key.
 *
 * @category Attribution
 */
export function upsertCandidateInPlace(
  index: CapabilityIndex,
  lookupKey: string,
  cand: Candidate,
  referenceTs: number | null,
  config: AttributionConfig,
): EvictedCandidate[] {
  const evicted: EvictedCandidate[] = [];
  let bucket = getOwn(index.buckets, lookupKey);
  if (bucket === undefined) {
    bucket = { candidates: {}, highWatermarkTs: null };
    setOwn(index.buckets, lookupKey, bucket);
  }
  setOwn(bucket.candidates, candidateKey(cand), cand);

  if (config.pruning === "reference") {
    const ref = referenceTs ?? cand.snapshotTs;
    const horizon = 2 * config.ttlMs;
    removeWhere(bucket, lookupKey, (c) => Math.abs(ref - c.snapshotTs) > horizon, evicted);
  } else if (referenceTs !== null) {
    pruneBucketToWatermark(bucket, lookupKey, referenceTs, retentionMs(config), evicted);
  }

  const cap = capOf(config);
  const entries = entriesOf(bucket);
  if (entries.length > cap) {
    entries.sort(compareEviction);
    for (let i = 0; i < entries.length - cap; i++) {
      const e = entries[i]!;
      deleteOwn(bucket.candidates, e.key);
      evicted.push({ lookupKey, candidate: e.candidate, reason: "cap" });
    }
  }
  if (entries.length === 0) deleteOwn(index.buckets, lookupKey);
  return evicted;
}

function isEmpty(bucket: Bucket): boolean {
  for (const k in bucket.candidates) {
    if (Object.hasOwn(bucket.candidates, k)) return false;
  }
  return true;
}

/**
 * Caches one capability snapshot (`attribution.md` §1.6), **mutating** `index`: converts it
 * with {@link snapshotToCandidate} and upserts it under every lookup key of
 * {@link snapshotLookupKeys} (hot, then canonical). A snapshot with both addresses blank is
 * ignored. Returns the evictions of all upserts.
 *
 * The reference time of each upsert is `watermark` in `"watermark"` pruning mode (`null` = no
 * watermark yet) and the snapshot's own `snapshotTs` in `"reference"` mode (production
 * behaviour; `watermark` is then unused).
 *
 * @category Attribution
 */
export function ingestSnapshotInPlace(
  index: CapabilityIndex,
  snapshot: CapabilitySnapshot,
  watermark: number | null,
  config: AttributionConfig,
): EvictedCandidate[] {
  const keys = snapshotLookupKeys(snapshot);
  if (keys.length === 0) return [];
  const cand = snapshotToCandidate(snapshot);
  const ref = config.pruning === "reference" ? cand.snapshotTs : watermark;
  const evicted: EvictedCandidate[] = [];
  keys.forEach((key, i) => {
    // One copy per bucket (a flat record): the state stays a tree, no object held twice.
    const c = i === 0 ? cand : { ...cand };
    for (const e of upsertCandidateInPlace(index, key, c, ref, config)) evicted.push(e);
  });
  return evicted;
}

/**
 * Watermark pruning of every bucket (`attribution.md` §4.4, §7.2 `advance` step 3),
 * **mutating** `index`: raises each bucket's `highWatermarkTs` to `watermark`, removes every
 * candidate with `snapshotTs < highWatermarkTs − retentionMs(config)` and deletes emptied
 * buckets. A no-op in `"reference"` pruning mode (the reference prunes only on insert).
 * Evictions are returned in lookup-key order, then eviction order.
 *
 * @category Attribution
 */
export function pruneIndexInPlace(
  index: CapabilityIndex,
  watermark: number,
  config: AttributionConfig,
): EvictedCandidate[] {
  const evicted: EvictedCandidate[] = [];
  if (config.pruning === "reference") return evicted;
  const retention = retentionMs(config);
  const stored = Object.keys(index.buckets).sort((a, b) =>
    compareStrings(unescapeKey(a), unescapeKey(b)),
  );
  for (const s of stored) {
    const lookupKey = unescapeKey(s);
    const bucket = getOwn(index.buckets, lookupKey);
    if (bucket === undefined) continue;
    pruneBucketToWatermark(bucket, lookupKey, watermark, retention, evicted);
    if (isEmpty(bucket)) deleteOwn(index.buckets, lookupKey);
  }
  return evicted;
}
