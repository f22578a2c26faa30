/**
 * Timer queues of the lifecycle operators: plain-JSON binary min-heaps of `[time, key]` entries
 * with lazy deletion, so that a watermark step visits only the sessions something became due for
 * (sealing, pending first emissions, idle eviction, tombstone expiry) instead of every session held.
 *
 * An entry is a hint, not a promise: the owner of a queue decides when an entry is still *live*
 * (typically: the session still exists and records the same time), skips dead ones, and re-checks
 * the exact condition before acting. Dead entries stay in the heap until popped or until
 * `compactTimerQueue` drops them.
 *
 * @module
 */
import { pruneIndexInPlace, retentionMs } from "../attribution/candidates.js";
import type { AttributionConfig, CapabilityIndex } from "../attribution/types.js";
import { compareStrings } from "../primitives/strings.js";

/**
 * One timer: `[time, key]` — an epoch-ms time (a raw event time or watermark; the owner applies
 * its delays when it compares) and a stored (escaped) record key.
 *
 * @category Lifecycle
 */
export type TimerEntry = [number, string];

/**
 * A binary min-heap of timers ordered by time, then key (code-unit order). Plain JSON (an array of
 * pairs); a JSON round trip keeps it a valid heap.
 *
 * @category Lifecycle
 */
export type TimerQueue = TimerEntry[];

function less(a: TimerEntry, b: TimerEntry): boolean {
  return a[0] < b[0] || (a[0] === b[0] && compareStrings(a[1], b[1]) < 0);
}

function siftUp(q: TimerQueue, i: number): void {
  const e = q[i]!;
  while (i > 0) {
    const parent = (i - 1) >> 1;
    const p = q[parent]!;
    if (!less(e, p)) break;
    q[i] = p;
    i = parent;
  }
  q[i] = e;
}

function siftDown(q: TimerQueue, i: number): void {
  const n = q.length;
  const e = q[i]!;
  for (;;) {
    let c = 2 * i + 1;
    if (c >= n) break;
    if (c + 1 < n && less(q[c + 1]!, q[c]!)) c += 1;
    if (!less(q[c]!, e)) break;
    q[i] = q[c]!;
    i = c;
  }
  q[i] = e;
}

/**
 * Adds a timer, **mutating** `q`. Times that are not finite numbers are not queued (no
 * comparison with them is ever true, and JSON cannot hold them).
 *
 * @category Lifecycle
 */
export function pushTimer(q: TimerQueue, time: number, key: string): void {
  if (!Number.isFinite(time)) return;
  q.push([time, key]);
  siftUp(q, q.length - 1);
}

/**
 * Removes and returns the earliest timer, **mutating** `q`; `undefined` when empty.
 *
 * @category Lifecycle
 */
export function popTimer(q: TimerQueue): TimerEntry | undefined {
  const top = q[0];
  if (top === undefined) return undefined;
  const last = q.pop()!;
  if (q.length > 0) {
    q[0] = last;
    siftDown(q, 0);
  }
  return top;
}

/**
 * Pops every timer while `isDue(time)` holds for the earliest one, **mutating** `q`, and returns
 * the keys `take` claims, in pop order. `isDue` must be monotone (true for a time implies true for
 * every earlier time). `take(time, key)` decides whether the entry is live and, if so, consumes
 * it (typically by clearing the time its owner recorded, so a repeat of the entry is dead).
 *
 * @category Lifecycle
 */
export function popDueTimers(
  q: TimerQueue,
  isDue: (time: number) => boolean,
  take: (time: number, key: string) => boolean,
): string[] {
  const keys: string[] = [];
  for (let top = q[0]; top !== undefined && isDue(top[0]); top = q[0]) {
    popTimer(q);
    if (take(top[0], top[1])) keys.push(top[1]);
  }
  return keys;
}

/**
 * `true` once `q` holds more than twice `liveBound` entries (plus slack): the point at which
 * {@link compactTimerQueue} compacts it. Lets a caller skip building its liveness test otherwise.
 *
 * @category Lifecycle
 */
export function needsCompaction(q: TimerQueue, liveBound: number): boolean {
  return q.length > 2 * liveBound + 64;
}

