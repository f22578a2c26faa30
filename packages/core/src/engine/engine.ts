/**
 * The composed engine (`ARCHITECTURE.md`, "The engine"): quality gate → dedup → parse → capability
 * index / lifecycle signals keyed by `workflow_session_id` → session, segment, parameter-update,
 * coverage, latency and served/unserved reducers → segment-window join, with late correction in the
 * default mode. Pure: `step` / `advance` / `flush` return the next state and typed outputs tagged
 * with their destination; the `*InPlace` variants mutate a state the host owns (the hot path).
 *
 * @module
 */
import { current, Immer, isDraft } from "immer";
import type { AcceptedEvent } from "../events/accepted-event.js";
import { parseCapabilitySnapshots } from "../events/network-capabilities.js";
import type { RawRow, RawTable } from "../events/parse-event.js";
import type { TransportRecord } from "../events/transport.js";
import {
  adaptCorrectionState,
  correctionOperator,
  flushCorrection,
  type CorrectionOperatorConfig,
  type FoldRowEmission,
  initCorrectionState,
  upgradeCorrectionState,
  type CorrectionState,
} from "../lifecycle/correction.js";
import type { LifecycleInput, LifecycleOutput } from "../lifecycle/fold.js";
import {
  initLifecycleState,
  lifecycleOperator,
  upgradeLifecycleState,
  type LifecycleState,
} from "../lifecycle/operator.js";
import { getOwn, setOwn } from "../internal/own.js";
import { isVersionedTable, rowIdentity, type VersionedTable } from "../lifecycle/identity.js";
import { toLifecycleInputs } from "../lifecycle/signal.js";
import type { AiStreamEventRow } from "../events/ai-stream-events.js";
import type { AiStreamStatusRow } from "../events/ai-stream-status.js";
import type { StreamTraceRow } from "../events/stream-trace.js";
import type { CounterName } from "../quality/counters.js";
import {
  createDedupOperator,
  initDedupState,
  upgradeDedupState,
  type DedupState,
} from "../quality/dedup.js";
import {
  qualityStepInPlace,
  type QualityConfig,
  type QualityOutput,
  type QualityScreening,
  type QualityStepHooks,
} from "../quality/pipeline.js";
import { rejectAcceptedEvent, type RejectedEventEnvelope } from "../quality/reject-envelope.js";
import { guardRow, rowSizeUpperBound } from "../quality/row-guard.js";
import { resolveEngineConfig, type EngineConfig, type EngineConfigInput } from "./config.js";
import { validateEngineStateShape } from "./snapshot-schema.js";

/** The correction operator's fold-row emission for each engine emission mode. */
const FOLD_ROWS: Readonly<Record<EngineConfig["emission"], FoldRowEmission>> = {
  coalesced: "advance",
  "every-change": "every-change",
  final: "final",
};

/** Current version of {@link EngineState} (2: the event-time frontier replaced `maxEventTs`). */
export const ENGINE_STATE_VERSION = 2;

/**
 * Names of the fact and diagnostic tables the lifecycle emits.
 *
 * @category Engine
 */
export type FactTable = Extract<LifecycleOutput, { kind: "row" }>["table"];

/**
 * Every table an engine output can be destined to.
 *
 * @category Engine
 */
export type OutputTable = FactTable | RawTable;

/**
 * An engine output, tagged by kind: a row for a table, a DLQ or quarantine envelope, or a counter
 * increment.
 *
 * @category Engine
 */
export type EngineOutput =
  | Extract<LifecycleOutput, { kind: "row" }>
  | { readonly kind: "row"; readonly table: RawTable; readonly row: RawRow["row"] }
  | { readonly kind: "dlq"; readonly envelope: RejectedEventEnvelope }
  | { readonly kind: "quarantine"; readonly envelope: RejectedEventEnvelope }
  | { readonly kind: "counter"; readonly name: CounterName; readonly delta: number };

/**
 * A row of a versioned table held back by coalesced emission (see {@link EngineState.coalesced}).
 * Plain JSON.
 *
 * @category Engine
 */
