/**
 * The operations endpoint: `lpa run --metrics-port 0 --log-format json` serves the pipeline's
 * Prometheus metrics, `/healthz` and `/readyz` on the port it logs, and every stderr line is a JSON
 * object; the library's `startOperationsServer` reports a stopped pipeline as not ready (503).
 */
import { createHash } from "node:crypto";
import { join } from "node:path";
import { describe, expect, test } from "vitest";
import { createEngine, resolveEngineConfig } from "@livepeer-analytics/core/engine";
import {
  createDirectoryCheckpointStore,
  jsonlOutputSink,
  startOperationsServer,
  startPipeline,
} from "../src/index.js";
import {
  client,
  createTopic,
  httpGet,
  killAll,
  metricValue,
  produceLines,
  produceRecords,
  runArgs,
  spawnLpa,
  tempDir,
  testInput,
  unique,
  waitFor,
  waitForMetricsPort,
} from "./support.js";

describe("operations endpoint", () => {
  test(
    "lpa run --metrics-port 0 --log-format json: /metrics, /healthz, /readyz; JSON log lines",
    { timeout: 240_000 },
    async () => {
      const dir = tempDir("metrics");
      const topic = unique("metrics-events");
      const lines = testInput(2_000);
      const c = client();
      await createTopic(c, topic, 2);
      await produceLines(c, topic, lines);
      await produceRecords(c, topic, [
        { key: "bad-1", value: '{"not json' },
        { key: "bad-2", value: "[]" },
      ]);
      const total = lines.length + 2;

      const run = spawnLpa(
        runArgs({
          topic,
          group: unique("metrics-group"),
          clickhouse: join(dir, "ch"),
          checkpointDir: join(dir, "checkpoints"),
          checkpointIntervalMs: 1000,
          metrics: true,
          jsonLogs: true,
          exitWhenIdleMs: 10000,
        }),
      );
      try {
        const port = await waitForMetricsPort("the metrics port", run);
        let text = "";
        await waitFor(
          "every record to be processed and checkpointed",
          async () => {
            text = (await httpGet(port, "/metrics")).body;
            return (
              metricValue(text, "lpa_records_total") === total &&
              (metricValue(text, "lpa_checkpoints_total") ?? 0) >= 1 &&
              metricValue(text, "lpa_consumer_lag", { partition: "0" }) === 0 &&
              metricValue(text, "lpa_consumer_lag", { partition: "1" }) === 0 &&
              (metricValue(text, "lpa_sink_events_total", {
                sink: "clickhouse",
                kind: "batches",
              }) ?? 0) >= 1
            );
          },
          120_000,
          250,
        );
        expect(text).toMatch(/^# TYPE lpa_records_total counter$/m);
        expect(text).toMatch(/^# TYPE lpa_consumer_lag gauge$/m);
        expect(
          metricValue(text, "lpa_rejections_total", { outcome: "dlq", reason: "json_parse_error" }),
        ).toBeGreaterThanOrEqual(1);
        expect(
          metricValue(text, "lpa_rejections_total", { outcome: "dlq", reason: "root_not_object" }),
        ).toBeGreaterThanOrEqual(1);
        const age = metricValue(text, "lpa_checkpoint_age_seconds");
        expect(age).not.toBeNull();
        expect(age!).toBeGreaterThanOrEqual(0);
        expect(age!).toBeLessThan(60);
        expect(metricValue(text, "lpa_state_sessions")).toBeGreaterThanOrEqual(0);
        expect(metricValue(text, "lpa_active")).toBe(1);
        expect(metricValue(text, "lpa_epoch")).toBe(1);
        expect(text).toMatch(/^lpa_rows_total\{table="[a-z_]+"\} [1-9]/m);
        // Node's default process metrics are there too.
        expect(text).toMatch(/^process_resident_memory_bytes /m);
        expect(await httpGet(port, "/healthz")).toEqual({ status: 200, body: "ok\n" });
        expect(await httpGet(port, "/readyz")).toEqual({ status: 200, body: "active\n" });
        expect((await httpGet(port, "/nope")).status).toBe(404);

        const result = await run.done;
        expect(result.code, result.stderr).toBe(0);
        // Every stderr line is one JSON object with a time, a level and a message.
        const errLines = result.stderr.split("\n").filter((l) => l !== "");
        expect(errLines.length).toBeGreaterThan(3);
        const notJson = errLines.filter((l) => {
          try {
            const o = JSON.parse(l) as Record<string, unknown>;
            return !(
              typeof o["ts"] === "string" &&
              typeof o["level"] === "string" &&
              typeof o["msg"] === "string"
            );
          } catch {
            return true;
          }
        });
        expect(notJson).toEqual([]);
        expect(errLines.some((l) => l.includes("metrics on http://127.0.0.1:"))).toBe(true);
        // The endpoint is gone once the process has exited.
        expect((await httpGet(port, "/healthz")).status).toBe(0);
      } finally {
        killAll([run]);
      }
    },
  );

  test(
    "startOperationsServer: /readyz is 200 while the pipeline is active and 503 after it stopped",
    { timeout: 120_000 },
    async () => {
      const dir = tempDir("readyz");
      const topic = unique("readyz-events");
      const group = unique("readyz-group");
      const lines = testInput(300);
      const c = client();
      await createTopic(c, topic, 1);
      await produceLines(c, topic, lines);
      const resolved = resolveEngineConfig({ emission: "coalesced" });
      if (!resolved.ok) throw new Error(resolved.error.issues.join("; "));
      const engine = createEngine(resolved.config, {
        sha256Hex: (text) => createHash("sha256").update(text, "utf8").digest("hex"),
      });
      const handle = startPipeline({
        client: c,
        engine,
        createSinks: async () => [jsonlOutputSink(join(dir, "out"))],
        checkpoints: createDirectoryCheckpointStore(join(dir, "checkpoints"), { group, topic }),
        topic,
        group,
        checkpointIntervalMs: 1_000,
      });
      const ops = await startOperationsServer({ pipeline: handle, port: 0 });
      try {
        expect(ops.port).toBeGreaterThan(0);
        await waitFor(
          "the pipeline to process every record",
          () =>
            handle.status.state === "active" &&
            handle.status.records === lines.length &&
            handle.status.lag["0"] === 0,
        );
        expect(await httpGet(ops.port, "/readyz")).toEqual({ status: 200, body: "active\n" });
        const metrics = (await httpGet(ops.port, "/metrics")).body;
        expect(metricValue(metrics, "lpa_records_total")).toBe(lines.length);
        expect(metricValue(metrics, "lpa_consumer_lag", { partition: "0" })).toBe(0);

        await handle.stop({ flush: true });
        expect(await httpGet(ops.port, "/readyz")).toEqual({ status: 503, body: "stopped\n" });
        expect((await httpGet(ops.port, "/healthz")).status).toBe(200);
        const after = (await httpGet(ops.port, "/metrics")).body;
        expect(metricValue(after, "lpa_active")).toBe(0);
        expect(metricValue(after, "lpa_checkpoints_total")).toBeGreaterThanOrEqual(1);
      } finally {
        await handle.stop().catch(() => undefined);
        await ops.close();
      }
    },
  );
});
