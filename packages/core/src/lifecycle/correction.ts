/**
 * Correction mode (`attribution.md` §7.2–7.3): sealed event-time folds with versioned
 * corrections. Signals of a session are folded in fold order `(signal time, type rank, uid)`;
 * signals stay *unsealed* until `W > ts + futureReachMs`, so a late capability or an out-of-order
 * signal re-folds them and every changed output is re-emitted with a higher `version`. Status
 * samples, trace edges and parameter-update rows are *retained* (revisable) until final; status and
 * trace rows use an as-of segment join. Coverage rows stay in arrival order.
 *
 * This is the event-time scheduler over the per-session fold of `fold.ts`; `lifecycleOperator` is
 * the arrival-order one. Both admit signals, fold them and emit session rows with the same
 * functions; only the order in which the fold sees signals and the emission rules differ. Under the preconditions P1–P4 of §7.3 the
 * final content of every output key is independent of arrival order.
 *
 * @module
 */
import {
  bucketOf,
  createCapabilityIndex,
  ingestSnapshotInPlace,
  snapshotLookupKeys,
} from "../attribution/candidates.js";
import { futureReachOf, isEligibleSnapshot } from "../attribution/select.js";
import type { Candidate, CapabilityIndex } from "../attribution/types.js";
import type { CapabilitySnapshot } from "../events/network-capabilities.js";
import { cloneJson, deleteOwn, escapeKey, getOwn, setOwn, unescapeKey } from "../internal/own.js";
import { defineOperator, type Operator } from "../operator/operator.js";
import { isJsonObject, type JsonNode } from "../primitives/json.js";
import { base64Url128, sha256 } from "../primitives/sha256.js";
import { encodeUtf8 } from "../primitives/utf8.js";
import { compareStrings } from "../primitives/strings.js";
import { alignSample, coveringSegment } from "./alignment.js";
import { EVICTION_SWEEP_INTERVAL_MS, type LifecycleConfig } from "./config.js";
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
import { isParamsUpdate, toParamUpdateRow } from "./params.js";
import type { SegmentRow } from "./segment.js";
import { addToSet, toSessionRow, type SessionRow } from "./session.js";
import type { LifecycleSignal, SampleInput, SignalType } from "./signal.js";
import {
  compactTimerQueue,
  evictToTombstones,
  lowerCandidatesFrom,
  needsCompaction,
  popDueTimers,
  pruneCapabilitiesWhenDue,
  pushTimer,
  pushTombstone,
  smallestSnapshotTs,
  sortInRecordOrder,
  type TimerQueue,
  type EvictionCandidate,
  type TombstoneQueue,
} from "./timers.js";

/**
 * Current version of {@link CorrectionState}. Version 2 keeps digests of the contents last
 * emitted for retained rows instead of the contents, drops a retained row's
 * content once emitted, and stores a signal and its sample once. Version 3 keeps the digest of
 * a session's last emitted session row instead of the row ({@link CorrectionSession.lastSession})
 * and a compact {@link CoverageState} as its coverage accumulator instead of a whole session
 * accumulator ({@link CorrectionSession.coverage}). States of versions 1 and 2, and version-3
 * states of unreleased builds that still hold whole coverage accumulators, are upgraded by
 * {@link upgradeCorrectionState}.
 */
export const CORRECTION_STATE_VERSION = 3;

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
  /**
   * When the fold rows of a session (session, latency, serving and segment rows, and the retained
   * sample, edge and parameter rows) are emitted:
   * - `every-change` (default): at the signal that changed them;
   * - `advance`: a signal only marks its session as changed, and its changed rows are emitted once
   *   at the next `advance` / `flush` (the engine's `emission: "coalesced"`);
   * - `final`: once each, when it can no longer change: a retained row when it is sealed, the
   *   session's other rows when it is evicted or at `flush` (the engine's `emission: "final"`).
   *
   * Final content is the same in every mode; `version`s count emissions.
   */
  readonly foldRows?: FoldRowEmission;
}

/**
 * Values of {@link CorrectionConfig.foldRows}.
 *
 * @category Correction
 */
export type FoldRowEmission = "every-change" | "advance" | "final";

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
 * The fold's {@link SessionAccumulators} at one point of a session's fold order, with the latest
 * segment row per index.
 *
 * @category Correction
 */
export interface FoldState extends SessionAccumulators {
  /** Latest segment row per index produced so far (content only; `version` is internal). */
  readonly segments: SegmentRow[];
}

/**
 * An unsealed signal. Its status/trace sample, if any, is held by its {@link RetainedRow} (a
 * signal with a sample always has one, at the same fold position).
 *
 * @category Correction
 */