export interface CoalescedRow {
  /** Destination table. */
  readonly table: VersionedTable;
  /** The row: the highest `version` of its identity produced since the last `advance` / `flush`. */
  readonly row: Record<string, unknown>;
}

/**
 * Engine state. Plain JSON: `snapshot`/`restore` round-trip it exactly.
 *
 * @category Engine
 */
export interface EngineState {
  /** State schema version. */
  readonly v: typeof ENGINE_STATE_VERSION;
  /** Processing mode this state belongs to. */
  readonly mode: "correction" | "reference-compat";
  /** Dedup store. */
  readonly dedup: DedupState;
  /** Lifecycle state (arrival order in `reference-compat`, event-time folds in `correction`). */
  readonly lifecycle: LifecycleState | CorrectionState;
  /**
   * The event-time frontier, epoch ms, or `null` before it exists: the newest event time reached
   * by at least `frontierQuorum` accepted events (see {@link eventTimeFrontier}). The watermark
   * trails it by `allowedLatenessMs`; one event with a wrong clock cannot move it.
   */
  frontier: number | null;
  /**
   * The newest accepted event times, descending, at most `frontierQuorum` of them (equal times
   * repeat); the frontier is the last one once the list is full.
   */
  readonly newestEventTs: number[];
  /** Last watermark applied, epoch ms, or `null`. */
  watermark: number | null;
  /** `true` once `flush` ran (no further input is expected). */
  flushed: boolean;
  /**
   * Coalesced emission (`emission: "coalesced"`): the rows of versioned tables produced since the
   * last `advance` / `flush`, one per identity (the highest `version`; the latest of equal ones),
   * keyed by `table + "\u0001" + rowIdentity(table, row)` in the order the identities were first
   * produced in the interval. `advance` and `flush` emit and clear it. Absent when empty.
   */
  coalesced?: Record<string, CoalescedRow>;
}

/**
 * One engine input: a transport record and the explicit ingestion time stamped on envelopes built
 * for it.
 *
 * @category Engine
 */
export interface EngineInput {
  /** The record. */
  readonly record: TransportRecord;
  /** Epoch ms for `ingestionTimestamp` of envelopes (core reads no clock). */
  readonly now: number;
  /**
   * The host's wall-clock time when the record was received, epoch ms, if it has one (a Kafka
   * consumer does; a replay of old files can pass its own clock). An accepted event stamped more
   * than `maxFutureSkewMs` after it is quarantined as `event_time_in_future` and touches no
   * state. Omit it to skip the check (event times are then bounded only by the frontier quorum).
   */
  readonly receivedAt?: number;
}

/**
 * A pure transition result.
 *
 * @category Engine
 */
export interface EngineStep {
  /** Next state. */
  readonly state: EngineState;
  /** Outputs in emission order. */
  readonly outputs: readonly EngineOutput[];
}

/**
 * Result of {@link Engine.restore}: errors are values.
 *
 * @category Engine
 */
export type RestoreResult =
  | { readonly ok: true; readonly state: EngineState }
  | {
      readonly ok: false;
      readonly error: { readonly code: "invalid_snapshot"; readonly message: string };
    };

/**
 * The engine API.
 *
 * @category Engine
 */
