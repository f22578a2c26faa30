/**
 * The partitioned engine (`docs/engine.md`, "Partitioned engine"): the engine's topology cut into the two
 * keyed stages a stream processor such as Flink runs in parallel, with the same final tables as
 * the single engine.
 *
 * ```
 * record ─► keyBy(dedup key) ─► record stage (gate, screen, dedup, parse) ─► DLQ, quarantine, raw rows, counters
 *                                   │ accepted event time ─► event clock (host, global) ─► watermark to every partition
 *                                   ▼ lifecycle item
 *            keyBy(workflow_session_id) / broadcast (capability snapshots) ─► lifecycle stage ─► fact rows
 * ```
 *
 * A duplicate must meet its original, so dedup is keyed by the dedup key (a record may repeat an
 * event id with another session id); the lifecycle is keyed by session, so a record crosses two
 * keyings. The watermark is a function of every accepted event (the quorum frontier), so the host
 * computes it with an {@link EventClock} over the event times the record stage reports and gives
 * the same watermarks, at the same points of the stream, to every partition.
 *
 * A partition state is an {@link EngineState}: its dedup store holds the dedup keys routed to the
 * partition, its lifecycle state the sessions routed to it plus the whole capability index (every
 * partition applies every capability snapshot), and it has no frontier of its own. The engine's
 * `snapshot` / `restore` apply to it unchanged.
 *
 * @module
 */
import { dedupKeyDigest } from "../quality/dedup.js";
import { runGate } from "../quality/gate.js";
import type { AcceptedEvent } from "../events/accepted-event.js";
import type { LifecycleInput } from "../lifecycle/fold.js";
import {
  createEngine,
  engineStages,
  eventTimeFrontier,
  EngineUsageError,
  type Engine,
  type EngineInput,
  type EngineOptions,
  type EngineOutput,
  type EngineState,
} from "./engine.js";
import type { EngineConfig, EngineConfigInput } from "./config.js";
import {
  correctionSessionDueAt,
  type CorrectionSession,
  type CorrectionState,
} from "../lifecycle/correction.js";
import type { Tombstone } from "../lifecycle/fold.js";
import type { LifecycleState, SessionBundle } from "../lifecycle/operator.js";
import { cloneJson, getOwn, setOwn, unescapeKey } from "../internal/own.js";
import { compareStrings } from "../primitives/strings.js";
import type { CoalescedRow } from "./engine.js";

/**
 * Where a record goes in the record stage: the partition owning its dedup key (`key`: the
 * 22-character digest of the dedup key, the form the dedup store keeps), or any partition (`any`:
 * a record the gate rejects touches no state; pick one deterministically, e.g. by offset).
 *
 * @category Partitioned engine
 */
export type RecordRoute = { readonly kind: "key"; readonly key: string } | { readonly kind: "any" };

/**
 * Where a lifecycle item goes in the lifecycle stage: the partition owning its
 * `workflow_session_id` (`key`), or every partition (`broadcast`: capability snapshots).
 *
 * @category Partitioned engine
 */
export type ItemRoute =
  { readonly kind: "key"; readonly key: string } | { readonly kind: "broadcast" };

/**
 * What the record stage hands to the lifecycle stage for an accepted event of a lifecycle family
 * or a capability event. Plain JSON.
 *
 * @category Partitioned engine
 */
export interface LifecycleItem {
  /** The accepted event (its envelopes are built from it: row guard, evicted sessions). */
  readonly event: AcceptedEvent;
  /** Its lifecycle input: a signal (keyed by session) or capability snapshots (broadcast). */
  readonly input: LifecycleInput;
  /** The record's `EngineInput.now`. */
  readonly now: number;
}

/**
 * Result of the record stage for one record.
 *
 * @category Partitioned engine
 */
export interface RecordStageResult {
  /** Counters, DLQ and quarantine envelopes, raw rows: emitted once, by this stage. */
  readonly outputs: EngineOutput[];
  /**
   * Event time of the accepted (deduplicated) event, epoch ms, for the host's {@link EventClock};
   * `null` when the record was rejected, kept aside or a duplicate.
   */
  readonly eventTime: number | null;
  /** The item for the lifecycle stage ({@link PartitionedEngine.routeItem}), or `null`. */
  readonly item: LifecycleItem | null;
}

