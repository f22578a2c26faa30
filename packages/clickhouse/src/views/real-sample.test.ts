/**
 * The real 2026-01-08 sample replayed through the engine (`edgeSemanticsVersions: ["v1", "v2"]`),
 * inserted with the row mappers into an embedded ClickHouse, read through the serving views:
 * the expected outcomes of `ingest-and-storage.md` §10.3 with the SDK fixes applied, and a clean
 * assertion suite.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  createSchema,
  firstRow,
  insertOutputs,
  replayRealSample,
  type PlainRow,
} from "../../test/views-support.js";
import { openTestDb } from "../../test/db.js";
import { ASSERTIONS, runAssertions } from "../assertions/index.js";

const DB = "lpa_real";
/** Same sample, views generated with the non-default options. */
const DB_OPTIONS = "lpa_real_options";
const db = openTestDb("lpa-views-");

beforeAll(async () => {
  const outputs = replayRealSample();
  await createSchema(db, DB);
  await insertOutputs(db, DB, outputs);
  await createSchema(db, DB_OPTIONS, {
    servingEdgeSemanticsVersion: "v2",
    feeParsing: "strict-reference",
    jitterMinSamples: 5,
    servingIncludesMappedWindow: false,
  });
  await insertOutputs(db, DB_OPTIONS, outputs);
});

afterAll(async () => {
  await db.close();
});

const num = (row: PlainRow, key: string): number => Number(row[key]);