export interface Engine {
  /** The resolved configuration. */
  readonly config: EngineConfig;
  /** A fresh state. */
  init(): EngineState;
  /**
   * Pure: processes one record; the input state is untouched. With coalesced emission its rows of
   * versioned tables are held in the state until the next `advance` / `flush`.
   */
  step(state: EngineState, input: EngineInput): EngineStep;
  /**
   * Pure: moves the watermark (timers, sealing, pruning, eviction) and, with coalesced emission,
   * emits the rows held since the last `advance` (also when the watermark does not move).
   */
  advance(state: EngineState, watermark: number): EngineStep;
  /** Pure: end of input — seals and finalizes everything (correction mode) and releases every pending sample. */
  flush(state: EngineState): EngineStep;
  /** In place on a host-owned state: processes one record and returns the outputs. */
  stepInPlace(state: EngineState, input: EngineInput): EngineOutput[];
  /** In place: moves the watermark and emits the held rows (see {@link Engine.advance}). */
  advanceInPlace(state: EngineState, watermark: number): EngineOutput[];
  /** In place: end of input. */
  flushInPlace(state: EngineState): EngineOutput[];
  /**
   * The watermark a host should apply after the inputs seen so far: `frontier −
   * allowedLatenessMs` (see {@link EngineState.frontier}), advanced only in steps of
   * `advanceGranularityMs`; `null` when there is nothing to do.
   */
  nextWatermark(state: EngineState): number | null;
  /**
   * Event time (epoch ms) of the record the most recent `step` / `stepInPlace` of this engine
   * accepted, or `null` when that record was rejected, a duplicate or kept aside. For host
   * bookkeeping that needs each record's event time without parsing it again, such as a Kafka
   * host's watermark per partition. Not part of any state.
   */
  lastStepEventTime(): number | null;
  /** Serializes a state (JSON text). */
  snapshot(state: EngineState): string;
  /** Parses and validates a snapshot. */
  restore(json: string): RestoreResult;
}

/**
 * Thrown when a host calls the engine in a way its state does not allow (a programmer error, not
 * bad data): `step` after `flush`, or `advance` to a watermark that is not a finite number.
 *
 * @category Engine
 */
export class EngineUsageError extends Error {
  override readonly name = "EngineUsageError";
  /** Stable code: `step_after_flush` or `invalid_watermark` (a non-finite `advance` argument). */
  readonly code: "step_after_flush" | "invalid_watermark";
  constructor(code: "step_after_flush" | "invalid_watermark", message: string) {
    super(`@livepeer-analytics/core: ${message}`);
    this.code = code;
  }
}

/**
 * Moves the event-time frontier for one accepted event time (in place). The frontier is the
 * newest time reached by at least `quorum` accepted events: with `quorum = 2` a single event with
 * a wrong clock can raise it at most to the newest time another event confirms, so it cannot
 * evict sessions, expire dedup entries or make other events late. Returns the frontier.
 *
 * @category Engine
 * @example
 * const s = { frontier: null, newestEventTs: [] };
 * eventTimeFrontier(s, 1_000, 2); // null: one event is not a quorum
 * eventTimeFrontier(s, 9e13, 2); // 1_000: the outlier is held, not followed
 * eventTimeFrontier(s, 2_000, 2); // 2_000
 */
export function eventTimeFrontier(
  state: { frontier: number | null; readonly newestEventTs: number[] },
  eventTs: number,
  quorum: number,
): number | null {
  const top = state.newestEventTs;
  if (top.length >= quorum && eventTs <= top[top.length - 1]!) return state.frontier;
  let i = top.length;
  while (i > 0 && top[i - 1]! < eventTs) i -= 1;
  top.splice(i, 0, eventTs);
  if (top.length > quorum) top.length = quorum;
  if (top.length === quorum) {
    const f = top[quorum - 1]!;
    if (state.frontier === null || f > state.frontier) state.frontier = f;
  }
  return state.frontier;
}

/**
 * Runtime hooks of an engine (functions, not configuration data).
 *
 * @category Engine
 */
export interface EngineOptions {
  /**
   * Lower-case hex SHA-256 of a string's UTF-8 bytes, used for lineage uids and for the digests of
   * dedup keys longer than 119 characters (`createDedupOperator`). Must equal the pure
   * implementation's result; hosts may pass a native one for speed (the CLI uses `node:crypto`).
   */
  readonly sha256Hex?: (s: string) => string;
  /**
   * Deep-freeze the states returned by the pure `step` / `advance` / `flush` (immer's
   * `autoFreeze`), so that any later mutation of a returned state throws. Costs time; meant for
   * tests and debugging. Default `false`. A frozen state cannot be passed to the `*InPlace`
   * functions or to a runner.
   */
  readonly freeze?: boolean;
}

/**
 * Thrown by {@link createEngine} for an invalid configuration (a programmer error at setup, not
 * bad data). Use {@link resolveEngineConfig} to get the problems as values.
 *
 * @category Engine
 */
