/**
 * Correction mode (`attribution.md` §7.2–7.3): sealed event-time folds with versioned
 * corrections. Signals of a session are folded in fold order `(signal time, type rank, uid)`;
 * signals stay *unsealed* until `W > ts + futureReachMs`, so a late capability or an out-of-order
 * signal re-folds them and every changed output is re-emitted with a higher `version`. Status
 * samples, trace edges and parameter-update rows are *retained* (revisable) until final; status and
 * trace rows use an as-of segment join. Coverage rows stay in arrival order.
 *
 * The reducers are the same as in arrival-order processing (`lifecycleOperator`); only the order in
 * which they see signals and the emission rules differ. Under the preconditions P1–P4 of §7.3 the
 * final content of every output key is independent of arrival order.
 *
 * @module
 */
import {
  bucketOf,
  createCapabilityIndex,
  ingestSnapshotInPlace,
  pruneIndexInPlace,
  snapshotLookupKeys,
} from "../attribution/candidates.js";
import type { Candidate, CapabilityIndex } from "../attribution/types.js";
import type { CapabilitySnapshot } from "../events/network-capabilities.js";
import { deleteOwn, getOwn, setOwn, unescapeKey } from "../internal/own.js";
import { deriveLatencyRows } from "../latency/derive.js";
import { defineOperator, type Operator } from "../operator/operator.js";
import { compareStrings } from "../primitives/strings.js";
import { alignSample, coveringSegment } from "./alignment.js";
import type { LifecycleConfig } from "./config.js";
import { coverageApply, initCoverageState } from "./coverage.js";
import type { LifecycleEmit, LifecycleOutput, LifecycleInput, Tombstone } from "./operator.js";
import { SUSPICIOUS_TIMESTAMP_BEFORE } from "./operator.js";
import {
  initParamState,
  isParamsUpdate,
  paramApply,
  toParamUpdateRow,
  type ParamState,
} from "./params.js";
import { initSegmentState, segmentApply, type SegmentRow, type SegmentState } from "./segment.js";
import { toServingRow } from "./serving.js";
import {
  addToSet,
  createSelectionMemo,
  initSessionState,
  lookupKeyOf,
  sessionApply,
  toSessionRow,
  TRACE,
  type SessionRow,
  type SessionState,
} from "./session.js";
import type { LifecycleSignal, SampleInput, SignalType } from "./signal.js";

/** Current version of {@link CorrectionState}. */
export const CORRECTION_STATE_VERSION = 1;

/**
 * Correction-mode limits (`attribution.md` §7.2).
 *
 * @category Correction
 */
export interface CorrectionConfig {
  /** Overflow of unsealed signals force-seals the oldest (counted `forced_seals`). Default 2 048. */
  readonly maxUnsealedSignalsPerSession: number;
  /** Overflow of retained rows force-finalizes the oldest (counted `forced_seals`). Default 4 096. */
  readonly maxRetainedRowsPerSession: number;
}

/**
 * Defaults of {@link CorrectionConfig}.
 *
 * @category Correction
 */
export const DEFAULT_CORRECTION_CONFIG: CorrectionConfig = {
  maxUnsealedSignalsPerSession: 2048,
  maxRetainedRowsPerSession: 4096,
};

/**
 * Configuration of the correction operator: the lifecycle configuration plus the limits.
 *
 * @category Correction
 */
export type CorrectionOperatorConfig = LifecycleConfig & CorrectionConfig;

/**
 * Position in fold order.
 *
 * @category Correction
 */
export interface FoldPosition {
  /** Signal time, epoch ms. */
  readonly ts: number;
  /** Type rank: `STREAM_TRACE` 0, `STREAM_STATUS` 1, `AI_STREAM_EVENT` 2. */
  readonly rank: number;
  /** Signal uid. */
  readonly uid: string;
}

const RANK: { readonly [T in SignalType]: number } = {
  STREAM_TRACE: 0,
  STREAM_STATUS: 1,
  AI_STREAM_EVENT: 2,
};

