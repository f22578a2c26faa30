/**
 * `lpa replay --clickhouse`, `lpa query` and `lpa ddl` against embedded ClickHouse (chDB, one data
 * directory for this file: chDB allows one per process). If CLICKHOUSE_URL is set, the replay also
 * runs against that server.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { ASSERTIONS, VIEW_NAMES } from "@livepeer-analytics/clickhouse";
import { REAL_SAMPLE_EXPECTED, realFixturePath } from "@livepeer-analytics/testing/fixtures";
import { run } from "../src/main.js";
import { memoryIo } from "./support.js";
import type { ReplaySummary } from "../src/summary.js";

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
          "SELECT 'latency', count() FROM fact_workflow_latency_samples FINAL) ORDER BY t",
      );
    const once = await final();
    expect(once).toContainEqual({ t: "sessions", n: "1" });
    expect(once).toContainEqual({ t: "status", n: "17" });
    expect(once).toContainEqual({ t: "latency", n: "2" }); // v1 and v2
    // A second replay of the same file into the same database without a reset, this time with
    // every intermediate version: the versioned facts are identical after FINAL
    // (ReplacingMergeTree keeps the latest row per identity).
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
  });
});
