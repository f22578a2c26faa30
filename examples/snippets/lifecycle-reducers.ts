/**
 * The second snippet of `docs/lifecycle.md`: the lifecycle reducers on their own. The
 * `#region docs` lines are the guide's code block (`docs.test.ts` checks it); the function around
 * them supplies the accepted events and the watermark.
 */
// #region docs
import {
  DEFAULT_LIFECYCLE_CONFIG,
  initLifecycleState,
  lifecycleOperator,
  toLifecycleInputs,
  type LifecycleOutput,
} from "@livepeer-analytics/core/lifecycle";

// #endregion docs
import type { AcceptedEvent } from "@livepeer-analytics/core/events";

/** Runs the lifecycle guide's reducer snippet over accepted events, then advances to `watermark`. */
export function lifecycleReducers(acceptedEvents: readonly AcceptedEvent[], watermark: number) {
  // #region docs
  const state = initLifecycleState(); // plain JSON
  const outputs: LifecycleOutput[] = [];
  for (const event of acceptedEvents) {
    const inputs = toLifecycleInputs(event); // null for families that are not lifecycle input
    if (inputs === null) continue;
    const input = { kind: "signal", ...inputs } as const;
    outputs.push(...lifecycleOperator.stepInPlace(state, input, DEFAULT_LIFECYCLE_CONFIG));
  }
  // Pending samples, pruning, eviction:
  outputs.push(...lifecycleOperator.advanceInPlace(state, watermark, DEFAULT_LIFECYCLE_CONFIG));
  // #endregion docs
  return { state, outputs };
}