/**
 * Fold position of a signal.
 *
 * @category Correction
 */
export function foldPosition(s: LifecycleSignal): FoldPosition {
  return { ts: s.signalTimestamp, rank: RANK[s.signalType], uid: s.sourceEventUid };
}

/**
 * Total order of fold positions: time, then type rank, then uid (code-unit order).
 *
 * @category Correction
 */
export function compareFoldPositions(a: FoldPosition, b: FoldPosition): number {
  return a.ts - b.ts || a.rank - b.rank || compareStrings(a.uid, b.uid);
}

/**
 * The reducers' accumulators at one point of the fold, with the latest segment row per index.
 *
 * @category Correction
 */
export interface FoldState {
  /** Session accumulator. */
  readonly session: SessionState;
  /** Segment accumulator. */
  readonly segment: SegmentState;
  /** Parameter-update accumulator. */
  readonly params: ParamState;
  /** Latest segment row per index produced so far (content only; `version` is internal). */
  readonly segments: SegmentRow[];
}

/**
 * An unsealed signal with its sample.
 *
 * @category Correction
 */
export interface UnsealedSignal {
  /** The signal. */
  readonly signal: LifecycleSignal;
  /** Its status/trace sample, or `null`. */
  readonly sample: SampleInput | null;
}

/**
 * Table of a retained row.
 *
 * @category Correction
 */
export type RetainedTable =
  "fact_stream_status_samples" | "fact_stream_trace_edges" | "fact_workflow_param_updates";

/**
 * A status sample, trace edge or parameter-update row that is not final yet.
 *
 * @category Correction
 */
export interface RetainedRow {
  /** Output key within the session (`s|ts|uid`, `t|ts|uid`, `p|uid`). */
  readonly key: string;
  /** Destination table. */
  readonly table: RetainedTable;
  /** Position of the row's own signal (the row is evaluated right after it). */
  readonly position: FoldPosition;
  /** The signal (parameter updates need it for the row). */
  readonly signal: LifecycleSignal;
  /** The sample (status/trace rows). */
  readonly sample: SampleInput | null;
  /** Watermark when first seen (the row's own time before the first watermark), epoch ms. */
  readonly enqueuedAt: number;
  /** Content of the latest evaluation. */
  current: Record<string, unknown> | null;
  /** Content last emitted (`version` excluded), or `null` while pending. */
  last: Record<string, unknown> | null;
}

/**
 * Per-output-table emission counters of a session (the `version` of each emitted row).
 *
 * @category Correction
 */
export interface EmissionCounters {
  /** Last `version` of `fact_workflow_sessions` rows (latency rows share it). */
  sessions: number;
  /** Last `version` of segment rows (one counter for every index). */
  segments: number;
  /** Last `version` of parameter-update rows. */
  params: number;
  /** Last `version` of status-sample rows. */
  status: number;
  /** Last `version` of trace-edge rows. */
  trace: number;
}

/**
 * Per-session correction state. Plain JSON.
 *
 * @category Correction
 */
export interface CorrectionSession {
  /** Accumulators after every sealed signal. */
  checkpoint: FoldState;
  /** Position of the last sealed signal, or `null`. */
  checkpointPosition: FoldPosition | null;
  /** Accumulators after every signal (the latest fold); the same object as `checkpoint` when nothing is unsealed. */
  current: FoldState;
  /** Unsealed signals in fold order. */
  readonly unsealed: UnsealedSignal[];
  /** Rows not final yet, in fold order. */
  readonly retained: RetainedRow[];
  /** Retained rows never emitted yet (waiting for attribution or `initialEmitDelayMs`). */
  pendingRows: number;
  /** Lookup keys used by unsealed signals in the latest fold (sorted). */
  lookupKeys: string[];
  /** Emission counters. */
  readonly counters: EmissionCounters;
  /** Last emitted session row content (`version` excluded). */
  lastSession: Record<string, unknown> | null;
  /** Last emitted segment row per index (`version` excluded), including retractions. */
  readonly lastSegments: (Record<string, unknown> | null)[];
  /** Coverage accumulator (arrival order). */
  readonly coverage: SessionState;
}

