import { collectFinalTables, createEngine, createRunner } from "@livepeer-analytics/core/engine";
import { runGate } from "@livepeer-analytics/core/quality";
import fc from "fast-check";
import { describe, expect, test } from "vitest";
import { sessionEventsArbitrary } from "./events.js";

/** Runs records through a fresh runner (default engine, correction mode) and flushes. */
function run(records: readonly string[]) {
  const runner = createRunner(createEngine());
  const outputs = records.flatMap((value, i) =>
    runner.push({ record: { value, offset: i }, now: 1_767_900_000_000 }),
  );
  outputs.push(...runner.flush());
  return collectFinalTables(outputs);
}

/**
 * Final versioned fact rows without `version`, sorted: arrival order decides versions and the
 * order of first appearance, never content. Coverage rows are kept in arrival order by design
 * (`fact_lifecycle_edge_coverage` is a diagnostic of what arrived when), so they are left out.
 */
function contents(tables: Record<string, Record<string, unknown>[]>): Record<string, string[]> {
  const out: Record<string, string[]> = {};
  for (const [table, rows] of Object.entries(tables)) {
    if (table === "fact_lifecycle_edge_coverage") continue;
    out[table] = rows
      .map((row) => {
        const { version: _v, ...rest } = row;
        return JSON.stringify(rest);
      })
      .sort();
  }
  return out;
}

describe("sessionEventsArbitrary", () => {
  test(
    "every generated envelope passes the quality gate, ids are unique",
    { timeout: 120_000 },
    () => {
      fc.assert(
        fc.property(sessionEventsArbitrary(), ({ events, records }) => {
          const ids = new Set(events.map((e) => e["id"]));
          expect(ids.size).toBe(events.length);
          for (const value of records) {
            const r = runGate({ value }, { now: 1_767_900_000_000 });
            if (!r.ok) expect.fail(`${JSON.stringify(r).slice(0, 300)}\n${value}`);
          }
          expect(records.length).toBeGreaterThanOrEqual(events.length);
        }),
        { numRuns: 60 },
      );
    },
  );

  test(
    "the engine accounts for every record, and duplicates and reordering do not change the facts",
    { timeout: 300_000 },
    () => {
      fc.assert(
        fc.property(sessionEventsArbitrary(), ({ events, records }) => {
          const ideal = run(events.map((e) => JSON.stringify(e)));
          const delivered = run(records);
          // Nothing is rejected; every re-delivery, and nothing else, is quarantined as a duplicate.
          expect(delivered.dlq).toEqual([]);
          expect(ideal.quarantine).toEqual([]);
          expect(delivered.quarantine.map((q) => q.failure.reason)).toEqual(
            Array.from({ length: records.length - events.length }, () => "duplicate_event"),
          );
          expect(contents(delivered.tables)).toEqual(contents(ideal.tables));
        }),
        { numRuns: 40 },
      );
    },
  );

  test(
    "sessions without a reported wallet are never attributed; generated data has both kinds",
    { timeout: 120_000 },
    () => {
      let attributed = 0;
      let unattributed = 0;
      fc.assert(
        fc.property(
          sessionEventsArbitrary({ maxDuplicates: 0, reorderWindow: 1 }),
          ({ events }) => {
            // Streams whose events report a hot wallet.
            const withWallet = new Set<unknown>();
            for (const e of events) {
              const data = e["data"] as Record<string, unknown>;
              const info = data["orchestrator_info"] as Record<string, unknown> | undefined;
              if (info !== undefined && info["address"] !== "") withWallet.add(data["stream_id"]);
            }
            const f = run(events.map((e) => JSON.stringify(e)));
            for (const row of f.tables["fact_workflow_sessions"] ?? []) {
              if (row["orchestrator_address"] === "") unattributed += 1;
              else {
                attributed += 1;
                expect(withWallet.has(row["stream_id"])).toBe(true);
              }
            }
          },
        ),
        { numRuns: 40 },
      );
      expect(attributed).toBeGreaterThan(0);
      expect(unattributed).toBeGreaterThan(0);
    },
  );
});