/**
 * The host's event clock: the quorum frontier over every accepted event time of the whole
 * stream (the single engine's {@link EngineState.frontier} rule) and the last watermark given to
 * the partitions. Plain JSON.
 *
 * @category Partitioned engine
 */
export interface EventClock {
  /** The event-time frontier, epoch ms, or `null` before it exists. */
  frontier: number | null;
  /** The newest accepted event times, descending, at most `frontierQuorum` of them. */
  readonly newestEventTs: number[];
  /** Last watermark given to the partitions, epoch ms, or `null`. */
  watermark: number | null;
  /** `true` once the clock was flushed. */
  flushed: boolean;
}

/**
 * The partitioned engine. Functions named `*InPlace` mutate the state or clock they are given
 * (a host owns them, as with the engine's `*InPlace` functions); everything else is pure.
 *
 * A host drives it like this, per record in stream order (see `docs/engine.md`):
 * 1. `routeRecord` → one partition runs `recordStageInPlace`;
 * 2. `observeInPlace(clock, eventTime)`;
 * 3. `routeItem(item)` → its partition (or, for `broadcast`, every partition, exactly one of them
 *    `primary`) runs `lifecycleStageInPlace`;
 * 4. `nextWatermark(clock)`; when not `null`, `advanceClockInPlace` and `advanceInPlace` on every
 *    partition.
 *
 * At the end, `flushInPlace` on every partition and `flushClockInPlace` once. The outputs of all
 * of this have the final tables of the single engine run over the same stream.
 *
 * @category Partitioned engine
 */
export interface PartitionedEngine {
  /** The engine whose stages the partitions run (its `snapshot` / `restore` take partition states). */
  readonly engine: Engine;
  /** A fresh partition state. */
  init(): EngineState;
  /** A fresh event clock. */
  initClock(): EventClock;
  /** Pure: the record stage's route of a record (runs the gate, which reads no state). */
  routeRecord(input: EngineInput): RecordRoute;
  /** Pure: the lifecycle stage's route of an item. */
  routeItem(item: LifecycleItem): ItemRoute;
  /** The record stage on the partition owning the record's route (mutates its dedup store). */
  recordStageInPlace(state: EngineState, input: EngineInput): RecordStageResult;
  /**
   * The lifecycle stage on a partition the item routes to (mutates its lifecycle state). A
   * broadcast item goes to every partition; outputs that do not depend on the partition's
   * sessions (the `late_capabilities` counter) come out of the `primary` one only.
   */
  lifecycleStageInPlace(state: EngineState, item: LifecycleItem, primary: boolean): EngineOutput[];
  /** Moves the clock for the event time a record stage reported (`null`: nothing to do). */
  observeInPlace(clock: EventClock, eventTime: number | null): void;
  /**
   * The watermark to give the partitions now, or `null`: the single engine's
   * {@link Engine.nextWatermark} rule over the clock.
   */
  nextWatermark(clock: EventClock): number | null;
  /** Records that `watermark` was given to the partitions. */
  advanceClockInPlace(clock: EventClock, watermark: number): void;
  /** Moves a partition's watermark (every partition gets every watermark, in the same order). */
  advanceInPlace(state: EngineState, watermark: number): EngineOutput[];
  /** End of input for one partition (`clock` is the host's clock, read only). */
  flushInPlace(state: EngineState, clock: Readonly<EventClock>): EngineOutput[];
  /**
   * For each session key a partition state holds (its slices, as {@link sliceState} cuts them):
   * the lowest watermark whose {@link PartitionedEngine.advanceInPlace} can change that slice, so
   * that a host may hand an advance to `W` only the slices with a due time `≤ W` (and the slices
   * of the items it carries) instead of every slice it holds. `-Infinity`: the next advance can
   * (rows wait for it; every slice in `reference-compat` mode, whose operator has no due times);
   * `null`: no advance alone can (a capability snapshot or the flush can: those still need every
   * slice). A slice's due time only moves when a call that holds it changes it, so a host
   * recomputes it from the state each call returns.
   */
  dueTimes(state: EngineState): Record<string, number | null>;
  /**
   * End of input for the clock: the `event_time_outliers` counters the single engine's `flush`
   * emits for event times never confirmed by a quorum.
   */
  flushClockInPlace(clock: EventClock): EngineOutput[];
}