export interface UnsealedSignal {
  /** The signal. */
  readonly signal: LifecycleSignal;
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
  /** Destination table. */
  readonly table: RetainedTable;
  /** Position of the row's own signal (the row is evaluated right after it). */
  readonly position: FoldPosition;
  /**
   * The signal of a parameter-update row (its content needs it); `null` for status and trace rows
   * (their signal is the unsealed signal at the same position).
   */
  readonly signal: LifecycleSignal | null;
  /** The sample (status/trace rows). */
  readonly sample: SampleInput | null;
  /** Watermark when first seen (the row's own time before the first watermark), epoch ms. */
  readonly enqueuedAt: number;
  /**
   * Content of the latest evaluation while it has not been emitted; `null` once it has (the
   * content then has the digest {@link RetainedRow.last}) or before the first evaluation.
   */
  current: Record<string, unknown> | null;
  /**
   * Digest of the content last emitted (`version` excluded; 128 bits of the SHA-256 of a canonical
   * text, 22 base64url characters), or `null` while the row was never emitted.
   */
  last: string | null;
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
  /**
   * Accumulators after every signal (the latest fold), or `null` when nothing is unsealed (the
   * latest fold is then `checkpoint`; the state is a tree, no object is shared).
   */
  current: FoldState | null;
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
  /**
   * Digest of the content of the session row last emitted (`version` excluded; 128 bits of the
   * SHA-256 of a canonical text, 22 base64url characters, or `"~"` for a content that never
   * compares equal), or `null` while no session row was emitted. States saved with the row itself
   * are upgraded by {@link upgradeCorrectionState}.
   */
  lastSession: string | null;
  /** Last emitted segment row per index (`version` excluded), including retractions. */
  readonly lastSegments: (Record<string, unknown> | null)[];
  /**
   * Coverage accumulator (arrival order). States saved with a whole session accumulator here are
   * upgraded by {@link upgradeCorrectionState}.
   */
  readonly coverage: CoverageState;
  /**
   * The session's timers (see {@link CorrectionTimers}); absent in states saved before the timer
   * queues existed, rebuilt on first use.
   */
  due?: SessionTimers;
  /**
   * `true` while the session is listed in {@link CorrectionState.dirty} (its fold rows wait for
   * the next `advance`); absent otherwise.
   */
  dirty?: true;
}

/**
 * The times a correction session's live entries in the timer queues carry (`null`: no live entry
 * in that queue). An entry of a queue is live while the session exists and records its time here.
 * Plain JSON.
 *
 * @category Correction
 */
export interface SessionTimers {
  /** Insertion rank among the sessions (the record's enumeration order for non-index keys). */
  readonly order: number;
  /** Fold time (signal time) of the earliest unsealed signal or retained row, at most. */
  seal: number | null;
  /** Earliest `enqueuedAt` of a retained row never emitted, at most. */
  pending: number | null;
  /** `sessionEndTs`, while nothing is unsealed or retained. */
  evict: number | null;
}

/**
 * Due-time indexes of the correction operator, so that `advance` visits only the sessions
 * something became due for. Each queue is a binary min-heap of `[time, stored session key]`
 * (see `timers.ts`) with lazy deletion: an entry is live while its session records the same time
 * in {@link SessionTimers}; dead entries are skipped when popped and dropped by compaction.
 * Plain JSON.
 *
 * @category Correction
 */
export interface CorrectionTimers {
  /** Sealing: due once `time + futureReachMs < W`. */
  readonly seal: TimerQueue;
  /** First emissions of unattributed retained rows: due once `W ≥ time + initialEmitDelayMs`. */
  readonly pending: TimerQueue;
  /** Idle eviction at a sweep: due once `W − time > sessionStateTtlMs`. */
  readonly evict: TimerQueue;
  /** Tombstone expiry at a sweep: batches `[evictedAt, ...keys]`, due once `W − evictedAt > tombstoneTtlMs`. */
  readonly tombstones: TombstoneQueue;
  /** Insertion rank of the next new session. */
  nextOrder: number;
  /** Number of sessions held (bounds the live entries of each queue). */
  held: number;
  /** Smallest `snapshotTs` in the capability index, at most; `null` when it is empty. */
  candidatesFrom: number | null;
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
  /** Due-time indexes; absent in states saved before they existed, rebuilt on first use. */
  timers?: CorrectionTimers;
  /**
   * With {@link CorrectionConfig.foldRows} `advance`: ids of the sessions changed since the last
   * `advance` / `flush`, in the order they first changed; their fold rows are emitted (in that
   * order) at the start of the next one. Absent when empty.
   */
  dirty?: string[];
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
    timers: initTimers(),
  };
}

/** `value` when it is a plain record, else `null`. */
function recordOf(value: unknown): Record<string, unknown> | null {
  return isJsonObject(value as JsonNode) ? (value as Record<string, unknown>) : null;
}

/** A version-1 retained row in the version-2 shape (see {@link upgradeCorrectionState}). */
function upgradeRetainedRow(row: unknown): unknown {
  const r = recordOf(row);
  if (r === null) return row;
  const out: Record<string, unknown> = { ...r };
  delete out["key"];
  if (r["table"] !== "fact_workflow_param_updates") out["signal"] = null;
  const last = recordOf(r["last"]);
  if (last !== null) {
    const digest = contentDigest(last);
    out["last"] = digest;
    // An emitted row's current content equals its last one at rest: drop it, as version 2 does.
    const current = recordOf(r["current"]);
    if (current !== null && !differs(contentDigest(current), digest)) out["current"] = null;
  }
  return out;
}

/** `true` when a saved session's coverage accumulator has a key a {@link CoverageState} lacks. */
function holdsWholeCoverage(session: unknown): boolean {
  const coverage = recordOf(recordOf(session)?.["coverage"]);
  return coverage !== null && Object.keys(coverage).some((k) => !COVERAGE_KEYS.has(k));
}

const COVERAGE_KEYS: ReadonlySet<string> = new Set(Object.keys(initCoverageState()));

/**
 * Upgrades a saved {@link CorrectionState} of version 1 or 2 to the current version. In a
 * version-1 state (retained rows holding the content last emitted and their signal, unsealed
 * signals holding their sample), a retained row's last content becomes its digest, its current
 * content is dropped when it equals the last one, a retained row drops its key, a status/trace
 * row its signal and an unsealed signal its sample (the retained row at the same position holds
 * it). In version-1 and version-2 states, a session's last emitted session row
 * ({@link CorrectionSession.lastSession}, a record) becomes its digest, and its coverage
 * accumulator ({@link CorrectionSession.coverage}, a whole session accumulator) keeps only its
 * {@link CoverageState} fields. Outputs do not change: the next comparisons give what the full
 * contents gave, and coverage rows read nothing else. A version-3 state whose sessions still hold
 * whole coverage accumulators (written by unreleased builds) gets its coverage compacted too.
 *
 * Anything else is returned unchanged (a current state, or a malformed value for the caller's
 * validation to report); values inside an upgraded state that are not of
 * the expected type are carried over as they are. Pure: the input is not modified.
 *
 * @category Correction
 * @example
 * const state = upgradeCorrectionState(JSON.parse(saved)) as CorrectionState;
 */
