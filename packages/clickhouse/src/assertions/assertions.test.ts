/**
 * The assertion suite: its evaluation contract, and each family failing on deliberately broken data
 * (the real 2026-01-08 sample loaded into a fresh database per scenario, then broken).
 */
import { afterAll, beforeAll, describe, expect, expectTypeOf, it } from "vitest";
import type { EngineOutput } from "@livepeer-analytics/core/engine";
import {
  createSchema,
  insertOutputs,
  lastRow,
  replayRealSample,
} from "../../test/views-support.js";
import { openTestDb } from "../../test/db.js";
import { insertRows } from "../../test/schema-support.js";
import type { ClickHouseExecutor } from "../executor/index.js";
import { VIEW_NAMES, generateViewDdl } from "../views/index.js";
import {
  ASSERTIONS,
  ASSERTION_NAMES,
  assertionContext,
  evaluateAssertionRow,
  renderAssertionSql,
  runAssertions,
  type AssertionDefinition,
  type AssertionExecutor,
  type AssertionFamily,
  type AssertionOptions,
  type AssertionResult,
} from "./index.js";

const db = openTestDb("lpa-views-");
let outputs: EngineOutput[] = [];

const HOT_WALLET = "0x52cf2968b3dc6016778742d3539449a6597d5954";

beforeAll(() => {
  outputs = replayRealSample();
});

afterAll(async () => {
  await db.close();
});

/** Creates `database` with tables and views; `beforeLoad` runs before the sample is inserted. */
async function sampleDb(database: string, beforeLoad?: () => Promise<void>): Promise<void> {
  await createSchema(db, database);
  if (beforeLoad !== undefined) await beforeLoad();
  await insertOutputs(db, database, outputs);
}

async function check(
  database: string,
  names: readonly string[],
  options: AssertionOptions = {},
): Promise<Record<string, AssertionResult>> {
  const results = await runAssertions(db, { ...options, database, only: names });
  return Object.fromEntries(results.map((r) => [r.name, r]));
}

function result(results: Record<string, AssertionResult>, name: string): AssertionResult {
  const r = results[name];
  if (r === undefined) throw new Error(`no result for ${name}`);
  return r;
}

function viewStatement(database: string, name: string): string {
  const s = generateViewDdl({ database })[VIEW_NAMES.indexOf(name as (typeof VIEW_NAMES)[number])];
  if (s === undefined) throw new Error(`no statement for ${name}`);
  return s;
}

describe("assertion definitions and evaluation", () => {
  const def: AssertionDefinition = {
    name: "x",
    family: "grain_uniqueness",
    severity: "error",
    description: "d",
    sql: () => "SELECT 0 AS failed_rows",
  };

  it("covers every family with unique names and renders the §5.1 harness file", () => {
    const families: AssertionFamily[] = [
      "grain_uniqueness",
      "additive_consistency",
      "latency_validity",
      "served_unserved",
      "wrapper_parity",
      "rollup_parity",
      "attribution_kpi",
      "canonical_identity",
      "serving_purity",
    ];
    expect(new Set(ASSERTIONS.map((a) => a.family))).toEqual(new Set(families));
    expect(new Set(ASSERTION_NAMES).size).toBe(ASSERTIONS.length);
    const file = renderAssertionSql({ database: "d" });
    for (const name of ASSERTION_NAMES) expect(file).toContain(`-- TEST: ${name}\n`);
    expect(file.split("-- TEST: ")).toHaveLength(ASSERTIONS.length + 1);
    const ctx = assertionContext({ database: "d" });
    for (const a of ASSERTIONS) {
      expect(a.sql(ctx), a.name).not.toContain(";");
      expect(a.sql(ctx), a.name).toContain("failed_rows");
    }
  });

  it("evaluates failed_rows, warn_rows and checked_rows by severity", () => {
    expect(evaluateAssertionRow(undefined, def).status).toBe("fail");
    expect(evaluateAssertionRow({ checked_rows: 3 }, def).status).toBe("fail");
    expect(evaluateAssertionRow({ failed_rows: "2" }, def)).toMatchObject({ status: "fail" });
    expect(evaluateAssertionRow({ failed_rows: 1 }, { ...def, severity: "warning" }).status).toBe(
      "warn",
    );
    expect(evaluateAssertionRow({ failed_rows: 1 }, { ...def, severity: "info" }).status).toBe(
      "pass",
    );
    expect(evaluateAssertionRow({ failed_rows: 0, warn_rows: 1 }, def).status).toBe("warn");
    expect(evaluateAssertionRow({ failed_rows: 0, checked_rows: 0 }, def)).toEqual({
      status: "pass",
      message: "vacuous pass: nothing to check (the checked tables or views are empty)",
    });
    expect(evaluateAssertionRow({ failed_rows: 0, checked_rows: 4 }, def)).toEqual({
      status: "pass",
      message: "ok (4 checked)",
    });
  });

  it("runs on the package's ClickHouseExecutor", () => {
    expectTypeOf<ClickHouseExecutor>().toExtend<AssertionExecutor>();
  });

  it("turns a query error into a failing result and validates `only`", async () => {
    const failing = { query: () => Promise.reject(new Error("boom")) };
    const results = await runAssertions(failing, { only: ["serving_views_present"] });
    expect(results).toEqual([
      expect.objectContaining({
        name: "serving_views_present",
        status: "fail",
        diagnostics: { error: "boom" },
      }),
    ]);
    await expect(runAssertions(failing, { only: ["no_such_assertion"] })).rejects.toThrow(
      RangeError,
    );
    await expect(runAssertions(failing, { thresholds: { tolerance: Number.NaN } })).rejects.toThrow(
      RangeError,
    );
  });
});

