/**
 * The TTL dedup operator (`ingest-and-storage.md` §2.7): a bounded "first seen at" store whose
 * expiry is driven by an explicit watermark. State is plain JSON.
 *
 * @module
 */
import { defineOperator, type Operator, type Step } from "../operator/operator.js";
import { base64Url128, SHA256_UTF8_FAST_MAX, sha256Utf8 } from "../primitives/sha256.js";
import { compareStrings } from "../primitives/strings.js";
import { deleteOwn, getOwn, setOwn, unescapeKey } from "../internal/own.js";
import { DEFAULT_DEDUP_MAX_ENTRIES, DEFAULT_DEDUP_TTL_MS } from "./config.js";

/**
 * Current version of {@link DedupState}. Version 2 stores {@link dedupKeyDigest | digests} of the
 * keys; version-1 states (full keys) are upgraded by the operator on first use and by
 * {@link upgradeDedupState}.
 */
export const DEDUP_STATE_VERSION = 2;

/** Length of a {@link dedupKeyDigest | dedup key digest}: 22 base64url characters (128 bits). */
export const DEDUP_DIGEST_LENGTH = 22;

/**
 * Persisted state of the dedup operator. Plain JSON: it survives
 * `JSON.parse(JSON.stringify(state))` unchanged in behaviour.
 *
 * @category Dedup
 */
export interface DedupState {
  /** State schema version. */
  readonly v: typeof DEDUP_STATE_VERSION;
  /**
   * {@link dedupKeyDigest | Digest} of the key → `seenAt`, epoch ms of the first accepted
   * occurrence. Every entry costs the same whatever the key's length.
   */
  readonly seen: Record<string, number>;
  /** Number of live entries in {@link DedupState.seen}. */
  size: number;
  /**
   * Expiry index: `floor(seenAt / bucketMs)` (decimal string) → digests of the keys first seen in
   * that bucket. May hold stale digests (re-admitted or evicted); they are verified against `seen`
   * before use.
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
  /**
   * Size bound; on overflow the entry with the smallest `seenAt` (then digest) is evicted.
   * Default 2 000 000.
   */
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
      /** {@link dedupKeyDigest | Digest} of the evicted key (the store does not keep keys). */
      readonly digest: string;
      readonly seenAt: number;
    }
  | {
      /** Entries physically removed by `advance` because their TTL elapsed. */
      readonly type: "expired";
      readonly count: number;
    };

const DEFAULT_BUCKET_MS = 60_000;

/**
 * Runtime hooks of the dedup operator (functions, not configuration data).
 *
 * @category Dedup
 */
export interface DedupOptions {
  /**
   * Lower-case hex SHA-256 of a string's UTF-8 bytes (lone surrogates as U+FFFD). Must equal the
   * pure implementation's result; hosts may pass a native one for speed (the engine passes its
   * `EngineOptions.sha256Hex`). Default: the pure implementation.
   */
  readonly sha256Hex?: (s: string) => string;
}

const HEX_BYTES = new Uint8Array(16);
const DIGEST_BYTES = new Uint8Array(32);

/** Value of a hex digit's char code (either case). */
function hexDigit(c: number): number {
  return c <= 57 ? c - 48 : (c | 32) - 87;
}

/** The first 16 bytes of a hex SHA-256 digest, into a shared buffer. */
function hexBytes128(hex: string): Uint8Array {
  for (let i = 0; i < 16; i++)
    HEX_BYTES[i] = (hexDigit(hex.charCodeAt(2 * i)) << 4) | hexDigit(hex.charCodeAt(2 * i + 1));
  return HEX_BYTES;
}

/**
 * The compact form of a dedup key held by the store: the first 128 bits of the SHA-256 of the
 * key's UTF-8 bytes, as 22 base64url characters (no padding). Fixed size, so a hostile megabyte
 * event id costs the store what a UUID does.
 *
 * Collision-safe at the default bound: for `n` distinct keys held at once, the probability that
 * any two share a digest is at most `n² / 2¹²⁹`, about 5.9 × 10⁻²⁷ at n = 2 000 000 (a false
 * duplicate would need one). Crafting a key that collides with another event's id needs a
 * second preimage of truncated SHA-256 (~2¹²⁸ work); a sender who controls both events can simply
 * reuse the id, so collisions give no extra power.
 *
 * @category Dedup
 * @example
 * dedupKeyDigest("evt-1") // 22 characters of [A-Za-z0-9_-]
 */
