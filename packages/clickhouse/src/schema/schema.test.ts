import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { applyDdl, insertRows, SPEC_ROWS } from "../../test/schema-support.js";
import { openTestDb, type TestDb } from "../../test/db.js";
import { TABLES } from "./columns.js";
import { DEFAULT_DATABASE, SCHEMA_VERSION, generateDdl, renderDdl, schemaChecksum } from "./ddl.js";
import { MATERIALIZED_VIEWS, VIEWS } from "./views.js";
import { toClickHouseRow } from "../mappers/rows.js";

const DB = "lpa_schema";
let db: TestDb;

beforeAll(async () => {
  db = openTestDb("lpa-ch-");
  await applyDdl(db, { database: DB });
});

afterAll(async () => {
  await db.close();
});

interface SystemTable {
  name: string;
  engine: string;
  engine_full: string;
  create_table_query: string;
  sorting_key: string;
  partition_key: string;
}

const systemTables = (): Promise<SystemTable[]> =>
  db.rows<SystemTable>(
    `SELECT name, engine, engine_full, create_table_query, sorting_key, partition_key
     FROM system.tables WHERE database = '${DB}' ORDER BY name`,
  );

const count = async (query: string): Promise<number> =>
  Number((await db.rows<{ n: string | number }>(query))[0]?.n);

