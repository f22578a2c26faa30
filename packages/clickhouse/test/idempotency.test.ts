/**
 * At-least-once redelivery (`ingest-and-storage.md` §6.1): the real 2026-01-08 sample loaded twice
 * into one database converges to the tables and views of a single load, the grain assertions catch
 * an event stored twice and a sort key without a grain column, and rows that differ only in a grain
 * column (two prices of one capability) are all kept.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ASSERTIONS, runAssertions, type AssertionResult } from "../src/assertions/index.js";
import { TABLES } from "../src/schema/columns.js";
import { generateDdl } from "../src/schema/ddl.js";
import { VIEW_NAMES, generateViewDdl } from "../src/views/index.js";
import { openTestDb } from "./db.js";
import { insertRows, SPEC_ROWS } from "./schema-support.js";
import {
  createSchema,
  firstRow,
  insertOutputs,
  lastRow,
  replayRealSample,
  type PlainRow,
} from "./views-support.js";

const ONCE = "lpa_idem_once";
const TWICE = "lpa_idem_twice";
const API_VIEWS = VIEW_NAMES.filter((v) => v.startsWith("v_api_"));
const STORED_ROWS_UNIQUE = "stored_rows_unique_per_grain";
const SORT_KEYS_CONTAIN_GRAIN = "sort_keys_contain_grain";
const db = openTestDb("lpa-idem-");

beforeAll(async () => {
  await createSchema(db, ONCE);
  await insertOutputs(db, ONCE, replayRealSample());
  await createSchema(db, TWICE);
  // The documented recovery after a crash: run the same input again into the same database.
  await insertOutputs(db, TWICE, replayRealSample());
  await insertOutputs(db, TWICE, replayRealSample());
});

afterAll(async () => {
  await db.close();
});

/** Rows a reader sees: `FINAL` on the engines that collapse rows. */
async function finalCount(database: string, table: string): Promise<number> {
  const t = TABLES.find((x) => x.name === table)!;
  const final = t.engine.type === "MergeTree" ? "" : " FINAL";
  const row = await firstRow(db, `SELECT count() AS n FROM ${database}.${table}${final}`);
  return Number(row["n"]);
}

async function viewRows(database: string, view: string): Promise<PlainRow[]> {
  return db.rows<PlainRow>(`SELECT * FROM ${database}.${view} ORDER BY ALL`);
}

async function check(database: string, names: readonly string[]): Promise<AssertionResult[]> {
  return runAssertions(db, { database, only: names });
}

describe("redelivery of the same events into one database", () => {
  it("every table holds the rows of a single load after FINAL", async () => {
    const once: Record<string, number> = {};
    const twice: Record<string, number> = {};
    for (const t of TABLES) {
      once[t.name] = await finalCount(ONCE, t.name);
      twice[t.name] = await finalCount(TWICE, t.name);
    }
    expect(twice).toEqual(once);
    expect(once["raw_payment_events"]).toBe(6);
    expect(once["fact_payments"]).toBe(6);
    expect(once["fact_stream_ingest_samples"]).toBe(34);
  });

  it("every v_api_* view returns the rows of a single load", async () => {
    expect(API_VIEWS.length).toBeGreaterThan(0);
    for (const view of API_VIEWS) {
      const once = await viewRows(ONCE, view);
      expect(once.length, view).toBeGreaterThan(0);
      expect(await viewRows(TWICE, view), view).toEqual(once);
    }
    const demand = await firstRow(
      db,
      `SELECT ticket_face_value_eth AS eth FROM ${TWICE}.v_api_network_demand`,
    );
    expect(Number(demand["eth"])).toBeCloseTo(0.0024024, 12);
  });

  it("the whole assertion suite passes on the twice-loaded database", async () => {
    const results = await runAssertions(db, { database: TWICE });
    expect(results).toHaveLength(ASSERTIONS.length);
    const failed = results.filter((r) => r.status === "fail");
    expect(failed, JSON.stringify(failed)).toEqual([]);
    const unique = results.find((r) => r.name === STORED_ROWS_UNIQUE)!;
    expect(unique.status).toBe("pass");
    expect(Number(unique.diagnostics["checked_rows"])).toBeGreaterThan(0);
  });
});

describe("stored-row grain assertions", () => {
  it(`${STORED_ROWS_UNIQUE} fails when one raw event is stored twice after FINAL`, async () => {
    const DB = "lpa_idem_duplicated";
    const outputs = replayRealSample();
    await createSchema(db, DB);
    await insertOutputs(db, DB, outputs);
    const clean = await check(DB, [STORED_ROWS_UNIQUE]);
    expect(clean[0]?.status).toBe("pass");
    // The same payment event again, parsed differently (e.g. by another SDK version): same event
    // identity, different sort key, so FINAL cannot collapse the two rows.
    const payment = lastRow(outputs, "raw_payment_events");
    await insertRows(db, DB, "raw_payment_events", [{ ...payment, recipient: "0xother" }]);
    const [r] = await check(DB, [STORED_ROWS_UNIQUE]);
    expect(r?.status).toBe("fail");
    expect(r?.diagnostics).toMatchObject({ failed_rows: 1 });
    expect(r?.diagnostics["tables"]).toBe("raw_payment_events:1");
  });

  it(`${SORT_KEYS_CONTAIN_GRAIN} fails when a sort key omits a grain column`, async () => {
    const DB = "lpa_idem_collapsing_key";
    // The V-B sort key of the price table, which omits the constraint (model) of the price.
    const legacyKey =
      "ORDER BY (orchestrator_address, capability_id, event_timestamp, source_event_id)";
    for (const sql of generateDdl({ database: DB, ttl: false })) {
      await db.command(
        sql.includes(`${DB}.raw_network_capabilities_prices\n`)
          ? sql.replace(/^ORDER BY .*$/m, legacyKey)
          : sql,
      );
    }
    for (const sql of generateViewDdl({ database: DB })) await db.command(sql);
    const [r] = await check(DB, [SORT_KEYS_CONTAIN_GRAIN]);
    expect(r?.status).toBe("fail");
    expect(r?.diagnostics).toMatchObject({ checked_rows: TABLES.length, failed_rows: 1 });
    expect(r?.diagnostics["tables"]).toBe("raw_network_capabilities_prices");
    const [clean] = await check(ONCE, [SORT_KEYS_CONTAIN_GRAIN]);
    expect(clean?.status).toBe("pass");
    expect(clean?.diagnostics).toMatchObject({ checked_rows: TABLES.length, failed_rows: 0 });
  });

  it("two prices of one capability in one event (different models) are both kept", async () => {
    const DB = "lpa_idem_prices";
    await createSchema(db, DB);
    const price = SPEC_ROWS.raw_network_capabilities_prices;
    await insertRows(db, DB, "raw_network_capabilities_prices", [
      { ...price, constraint_name: "model-a", price_per_unit: 1 },
      { ...price, constraint_name: "model-b", price_per_unit: 2 },
    ]);
    await db.command(`OPTIMIZE TABLE ${DB}.raw_network_capabilities_prices FINAL`);
    await db.command(`OPTIMIZE TABLE ${DB}.dim_orchestrator_capability_prices FINAL`);
    expect(await finalCount(DB, "raw_network_capabilities_prices")).toBe(2);
    expect(await finalCount(DB, "dim_orchestrator_capability_prices")).toBe(2);
  });
});