/**
 * Creates a partitioned engine for a configuration (the one `createEngine` takes).
 *
 * Exactness: a host that follows {@link PartitionedEngine} gets the single engine's final tables
 * (`collectFinalTables`; rows, versions, envelopes and counter totals) for any number of
 * partitions and any assignment of keys to partitions, with two limits: the dedup size bound
 * `dedupMaxEntries` applies per partition (the single engine's bound is global, so the results
 * differ once it evicts: `dedup_evictions` counts it), and a `relevant_evictions` count is per
 * partition (an eviction relevant to sessions of two partitions counts twice).
 *
 * @category Partitioned engine
 * @example
 * const p = createPartitionedEngine({ preset: "correction" });
 * const parts = [p.init(), p.init()];
 * const clock = p.initClock();
 * const at = (key: string) => key.charCodeAt(0) % parts.length; // any deterministic choice
 * const out = [];
 * for (const [offset, value] of lines.entries()) {
 *   const input = { record: { value, offset }, now: Date.now() };
 *   const route = p.routeRecord(input);
 *   const r = p.recordStageInPlace(parts[route.kind === "key" ? at(route.key) : 0], input);
 *   out.push(...r.outputs);
 *   p.observeInPlace(clock, r.eventTime);
 *   if (r.item !== null) {
 *     const to = p.routeItem(r.item);
 *     if (to.kind === "key") out.push(...p.lifecycleStageInPlace(parts[at(to.key)], r.item, true));
 *     else parts.forEach((s, k) => out.push(...p.lifecycleStageInPlace(s, r.item, k === 0)));
 *   }
 *   const w = p.nextWatermark(clock);
 *   if (w !== null) {
 *     p.advanceClockInPlace(clock, w);
 *     for (const s of parts) out.push(...p.advanceInPlace(s, w));
 *   }
 * }
 * for (const s of parts) out.push(...p.flushInPlace(s, clock));
 * out.push(...p.flushClockInPlace(clock));
 * // collectFinalTables(out) equals the single engine's final tables
 */
