/**
 * End to end against the real broker: the real fixture plus 50k generated events produced to a
 * 3-partition topic, `lpa run --exit-when-idle` into embedded ClickHouse, and every table's final
 * content compared with `lpa replay --clickhouse` of the same events.
 */
import { join } from "node:path";
import { describe, expect, test } from "vitest";
import {
  expectCleanExit,
  expectSameAsReplay,
  finalTables,
  prepareTopic,
  replayTables,
  runArgs,
  runLpa,
  tempDir,
  testInput,
  unique,
} from "./support.js";

describe("lpa run end to end", () => {
  test(
    "real fixture + 50k generated events on 3 partitions: final tables equal lpa replay's",
    { timeout: 900_000 },
    async () => {
      const dir = tempDir("e2e");
      const lines = testInput(50_000);
      const { topic, input } = await prepareTopic({
        dir,
        name: "e2e-events",
        lines,
        partitions: 3,
      });

      const run = await runLpa(
        runArgs({
          topic,
          group: unique("e2e-group"),
          clickhouse: join(dir, "ch-run"),
          checkpointDir: join(dir, "checkpoints"),
          exitWhenIdleMs: 3000,
        }),
      );
      expectCleanExit(run);
      expect(run.stdout).toContain(`records ${lines.length}`);

      const want = await replayTables(input, dir);
      const got = await finalTables(join(dir, "ch-run"));
      expectSameAsReplay(got, want);
      expect(got.fact_workflow_sessions.length).toBeGreaterThan(400);
      expect(got.raw_streaming_events_dlq.length).toBeGreaterThan(0);
    },
  );
});
