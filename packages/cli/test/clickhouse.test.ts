/**
 * `lpa replay --clickhouse`, `lpa query` and `lpa ddl` against embedded ClickHouse (chDB, one data
 * directory for this file: chDB allows one per process). If CLICKHOUSE_URL is set, the replay also
 * runs against that server.
 */
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it, vi } from "vitest";
import { ASSERTIONS, VIEW_NAMES } from "@livepeer-analytics/clickhouse";
import { REAL_SAMPLE_EXPECTED, realFixturePath } from "@livepeer-analytics/testing/fixtures";
import { run } from "../src/main.js";
import { memoryIo } from "./support.js";
import { renderReplaySummary, type ReplaySummary } from "../src/summary.js";

const dir = mkdtempSync(join(tmpdir(), "lpa-cli-ch-"));
const target = `embedded:${join(dir, "db")}`;
const fixture = realFixturePath("streaming-events-2026-01-08.jsonl");
afterAll(() => rmSync(dir, { recursive: true, force: true }));

async function lpa(args: string[]): Promise<{ code: number; out: string; err: string }> {
  const m = memoryIo();
  const code = await run(args, m.io);
  return { code, out: m.out(), err: m.err() };
}

async function replayInto(
  chTarget: string,
  extra: string[] = [],
): Promise<{ code: number; summary: ReplaySummary }> {
  const r = await lpa([
    "replay",
    fixture,
    "--clickhouse",
    chTarget,
    "--reset-database",
    "--json",
    ...extra,
  ]);
  expect(r.err).not.toMatch(/Error|FAIL/);
  return { code: r.code, summary: JSON.parse(r.out) as ReplaySummary };
}

async function queryJson(sql: string, chTarget = target): Promise<Record<string, unknown>[]> {
  const r = await lpa(["query", sql, "--clickhouse", chTarget, "--format", "json"]);
  expect(r.code, r.err).toBe(0);
  return JSON.parse(r.out) as Record<string, unknown>[];
}

