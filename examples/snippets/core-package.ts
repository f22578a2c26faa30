/**
 * The snippet of `packages/core/README.md`. The `#region docs` lines are the README's code block
 * (`docs.test.ts` checks it); the function around them supplies `line` and `now`.
 */
// #region docs
import { createEngine } from "@livepeer-analytics/core/engine";

// #endregion docs

/** Runs the core README's snippet on one envelope line at ingestion time `now`. */
export function corePackage(line: string, now: number) {
  // #region docs
  const engine = createEngine({ preset: "correction" });
  const state = engine.init();
  const outputs = engine.stepInPlace(state, { record: { value: line }, now });
  // #endregion docs
  return { state, outputs };
}
