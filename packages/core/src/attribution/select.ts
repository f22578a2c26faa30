/**
 * Candidate selection (`attribution.md` §5.2–5.7): compatibility filter, eligibility bounds,
 * ambiguity guard, the ten-position ranking and outcome codes. One pass over the bucket record,
 * O(k), allocation-light: no arrays or per-candidate objects (failure outcomes are shared frozen
 * objects; only a `selected` outcome is allocated).
 *
 * @module
 */
import { unescapeKey } from "../internal/own.js";
import { compareKey, compareStrings, eqModel, isBlank, normAddr } from "../primitives/strings.js";
import { attributionBand, freshnessClass } from "./bands.js";
import type {
  AttributionConfig,
  Bucket,
  Candidate,
  FreshnessClass,
  SelectionContext,
  SelectionFailureCode,
  SelectionOutcome,
} from "./types.js";

const hasOwn = Object.prototype.hasOwnProperty;

const failure = (code: SelectionFailureCode): SelectionOutcome => Object.freeze({ code });
const NO_LOOKUP_KEY = failure("no_lookup_key");
const NO_CANDIDATES = failure("no_candidates");
const AMBIGUOUS_CANONICAL = failure("ambiguous_canonical");
const NO_COMPATIBLE_CANDIDATE = failure("no_compatible_candidate");
const NO_ELIGIBLE_CANDIDATE = failure("no_eligible_candidate");

/**
 * Compatibility filter (`attribution.md` §5.2):
 * `isBlank(hint) || isBlank(c.modelId) || eqModel(hint, c.modelId)`. A blank hint accepts every
 * candidate; a candidate with a blank model id is compatible with every hint; model ids compare
 * after JVM trim and case fold only (`streamdiffusion-sdxl` ≠ `streamdiffusion-sdxl-v2v`).
 *
 * @category Attribution
 * @example
 * isCompatible("streamdiffusion-sdxl", { modelId: " StreamDiffusion-SDXL" }) // true
 * isCompatible("streamdiffusion-sdxl", { modelId: "streamdiffusion-sdxl-v2v" }) // false
 */
export function isCompatible(
  hint: string | null | undefined,
  candidate: Pick<Candidate, "modelId">,
): boolean {
  return isBlank(hint) || isBlank(candidate.modelId) || eqModel(hint, candidate.modelId);
}

/**
 * Widest prior distance of an eligible candidate (`attribution.md` §5.6): a prior candidate
 * (`Δ = signalTs − snapshotTs > 0`) is eligible iff `Δ ≤ ttlMs + staleWindowMs`; `Infinity` when
 * `staleWindowMs` is `null` (unbounded, reference). `ttlMs` defaults to the config's; selection
 * passes the TTL of its context.
 *
 * @category Attribution
 * @example
 * priorReachOf({ ttlMs: 1000, staleWindowMs: 500 }) // 1500
 * priorReachOf({ ttlMs: 1000, staleWindowMs: null }) // Infinity
 */
export function priorReachOf(
  config: Pick<AttributionConfig, "ttlMs" | "staleWindowMs">,
  ttlMs: number = config.ttlMs,
): number {
  return config.staleWindowMs === null ? Infinity : ttlMs + config.staleWindowMs;
}

/**
 * Widest future distance of an eligible candidate (`attribution.md` §5.6): a future candidate
 * (`Δ < 0`) is eligible iff `−Δ ≤ futureReachMs`; `Infinity` when `futureReachMs` is `null`
 * (unbounded, reference).
 *
 * @category Attribution
 * @example
 * futureReachOf({ futureReachMs: 600_000 }) // 600000
 * futureReachOf({ futureReachMs: null }) // Infinity
 */
export function futureReachOf(config: Pick<AttributionConfig, "futureReachMs">): number {
  return config.futureReachMs ?? Infinity;
}