describe("lpa replay --clickhouse (embedded)", () => {
  it("writes every table, fills the v_api_* views and passes every assertion", async () => {
    const { code, summary } = await replayInto(target, ["--latency-semantics", "both"]);
    expect(code).toBe(0);
    expect(summary.outDir).toBeNull();
    const ch = summary.clickhouse!;
    expect(ch.retries).toBe(0);
    expect(ch.dropped).toEqual({});
    for (const [table, rows] of Object.entries(REAL_SAMPLE_EXPECTED.rowsByTable))
      expect(ch.inserted[table], table).toBe(rows);
    // Versioned facts are reduced to their final rows before loading (like the JSONL output).
    expect(ch.inserted["fact_workflow_sessions"]).toBe(1);
    expect(ch.inserted["fact_stream_status_samples"]).toBe(17);
    expect(ch.assertions).not.toBeNull();
    const failed = ch.assertions!.filter((a) => !a.passed);
    expect(failed, JSON.stringify(failed)).toEqual([]);
    expect(ch.assertions!.map((a) => a.name).sort()).toEqual(ASSERTIONS.map((a) => a.name).sort());
    expect(Object.keys(ch.views).sort()).toEqual(
      VIEW_NAMES.filter((v) => v.startsWith("v_api_")).sort(),
    );
    expect(ch.views["v_api_network_demand"]).toBeGreaterThan(0);

    // The stored facts hold the fixture's single session, served, with the real identities.
    const sessions = await queryJson(
      "SELECT workflow_session_id, stream_id, orchestrator_address, known_stream, unserved_session " +
        "FROM fact_workflow_sessions FINAL",
    );
    expect(sessions).toEqual([
      {
        workflow_session_id: "stream-o5s73x-mk5zc8fy|db936fab",
        stream_id: "stream-o5s73x-mk5zc8fy",
        orchestrator_address: "0xd00354656922168815fcd1e51cbddb9e359e3c7f",
        known_stream: 1,
        unserved_session: 0,
      },
    ]);
    const payments = await queryJson(
      "SELECT toString(sum(face_value_wei)) AS wei, toString(count()) AS n FROM fact_payments",
    );
    expect(payments).toEqual([{ wei: "14404800000000000", n: "6" }]);
  });

  it("converges to the same final tables when the same input is delivered twice", async () => {
    const final = async (): Promise<unknown[]> =>
      queryJson(
        "SELECT t, toString(n) AS n FROM (" +
          "SELECT 'sessions' AS t, count() AS n FROM fact_workflow_sessions FINAL UNION ALL " +
          "SELECT 'segments', count() FROM fact_workflow_session_segments FINAL UNION ALL " +
          "SELECT 'status', count() FROM fact_stream_status_samples FINAL UNION ALL " +
          "SELECT 'latency', count() FROM fact_workflow_latency_samples FINAL UNION ALL " +
          "SELECT 'raw_payments', count() FROM raw_payment_events FINAL UNION ALL " +
          "SELECT 'payments', count() FROM fact_payments FINAL UNION ALL " +
          "SELECT 'ingest', count() FROM fact_stream_ingest_samples FINAL UNION ALL " +
          "SELECT 'fee_eth', toUInt64(round(sum(ticket_face_value_eth) * 1e7)) FROM v_api_network_demand) ORDER BY t",
      );
    const once = await final();
    expect(once).toContainEqual({ t: "sessions", n: "1" });
    expect(once).toContainEqual({ t: "status", n: "17" });
    expect(once).toContainEqual({ t: "latency", n: "2" }); // v1 and v2
    expect(once).toContainEqual({ t: "payments", n: "6" });
    expect(once).toContainEqual({ t: "fee_eth", n: "24024" }); // 0.0024024 ETH
    // A second replay of the same file into the same database without a reset (the documented
    // recovery after a crash), this time with every intermediate version: every table is
    // identical after FINAL (ReplacingMergeTree keeps one row per grain) and the views count each
    // payment once.
    const r = await lpa([
      "replay",
      fixture,
      "--clickhouse",
      target,
      "--json",
      "--no-assertions",
      "--all-versions",
      "--latency-semantics",
      "both",
    ]);
    expect(r.code, r.err).toBe(0);
    const inserted = (JSON.parse(r.out) as ReplaySummary).clickhouse!.inserted;
    expect(inserted["fact_workflow_sessions"]).toBeGreaterThan(1); // every version was sent
    expect(await final()).toEqual(once);
  });

  it("a failing ClickHouse insert exits 1 with one line on stderr and no unhandled rejection", async () => {
    const unhandled: unknown[] = [];
    const onUnhandled = (reason: unknown): void => {
      unhandled.push(reason);
    };
    process.on("unhandledRejection", onUnhandled);
    try {
      // A view where the status table belongs: CREATE TABLE IF NOT EXISTS keeps it, and every
      // insert into it fails for real in ClickHouse (as under a full disk).
      const database = "lpa_cli_broken";
      const setup = [
        `CREATE DATABASE IF NOT EXISTS ${database}`,
        `CREATE VIEW ${database}.raw_ai_stream_status AS SELECT 1 AS x`,
      ];
      for (const sql of setup)
        expect((await lpa(["query", sql, "--clickhouse", target])).code).toBe(0);
      const r = await lpa([
        "replay",
        fixture,
        "--clickhouse",
        target,
        "--database",
        database,
        "--batch-rows",
        "2",
        "--json",
      ]);
      expect(r.code).toBe(1);
      expect(r.out).toBe("");
      const lines = r.err.trimEnd().split("\n");
      expect(lines[0]).toMatch(/^lpa: embedded ClickHouse at /);
      expect(lines.slice(1)).toHaveLength(1);
      expect(lines[1]).toMatch(
        /^lpa: Insert of 2 row\(s\) into raw_ai_stream_status failed after 1 attempt\(s\): .*storage View/,
      );
      await new Promise((resolve) => setTimeout(resolve, 20));
      expect(unhandled).toEqual([]);
      // The executor was closed cleanly: the same embedded engine is still usable.
      expect(await queryJson("SELECT 1 AS one")).toEqual([{ one: 1 }]);
    } finally {
      process.off("unhandledRejection", onUnhandled);
    }
  });

  it("refuses a database whose tables an older schema version created", async () => {
    const database = "lpa_cli_old_schema";
    for (const sql of [
      `CREATE DATABASE IF NOT EXISTS ${database}`,
      `CREATE TABLE IF NOT EXISTS ${database}.lpa_schema_version (schema_version UInt32, checksum String) ENGINE = MergeTree ORDER BY schema_version`,
      `INSERT INTO ${database}.lpa_schema_version SELECT 1, 'old'`,
    ])
      expect((await lpa(["query", sql, "--clickhouse", target])).code).toBe(0);
    const args = ["replay", fixture, "--clickhouse", target, "--database", database, "--json"];
    const refused = await lpa(args);
    expect(refused.code).toBe(1);
    expect(refused.err.trimEnd().split("\n").at(-1)).toMatch(
      /^lpa: database lpa_cli_old_schema was created by schema version 1 .*--reset-database/,
    );
    const reset = await lpa([...args, "--reset-database", "--no-assertions"]);
    expect(reset.code, reset.err).toBe(0);
  });

  it("stores out-of-range values by one rule in JSONL and ClickHouse, and reports them", async () => {
    const out = join(dir, "out-of-range");
    const extra = join(dir, "out-of-range.jsonl");
    // Year 5138 does not fit DateTime64 (1900–2299); 10^11 ms does not fit UInt32.
    writeFileSync(
      extra,
      [
        JSON.stringify({
          id: "far-future-payment",
          type: "create_new_payment",
          timestamp: 99999999999999,
          gateway: "gw",
          data: {
            capability: "",
            clientIP: "",
            faceValue: "1 WEI",
            manifestID: "m",
            numTickets: "1",
            orchestrator: "https://far",
            price: "1 wei/pixel",
            recipient: "0xr",
            requestID: "far",
            sender: "0xs",
            sessionID: "s",
            winProb: "0.5",
          },
        }),
        JSON.stringify({
          id: "slow-discovery",
          type: "discovery_results",
          timestamp: 1767909000000,
          gateway: "gw",
          data: [{ address: "0xslow", url: "https://slow", latency_ms: 100000000000 }],
        }),
      ].join("\n") + "\n",
    );
    const database = "lpa_cli_out_of_range";
    const r = await lpa([
      "replay",
      fixture,
      extra,
      "--clickhouse",
      target,
      "--database",
      database,
      "--reset-database",
      "--out",
      out,
      "--json",
    ]);
    expect(r.code, r.err).toBe(0);
    const summary = JSON.parse(r.out) as ReplaySummary;
    expect(summary.counters["out_of_range_values"]).toBe(2);
    const jsonl = (table: string): Record<string, unknown>[] =>
      readFileSync(join(out, `${table}.jsonl`), "utf8")
        .trimEnd()
        .split("\n")
        .map((l) => JSON.parse(l) as Record<string, unknown>);
    // The far-future payment is stored as a raw row, or as a quarantine envelope when the engine
    // holds back implausible event times: either way its time does not fit DateTime64.
    const [farTable, farText] =
      existsSync(join(out, "raw_payment_events.jsonl")) &&
      readFileSync(join(out, "raw_payment_events.jsonl"), "utf8").includes("far-future-payment")
        ? ["raw_payment_events", "raw_json"]
        : ["raw_streaming_events_quarantine", "payload_body"];
    const far = jsonl(farTable).find((r) => String(r[farText]).includes("far-future-payment"));
    const discovery = jsonl("raw_discovery_results").find((d) =>
      String(d["raw_json"]).includes("0xslow"),
    );
    // The JSONL rows hold what ClickHouse stores (NULL, or the column default), not the input.
    expect(far?.["event_timestamp"]).toBe(farTable === "raw_payment_events" ? 0 : null);
    expect(discovery?.["latency_ms"]).toBe(0);
    const stored = async (sql: string): Promise<Record<string, unknown>[]> => {
      const q = await lpa([
        "query",
        sql,
        "--clickhouse",
        target,
        "--database",
        database,
        "--format",
        "json",
      ]);
      expect(q.code, q.err).toBe(0);
      return JSON.parse(q.out) as Record<string, unknown>[];
    };
    const ms = (
      await stored(
        `SELECT toUnixTimestamp64Milli(event_timestamp) AS ms FROM ${farTable} FINAL WHERE position(${farText}, 'far-future-payment') > 0`,
      )
    ).map((r) => (r["ms"] === null ? null : Number(r["ms"])));
    expect(ms).toEqual([far?.["event_timestamp"]]);
    expect(
      await stored(
        "SELECT latency_ms FROM raw_discovery_results FINAL WHERE position(raw_json, '0xslow') > 0",
      ),
    ).toEqual([{ latency_ms: discovery?.["latency_ms"] }]);
    // The text summary reports the counter too (in its table of nonzero counters).
    expect(renderReplaySummary(summary)).toMatch(/^out_of_range_values +2$/m);
  });

  it("lpa query prints tables, vertical records and errors", async () => {
    const table = await lpa([
      "query",
      "SELECT 1 AS one, 'x' AS s, NULL AS nothing",
      "--clickhouse",
      target,
    ]);
    expect(table.code).toBe(0);
    expect(table.out).toBe("one  s  nothing\n---  -  -------\n  1  x  NULL\n(1 row)\n");
    const vertical = await lpa([
      "query",
      "SELECT 2 AS two",
      "--clickhouse",
      target,
      "--format",
      "vertical",
    ]);
    expect(vertical.out).toBe("-- row 1 --\ntwo: 2\n(1 row)\n");
    const bad = await lpa(["query", "SELEC nonsense", "--clickhouse", target]);
    expect(bad.code).toBe(1);
    expect(bad.err).toMatch(/^lpa: .*Syntax error/m);
    const usage = await lpa(["query", "--clickhouse", target]);
    expect(usage.code).toBe(2);
  });

  it("rejects a malformed target as a usage error", async () => {
    const r = await lpa(["replay", fixture, "--clickhouse", "ftp://nowhere"]);
    expect(r.code).toBe(2);
    expect(r.err).toMatch(/--clickhouse: .*expected embedded/);
  });

  it.runIf(process.env["CLICKHOUSE_URL"] !== undefined)(
    "runs the same replay against CLICKHOUSE_URL",
    async () => {
      const url = process.env["CLICKHOUSE_URL"]!;
      const { code, summary } = await replayInto(url, ["--database", "lpa_cli_test"]);
      expect(code).toBe(0);
      expect(summary.clickhouse!.assertions!.filter((a) => !a.passed)).toEqual([]);
    },
  );
});

