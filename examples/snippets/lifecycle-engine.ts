/**
 * The first snippet of `docs/lifecycle.md`. The `#region docs` lines are the guide's code block
 * (`docs.test.ts` checks it); the function around them hands the engine to the test.
 */
// #region docs
import { createEngine } from "@livepeer-analytics/core/engine";

// #endregion docs

/** Creates the engine of the lifecycle guide's first snippet. */
export function lifecycleEngine() {
  // #region docs
  // The engine runs the gate, the parsers and these reducers; see docs/engine.md.
  const engine = createEngine({ preset: "reference-compat" }); // arrival order, reference semantics
  // #endregion docs
  return engine;
}