describe("generated DDL", () => {
  test("starts with CREATE DATABASE, ends with the version record, and is idempotent by construction", () => {
    const statements = generateDdl({ database: DB });
    expect(statements[0]).toBe(`CREATE DATABASE IF NOT EXISTS ${DB}`);
    expect(statements.at(-1)).toMatch(/^INSERT INTO lpa_schema\.lpa_schema_version/);
    for (const s of statements.slice(0, -1)) {
      expect(s).toMatch(
        /^CREATE (DATABASE IF NOT EXISTS|TABLE IF NOT EXISTS|MATERIALIZED VIEW IF NOT EXISTS|OR REPLACE VIEW) /,
      );
    }
    expect(statements).toHaveLength(
      1 + TABLES.length + MATERIALIZED_VIEWS.length + VIEWS.length + 1,
    );
  });

  test("every table, materialized view and view exists after applying it", async () => {
    const tables = await systemTables();
    const byName = new Map(tables.map((t) => [t.name, t]));
    const expected = [
      ...TABLES.map((t) => t.name),
      ...MATERIALIZED_VIEWS.map((m) => m.name),
      ...VIEWS.map((v) => v.name),
    ];
    expect([...byName.keys()].sort()).toEqual([...expected].sort());
    for (const t of TABLES) {
      const engine =
        t.engine.type === "ReplacingMergeTree" && t.engine.version !== null
          ? `ReplacingMergeTree(${t.engine.version})`
          : t.engine.type;
      expect(byName.get(t.name)?.engine_full.startsWith(engine), t.name).toBe(true);
    }
    for (const m of MATERIALIZED_VIEWS) expect(byName.get(m.name)?.engine).toBe("MaterializedView");
    for (const v of VIEWS) expect(byName.get(v.name)?.engine).toBe("View");
    expect(tables.some((t) => /agg_reliability_1h|agg_latency_kpis_1m/.test(t.name))).toBe(false);
  });

  test("sort keys and partitions are the catalogued ones (§3.1, §3.1.1)", async () => {
    const byName = new Map((await systemTables()).map((t) => [t.name, t]));
    for (const t of TABLES) {
      const actual = byName.get(t.name);
      expect(actual?.sorting_key, t.name).toBe(t.orderBy.join(", "));
      expect(actual?.partition_key, t.name).toBe(t.partitionBy ?? "");
    }
    expect(byName.get("fact_workflow_sessions")?.sorting_key).toBe("workflow_session_id");
    expect(byName.get("fact_workflow_latency_samples")?.sorting_key).toBe(
      "workflow_session_id, edge_semantics_version",
    );
  });

  test("every table is a ReplacingMergeTree whose sort key contains its whole grain", () => {
    for (const t of TABLES) {
      expect(t.engine.type, t.name).toBe("ReplacingMergeTree");
      expect(t.grain.length, t.name).toBeGreaterThan(0);
      // A grain expression missing from the key lets FINAL collapse two distinct grains.
      expect(
        t.grain.filter((g) => !t.orderBy.includes(g)),
        `${t.name}: grain expressions missing from ORDER BY`,
      ).toEqual([]);
      // Versioned facts: the grain is the reader identity (one definition).
      if (t.identity !== null) expect(t.grain, t.name).toEqual(t.identity);
      // A key that reads a server-filled column would never collapse a redelivered row.
      const serverFilled = t.columns
        .filter((c) => c.omitOnInsert === true || c.default?.startsWith("now") === true)
        .map((c) => c.name);
      for (const expr of [...t.orderBy, ...(t.partitionBy === null ? [] : [t.partitionBy])])
        for (const c of serverFilled)
          expect(new RegExp(`\\b${c}\\b`).test(expr), `${t.name}: ${expr}`).toBe(false);
      // Every grain expression reads only columns of the table.
      const names = new Set(t.columns.map((c) => c.name));
      for (const g of t.grain) {
        const args = g.replace(/'[^']*'/g, "").replace(/[A-Za-z_][A-Za-z0-9_]*\(/g, "(");
        const idents = args.match(/[A-Za-z_][A-Za-z0-9_]*/g) ?? [];
        expect(idents.length, `${t.name}: ${g}`).toBeGreaterThan(0);
        for (const id of idents) expect(names.has(id), `${t.name}: ${g} reads ${id}`).toBe(true);
      }
    }
    const prices = TABLES.find((t) => t.name === "raw_network_capabilities_prices")!;
    expect(prices.grain).toContain("ifNull(constraint_name, '')");
  });

  test("a second application is harmless and changes nothing", async () => {
    const before = await systemTables();
    await applyDdl(db, { database: DB });
    expect(await systemTables()).toEqual(before);
    const versions = await db.rows<{ schema_version: number; checksum: string }>(
      `SELECT schema_version, checksum FROM ${DB}.lpa_schema_version`,
    );
    expect(versions).toEqual([{ schema_version: SCHEMA_VERSION, checksum: schemaChecksum() }]);
  });

  test("every view selects without error", async () => {
    for (const v of [...VIEWS.map((x) => x.name), ...MATERIALIZED_VIEWS.map((x) => x.name)]) {
      await expect(db.rows(`SELECT * FROM ${DB}.${v} LIMIT 1`)).resolves.toBeInstanceOf(Array);
    }
  });

  test("rejection tables carry an event_id bloom index; TTLs follow the catalogue (11.20)", async () => {
    const indexes = await db.rows<{ table: string; name: string; type: string; expr: string }>(
      `SELECT table, name, type, expr FROM system.data_skipping_indices WHERE database = '${DB}' ORDER BY table, name`,
    );
    const catalogued = TABLES.flatMap((t) => t.indexes.map((i) => `${t.name}:${i.expr}`)).sort();
    expect(indexes.map((i) => `${i.table}:${i.expr}`).sort()).toEqual(catalogued);
    expect(catalogued).toContain("raw_streaming_events_dlq:event_id");
    expect(catalogued).toContain("raw_streaming_events_quarantine:event_id");
    expect(indexes.every((i) => i.type === "bloom_filter")).toBe(true);
    const dlq = (await systemTables()).find((t) => t.name === "raw_streaming_events_dlq");
    expect(dlq?.create_table_query).toContain("TTL event_date + toIntervalDay(30)");
  });

  test("renderDdl is the statement list, `;`-terminated, with no other `;`", () => {
    const text = renderDdl();
    const statements = generateDdl();
    expect(
      text.startsWith(`-- @livepeer-analytics/clickhouse schema version ${SCHEMA_VERSION}`),
    ).toBe(true);
    const parts = text.split(";").map((p) => p.replace(/^(\s*--[^\n]*\n)*\s*/, "").trim());
    expect(parts.filter((p) => p !== "")).toEqual(statements);
    expect(statements[0]).toBe(`CREATE DATABASE IF NOT EXISTS ${DEFAULT_DATABASE}`);
  });

  test("options: database is validated, ttl: false drops only the TTL clauses, checksum ignores the database", () => {
    expect(() => generateDdl({ database: "x; DROP TABLE y" })).toThrow(RangeError);
    const withTtl = generateDdl({ database: DB });
    const without = generateDdl({ database: DB, ttl: false });
    expect(without.some((s) => /\nTTL /.test(s))).toBe(false);
    expect(withTtl.filter((s) => /\nTTL /.test(s))).toHaveLength(
      TABLES.filter((t) => t.ttl !== null).length,
    );
    expect(schemaChecksum({ database: "a" })).toBe(schemaChecksum({ database: "b" }));
    expect(schemaChecksum({ ttl: false })).not.toBe(schemaChecksum());
    expect(schemaChecksum()).toMatch(/^[0-9a-f]{64}$/);
  });
});