describe("serving views over the real sample (§10.3)", () => {
  it("attributes all 17 status samples in the default correction mode", async () => {
    const row = await firstRow(
      db,
      `SELECT count() AS n, countIf(is_attributed = 1) AS attributed FROM ${DB}.latest_status`,
    );
    expect(num(row, "n")).toBe(17);
    expect(num(row, "attributed")).toBe(17);
  });

  it("reports FPS per minute: samples, average and jitter coefficient", async () => {
    const rows = await db.rows<PlainRow>(
      `SELECT toString(window_start) AS minute, status_samples, avg_output_fps, jitter_coeff_fps, total_sessions
       FROM ${DB}.v_serving_gpu_metrics_1m ORDER BY window_start`,
    );
    expect(rows.map((r) => r["minute"])).toEqual([
      "2026-01-08 21:49:00.000",
      "2026-01-08 21:50:00.000",
      "2026-01-08 21:51:00.000",
    ]);
    const expected = [
      [5, 17.1896, 0.0039],
      [6, 16.4864, 0.0367],
      [6, 14.5221, 0.1665],
    ] as const;
    rows.forEach((r, i) => {
      const [samples, avg, jitter] = expected[i] ?? [0, 0, 0];
      expect(num(r, "status_samples")).toBe(samples);
      expect(num(r, "avg_output_fps")).toBeCloseTo(avg, 4);
      expect(num(r, "jitter_coeff_fps")).toBeCloseTo(jitter, 4);
      expect(num(r, "total_sessions")).toBe(1);
    });
  });

  it("reports the hour 21:00 on the GPU view with latency v1 and the capability dimension", async () => {
    const rows = await db.rows<PlainRow>(`SELECT * FROM ${DB}.v_serving_gpu_metrics_1h`);
    expect(rows).toHaveLength(1);
    const r = rows[0] ?? {};
    expect(r["window_start"]).toBe("2026-01-08 21:00:00.000");
    expect(r["orchestrator_address"]).toBe("0xd00354656922168815fcd1e51cbddb9e359e3c7f");
    expect(r["pipeline"]).toBe("live-video-to-video");
    expect(r["model_id"]).toBe("streamdiffusion-sdxl-faceid");
    expect(r["gpu_id"]).toBe("GPU-a8d13655-197b-2226-d09f-b4b81e07504b");
    expect(num(r, "status_samples")).toBe(17);
    expect(num(r, "avg_output_fps")).toBeCloseTo(15.99995, 4);
    expect(num(r, "jitter_coeff_fps")).toBeCloseTo(0.1163, 4);
    expect(r["gpu_name"]).toBe("NVIDIA GeForce RTX 5090");
    expect(r["runner_version"]).toBe("0.14.0");
    expect(r["cuda_version"]).toBeNull(); // the GPU reports no minor version
    expect(num(r, "prompt_to_first_frame_ms")).toBe(2655);
    expect(num(r, "startup_time_ms")).toBe(4089);
    expect(num(r, "startup_time_s")).toBeCloseTo(4.089, 9);
    expect(num(r, "e2e_latency_ms")).toBe(6744);
    expect(num(r, "known_sessions")).toBe(1);
    expect(num(r, "startup_success_sessions")).toBe(1);
    expect(num(r, "health_completeness_ratio")).toBe(1);
    expect(num(r, "failure_rate")).toBe(0);
  });

  it("keeps the 21:50 jitter bucket (12 samples) and drops 21:45 (5 samples) under the V-B ≥ 10 rule", async () => {
    const rows = await db.rows<PlainRow>(
      `SELECT toString(window_start_5m) AS bucket, status_samples, avg_output_fps, jitter_coeff_fps
       FROM ${DB}.v_api_jitter_5m ORDER BY window_start_5m`,
    );
    expect(rows).toHaveLength(1);
    const r = rows[0] ?? {};
    expect(r["bucket"]).toBe("2026-01-08 21:50:00.000");
    expect(num(r, "status_samples")).toBe(12);
    expect(num(r, "avg_output_fps")).toBeCloseTo(15.5043, 4);
    expect(num(r, "jitter_coeff_fps")).toBeCloseTo(0.1301, 4);
  });

  it("reports session-minutes, served/unserved and parsed fees on the demand view", async () => {
    const rows = await db.rows<PlainRow>(`SELECT * FROM ${DB}.v_serving_network_demand_1h`);
    expect(rows).toHaveLength(1);
    const r = rows[0] ?? {};
    expect(num(r, "total_minutes")).toBe(3); // reference: 17 / 60 ≈ 0.283
    expect(num(r, "total_sessions")).toBe(1);
    expect(num(r, "known_sessions")).toBe(1);
    expect(num(r, "served_sessions")).toBe(1);
    expect(num(r, "unserved_sessions")).toBe(0);
    expect(num(r, "total_demand_sessions")).toBe(1);
    expect(num(r, "fee_payment_eth")).toBeCloseTo(0.0024024, 12); // reference: 0
    expect(num(r, "avg_output_fps")).toBeCloseTo(16.0, 2);
    expect(num(r, "startup_success_ratio")).toBe(1);
    expect(num(r, "success_ratio")).toBe(1);
    expect(r).not.toHaveProperty("missing_capacity_count");
  });

  it("parses face_value_wei on all 6 payments; only the one with a requestID joins", async () => {
    const row = await firstRow(
      db,
      `SELECT count() AS n, countIf(face_value_wei IS NOT NULL) AS parsed,
          sum(toFloat64(face_value_wei)) / 1e18 AS total_eth, countIf(request_id != '') AS with_request
       FROM ${DB}.fact_payments`,
    );
    expect(num(row, "n")).toBe(6);
    expect(num(row, "parsed")).toBe(6);
    expect(num(row, "total_eth")).toBeCloseTo(0.0144048, 12);
    expect(num(row, "with_request")).toBe(1);
  });

  it("reports session-minutes, GPU type, capacity and fees on the supply view", async () => {
    const rows = await db.rows<PlainRow>(`SELECT * FROM ${DB}.v_serving_network_supply_1h`);
    expect(rows).toHaveLength(1);
    const r = rows[0] ?? {};
    expect(r["gpu_type"]).toBe("NVIDIA GeForce RTX 5090");
    expect(num(r, "used_inference_minutes")).toBe(3);
    expect(num(r, "available_capacity_minutes")).toBe(0); // the model constraint has no capacity
    expect(num(r, "capacity_rate")).toBe(0);
    expect(num(r, "known_sessions")).toBe(1);
    expect(num(r, "served_sessions")).toBe(1);
    expect(num(r, "fee_payment_eth")).toBeCloseTo(0.0024024, 12);
  });

  it("scores SLA within [0, 100]", async () => {
    const r = await firstRow(db, `SELECT * FROM ${DB}.v_serving_sla_1h`);
    expect(num(r, "known_sessions")).toBe(1);
    expect(num(r, "sla_score")).toBeGreaterThanOrEqual(0);
    expect(num(r, "sla_score")).toBeLessThanOrEqual(100);
    expect(num(r, "sla_score")).toBe(100);
    expect(num(r, "health_completeness_ratio")).toBe(1);
  });

  it("exposes the same values under V-C names in the API wrappers", async () => {
    const demand = await firstRow(db, `SELECT * FROM ${DB}.v_api_network_demand`);
    expect(demand["pipeline_id"]).toBe("live-video-to-video");
    expect(num(demand, "sessions_count")).toBe(1);
    expect(num(demand, "ticket_face_value_eth")).toBeCloseTo(0.0024024, 12);
    expect(num(demand, "effective_success_rate")).toBe(1);
    const gpu = await firstRow(db, `SELECT * FROM ${DB}.v_api_gpu_metrics`);
    expect(num(gpu, "fps_jitter_coefficient")).toBeCloseTo(0.1163, 4);
    expect(num(gpu, "avg_startup_latency_ms")).toBe(4089);
    expect(gpu["gpu_model_name"]).toBe("NVIDIA GeForce RTX 5090");
    expect(gpu).not.toHaveProperty("startup_time_s");
    const sla = await firstRow(db, `SELECT * FROM ${DB}.v_api_sla_compliance`);
    expect(num(sla, "sla_score")).toBe(100);
    expect(num(sla, "no_swap_rate")).toBe(1);
    const byGpu = await firstRow(db, `SELECT * FROM ${DB}.v_api_network_demand_by_gpu`);
    expect(num(byGpu, "used_inference_minutes")).toBe(3);
    expect(byGpu["gpu_model_name"]).toBe("NVIDIA GeForce RTX 5090");
  });

  it("passes every assertion of the suite", async () => {
    const results = await runAssertions(db, { database: DB });
    expect(results).toHaveLength(ASSERTIONS.length);
    const notPassing = results.filter((r) => r.status !== "pass");
    expect(notPassing).toEqual([]);
    const parity = results.find(
      (r) => r.name === "agg_stream_performance_1m_matches_status_samples",
    );
    expect(parity?.diagnostics).toMatchObject({ rollup_rows: 3, view_rows: 3, joined_rows: 3 });
  });
});