export function createPartitionedEngine(
  config: EngineConfigInput | EngineConfig = {},
  options: EngineOptions = {},
): PartitionedEngine {
  const engine = createEngine(config, options);
  const resolved = engine.config;
  const stages = engineStages(engine);
  const quorum = resolved.frontierQuorum;
  const sha256Hex = options.sha256Hex;

  const notFlushed = (state: EngineState): void => {
    if (state.flushed)
      throw new EngineUsageError(
        "step_after_flush",
        "partition stage called on a flushed partition state",
      );
  };

  return {
    engine,
    init: () => engine.init(),
    initClock: () => ({ frontier: null, newestEventTs: [], watermark: null, flushed: false }),
    routeRecord(input) {
      const g = runGate(input.record, {
        now: input.now,
        supportedVersions: resolved.gate.supportedVersions,
      });
      return g.ok
        ? { kind: "key", key: dedupKeyDigest(g.event.dedupKey, sha256Hex) }
        : { kind: "any" };
    },
    routeItem(item) {
      return item.input.kind === "signal"
        ? { kind: "key", key: item.input.signal.workflowSessionId }
        : { kind: "broadcast" };
    },
    recordStageInPlace(state, input) {
      notFlushed(state);
      const g = stages.gate(state, input);
      return {
        outputs: g.outputs,
        eventTime: g.event === null ? null : g.event.timestamp,
        item:
          g.event === null || g.lifecycle === null
            ? null
            : { event: g.event, input: g.lifecycle, now: input.now },
      };
    },
    lifecycleStageInPlace(state, item, primary) {
      notFlushed(state);
      const out = stages.lifecycle(state, item.input, item.event, item.now);
      if (primary || item.input.kind === "signal") return out;
      // A capability step's `late_capabilities` depends on the snapshot and the watermark only:
      // every partition computes the same ones.
      return out.filter((o) => !(o.kind === "counter" && o.name === "late_capabilities"));
    },
    observeInPlace(clock, eventTime) {
      if (eventTime !== null) eventTimeFrontier(clock, eventTime, quorum);
    },
    nextWatermark(clock) {
      if (clock.frontier === null || clock.flushed) return null;
      const w = clock.frontier - resolved.lifecycle.attribution.allowedLatenessMs;
      if (
        clock.watermark !== null &&
        w - clock.watermark < Math.max(1, resolved.advanceGranularityMs)
      )
        return null;
      return w;
    },
    advanceClockInPlace(clock, watermark) {
      if (clock.watermark === null || watermark > clock.watermark) clock.watermark = watermark;
    },
    advanceInPlace: (state, watermark) => engine.advanceInPlace(state, watermark),
    dueTimes(state) {
      const due: Record<string, number | null> = {};
      const earliest = (key: string, time: number | null): void => {
        const prev = getOwn(due, key);
        if (prev === undefined || (time !== null && (prev === null || time < prev)))
          setOwn(due, key, time);
      };
      const lc = state.lifecycle;
      const compat = state.mode !== "correction";
      for (const stored of Object.keys(lc.sessions))
        earliest(
          unescapeKey(stored),
          compat
            ? -Infinity
            : correctionSessionDueAt((lc as CorrectionState).sessions[stored]!, resolved.lifecycle),
        );
      for (const stored of Object.keys(lc.tombstones))
        earliest(
          unescapeKey(stored),
          compat ? -Infinity : lc.tombstones[stored]!.evictedAt + resolved.lifecycle.tombstoneTtlMs,
        );
      if ("pendingSessions" in lc)
        for (const stored of Object.keys(lc.pendingSessions))
          earliest(unescapeKey(stored), -Infinity);
      // Held rows go out at the next advance, except with final emission (at the flush).
      for (const key of Object.keys(state.coalesced ?? {})) {
        const id = String(state.coalesced![key]!.row["workflow_session_id"]);
        earliest(id, resolved.emission !== "final" || compat ? -Infinity : null);
      }
      return due;
    },
    flushInPlace(state, clock) {
      if (state.flushed) return [];
      // The engine's flush reads the newest event time (reference-compat releases pending samples
      // from it when no watermark was ever applied); a partition has no frontier, so it emits no
      // outlier counters (the clock does).
      const saved = state.newestEventTs.splice(0);
      const newest = clock.newestEventTs[0];
      if (newest !== undefined) state.newestEventTs.push(newest);
      const frontier = state.frontier;
      state.frontier = null;
      try {
        return engine.flushInPlace(state);
      } finally {
        state.newestEventTs.splice(0, state.newestEventTs.length, ...saved);
        state.frontier = frontier;
      }
    },
    flushClockInPlace(clock) {
      if (clock.flushed) return [];
      clock.flushed = true;
      const out: EngineOutput[] = [];
      const frontier = clock.frontier;
      if (frontier !== null)
        for (const t of clock.newestEventTs)
          if (t - frontier > resolved.maxFutureSkewMs)
            out.push({ kind: "counter", name: "event_time_outliers", delta: 1 });
      return out;
    },
  };
}

/**
 * The lifecycle state of one session key: what a keyed-state backend (a Flink `ValueState`)
 * holds for a `workflow_session_id`. Plain JSON; every field is absent when empty.
 *
 * @category Partitioned engine
 */
export interface SessionSlice {
  /** The open session (a correction session, or an arrival-order session bundle). */
  readonly session?: CorrectionSession | SessionBundle;
  /** The tombstone of an evicted session. */
  readonly tombstone?: Tombstone;
  /** `true` when the session has samples waiting (arrival-order processing). */
  readonly pending?: true;
  /** Rows of the session held by coalesced or final emission, by their hold key. */
  readonly held?: Record<string, CoalescedRow>;
}

/**
 * A partition state cut into keyed slices and the state every partition shares. Plain JSON.
 *
 * @category Partitioned engine
 */