export function upgradeCorrectionState(state: unknown): unknown {
  const s = recordOf(state);
  if (s === null || (s["v"] !== 1 && s["v"] !== 2 && s["v"] !== CORRECTION_STATE_VERSION))
    return state;
  const sessions = recordOf(s["sessions"]);
  if (sessions === null) return state;
  // Unreleased builds wrote version-3 states with whole coverage accumulators: compact those too
  // (a current state is returned as it is).
  if (
    s["v"] === CORRECTION_STATE_VERSION &&
    !Object.keys(sessions).some((k) => holdsWholeCoverage(sessions[k]))
  )
    return state;
  const v1 = s["v"] === 1;
  const next: Record<string, unknown> = {};
  const put = (key: string, value: unknown): void => {
    // Stored keys are escaped, but a malformed snapshot could hold `__proto__`: never a setter.
    Object.defineProperty(next, key, {
      value,
      enumerable: true,
      writable: true,
      configurable: true,
    });
  };
  for (const stored of Object.keys(sessions)) {
    const cs = recordOf(sessions[stored]);
    if (cs === null) {
      put(stored, sessions[stored]);
      continue;
    }
    const lastSession = recordOf(cs["lastSession"]);
    const upgraded: Record<string, unknown> =
      lastSession === null ? { ...cs } : { ...cs, lastSession: contentDigest(lastSession) };
    if (Object.hasOwn(cs, "coverage")) upgraded["coverage"] = compactCoverageRecord(cs["coverage"]);
    if (!v1) {
      put(stored, upgraded);
      continue;
    }
    const unsealed = cs["unsealed"];
    const retained = cs["retained"];
    put(stored, {
      ...upgraded,
      unsealed: Array.isArray(unsealed)
        ? unsealed.map((u) => {
            const x = recordOf(u);
            if (x === null) return u;
            const rest = { ...x };
            delete rest["sample"];
            return rest;
          })
        : unsealed,
      retained: Array.isArray(retained) ? retained.map(upgradeRetainedRow) : retained,
    });
  }
  return { ...s, v: CORRECTION_STATE_VERSION, sessions: next };
}

function initTimers(): CorrectionTimers {
  return {
    seal: [],
    pending: [],
    evict: [],
    tombstones: [],
    nextOrder: 0,
    held: 0,
    candidatesFrom: null,
  };
}

function initFold(id: string): FoldState {
  return { ...initSessionAccumulators(id), segments: [] };
}

/** The latest fold of a session: `current`, or `checkpoint` when nothing is unsealed. */
function latestFold(cs: CorrectionSession): FoldState {
  return cs.current ?? cs.checkpoint;
}

function initCorrectionSession(id: string, order: number): CorrectionSession {
  return {
    checkpoint: initFold(id),
    checkpointPosition: null,
    current: null,
    unsealed: [],
    retained: [],
    pendingRows: 0,
    lookupKeys: [],
    counters: { sessions: 0, segments: 0, params: 0, status: 0, trace: 0 },
    lastSession: null,
    lastSegments: [],
    coverage: initCoverageState(),
    due: { order, seal: null, pending: null, evict: null },
  };
}

/** A row as a plain record. */
const asRecord = (row: object): Record<string, unknown> => row as Record<string, unknown>;

/**
 * Digest of a content that never equals another one (a value `!==` itself, such as `NaN`, or one
 * compared by reference): contents holding one always count as changed, as with {@link sameContent}.
 */
const INCOMPARABLE = "~";

/** Reused buffer for the canonical text of contents (grows as needed). */
let textBytes = new Uint8Array(2048);

/** `textBytes` with room for `need` more bytes after position `p`. */
function roomFor(p: number, need: number): Uint8Array {
  if (p + need > textBytes.length) {
    const grown = new Uint8Array(2 * (p + need));
    grown.set(textBytes.subarray(0, p));
    textBytes = grown;
  }
  return textBytes;
}

/** Writes the byte `c` at `p`; returns the new position. */
function putByte(c: number, p: number): number {
  roomFor(p, 1)[p] = c;
  return p + 1;
}

/** Writes `bytes` at `p`; returns the new position. */
function putBytes(bytes: Uint8Array, p: number): number {
  roomFor(p, bytes.length).set(bytes, p);
  return p + bytes.length;
}

/** Writes the ASCII string `s` at `p`; returns the new position, or −1 when `s` is not ASCII. */
function putAscii(s: string, p: number): number {
  const n = s.length;
  const b = roomFor(p, n);
  for (let i = 0; i < n; i++) {
    const c = s.charCodeAt(i);
    if (c >= 0x80) return -1;
    b[p++] = c;
  }
  return p;
}

