/**
 * End to end against the real broker: the real fixture plus 50k generated events produced to a
 * 3-partition topic, `lpa run --exit-when-idle` into embedded ClickHouse, and every table's final
 * content compared with `lpa replay --clickhouse` of the same events.
 */
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, test } from "vitest";
import {
  brokers,
  client,
  counts,
  createTopic,
  diffTables,
  finalTables,
  produceLines,
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
      const topic = unique("e2e-events");
      const group = unique("e2e-group");
      const lines = testInput(50_000);
      const input = join(dir, "input.jsonl");
      writeFileSync(input, lines.join("\n") + "\n");
      const c = client();
      await createTopic(c, topic, 3);
      await produceLines(c, topic, lines);

      const run = await runLpa([
        "run",
        "--brokers",
        brokers(),
        "--topic",
        topic,
        "--group",
        group,
        "--clickhouse",
        `embedded:${join(dir, "ch-run")}`,
        "--checkpoint-dir",
        join(dir, "checkpoints"),
        "--dlq-topic",
        `${topic}-dlq`,
        "--quarantine-topic",
        `${topic}-quarantine`,
        "--exit-when-idle",
        "3000",
      ]);
      expect(run.stderr).not.toMatch(/internal error|sink failure/);
      expect(run.code, run.stderr).toBe(0);
      expect(run.stdout).toContain(`records ${lines.length}`);

      const replay = await runLpa([
        "replay",
        input,
        "--clickhouse",
        `embedded:${join(dir, "ch-replay")}`,
        "--no-assertions",
      ]);
      expect(replay.code, replay.stderr).toBe(0);

      const got = await finalTables(join(dir, "ch-run"));
      const want = await finalTables(join(dir, "ch-replay"));
      expect(counts(got)).toEqual(counts(want));
      expect(got.fact_workflow_sessions.length).toBeGreaterThan(400);
      expect(got.raw_streaming_events_dlq.length).toBeGreaterThan(0);
      expect(diffTables(got, want)).toEqual([]);
    },
  );
});
