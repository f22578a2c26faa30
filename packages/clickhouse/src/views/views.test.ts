/**
 * The serving-layer DDL: statement shape and options, idempotent creation on empty tables, and the
 * specification's tests of each SDK fix on synthetic rows (11.8, 11.9, 11.13, 4.8, decision 46).
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  createSchema,
  firstRow,
  lastRow,
  replayRealSample,
  type PlainRow,
} from "../../test/views-support.js";
import { openTestDb } from "../../test/db.js";
import { insertRows } from "../../test/schema-support.js";
import { generateDdl } from "../schema/ddl.js";
import { ASSERTIONS, runAssertions } from "../assertions/index.js";
import {
  API_WRAPPERS,
  VIEW_DESCRIPTIONS,
  VIEW_NAMES,
  generateViewDdl,
  renderViewDdl,
  resolveViewOptions,
} from "./index.js";

const db = openTestDb("lpa-views-");

afterAll(async () => {
  await db.close();
});

const num = (row: PlainRow, key: string): number => Number(row[key]);

const RAW_TABLE =
  /(^|[^A-Za-z0-9_])(raw_streaming_events|raw_ai_stream_status|raw_stream_trace_events|raw_stream_ingest_metrics|raw_ai_stream_events|raw_network_capabilities\w*|raw_payment_events|raw_discovery_results)([^A-Za-z0-9_]|$)/;

function statementOf(name: string, statements: readonly string[]): string {
  const s = statements[VIEW_NAMES.indexOf(name as (typeof VIEW_NAMES)[number])];
  if (s === undefined) throw new Error(`no statement for ${name}`);
  return s;
}

describe("generateViewDdl", () => {
  it("returns one CREATE OR REPLACE VIEW per view name, in VIEW_NAMES order, qualified", () => {
    const statements = generateViewDdl();
    expect(statements).toHaveLength(VIEW_NAMES.length);
    statements.forEach((s, i) => {
      expect(
        s.startsWith(`CREATE OR REPLACE VIEW livepeer_analytics.${VIEW_NAMES[i] ?? ""} AS\n`),
      ).toBe(true);
    });
    // No statement contains a ";" of its own, so the rendered script may be split on ";".
    for (const s of statements) expect(s).not.toContain(";");
    for (const s of generateViewDdl({ database: "analytics_x" })) {
      expect(s).toMatch(/^CREATE OR REPLACE VIEW analytics_x\./);
      expect(s).not.toContain("livepeer_analytics.");
    }
  });

  it("lists every v_serving_* and v_api_* view of the specification, with a description each", () => {
    for (const name of [
      "latest_sessions",
      "agg_stream_performance_1m",
      "v_serving_gpu_metrics_1m",
      "v_serving_gpu_metrics_1h",
      "v_serving_network_demand_1h",
      "v_serving_network_supply_1h",
      "v_serving_sla_1h",
      "v_api_gpu_metrics",
      "v_api_gpu_metrics_1m",
      "v_api_network_demand",
      "v_api_network_demand_by_gpu",
      "v_api_sla_compliance",
      "v_api_jitter_5m",
      "v_api_session_identity",
      "v_health_rollup_freshness",
    ]) {
      expect(VIEW_NAMES).toContain(name);
    }
    expect(Object.keys(VIEW_DESCRIPTIONS).sort()).toEqual([...VIEW_NAMES].sort());
    const script = renderViewDdl({ database: "d" });
    for (const name of VIEW_NAMES)
      expect(script).toContain(`-- ${name}: ${VIEW_DESCRIPTIONS[name]}`);
    expect(script.endsWith(";\n")).toBe(true);
  });

  it("reads no raw table from any view (11.19) and keeps the API wrappers logic-free", () => {
    const statements = generateViewDdl();
    for (const s of statements) expect(s).not.toMatch(RAW_TABLE);
    for (const w of API_WRAPPERS) {
      const s = statementOf(w.name, statements);
      expect(s).not.toMatch(/\b(WHERE|GROUP BY|JOIN)\b/);
      expect(s).toContain(`FROM livepeer_analytics.${w.source}`);
    }
  });

  it("documents each reference fix next to it", () => {
    const s = generateViewDdl();
    expect(statementOf("agg_stream_performance_1m", s)).toMatch(
      /SDK fix \(ingest-and-storage\.md 3\.1\.1, 11\.8, 11\.9\)/,
    );
    const demand = statementOf("v_serving_network_demand_1h", s);
    expect(demand).toMatch(/SDK fix \(11\.10\): total_minutes are session-minutes/);
    expect(demand).toMatch(/SDK fix \(decision 46\)/);
    expect(demand).toMatch(/SDK fix \(11\.7, 11\.19\)/);
    expect(demand).toContain("toFloat64(p.face_value_wei)");
    const gpu = statementOf("v_serving_gpu_metrics_1h", s);
    expect(gpu).toMatch(/SDK fix \(11\.13\): every part normalizes nullable key parts/);
    expect(gpu).toMatch(/SDK fix \(11\.13\): terminal-tail artifacts are removed per session-hour/);
    expect(statementOf("v_serving_sla_1h", s)).toMatch(/SDK fix \(4\.8, 11\.11/);
    expect(statementOf("v_serving_network_supply_1h", s)).toMatch(/SDK fix \(11\.9\)/);
  });

  it("applies the options", () => {
    const strict = generateViewDdl({ servingIncludesMappedWindow: false });
    expect(statementOf("agg_stream_performance_1m", strict)).toContain(
      "attribution_source = 'direct'",
    );
    expect(
      statementOf("latest_latency", generateViewDdl({ servingEdgeSemanticsVersion: "v2" })),
    ).toContain("edge_semantics_version = 'v2'");
    expect(
      statementOf(
        "v_serving_network_demand_1h",
        generateViewDdl({ feeParsing: "strict-reference" }),
      ),
    ).toContain("toFloat64OrZero(p.face_value)");
    const uncapped = statementOf("v_serving_sla_1h", generateViewDdl({ capHealthRatio: false }));
    expect(uncapped).not.toContain("least(1, greatest(0,");
    const weighted = statementOf(
      "v_serving_sla_1h",
      generateViewDdl({
        slaWeights: { startup: 0.5, noSwap: 0.25, output: 0.25 },
        slaHealthMultiplier: false,
      }),
    );
    expect(weighted).toContain("(0.5 * ");
    expect(weighted).toContain("* 1 * 100");
    expect(statementOf("v_api_jitter_5m", generateViewDdl({ jitterMinSamples: 5 }))).toContain(
      "HAVING status_samples >= 5",
    );
  });

  it("rejects invalid options", () => {
    expect(() => generateViewDdl({ database: "a;DROP" })).toThrow(RangeError);
    expect(() => generateViewDdl({ jitterMinSamples: -1 })).toThrow(RangeError);
    expect(() =>
      generateViewDdl({ slaWeights: { startup: Number.NaN, noSwap: 0, output: 0 } }),
    ).toThrow(RangeError);
    expect(resolveViewOptions()).toMatchObject({
      database: "livepeer_analytics",
      servingEdgeSemanticsVersion: "v1",
      servingIncludesMappedWindow: true,
      capHealthRatio: true,
      feeParsing: "strip-units",
      jitterMinSamples: 10,
    });
  });
});

describe("views on empty tables", () => {
  const DB = "lpa_empty";

  beforeAll(async () => {
    for (let i = 0; i < 2; i += 1) {
      for (const q of generateDdl({ database: DB })) await db.command(q);
      for (const q of generateViewDdl({ database: DB })) await db.command(q);
    }
  });

  it("creates every view twice (idempotent) and selects from each without error", async () => {
    const present = await db.rows<{ name: string }>(
      `SELECT name FROM system.tables WHERE database = '${DB}' AND engine = 'View'`,
    );
    for (const name of VIEW_NAMES) expect(present.map((r) => r.name)).toContain(name);
    for (const name of VIEW_NAMES) {
      const rows = await db.rows(`SELECT * FROM ${DB}.${name}`);
      expect(rows.length, name).toBe(name === "v_health_rollup_freshness" ? 2 : 0);
    }
  });

  it("passes every assertion, vacuously where the population is empty", async () => {
    const results = await runAssertions(db, { database: DB });
    expect(results).toHaveLength(ASSERTIONS.length);
    expect(results.filter((r) => r.status !== "pass")).toEqual([]);
    const grain = results.find((r) => r.name === "latest_row_unique_fact_workflow_sessions");
    expect(grain?.message).toMatch(/^vacuous pass/);
    const parity = results.find(
      (r) => r.name === "agg_stream_performance_1m_matches_status_samples",
    );
    expect(parity?.diagnostics["failure_mode"]).toBe("EMPTY_BOTH");
  });
});

describe("SDK fixes on synthetic rows", () => {
  const DB = "lpa_fixes";
  const H = Date.UTC(2026, 0, 9, 10, 0, 0);
  const MIN = 60_000;
  const X = (n: number): string => `0x${String(n).padStart(40, "0")}`;
  let sessionTemplate: PlainRow = {};
  let statusTemplate: PlainRow = {};

  const session = (
    id: string,
    orch: string,
    gateway: string,
    start: number,
    end: number,
    over: PlainRow = {},
  ): PlainRow => ({
    ...sessionTemplate,
    workflow_session_id: id,
    stream_id: id,
    request_id: id,
    gateway,
    orchestrator_address: orch,
    pipeline: "p",
    model_id: "m",
    gpu_id: "g",
    session_start_ts: start,
    session_end_ts: end,
    version: 1,
    ...over,
  });
  const status = (
    id: string,
    orch: string,
    gateway: string,
    ts: number,
    fps: number,
    state: string,
    over: PlainRow = {},
  ): PlainRow => ({
    ...statusTemplate,
    workflow_session_id: id,
    stream_id: id,
    request_id: id,
    gateway,
    orchestrator_address: orch,
    pipeline: "p",
    model_id: "m",
    gpu_id: "g",
    sample_ts: ts,
    output_fps: fps,
    state,
    is_attributed: 1,
    attribution_source: "direct",
    source_event_uid: `${id}@${String(ts)}`,
    version: 1,
    ...over,
  });

  beforeAll(async () => {
    const outputs = replayRealSample();
    sessionTemplate = lastRow(outputs, "fact_workflow_sessions");
    statusTemplate = lastRow(outputs, "fact_stream_status_samples");
    await createSchema(db, DB);
    const sessions: PlainRow[] = [
      // 11.13 tail: A started the hour before and ends in it with one LOADING sample per hour; B is healthy.
      session("A", X(1), "gw-tail", H - 30 * MIN, H + 5 * MIN, { loading_only_session: 1 }),
      session("B", X(1), "gw-tail", H + 10 * MIN, H + 20 * MIN),
      // 11.13 keys: '' model in the session row, NULL in its status rows.
      session("C", X(2), "gw-null", H, H + 5 * MIN, { model_id: "" }),
      // 11.9: one session emitted as five versions.
      ...[1, 2, 3, 4, 5].map((v) => session("D", X(3), "gw-ver", H, H + 5 * MIN, { version: v })),
      // 11.8: same minute, orchestrator and GPU, different gateways.
      session("E1", X(4), "gw-a", H, H + MIN),
      session("E2", X(4), "gw-b", H, H + MIN),
      // 4.8: a known healthy session (3/3) and an unknown session with 2 signals in one SLA group.
      session("F", X(5), "gw-sla", H, H + 5 * MIN),
      session("G", X(5), "gw-sla", H, H + 5 * MIN, {
        known_stream: 0,
        startup_success: 0,
        served_session: 0,
        health_signal_count: 2,
        health_expected_signal_count: 0,
      }),
      // 3.8: the latest revision clears a value an older revision had (NULL must win).
      session("N", X(6), "gw-null-latest", H, H + 5 * MIN),
      // Decision 46: a session that streamed normally but stayed unattributed (shared hot wallet).
      session("U", "", "gw-amb", H, H + 5 * MIN, { attribution_source: "unattributed" }),
    ];
    const statuses: PlainRow[] = [
      status("A", X(1), "gw-tail", H - 10 * MIN, 0, "LOADING"),
      status("A", X(1), "gw-tail", H + 2 * MIN, 0, "LOADING"),
      ...[10, 11, 12].map((m) => status("B", X(1), "gw-tail", H + m * MIN, 20, "ONLINE")),
      ...[1, 2].map((m) =>
        status("C", X(2), "gw-null", H + m * MIN, 20, "ONLINE", { model_id: null }),
      ),
      ...[1, 2].map((m) => status("D", X(3), "gw-ver", H + m * MIN, 20, "ONLINE")),
      status("E1", X(4), "gw-a", H + 1000, 20, "ONLINE"),
      status("E2", X(4), "gw-b", H + 2000, 22, "ONLINE"),
      status("F", X(5), "gw-sla", H + MIN, 20, "ONLINE"),
      status("G", X(5), "gw-sla", H + MIN, 20, "ONLINE"),
    ];
    await insertRows(db, DB, "fact_workflow_sessions", sessions);
    await insertRows(db, DB, "fact_stream_status_samples", statuses);
    await db.command(`OPTIMIZE TABLE ${DB}.fact_stream_status_samples FINAL`);
  });

  it("removes a terminal-tail artifact per session-hour and keeps the healthy session (11.13)", async () => {
    const tail = await db.rows<PlainRow>(
      `SELECT workflow_session_id, toString(window_start) AS h FROM ${DB}.status_tail_artifact_session_hours`,
    );
    expect(tail).toEqual([{ workflow_session_id: "A", h: "2026-01-09 10:00:00.000" }]);
    const gpu = await db.rows<PlainRow>(
      `SELECT toString(window_start) AS h, status_samples, known_sessions FROM ${DB}.v_serving_gpu_metrics_1h
       WHERE orchestrator_address = '${X(1)}' ORDER BY window_start`,
    );
    expect(gpu.map((r) => [r["h"], num(r, "status_samples"), num(r, "known_sessions")])).toEqual([
      ["2026-01-09 09:00:00.000", 1, 1],
      ["2026-01-09 10:00:00.000", 3, 1],
    ]);
    const sla = await firstRow(
      db,
      `SELECT known_sessions, loading_only_sessions FROM ${DB}.v_serving_sla_1h
       WHERE orchestrator_address = '${X(1)}' AND window_start = toDateTime64('2026-01-09 10:00:00', 3, 'UTC')`,
    );
    expect(num(sla, "known_sessions")).toBe(1); // B only: A's tail hour is removed, not the key-hour
    expect(num(sla, "loading_only_sessions")).toBe(0);
  });

  it("reads NULL from the latest revision instead of an older non-NULL value (3.8)", async () => {
    // A separate insert with merges stopped, so both revisions are stored side by side.
    await db.command(`SYSTEM STOP MERGES ${DB}.fact_workflow_sessions`);
    await insertRows(db, DB, "fact_workflow_sessions", [
      session("N", X(6), "gw-null-latest", H, H + 5 * MIN, { version: 2, session_end_ts: null }),
    ]);
    const stored = await db.rows<PlainRow>(
      `SELECT version FROM ${DB}.fact_workflow_sessions WHERE workflow_session_id = 'N' ORDER BY version`,
    );
    expect(stored.map((r) => num(r, "version"))).toEqual([1, 2]);
    const rows = await db.rows<PlainRow>(
      `SELECT workflow_session_id, session_end_ts FROM ${DB}.latest_sessions WHERE workflow_session_id = 'N'`,
    );
    expect(rows.map((r) => [r["workflow_session_id"], r["session_end_ts"]])).toEqual([["N", null]]);
  });

  it("yields one GPU row when the model is '' in sessions and NULL in status samples (11.13)", async () => {
    const rows = await db.rows<PlainRow>(
      `SELECT model_id, status_samples, known_sessions FROM ${DB}.v_serving_gpu_metrics_1h
       WHERE orchestrator_address = '${X(2)}'`,
    );
    expect(rows).toEqual([{ model_id: null, status_samples: 2, known_sessions: 1 }]);
  });

  it("counts a session emitted as five versions once in every view (11.9)", async () => {
    const known = async (view: string, where: string): Promise<number> =>
      num(
        await firstRow(db, `SELECT sum(known_sessions) AS k FROM ${DB}.${view} WHERE ${where}`),
        "k",
      );
    expect(await known("v_serving_gpu_metrics_1h", `orchestrator_address = '${X(3)}'`)).toBe(1);
    expect(await known("v_serving_sla_1h", `orchestrator_address = '${X(3)}'`)).toBe(1);
    expect(await known("v_serving_network_supply_1h", `orchestrator_address = '${X(3)}'`)).toBe(1);
    expect(await known("v_serving_network_demand_1h", "gateway = 'gw-ver'")).toBe(1);
  });

  it("keeps rows of different gateways apart in agg_stream_performance_1m after OPTIMIZE FINAL (11.8)", async () => {
    const rows = await db.rows<PlainRow>(
      `SELECT gateway, countMerge(sample_count_state) AS samples, avgMerge(output_fps_avg_state) AS fps
       FROM ${DB}.agg_stream_performance_1m WHERE orchestrator_address = '${X(4)}'
       GROUP BY gateway ORDER BY gateway`,
    );
    expect(rows).toEqual([
      { gateway: "gw-a", samples: 1, fps: 20 },
      { gateway: "gw-b", samples: 1, fps: 22 },
    ]);
  });

  it("caps the health ratio so that sla_score stays in [0, 100]; capHealthRatio false reproduces 166.67 (4.8)", async () => {
    const query = `SELECT known_sessions, health_signal_count, health_expected_signal_count,
        health_completeness_ratio, sla_score FROM ${DB}.v_serving_sla_1h WHERE orchestrator_address = '${X(5)}'`;
    const capped = await firstRow(db, query);
    expect(num(capped, "known_sessions")).toBe(1);
    expect(num(capped, "health_signal_count")).toBe(5);
    expect(num(capped, "health_expected_signal_count")).toBe(3);
    expect(num(capped, "health_completeness_ratio")).toBe(1);
    expect(num(capped, "sla_score")).toBe(100);
    const reference = generateViewDdl({ database: DB, capHealthRatio: false });
    await db.command(statementOf("v_serving_sla_1h", reference));
    try {
      const uncapped = await firstRow(db, query);
      expect(num(uncapped, "sla_score")).toBeCloseTo(166.67, 2);
      // ...which the bounds assertion reports (5.3 #49 / readiness sla_compliance_rollup_safe).
      const [bounds] = await runAssertions(db, {
        database: DB,
        capHealthRatio: false,
        only: ["sla_compliance_rollup_safe"],
      });
      expect(bounds?.status).toBe("fail");
      expect(bounds?.diagnostics).toMatchObject({
        health_ratio_above_one: 1,
        sla_score_out_of_bounds: 1,
      });
    } finally {
      await db.command(statementOf("v_serving_sla_1h", generateViewDdl({ database: DB })));
    }
  });

  it("counts an unattributed session that streamed as served demand (decision 46)", async () => {
    const r = await firstRow(
      db,
      `SELECT known_sessions, served_sessions, unserved_sessions FROM ${DB}.v_serving_network_demand_1h
       WHERE gateway = 'gw-amb'`,
    );
    expect([
      num(r, "known_sessions"),
      num(r, "served_sessions"),
      num(r, "unserved_sessions"),
    ]).toEqual([1, 1, 0]);
  });
});
