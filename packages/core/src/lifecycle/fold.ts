/**
 * The per-session fold both lifecycle schedulers run: the vocabulary of lifecycle inputs and
 * outputs, the accumulators of one session, the one function that folds a signal into them, and
 * the housekeeping every signal and every emitted session goes through.
 *
 * Two schedulers drive this fold and differ only in *when* and *in which order* they call it:
 *
 * - `lifecycleOperator` (`operator.ts`, the `reference-compat` preset) folds each signal once, in
 *   arrival order, and emits its rows at once;
 * - `correctionOperator` (`correction.ts`, the `correction` preset) keeps a session's signals in
 *   fold order until they seal, folds them again from a sealed checkpoint when an out-of-order
 *   signal or a late capability changes the past, and emits rows by its emission mode.
 *
 * The content of session, segment and parameter-update rows is decided by the reducers this
 * module composes (`session.ts`, `segment.ts`, `params.ts`) and nowhere else; the schedulers
 * decide when rows come out, and how status samples and trace edges are joined to their segment
 * (`alignment.ts`: at arrival, or as of their event time).
 *
 * @module
 */
import type { CapabilityIndex } from "../attribution/types.js";
import type { CapabilitySnapshot } from "../events/network-capabilities.js";
import { getOwn } from "../internal/own.js";
import { deriveLatencyRows } from "../latency/derive.js";
import type { CounterName } from "../quality/counters.js";
import type { LifecycleConfig } from "./config.js";
import { initParamState, paramApply, type ParamState, type ParamUpdateRow } from "./params.js";
import type { FactRow } from "./rows.js";
import { initSegmentState, segmentApply, type SegmentRow, type SegmentState } from "./segment.js";
import {
  addToSet,
  createSelectionMemo,
  initSessionState,
  lookupKeyOf,
  sessionApply,
  TRACE,
  type SessionRow,
  type SessionState,
} from "./session.js";
import { toServingRow } from "./serving.js";
import type { LifecycleSignal, SampleInput } from "./signal.js";

/**
 * Input of a lifecycle operator: a batch of capability snapshots for the shared index, or one
 * signal with the status sample or trace edge it carries (if any).
 *
 * @category Lifecycle
 */
export type LifecycleInput =
  | { readonly kind: "capability"; readonly snapshots: readonly CapabilitySnapshot[] }
  | {
      readonly kind: "signal";
      readonly signal: LifecycleSignal;
      readonly sample?: SampleInput | null;
    };

/**
 * Output of a lifecycle operator: rows tagged with their table ({@link FactRow}), signals
 * refused for evicted sessions (the host quarantines them), and counters.
 *
 * @category Lifecycle
 */
export type LifecycleOutput =
  | ({ readonly kind: "row" } & FactRow)
  | { readonly kind: "evicted_signal"; readonly signal: LifecycleSignal }
  | { readonly kind: "counter"; readonly name: CounterName; readonly delta: number };

/**
 * Receives the outputs of a transition, in order.
 *
 * @category Lifecycle
 */
export type LifecycleEmit = (o: LifecycleOutput) => void;

/**
 * An evicted session's marker (`lifecycle.md` §8.7): enough to refuse its late signals and to
 * keep its row versions increasing, until `tombstoneTtlMs` after the eviction.
 *
 * @category Lifecycle
 */
export interface Tombstone {
  /** Last session row version emitted. */
  readonly lastVersion: number;
  /** Watermark at eviction, epoch ms. */
  readonly evictedAt: number;
}

/** Signal or `start_time` values below this (2000-01-01) are counted `suspicious_timestamp_unit`. */
export const SUSPICIOUS_TIMESTAMP_BEFORE = 946_684_800_000;

/**
 * The accumulators of one session that a signal is folded into: the session, segment and
 * parameter-update reducers' states. Plain JSON. Each scheduler keeps them inside its own
 * per-session record (`SessionBundle`, `FoldState`).
 *
 * @category Lifecycle
 */
export interface SessionAccumulators {
  /** Session reducer state (`fact_workflow_sessions` and the latency rows derive from it). */
  readonly session: SessionState;
  /** Segment reducer state. */
  readonly segment: SegmentState;
  /** Parameter-update reducer state. */
  readonly params: ParamState;
}

/**
 * Fresh accumulators for the session `workflowSessionId`.
 *
 * @category Lifecycle
 */