export class EngineConfigError extends Error {
  override readonly name = "EngineConfigError";
  /** The validation issues. */
  readonly issues: readonly string[];
  constructor(issues: readonly string[]) {
    super(`@livepeer-analytics/core: invalid engine configuration: ${issues.join("; ")}`);
    this.issues = issues;
  }
}

/**
 * The engine's two stages, for the partitioned engine (`partition.ts`): the record stage keyed by
 * dedup key (gate, event-time screen, dedup, parse) and the lifecycle stage keyed by
 * `workflow_session_id` (capability snapshots broadcast). `stepInPlace` is exactly `gate`
 * followed by `lifecycle` on the same state, with the frontier moved by the accepted event.
 *
 * @internal
 */
export interface EngineStages {
  /**
   * The record stage, in place on `state.dedup`: the outputs of the quality pipeline (counters,
   * DLQ, quarantine, raw rows), the accepted event (or `null`: rejected, kept aside or a
   * duplicate) and the lifecycle input it makes, if any. Moves no frontier.
   */
  gate(
    state: EngineState,
    input: EngineInput,
  ): {
    readonly outputs: EngineOutput[];
    readonly event: AcceptedEvent | null;
    readonly lifecycle: LifecycleInput | null;
  };
  /** The lifecycle stage, in place: one lifecycle input of an accepted event. */
  lifecycle(
    state: EngineState,
    input: LifecycleInput,
    event: AcceptedEvent,
    now: number,
  ): EngineOutput[];
}

/** The stages of each engine made by {@link createEngine}. */
const STAGES = new WeakMap<Engine, EngineStages>();

/**
 * The stages of an engine made by {@link createEngine} (see {@link EngineStages}).
 *
 * @internal
 */
export function engineStages(engine: Engine): EngineStages {
  const stages = STAGES.get(engine);
  if (stages === undefined)
    throw new Error("@livepeer-analytics/core: engineStages: not an engine made by createEngine");
  return stages;
}

const immer = new Immer({ autoFreeze: false });
const freezingImmer = new Immer({ autoFreeze: true });
/** The outputs of no step: what the step scratch points to between steps (never written). */
const DETACHED: EngineOutput[] = [];
const SNAPSHOT_FORMAT = "livepeer-analytics/engine-state";
const LIFECYCLE_FAMILIES: ReadonlySet<string> = new Set([
  "stream_trace",
  "ai_stream_status",
  "ai_stream_events",
]);
/** The typed-row tables of the lifecycle families (the row their signal is built from). */
const LIFECYCLE_TABLES: ReadonlySet<string> = new Set([
  "raw_stream_trace_events",
  "raw_ai_stream_status",
  "raw_ai_stream_events",
]);

/**
 * Creates an engine for a configuration (see {@link resolveEngineConfig}; unknown keys are ignored
 * and reported there).
 *
 * @category Engine
 * @example
 * const engine = createEngine({ preset: "correction" });
 * let state = engine.init();
 * for (const line of lines) {
 *   const out = engine.stepInPlace(state, { record: { value: line }, now: Date.now() });
 *   const w = engine.nextWatermark(state);
 *   if (w !== null) out.push(...engine.advanceInPlace(state, w));
 * }
 * const last = engine.flushInPlace(state);
 */