describe("assertions fail on broken data", () => {
  it("grain uniqueness: two latest rows with different content for one session and one status key", async () => {
    const DB = "lpa_broken_grain";
    await sampleDb(DB, async () => {
      await db.command(`SYSTEM STOP MERGES ${DB}.fact_workflow_sessions`);
      await db.command(`SYSTEM STOP MERGES ${DB}.fact_stream_status_samples`);
      await db.command(`SYSTEM STOP MERGES ${DB}.fact_stream_trace_edges`);
    });
    const session = lastRow(outputs, "fact_workflow_sessions");
    const sample = lastRow(outputs, "fact_stream_status_samples");
    await insertRows(db, DB, "fact_workflow_sessions", [{ ...session, gpu_id: "GPU-other" }]);
    await insertRows(db, DB, "fact_stream_status_samples", [
      { ...sample, orchestrator_address: "0x1111111111111111111111111111111111111111" },
    ]);
    // A redelivered trace row (identical content, later ingestion time) is not a grain violation.
    await insertRows(db, DB, "fact_stream_trace_edges", [
      lastRow(outputs, "fact_stream_trace_edges"),
    ]);
    const r = await check(DB, [
      "latest_row_unique_fact_workflow_sessions",
      "latest_row_unique_fact_stream_status_samples",
      "latest_row_unique_fact_stream_trace_edges",
    ]);
    const sessions = result(r, "latest_row_unique_fact_workflow_sessions");
    expect(sessions.status).toBe("fail");
    expect(sessions.diagnostics).toMatchObject({ checked_rows: 1, failed_rows: 1 });
    expect(sessions.diagnostics["examples"]).toContain("stream-o5s73x-mk5zc8fy|db936fab");
    const status = result(r, "latest_row_unique_fact_stream_status_samples");
    expect(status.status).toBe("fail");
    expect(status.diagnostics).toMatchObject({ checked_rows: 17, failed_rows: 1 });
    expect(result(r, "latest_row_unique_fact_stream_trace_edges").status).toBe("pass");
  });

  it("rollup parity: disjoint keys on both non-empty sides fail with overlap diagnostics", async () => {
    const DB = "lpa_broken_parity";
    await sampleDb(DB);
    // The rollup's minutes moved by a day: both sides keep 3 rows, no key in common.
    await db.command(
      viewStatement(DB, "agg_stream_performance_1m").replace(
        " AS window_start,",
        " + INTERVAL 1 DAY AS window_start,",
      ),
    );
    // A wrapper that silently drops rows.
    await db.command(`${viewStatement(DB, "v_api_sla_compliance")}\nWHERE 0`);
    const r = await check(DB, [
      "agg_stream_performance_1m_matches_status_samples",
      "wrapper_parity_v_api_sla_compliance",
      "wrapper_parity_v_api_gpu_metrics",
    ]);
    const parity = result(r, "agg_stream_performance_1m_matches_status_samples");
    expect(parity.status).toBe("fail");
    expect(parity.message).toContain("NO_OVERLAP_BOTH_NONEMPTY");
    expect(parity.diagnostics).toMatchObject({
      rollup_rows: 3,
      view_rows: 3,
      joined_rows: 0,
      rollup_only_keys: 3,
      view_only_keys: 3,
      rollup_empty_gateway_rows: 3,
      view_empty_orchestrator_address_rows: 0,
      failure_mode: "NO_OVERLAP_BOTH_NONEMPTY",
      failed_rows: 1,
    });
    const wrapper = result(r, "wrapper_parity_v_api_sla_compliance");
    expect(wrapper.status).toBe("fail");
    expect(wrapper.diagnostics).toMatchObject({
      rollup_rows: 1,
      view_rows: 0,
      rollup_only_keys: 1,
      failure_mode: "KEY_MISMATCH",
    });
    expect(result(r, "wrapper_parity_v_api_gpu_metrics").status).toBe("pass");
  });

  it("latency validity and served/unserved: a negative latency and an inconsistent session revision", async () => {
    const DB = "lpa_broken_latency";
    await sampleDb(DB);
    const v1 = outputs
      .filter((o) => o.kind === "row" && o.table === "fact_workflow_latency_samples")
      .map((o) => (o.kind === "row" ? (o.row as unknown as Record<string, unknown>) : {}))
      .filter((row) => row["edge_semantics_version"] === "v1")
      .at(-1);
    // The fixture's v1 latency row (ingest-and-storage.md §10.3), before it is broken below.
    expect(v1).toMatchObject({
      edge_semantics_version: "v1",
      prompt_to_first_frame_ms: 2655,
      startup_time_ms: 4089,
      e2e_latency_ms: 6744,
    });
    await insertRows(db, DB, "fact_workflow_latency_samples", [
      { ...v1, version: 1000, startup_time_ms: -5 },
    ]);
    const session = lastRow(outputs, "fact_workflow_sessions");
    await insertRows(db, DB, "fact_workflow_sessions", [
      { ...session, version: 1000, served_session: 1, unserved_session: 1 },
    ]);
    const r = await check(DB, [
      "latency_fields_nonnegative",
      "latency_flags_consistent",
      "gpu_metrics_latency_fields_nonnegative",
      "latency_v1_e2e_is_sum_of_parts",
      "session_served_unserved_partition",
      "network_demand_served_unserved_consistency",
    ]);
    const negative = result(r, "latency_fields_nonnegative");
    expect(negative.status).toBe("fail");
    expect(negative.diagnostics).toMatchObject({
      checked_rows: 2,
      negative_startup_time_ms: 1,
      failed_rows: 1,
    });
    expect(result(r, "latency_flags_consistent").status).toBe("pass");
    expect(result(r, "gpu_metrics_latency_fields_nonnegative").status).toBe("fail");
    expect(result(r, "latency_v1_e2e_is_sum_of_parts").status).toBe("warn");
    const partition = result(r, "session_served_unserved_partition");
    expect(partition.status).toBe("fail");
    expect(partition.diagnostics).toMatchObject({ partition_violations: 1, reason_violations: 1 });
    expect(result(r, "network_demand_served_unserved_consistency").status).toBe("fail");
  });

  it("canonical identity: a hot wallet in a fact fails", async () => {
    const DB = "lpa_broken_identity";
    await sampleDb(DB);
    const sample = lastRow(outputs, "fact_stream_status_samples");
    await insertRows(db, DB, "fact_stream_status_samples", [
      { ...sample, source_event_uid: "hot-wallet-sample", orchestrator_address: HOT_WALLET },
    ]);
    const r = await check(DB, ["facts_use_canonical_orchestrator_identity"]);
    const identity = result(r, "facts_use_canonical_orchestrator_identity");
    expect(identity.status).toBe("fail");
    expect(identity.diagnostics).toMatchObject({
      canonical_addresses: 1,
      non_canonical_rows: 1,
      non_canonical_addresses: 1,
      hot_wallet_addresses: 1,
    });
    expect(identity.diagnostics["examples"]).toContain(`fact_stream_status_samples:${HOT_WALLET}`);
  });

  it("serving purity: a view reading raw_payment_events and a missing view fail", async () => {
    const DB = "lpa_broken_purity";
    await createSchema(db, DB);
    await db.command(
      `CREATE OR REPLACE VIEW ${DB}.v_api_raw_fees AS SELECT * FROM ${DB}.raw_payment_events`,
    );
    await db.command(`DROP VIEW ${DB}.v_api_sla_compliance`);
    const r = await check(DB, ["serving_views_do_not_read_raw_tables", "serving_views_present"]);
    const purity = result(r, "serving_views_do_not_read_raw_tables");
    expect(purity.status).toBe("fail");
    expect(purity.diagnostics["offending_views"]).toBe("['v_api_raw_fees']");
    const present = result(r, "serving_views_present");
    expect(present.status).toBe("fail");
    expect(present.diagnostics["missing_views"]).toBe("['v_api_sla_compliance']");
  });

  it("attribution KPIs: the empty-key rate follows the configured thresholds", async () => {
    const DB = "lpa_broken_kpi";
    await sampleDb(DB);
    const sample = lastRow(outputs, "fact_stream_status_samples");
    await insertRows(db, DB, "fact_stream_status_samples", [
      {
        ...sample,
        source_event_uid: "unattributed-sample",
        orchestrator_address: "",
        pipeline: "",
        model_id: null,
        gpu_id: null,
        is_attributed: 0,
        attribution_source: "unattributed",
      },
    ]);
    const name = "empty_key_rate_status_samples";
    const byDefault = result(await check(DB, [name]), name);
    expect(byDefault.status).toBe("fail"); // 1 / 18 ≈ 0.056 > 0.05
    expect(byDefault.diagnostics).toMatchObject({ checked_rows: 18, empty_key_rows: 1 });
    const loose = { thresholds: { emptyKeyRate: { warn: 0.02, fail: 0.1 } } };
    expect(result(await check(DB, [name], loose), name).status).toBe("warn");
    const looser = { thresholds: { emptyKeyRate: { warn: 0.1, fail: 0.2 } } };
    expect(result(await check(DB, [name], looser), name).status).toBe("pass");
  });
});