/**
 * Drops dead timers and duplicates once the queue holds more than twice `liveBound` (plus slack;
 * see {@link needsCompaction}), **mutating** `q`; amortized O(1) per push. `isLive` decides which
 * entries stay.
 *
 * @category Lifecycle
 */
export function compactTimerQueue(
  q: TimerQueue,
  liveBound: number,
  isLive: (time: number, key: string) => boolean,
): void {
  if (!needsCompaction(q, liveBound)) return;
  const kept: TimerQueue = [];
  const seen = new Set<string>();
  for (const [time, key] of q) {
    const id = `${time}|${key}`;
    if (seen.has(id) || !isLive(time, key)) continue;
    seen.add(id);
    kept.push([time, key]);
  }
  q.length = 0;
  for (const e of kept) q.push(e);
  for (let i = (q.length >> 1) - 1; i >= 0; i--) siftDown(q, i);
}

const MAX_ARRAY_INDEX = 4_294_967_294;

/**
 * `true` when `key` is an array index (`"0"` … `"4294967294"` in canonical form): JavaScript
 * enumerates such record keys first, in ascending numeric order, before every other key in
 * insertion order.
 *
 * @category Lifecycle
 */
export function isArrayIndexKey(key: string): boolean {
  const n = key.length;
  if (n === 0 || n > 10) return false;
  const c0 = key.charCodeAt(0);
  if (c0 === 48) return n === 1;
  if (c0 < 49 || c0 > 57) return false;
  for (let i = 1; i < n; i++) {
    const c = key.charCodeAt(i);
    if (c < 48 || c > 57) return false;
  }
  return Number(key) <= MAX_ARRAY_INDEX;
}

/**
 * Sorts stored record keys into the order JavaScript enumerates them in the record: array
 * indices ascending first, then every other key by its insertion rank (`rankOf`, increasing with
 * every insertion). Mutates and returns `keys`.
 *
 * @category Lifecycle
 */
export function sortInRecordOrder(keys: string[], rankOf: (key: string) => number): string[] {
  return keys.sort((a, b) => {
    const ia = isArrayIndexKey(a);
    const ib = isArrayIndexKey(b);
    if (ia || ib) return ia && ib ? Number(a) - Number(b) : ia ? -1 : 1;
    return rankOf(a) - rankOf(b);
  });
}

/**
 * Smallest finite `snapshotTs` of the index, or `null` when it holds none.
 *
 * @category Lifecycle
 * @internal
 */
export function smallestSnapshotTs(index: CapabilityIndex): number | null {
  let min: number | null = null;
  for (const key in index.buckets) {
    const candidates = index.buckets[key]!.candidates;
    for (const c in candidates) {
      const ts = candidates[c]!.snapshotTs;
      if (Number.isFinite(ts) && (min === null || ts < min)) min = ts;
    }
  }
  return min;
}

/**
 * The tombstones' expiry queue: one batch `[evictedAt, ...stored keys]` per sweep that evicted
 * sessions, in increasing `evictedAt` (the watermark only grows, so batches are appended). A
 * tombstone costs one key slot here instead of a `[time, key]` pair. Plain JSON; a queue of
 * one-key batches in any order (the binary-heap form of earlier states) is valid too: it is
 * sorted at the first expiry.
 *
 * @category Lifecycle
 */
export type TombstoneQueue = [number, ...string[]][];

/**
 * Adds a tombstone's expiry (`evictedAt`, its stored key) to `q`, **mutating** it: into the last
 * batch when it has the same time, else a new batch, kept in time order.
 *
 * @category Lifecycle
 * @internal
 */
export function pushTombstone(q: TombstoneQueue, evictedAt: number, stored: string): void {
  let i = q.length;
  while (i > 0 && q[i - 1]![0] > evictedAt) i -= 1;
  const before = q[i - 1];
  if (before !== undefined && before[0] === evictedAt) before.push(stored);
  else if (i === q.length) q.push([evictedAt, stored]);
  else q.splice(i, 0, [evictedAt, stored]);
}

/**
 * A session an eviction sweep found idle past `sessionStateTtlMs`: its stored and plain keys and
 * its end time.
 *
 * @internal
 */
export interface EvictionCandidate {
  /** Key as stored in the session record. */
  readonly stored: string;
  /** `workflow_session_id`. */
  readonly id: string;
  /** `sessionEndTs`, epoch ms. */
  readonly end: number;
}