/**
 * The §5.6 eligibility test of `Δ = signalTs − snapshotTs` against the reaches of
 * {@link priorReachOf} and {@link futureReachOf}: `Δ = 0`, or `0 < Δ ≤ priorReach`, or
 * `0 < −Δ ≤ futureReach`. Split from the reaches so that a loop computes them once.
 *
 * @category Attribution
 * @example
 * isEligibleDelta(-700, 1500, 600) // false
 */
export function isEligibleDelta(delta: number, priorReach: number, futureReach: number): boolean {
  return delta === 0 || (delta > 0 ? delta <= priorReach : -delta <= futureReach);
}

/**
 * `true` when a candidate with snapshot time `snapshotTs` lies inside the §5.6 eligibility window
 * of a signal at `signalTs` (with the config's `ttlMs`).
 *
 * @category Attribution
 * @example
 * isEligibleSnapshot(10_000, 9_000, { ttlMs: 500, staleWindowMs: 500, futureReachMs: 0 }) // true
 */
export function isEligibleSnapshot(
  signalTs: number,
  snapshotTs: number,
  config: Pick<AttributionConfig, "ttlMs" | "staleWindowMs" | "futureReachMs">,
): boolean {
  return isEligibleDelta(signalTs - snapshotTs, priorReachOf(config), futureReachOf(config));
}

/**
 * The snapshot times that can be eligible (§5.6) for some signal time in `[fromTs, toTs]`:
 * `[fromTs − (ttlMs + staleWindowMs), toTs + futureReachMs]`, an unbounded side being infinite.
 *
 * @category Attribution
 * @example
 * eligibleSnapshotRange(10_000, 20_000, { ttlMs: 1000, staleWindowMs: 500, futureReachMs: 100 })
 * // { from: 8500, to: 20100 }
 */
export function eligibleSnapshotRange(
  fromTs: number,
  toTs: number,
  config: Pick<AttributionConfig, "ttlMs" | "staleWindowMs" | "futureReachMs">,
): { readonly from: number; readonly to: number } {
  return { from: fromTs - priorReachOf(config), to: toTs + futureReachOf(config) };
}

/**
 * Selects one candidate of a bucket for a signal (`attribution.md` §5), returning a
 * discriminated outcome. Precedence (§5.7):
 *
 * 1. `no_lookup_key` — `lookupKey` was given and is blank (`""`);
 * 2. `no_candidates` — no bucket, or an empty one;
 * 3. `ambiguous_canonical` — the candidates that are compatible, eligible and within
 *    `|Δ| ≤ ttlMs` carry more than one distinct non-blank normalized canonical address (§5.3);
 *    with `ambiguityScope: "url_narrowed"`, a non-blank URL hint and at least one such candidate
 *    whose `key(orchestratorUrl)` equals `key(urlHint)`, only those candidates count;
 * 4. `no_compatible_candidate` — every candidate fails {@link isCompatible};
 * 5. `no_eligible_candidate` — no compatible candidate lies within the §5.6 bounds (prior:
 *    `Δ ≤ ttlMs + staleWindowMs`; future: `−Δ ≤ futureReachMs`; `null` = unbounded);
 * 6. `selected` — the minimum of the §5.4 ranking over compatible, eligible candidates: model
 *    match, URL match, GPU match, freshness class, `|Δ|`, newer first, `key(modelId)`,
 *    `key(orchestratorUrl)`, `key(gpuId)`, candidate key; with its freshness class and the §5.5
 *    band.
 *
 * `Δ = ctx.signalTs − snapshotTs`. The context's `ttlMs` is the TTL of ranking, bands, ambiguity
 * and the stale bound; `config` supplies the eligibility windows and the ambiguity scope. Pure.
 *
 * @category Attribution
 */