export interface StateSlices {
  /**
   * The state with no key in it: the capability index, the watermarks, the sweep and dedup
   * parameters. Equal in every partition of a run (each applies every broadcast and watermark).
   */
  readonly shared: EngineState;
  /** Record-stage slices: dedup-key digest ({@link RecordRoute} key) → first-seen time, epoch ms. */
  readonly dedup: Record<string, number>;
  /** Lifecycle-stage slices by `workflow_session_id` ({@link ItemRoute} key). */
  readonly sessions: Record<string, SessionSlice>;
}

/** The session slice stored under `id` in `slices`, created when absent. */
function sliceFor(slices: Record<string, SessionSlice>, id: string): Record<string, unknown> {
  let slice = getOwn(slices, id) as Record<string, unknown> | undefined;
  if (slice === undefined) {
    slice = {};
    setOwn(slices, id, slice as SessionSlice);
  }
  return slice;
}

/**
 * Cuts a state (a partition's, or a whole single engine's) into keyed slices and the shared
 * state. Pure: the input is not modified and nothing is shared with it. The frontier is not part
 * of the slices (see {@link clockOf}).
 *
 * @category Partitioned engine
 */
export function sliceState(state: EngineState): StateSlices {
  return sliceStateInPlace(cloneJson(state));
}

/**
 * {@link sliceState} without the copy: the slices are made of the state's own objects, and the
 * state is consumed (modified; do not use it afterwards). For a host that owns a state it has
 * just parsed or assembled, e.g. a sidecar answering one call.
 *
 * @category Partitioned engine
 */
export function sliceStateInPlace(state: EngineState): StateSlices {
  const s = state as {
    -readonly [K in keyof EngineState]: EngineState[K];
  };
  const dedup: Record<string, number> = {};
  for (const stored of Object.keys(s.dedup.seen))
    setOwn(dedup, unescapeKey(stored), s.dedup.seen[stored]!);
  s.dedup = { ...s.dedup, seen: {}, size: 0, buckets: {}, sortedBucket: null, bucketOrder: [] };
  const sessions: Record<string, SessionSlice> = {};
  const lc = s.lifecycle as CorrectionState | LifecycleState;
  for (const stored of Object.keys(lc.sessions)) {
    const session = lc.sessions[stored]! as CorrectionSession | SessionBundle;
    // Timer records are rebuilt by the operator that continues the assembled state.
    if ("due" in session) delete session.due;
    sliceFor(sessions, unescapeKey(stored))["session"] = session;
  }
  for (const stored of Object.keys(lc.tombstones))
    sliceFor(sessions, unescapeKey(stored))["tombstone"] = lc.tombstones[stored];
  if ("pendingSessions" in lc)
    for (const stored of Object.keys(lc.pendingSessions))
      sliceFor(sessions, unescapeKey(stored))["pending"] = true;
  for (const key of Object.keys(s.coalesced ?? {})) {
    const h = s.coalesced![key]!;
    const slice = sliceFor(sessions, String(h.row["workflow_session_id"]));
    const held = (slice["held"] ??= {}) as Record<string, CoalescedRow>;
    setOwn(held, unescapeKey(key), h);
  }
  delete s.coalesced;
  const empty: Record<string, unknown> = { sessions: {}, tombstones: {} };
  if ("pendingSessions" in lc) empty["pendingSessions"] = {};
  if ("keyIndex" in lc) empty["keyIndex"] = {};
  const shared = { ...lc, ...empty } as Record<string, unknown>;
  delete shared["timers"];
  delete shared["dirty"];
  s.lifecycle = shared as unknown as CorrectionState | LifecycleState;
  s.frontier = null;
  s.newestEventTs.length = 0;
  return { shared: s, dedup, sessions };
}

/**
 * Assembles a state from a shared state and any set of keyed slices (the inverse of
 * {@link sliceState}; a partition takes the slices of the keys routed to it). Only the shared part
 * of `shared` is used (keyed parts it may still hold are dropped, as {@link sliceState} would).
 * The timer indexes and the dedup expiry index are rebuilt by the operators on first use. Throws
 * on a dedup slice whose first-seen time is not a finite number. Pure.
 *
 * @category Partitioned engine
 */