describe("§3.1.1 SDK layout", () => {
  // Row TTLs delete old partitions during OPTIMIZE … FINAL, so the layout tests use times of the
  // current month instead of the spec's 1 000 / 900 ms; only the offsets matter.
  const now = new Date();
  const base = Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), 1) + 86_400_000;

  test("sessions: versions whose start moved earlier (1 000 then 900) collapse to 1 row", async () => {
    const id = "layout-s|layout-r";
    const v1 = {
      ...SPEC_ROWS.fact_workflow_sessions,
      workflow_session_id: id,
      session_start_ts: base + 1000,
      version: 1,
    };
    const v2 = { ...v1, session_start_ts: base + 900, version: 2 };
    await insertRows(db, DB, "fact_workflow_sessions", [v1]);
    await insertRows(db, DB, "fact_workflow_sessions", [v2]);
    await db.command(`OPTIMIZE TABLE ${DB}.fact_workflow_sessions FINAL`);
    const rows = await db.rows<{ version: number; start: string }>(
      `SELECT version, toString(session_start_ts) AS start FROM ${DB}.fact_workflow_sessions WHERE workflow_session_id = '${id}'`,
    );
    expect(rows).toHaveLength(1);
    expect(rows[0]?.version).toBe(2);
    expect(rows[0]?.start.endsWith(".900")).toBe(true);
    // The reference key (session_start_ts, workflow_session_id) keeps both versions.
    await db.command(
      `CREATE TABLE ${DB}.ref_sessions AS ${DB}.fact_workflow_sessions ENGINE = ReplacingMergeTree(version)
       PARTITION BY toYYYYMM(toDate(session_start_ts)) ORDER BY (session_start_ts, workflow_session_id)`,
    );
    await db.insert(`${DB}.ref_sessions`, [toClickHouseRow("fact_workflow_sessions", v1)]);
    await db.insert(`${DB}.ref_sessions`, [toClickHouseRow("fact_workflow_sessions", v2)]);
    await db.command(`OPTIMIZE TABLE ${DB}.ref_sessions FINAL`);
    expect(await count(`SELECT count() AS n FROM ${DB}.ref_sessions`)).toBe(2);
    await db.command(`DROP TABLE ${DB}.ref_sessions`);
  });

  test("latency: v1 and v2 rows of one session version survive FINAL as 2 rows", async () => {
    const id = "layout-lat|r";
    const v1 = {
      ...SPEC_ROWS.fact_workflow_latency_samples,
      workflow_session_id: id,
      sample_ts: base,
      version: 3,
    };
    const v2 = { ...v1, edge_semantics_version: "v2" as const, e2e_latency_ms: 105 };
    await insertRows(db, DB, "fact_workflow_latency_samples", [v1]);
    await insertRows(db, DB, "fact_workflow_latency_samples", [v2]);
    await db.command(`OPTIMIZE TABLE ${DB}.fact_workflow_latency_samples FINAL`);
    const rows = await db.rows<{ edge_semantics_version: string }>(
      `SELECT edge_semantics_version FROM ${DB}.fact_workflow_latency_samples FINAL WHERE workflow_session_id = '${id}' ORDER BY edge_semantics_version`,
    );
    expect(rows.map((r) => r.edge_semantics_version)).toEqual(["v1", "v2"]);
  });

  test("status samples: the same sample emitted as versions 1 and 2 leaves 1 row after FINAL", async () => {
    const id = "layout-st|r";
    const v1 = {
      ...SPEC_ROWS.fact_stream_status_samples,
      workflow_session_id: id,
      sample_ts: base + 5,
      version: 1,
      is_attributed: 0 as const,
    };
    const v2 = { ...v1, version: 2, is_attributed: 1 as const };
    await insertRows(db, DB, "fact_stream_status_samples", [v1]);
    await insertRows(db, DB, "fact_stream_status_samples", [v2]);
    await db.command(`OPTIMIZE TABLE ${DB}.fact_stream_status_samples FINAL`);
    const rows = await db.rows<{ version: number; is_attributed: number }>(
      `SELECT version, is_attributed FROM ${DB}.fact_stream_status_samples WHERE workflow_session_id = '${id}'`,
    );
    expect(rows).toEqual([{ version: 2, is_attributed: 1 }]);
  });

  test("segments: a re-fold that moves segment_start_ts collapses; is_retracted defaults to 0", async () => {
    const id = "layout-seg|r";
    const v1 = {
      ...SPEC_ROWS.fact_workflow_session_segments,
      workflow_session_id: id,
      segment_start_ts: base + 2000,
      version: 1,
    };
    const v2 = { ...v1, segment_start_ts: base + 1500, version: 2, is_retracted: 1 as const };
    await insertRows(db, DB, "fact_workflow_session_segments", [v1]);
    await insertRows(db, DB, "fact_workflow_session_segments", [v2]);
    await db.command(`OPTIMIZE TABLE ${DB}.fact_workflow_session_segments FINAL`);
    expect(
      await db.rows(
        `SELECT version, is_retracted FROM ${DB}.fact_workflow_session_segments WHERE workflow_session_id = '${id}'`,
      ),
    ).toEqual([{ version: 2, is_retracted: 1 }]);
    await db.command(
      `INSERT INTO ${DB}.fact_workflow_session_segments (workflow_session_id, segment_index, segment_start_ts, version) VALUES ('${id}-d', 0, now64(3), 1)`,
    );
    expect(
      await count(
        `SELECT is_retracted AS n FROM ${DB}.fact_workflow_session_segments WHERE workflow_session_id = '${id}-d'`,
      ),
    ).toBe(0);
  });

  test("dim_orchestrator_capability_current takes the latest snapshot's values, NULL included", async () => {
    const older = {
      ...SPEC_ROWS.raw_network_capabilities,
      source_event_id: "cap-1",
      event_timestamp: base,
      runner_version: "0.14.0",
    };
    const newer = {
      ...older,
      source_event_id: "cap-2",
      event_timestamp: base + 60_000,
      runner_version: null,
      gpu_name: "RTX-new",
    };
    await insertRows(db, DB, "raw_network_capabilities", [older, newer]);
    expect(
      await db.rows(
        `SELECT runner_version, gpu_name, toUnixTimestamp64Milli(latest_snapshot_ts) AS latest
         FROM ${DB}.dim_orchestrator_capability_current WHERE orchestrator_address = '0xabc'`,
      ),
    ).toEqual([{ runner_version: null, gpu_name: "RTX-new", latest: base + 60_000 }]);
  });
});
