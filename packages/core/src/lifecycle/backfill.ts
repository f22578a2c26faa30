/**
 * Deterministic backfill (`attribution.md` §7.5): re-derive the facts of a time window in pure
 * event-time order with a fresh correction engine, and publish the window's latest rows with
 * versions in a backfill epoch (`version = epoch × 2^32 + localVersion`), above every live version.
 *
 * @module
 */
import { eligibleSnapshotRange } from "../attribution/select.js";
import type { LifecycleConfig } from "./config.js";
import {
  compareFoldPositions,
  correctionOperator,
  DEFAULT_CORRECTION_CONFIG,
  flushCorrection,
  foldPosition,
  initCorrectionState,
  type CorrectionOperatorConfig,
} from "./correction.js";
import { rowIdentity } from "./identity.js";
import type { LifecycleInput, LifecycleOutput } from "./fold.js";

/** `2^32`: the version stride of one backfill epoch. */
export const BACKFILL_EPOCH_STRIDE = 4_294_967_296;
/** Epochs must stay below `2^21` so versions remain exact JS integers. */
export const MAX_BACKFILL_EPOCH = 2_097_151;

/**
 * A backfill window and epoch.
 *
 * @category Backfill
 */
export interface BackfillOptions {
  /** Inclusive start of the window, epoch ms. */
  readonly windowStart: number;
  /** Exclusive end of the window, epoch ms. */
  readonly windowEnd: number;
  /** Backfill epoch, `1 ≤ epoch < 2^21`, strictly greater than any epoch used before on the same tables. */
  readonly epoch: number;
}

/**
 * Why a backfill could not run.
 *
 * @category Backfill
 */
export interface BackfillError {
  /** Stable code. */
  readonly code: "invalid_epoch" | "invalid_window" | "local_version_overflow";
  /** Human-readable detail. */
  readonly message: string;
}

/**
 * Result of {@link runBackfill}: errors are values.
 *
 * @category Backfill
 */
export type BackfillResult =
  | { readonly ok: true; readonly rows: LifecycleOutput[] }
  | { readonly ok: false; readonly error: BackfillError };

/**
 * Time range of the capability events a backfill must read (step 2): from the earliest signal of
 * the selected sessions minus `ttlMs + staleWindowMs`, to the latest plus `futureReachMs`.
 *
 * @category Backfill
 */
export function backfillCapabilityRange(
  signalTimes: readonly number[],
  config: LifecycleConfig,
): { readonly from: number; readonly to: number } | null {
  if (signalTimes.length === 0) return null;
  let s0 = Number.POSITIVE_INFINITY;
  let s1 = Number.NEGATIVE_INFINITY;
  for (const t of signalTimes) {
    if (t < s0) s0 = t;
    if (t > s1) s1 = t;
  }
  return eligibleSnapshotRange(s0, s1, config.attribution);
}

function inputTs(input: LifecycleInput): number {
  return input.kind === "signal"
    ? input.signal.signalTimestamp
    : input.snapshots.reduce((m, s) => Math.min(m, s.snapshotTs), Number.POSITIVE_INFINITY);
}

/** Pure event-time order: time, capabilities before signals at equal time, then fold order. */
function compareBackfillInputs(a: LifecycleInput, b: LifecycleInput): number {
  const d = inputTs(a) - inputTs(b);
  if (d !== 0) return d;
  if (a.kind !== b.kind) return a.kind === "capability" ? -1 : 1;
  if (a.kind === "signal" && b.kind === "signal")
    return compareFoldPositions(foldPosition(a.signal), foldPosition(b.signal));
  if (a.kind === "capability" && b.kind === "capability") {
    const ka = a.snapshots.map((s) => s.sourceEventId).join("|");
    const kb = b.snapshots.map((s) => s.sourceEventId).join("|");
    return ka < kb ? -1 : ka > kb ? 1 : 0;
  }
  return 0;
}

/** Key time of a row (`session_start_ts`, `segment_start_ts`, `sample_ts`, `edge_ts`, `update_ts`, `signal_ts`). */
function keyTime(o: LifecycleOutput): number | null {
  if (o.kind !== "row") return null;
  const r = o.row as unknown as Record<string, unknown>;
  for (const f of [
    "session_start_ts",
    "segment_start_ts",
    "sample_ts",
    "edge_ts",
    "update_ts",
    "signal_ts",
  ]) {
    if (typeof r[f] === "number") return r[f] as number;
  }
  return null;
}

function outputKey(o: LifecycleOutput): string {
  return o.kind === "row" ? `${o.table}\u0001${rowIdentity(o.table, o.row) ?? ""}` : "";
}

/**
 * Runs a backfill (steps 3–4): a fresh correction engine over `inputs` (the selected sessions'
 * lifecycle events and the capability events of {@link backfillCapabilityRange}) in pure
 * event-time order with `W` = each event's time, then `flush`; returns the latest row of every
 * output key whose key time is in `[windowStart, windowEnd)`, with `version = epoch × 2^32 +
 * localVersion`, in a deterministic order. Re-running it gives identical rows and versions.
 *
 * @category Backfill
 */
export function runBackfill(
  inputs: readonly LifecycleInput[],
  options: BackfillOptions,
  config: LifecycleConfig,
): BackfillResult {
  if (!Number.isInteger(options.epoch) || options.epoch < 1 || options.epoch > MAX_BACKFILL_EPOCH) {
    return {
      ok: false,
      error: {
        code: "invalid_epoch",
        message: `epoch must be an integer in [1, ${MAX_BACKFILL_EPOCH}], got ${options.epoch}`,
      },
    };
  }
  if (!(options.windowStart < options.windowEnd)) {
    return {
      ok: false,
      error: { code: "invalid_window", message: "windowStart must be before windowEnd" },
    };
  }
  const cfg: CorrectionOperatorConfig = { ...DEFAULT_CORRECTION_CONFIG, ...config };
  const sorted = [...inputs].sort(compareBackfillInputs);
  const state = initCorrectionState();
  const latest = new Map<string, LifecycleOutput>();
  const collect = (outs: readonly LifecycleOutput[]): void => {
    for (const o of outs) if (o.kind === "row") latest.set(outputKey(o), o);
  };
  for (const input of sorted) {
    collect(correctionOperator.advanceInPlace(state, inputTs(input), cfg));
    collect(correctionOperator.stepInPlace(state, input, cfg));
  }
  collect(flushCorrection(state, cfg));
  const base = options.epoch * BACKFILL_EPOCH_STRIDE;
  const rows: LifecycleOutput[] = [];
  for (const key of [...latest.keys()].sort()) {
    const o = latest.get(key)!;
    const t = keyTime(o);
    if (t === null || t < options.windowStart || t >= options.windowEnd || o.kind !== "row")
      continue;
    const r = o.row as unknown as Record<string, unknown>;
    const local = r["version"] as number;
    if (local >= BACKFILL_EPOCH_STRIDE) {
      return {
        ok: false,
        error: {
          code: "local_version_overflow",
          message: `local version ${local} of ${key} does not fit in 2^32`,
        },
      };
    }
    rows.push({ ...o, row: { ...r, version: base + local } } as unknown as LifecycleOutput);
  }
  return { ok: true, rows };
}
