/**
 * The TTL dedup operator (`ingest-and-storage.md` §2.7): a bounded "first seen at" store whose
 * expiry is driven by an explicit watermark. State is plain JSON.
 *
 * @module
 */
import { defineOperator, type Operator, type Step } from "../operator/operator.js";
import { compareStrings } from "../primitives/strings.js";
import { deleteOwn, getOwn, setOwn } from "../internal/own.js";
import { DEFAULT_DEDUP_MAX_ENTRIES, DEFAULT_DEDUP_TTL_MS } from "./config.js";

/** Current version of {@link DedupState}. */
export const DEDUP_STATE_VERSION = 1;

/**
 * Persisted state of the dedup operator. Plain JSON: it survives
 * `JSON.parse(JSON.stringify(state))` unchanged in behaviour.
 *
 * @category Dedup
 */
export interface DedupState {
  /** State schema version. */
  readonly v: typeof DEDUP_STATE_VERSION;
  /** Key (escaped for `__proto__`) → `seenAt`, epoch ms of the first accepted occurrence. */
  readonly seen: Record<string, number>;
  /** Number of live entries in {@link DedupState.seen}. */
  size: number;
  /**
   * Expiry index: `floor(seenAt / bucketMs)` (decimal string) → keys first seen in that bucket.
   * May hold stale keys (re-admitted or evicted); they are verified against `seen` before use.
   */
  readonly buckets: Record<string, string[]>;
  /** Bucket width, ms. */
  readonly bucketMs: number;
  /** Bucket whose key list is currently sorted for eviction (descending), or `null`. */
  sortedBucket: string | null;
  /** Latest watermark applied with `advance`, epoch ms, or `null` before the first one. */
  watermark: number | null;
  /**
   * The keys of {@link DedupState.buckets} by ascending bucket number (keys that are not numbers
   * first), so `advance` and the size bound reach the oldest buckets without a pass over all of
   * them. Absent in states saved before it existed (then rebuilt on first use).
   */
  bucketOrder?: string[];
}

/**
 * Dedup configuration.
 *
 * @category Dedup
 */
export interface DedupConfig {
  /** TTL in event-time ms: an entry is expired once `W − seenAt ≥ ttlMs`. Default 86 400 000. */
  readonly ttlMs: number;
  /** Size bound; on overflow the entry with the smallest `seenAt` (then key) is evicted. Default 2 000 000. */
  readonly maxEntries: number;
}

/**
 * Default dedup configuration.
 *
 * @category Dedup
 */
export const DEFAULT_DEDUP_CONFIG: DedupConfig = {
  ttlMs: DEFAULT_DEDUP_TTL_MS,
  maxEntries: DEFAULT_DEDUP_MAX_ENTRIES,
};

/**
 * One dedup check.
 *
 * @category Dedup
 */
export interface DedupInput {
  /** Dedup key (`ingest-and-storage.md` §2.6). */
  readonly key: string;
  /** Event time recorded as `seenAt` when the key is admitted (the envelope timestamp), epoch ms. */
  readonly seenAt: number;
  /**
   * Time the TTL is measured against, epoch ms: the engine passes its watermark, a standalone
   * gate its explicit `now`. `null` (before the first watermark) means nothing expires.
   * Defaults to the state's latest watermark.
   */
  readonly now?: number | null;
}

/**
 * Outputs of the dedup operator.
 *
 * @category Dedup
 */
export type DedupOutput =
  | {
      /** Verdict for the input of a `step`. */
      readonly type: "verdict";
      readonly key: string;
      /** `true`: seen within the TTL, the event must be quarantined (`duplicate_event`). */
      readonly duplicate: boolean;
      /** `seenAt` of the live entry a duplicate collided with. */
      readonly firstSeenAt: number | null;
    }
  | {
      /** An entry removed by the size bound (counted `dedup_evictions`). */
      readonly type: "evicted";
      readonly key: string;
      readonly seenAt: number;
    }
  | {
      /** Entries physically removed by `advance` because their TTL elapsed. */
      readonly type: "expired";
      readonly count: number;
    };