/**
 * State of the correction operator. Plain JSON; record keys are stored escaped.
 *
 * @category Correction
 */
export interface CorrectionState {
  /** State schema version. */
  readonly v: typeof CORRECTION_STATE_VERSION;
  /** Shared capability index. */
  readonly index: CapabilityIndex;
  /** Latest watermark, epoch ms, or `null`. */
  watermark: number | null;
  /** Live sessions. */
  readonly sessions: Record<string, CorrectionSession>;
  /** Reverse index: lookup key → sessions whose unsealed signals used it (sorted ids). */
  readonly keyIndex: Record<string, string[]>;
  /** Evicted sessions. */
  readonly tombstones: Record<string, Tombstone>;
  /** Watermark of the last eviction sweep. */
  lastSweepWatermark: number | null;
}

/**
 * A fresh correction state.
 *
 * @category Correction
 */
export function initCorrectionState(): CorrectionState {
  return {
    v: CORRECTION_STATE_VERSION,
    index: createCapabilityIndex(),
    watermark: null,
    sessions: {},
    keyIndex: {},
    tombstones: {},
    lastSweepWatermark: null,
  };
}

function initFold(id: string): FoldState {
  return {
    session: initSessionState(id),
    segment: initSegmentState(),
    params: initParamState(),
    segments: [],
  };
}

/** Deep copy of plain JSON data. */
function cloneJson<T>(value: T): T {
  if (value === null || typeof value !== "object") return value;
  if (Array.isArray(value)) return value.map(cloneJson) as unknown as T;
  const out: Record<string, unknown> = {};
  for (const k of Object.keys(value)) out[k] = cloneJson((value as Record<string, unknown>)[k]);
  return out as T;
}

function initCorrectionSession(id: string): CorrectionSession {
  return {
    checkpoint: initFold(id),
    checkpointPosition: null,
    current: initFold(id),
    unsealed: [],
    retained: [],
    pendingRows: 0,
    lookupKeys: [],
    counters: { sessions: 0, segments: 0, params: 0, status: 0, trace: 0 },
    lastSession: null,
    lastSegments: [],
    coverage: initCoverageState(),
  };
}

/** A row as a plain record. */
const asRecord = (row: object): Record<string, unknown> => row as Record<string, unknown>;

/**
 * Equal content (every column but `version`). Rows of one table always have the same columns, so
 * one pass over `a`'s keys suffices.
 */
function sameContent(
  a: Record<string, unknown> | null,
  b: Record<string, unknown> | null,
): boolean {
  if (a === null || b === null) return a === b;
  for (const k in a) if (k !== "version" && a[k] !== b[k]) return false;
  return true;
}

/** Applies one signal to a fold state (session, segment, parameter-update reducers). */
function foldStep(
  f: FoldState,
  s: LifecycleSignal,
  index: CapabilityIndex,
  config: LifecycleConfig,
  keys: string[] | null,
): void {
  if (keys !== null) {
    for (const k of [
      lookupKeyOf(s.orchestratorAddress, f.session.orchestratorAddress),
      lookupKeyOf(s.orchestratorAddress, f.segment.orchestratorAddress),
      lookupKeyOf(s.orchestratorAddress, f.params.orchestratorAddress),
    ]) {
      if (k !== "") addToSet(keys, k);
    }
  }
  const memo = createSelectionMemo();
  sessionApply(f.session, s, index, config, memo);
  if (keys !== null && s.signalType === "STREAM_TRACE" && s.traceType === TRACE.closed) {
    const k = lookupKeyOf(s.orchestratorAddress, f.session.orchestratorAddress);
    if (k !== "") addToSet(keys, k);
  }
  // Segment indices are contiguous from 0, so this never leaves a hole.
  for (const row of segmentApply(f.segment, s, index, config, memo))
    f.segments[row.segment_index] = row;
  paramApply(f.params, s, index, config, memo);
}

