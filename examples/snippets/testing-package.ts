/**
 * The snippet of `packages/testing/README.md`. The `#region docs` lines are the README's code
 * block (`docs.test.ts` checks it); the function around them lets the test run it.
 */
// #region docs
import { collectFinalTables, createEngine, createRunner } from "@livepeer-analytics/core/engine";
import { sessionEventsArbitrary } from "@livepeer-analytics/testing";
import fc from "fast-check";

// #endregion docs

/** Runs the testing README's property (throws when it fails). */
export function testingPackage(): void {
  // #region docs
  /** The final tables of one engine run over `records`, in the given order. */
  const finalTables = (records: readonly string[]) => {
    const runner = createRunner(createEngine());
    const outputs = records.flatMap((value) => runner.push({ record: { value }, now: 0 }));
    return collectFinalTables([...outputs, ...runner.flush()]);
  };

  // Realistic sessions, delivered with duplicates and bounded reordering: the session facts are
  // those of the ideal, in-order delivery.
  fc.assert(
    fc.property(sessionEventsArbitrary({ maxSessions: 3 }), ({ events, records }) => {
      const ideal = finalTables(events.map((e) => JSON.stringify(e)));
      const delivered = finalTables(records);
      const sessions = (t: typeof ideal) =>
        (t.tables["fact_workflow_sessions"] ?? [])
          .map(({ version: _, ...row }) => JSON.stringify(row))
          .sort();
      return JSON.stringify(sessions(delivered)) === JSON.stringify(sessions(ideal));
    }),
    { numRuns: 50 },
  );
  // #endregion docs
}
