/**
 * Test support for the serving-view and assertion suites: an embedded ClickHouse (chdb) per test
 * file in its own `lpa-views-*` directory, the table and view DDL, and the real 2026-01-08 sample
 * replayed through the engine and inserted with the package's row mappers.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createClient, type ClickHouseClient } from "@clickhouse/client";
import { createChdbConnection } from "chdb/connection";
import { createEngine, type EngineOutput } from "@livepeer-analytics/core/engine";
import { toRejectionRow } from "@livepeer-analytics/core/quality";
import { realEventLines } from "@livepeer-analytics/testing/fixtures";
import { generateDdl } from "../src/schema/ddl.js";
import { toClickHouseRow } from "../src/mappers/rows.js";
import type { TableName } from "../src/schema/columns.js";
import { generateViewDdl, type ViewDdlOptions } from "../src/views/index.js";

/** An embedded ClickHouse living in its own temporary directory. */
export interface ViewsDb {
  /** The underlying client. */
  readonly client: ClickHouseClient;
  /** Runs a statement. */
  command(query: string): Promise<void>;
  /** Runs a query and returns its rows. */
  rows<T = Record<string, unknown>>(query: string): Promise<T[]>;
  /** Inserts `JSONEachRow` objects. */
  insert(table: string, values: readonly object[]): Promise<void>;
  /** The executor seam of `runAssertions`. */
  readonly executor: { query<T>(sql: string): Promise<T[]> };
  /** Closes the client and removes the directory. */
  close(): Promise<void>;
}

/** The connection type `createClient` accepts (chdb ships its own copy of the client types). */
type ClientConnection = NonNullable<NonNullable<Parameters<typeof createClient>[0]>["connection"]>;

/** Opens chdb on a fresh `lpa-views-*` temporary directory. */
export function openViewsDb(): ViewsDb {
  const dir = mkdtempSync(join(tmpdir(), "lpa-views-"));
  const connection = createChdbConnection({ path: dir }) as unknown as ClientConnection;
  const client = createClient({ connection });
  const rows = async <T>(query: string): Promise<T[]> => {
    const r = await client.query({ query, format: "JSONEachRow" });
    return r.json<T>();
  };
  return {
    client,
    command: async (query) => {
      await client.command({ query });
    },
    rows,
    insert: async (table, values) => {
      if (values.length === 0) return;
      await client.insert({ table, values: values as object[], format: "JSONEachRow" });
    },
    executor: { query: rows },
    close: async () => {
      await client.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** Creates the tables (without TTLs, the sample is old) and the serving views of `database`. */
export async function createSchema(
  db: ViewsDb,
  database: string,
  viewOptions: Omit<ViewDdlOptions, "database"> = {},
): Promise<void> {
  for (const query of generateDdl({ database, ttl: false })) await db.command(query);
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
  db: ViewsDb,
  database: string,
  outputs: readonly EngineOutput[],
): Promise<void> {
  const byTable = new Map<string, object[]>();
  const push = (table: string, row: object): void => {
    const list = byTable.get(table) ?? [];
    list.push(row);
    byTable.set(table, list);
  };
  for (const o of outputs) {
    if (o.kind === "row") {
      push(o.table, toClickHouseRow(o.table as TableName, o.row as never));
    } else if (o.kind === "dlq" || o.kind === "quarantine") {
      const table =
        o.kind === "dlq" ? "raw_streaming_events_dlq" : "raw_streaming_events_quarantine";
      push(table, toClickHouseRow(table, toRejectionRow(o.envelope) as never));
    }
  }
  for (const [table, rows] of byTable) await db.insert(`${database}.${table}`, rows);
}

/** Creates `database` with tables and views and loads the real sample into it. */
export async function loadRealSample(
  db: ViewsDb,
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

/** Inserts plain engine-shaped rows into `database.table` through the row mapper. */
export async function insertRows(
  db: ViewsDb,
  database: string,
  table: TableName,
  rows: readonly PlainRow[],
): Promise<void> {
  await db.insert(
    `${database}.${table}`,
    rows.map((r) => toClickHouseRow(table, r as never)),
  );
}

/** Runs a query and returns its first row (fails the test when there is none). */
export async function firstRow<T = PlainRow>(db: ViewsDb, query: string): Promise<T> {
  const rows = await db.rows<T>(query);
  const row = rows[0];
  if (row === undefined) throw new Error(`no row for: ${query}`);
  return row;
}