/** Evaluates a retained row against the fold state at its position. */
function evaluateRetained(r: RetainedRow, f: FoldState): void {
  if (r.table === "fact_workflow_param_updates") {
    r.current = asRecord(toParamUpdateRow(f.params, r.signal, 0));
    return;
  }
  const sample = r.sample!;
  const t = sample.kind === "status" ? sample.sampleTs : sample.edgeTs;
  r.current = asRecord(alignSample(sample, coveringSegment(f.segments, t), 0).row);
}

function isAttributedContent(r: RetainedRow): boolean {
  return (
    r.table === "fact_workflow_param_updates" ||
    (r.current !== null && r.current["is_attributed"] === 1)
  );
}

interface Ctx {
  readonly state: CorrectionState;
  readonly id: string;
  readonly cs: CorrectionSession;
  readonly config: CorrectionOperatorConfig;
  readonly emit: LifecycleEmit;
}

function futureReach(config: LifecycleConfig): number {
  return config.attribution.futureReachMs ?? Number.POSITIVE_INFINITY;
}

/** Re-folds every unsealed signal from the checkpoint and re-evaluates every retained row. */
function refold(ctx: Ctx): void {
  const { cs, state, config } = ctx;
  const f = cloneJson(cs.checkpoint);
  const keys: string[] = [];
  let r = 0;
  for (const u of cs.unsealed) {
    const pos = foldPosition(u.signal);
    while (r < cs.retained.length && compareFoldPositions(cs.retained[r]!.position, pos) < 0)
      evaluateRetained(cs.retained[r++]!, f);
    foldStep(f, u.signal, state.index, config, keys);
  }
  while (r < cs.retained.length) evaluateRetained(cs.retained[r++]!, f);
  cs.current = f;
  updateLookupKeys(ctx, keys);
}

function updateLookupKeys(ctx: Ctx, keys: string[]): void {
  const { cs, state, id } = ctx;
  for (const k of cs.lookupKeys) {
    if (keys.includes(k)) continue;
    const list = getOwn(state.keyIndex, k);
    if (list === undefined) continue;
    const at = list.indexOf(id);
    if (at >= 0) list.splice(at, 1);
    if (list.length === 0) deleteOwn(state.keyIndex, k);
  }
  for (const k of keys) {
    const list = getOwn(state.keyIndex, k);
    if (list === undefined) setOwn(state.keyIndex, k, [id]);
    else addToSet(list, id);
  }
  cs.lookupKeys = keys;
}

/** Emits the session (with latency and serving rows) and segment rows whose content changed. */
function emitFoldChanges(ctx: Ctx): void {
  const { cs, config, emit } = ctx;
  const f = cs.current;
  if (f.session.eventCount > 0) {
    const fresh = toSessionRow(f.session, 0);
    if (!sameContent(asRecord(fresh), cs.lastSession)) {
      // Emitted rows are shared with the state's last-emitted copy: consumers must not mutate them.
      const row = { ...fresh, version: ++cs.counters.sessions } as SessionRow;
      cs.lastSession = asRecord(row);
      emit({ kind: "row", table: "fact_workflow_sessions", row });
      const latency = deriveLatencyRows(row, f.session, config.edgeSemanticsVersions);
      for (const l of latency)
        emit({ kind: "row", table: "fact_workflow_latency_samples", row: l });
      if (config.emitServingFact) {
        const l = latency.find(
          (x) => x.edge_semantics_version === config.servingEdgeSemanticsVersion,
        );
        if (l !== undefined)
          emit({ kind: "row", table: "fact_workflow_session_serving", row: toServingRow(row, l) });
      }
    }
  }
  const n = Math.max(f.segments.length, cs.lastSegments.length);
  for (let i = 0; i < n; i++) {
    const seg = f.segments[i];
    const last = cs.lastSegments[i] ?? null;
    let content: Record<string, unknown> | null = null;
    if (seg !== undefined) content = asRecord(seg);
    else if (last !== null && last["is_retracted"] !== 1) content = { ...last, is_retracted: 1 };
    if (content === null || sameContent(content, last)) continue;
    while (cs.lastSegments.length < i) cs.lastSegments.push(null);
    const row = { ...content, version: ++cs.counters.segments };
    cs.lastSegments[i] = row;
    emit({
      kind: "row",
      table: "fact_workflow_session_segments",
      row: row as unknown as SegmentRow,
    });
  }
}

