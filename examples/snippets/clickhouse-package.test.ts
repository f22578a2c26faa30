import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, expect, it, vi } from "vitest";
import { ASSERTION_NAMES } from "@livepeer-analytics/clickhouse";
import { createEngine, type EngineOutput } from "@livepeer-analytics/core/engine";
import { realEventLines } from "@livepeer-analytics/testing/fixtures";
import { clickhousePackage } from "./clickhouse-package.js";

const dir = mkdtempSync(join(tmpdir(), "lpa-snippet-clickhouse-package-"));

afterEach(() => {
  vi.unstubAllEnvs();
  rmSync(dir, { recursive: true, force: true });
});

it("applies the DDL, writes engine outputs and runs the assertion suite", async () => {
  vi.stubEnv("CLICKHOUSE_URL", `embedded:${dir}`);
  const engine = createEngine({ preset: "correction" });
  const state = engine.init();
  const outputs: EngineOutput[] = [];
  for (const value of realEventLines())
    outputs.push(...engine.stepInPlace(state, { record: { value }, now: 1_800_000_000_000 }));
  outputs.push(...engine.flushInPlace(state));
  const { executor, results } = await clickhousePackage(outputs);
  try {
    expect(results.map((r) => r.name)).toEqual([...ASSERTION_NAMES]);
    // Every query ran (row TTLs are on here, so pass/fail depends on the capture's age).
    expect(results.filter((r) => r.diagnostics["error"] !== undefined)).toEqual([]);
  } finally {
    await executor.close();
  }
}, 300_000); // the real ClickHouse engine in-process: slow on a busy machine