describe("serving views over the real sample with non-default options", () => {
  it("reads the v2 latency definition when servingEdgeSemanticsVersion is v2", async () => {
    const r = await firstRow(db, `SELECT * FROM ${DB_OPTIONS}.v_serving_gpu_metrics_1h`);
    expect(num(r, "startup_time_ms")).toBe(2655);
    expect(num(r, "e2e_latency_ms")).toBe(105);
    expect(num(r, "prompt_to_first_frame_ms")).toBe(6435);
  });

  it("reproduces the reference fee of 0 with feeParsing strict-reference", async () => {
    const r = await firstRow(
      db,
      `SELECT fee_payment_eth FROM ${DB_OPTIONS}.v_serving_network_demand_1h`,
    );
    expect(num(r, "fee_payment_eth")).toBe(0);
  });

  it("keeps the 21:45 bucket with jitterMinSamples 5 (V-C)", async () => {
    const rows = await db.rows<PlainRow>(
      `SELECT toString(window_start_5m) AS bucket, status_samples, avg_output_fps
       FROM ${DB_OPTIONS}.v_api_jitter_5m ORDER BY window_start_5m`,
    );
    expect(rows.map((r) => [r["bucket"], num(r, "status_samples")])).toEqual([
      ["2026-01-08 21:45:00.000", 5],
      ["2026-01-08 21:50:00.000", 12],
    ]);
    expect(num(rows[0] ?? {}, "avg_output_fps")).toBeCloseTo(17.1896, 4);
  });

  it("serves the same direct-attributed session under the strict eligibility policy", async () => {
    const r = await firstRow(
      db,
      `SELECT sum(known_sessions) AS known FROM ${DB_OPTIONS}.v_serving_sla_1h`,
    );
    expect(num(r, "known")).toBe(1);
    const results = await runAssertions(db, {
      database: DB_OPTIONS,
      servingEdgeSemanticsVersion: "v2",
      feeParsing: "strict-reference",
      jitterMinSamples: 5,
      servingIncludesMappedWindow: false,
    });
    expect(results).toHaveLength(ASSERTIONS.length);
    expect(results.filter((x) => x.status !== "pass")).toEqual([]);
  });
});