function emitRetained(ctx: Ctx, r: RetainedRow): void {
  const c = ctx.cs.counters;
  const version =
    r.table === "fact_workflow_param_updates"
      ? ++c.params
      : r.table === "fact_stream_status_samples"
        ? ++c.status
        : ++c.trace;
  if (r.last === null) ctx.cs.pendingRows -= 1;
  r.last = r.current;
  ctx.emit({
    kind: "row",
    table: r.table,
    row: { ...r.current, version },
  } as unknown as LifecycleOutput);
}

/** Emits retained rows whose content changed; first emissions of unattributed samples wait. */
function emitRetainedChanges(ctx: Ctx, rows: readonly RetainedRow[] = ctx.cs.retained): void {
  const w = ctx.state.watermark;
  for (const r of rows) {
    if (r.current === null) continue;
    if (r.last === null) {
      const waited = w !== null && w >= r.enqueuedAt + ctx.config.initialEmitDelayMs;
      if (isAttributedContent(r) || waited) emitRetained(ctx, r);
    } else if (!sameContent(r.current, r.last)) emitRetained(ctx, r);
  }
}

function retainedFor(
  signal: LifecycleSignal,
  sample: SampleInput | null,
  enqueuedAt: number,
): RetainedRow | null {
  const position = foldPosition(signal);
  if (sample !== null) {
    const status = sample.kind === "status";
    return {
      key: `${status ? "s" : "t"}|${status ? sample.sampleTs : sample.edgeTs}|${sample.sourceEventUid}`,
      table: status ? "fact_stream_status_samples" : "fact_stream_trace_edges",
      position,
      signal,
      sample,
      enqueuedAt,
      current: null,
      last: null,
    };
  }
  if (isParamsUpdate(signal)) {
    return {
      key: `p|${signal.sourceEventUid}`,
      table: "fact_workflow_param_updates",
      position,
      signal,
      sample: null,
      enqueuedAt,
      current: null,
      last: null,
    };
  }
  return null;
}

function insertSorted<T>(list: T[], item: T, pos: (t: T) => FoldPosition): number {
  let lo = 0;
  let hi = list.length;
  const p = pos(item);
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (compareFoldPositions(pos(list[mid]!), p) <= 0) lo = mid + 1;
    else hi = mid;
  }
  list.splice(lo, 0, item);
  return lo;
}

function countIfSuspicious(s: LifecycleSignal, emit: LifecycleEmit): void {
  if (
    s.signalTimestamp < SUSPICIOUS_TIMESTAMP_BEFORE ||
    (s.startTimeMs !== null && s.startTimeMs < SUSPICIOUS_TIMESTAMP_BEFORE)
  ) {
    emit({ kind: "counter", name: "suspicious_timestamp_unit", delta: 1 });
  }
}

