/**
 * The standalone operators of the root README ("A taste of the API", second block). The
 * `#region docs` lines are the README's code block (`docs.test.ts` checks it); the function around
 * them supplies `line` and `now` and hands the results to the test.
 */
// #region docs
import { runGate, dedupCheck, initDedupState } from "@livepeer-analytics/core/quality";
import { workflowSessionId } from "@livepeer-analytics/core/lifecycle";

// #endregion docs
import type { DedupState, GateResult } from "@livepeer-analytics/core/quality";

/** What the standalone-operator snippet computed. */
export interface PureOperatorsResult {
  /** The dedup state the snippet started from (untouched). */
  readonly dedup: DedupState;
  /** The gate's verdict on the line. */
  readonly gate: GateResult;
  /** The dedup verdict and next state, or `null` when the gate rejected the line. */
  readonly check: ReturnType<typeof dedupCheck> | null;
  /** The session id the snippet derived. */
  readonly sessionId: string;
}

/** Runs the README's standalone-operator snippet on one envelope line at ingestion time `now`. */
export function pureOperators(line: string, now: number): PureOperatorsResult {
  // #region docs
  const dedup = initDedupState(); // plain JSON, kept by the host between calls
  const gate = runGate({ value: line }, { now });
  const check = gate.ok
    ? dedupCheck(dedup, { key: gate.event.dedupKey, seenAt: gate.event.timestamp })
    : null; // check.duplicate is the verdict, check.state the next state; `dedup` is untouched
  const sessionId = workflowSessionId(" stream-1 ", "req-1", "evt-1"); // "stream-1|req-1"
  // #endregion docs
  return { dedup, gate, check, sessionId };
}
