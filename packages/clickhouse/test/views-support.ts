/**
 * Test support for the serving-view and assertion suites (they open their ClickHouse with
 * `openTestDb`): the table and view DDL, and the real 2026-01-08 sample replayed through the
 * engine and inserted with the package's row mappers.
 */
import { createEngine, type EngineOutput } from "@livepeer-analytics/core/engine";
import { realEventLines } from "@livepeer-analytics/testing/fixtures";
import type { TableName } from "../src/schema/columns.js";
import { generateViewDdl, type ViewDdlOptions } from "../src/views/index.js";
import type { TestDb } from "./db.js";
import { applyDdl, insertRows, rowsByTable } from "./schema-support.js";

/** Creates the tables (without TTLs, the sample is old) and the serving views of `database`. */
export async function createSchema(
  db: TestDb,
  database: string,
  viewOptions: Omit<ViewDdlOptions, "database"> = {},
): Promise<void> {
  await applyDdl(db, { database, ttl: false });
  for (const query of generateViewDdl({ ...viewOptions, database })) await db.command(query);
}

/** Every output of the engine over the real sample (`edgeSemanticsVersions: ["v1", "v2"]`). */
export function replayRealSample(): EngineOutput[] {
  const engine = createEngine({ edgeSemanticsVersions: ["v1", "v2"] });
  const state = engine.init();
  const out: EngineOutput[] = [];
  realEventLines().forEach((line, i) => {
    out.push(...engine.stepInPlace(state, { record: { value: line, offset: i }, now: 0 }));
    const w = engine.nextWatermark(state);
    if (w !== null) out.push(...engine.advanceInPlace(state, w));
  });
  out.push(...engine.flushInPlace(state));
  return out;
}

/** Inserts engine outputs: rows through `toClickHouseRow`, envelopes through `toRejectionRow`. */
export async function insertOutputs(
  db: TestDb,
  database: string,
  outputs: readonly EngineOutput[],
): Promise<void> {
  for (const [table, rows] of rowsByTable(outputs)) await insertRows(db, database, table, rows);
}

/** Creates `database` with tables and views and loads the real sample into it. */
export async function loadRealSample(
  db: TestDb,
  database: string,
  viewOptions: Omit<ViewDdlOptions, "database"> = {},
): Promise<void> {
  await createSchema(db, database, viewOptions);
  await insertOutputs(db, database, replayRealSample());
}

/** A fact row as a plain object (for building synthetic rows from real ones). */
export type PlainRow = Record<string, unknown>;

/** The last row the engine emitted for `table` (its latest revision in emission order). */
export function lastRow(outputs: readonly EngineOutput[], table: TableName): PlainRow {
  let found: PlainRow | undefined;
  for (const o of outputs) {
    if (o.kind === "row" && o.table === table) found = o.row as unknown as PlainRow;
  }
  if (found === undefined) throw new Error(`no ${table} row in the outputs`);
  return { ...found };
}

/** Runs a query and returns its first row (fails the test when there is none). */
export async function firstRow<T = PlainRow>(db: TestDb, query: string): Promise<T> {
  const rows = await db.rows<T>(query);
  const row = rows[0];
  if (row === undefined) throw new Error(`no row for: ${query}`);
  return row;
}