function stepSignal(
  state: CorrectionState,
  s: LifecycleSignal,
  sample: SampleInput | null,
  config: CorrectionOperatorConfig,
  emit: LifecycleEmit,
): void {
  countIfSuspicious(s, emit);
  const id = s.workflowSessionId;
  if (getOwn(state.tombstones, id) !== undefined) {
    emit({ kind: "counter", name: "session_state_evicted", delta: 1 });
    emit({ kind: "evicted_signal", signal: s });
    return;
  }
  let cs = getOwn(state.sessions, id);
  if (cs === undefined) {
    cs = initCorrectionSession(id);
    setOwn(state.sessions, id, cs);
  }
  const ctx: Ctx = { state, id, cs, config, emit };
  const w = state.watermark;
  if (w !== null && s.signalTimestamp < w) emit({ kind: "counter", name: "late_events", delta: 1 });
  const pos = foldPosition(s);

  // Late: before the checkpoint. Apply with arrival semantics to the checkpoint, emit its row once.
  if (cs.checkpointPosition !== null && compareFoldPositions(pos, cs.checkpointPosition) <= 0) {
    if (compareFoldPositions(pos, cs.checkpointPosition) === 0) {
      emit({ kind: "counter", name: "duplicate_signals", delta: 1 });
      return;
    }
    emit({
      kind: "row",
      table: "fact_lifecycle_edge_coverage",
      row: coverageApply(cs.coverage, s),
    });
    foldStep(cs.checkpoint, s, state.index, config, null);
    const once = retainedFor(s, sample, w ?? s.signalTimestamp);
    if (once !== null) {
      cs.pendingRows += 1;
      evaluateRetained(once, cs.checkpoint);
      emitRetained(ctx, once);
    }
    refold(ctx);
    emitFoldChanges(ctx);
    emitRetainedChanges(ctx);
    return;
  }

  const last = cs.unsealed[cs.unsealed.length - 1];
  const inOrder = last === undefined || compareFoldPositions(foldPosition(last.signal), pos) < 0;
  if (
    !inOrder &&
    cs.unsealed.some((u) => compareFoldPositions(foldPosition(u.signal), pos) === 0)
  ) {
    emit({ kind: "counter", name: "duplicate_signals", delta: 1 });
    return;
  }
  emit({ kind: "row", table: "fact_lifecycle_edge_coverage", row: coverageApply(cs.coverage, s) });
  const retained = retainedFor(s, sample, w ?? s.signalTimestamp);
  if (inOrder) {
    // One incremental fold step; only the new signal's own row can change among retained rows.
    if (cs.current === cs.checkpoint) cs.current = cloneJson(cs.checkpoint);
    cs.unsealed.push({ signal: s, sample });
    const keys = [...cs.lookupKeys];
    foldStep(cs.current, s, state.index, config, keys);
    if (keys.length !== cs.lookupKeys.length) updateLookupKeys(ctx, keys);
    emitFoldChanges(ctx);
    if (retained !== null) {
      cs.retained.push(retained);
      cs.pendingRows += 1;
      evaluateRetained(retained, cs.current);
      emitRetainedChanges(ctx, [retained]);
    }
    enforceCaps(ctx);
    return;
  }
  insertSorted(cs.unsealed, { signal: s, sample }, (u) => foldPosition(u.signal));
  if (retained !== null) {
    insertSorted(cs.retained, retained, (r) => r.position);
    cs.pendingRows += 1;
  }
  refold(ctx);
  emitFoldChanges(ctx);
  emitRetainedChanges(ctx);
  enforceCaps(ctx);
}

/** `true` when the candidate is within the eligibility window of a signal at `signalTs`. */
function eligibleFor(snapshotTs: number, signalTs: number, config: LifecycleConfig): boolean {
  const delta = signalTs - snapshotTs;
  if (delta === 0) return true;
  const a = config.attribution;
  if (delta > 0) return a.staleWindowMs === null || delta <= a.ttlMs + a.staleWindowMs;
  return a.futureReachMs === null || -delta <= a.futureReachMs;
}

function stepCapabilities(
  state: CorrectionState,
  snapshots: readonly CapabilitySnapshot[],
  config: CorrectionOperatorConfig,
  emit: LifecycleEmit,
): void {
  const touched = new Map<string, number[]>();
  for (const snap of snapshots) {
    if (state.watermark !== null && snap.snapshotTs < state.watermark)
      emit({ kind: "counter", name: "late_capabilities", delta: 1 });
    const evicted = ingestSnapshotInPlace(state.index, snap, state.watermark, config.attribution);
    for (const e of evicted) {
      if (e.reason === "cap" && isRelevant(state, e.lookupKey, e.candidate, config)) {
        emit({ kind: "counter", name: "relevant_evictions", delta: 1 });
      }
    }
    for (const key of snapshotLookupKeys(snap)) {
      for (const id of getOwn(state.keyIndex, key) ?? []) {
        const list = touched.get(id) ?? [];
        list.push(snap.snapshotTs);
        touched.set(id, list);
      }
    }
  }
  for (const id of [...touched.keys()].sort(compareStrings)) {
    const cs = getOwn(state.sessions, id);
    if (cs === undefined) continue;
    const times = touched.get(id)!;
    if (
      !cs.unsealed.some((u) => times.some((t) => eligibleFor(t, u.signal.signalTimestamp, config)))
    )
      continue;
    const ctx: Ctx = { state, id, cs, config, emit };
    refold(ctx);
    emitFoldChanges(ctx);
    emitRetainedChanges(ctx);
  }
}