export function selectCandidate(
  bucket: Bucket | undefined,
  ctx: SelectionContext,
  config: AttributionConfig,
  lookupKey?: string,
): SelectionOutcome {
  if (lookupKey !== undefined && isBlank(lookupKey)) return NO_LOOKUP_KEY;
  if (bucket === undefined) return NO_CANDIDATES;

  const record = bucket.candidates;
  const t = ctx.signalTs;
  const ttl = ctx.ttlMs;
  const hint = ctx.modelHint;
  const hintBlank = isBlank(hint);
  const hintKey = normAddr(hint);
  const urlKey = isBlank(ctx.urlHint) ? null : compareKey(ctx.urlHint);
  const gpuKey = isBlank(ctx.gpuHint) ? null : compareKey(ctx.gpuHint);
  const maxPrior = priorReachOf(config, ttl);
  const maxFuture = futureReachOf(config);
  const narrow = config.ambiguityScope === "url_narrowed" && urlKey !== null;

  let total = 0;
  let compatible = 0;
  // Ambiguity sets, tracked as "first address seen" + "a second distinct one was seen".
  let canonAll: string | null = null;
  let ambiguousAll = false;
  let urlMatched = false;
  let canonUrl: string | null = null;
  let ambiguousUrl = false;

  // One-entry caches of the normalized forms: the candidates of a bucket mostly repeat the same
  // model, canonical address and URL, and each normalization allocates.
  // (Each starts empty: the first candidate always computes.)
  let modelCached = false;
  let modelRaw: string | null = null;
  let modelNorm = "";
  let canonCached = false;
  let canonRaw: string | null = null;
  let canonNorm = "";
  let urlCached = false;
  let urlRaw: string | null = null;
  let urlNorm = "";

  let best: Candidate | null = null;
  let bestStored = "";
  let bestModelRank = 0;
  let bestUrlRank = 0;
  let bestGpuRank = 0;
  let bestClass: FreshnessClass = 0;
  let bestAbs = 0;

  for (const stored in record) {
    if (!hasOwn.call(record, stored)) continue;
    const c = record[stored];
    if (c === undefined) continue;
    total++;
    if (!modelCached || c.modelId !== modelRaw) {
      modelCached = true;
      modelRaw = c.modelId;
      modelNorm = c.modelId === hint ? hintKey : normAddr(c.modelId);
    }
    const modelKey = modelNorm;
    const modelBlank = modelKey === "";
    if (!hintBlank && !modelBlank && modelKey !== hintKey) continue;
    compatible++;

    const delta = t - c.snapshotTs;
    if (!isEligibleDelta(delta, maxPrior, maxFuture)) continue;
    const abs = Math.abs(delta);
    let urlRank = 1;
    if (urlKey !== null) {
      if (!urlCached || c.orchestratorUrl !== urlRaw) {
        urlCached = true;
        urlRaw = c.orchestratorUrl;
        urlNorm = c.orchestratorUrl === ctx.urlHint ? urlKey : compareKey(c.orchestratorUrl);
      }
      if (urlNorm === urlKey) urlRank = 0;
    }

    if (abs <= ttl) {
      if (!canonCached || c.canonicalOrchestratorAddress !== canonRaw) {
        canonCached = true;
        canonRaw = c.canonicalOrchestratorAddress;
        canonNorm = normAddr(c.canonicalOrchestratorAddress);
      }
      const canon = canonNorm;
      if (canon !== "") {
        if (canonAll === null) canonAll = canon;
        else if (canon !== canonAll) ambiguousAll = true;
      }
      if (narrow && urlRank === 0) {
        urlMatched = true;
        if (canon !== "") {
          if (canonUrl === null) canonUrl = canon;
          else if (canon !== canonUrl) ambiguousUrl = true;
        }
      }
      if (ambiguousAll && !narrow) return AMBIGUOUS_CANONICAL;
    }

    const modelRank = !hintBlank && !modelBlank ? 0 : 1;
    const gpuRank =
      gpuKey !== null && (c.gpuId === ctx.gpuHint || compareKey(c.gpuId) === gpuKey) ? 0 : 1;
    const cls = freshnessClass(t, c.snapshotTs, ttl);
    if (best !== null) {
      // §5.4: lexicographic minimum; `continue` = the current best stays.
      if (modelRank !== bestModelRank) {
        if (modelRank > bestModelRank) continue;
      } else if (urlRank !== bestUrlRank) {
        if (urlRank > bestUrlRank) continue;
      } else if (gpuRank !== bestGpuRank) {
        if (gpuRank > bestGpuRank) continue;
      } else if (cls !== bestClass) {
        if (cls > bestClass) continue;
      } else if (abs !== bestAbs) {
        if (abs > bestAbs) continue;
      } else if (c.snapshotTs !== best.snapshotTs) {
        if (c.snapshotTs < best.snapshotTs) continue;
      } else if (tieBreak(c, stored, best, bestStored) >= 0) continue;
    }
    best = c;
    bestStored = stored;
    bestModelRank = modelRank;
    bestUrlRank = urlRank;
    bestGpuRank = gpuRank;
    bestClass = cls;
    bestAbs = abs;
  }

  if (total === 0) return NO_CANDIDATES;
  if (narrow && urlMatched ? ambiguousUrl : ambiguousAll) return AMBIGUOUS_CANONICAL;
  if (compatible === 0) return NO_COMPATIBLE_CANDIDATE;
  if (best === null) return NO_ELIGIBLE_CANDIDATE;
  const band = attributionBand(t, best.snapshotTs, ttl);
  return {
    code: "selected",
    candidate: best,
    freshnessClass: bestClass,
    method: band.method,
    confidence: band.confidence,
  };
}