describe("lpa ddl", () => {
  it("prints tables then views; --tables-only and --no-ttl change the script", async () => {
    const all = await lpa(["ddl"]);
    expect(all.code).toBe(0);
    expect(all.out).toMatch(
      /CREATE TABLE IF NOT EXISTS `?livepeer_analytics`?\.`?fact_workflow_sessions/,
    );
    expect(all.out).toMatch(/CREATE OR REPLACE VIEW .*v_api_sla_compliance/);
    expect(all.out.indexOf("fact_workflow_sessions")).toBeLessThan(all.out.indexOf("v_api_"));
    const tables = await lpa(["ddl", "--tables-only", "--database", "other_db"]);
    expect(tables.out).not.toMatch(/v_api_/);
    expect(tables.out).toMatch(/other_db/);
    expect(all.out).toMatch(/\bTTL\b/);
    expect((await lpa(["ddl", "--no-ttl"])).out).not.toMatch(/\n\s*TTL\b/);
    expect((await lpa(["ddl", "--database", "bad name"])).code).toBe(2);
    // CLICKHOUSE_DATABASE as for every ClickHouse command; --database wins.
    vi.stubEnv("CLICKHOUSE_DATABASE", "env_db");
    try {
      expect((await lpa(["ddl", "--tables-only"])).out).toMatch(
        /`?env_db`?\.`?fact_workflow_sessions/,
      );
      expect((await lpa(["ddl", "--tables-only", "--database", "flag_db"])).out).not.toMatch(
        /env_db/,
      );
    } finally {
      vi.unstubAllEnvs();
    }
  });
});