const DEFAULT_BUCKET_MS = 60_000;

/**
 * A fresh, empty dedup state.
 *
 * @category Dedup
 */
export function initDedupState(config: Partial<DedupConfig> = {}): DedupState {
  const ttl = config.ttlMs ?? DEFAULT_DEDUP_TTL_MS;
  return {
    v: DEDUP_STATE_VERSION,
    seen: {},
    size: 0,
    buckets: {},
    bucketMs: Math.max(1, Math.min(DEFAULT_BUCKET_MS, ttl)),
    sortedBucket: null,
    watermark: null,
    bucketOrder: [],
  };
}

function bucketOf(state: DedupState, seenAt: number): string {
  return String(Math.floor(seenAt / state.bucketMs));
}

/** Order of bucket keys: ascending bucket number; keys that are not numbers first. */
function compareBucketKeys(a: string, b: string): number {
  const x = Number(a);
  const y = Number(b);
  if (Number.isNaN(x) || Number.isNaN(y)) return Number.isNaN(x) ? (Number.isNaN(y) ? 0 : -1) : 1;
  return x < y ? -1 : x > y ? 1 : 0;
}

/** {@link DedupState.bucketOrder}, rebuilt when the state predates it. */
function bucketOrderOf(state: DedupState): string[] {
  if (state.bucketOrder === undefined)
    state.bucketOrder = Object.keys(state.buckets).sort(compareBucketKeys);
  return state.bucketOrder;
}

/** Inserts a new bucket key in order (new buckets are usually the newest: O(1) then). */
function insertBucketKey(order: string[], key: string): void {
  let lo = 0;
  let hi = order.length;
  while (lo < hi && compareBucketKeys(order[hi - 1]!, key) > 0) {
    // Walk back a few steps before falling back to a binary search.
    if (order.length - hi >= 8) {
      while (lo < hi) {
        const mid = (lo + hi) >> 1;
        if (compareBucketKeys(order[mid]!, key) <= 0) lo = mid + 1;
        else hi = mid;
      }
      break;
    }
    hi -= 1;
  }
  order.splice(hi, 0, key);
}

/** Removes a bucket key from the order (the buckets removed are the oldest: near the front). */
function removeBucketKey(order: string[], key: string): void {
  const at = order.indexOf(key);
  if (at >= 0) order.splice(at, 1);
}

function isLiveIn(state: DedupState, key: string, bucket: string): number | undefined {
  const seenAt = getOwn(state.seen, key);
  return seenAt !== undefined && bucketOf(state, seenAt) === bucket ? seenAt : undefined;
}

function compareEntries(state: DedupState, a: string, b: string): number {
  const sa = getOwn(state.seen, a) ?? 0;
  const sb = getOwn(state.seen, b) ?? 0;
  return sa !== sb ? sa - sb : compareStrings(a, b);
}

function evictOldest(state: DedupState, emit: (o: DedupOutput) => void): void {
  const order = bucketOrderOf(state);
  for (;;) {
    // The bucket with the smallest number below Infinity (keys that are not numbers never are).
    let min: string | null = null;
    for (const b of order) {
      const n = Number(b);
      if (Number.isNaN(n)) continue;
      if (n < Infinity) min = b;
      break;
    }
    if (min === null) return;
    const keys = state.buckets[min]!;
    if (state.sortedBucket !== min) {
      keys.sort((a, b) => compareEntries(state, b, a));
      state.sortedBucket = min;
    }
    while (keys.length > 0) {
      const key = keys.pop()!;
      const seenAt = isLiveIn(state, key, min);
      if (seenAt === undefined) continue;
      deleteOwn(state.seen, key);
      state.size -= 1;
      if (keys.length === 0) {
        delete state.buckets[min];
        removeBucketKey(order, min);
        state.sortedBucket = null;
      }
      emit({ type: "evicted", key, seenAt });
      return;
    }
    delete state.buckets[min];
    removeBucketKey(order, min);
    state.sortedBucket = null;
  }
}

