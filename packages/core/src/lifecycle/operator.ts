/**
 * The arrival-order scheduler over the per-session fold (`fold.ts`): the `REFERENCE_COMPAT`
 * processing of `lifecycle.md`. Capability snapshots feed the shared index; each admitted signal
 * is folded once into its session's accumulators, and the session, latency, segment,
 * parameter-update, coverage and aligned sample rows come out at once, in that order; the
 * watermark releases pending samples, prunes the index and evicts idle sessions.
 *
 * @module
 */
import { createCapabilityIndex, ingestSnapshotInPlace } from "../attribution/candidates.js";
import type { CapabilityIndex } from "../attribution/types.js";
import { getOwn, setOwn, deleteOwn, escapeKey, unescapeKey } from "../internal/own.js";
import { defineOperator, type Operator } from "../operator/operator.js";
import { compareStrings } from "../primitives/strings.js";
import {
  alignAdvance,
  alignNewSample,
  alignSegmentRow,
  initAlignmentState,
  type AlignedRow,
  type AlignmentState,
} from "./alignment.js";
import {
  DEFAULT_LIFECYCLE_CONFIG,
  EVICTION_SWEEP_INTERVAL_MS,
  type LifecycleConfig,
} from "./config.js";
import {
  compactCoverageRecord,
  coverageApply,
  initCoverageState,
  type CoverageState,
} from "./coverage.js";
import {
  admitSignal,
  emitSessionRows,
  foldSignal,
  initSessionAccumulators,
  type LifecycleEmit,
  type LifecycleInput,
  type LifecycleOutput,
  type SessionAccumulators,
  type Tombstone,
} from "./fold.js";
import { toSessionRow } from "./session.js";
import type { LifecycleSignal, SampleInput } from "./signal.js";
import {
  evictToTombstones,
  lowerCandidatesFrom,
  popDueTimers,
  pruneCapabilitiesWhenDue,
  pushTimer,
  pushTombstone,
  smallestSnapshotTs,
  type TimerQueue,
  type EvictionCandidate,
  type TombstoneQueue,
} from "./timers.js";

/**
 * Current version of {@link LifecycleState}. Version 2 keeps a compact {@link CoverageState} as a
 * session's coverage accumulator ({@link SessionBundle.coverage}) instead of a whole session
 * accumulator. States of version 1 are upgraded by {@link upgradeLifecycleState}.
 */
export const LIFECYCLE_STATE_VERSION = 2;

/**
 * Every accumulator of one session in arrival-order processing: the fold's
 * {@link SessionAccumulators} plus coverage and the segment-window join. Plain JSON.
 *
 * @category Lifecycle
 */
export interface SessionBundle extends SessionAccumulators {
  /**
   * Coverage accumulator (raw signals only). States saved with a whole session accumulator here
   * are upgraded by {@link upgradeLifecycleState}.
   */
  readonly coverage: CoverageState;
  /** Segment-window join state. */
  readonly alignment: AlignmentState;
}

/**
 * State of the composed lifecycle operator. Plain JSON; keys of `sessions`/`tombstones` are
 * stored escaped.
 *
 * @category Lifecycle
 */
export interface LifecycleState {
  /** State schema version. */
  readonly v: typeof LIFECYCLE_STATE_VERSION;
  /** The capability index shared by every operator. */
  readonly index: CapabilityIndex;
  /** Latest watermark, epoch ms, or `null` before the first. */
  watermark: number | null;
  /** Open sessions by `workflow_session_id`. */
  readonly sessions: Record<string, SessionBundle>;
  /** Evicted sessions by `workflow_session_id`. */
  readonly tombstones: Record<string, Tombstone>;
  /** Sessions with pending samples (value `1`). */
  readonly pendingSessions: Record<string, 1>;
  /** Watermark of the last eviction sweep, or `null`. */
  lastSweepWatermark: number | null;
  /** Due-time indexes; absent in states saved before they existed, rebuilt on first use. */
  timers?: LifecycleTimers;
}

/**
 * Due-time indexes of the lifecycle operator, so that an eviction sweep visits only the sessions
 * and tombstones that can expire instead of all of them. Queues are binary min-heaps of
 * `[time, stored key]` (see `timers.ts`). Plain JSON.
 *
 * @category Lifecycle
 */
export interface LifecycleTimers {
  /**
   * Idle eviction: exactly one entry per session held, at or before its `sessionEndTs` (which
   * only grows); due at a sweep once `W − time > sessionStateTtlMs`, then re-queued at the
   * session's current end unless the session is evicted.
   */
  readonly evict: TimerQueue;
  /** Tombstone expiry: batches `[evictedAt, ...keys]`, due at a sweep once `W − evictedAt > tombstoneTtlMs`. */
  readonly tombstones: TombstoneQueue;
  /** Smallest `snapshotTs` in the capability index, at most; `null` when it is empty. */
  candidatesFrom: number | null;
}