/** §5.4 positions 7–10: `key(modelId)`, `key(orchestratorUrl)`, `key(gpuId)`, candidate key. */
function tieBreak(a: Candidate, aStored: string, b: Candidate, bStored: string): number {
  // Equal raw values have equal keys: compare keys only when the values differ.
  return (
    (a.modelId === b.modelId ? 0 : compareStrings(compareKey(a.modelId), compareKey(b.modelId))) ||
    (a.orchestratorUrl === b.orchestratorUrl
      ? 0
      : compareStrings(compareKey(a.orchestratorUrl), compareKey(b.orchestratorUrl))) ||
    (a.gpuId === b.gpuId ? 0 : compareStrings(compareKey(a.gpuId), compareKey(b.gpuId))) ||
    (aStored === bStored ? 0 : compareStrings(unescapeKey(aStored), unescapeKey(bStored)))
  );
}

/**
 * The public selection interface used by the lifecycle operators (`lifecycle.md` Appendix A):
 * the candidate of a `selected` outcome of {@link selectCandidate}, `null` for every other
 * outcome.
 *
 * @category Attribution
 */
export function select(
  bucket: Bucket | undefined,
  ctx: SelectionContext,
  config: AttributionConfig,
): Candidate | null {
  const outcome = selectCandidate(bucket, ctx, config);
  return outcome.code === "selected" ? outcome.candidate : null;
}

/**
 * The identity-only fallback (`attribution.md` §7.4 rule 2, option `identityOnlyFallback`): the
 * single non-blank canonical address shared by every candidate of the bucket inside the §5.6
 * eligibility window, ignoring model compatibility; `null` when there is none or more than one.
 * Callers apply it only after `no_compatible_candidate` or `no_eligible_candidate`, setting the
 * address alone (method `proxy_address_join`, 0.4, source `mapped_window`).
 *
 * @category Attribution
 */
export function identityFallbackAddress(
  bucket: Bucket | undefined,
  signalTs: number,
  config: AttributionConfig,
): string | null {
  if (bucket === undefined) return null;
  const maxPrior = priorReachOf(config);
  const maxFuture = futureReachOf(config);
  let found: string | null = null;
  for (const stored in bucket.candidates) {
    if (!hasOwn.call(bucket.candidates, stored)) continue;
    const c = bucket.candidates[stored]!;
    if (!isEligibleDelta(signalTs - c.snapshotTs, maxPrior, maxFuture)) continue;
    const canon = normAddr(c.canonicalOrchestratorAddress);
    if (canon === "") continue;
    if (found === null) found = canon;
    else if (found !== canon) return null;
  }
  return found;
}