function dedupStepRecipe(
  state: DedupState,
  input: DedupInput,
  config: DedupConfig,
  emit: (o: DedupOutput) => void,
): void {
  const now = input.now === undefined ? state.watermark : input.now;
  const existing = getOwn(state.seen, input.key);
  if (existing !== undefined && (now === null || now - existing < config.ttlMs)) {
    // A duplicate never re-arms the entry.
    emit({ type: "verdict", key: input.key, duplicate: true, firstSeenAt: existing });
    return;
  }
  setOwn(state.seen, input.key, input.seenAt);
  if (existing === undefined) state.size += 1;
  const bucket = bucketOf(state, input.seenAt);
  const list = getOwn(state.buckets, bucket);
  if (list === undefined) {
    // The order first: a state saved before it existed rebuilds it from the buckets held.
    const order = bucketOrderOf(state);
    setOwn(state.buckets, bucket, [input.key]);
    insertBucketKey(order, bucket);
  } else {
    list.push(input.key);
    if (state.sortedBucket === bucket) state.sortedBucket = null;
  }
  emit({ type: "verdict", key: input.key, duplicate: false, firstSeenAt: null });
  while (state.size > config.maxEntries) evictOldest(state, emit);
}

function dedupAdvanceRecipe(
  state: DedupState,
  watermark: number,
  config: DedupConfig,
  emit: (o: DedupOutput) => void,
): void {
  if (state.watermark !== null && watermark <= state.watermark) return;
  state.watermark = watermark;
  let removed = 0;
  // Bucket ends grow with the bucket number: the expired buckets are a prefix of the order, so
  // the step visits only them (and the first bucket that stays).
  const order = bucketOrderOf(state);
  let expired = 0;
  for (; expired < order.length; expired++) {
    const b = order[expired]!;
    const bucketEnd = (Number(b) + 1) * state.bucketMs - 1;
    if (watermark - bucketEnd < config.ttlMs) break;
    for (const key of getOwn(state.buckets, b) ?? []) {
      const seenAt = isLiveIn(state, key, b);
      if (seenAt !== undefined && watermark - seenAt >= config.ttlMs) {
        deleteOwn(state.seen, key);
        state.size -= 1;
        removed += 1;
      }
    }
    deleteOwn(state.buckets, b);
    if (state.sortedBucket === b) state.sortedBucket = null;
  }
  if (expired > 0) order.splice(0, expired);
  if (removed > 0) emit({ type: "expired", count: removed });
}

/**
 * The dedup operator. `step` checks-and-admits one key; `advance(W)` moves the watermark and
 * physically removes entries whose TTL elapsed (they are already treated as unseen before that).
 *
 * @category Dedup
 * @example
 * let s = dedupOperator.init(DEFAULT_DEDUP_CONFIG);
 * const r1 = dedupOperator.step(s, { key: "evt-1", seenAt: 1000, now: 1000 }, DEFAULT_DEDUP_CONFIG);
 * const r2 = dedupOperator.step(r1.state, { key: "evt-1", seenAt: 1001, now: 1001 }, DEFAULT_DEDUP_CONFIG);
 * // r2.outputs[0] is { type: "verdict", duplicate: true, ... }
 */
export const dedupOperator: Operator<DedupState, DedupInput, DedupOutput, DedupConfig> =
  defineOperator<DedupState, DedupInput, DedupOutput, DedupConfig>({
    name: "dedup",
    init: (config) => initDedupState(config),
    step: (draft, input, config, emit) => dedupStepRecipe(draft as DedupState, input, config, emit),
    advance: (draft, watermark, config, emit) =>
      dedupAdvanceRecipe(draft as DedupState, watermark, config, emit),
  });

/**
 * Pure convenience: checks one key and returns the verdict with the next state.
 *
 * @category Dedup
 */
export function dedupCheck(
  state: DedupState,
  input: DedupInput,
  config: DedupConfig = DEFAULT_DEDUP_CONFIG,
): Step<DedupState, DedupOutput> & { readonly duplicate: boolean } {
  const r = dedupOperator.step(state, input, config);
  const verdict = r.outputs.find((o) => o.type === "verdict");
  return { ...r, duplicate: verdict?.type === "verdict" && verdict.duplicate };
}