export function dedupKeyDigest(key: string, sha256Hex?: (s: string) => string): string {
  return base64Url128(sha256Hex ? hexBytes128(sha256Hex(key)) : sha256Utf8(key, DIGEST_BYTES));
}

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
      emit({ type: "evicted", digest: key, seenAt });
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
  digestOf: (key: string) => string,
): void {
  if ((state.v as number) !== DEDUP_STATE_VERSION) upgradeInPlace(state, digestOf);
  const now = input.now === undefined ? state.watermark : input.now;
  const digest = digestOf(input.key);
  const existing = getOwn(state.seen, digest);
  if (existing !== undefined && (now === null || now - existing < config.ttlMs)) {
    // A duplicate never re-arms the entry.
    emit({ type: "verdict", key: input.key, duplicate: true, firstSeenAt: existing });
    return;
  }
  setOwn(state.seen, digest, input.seenAt);
  if (existing === undefined) state.size += 1;
  const bucket = bucketOf(state, input.seenAt);
  const list = getOwn(state.buckets, bucket);
  if (list === undefined) {
    // The order first: a state saved before it existed rebuilds it from the buckets held.
    const order = bucketOrderOf(state);
    setOwn(state.buckets, bucket, [digest]);
    insertBucketKey(order, bucket);
  } else {
    list.push(digest);
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
  digestOf: (key: string) => string,
): void {
  if ((state.v as number) !== DEDUP_STATE_VERSION) upgradeInPlace(state, digestOf);
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
 * The digest function of an operator: keys up to 119 characters (event ids, payload hashes) are
 * hashed faster by the pure implementation, which then allocates nothing (0.7 µs vs 1.4 µs through
 * `node:crypto` for a 36-character id); longer ones go to the host's SHA-256 when given (2.2 µs vs
 * 12 µs for 1 KiB).
 */
function digestFunction(hex: ((s: string) => string) | undefined): (key: string) => string {
  return hex === undefined
    ? (key) => dedupKeyDigest(key)
    : (key) => dedupKeyDigest(key, key.length <= SHA256_UTF8_FAST_MAX ? undefined : hex);
}

/** `value` as a record when it is a non-array object, else `null`. */
function recordOf(value: unknown): Record<string, unknown> | null {
  return typeof value === "object" && value !== null && !Array.isArray(value)
    ? (value as Record<string, unknown>)
    : null;
}

/**
 * Upgrades a version-1 dedup state (full keys) to the current version: every key of `seen` and of
 * the bucket lists is replaced by its {@link dedupKeyDigest | digest}, `size` recounted,
 * `sortedBucket` reset (the eviction order among equal `seenAt` is now by digest). Verdicts do
 * not change: a key seen before the upgrade is still a duplicate after it.
 *
 * Anything that is not a version-1 state is returned unchanged (a current state, or a malformed
 * value for the caller's validation to report); values inside a version-1 state that are not of
 * the expected type are carried over as they are. Pure: the input is not modified.
 *
 * @category Dedup
 * @example
 * const state = upgradeDedupState(JSON.parse(saved), { sha256Hex }) as DedupState;
 */
export function upgradeDedupState(state: unknown, options: DedupOptions = {}): unknown {
  return upgradeWith(state, digestFunction(options.sha256Hex));
}

/** {@link upgradeDedupState} with a given digest function. */
function upgradeWith(state: unknown, digestOf: (key: string) => string): unknown {
  const s = recordOf(state);
  if (s === null || s["v"] !== 1) return state;
  const seen = recordOf(s["seen"]);
  const buckets = recordOf(s["buckets"]);
  if (seen === null || buckets === null) return state;
  const nextSeen: Record<string, unknown> = {};
  for (const stored of Object.keys(seen)) {
    const d = digestOf(unescapeKey(stored));
    const at = seen[stored];
    const prev = getOwn(nextSeen, d);
    // Two keys sharing a digest (never expected) keep the earlier first sighting.
    if (prev === undefined || (typeof at === "number" && typeof prev === "number" && at < prev))
      setOwn(nextSeen, d, at);
  }
  const nextBuckets: Record<string, unknown> = {};
  for (const b of Object.keys(buckets)) {
    const list = buckets[b];
    setOwn(
      nextBuckets,
      unescapeKey(b),
      Array.isArray(list) ? list.map((k) => (typeof k === "string" ? digestOf(k) : k)) : list,
    );
  }
  return {
    ...s,
    v: DEDUP_STATE_VERSION,
    seen: nextSeen,
    size: Object.keys(nextSeen).length,
    buckets: nextBuckets,
    sortedBucket: null,
  };
}

/** {@link upgradeDedupState} on a state (or an immer draft) in place. */
function upgradeInPlace(state: DedupState, digestOf: (key: string) => string): void {
  const up = upgradeWith(state, digestOf);
  if (up !== state) Object.assign(state, up);
}

/**
 * Creates a dedup operator (see {@link dedupOperator}) whose digests use the given SHA-256 for
 * keys longer than 119 characters (shorter ones are hashed faster by the pure implementation): the
 * engine passes its injectable native one. The digests, hence the states, are identical whichever
 * implementation computes them.
 *
 * @category Dedup
 * @example
 * import { createHash } from "node:crypto";
 * const dedup = createDedupOperator({
 *   sha256Hex: (s) => createHash("sha256").update(s, "utf8").digest("hex"),
 * });
 */
export function createDedupOperator(
  options: DedupOptions = {},
): Operator<DedupState, DedupInput, DedupOutput, DedupConfig> {
  const digestOf = digestFunction(options.sha256Hex);
  return defineOperator<DedupState, DedupInput, DedupOutput, DedupConfig>({
    name: "dedup",
    init: (config) => initDedupState(config),
    step: (draft, input, config, emit) =>
      dedupStepRecipe(draft as DedupState, input, config, emit, digestOf),
    advance: (draft, watermark, config, emit) =>
      dedupAdvanceRecipe(draft as DedupState, watermark, config, emit, digestOf),
  });
}

/**
 * The dedup operator. `step` checks-and-admits one key; `advance(W)` moves the watermark and
 * physically removes entries whose TTL elapsed (they are already treated as unseen before that).
 * The store holds {@link dedupKeyDigest | digests} of the keys (fixed size); verdicts carry the
 * full key. Digests use the pure SHA-256 ({@link createDedupOperator} takes a native one).
 *
 * @category Dedup
 * @example
 * let s = dedupOperator.init(DEFAULT_DEDUP_CONFIG);
 * const r1 = dedupOperator.step(s, { key: "evt-1", seenAt: 1000, now: 1000 }, DEFAULT_DEDUP_CONFIG);
 * const r2 = dedupOperator.step(r1.state, { key: "evt-1", seenAt: 1001, now: 1001 }, DEFAULT_DEDUP_CONFIG);
 * // r2.outputs[0] is { type: "verdict", duplicate: true, ... }
 */
export const dedupOperator: Operator<DedupState, DedupInput, DedupOutput, DedupConfig> =
  /* @__PURE__ */ createDedupOperator();

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