function isRelevant(
  state: CorrectionState,
  key: string,
  c: Candidate,
  config: LifecycleConfig,
): boolean {
  for (const id of getOwn(state.keyIndex, key) ?? []) {
    const cs = getOwn(state.sessions, id);
    if (cs?.unsealed.some((u) => eligibleFor(c.snapshotTs, u.signal.signalTimestamp, config)))
      return true;
  }
  return false;
}

/** Seals signals and finalizes retained rows up to `limit` (exclusive: `ts + reach < W`), in fold order. */
function seal(ctx: Ctx, isDue: (pos: FoldPosition) => boolean, forced: boolean): void {
  const { cs, state, config } = ctx;
  while (cs.unsealed.length > 0 || cs.retained.length > 0) {
    const u = cs.unsealed[0];
    const r = cs.retained[0];
    const uPos = u === undefined ? null : foldPosition(u.signal);
    // A retained row goes after the signals at its own position.
    if (r !== undefined && (uPos === null || compareFoldPositions(r.position, uPos) < 0)) {
      if (!isDue(r.position)) return;
      cs.retained.shift();
      if (r.last === null || !sameContent(r.current, r.last)) emitRetained(ctx, r);
      if (forced) ctx.emit({ kind: "counter", name: "forced_seals", delta: 1 });
      continue;
    }
    if (uPos === null || !isDue(uPos)) return;
    cs.unsealed.shift();
    foldStep(cs.checkpoint, u!.signal, state.index, config, null);
    cs.checkpointPosition = uPos;
    if (forced) ctx.emit({ kind: "counter", name: "forced_seals", delta: 1 });
    // Everything sealed: the latest fold is the checkpoint; share it instead of keeping a copy.
    if (cs.unsealed.length === 0) cs.current = cs.checkpoint;
  }
}

function enforceCaps(ctx: Ctx): void {
  const { cs, config } = ctx;
  if (cs.unsealed.length > config.maxUnsealedSignalsPerSession) {
    const limit = foldPosition(
      cs.unsealed[cs.unsealed.length - config.maxUnsealedSignalsPerSession - 1]!.signal,
    );
    seal(ctx, (p) => compareFoldPositions(p, limit) <= 0, true);
  }
  if (cs.retained.length > config.maxRetainedRowsPerSession) {
    const limit = cs.retained[cs.retained.length - config.maxRetainedRowsPerSession - 1]!.position;
    seal(ctx, (p) => compareFoldPositions(p, limit) <= 0, true);
  }
}

function advanceCorrection(
  state: CorrectionState,
  watermark: number,
  config: CorrectionOperatorConfig,
  emit: LifecycleEmit,
): void {
  if (state.watermark !== null && watermark <= state.watermark) return;
  state.watermark = watermark;
  const reach = futureReach(config);
  // Sessions are visited in key order (stable across snapshot/restore); each visit is O(1) unless
  // something is due: a signal to seal, a row to finalize, or a pending first row to release.
  for (const stored in state.sessions) {
    const cs = state.sessions[stored]!;
    const u = cs.unsealed[0];
    const r = cs.retained[0];
    const due =
      (u !== undefined && u.signal.signalTimestamp + reach < watermark) ||
      (r !== undefined && r.position.ts + reach < watermark);
    if (!due && cs.pendingRows === 0) continue;
    const ctx: Ctx = { state, id: unescapeKey(stored), cs, config, emit };
    if (due) seal(ctx, (p) => p.ts + reach < watermark, false);
    if (cs.pendingRows > 0)
      emitRetainedChanges(
        ctx,
        cs.retained.filter((x) => x.last === null),
      );
    if (due && cs.unsealed.length === 0) updateLookupKeys(ctx, []);
  }
  pruneIndexInPlace(state.index, watermark, config.attribution);
  sweep(state, watermark, config);
}

