/**
 * SDK port of `ClickHouseSchemaSyncTest` (`ingest-and-storage.md` §3.0, §9.2). The per-table
 * "row matches schema" cases of the reference are compile-time checks in the SDK: the catalogue
 * declares one sent column per field of each engine row type (`contract.ts`, proven by
 * `contract.test.ts`). What types cannot see is checked here at runtime: the generated DDL text
 * declares exactly the catalogued columns, the materialized views fill their targets, every engine
 * output row of the real fixture carries exactly the keys its table declares, and every one of
 * them inserts into an embedded ClickHouse.
 */
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { rowIdentity } from "@livepeer-analytics/core/lifecycle";
import {
  REPLAY_NOW,
  SPEC_ROWS,
  applyDdl,
  insertRows,
  replayRealFixture,
  type RowsByTable,
} from "../../test/schema-support.js";
import { openTestDb, type TestDb } from "../../test/db.js";
import { TABLES, getTable, isTableName, type TableName } from "./columns.js";
import { renderDdl } from "./ddl.js";
import { isRequiredColumn } from "./types.js";

// ---------------------------------------------------------------------------------------------
// A small parser for the generated DDL text.
// ---------------------------------------------------------------------------------------------

interface ParsedColumn {
  /** No DEFAULT / MATERIALIZED / ALIAS / EPHEMERAL expression. */
  readonly required: boolean;
}

interface ParsedSchema {
  readonly tables: Map<string, Map<string, ParsedColumn>>;
  /** Materialized view → target table and its output column names. */
  readonly views: Map<string, { readonly target: string; readonly outputs: string[] }>;
}

/** Splits on top-level commas, outside quotes and parentheses. */
function splitTopLevel(text: string): string[] {
  const out: string[] = [];
  let depth = 0;
  let quote: string | null = null;
  let start = 0;
  for (let i = 0; i < text.length; i++) {
    const ch = text[i];
    if (quote !== null) {
      if (ch === "\\") i++;
      else if (ch === quote) quote = null;
    } else if (ch === "'" || ch === "`" || ch === '"') quote = ch;
    else if (ch === "(") depth++;
    else if (ch === ")") depth--;
    else if (ch === "," && depth === 0) {
      out.push(text.slice(start, i).trim());
      start = i + 1;
    }
  }
  out.push(text.slice(start).trim());
  return out.filter((s) => s !== "");
}

/** Index of the parenthesis closing the one at `open`. */
function closingParen(text: string, open: number): number {
  let depth = 0;
  let quote: string | null = null;
  for (let i = open; i < text.length; i++) {
    const ch = text[i];
    if (quote !== null) {
      if (ch === "\\") i++;
      else if (ch === quote) quote = null;
    } else if (ch === "'" || ch === "`") quote = ch;
    else if (ch === "(") depth++;
    else if (ch === ")" && --depth === 0) return i;
  }
  throw new Error("unbalanced parentheses");
}

const stripLiterals = (s: string): string => s.replace(/'(?:\\.|[^'\\])*'/g, "''");