export function initSessionAccumulators(workflowSessionId: string): SessionAccumulators {
  return {
    session: initSessionState(workflowSessionId),
    segment: initSegmentState(),
    params: initParamState(),
  };
}

/**
 * What one fold step produced besides the accumulators' new values.
 *
 * @category Lifecycle
 */
export interface FoldStepRows {
  /** Segment rows the step opened, changed or closed (indices contiguous from 0). */
  readonly segments: readonly SegmentRow[];
  /** The parameter-update row of a `params_update` AI event, else `null`. */
  readonly param: ParamUpdateRow | null;
}

/**
 * Folds one signal into a session's accumulators: the session reducer, then the segment
 * reducer, then the parameter-update reducer, sharing one attribution selection (so the three
 * see the same candidate for the same lookup). Mutates `acc`; the session row is not built here
 * (the schedulers build it when they emit). With `keys`, every non-blank capability lookup key
 * the step used is added to that sorted set (a scheduler that re-folds on late capabilities
 * indexes its sessions by them).
 *
 * @category Lifecycle
 */
export function foldSignal(
  acc: SessionAccumulators,
  signal: LifecycleSignal,
  index: CapabilityIndex,
  config: LifecycleConfig,
  keys: string[] | null = null,
): FoldStepRows {
  if (keys !== null) {
    // Each reducer looks up with the signal's hot wallet, else its own canonical address.
    addLookupKey(keys, signal.orchestratorAddress, acc.session.orchestratorAddress);
    addLookupKey(keys, signal.orchestratorAddress, acc.segment.orchestratorAddress);
    addLookupKey(keys, signal.orchestratorAddress, acc.params.orchestratorAddress);
  }
  const memo = createSelectionMemo();
  sessionApply(acc.session, signal, index, config, memo);
  // A close looks up again with the session's address after the step.
  if (keys !== null && signal.signalType === "STREAM_TRACE" && signal.traceType === TRACE.closed)
    addLookupKey(keys, signal.orchestratorAddress, acc.session.orchestratorAddress);
  const segments = segmentApply(acc.segment, signal, index, config, memo);
  const param = paramApply(acc.params, signal, index, config, memo);
  return { segments, param };
}

/** Adds the lookup key of a signal address over a state address to `keys`, unless blank. */
function addLookupKey(keys: string[], signalAddress: string | null, stateAddress: string): void {
  const k = lookupKeyOf(signalAddress, stateAddress);
  if (k !== "") addToSet(keys, k);
}

/**
 * Emits a session row with the rows derived from it, as both schedulers do: the row, its latency
 * rows (one per edge-semantics version) and, with `emitServingFact`, the serving row of the
 * serving version.
 *
 * @internal
 */
export function emitSessionRows(
  row: SessionRow,
  session: SessionState,
  config: LifecycleConfig,
  emit: LifecycleEmit,
): void {
  emit({ kind: "row", table: "fact_workflow_sessions", row });
  const latency = deriveLatencyRows(row, session, config.edgeSemanticsVersions);
  for (const l of latency) emit({ kind: "row", table: "fact_workflow_latency_samples", row: l });
  if (!config.emitServingFact) return;
  const l = latency.find((x) => x.edge_semantics_version === config.servingEdgeSemanticsVersion);
  if (l !== undefined)
    emit({ kind: "row", table: "fact_workflow_session_serving", row: toServingRow(row, l) });
}

/**
 * The admission every signal goes through before either scheduler folds it: counts a signal or
 * `start_time` before 2000-01-01 as `suspicious_timestamp_unit` (likely seconds, not ms), and
 * refuses a signal of a tombstoned session (`session_state_evicted`, and an `evicted_signal`
 * output the engine quarantines). Returns `true` when the signal may be folded.
 *
 * @internal
 */
export function admitSignal(
  s: LifecycleSignal,
  tombstones: Readonly<Record<string, Tombstone>>,
  emit: LifecycleEmit,
): boolean {
  if (
    s.signalTimestamp < SUSPICIOUS_TIMESTAMP_BEFORE ||
    (s.startTimeMs !== null && s.startTimeMs < SUSPICIOUS_TIMESTAMP_BEFORE)
  )
    emit({ kind: "counter", name: "suspicious_timestamp_unit", delta: 1 });
  if (getOwn(tombstones, s.workflowSessionId) === undefined) return true;
  emit({ kind: "counter", name: "session_state_evicted", delta: 1 });
  emit({ kind: "evicted_signal", signal: s });
  return false;
}