function sweep(state: CorrectionState, watermark: number, config: CorrectionOperatorConfig): void {
  if (
    state.lastSweepWatermark !== null &&
    watermark - state.lastSweepWatermark < 60_000 &&
    watermark !== Number.POSITIVE_INFINITY
  )
    return;
  state.lastSweepWatermark = watermark;
  const evict: { id: string; end: number }[] = [];
  for (const stored of Object.keys(state.sessions)) {
    const cs = state.sessions[stored]!;
    const end = cs.current.session.sessionEndTs;
    if (
      end !== null &&
      watermark - end > config.sessionStateTtlMs &&
      cs.unsealed.length === 0 &&
      cs.retained.length === 0
    ) {
      evict.push({ id: unescapeKey(stored), end });
    }
  }
  evict.sort((a, b) => a.end - b.end || compareStrings(a.id, b.id));
  for (const { id } of evict) {
    const cs = getOwn(state.sessions, id)!;
    setOwn(state.tombstones, id, { lastVersion: cs.counters.sessions, evictedAt: watermark });
    deleteOwn(state.sessions, id);
  }
  for (const stored of Object.keys(state.tombstones)) {
    if (watermark - state.tombstones[stored]!.evictedAt > config.tombstoneTtlMs)
      delete state.tombstones[stored];
  }
}

/**
 * Seals and finalizes everything (`advance(+∞)`), then empties the candidate index
 * (`attribution.md` §7.2 `flush()`). Mutates `state`; returns the outputs.
 *
 * @category Correction
 */
export function flushCorrection(
  state: CorrectionState,
  config: CorrectionOperatorConfig,
): LifecycleOutput[] {
  const out: LifecycleOutput[] = [];
  const emit: LifecycleEmit = (o) => out.push(o);
  for (const stored of Object.keys(state.sessions).sort(compareStrings)) {
    const cs = state.sessions[stored]!;
    const ctx: Ctx = { state, id: unescapeKey(stored), cs, config, emit };
    seal(ctx, () => true, false);
    emitRetainedChanges(ctx);
    updateLookupKeys(ctx, []);
  }
  for (const k of Object.keys(state.index.buckets)) delete state.index.buckets[k];
  return out;
}

/**
 * The correction-mode lifecycle operator: same inputs and outputs as `lifecycleOperator`, with
 * event-time folds, sealing, versioned corrections and retractions.
 *
 * @category Correction
 * @example
 * const config = { ...DEFAULT_LIFECYCLE_CONFIG, ...DEFAULT_CORRECTION_CONFIG };
 * const state = correctionOperator.init(config);
 * const outputs = correctionOperator.stepInPlace(state, { kind: "signal", signal, sample }, config);
 */
export const correctionOperator: Operator<
  CorrectionState,
  LifecycleInput,
  LifecycleOutput,
  CorrectionOperatorConfig
> = defineOperator<CorrectionState, LifecycleInput, LifecycleOutput, CorrectionOperatorConfig>({
  name: "correction",
  init: () => initCorrectionState(),
  step: (draft, input, config, emit) => {
    const state = draft as CorrectionState;
    if (input.kind === "capability") stepCapabilities(state, input.snapshots, config, emit);
    else stepSignal(state, input.signal, input.sample ?? null, config, emit);
  },
  advance: (draft, watermark, config, emit) =>
    advanceCorrection(draft as CorrectionState, watermark, config, emit),
});

/**
 * `true` when the capability index has a bucket for `key` (diagnostics).
 *
 * @category Correction
 */
export function hasBucket(state: CorrectionState, key: string): boolean {
  return bucketOf(state.index, key) !== undefined;
}