export function assembleState(
  shared: EngineState,
  dedup: Readonly<Record<string, number>>,
  sessions: Readonly<Record<string, SessionSlice>>,
): EngineState {
  return assembleFrom(sliceState(shared).shared, dedup, sessions, cloneJson);
}

/**
 * {@link assembleState} without the copies: the state is built of the objects of `shared` and
 * `sessions`, which are consumed (do not use them afterwards). For a host that owns what it
 * passes, e.g. a sidecar answering one call with the states it has just parsed.
 *
 * @category Partitioned engine
 */
export function assembleStateInPlace(
  shared: EngineState,
  dedup: Readonly<Record<string, number>>,
  sessions: Readonly<Record<string, SessionSlice>>,
): EngineState {
  return assembleFrom(sliceStateInPlace(shared).shared, dedup, sessions, (slice) => slice);
}

function assembleFrom(
  sharedPart: EngineState,
  dedup: Readonly<Record<string, number>>,
  sessions: Readonly<Record<string, SessionSlice>>,
  own: (slice: SessionSlice) => SessionSlice,
): EngineState {
  const s = sharedPart as { -readonly [K in keyof EngineState]: EngineState[K] };
  const d = s.dedup as { -readonly [K in keyof EngineState["dedup"]]: EngineState["dedup"][K] };
  for (const stored of Object.keys(dedup)) {
    const seenAt = dedup[stored]!;
    if (typeof seenAt !== "number" || !Number.isFinite(seenAt))
      throw new Error(`@livepeer-analytics/core: assembleState: dedup slice ${stored}: not a time`);
    const digest = unescapeKey(stored);
    // Two stored spellings of one digest count once.
    if (getOwn(d.seen, digest) !== undefined) continue;
    setOwn(d.seen, digest, seenAt);
    d.size += 1;
    const bucket = String(Math.floor(seenAt / d.bucketMs));
    const list = getOwn(d.buckets, bucket);
    if (list === undefined) setOwn(d.buckets, bucket, [digest]);
    else list.push(digest);
  }
  delete d.bucketOrder;
  d.sortedBucket = null;
  const lc = s.lifecycle as unknown as {
    readonly sessions: Record<string, unknown>;
    readonly tombstones: Record<string, Tombstone>;
    readonly pendingSessions?: Record<string, 1>;
    readonly keyIndex?: Record<string, string[]>;
    dirty?: string[];
  };
  for (const stored of Object.keys(sessions)) {
    const id = unescapeKey(stored);
    const slice = own(sessions[stored]!);
    if (slice.session !== undefined) {
      setOwn(lc.sessions, id, slice.session);
      if (lc.keyIndex !== undefined) {
        const cs = slice.session as CorrectionSession;
        for (const k of cs.lookupKeys) {
          const ids = getOwn(lc.keyIndex, k);
          if (ids === undefined) setOwn(lc.keyIndex, k, [id]);
          else ids.push(id);
        }
        if (cs.dirty === true) (lc.dirty ??= []).push(id);
      }
    }
    if (slice.tombstone !== undefined) setOwn(lc.tombstones, id, slice.tombstone);
    if (slice.pending === true && lc.pendingSessions !== undefined)
      setOwn(lc.pendingSessions, id, 1);
    if (slice.held !== undefined)
      for (const key of Object.keys(slice.held))
        setOwn((s.coalesced ??= {}), unescapeKey(key), slice.held[key]!);
  }
  if (lc.keyIndex !== undefined)
    for (const k of Object.keys(lc.keyIndex)) lc.keyIndex[k]!.sort(compareStrings);
  if (lc.dirty !== undefined) lc.dirty.sort(compareStrings);
  return s;
}

/**
 * The event clock of a whole single engine's state (its frontier and watermark), for a host that
 * splits it into partitions.
 *
 * @category Partitioned engine
 */
export function clockOf(state: EngineState): EventClock {
  return {
    frontier: state.frontier,
    newestEventTs: [...state.newestEventTs],
    watermark: state.watermark,
    flushed: state.flushed,
  };
}

