import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, expect, test } from "vitest";
import { REAL_SAMPLE_EXPECTED, realFixturePath } from "@livepeer-analytics/testing/fixtures";
import { main } from "./main.js";

const dir = mkdtempSync(join(tmpdir(), "lpa-example-batch-clickhouse-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

test(
  "the real fixture into embedded ClickHouse, read back from the v_api views",
  { timeout: 300_000 }, // the real ClickHouse engine in-process: slow on a busy machine
  async () => {
    const summary = await main(realFixturePath("streaming-events-2026-01-08.jsonl"), dir);
    expect(summary.records).toBe(65);
    // Every typed raw row of the fixture, and one row per identity of the fact tables.
    expect(summary.inserted).toMatchObject(REAL_SAMPLE_EXPECTED.rowsByTable);
    expect(summary.inserted).toMatchObject({
      fact_workflow_sessions: 1,
      fact_workflow_session_segments: 1,
      fact_stream_status_samples: 17,
      fact_stream_trace_edges: 6,
    });
    expect(summary.sessions).toEqual([
      {
        id: "stream-o5s73x-mk5zc8fy|db936fab",
        orchestrator: "0xd00354656922168815fcd1e51cbddb9e359e3c7f",
      },
    ]);
    expect(summary.demand).toEqual({ sessions: 1, served: 1, unserved: 0 });
  },
);