export function createEngine(
  input: EngineConfigInput | EngineConfig = {},
  options: EngineOptions = {},
): Engine {
  let config: EngineConfig;
  if (typeof input !== "object" || input === null || Array.isArray(input))
    throw new EngineConfigError([
      `the configuration must be an object (or omitted), got ${input === null ? "null" : Array.isArray(input) ? "an array" : typeof input}`,
    ]);
  if ("gate" in input && "lifecycle" in input) config = input as EngineConfig;
  else {
    const r = resolveEngineConfig(input as EngineConfigInput);
    if (!r.ok) throw new EngineConfigError(r.error.issues);
    config = r.config;
  }
  const mode = config.correction ? "correction" : "reference-compat";
  // The correction operator emits fold rows per signal, once per advance (coalesced) or once
  // when final; the engine holds what is left (see `hold`).
  const correctionConfig: CorrectionOperatorConfig = {
    ...config.lifecycle,
    foldRows: FOLD_ROWS[config.emission],
  };
  const dedupConfig = { ttlMs: config.gate.dedupTtlMs, maxEntries: config.gate.dedupMaxEntries };
  // Raw rows the engine does not emit are not size-guarded either.
  const qualityConfig: QualityConfig = { ...config.gate, guardRows: config.emitRawRows };

  /**
   * The event-time screen before dedup: an event stamped more than `maxFutureSkewMs` after its
   * receive time would poison the frontier and the dedup store, so it is kept aside.
   */
  const screenEventTime = (
    event: AcceptedEvent,
    receivedAt: number,
    now: number,
  ): QualityScreening | null =>
    event.timestamp - receivedAt > config.maxFutureSkewMs
      ? {
          counter: "event_time_outliers",
          envelope: rejectAcceptedEvent(
            event,
            "event_time_in_future",
            `event time ${event.timestamp} is ${event.timestamp - receivedAt} ms after the receive time ${receivedAt} (limit ${config.maxFutureSkewMs} ms)`,
            now,
          ),
        }
      : null;
  // The store keeps digests of the dedup keys (the host's SHA-256, when given, for long keys).
  const dedupOperator = createDedupOperator(
    options.sha256Hex ? { sha256Hex: options.sha256Hex } : {},
  );

  const init = (): EngineState => ({
    v: ENGINE_STATE_VERSION,
    mode,
    dedup: initDedupState({ ttlMs: config.gate.dedupTtlMs }),
    lifecycle: mode === "correction" ? initCorrectionState() : initLifecycleState(),
    frontier: null,
    newestEventTs: [],
    watermark: null,
    flushed: false,
  });

  const lifecycleStep = (state: EngineState, input: LifecycleInput): LifecycleOutput[] =>
    mode === "correction"
      ? correctionOperator.stepInPlace(state.lifecycle as CorrectionState, input, correctionConfig)
      : lifecycleOperator.stepInPlace(state.lifecycle as LifecycleState, input, config.lifecycle);

  // Rows held in the state until the next advance (coalesced) or flush (final): reference-compat
  // emits at every signal; in correction mode only rows produced by steps of a coalesced run
  // (coverage rows, a late signal's own row, force-sealed rows) — the operator emits everything
  // else at most once per advance, and in final mode once.
  const coalesce =
    config.emission === "coalesced" || (config.emission === "final" && mode !== "correction");
  const holdUntilFlush = config.emission === "final";

  /**
   * Holds a row of a versioned table until the next `advance` / `flush`: one row per identity,
   * the highest `version` (the latest of equal ones), which is what a reader keeping the max
   * `version` would keep of the rows it replaces. Its key keeps the position of the identity's
   * first row in the interval, so identities are emitted in the order they were first produced.
   */
  const hold = (state: EngineState, o: Extract<LifecycleOutput, { kind: "row" }>): void => {
    const row = o.row as unknown as Record<string, unknown>;
    const key = `${o.table}\u0001${rowIdentity(o.table, row)!}`;
    const held = (state.coalesced ??= {});
    const prev = getOwn(held, key);
    if (prev === undefined || (row["version"] as number) >= (prev.row["version"] as number))
      // A copy (rows are flat records): the operator may keep the emitted row in its own state,
      // and the engine state must stay a tree.
      setOwn(held, key, { table: o.table, row: { ...row } });
  };

  /** Emits the held rows (in the order their identities were first held) and clears them. */
  const release = (state: EngineState, emit: (o: EngineOutput) => void): void => {
    const held = state.coalesced;
    if (held === undefined) return;
    // Inside `pure` (immer), rows held before this transition are drafts: emit plain objects.
    const plain = isDraft(held) ? (current(held) as Record<string, CoalescedRow>) : held;
    delete state.coalesced;
    for (const key in plain) {
      const h = plain[key]!;
      emit({ kind: "row", table: h.table, row: h.row } as EngineOutput);
    }
  };

  /** Routes lifecycle outputs: rows through the row guard, evicted signals to quarantine. */
  const routeLifecycle = (
    state: EngineState,
    outs: readonly LifecycleOutput[],
    event: AcceptedEvent | null,
    now: number,
    emit: (o: EngineOutput) => void,
  ): void => {
    for (const o of outs) {
      if (o.kind === "evicted_signal") {
        if (event !== null) {
          emit({
            kind: "quarantine",
            envelope: rejectAcceptedEvent(
              event,
              "session_state_evicted",
              `Session state evicted: ${o.signal.workflowSessionId}`,
              now,
            ),
          });
        }
        continue;
      }
      if (o.kind === "counter") {
        emit(o);
        continue;
      }
      if (o.table === "fact_lifecycle_edge_coverage" && !config.emitCoverage) continue;
      if (event !== null && rowSizeUpperBound(o.row) > config.gate.maxRecordBytes) {
        const g = guardRow(event, JSON.stringify(o.row), config.gate.maxRecordBytes, now);
        if (!g.ok) {
          emit({ kind: "dlq", envelope: g.envelope });
          continue;
        }
      }
      // In correction mode the operator itself emits a changed identity at most once per advance
      // (foldRows "advance"), so only rows produced by steps (coverage rows, a late signal's own row,
      // force-sealed rows) need holding; reference-compat emits at every signal.
      if (coalesce && isVersionedTable(o.table) && (event !== null || mode !== "correction"))
        hold(state, o);
      else emit(o);
    }
  };

  // Stages 1–5 are the quality pipeline's; the engine adds the event-time screen before dedup,
  // the frontier, and keeps the lifecycle family's typed row for its signal. Steps are
  // synchronous, so one scratch record carries the current step to hooks made once (no
  // closures per record).
  const stepScratch: {
    state: EngineState | null;
    frontier: boolean;
    out: EngineOutput[];
    receivedAt: number | undefined;
    now: number;
    accepted: AcceptedEvent | null;
    lifecycleRow: RawRow["row"] | null;
  } = {
    state: null,
    frontier: true,
    out: DETACHED,
    receivedAt: undefined,
    now: 0,
    accepted: null,
    lifecycleRow: null,
  };
  const fromQuality = (o: QualityOutput): void => {
    const step = stepScratch;
    if (o.kind === "accepted") {
      step.accepted = o.event;
      if (step.frontier) eventTimeFrontier(step.state!, o.event.timestamp, config.frontierQuorum);
    } else if (o.kind === "row") {
      if (config.emitRawRows)
        step.out.push({ kind: "row", table: o.table, row: o.row } as EngineOutput);
    } else step.out.push(o);
  };
  const qualityHooks: QualityStepHooks = {
    dedup: dedupOperator,
    screen: (e) =>
      stepScratch.receivedAt === undefined
        ? null
        : screenEventTime(e, stepScratch.receivedAt, stepScratch.now),
    parsed: (rows) => {
      for (const r of rows) if (LIFECYCLE_TABLES.has(r.table)) stepScratch.lifecycleRow = r.row;
    },
  };

  let lastEventTime: number | null = null;
  /** Stages 1–5 and the event-time screen on `state.dedup` (and the frontier when `frontier`). */
  const gateInPlace = (
    state: EngineState,
    input: EngineInput,
    out: EngineOutput[],
    frontier: boolean,
  ): { event: AcceptedEvent | null; lifecycle: LifecycleInput | null } => {
    const step = stepScratch;
    step.state = state;
    step.frontier = frontier;
    step.out = out;
    step.receivedAt = input.receivedAt;
    step.now = input.now;
    step.accepted = null;
    step.lifecycleRow = null;
    qualityStepInPlace(state, input, qualityConfig, fromQuality, qualityHooks);
    const event = step.accepted as AcceptedEvent | null;
    lastEventTime = event === null ? null : event.timestamp;
    const lifecycleRow = step.lifecycleRow;
    step.state = null;
    step.out = DETACHED;
    if (event === null) return { event, lifecycle: null };
    if (event.eventType === "network_capabilities") {
      const snapshots = parseCapabilitySnapshots(event).rows;
      return { event, lifecycle: snapshots.length > 0 ? { kind: "capability", snapshots } : null };
    }
    if (LIFECYCLE_FAMILIES.has(event.eventType) && lifecycleRow !== null) {
      const inputs = toLifecycleInputs(event, {
        row: lifecycleRow as StreamTraceRow | AiStreamStatusRow | AiStreamEventRow,
        ...(options.sha256Hex ? { sha256Hex: options.sha256Hex } : {}),
      });
      if (inputs !== null) return { event, lifecycle: { kind: "signal", ...inputs } };
    }
    return { event, lifecycle: null };
  };
  const stepInPlace = (state: EngineState, input: EngineInput): EngineOutput[] => {
    if (state.flushed)
      throw new EngineUsageError(
        "step_after_flush",
        "step called on a flushed state: flush ends the input; start from init() or restore() a state saved before flush",
      );
    const out: EngineOutput[] = [];
    const emit = (o: EngineOutput): void => {
      out.push(o);
    };
    const g = gateInPlace(state, input, out, true);
    if (g.event !== null && g.lifecycle !== null)
      routeLifecycle(state, lifecycleStep(state, g.lifecycle), g.event, input.now, emit);
    return out;
  };

  const advanceInPlace = (state: EngineState, watermark: number): EngineOutput[] => {
    if (!Number.isFinite(watermark))
      throw new EngineUsageError(
        "invalid_watermark",
        `advance needs a finite epoch-ms watermark, got ${String(watermark)}`,
      );
    const out: EngineOutput[] = [];
    const emit = (o: EngineOutput): void => {
      out.push(o);
    };
    if (state.watermark !== null && watermark <= state.watermark) {
      // Nothing moves, but what waits for an advance comes out: the correction operator's
      // changed sessions (its advance emits them before its own watermark check) and held rows.
      if (mode === "correction")
        routeLifecycle(
          state,
          correctionOperator.advanceInPlace(
            state.lifecycle as CorrectionState,
            watermark,
            correctionConfig,
          ),
          null,
          0,
          emit,
        );
      if (!holdUntilFlush) release(state, emit);
      return out;
    }
    state.watermark = watermark;
    dedupOperator.advanceInPlace(state.dedup, watermark, dedupConfig);
    const outs =
      mode === "correction"
        ? correctionOperator.advanceInPlace(
            state.lifecycle as CorrectionState,
            watermark,
            correctionConfig,
          )
        : lifecycleOperator.advanceInPlace(
            state.lifecycle as LifecycleState,
            watermark,
            config.lifecycle,
          );
    routeLifecycle(state, outs, null, 0, emit);
    if (!holdUntilFlush) release(state, emit);
    return out;
  };

  const flushInPlace = (state: EngineState): EngineOutput[] => {
    if (state.flushed) return [];
    const out: EngineOutput[] = [];
    const emit = (o: EngineOutput): void => {
      out.push(o);
    };
    if (mode === "correction")
      routeLifecycle(
        state,
        flushCorrection(state.lifecycle as CorrectionState, correctionConfig),
        null,
        0,
        emit,
      );
    else {
      // Release every pending sample: advance far beyond any wait without evicting sessions.
      const lc = state.lifecycle as LifecycleState;
      const w =
        (lc.watermark ?? state.newestEventTs[0] ?? 0) + config.lifecycle.initialEmitDelayMs + 1;
      const saved = lc.lastSweepWatermark;
      lc.lastSweepWatermark = w;
      routeLifecycle(
        state,
        lifecycleOperator.advanceInPlace(lc, w, config.lifecycle),
        null,
        0,
        emit,
      );
      lc.lastSweepWatermark = saved;
    }
    // Event times never confirmed by a quorum and far ahead of the frontier: count them, so a
    // stray clock shows up in the run's counters.
    const frontier = state.frontier;
    if (frontier !== null)
      for (const t of state.newestEventTs)
        if (t - frontier > config.maxFutureSkewMs)
          emit({ kind: "counter", name: "event_time_outliers", delta: 1 });
    release(state, emit);
    state.flushed = true;
    return out;
  };

  const producer = options.freeze === true ? freezingImmer : immer;
  const pure =
    <A extends unknown[]>(f: (s: EngineState, ...args: A) => EngineOutput[]) =>
    (state: EngineState, ...args: A): EngineStep => {
      let outputs: EngineOutput[] = [];
      const next = producer.produce(state, (draft) => {
        outputs = f(draft as EngineState, ...args);
      }) as EngineState;
      return { state: next, outputs };
    };

  const engine: Engine = {
    config,
    init,
    step: pure(stepInPlace),
    advance: pure(advanceInPlace),
    flush: pure(flushInPlace),
    stepInPlace,
    advanceInPlace,
    flushInPlace,
    lastStepEventTime: () => lastEventTime,
    nextWatermark(state) {
      if (state.frontier === null || state.flushed) return null;
      const w = state.frontier - config.lifecycle.attribution.allowedLatenessMs;
      if (
        state.watermark !== null &&
        w - state.watermark < Math.max(1, config.advanceGranularityMs)
      )
        return null;
      return w;
    },
    snapshot(state) {
      return JSON.stringify({ format: SNAPSHOT_FORMAT, v: ENGINE_STATE_VERSION, mode, state });
    },
    restore(json) {
      let doc: unknown;
      try {
        doc = JSON.parse(json);
      } catch (error) {
        return {
          ok: false,
          error: {
            code: "invalid_snapshot",
            message: `not JSON: ${error instanceof Error ? error.message : String(error)}`,
          },
        };
      }
      const d = doc as { format?: unknown; v?: unknown; mode?: unknown; state?: unknown };
      if (typeof d !== "object" || d === null || d.format !== SNAPSHOT_FORMAT) {
        return {
          ok: false,
          error: { code: "invalid_snapshot", message: "not an engine snapshot" },
        };
      }
      if (d.v !== ENGINE_STATE_VERSION) {
        return {
          ok: false,
          error: {
            code: "invalid_snapshot",
            message: `unsupported snapshot version ${String(d.v)}`,
          },
        };
      }
      if (d.mode !== mode) {
        return {
          ok: false,
          error: {
            code: "invalid_snapshot",
            message: `snapshot was taken in ${String(d.mode)} mode; this engine runs in ${mode} mode`,
          },
        };
      }
      // A dedup store saved with full keys (version 1) is upgraded to digests.
      const st = d.state as { dedup?: unknown; lifecycle?: unknown } | null;
      if (typeof st === "object" && st !== null && "dedup" in st)
        st.dedup = upgradeDedupState(st.dedup, options);
      // Lifecycle states of earlier versions (full retained-row contents and last session rows,
      // whole coverage accumulators) are upgraded too.
      if (typeof st === "object" && st !== null && "lifecycle" in st)
        st.lifecycle =
          mode === "correction"
            ? upgradeCorrectionState(st.lifecycle)
            : upgradeLifecycleState(st.lifecycle);
      const shape = validateEngineStateShape(d.state, mode);
      if (!shape.ok) {
        return {
          ok: false,
          error: {
            code: "invalid_snapshot",
            message: `snapshot state is malformed: ${shape.issues.join("; ")}`,
          },
        };
      }
      const state = d.state as EngineState;
      // The snapshot may come from another emission mode (a `final` batch run resumed live).
      if (mode === "correction")
        adaptCorrectionState(state.lifecycle as CorrectionState, correctionConfig);
      return { ok: true, state };
    },
  };
  STAGES.set(engine, {
    gate(state, input) {
      const outputs: EngineOutput[] = [];
      const g = gateInPlace(state, input, outputs, false);
      return { outputs, event: g.event, lifecycle: g.lifecycle };
    },
    lifecycle(state, input, event, now) {
      const outputs: EngineOutput[] = [];
      routeLifecycle(state, lifecycleStep(state, input), event, now, (o) => outputs.push(o));
      return outputs;
    },
  });
  return engine;
}