/**
 * Splits a state into `n` partition states, each with the keys `assign` gives it (rescaling:
 * split the merge of the old partitions with a new assignment). The clock is not part of a
 * partition: take it with {@link clockOf} from a single engine's state. Pure.
 *
 * @category Partitioned engine
 */
export function splitState(
  state: EngineState,
  n: number,
  assign: {
    /** Partition of a dedup-key digest, in `[0, n)`. */
    readonly dedup: (key: string) => number;
    /** Partition of a `workflow_session_id`, in `[0, n)`. */
    readonly session: (key: string) => number;
  },
): EngineState[] {
  if (!Number.isInteger(n) || n < 1)
    throw new Error(`@livepeer-analytics/core: splitState: n must be a positive integer, got ${n}`);
  const slices = sliceState(state);
  const dedup = Array.from({ length: n }, (): Record<string, number> => ({}));
  const sessions = Array.from({ length: n }, (): Record<string, SessionSlice> => ({}));
  const partitionOf = (kind: "dedup" | "session", key: string): number => {
    const p = assign[kind](key);
    if (!Number.isInteger(p) || p < 0 || p >= n)
      throw new Error(
        `@livepeer-analytics/core: splitState: assign.${kind}(${JSON.stringify(key)}) gave ${p}, not an integer in [0, ${n})`,
      );
    return p;
  };
  for (const stored of Object.keys(slices.dedup)) {
    const key = unescapeKey(stored);
    setOwn(dedup[partitionOf("dedup", key)]!, key, slices.dedup[stored]!);
  }
  for (const stored of Object.keys(slices.sessions)) {
    const key = unescapeKey(stored);
    setOwn(sessions[partitionOf("session", key)]!, key, slices.sessions[stored]!);
  }
  // The slices are this call's own copies: each partition takes its sessions and a shared copy.
  return dedup.map((d, i) => assembleStateInPlace(cloneJson(slices.shared), d, sessions[i]!));
}

/**
 * Merges partition states into one state holding every key, with the frontier of `clock`: the
 * single engine's state of the same run, up to the order of keys and the timer indexes. Throws
 * when the partitions' shared states differ (states of different runs or positions), when a
 * dedup key or a session is in two partitions, or when `clock` is at another watermark or flush
 * state than the partitions. Pure.
 *
 * @category Partitioned engine
 */
export function mergeStates(
  parts: readonly EngineState[],
  clock: Readonly<EventClock>,
): EngineState {
  if (parts.length === 0) throw new Error("@livepeer-analytics/core: mergeStates: no partition");
  const all = parts.map(sliceState);
  const shared = JSON.stringify(all[0]!.shared);
  const dedup: Record<string, number> = {};
  const sessions: Record<string, SessionSlice> = {};
  for (const sl of all) {
    if (JSON.stringify(sl.shared) !== shared)
      throw new Error(
        "@livepeer-analytics/core: mergeStates: the partitions' shared states differ (capability index or watermarks)",
      );
    for (const stored of Object.keys(sl.dedup)) {
      const key = unescapeKey(stored);
      if (getOwn(dedup, key) !== undefined)
        throw new Error(
          `@livepeer-analytics/core: mergeStates: dedup key ${key} is in two partitions`,
        );
      setOwn(dedup, key, sl.dedup[stored]!);
    }
    for (const stored of Object.keys(sl.sessions)) {
      const key = unescapeKey(stored);
      if (getOwn(sessions, key) !== undefined)
        throw new Error(
          `@livepeer-analytics/core: mergeStates: session ${key} is in two partitions`,
        );
      setOwn(sessions, key, sl.sessions[stored]!);
    }
  }
  const first = all[0]!.shared;
  if (clock.watermark !== first.watermark || clock.flushed !== first.flushed)
    throw new Error(
      "@livepeer-analytics/core: mergeStates: the clock is at another watermark or flush state than the partitions",
    );
  const merged = assembleStateInPlace(first, dedup, sessions) as {
    -readonly [K in keyof EngineState]: EngineState[K];
  };
  merged.frontier = clock.frontier;
  merged.newestEventTs.push(...clock.newestEventTs);
  return merged;
}
