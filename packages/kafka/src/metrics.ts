/**
 * Operations endpoint of a pipeline: Prometheus metrics (`prom-client`) at `/metrics`, liveness
 * at `/healthz` and readiness at `/readyz`.
 *
 * @module
 */
import { createServer, type Server } from "node:http";
import { collectDefaultMetrics, Counter, Gauge, Registry } from "prom-client";
import type { PipelineHandle, PipelineStatus } from "./pipeline.js";

/**
 * Registers the pipeline's metrics (prefix `lpa_`) on a registry; values are read from the
 * pipeline's status at each scrape.
 *
 * - counters: `lpa_records_total`, `lpa_records_skipped_total` (already processed by an earlier
 *   activation), `lpa_engine_events_total{counter}` (the engine's counters: `quality_gate.*`,
 *   `late_events`, `forced_seals`, …), `lpa_rejections_total{outcome,reason}`,
 *   `lpa_rows_total{table}`, `lpa_checkpoints_total`, `lpa_sink_flushes_total`,
 *   `lpa_sink_failures_total`, `lpa_sink_events_total{sink,kind}` (batches, retries, dropped),
 *   `lpa_retention_gap_records_total`;
 * - gauges: `lpa_consumer_lag{partition}` (records), `lpa_partition_idle{partition}`,
 *   `lpa_watermark_delay_seconds` (wall clock − watermark), `lpa_state_sessions`,
 *   `lpa_state_tombstones`, `lpa_state_bytes` (last snapshot), `lpa_checkpoint_age_seconds`,
 *   `lpa_active` (1 while holding the partitions), `lpa_epoch`.
 *
 * @category Operations
 */
export function registerPipelineMetrics(
  registry: Registry,
  status: () => Readonly<PipelineStatus>,
  clock: () => number = Date.now,
): void {
  const counter = (
    name: string,
    help: string,
    read: (s: Readonly<PipelineStatus>) => Record<string, number> | number,
    label?: string | readonly string[],
  ): void => {
    const labelNames = label === undefined ? [] : typeof label === "string" ? [label] : [...label];
    const seen = new Map<string, number>();
    new Counter({
      name,
      help,
      labelNames,
      registers: [registry],
      collect() {
        const v = read(status());
        const entries: [string, number][] = typeof v === "number" ? [["", v]] : Object.entries(v);
        for (const [key, total] of entries) {
          const delta = total - (seen.get(key) ?? 0);
          if (delta <= 0) continue;
          seen.set(key, total);
          if (labelNames.length === 0) this.inc(delta);
          else if (labelNames.length === 1) this.inc({ [labelNames[0]!]: key }, delta);
          else {
            const parts = key.split(":");
            const labels: Record<string, string> = {};
            labelNames.forEach((n, i) => (labels[n] = parts[i] ?? ""));
            this.inc(labels, delta);
          }
        }
      },
    });
  };
  counter("lpa_records_total", "Records processed by the engine.", (s) => s.records);
  counter(
    "lpa_records_skipped_total",
    "Records read again after a restart or rebalance and skipped (already in the restored state).",
    (s) => s.skipped,
  );
  counter("lpa_engine_events_total", "Engine counters by name.", (s) => s.counters, "counter");
  counter(
    "lpa_rejections_total",
    "Rejected inputs by outcome (dlq, quarantine) and reason code.",
    (s) => s.rejections,
    ["outcome", "reason"],
  );
  counter("lpa_rows_total", "Rows written, by table.", (s) => s.rows, "table");
  counter("lpa_checkpoints_total", "Checkpoints saved.", (s) => s.checkpoints);
  counter("lpa_sink_flushes_total", "Durable flushes of the sinks.", (s) => s.sinkFlushes);
  counter(
    "lpa_sink_failures_total",
    "Sink failures (each followed by a restore from the last checkpoint).",
    (s) => s.sinkFailures,
  );
  counter(
    "lpa_sink_events_total",
    "Sink work by sink and kind: batches inserted, retries, rows dropped (over the size limit, without an event to route to the DLQ).",
    (s) => s.sinkCounts,
    ["sink", "kind"],
  );
  counter(
    "lpa_retention_gap_records_total",
    "Records deleted by retention before they were processed.",
    (s) => s.retentionGaps,
  );
  const gauge = (
    name: string,
    help: string,
    set: (g: Gauge, s: Readonly<PipelineStatus>) => void,
    labelNames: string[] = [],
  ): void => {
    new Gauge({
      name,
      help,
      labelNames,
      registers: [registry],
      collect() {
        this.reset();
        set(this, status());
      },
    });
  };
  gauge(
    "lpa_consumer_lag",
    "Records not yet read, per partition.",
    (g, s) => {
      for (const [p, lag] of Object.entries(s.lag)) g.set({ partition: p }, lag);
    },
    ["partition"],
  );
  gauge(
    "lpa_partition_idle",
    "1 for a partition that is caught up and quiet (it does not hold the watermark back).",
    (g, s) => {
      for (const p of Object.keys(s.lag))
        g.set({ partition: p }, s.idle.includes(Number(p)) ? 1 : 0);
    },
    ["partition"],
  );
  gauge(
    "lpa_watermark_delay_seconds",
    "Wall clock minus the engine watermark, seconds.",
    (g, s) => {
      if (s.watermark !== null) g.set((clock() - s.watermark) / 1000);
    },
  );
  gauge("lpa_state_sessions", "Live sessions in the engine state.", (g, s) =>
    g.set(s.stateSize.sessions),
  );
  gauge("lpa_state_tombstones", "Tombstones in the engine state.", (g, s) =>
    g.set(s.stateSize.tombstones),
  );
  gauge("lpa_state_bytes", "Size of the last engine snapshot, bytes.", (g, s) =>
    g.set(s.stateSize.bytes),
  );
  gauge("lpa_checkpoint_age_seconds", "Seconds since the last checkpoint.", (g, s) => {
    if (s.lastCheckpointAt !== null) g.set((clock() - s.lastCheckpointAt) / 1000);
  });
  gauge("lpa_active", "1 while this member holds the partitions.", (g, s) =>
    g.set(s.state === "active" ? 1 : 0),
  );
  gauge("lpa_epoch", "Activation epoch.", (g, s) => g.set(s.epoch));
}