/**
 * Digest of a row's content, `version` excluded: the first 128 bits of the SHA-256 of a canonical
 * text, as 22 base64url characters. The text lists the values in the content's column order, each
 * tagged with its type: a string with its length, a number as `String(n)` (so `-0` is `0`, as for
 * `!==`), booleans, `null`, `undefined` and bigints by tags. Texts are ASCII; a content with a
 * non-ASCII string is written again (`json`) with its strings JSON-quoted (well-formed, lone
 * surrogates escaped), in UTF-8, under another leading tag. Every content of one retained row comes from the same row builder, so it
 * has the same columns in the same order (JSON keeps that order across snapshots): two contents
 * of a row have the same digest exactly when {@link sameContent} calls them equal, barring a
 * SHA-256 collision. A content with a value that is not a string, number, boolean, bigint,
 * `undefined` or `null`, or with `NaN`, gives {@link INCOMPARABLE}.
 */
function contentDigest(content: Record<string, unknown>, json = false): string {
  let p = 0;
  p = putByte(json ? 74 : 65, p); // "J": JSON-quoted strings (UTF-8); "A": the ASCII text
  for (const k in content) {
    if (k === "version") continue;
    const v = content[k];
    switch (typeof v) {
      // Written piecewise (the same bytes as `"<length>:<value>` and `#<number>,`): no
      // concatenated string per column.
      case "string":
        if (json) {
          p = putBytes(encodeUtf8(JSON.stringify(v)), p);
          break;
        }
        p = putByte(34, p);
        p = putAscii(String(v.length), p);
        p = putByte(58, p);
        p = putAscii(v, p);
        if (p < 0) return contentDigest(content, true);
        break;
      case "number":
        if (v !== v) return INCOMPARABLE;
        p = putByte(35, p);
        p = putAscii(String(v), p);
        p = putByte(44, p);
        break;
      case "boolean":
        p = putByte(v ? 116 : 102, p); // "t" / "f"
        break;
      case "undefined":
        p = putByte(117, p); // "u"
        break;
      case "bigint":
        p = putByte(98, p);
        p = putAscii(String(v), p);
        p = putByte(44, p);
        break;
      default:
        if (v !== null) return INCOMPARABLE;
        p = putByte(110, p); // "n"
    }
  }
  return base64Url128(sha256(textBytes.subarray(0, p)));
}

/** `true` when the content of digest `digest` differs from the one of digest `last`. */
function differs(digest: string, last: string): boolean {
  return digest === INCOMPARABLE || digest !== last;
}

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

/**
 * Folds one signal into a fold state ({@link foldSignal}), keeping the latest segment row per
 * index and, with `keys`, collecting the capability lookup keys the signal used.
 */
function foldStep(
  f: FoldState,
  s: LifecycleSignal,
  index: CapabilityIndex,
  config: LifecycleConfig,
  keys: string[] | null,
): void {
  // The parameter-update row is a retained row here, evaluated against the fold by position.
  const { segments } = foldSignal(f, s, index, config, keys);
  // Segment indices are contiguous from 0, so this never leaves a hole.
  for (const row of segments) f.segments[row.segment_index] = row;
}

