/**
 * The engine loop of the root README ("A taste of the API"). The lines between the `#region docs`
 * markers are the README's code block, character for character (`docs.test.ts` checks it); the
 * rest wires the free names (`lines`, `sink`, `rejects`) so the snippet compiles and runs.
 */
// #region docs
import { createEngine, createRunner, type EngineOutput } from "@livepeer-analytics/core/engine";

// #endregion docs
import type { RejectedEventEnvelope } from "@livepeer-analytics/core/quality";

/** Where the README loop writes: rows per table and rejection envelopes. */
export interface EngineLoopSinks {
  /** Receives every row with its table name. */
  readonly sink: { write(table: string, row: object): void };
  /** Receives every DLQ and quarantine envelope. */
  readonly rejects: { write(envelope: RejectedEventEnvelope): void };
}

/** Runs the README's engine loop over `lines` (one envelope per line), writing into `sinks`. */
export function engineLoop(lines: Iterable<string>, { sink, rejects }: EngineLoopSinks): void {
  // #region docs
  const engine = createEngine({ preset: "correction", edgeSemanticsVersions: ["v1", "v2"] });
  const runner = createRunner(engine); // owns the state; runner.snapshot() → createRunner(engine, json)
  const write = (outputs: readonly EngineOutput[]): void => {
    for (const o of outputs) {
      if (o.kind === "row") sink.write(o.table, o.row); // fact_workflow_sessions, raw_*, …
      if (o.kind === "dlq" || o.kind === "quarantine") rejects.write(o.envelope); // reason codes
    }
  };

  // push = step, then advance the watermark (newest event time − allowed lateness) when due
  for (const value of lines) write(runner.push({ record: { value }, now: Date.now() }));
  write(runner.flush()); // end of input: the last sealed and corrected rows
  // #endregion docs
}