function parseSchema(ddl: string): ParsedSchema {
  const tables = new Map<string, Map<string, ParsedColumn>>();
  const views = new Map<string, { target: string; outputs: string[] }>();
  for (const raw of ddl.split(";")) {
    const stmt = raw.replace(/^(\s*--[^\n]*\n)*\s*/, "");
    const table = /^CREATE TABLE IF NOT EXISTS (?:\w+\.)?(\w+)\s*\(/.exec(stmt);
    if (table !== null) {
      const open = stmt.indexOf("(");
      const body = stmt.slice(open + 1, closingParen(stmt, open));
      const columns = new Map<string, ParsedColumn>();
      for (const item of splitTopLevel(body)) {
        if (/^(INDEX|PROJECTION|CONSTRAINT)\s/i.test(item)) continue;
        const name = (/^`?(\w+)`?/.exec(item)?.[1] ?? "").toString();
        const expressionless = !/\b(DEFAULT|MATERIALIZED|ALIAS|EPHEMERAL)\b/.test(
          stripLiterals(item),
        );
        columns.set(name, { required: expressionless });
      }
      tables.set(table[1] ?? "", columns);
      continue;
    }
    const mv =
      /^CREATE MATERIALIZED VIEW IF NOT EXISTS (?:\w+\.)?(\w+) TO (?:\w+\.)?(\w+)\s+AS SELECT\s+([\s\S]*?)\s+FROM\s/.exec(
        stmt,
      );
    if (mv !== null) {
      const outputs = splitTopLevel(mv[3] ?? "").map((e) => /\bAS\s+(\w+)$/.exec(e)?.[1] ?? "");
      views.set(mv[1] ?? "", { target: mv[2] ?? "", outputs });
    }
  }
  return { tables, views };
}

const DDL_TEXT = renderDdl({ database: "lpa_sync" });
const SCHEMA = parseSchema(DDL_TEXT);

function declared(table: string): Map<string, ParsedColumn> {
  const t = SCHEMA.tables.get(table);
  if (t === undefined) throw new Error(`table ${table} not in the generated DDL`);
  return t;
}

/** The contract: the keys of a row ⊇ the required columns and ⊆ the declared columns. */
function expectMatchesSchema(table: TableName, row: object): void {
  const columns = declared(table);
  const keys = new Set(Object.keys(row));
  const required = [...columns].filter(([, c]) => c.required).map(([n]) => n);
  expect(
    required.filter((c) => !keys.has(c)),
    `${table}: missing required columns`,
  ).toEqual([]);
  expect(
    [...keys].filter((k) => !columns.has(k)),
    `${table}: undeclared keys`,
  ).toEqual([]);
}

describe("ClickHouseSchemaSyncTest (§9.2) against the generated DDL", () => {
  test("the DDL text declares every catalogued table with exactly its columns", () => {
    expect([...SCHEMA.tables.keys()].sort()).toEqual(TABLES.map((t) => t.name).sort());
    for (const t of TABLES) {
      const parsed = declared(t.name);
      expect([...parsed.keys()], t.name).toEqual(t.columns.map((c) => c.name));
      for (const c of t.columns) {
        expect(parsed.get(c.name)?.required, `${t.name}.${c.name}`).toBe(isRequiredColumn(c));
      }
    }
    expect(declared("raw_ai_stream_status").get("event_date")?.required).toBe(false);
    expect(declared("raw_ai_stream_status").get("start_time")?.required).toBe(true);
    expect(declared("fact_stream_status_samples").get("is_attributed")?.required).toBe(false);
  });

  test("capabilityDimensionMaterializedViewsAreDeclaredInSchema", () => {
    const mvs = DDL_TEXT.match(
      /CREATE MATERIALIZED VIEW IF NOT EXISTS (?:\w+\.)?mv_network_capabilities\w*/g,
    );
    expect(mvs).toHaveLength(4);
  });

  test("[SDK] every materialized view fills every required target column and nothing else", () => {
    expect([...SCHEMA.views.keys()].sort()).toEqual([
      "mv_network_capabilities_advertised_to_dim_orchestrator_capability_advertised_snapshots",
      "mv_network_capabilities_model_constraints_to_dim_orchestrator_capability_model_constraints",
      "mv_network_capabilities_prices_to_dim_orchestrator_capability_prices",
      "mv_network_capabilities_to_dim_orchestrator_capability_snapshots",
      "mv_payment_events_to_fact_payments",
      "mv_stream_ingest_metrics_to_fact_stream_ingest_samples",
    ]);
    for (const [name, view] of SCHEMA.views) {
      const columns = declared(view.target);
      const required = [...columns].filter(([, c]) => c.required).map(([n]) => n);
      expect([...view.outputs].sort(), name).toEqual([...required].sort());
    }
  });
});

// ---------------------------------------------------------------------------------------------
// Engine rows of the real fixture
// ---------------------------------------------------------------------------------------------

const CORRECTION = replayRealFixture({
  edgeSemanticsVersions: ["v1", "v2"],
  emitServingFact: true,
});
const REFERENCE = replayRealFixture({ preset: "reference-compat" });

describe("engine rows of the real 2026-01-08 fixture", () => {
  test.each([
    ["correction (v1+v2, serving fact)", CORRECTION],
    ["reference-compat", REFERENCE],
  ] as const)(
    "%s: every engine row carries every required column and only declared columns",
    (_, rows: RowsByTable) => {
      for (const [table, list] of rows) {
        expect(isTableName(table)).toBe(true);
        // The engine rows themselves, before mapping: the mapper would fill a missing field with
        // `""`/NULL and drop an extra key, hiding both.
        for (const row of list) expectMatchesSchema(table, row);
      }
    },
  );

  test("the replay reaches every SDK-written table except param updates and AI events", () => {
    const tables = [...CORRECTION.keys()].sort();
    const sdkTables = (Object.keys(SPEC_ROWS) as TableName[]).filter(
      (t) => t !== "fact_workflow_param_updates" && t !== "raw_ai_stream_events",
    );
    expect(tables).toEqual([...sdkTables].sort());
  });
});

describe("inserting every engine output row into embedded ClickHouse", () => {
  const DB = "lpa_sync";
  let db: TestDb;

  beforeAll(async () => {
    db = openTestDb("lpa-ch-");
    // The fixture is older than the row TTLs: keep its rows.
    await applyDdl(db, { database: DB, ttl: false });
    for (const [table, list] of CORRECTION) await insertRows(db, DB, table, list);
    for (const [table, row] of Object.entries(SPEC_ROWS)) {
      if (table === "fact_workflow_param_updates" || table === "raw_ai_stream_events") {
        await insertRows(db, DB, table, [row]);
      }
    }
  });

  afterAll(async () => {
    await db.close();
  });

  const scalar = async (query: string): Promise<unknown> => {
    const rows = await db.rows<Record<string, unknown>>(query);
    return Object.values(rows[0] ?? {})[0];
  };
  const n = async (query: string): Promise<number> => Number(await scalar(query));

  test("row counts per table (§10.3), MV-filled tables included", async () => {
    const expected: Record<string, number> = {
      raw_ai_stream_status: 17,
      raw_stream_ingest_metrics: 34,
      raw_stream_trace_events: 6,
      raw_payment_events: 6,
      raw_discovery_results: 1,
      raw_network_capabilities: 1,
      raw_network_capabilities_advertised: 16,
      raw_network_capabilities_model_constraints: 1,
      raw_network_capabilities_prices: 1,
      raw_streaming_events_quarantine: 65,
      raw_streaming_events_dlq: 1,
      fact_stream_ingest_samples: 34,
      fact_payments: 6,
      dim_orchestrator_capability_snapshots: 1,
      dim_orchestrator_capability_advertised_snapshots: 16,
      dim_orchestrator_capability_model_constraints: 1,
      dim_orchestrator_capability_prices: 1,
      fact_workflow_param_updates: 1,
      raw_ai_stream_events: 1,
    };
    for (const [table, count] of Object.entries(expected)) {
      expect(await n(`SELECT count() FROM ${DB}.${table}`), table).toBe(count);
    }
    // Versioned tables may collapse revisions already at insert (optimize_on_insert): compare
    // their latest rows with the engine's distinct identities.
    for (const [table, list] of CORRECTION) {
      const identities = new Set(list.map((r, i) => rowIdentity(table, r) ?? String(i)));
      const final = getTable(table).engine.type === "ReplacingMergeTree" ? " FINAL" : "";
      expect(await n(`SELECT count() FROM ${DB}.${table}${final}`), table).toBe(identities.size);
    }
  });

  test("latest rows: 17 status / 6 trace (5 attributed), 1 session, v1 + v2 latency (§10.3)", async () => {
    expect(await n(`SELECT count() FROM ${DB}.fact_stream_status_samples FINAL`)).toBe(17);
    expect(
      await n(`SELECT countIf(is_attributed = 1) FROM ${DB}.fact_stream_status_samples FINAL`),
    ).toBe(17);
    expect(await n(`SELECT count() FROM ${DB}.fact_stream_trace_edges FINAL`)).toBe(6);
    expect(
      await n(`SELECT countIf(is_attributed = 1) FROM ${DB}.fact_stream_trace_edges FINAL`),
    ).toBe(5);
    expect(await n(`SELECT count() FROM ${DB}.fact_workflow_sessions FINAL`)).toBe(1);
    const latest = await db.rows<Record<string, unknown>>(
      `SELECT edge_semantics_version, argMax(prompt_to_first_frame_ms, version) AS p2ff,
              argMax(startup_time_ms, version) AS startup, argMax(e2e_latency_ms, version) AS e2e
       FROM ${DB}.fact_workflow_latency_samples GROUP BY edge_semantics_version ORDER BY edge_semantics_version`,
    );
    expect(latest).toEqual([
      { edge_semantics_version: "v1", p2ff: 2655, startup: 4089, e2e: 6744 },
      { edge_semantics_version: "v2", p2ff: 6435, startup: 2655, e2e: 105 },
    ]);
  });

  test("DateTime64 values are stored as the UTC instants of the engine's epoch ms", async () => {
    const status = CORRECTION.get("raw_ai_stream_status") ?? [];
    const stored = await db.rows<{ t: string; ms: string; start: string }>(
      `SELECT toString(event_timestamp) AS t, toString(toUnixTimestamp64Milli(event_timestamp)) AS ms,
              toString(start_time) AS start
       FROM ${DB}.raw_ai_stream_status ORDER BY event_timestamp`,
    );
    expect(stored.map((r) => Number(r.ms))).toEqual(status.map((r) => r["event_timestamp"]).sort());
    expect(stored[0]?.t).toBe("2026-01-08 21:49:15.607");
    expect(new Set(stored.map((r) => r.start))).toEqual(new Set(["2026-01-08 21:49:05.607"]));
    const session = await db.rows<Record<string, string>>(
      `SELECT toString(argMax(session_start_ts, version)) AS start, toString(argMax(first_playable_ts, version)) AS playable,
              toString(argMax(stream_closed_ts, version)) AS closed
       FROM ${DB}.fact_workflow_sessions`,
    );
    expect(session).toEqual([
      { start: "2026-01-08 21:49:05.298", playable: "2026-01-08 21:49:12.042", closed: null },
    ]);
  });

  test("nulls: Nullable columns keep NULL, non-Nullable strings are empty", async () => {
    expect(
      await n(
        `SELECT countIf(last_error IS NULL AND prompt_text IS NULL) FROM ${DB}.raw_ai_stream_status`,
      ),
    ).toBe(17);
    expect(await n(`SELECT countIf(gateway = '') FROM ${DB}.raw_ai_stream_status`)).toBe(17);
    const cap = await db.rows(
      `SELECT gpu_major, gpu_minor, capacity, capacity_in_use, warm, price_per_unit FROM ${DB}.raw_network_capabilities`,
    );
    expect(cap).toEqual([
      {
        gpu_major: 12,
        gpu_minor: null,
        capacity: null,
        capacity_in_use: 1,
        warm: 1,
        price_per_unit: 1618,
      },
    ]);
    expect(
      await n(`SELECT countIf(region IS NULL) - count() FROM ${DB}.fact_workflow_sessions`),
    ).toBe(0);
    const dlq = await db.rows(
      `SELECT event_id, event_timestamp, toString(source_record_timestamp) AS rec,
              toUnixTimestamp64Milli(ingestion_timestamp) AS ingested, failure_reason
       FROM ${DB}.raw_streaming_events_dlq`,
    );
    expect(dlq).toEqual([
      {
        event_id: "",
        event_timestamp: null,
        rec: "1970-01-01 00:00:00.000",
        ingested: REPLAY_NOW,
        failure_reason: "json_parse_error",
      },
    ]);
  });

  test("Float32 fps and confidences are stored as the engine's float32 values", async () => {
    const engineFps = (CORRECTION.get("raw_ai_stream_status") ?? [])
      .map((r) => [r["event_timestamp"] as number, r["output_fps"] as number] as const)
      .sort((a, b) => a[0] - b[0])
      .map(([, fps]) => fps);
    const stored = await db.rows<{ fps: number }>(
      `SELECT toFloat64(output_fps) AS fps FROM ${DB}.raw_ai_stream_status ORDER BY event_timestamp`,
    );
    expect(stored.map((r) => r.fps)).toEqual(engineFps);
    expect(engineFps).toHaveLength(17);
    expect(engineFps.every((f) => Math.fround(f) === f)).toBe(true);
    expect(
      await scalar(
        `SELECT toFloat64(argMax(gpu_attribution_confidence, version)) FROM ${DB}.fact_workflow_sessions`,
      ),
    ).toBe(Math.fround(0.9));
  });

  test("version columns hold the engine versions; FINAL keeps the greatest", async () => {
    const sessions = CORRECTION.get("fact_workflow_sessions") ?? [];
    const maxVersion = Math.max(...sessions.map((r) => r["version"] as number));
    expect(await n(`SELECT max(version) FROM ${DB}.fact_workflow_sessions`)).toBe(maxVersion);
    expect(await n(`SELECT version FROM ${DB}.fact_workflow_sessions FINAL`)).toBe(maxVersion);
    expect(
      await scalar(`SELECT orchestrator_address FROM ${DB}.fact_workflow_sessions FINAL`),
    ).toBe("0xd00354656922168815fcd1e51cbddb9e359e3c7f");
    expect(
      await n(
        `SELECT countIf(attribution_source = 'direct') FROM ${DB}.fact_stream_status_samples FINAL`,
      ),
    ).toBe(17);
  });

  test("MV-filled tables: ingest session ids, capability dims and the current-capability view", async () => {
    expect(
      await db.rows(`SELECT DISTINCT workflow_session_id FROM ${DB}.fact_stream_ingest_samples`),
    ).toEqual([{ workflow_session_id: "stream-o5s73x-mk5zc8fy|db936fab" }]);
    expect(
      await n(
        `SELECT count() FROM ${DB}.fact_stream_ingest_samples
         WHERE source_event_uid IN (SELECT toString(cityHash64(raw_json)) FROM ${DB}.raw_stream_ingest_metrics)`,
      ),
    ).toBe(34);
    expect(
      await db.rows(
        `SELECT orchestrator_address, orchestrator_proxy_address, capability_id, capability_name, gpu_name, gpu_minor, region
         FROM ${DB}.dim_orchestrator_capability_snapshots`,
      ),
    ).toEqual([
      {
        orchestrator_address: "0xd00354656922168815fcd1e51cbddb9e359e3c7f",
        orchestrator_proxy_address: "0x52cf2968b3dc6016778742d3539449a6597d5954",
        capability_id: 35,
        capability_name: "Live video to video",
        gpu_name: "NVIDIA GeForce RTX 5090",
        gpu_minor: null,
        region: null,
      },
    ]);
    expect(
      await db.rows(
        `SELECT model_id, warm, capacity_in_use FROM ${DB}.dim_orchestrator_capability_model_constraints`,
      ),
    ).toEqual([{ model_id: "streamdiffusion-sdxl-faceid", warm: 1, capacity_in_use: 1 }]);
    expect(
      await db.rows(
        `SELECT model_id, gpu_id, gpu_name, toString(latest_snapshot_ts) AS latest FROM ${DB}.dim_orchestrator_capability_current`,
      ),
    ).toEqual([
      {
        model_id: "streamdiffusion-sdxl-faceid",
        gpu_id: "GPU-a8d13655-197b-2226-d09f-b4b81e07504b",
        gpu_name: "NVIDIA GeForce RTX 5090",
        latest: "2026-01-08 21:50:21.590",
      },
    ]);
  });
});