/**
 * A running operations endpoint.
 *
 * @category Operations
 */
export interface OperationsServer {
  /** The port it listens on (useful with port 0). */
  readonly port: number;
  /** Stops listening. */
  close(): Promise<void>;
}

/**
 * Serves `/metrics` (Prometheus text format, the pipeline's metrics plus Node's default process
 * metrics), `/healthz` (200 while the process runs) and `/readyz` (200 while the pipeline is
 * ready: connected, active or standing by; 503 otherwise) on `host:port`.
 *
 * @category Operations
 */
export async function startOperationsServer(options: {
  /** The pipeline. */
  readonly pipeline: PipelineHandle;
  /** Port (0: any free port). */
  readonly port: number;
  /** Interface (default `127.0.0.1`). */
  readonly host?: string;
}): Promise<OperationsServer> {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry });
  registerPipelineMetrics(registry, () => options.pipeline.status);
  const server: Server = createServer((req, res) => {
    const path = (req.url ?? "/").split("?")[0];
    if (path === "/metrics") {
      registry
        .metrics()
        .then((text) => {
          res.writeHead(200, { "content-type": registry.contentType });
          res.end(text);
        })
        .catch((error: unknown) => {
          res.writeHead(500, { "content-type": "text/plain" });
          res.end(String(error));
        });
      return;
    }
    if (path === "/healthz") {
      res.writeHead(200, { "content-type": "text/plain" });
      res.end("ok\n");
      return;
    }
    if (path === "/readyz") {
      const ready = options.pipeline.ready();
      res.writeHead(ready ? 200 : 503, { "content-type": "text/plain" });
      res.end(`${options.pipeline.status.state}\n`);
      return;
    }
    res.writeHead(404, { "content-type": "text/plain" });
    res.end("not found\n");
  });
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(options.port, options.host ?? "127.0.0.1", () => resolve());
  });
  const address = server.address();
  return {
    port: typeof address === "object" && address !== null ? address.port : options.port,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
