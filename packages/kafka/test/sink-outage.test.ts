/**
 * ClickHouse unavailable for 30 s in the middle of the stream. Embedded chDB cannot be stopped, so
 * the pipeline runs in-process (`startPipeline`) over a wrapper of the real embedded executor whose
 * every call fails with a retryable network error (`ECONNREFUSED`) while `outage` is on. During
 * the outage the pipeline must stop making progress (no checkpoint, the consumer paused between
 * attempts, memory bounded), count sink failures, and after it resume from the last checkpoint; at
 * the end the final tables equal `lpa replay` of the same events (nothing lost, nothing doubled).
 */
import { createHash } from "node:crypto";
import { join } from "node:path";
import { describe, expect, test } from "vitest";
import { createEngine, resolveEngineConfig } from "@livepeer-analytics/core/engine";
import {
  createExecutor,
  generateDdl,
  generateViewDdl,
  type ClickHouseExecutor,
} from "@livepeer-analytics/clickhouse";
import {
  clickHouseOutputSink,
  createDirectoryCheckpointStore,
  startPipeline,
  type PipelineLog,
} from "../src/index.js";
import {
  expectSameAsReplay,
  finalTables,
  prepareTopic,
  produceLines,
  replayTables,
  tempDir,
  testInput,
  unique,
  waitFor,
} from "./support.js";

const DATABASE = "livepeer_analytics";
const OUTAGE_MS = 30_000;

/** The real executor, failing every call with `ECONNREFUSED` while `state.outage` is on. */
function flakyExecutor(
  real: ClickHouseExecutor,
  state: { outage: boolean; refused: number },
): ClickHouseExecutor {
  const refuse = (): Promise<never> => {
    state.refused += 1;
    const error = new Error("connect ECONNREFUSED 127.0.0.1:8123") as Error & { code: string };
    error.code = "ECONNREFUSED";
    return Promise.reject(error);
  };
  return {
    kind: real.kind,
    database: real.database,
    client: real.client,
    command: (sql) => (state.outage ? refuse() : real.command(sql)),
    query: (sql, params) => (state.outage ? refuse() : real.query(sql, params)),
    insert: (table, rows, o) => (state.outage ? refuse() : real.insert(table, rows, o)),
    insertJsonEachRow: (table, lines, o) =>
      state.outage ? refuse() : real.insertJsonEachRow(table, lines, o),
    close: () => real.close(),
  };
}

