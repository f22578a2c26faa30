import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, expect, it, vi } from "vitest";
import { realEventLines } from "@livepeer-analytics/testing/fixtures";
import { clickhouseGuide } from "./clickhouse-guide.js";

const dir = mkdtempSync(join(tmpdir(), "lpa-snippet-clickhouse-guide-"));

afterEach(() => {
  vi.unstubAllEnvs();
  vi.restoreAllMocks();
  rmSync(dir, { recursive: true, force: true });
});

it("loads the real session into embedded ClickHouse and passes every assertion", async () => {
  vi.stubEnv("CLICKHOUSE_URL", `embedded:${dir}`);
  const log = vi.spyOn(console, "log").mockImplementation(() => undefined);
  const executor = await clickhouseGuide(realEventLines());
  try {
    const statuses = log.mock.calls.map(([status, name]) => `${String(status)} ${String(name)}`);
    expect(statuses.length).toBeGreaterThan(50);
    expect(statuses.filter((s) => !s.startsWith("pass "))).toEqual([]);
    const [sessions] = await executor.query<{ n: string }>(
      "SELECT count() AS n FROM fact_workflow_sessions FINAL",
    );
    expect(Number(sessions?.n)).toBe(1);
  } finally {
    await executor.close();
  }
}, 300_000); // the real ClickHouse engine in-process: slow on a busy machine