/**
 * A fresh lifecycle state.
 *
 * @category Lifecycle
 */
export function initLifecycleState(): LifecycleState {
  return {
    v: LIFECYCLE_STATE_VERSION,
    index: createCapabilityIndex(),
    watermark: null,
    sessions: {},
    tombstones: {},
    pendingSessions: {},
    lastSweepWatermark: null,
    timers: { evict: [], tombstones: [], candidatesFrom: null },
  };
}

/**
 * Upgrades a saved {@link LifecycleState} of version 1 to the current version: a session's
 * coverage accumulator ({@link SessionBundle.coverage}), a whole session accumulator in version 1,
 * keeps only its {@link CoverageState} fields. Outputs do not change: coverage rows read nothing
 * else.
 *
 * Anything else is returned unchanged (a current state, or a malformed value for the caller's
 * validation to report); values inside an upgraded state that are not of the expected type are
 * carried over as they are. Pure: the input is not modified.
 *
 * @category Lifecycle
 * @example
 * const state = upgradeLifecycleState(JSON.parse(saved)) as LifecycleState;
 */
export function upgradeLifecycleState(state: unknown): unknown {
  if (!isRecord(state) || state["v"] !== 1) return state;
  const sessions = state["sessions"];
  if (!isRecord(sessions)) return state;
  const next: Record<string, unknown> = {};
  for (const stored of Object.keys(sessions)) {
    const b = sessions[stored];
    // Stored keys are escaped, but a malformed snapshot could hold `__proto__`: never a setter.
    Object.defineProperty(next, stored, {
      value:
        isRecord(b) && Object.hasOwn(b, "coverage")
          ? { ...b, coverage: compactCoverageRecord(b["coverage"]) }
          : b,
      enumerable: true,
      writable: true,
      configurable: true,
    });
  }
  return { ...state, v: LIFECYCLE_STATE_VERSION, sessions: next };
}

/** `true` for a plain record (not `null`, not an array). */
function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

/** The state's timers; rebuilt from the sessions when the state was saved before they existed. */
function timersOf(st: LifecycleState): LifecycleTimers {
  if (st.timers !== undefined) return st.timers;
  const t: LifecycleTimers = { evict: [], tombstones: [], candidatesFrom: null };
  st.timers = t;
  for (const stored in st.sessions) {
    const end = st.sessions[stored]!.session.sessionEndTs;
    if (end !== null) pushTimer(t.evict, end, stored);
  }
  for (const stored in st.tombstones)
    pushTombstone(t.tombstones, st.tombstones[stored]!.evictedAt, stored);
  t.candidatesFrom = smallestSnapshotTs(st.index);
  return t;
}

/**
 * A fresh bundle for a session.
 *
 * @category Lifecycle
 */
export function initSessionBundle(workflowSessionId: string): SessionBundle {
  return {
    ...initSessionAccumulators(workflowSessionId),
    coverage: initCoverageState(),
    alignment: initAlignmentState(),
  };
}

type Emit = LifecycleEmit;

function emitAligned(rows: readonly AlignedRow[], emit: Emit): void {
  for (const r of rows) emit({ kind: "row", ...r } as LifecycleOutput);
}

/**
 * Applies one signal (and its sample) to a session bundle, emitting rows in engine order:
 * session, latency (and serving), segments, parameter update, coverage, aligned samples.
 * Mutates `b`.
 *
 * @category Lifecycle
 */
export function applySignalToBundle(
  b: SessionBundle,
  signal: LifecycleSignal,
  sample: SampleInput | null,
  index: CapabilityIndex,
  watermark: number | null,
  config: LifecycleConfig,
  emit: Emit,
): void {
  const { segments: segRows, param } = foldSignal(b, signal, index, config);
  emitSessionRows(toSessionRow(b.session), b.session, config, emit);
  for (const s of segRows) emit({ kind: "row", table: "fact_workflow_session_segments", row: s });
  if (param !== null) emit({ kind: "row", table: "fact_workflow_param_updates", row: param });
  emit({
    kind: "row",
    table: "fact_lifecycle_edge_coverage",
    row: coverageApply(b.coverage, signal),
  });
  for (const s of segRows) emitAligned(alignSegmentRow(b.alignment, s), emit);
  if (sample !== null) emitAligned(alignNewSample(b.alignment, sample, watermark), emit);
}