describe("pipeline: ClickHouse unavailable for 30 s mid-stream", () => {
  test(
    "consumption pauses with bounded memory, sink failures are counted, then it resumes without loss",
    { timeout: 300_000 },
    async () => {
      const dir = tempDir("outage");
      const group = unique("outage-group");
      const lines = testInput(20_000);
      const half = Math.floor(lines.length / 2);
      const { c, topic, input } = await prepareTopic({
        dir,
        name: "outage-events",
        lines,
        partitions: 3,
        produce: lines.slice(0, half),
      });

      const resolved = resolveEngineConfig({ emission: "coalesced" });
      if (!resolved.ok) throw new Error(resolved.error.issues.join("; "));
      const engine = createEngine(resolved.config, {
        sha256Hex: (text) => createHash("sha256").update(text, "utf8").digest("hex"),
      });
      const chPath = join(dir, "ch-run");
      const real = await createExecutor({ kind: "embedded", path: chPath, database: DATABASE });
      for (const sql of [
        ...generateDdl({ database: DATABASE, ttl: false }),
        ...generateViewDdl({
          database: DATABASE,
          servingEdgeSemanticsVersion: resolved.config.lifecycle.servingEdgeSemanticsVersion,
        }),
      ])
        await real.command(sql);
      const state = { outage: false, refused: 0 };
      const executor = flakyExecutor(real, state);
      const logs: PipelineLog[] = [];
      const handle = startPipeline({
        client: c,
        engine,
        createSinks: async () => [clickHouseOutputSink(executor)],
        checkpoints: createDirectoryCheckpointStore(join(dir, "checkpoints"), { group, topic }),
        topic,
        group,
        checkpointIntervalMs: 1_000,
        log: (e) => logs.push(e),
      });
      const s = handle.status;
      const lagTotal = (): number => Object.values(s.lag).reduce((x, y) => x + y, 0);
      try {
        await waitFor(
          "the first half to be consumed and checkpointed",
          () =>
            s.state === "active" &&
            s.records >= half &&
            s.checkpoints >= 1 &&
            Object.keys(s.lag).length === 3 &&
            lagTotal() === 0 &&
            s.lastCheckpointAt !== null &&
            s.lastCheckpointAt >= (s.lastRecordAt ?? 0),
          120_000,
          100,
        );
        const rssBefore = process.memoryUsage().rss;
        const recordsBefore = s.records;
        const checkpointsBefore = s.checkpoints;
        const savedPositions = async (): Promise<Record<string, number> | undefined> => {
          const store = createDirectoryCheckpointStore(join(dir, "checkpoints"), { group, topic });
          try {
            return (await store.load())?.positions;
          } finally {
            await store.close();
          }
        };
        const positionsBefore = await savedPositions();

        // Outage on; the second half arrives during it.
        state.outage = true;
        const outageStart = Date.now();
        await produceLines(c, topic, lines.slice(half));
        const samples: { t: number; records: number; state: string; rss: number }[] = [];
        let rssMax = rssBefore;
        while (Date.now() - outageStart < OUTAGE_MS) {
          const rss = process.memoryUsage().rss;
          rssMax = Math.max(rssMax, rss);
          samples.push({ t: Date.now() - outageStart, records: s.records, state: s.state, rss });
          await new Promise((r) => setTimeout(r, 250));
        }
        const duringOutage = {
          records: s.records - recordsBefore,
          checkpoints: s.checkpoints - checkpointsBefore,
          positions: await savedPositions(),
          sinkFailures: s.sinkFailures,
          refused: state.refused,
          state: s.state,
        };
        // The longest stretch of the outage in which not a single record was processed.
        let longestStall = 0;
        for (let i = 0, j = 0; j < samples.length; j++) {
          if (samples[j]!.records !== samples[i]!.records) i = j;
          longestStall = Math.max(longestStall, samples[j]!.t - samples[i]!.t);
        }
        state.outage = false;
        const outageEnd = Date.now();

        // Recovery: the pipeline comes back, reads the rest and checkpoints it.
        await waitFor(
          "the pipeline to resume and checkpoint every record",
          async () =>
            s.state === "active" &&
            lagTotal() === 0 &&
            Object.values((await savedPositions()) ?? {}).reduce((x, y) => x + y, 0) ===
              lines.length,
          180_000,
          250,
        );
        const recoveredMs = Date.now() - outageEnd;
        // The waits before each new attempt, from the log lines of the sink failures.
        const backoffs = logs
          .map((l) =>
            /sink failure, restoring from the last checkpoint in (\d+) ms/.exec(l.message),
          )
          .filter((m) => m !== null)
          .map((m) => Number(m[1]));
        const rssAfter = process.memoryUsage().rss;
        const mb = (n: number): string => `${(n / 1024 / 1024).toFixed(0)} MB`;
        console.log(
          `sink outage: ${JSON.stringify(duringOutage)}; back-offs ${backoffs.join(",")} ms; longest stall ${longestStall} ms; ` +
            `caught up ${recoveredMs} ms after the outage; RSS before ${mb(rssBefore)}, max during ${mb(rssMax)}, after ${mb(rssAfter)}`,
        );

        expect(duringOutage.sinkFailures).toBeGreaterThanOrEqual(1);
        expect(duringOutage.refused).toBeGreaterThan(0);
        // Nothing new is checkpointed while ClickHouse is down: the saved positions do not move
        // on (each new activation only claims its epoch with the positions it restored).
        expect(positionsBefore).toBeDefined();
        expect(duringOutage.positions).toEqual(positionsBefore);
        // Between attempts the consumer is paused: long stretches without any record processed,
        // and each attempt re-reads at most the records after the last checkpoint.
        expect(samples.some((x) => x.state === "recovering")).toBe(true);
        // The wait before the next attempt doubles while the sink keeps failing (1 s, 2 s, 4 s, …):
        // re-activating succeeds during an outage (creating a sink needs no connection), which
        // must not count as recovered.
        expect(backoffs.slice(0, 3)).toEqual([1_000, 2_000, 4_000]);
        expect(longestStall).toBeGreaterThanOrEqual(5_000);
        expect(duringOutage.records).toBeLessThanOrEqual(
          (duringOutage.sinkFailures + 1) * (lines.length - half),
        );
        // Memory stays bounded (generous: the box is shared and V8 grows its heap lazily).
        expect(rssMax - rssBefore).toBeLessThan(400 * 1024 * 1024);
        expect(
          logs.some((l) => /sink failure, restoring from the last checkpoint/.test(l.message)),
        ).toBe(true);

        await handle.stop({ flush: true, reason: "test done" });
      } finally {
        await handle.stop().catch(() => undefined);
        await executor.close();
      }
      expect(s.stopReason).toBe("test done");
      expect(s.records).toBeGreaterThanOrEqual(lines.length);

      const want = await replayTables(input, dir);
      const got = await finalTables(chPath);
      expectSameAsReplay(got, want);
      expect(got.fact_workflow_sessions.length).toBeGreaterThan(100);
    },
  );
});