/**
 * The end of both lifecycle operators' eviction sweeps, **mutating** the records: evicts the
 * sessions of `evict` in a deterministic order (session end, then id), each after `beforeEvict`,
 * to a tombstone `{ lastVersion, evictedAt: watermark }` with its expiry queued, then expires the
 * tombstones that are due.
 *
 * @category Lifecycle
 * @internal
 */
export function evictToTombstones<S>(
  sessions: Record<string, S>,
  tombstones: Record<string, { readonly lastVersion: number; readonly evictedAt: number }>,
  queue: TombstoneQueue,
  evict: EvictionCandidate[],
  sweep: { readonly watermark: number; readonly tombstoneTtlMs: number; readonly scan: boolean },
  lastVersion: (session: S) => number,
  beforeEvict: (session: S, id: string) => void = () => undefined,
): void {
  const { watermark } = sweep;
  evict.sort((a, b) => a.end - b.end || compareStrings(a.id, b.id));
  for (const { stored, id } of evict) {
    const session = sessions[stored]!;
    beforeEvict(session, id);
    tombstones[stored] = { lastVersion: lastVersion(session), evictedAt: watermark };
    delete sessions[stored];
    pushTombstone(queue, watermark, stored);
  }
  expireTombstones(tombstones, queue, watermark, sweep.tombstoneTtlMs, sweep.scan);
}

/**
 * Deletes the tombstones whose expiry is due at a sweep at `watermark` (`watermark − evictedAt >
 * ttlMs`), **mutating** `tombstones` and `q` (their expiry queue). Visits only the due batches
 * (a key is live while its tombstone records the batch's `evictedAt`), or every tombstone on a
 * full `scan`.
 *
 * @category Lifecycle
 * @internal
 */
export function expireTombstones(
  tombstones: Record<string, { readonly evictedAt: number }>,
  q: TombstoneQueue,
  watermark: number,
  ttlMs: number,
  scan: boolean,
): void {
  if (scan) {
    for (const stored of Object.keys(tombstones))
      if (watermark - tombstones[stored]!.evictedAt > ttlMs) delete tombstones[stored];
    return;
  }
  for (let i = 1; i < q.length; i++)
    if (q[i - 1]![0] > q[i]![0]) {
      q.sort((a, b) => a[0] - b[0]);
      break;
    }
  let due = 0;
  while (due < q.length && watermark - q[due]![0] > ttlMs) {
    const batch = q[due]!;
    for (let k = 1; k < batch.length; k++) {
      const stored = batch[k] as string;
      if (Object.hasOwn(tombstones, stored) && tombstones[stored]!.evictedAt === batch[0])
        delete tombstones[stored];
    }
    due += 1;
  }
  if (due > 0) q.splice(0, due);
}

/**
 * Lowers `timers.candidatesFrom` (the lower bound of the index's snapshot times) to `ts` when a
 * snapshot at `ts` enters the index; times that are not finite are ignored.
 *
 * @category Lifecycle
 * @internal
 */
export function lowerCandidatesFrom(timers: { candidatesFrom: number | null }, ts: number): void {
  if (Number.isFinite(ts) && (timers.candidatesFrom === null || ts < timers.candidatesFrom))
    timers.candidatesFrom = ts;
}

/**
 * The capability-index prune of both lifecycle operators' `advance`: it runs only when a candidate
 * can leave the index (`candidatesFrom`, a lower bound of the candidates' snapshot times, is past
 * the retention) or on a full `scan`, and then resets the bound. Skipping it leaves only the
 * buckets' `highWatermarkTs` behind the watermark, which every later prune or insert raises first.
 *
 * @category Lifecycle
 * @internal
 */
export function pruneCapabilitiesWhenDue(
  index: CapabilityIndex,
  timers: { candidatesFrom: number | null },
  watermark: number,
  config: AttributionConfig,
  scan: boolean,
): void {
  if (
    scan ||
    (config.pruning !== "reference" &&
      timers.candidatesFrom !== null &&
      timers.candidatesFrom < watermark - retentionMs(config))
  ) {
    pruneIndexInPlace(index, watermark, config);
    timers.candidatesFrom = smallestSnapshotTs(index);
  }
}