function lifecycleStep(
  st: LifecycleState,
  input: LifecycleInput,
  config: LifecycleConfig,
  emit: Emit,
): void {
  const t = timersOf(st);
  if (input.kind === "capability") {
    for (const snap of input.snapshots) {
      lowerCandidatesFrom(t, snap.snapshotTs);
      ingestSnapshotInPlace(st.index, snap, st.watermark, config.attribution);
    }
    return;
  }
  const s = input.signal;
  if (!admitSignal(s, st.tombstones, emit)) return;
  const id = s.workflowSessionId;
  let b = getOwn(st.sessions, id);
  const created = b === undefined;
  if (b === undefined) {
    b = initSessionBundle(id);
    setOwn(st.sessions, id, b);
  }
  applySignalToBundle(b, s, input.sample ?? null, st.index, st.watermark, config, emit);
  // The session's one eviction timer: its end only grows, so the first one is early enough.
  if (created && b.session.sessionEndTs !== null)
    pushTimer(t.evict, b.session.sessionEndTs, escapeKey(id));
  if (b.alignment.pending.length > 0) setOwn(st.pendingSessions, id, 1);
}

/**
 * `advance(W)`. The eviction sweep visits only the sessions and tombstones whose timers are due,
 * unless `scan` (the exhaustive reference: every session and tombstone).
 */
function lifecycleAdvance(
  st: LifecycleState,
  watermark: number,
  config: LifecycleConfig,
  emit: Emit,
  scan = false,
): void {
  if (st.watermark !== null && watermark <= st.watermark) return;
  st.watermark = watermark;
  for (const stored of Object.keys(st.pendingSessions).sort(compareStrings)) {
    const id = unescapeKey(stored);
    const b = getOwn(st.sessions, id);
    if (b !== undefined)
      emitAligned(alignAdvance(b.alignment, watermark, config.initialEmitDelayMs), emit);
    if (b === undefined || b.alignment.pending.length === 0) deleteOwn(st.pendingSessions, id);
  }
  const t = timersOf(st);
  pruneCapabilitiesWhenDue(st.index, t, watermark, config.attribution, scan);
  // Eviction sweeps run at most once per EVICTION_SWEEP_INTERVAL_MS of watermark progress and
  // visit only the sessions whose eviction timer is due.
  if (
    st.lastSweepWatermark !== null &&
    watermark - st.lastSweepWatermark < EVICTION_SWEEP_INTERVAL_MS
  )
    return;
  st.lastSweepWatermark = watermark;
  const ttl = config.sessionStateTtlMs;
  const evict: EvictionCandidate[] = [];
  const due = scan
    ? Object.keys(st.sessions)
    : popDueTimers(
        t.evict,
        (end) => watermark - end > ttl,
        (_end, stored) => Object.hasOwn(st.sessions, stored),
      );
  // A session evicted by a scan and created again can own two entries: handle it once.
  const seen = new Set<string>();
  for (const stored of due) {
    if (seen.has(stored)) continue;
    seen.add(stored);
    const b = st.sessions[stored]!;
    const end = b.session.sessionEndTs;
    if (end !== null && watermark - end > ttl && b.alignment.pending.length === 0)
      evict.push({ stored, id: unescapeKey(stored), end });
    else if (end !== null && !scan) pushTimer(t.evict, end, stored);
  }
  evictToTombstones(
    st.sessions,
    st.tombstones,
    t.tombstones,
    evict,
    { watermark, tombstoneTtlMs: config.tombstoneTtlMs, scan },
    (b) => b.session.version,
  );
}

/**
 * `advance` by exhaustive scan, the reference the timer queues are tested against: the eviction
 * sweep visits every session and tombstone held, as the operator did before it had due-time
 * indexes. Same outputs as `lifecycleOperator.advanceInPlace`, in O(sessions). Mutates `st`
 * (its timers stay usable); returns the outputs.
 *
 * @internal
 */
export function lifecycleAdvanceByScan(
  st: LifecycleState,
  watermark: number,
  config: LifecycleConfig,
): LifecycleOutput[] {
  const out: LifecycleOutput[] = [];
  lifecycleAdvance(st, watermark, config, (o) => out.push(o), true);
  return out;
}

/**
 * The lifecycle operator (arrival-order processing, `REFERENCE_COMPAT` semantics).
 *
 * @category Lifecycle
 * @example
 * const config = DEFAULT_LIFECYCLE_CONFIG;
 * let state = lifecycleOperator.init(config);
 * const { state: next, outputs } = lifecycleOperator.step(state, { kind: "signal", signal, sample }, config);
 */
export const lifecycleOperator: Operator<
  LifecycleState,
  LifecycleInput,
  LifecycleOutput,
  LifecycleConfig
> = /* @__PURE__ */ defineOperator<
  LifecycleState,
  LifecycleInput,
  LifecycleOutput,
  LifecycleConfig
>({
  name: "lifecycle",
  init: () => initLifecycleState(),
  step: (draft, input, config, emit) => lifecycleStep(draft as LifecycleState, input, config, emit),
  advance: (draft, watermark, config, emit) =>
    lifecycleAdvance(draft as LifecycleState, watermark, config, emit),
});

/** The default configuration, re-exported for convenience. */
export const LIFECYCLE_DEFAULTS: LifecycleConfig = DEFAULT_LIFECYCLE_CONFIG;
