/**
 * Reader-side helpers over engine outputs: the final table contents (latest version per
 * identity, like `ReplacingMergeTree ... FINAL`) and per-kind tallies.
 *
 * @module
 */
import { isVersionedTable, rowIdentity } from "../lifecycle/identity.js";
import type { EngineOutput } from "./engine.js";

/**
 * Final rows per table: for versioned tables the row with the highest `version` of each
 * identity (in order of first appearance; retracted segment rows are kept, flagged); for
 * append-only tables every row in emission order. DLQ and quarantine envelopes are listed under
 * `dlq` and `quarantine`.
 *
 * @category Engine
 */
export interface FinalTables {
  /** Table name → rows. */
  readonly tables: Record<string, Record<string, unknown>[]>;
  /** DLQ envelopes in emission order. */
  readonly dlq: Extract<EngineOutput, { kind: "dlq" }>["envelope"][];
  /** Quarantine envelopes in emission order. */
  readonly quarantine: Extract<EngineOutput, { kind: "quarantine" }>["envelope"][];
  /** Counter totals. */
  readonly counters: Record<string, number>;
}

/**
 * Folds a sequence of outputs (possibly from several runs) into final tables.
 *
 * @category Engine
 */
export function collectFinalTables(outputs: Iterable<EngineOutput>): FinalTables {
  const tables: Record<string, Record<string, unknown>[]> = {};
  const positions: Record<string, Map<string, number>> = {};
  const dlq: FinalTables["dlq"] = [];
  const quarantine: FinalTables["quarantine"] = [];
  const counters: Record<string, number> = {};
  for (const o of outputs) {
    if (o.kind === "dlq") dlq.push(o.envelope);
    else if (o.kind === "quarantine") quarantine.push(o.envelope);
    else if (o.kind === "counter") counters[o.name] = (counters[o.name] ?? 0) + o.delta;
    else {
      const row = o.row as unknown as Record<string, unknown>;
      const list = (tables[o.table] ??= []);
      const id = isVersionedTable(o.table) ? rowIdentity(o.table, row) : null;
      if (id === null) {
        list.push(row);
        continue;
      }
      const pos = (positions[o.table] ??= new Map());
      const at = pos.get(id);
      if (at === undefined) {
        pos.set(id, list.length);
        list.push(row);
      } else if ((row["version"] as number) >= (list[at]!["version"] as number)) list[at] = row;
    }
  }
  return { tables, dlq, quarantine, counters };
}

/**
 * Final tables in a canonical, order-independent form, for comparing two runs of the same input
 * whose outputs interleave differently (partitions, a sidecar, a resumed run): every row, DLQ and
 * quarantine envelope as JSON text, sorted; tables and counters in name order. Two runs have the
 * same final tables exactly when their canonical forms are deeply equal.
 *
 * @category Engine
 * @example
 * expect(canonicalFinalTables(partitioned)).toEqual(canonicalFinalTables(single));
 */
export function canonicalFinalTables(outputs: Iterable<EngineOutput>): CanonicalFinalTables {
  const f = collectFinalTables(outputs);
  const sorted = (rows: readonly unknown[]): string[] => rows.map((r) => JSON.stringify(r)).sort();
  const tables: Record<string, string[]> = {};
  for (const t of Object.keys(f.tables).sort()) tables[t] = sorted(f.tables[t]!);
  const counters: Record<string, number> = {};
  for (const c of Object.keys(f.counters).sort()) counters[c] = f.counters[c]!;
  return { tables, dlq: sorted(f.dlq), quarantine: sorted(f.quarantine), counters };
}

/**
 * The canonical form of final tables ({@link canonicalFinalTables}).
 *
 * @category Engine
 */
export interface CanonicalFinalTables {
  /** Table name (in name order) → its final rows as JSON text, sorted. */
  readonly tables: Record<string, string[]>;
  /** DLQ envelopes as JSON text, sorted. */
  readonly dlq: string[];
  /** Quarantine envelopes as JSON text, sorted. */
  readonly quarantine: string[];
  /** Counter totals, in name order. */
  readonly counters: Record<string, number>;
}