/** Evaluates a retained row against the fold state at its position. */
function evaluateRetained(r: RetainedRow, f: FoldState): void {
  if (r.table === "fact_workflow_param_updates") {
    r.current = asRecord(toParamUpdateRow(f.params, r.signal!, 0));
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

// ---------------------------------------------------------------------------------------------
// Timers: every session with something that can become due has a live entry, at or before the
// time it becomes due, in the queue of that timer (`CorrectionTimers`). `advance` pops what is
// due and visits those sessions only; the visit re-checks the exact conditions, so an early or
// repeated entry costs a visit, never a different output.
// ---------------------------------------------------------------------------------------------

type TimerKind = "seal" | "pending" | "evict";
const TIMER_KINDS: readonly TimerKind[] = ["seal", "pending", "evict"];

/** The session stored under `stored` (an escaped key), or `undefined`. */
function sessionAt(state: CorrectionState, stored: string): CorrectionSession | undefined {
  return Object.hasOwn(state.sessions, stored) ? state.sessions[stored] : undefined;
}

/** The state's timers; rebuilt from the sessions when the state was saved before they existed. */
function timersOf(state: CorrectionState): CorrectionTimers {
  if (state.timers !== undefined) return state.timers;
  const t = initTimers();
  state.timers = t;
  // Ranks follow the record's enumeration order, which is the insertion order for non-index keys.
  for (const stored in state.sessions) {
    const cs = state.sessions[stored]!;
    cs.due = { order: t.nextOrder++, seal: null, pending: null, evict: null };
    t.held += 1;
    settleTimers(t, stored, cs);
  }
  for (const stored in state.tombstones)
    pushTombstone(t.tombstones, state.tombstones[stored]!.evictedAt, stored);
  t.candidatesFrom = smallestSnapshotTs(state.index);
  return t;
}

/**
 * A session's timer record. Every session has one once the state has timers; a state edited by
 * hand could lack it: it then gets a fresh one (ranked last) instead of failing.
 */
function dueOf(t: CorrectionTimers, cs: CorrectionSession): SessionTimers {
  cs.due ??= { order: t.nextOrder++, seal: null, pending: null, evict: null };
  return cs.due;
}

/** Records `time` as the session's live entry in queue `kind` (queued unless it already is). */
function setTimer(
  t: CorrectionTimers,
  kind: TimerKind,
  stored: string,
  due: SessionTimers,
  time: number | null,
): void {
  const at = time !== null && Number.isFinite(time) ? time : null;
  if (due[kind] === at) return;
  due[kind] = at;
  if (at !== null) pushTimer(t[kind], at, stored);
}

/** Moves the session's entry in queue `kind` earlier to `time` (never later). */
function lowerTimer(
  t: CorrectionTimers,
  kind: TimerKind,
  stored: string,
  due: SessionTimers,
  time: number,
): void {
  const current = due[kind];
  if (current !== null && current <= time) return;
  setTimer(t, kind, stored, due, time);
}

/** Fold time of the earliest unsealed signal or retained row (what sealing looks at), or `null`. */
function headTime(cs: CorrectionSession): number | null {
  const u = cs.unsealed[0]?.signal.signalTimestamp;
  const r = cs.retained[0]?.position.ts;
  const a = u !== undefined && Number.isFinite(u) ? u : null;
  const b = r !== undefined && Number.isFinite(r) ? r : null;
  return a === null ? b : b === null || a <= b ? a : b;
}

/** `sessionEndTs` while nothing is unsealed or retained (the session can be evicted), else `null`. */
function idleEnd(cs: CorrectionSession): number | null {
  return cs.unsealed.length === 0 && cs.retained.length === 0
    ? latestFold(cs).session.sessionEndTs
    : null;
}

/**
 * The lowest watermark whose `advance` can change a session of the correction operator: seal one
 * of its signals (`time + futureReachMs < W`), first-emit a retained row (`W ≥ enqueuedAt +
 * initialEmitDelayMs`; at once for attributed content), or evict it at a sweep (`W − end >
 * sessionStateTtlMs`). `-Infinity` when the next advance can (its rows wait for it), `null` when
 * no advance alone can. The same conditions as the operator's timers (`settleTimers`), for a host
 * that hands `advance` only the sessions it can change (the partitioned engine's).
 *
 * @internal
 */
export function correctionSessionDueAt(
  cs: CorrectionSession,
  config: Pick<
    CorrectionOperatorConfig,
    "attribution" | "initialEmitDelayMs" | "sessionStateTtlMs"
  >,
): number | null {
  if (cs.dirty === true) return -Infinity;
  let due: number | null = null;
  // A time that is not finite (no future reach: a signal never seals by time) is never due.
  const at = (time: number | null): void => {
    if (time !== null && Number.isFinite(time) && (due === null || time < due)) due = time;
  };
  const pending = pendingTime(cs);
  if (pending === ATTRIBUTED_PENDING) return -Infinity;
  const head = headTime(cs);
  if (head !== null) at(head + futureReachOf(config.attribution));
  if (pending !== null) at(pending + config.initialEmitDelayMs);
  const end = idleEnd(cs);
  if (end !== null) at(end + config.sessionStateTtlMs);
  return due;
}

/** The pending time of never-emitted attributed content: due at once. */
const ATTRIBUTED_PENDING = -Number.MAX_VALUE;

/**
 * The `pending` timer's time: the earliest `enqueuedAt` of a retained row never emitted
 * ({@link ATTRIBUTED_PENDING} for attributed content), or `null`.
 */
function pendingTime(cs: CorrectionSession): number | null {
  let pending: number | null = null;
  if (cs.pendingRows > 0) {
    for (const r of cs.retained) {
      if (r.last !== null) continue;
      // Never-emitted attributed content is due at once (the steps emit it, so this is a guard).
      const at = isAttributedContent(r) ? ATTRIBUTED_PENDING : r.enqueuedAt;
      if (Number.isFinite(at) && (pending === null || at < pending)) pending = at;
    }
  }
  return pending;
}

/** Sets every timer of a session exactly (after a visit: its popped entries are consumed). */
function settleTimers(t: CorrectionTimers, stored: string, cs: CorrectionSession): void {
  const due = dueOf(t, cs);
  setTimer(t, "seal", stored, due, headTime(cs));
  setTimer(t, "pending", stored, due, pendingTime(cs));
  setTimer(t, "evict", stored, due, idleEnd(cs));
}

/**
 * Updates a session's timers after a step, in O(1): sealing can only have moved earlier (new
 * earliest signal) or ended; the pending entry is lowered for the step's own never-emitted row.
 */
function touchTimers(ctx: Ctx, row: RetainedRow | null): void {
  const { cs } = ctx;
  const t = ctx.state.timers!;
  const stored = escapeKey(ctx.id);
  const due = dueOf(t, cs);
  const head = headTime(cs);
  if (head === null) setTimer(t, "seal", stored, due, null);
  else lowerTimer(t, "seal", stored, due, head);
  if (cs.pendingRows === 0) setTimer(t, "pending", stored, due, null);
  else if (row !== null && row.last === null) lowerTimer(t, "pending", stored, due, row.enqueuedAt);
  setTimer(t, "evict", stored, due, idleEnd(cs));
}

/**
 * The `take` of {@link popDueTimers} for the sessions' queue `kind`: an entry is live while its
 * session records the same time; taking it consumes that time (so a repeat of the entry is dead).
 */
function takeTimer(
  state: CorrectionState,
  kind: TimerKind,
): (time: number, stored: string) => boolean {
  return (time, stored) => {
    const due = sessionAt(state, stored)?.due;
    if (due === undefined || due[kind] !== time) return false;
    due[kind] = null;
    return true;
  };
}

/**
 * Drops dead entries once a queue outgrows the sessions held (amortized O(1)). Runs after every
 * step: allocates nothing unless a queue is due for compaction.
 */
function compactTimers(state: CorrectionState, t: CorrectionTimers): void {
  for (const kind of TIMER_KINDS) {
    if (!needsCompaction(t[kind], t.held)) continue;
    compactTimerQueue(
      t[kind],
      t.held,
      (time, stored) => sessionAt(state, stored)?.due?.[kind] === time,
    );
  }
}

/**
 * Re-folds every unsealed signal from the checkpoint and re-evaluates the retained rows: all of
 * them, or with `from` (the position of a signal just inserted, nothing else having changed) only
 * those at or after it. A row before `from` sees the same fold state as when it was last
 * evaluated (the same signals in the same order, and capability changes re-fold everything), so
 * its content cannot have changed.
 */
function refold(ctx: Ctx, from: FoldPosition | null = null): void {
  const { cs, state, config } = ctx;
  const f = cloneJson(cs.checkpoint);
  const keys: string[] = [];
  // In `final` mode retained rows are evaluated once, when sealed (against the checkpoint).
  let r = config.foldRows === "final" ? cs.retained.length : 0;
  if (from !== null)
    while (r < cs.retained.length && compareFoldPositions(cs.retained[r]!.position, from) < 0) r++;
  for (const u of cs.unsealed) {
    const pos = foldPosition(u.signal);
    while (r < cs.retained.length && compareFoldPositions(cs.retained[r]!.position, pos) < 0)
      evaluateRetained(cs.retained[r++]!, f);
    foldStep(f, u.signal, state.index, config, keys);
  }
  while (r < cs.retained.length) evaluateRetained(cs.retained[r++]!, f);
  cs.current = cs.unsealed.length === 0 ? null : f;
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
  const f = latestFold(cs);
  if (f.session.eventCount > 0) {
    const fresh = toSessionRow(f.session, 0);
    // Only the digest of the content is kept (a content with no digest always counts as changed).
    const digest = contentDigest(asRecord(fresh));
    if (cs.lastSession === null || differs(digest, cs.lastSession)) {
      const row = { ...fresh, version: ++cs.counters.sessions } as SessionRow;
      cs.lastSession = digest;
      emitSessionRows(row, f.session, config, emit);
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
    // Emitted segment rows are shared with the state's last-emitted copy: consumers must not
    // mutate them.
    cs.lastSegments[i] = row;
    emit({
      kind: "row",
      table: "fact_workflow_session_segments",
      row: row as unknown as SegmentRow,
    });
  }
}

/**
 * Emits a retained row's current content; keeps only its digest (`digest` when the caller has it)
 * and drops the content.
 */
function emitRetained(ctx: Ctx, r: RetainedRow, digest?: string): void {
  const c = ctx.cs.counters;
  const version =
    r.table === "fact_workflow_param_updates"
      ? ++c.params
      : r.table === "fact_stream_status_samples"
        ? ++c.status
        : ++c.trace;
  const final = ctx.config.foldRows === "final";
  if (r.last === null && !final) ctx.cs.pendingRows -= 1;
  const content = r.current ?? {};
  // A row emitted in `final` mode is leaving the state: no digest to keep.
  r.last = final ? INCOMPARABLE : (digest ?? contentDigest(content));
  r.current = null;
  ctx.emit({
    kind: "row",
    table: r.table,
    row: { ...content, version },
  } as unknown as LifecycleOutput);
}

/**
 * Emits retained rows whose content changed; first emissions of unattributed samples wait. An
 * emitted row's unchanged re-evaluation is dropped (its digest stays).
 */
function emitRetainedChanges(ctx: Ctx, rows: readonly RetainedRow[] = ctx.cs.retained): void {
  const w = ctx.state.watermark;
  for (const r of rows) {
    if (r.current === null) continue;
    if (r.last === null) {
      const waited = w !== null && w >= r.enqueuedAt + ctx.config.initialEmitDelayMs;
      if (isAttributedContent(r) || waited) emitRetained(ctx, r);
    } else emitIfChanged(ctx, r, r.last);
  }
}

/**
 * Emits an emitted row's re-evaluated content (`r.current`, not `null`) when its digest differs
 * from `last`, the digest last emitted; otherwise drops the content (the digest stays).
 */
function emitIfChanged(ctx: Ctx, r: RetainedRow, last: string): void {
  const digest = contentDigest(r.current!);
  if (differs(digest, last)) emitRetained(ctx, r, digest);
  else r.current = null;
}

/**
 * After a step changed a session's fold: emits its changed rows now (`rows`: the retained rows
 * the step re-evaluated); with {@link CorrectionConfig.foldRows} `advance` marks the session for
 * the next `advance` / `flush` ({@link emitDeferred}); with `final` does nothing (the rows come
 * out when sealed, evicted or flushed).
 */
function foldChanged(ctx: Ctx, rows?: readonly RetainedRow[]): void {
  const mode = ctx.config.foldRows ?? "every-change";
  if (mode === "every-change") {
    emitFoldChanges(ctx);
    emitRetainedChanges(ctx, rows);
    return;
  }
  if (mode === "final" || ctx.cs.dirty === true) return;
  ctx.cs.dirty = true;
  (ctx.state.dirty ??= []).push(ctx.id);
}

/**
 * Counts a new retained row as waiting for its first emission (`pendingRows`, which drives the
 * `pending` timer). In `final` mode rows wait for sealing instead, so nothing is counted.
 */
function countPending(ctx: Ctx): void {
  if (ctx.config.foldRows !== "final") ctx.cs.pendingRows += 1;
}

/** Emits the changed rows of every session marked by {@link foldChanged}, in marking order. */
function emitDeferred(
  state: CorrectionState,
  config: CorrectionOperatorConfig,
  emit: LifecycleEmit,
): void {
  const ids = state.dirty;
  if (ids === undefined) return;
  delete state.dirty;
  for (const id of ids) {
    const cs = getOwn(state.sessions, id);
    if (cs === undefined || cs.dirty !== true) continue;
    delete cs.dirty;
    const ctx: Ctx = { state, id, cs, config, emit };
    emitFoldChanges(ctx);
    emitRetainedChanges(ctx);
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
      table: status ? "fact_stream_status_samples" : "fact_stream_trace_edges",
      position,
      signal: null,
      sample,
      enqueuedAt,
      current: null,
      last: null,
    };
  }
  if (isParamsUpdate(signal)) {
    return {
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

function stepSignal(
  state: CorrectionState,
  s: LifecycleSignal,
  sample: SampleInput | null,
  config: CorrectionOperatorConfig,
  emit: LifecycleEmit,
): void {
  if (!admitSignal(s, state.tombstones, emit)) return;
  const t = timersOf(state);
  const id = s.workflowSessionId;
  let cs = getOwn(state.sessions, id);
  if (cs === undefined) {
    cs = initCorrectionSession(id, t.nextOrder++);
    t.held += 1;
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
      countPending(ctx);
      evaluateRetained(once, cs.checkpoint);
      emitRetained(ctx, once);
    }
    refold(ctx);
    foldChanged(ctx);
    touchTimers(ctx, null);
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
    const current = (cs.current ??= cloneJson(cs.checkpoint));
    cs.unsealed.push({ signal: s });
    const keys = [...cs.lookupKeys];
    foldStep(current, s, state.index, config, keys);
    if (keys.length !== cs.lookupKeys.length) updateLookupKeys(ctx, keys);
    if (retained !== null) {
      cs.retained.push(retained);
      countPending(ctx);
      if (config.foldRows !== "final") evaluateRetained(retained, current);
    }
    foldChanged(ctx, retained === null ? [] : [retained]);
    enforceCaps(ctx);
    touchTimers(ctx, retained);
    compactTimers(state, t);
    return;
  }
  insertSorted(cs.unsealed, { signal: s }, (u) => foldPosition(u.signal));
  if (retained !== null) {
    insertSorted(cs.retained, retained, (r) => r.position);
    countPending(ctx);
  }
  refold(ctx, pos);
  foldChanged(ctx);
  enforceCaps(ctx);
  touchTimers(ctx, retained);
  compactTimers(state, t);
}

/** `true` when the candidate is within the eligibility window of a signal at `signalTs`. */
function stepCapabilities(
  state: CorrectionState,
  snapshots: readonly CapabilitySnapshot[],
  config: CorrectionOperatorConfig,
  emit: LifecycleEmit,
): void {
  const t = timersOf(state);
  const touched = new Map<string, number[]>();
  for (const snap of snapshots) {
    lowerCandidatesFrom(t, snap.snapshotTs);
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
      !cs.unsealed.some((u) =>
        times.some((t) => isEligibleSnapshot(u.signal.signalTimestamp, t, config.attribution)),
      )
    )
      continue;
    const ctx: Ctx = { state, id, cs, config, emit };
    refold(ctx);
    foldChanged(ctx);
    touchTimers(ctx, null);
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
    if (
      cs?.unsealed.some((u) =>
        isEligibleSnapshot(u.signal.signalTimestamp, c.snapshotTs, config.attribution),
      )
    )
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
      // The checkpoint now holds exactly the signals before the row: `final` mode evaluates it
      // here (and so would any mode for a row never evaluated nor emitted).
      if (config.foldRows === "final" || (r.current === null && r.last === null))
        evaluateRetained(r, cs.checkpoint);
      if (r.last === null) emitRetained(ctx, r);
      else if (r.current !== null) emitIfChanged(ctx, r, r.last);
      if (forced) ctx.emit({ kind: "counter", name: "forced_seals", delta: 1 });
      continue;
    }
    if (uPos === null || !isDue(uPos)) return;
    cs.unsealed.shift();
    foldStep(cs.checkpoint, u!.signal, state.index, config, null);
    cs.checkpointPosition = uPos;
    if (forced) ctx.emit({ kind: "counter", name: "forced_seals", delta: 1 });
    // Everything sealed: the latest fold is the checkpoint; drop the copy.
    if (cs.unsealed.length === 0) cs.current = null;
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

/**
 * Visits one session at watermark `W`: seals what is due, releases never-emitted rows whose wait
 * elapsed. Returns `false` (nothing done) when nothing is due.
 */
function visitSession(ctx: Ctx, watermark: number, reach: number): boolean {
  const { cs } = ctx;
  const u = cs.unsealed[0];
  const r = cs.retained[0];
  const due =
    (u !== undefined && u.signal.signalTimestamp + reach < watermark) ||
    (r !== undefined && r.position.ts + reach < watermark);
  if (!due && cs.pendingRows === 0) return false;
  if (due) seal(ctx, (p) => p.ts + reach < watermark, false);
  if (cs.pendingRows > 0)
    emitRetainedChanges(
      ctx,
      cs.retained.filter((x) => x.last === null),
    );
  if (due && cs.unsealed.length === 0) updateLookupKeys(ctx, []);
  return true;
}

/**
 * `advance(W)`. Sessions are visited in the record's key order (stable across snapshot/restore);
 * only those with a due timer are visited unless `scan` (the exhaustive reference: every session
 * and tombstone, every time).
 */
function advanceCorrection(
  state: CorrectionState,
  watermark: number,
  config: CorrectionOperatorConfig,
  emit: LifecycleEmit,
  scan = false,
): void {
  emitDeferred(state, config, emit);
  if (state.watermark !== null && watermark <= state.watermark) return;
  state.watermark = watermark;
  const t = timersOf(state);
  const reach = futureReachOf(config.attribution);
  const visit = (stored: string): void => {
    const cs = state.sessions[stored]!;
    const ctx: Ctx = { state, id: unescapeKey(stored), cs, config, emit };
    if (visitSession(ctx, watermark, reach) || !scan) settleTimers(t, stored, cs);
  };
  if (scan) {
    for (const stored in state.sessions) visit(stored);
  } else {
    const delay = config.initialEmitDelayMs;
    const ids = popDueTimers(t.seal, (ts) => ts + reach < watermark, takeTimer(state, "seal"));
    const pending = popDueTimers(
      t.pending,
      (at) => watermark >= at + delay,
      takeTimer(state, "pending"),
    );
    if (pending.length > 0) {
      const seen = new Set(ids);
      for (const stored of pending) if (!seen.has(stored)) ids.push(stored);
    }
    sortInRecordOrder(ids, (stored) => dueOf(t, state.sessions[stored]!).order);
    for (const stored of ids) visit(stored);
  }
  pruneCapabilitiesWhenDue(state.index, t, watermark, config.attribution, scan);
  sweep(state, t, watermark, config, scan, emit);
  compactTimers(state, t);
}

function sweep(
  state: CorrectionState,
  t: CorrectionTimers,
  watermark: number,
  config: CorrectionOperatorConfig,
  scan: boolean,
  emit: LifecycleEmit,
): void {
  if (
    state.lastSweepWatermark !== null &&
    watermark - state.lastSweepWatermark < EVICTION_SWEEP_INTERVAL_MS &&
    watermark !== Number.POSITIVE_INFINITY
  )
    return;
  state.lastSweepWatermark = watermark;
  const ttl = config.sessionStateTtlMs;
  const evict: EvictionCandidate[] = [];
  const candidates = scan
    ? Object.keys(state.sessions)
    : popDueTimers(t.evict, (end) => watermark - end > ttl, takeTimer(state, "evict"));
  for (const stored of candidates) {
    const cs = state.sessions[stored]!;
    const end = idleEnd(cs);
    if (end !== null && watermark - end > ttl) evict.push({ stored, id: unescapeKey(stored), end });
    else if (!scan) setTimer(t, "evict", stored, dueOf(t, cs), end);
  }
  evictToTombstones(
    state.sessions,
    state.tombstones,
    t.tombstones,
    evict,
    { watermark, tombstoneTtlMs: config.tombstoneTtlMs, scan },
    (cs) => cs.counters.sessions,
    (cs, id) => {
      t.held -= 1;
      // `final` mode: the session's rows can no longer change (nothing is unsealed or retained).
      if (config.foldRows === "final") emitFoldChanges({ state, id, cs, config, emit });
    },
  );
}

/**
 * `advance` by exhaustive scan, the reference the timer queues are tested against: visits every
 * session held (in key order) and sweeps every session and tombstone, as the operator did before
 * it had due-time indexes. Same outputs as `correctionOperator.advanceInPlace`, in O(sessions).
 * Mutates `state` (keeping its timers consistent); returns the outputs.
 *
 * @internal
 */
export function advanceCorrectionByScan(
  state: CorrectionState,
  watermark: number,
  config: CorrectionOperatorConfig,
): LifecycleOutput[] {
  const out: LifecycleOutput[] = [];
  advanceCorrection(state, watermark, config, (o) => out.push(o), true);
  return out;
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
  emitDeferred(state, config, emit);
  const t = timersOf(state);
  for (const stored of Object.keys(state.sessions).sort(compareStrings)) {
    const cs = state.sessions[stored]!;
    const ctx: Ctx = { state, id: unescapeKey(stored), cs, config, emit };
    seal(ctx, () => true, false);
    emitRetainedChanges(ctx);
    if (config.foldRows === "final") emitFoldChanges(ctx);
    updateLookupKeys(ctx, []);
    settleTimers(t, stored, cs);
  }
  for (const k of Object.keys(state.index.buckets)) delete state.index.buckets[k];
  t.candidatesFrom = null;
  return out;
}

/**
 * Makes a restored correction state consistent with the fold-row emission of the operator that
 * continues it, whichever mode saved it (a `final` batch run resumed by a `coalesced` runner, or
 * the reverse): in `final` mode retained rows wait unevaluated and uncounted, and no session
 * waits in the `advance` list; in the other modes a session never published is listed for the
 * next `advance`, every retained row holds its evaluation and the never-emitted ones are counted
 * in `pendingRows`; the timers of an adapted session are re-set. **Mutates** `state`; emits nothing. A no-op on a state saved in the same mode.
 *
 * @category Correction
 * @internal
 */
export function adaptCorrectionState(
  state: CorrectionState,
  config: CorrectionOperatorConfig,
): void {
  const final = config.foldRows === "final";
  let t: CorrectionTimers | null = null;
  for (const stored in state.sessions) {
    const cs = state.sessions[stored]!;
    const id = unescapeKey(stored);
    const unevaluated = cs.retained.some((r) => r.current === null && r.last === null);
    const pending = final ? 0 : cs.retained.filter((r) => r.last === null).length;
    // A session a `final` run folded but never published (its rows wait for eviction or flush):
    // another mode publishes it at the next advance.
    const unpublished =
      !final &&
      cs.dirty !== true &&
      cs.lastSession === null &&
      latestFold(cs).session.eventCount > 0;
    const consistent =
      cs.pendingRows === pending && (final ? cs.dirty !== true : !unevaluated && !unpublished);
    if (consistent) continue;
    const ctx: Ctx = { state, id, cs, config, emit: () => undefined };
    // Rows a `final` run left unevaluated (never emitted) get their evaluation now.
    if (!final && unevaluated) refold(ctx);
    if (final) delete cs.dirty;
    else if (unpublished) {
      cs.dirty = true;
      (state.dirty ??= []).push(id);
    }
    cs.pendingRows = pending;
    settleTimers((t ??= timersOf(state)), stored, cs);
  }
  if (final) delete state.dirty;
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
> = /* @__PURE__ */ defineOperator<
  CorrectionState,
  LifecycleInput,
  LifecycleOutput,
  CorrectionOperatorConfig
>({
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
