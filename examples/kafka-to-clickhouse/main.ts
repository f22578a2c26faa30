/**
 * Kafka → engine → ClickHouse with the package API instead of `lpa run`: a consumer-group member
 * (`startPipeline`) reads a topic, runs the engine with coalesced emission, writes rows into an
 * embedded ClickHouse and rejections to the DLQ and quarantine topics, and keeps checkpoints in a
 * directory. Checkpoints make the results effectively-once: a second run with the same group and
 * checkpoint directory resumes where the first ended and processes only new records.
 *
 * `main` stops on SIGINT/SIGTERM (or, with `exitWhenIdleMs`, once caught up and quiet), then
 * reads the sessions from the `v_api_session_identity` view and the row count of every table
 * (`FINAL`, so rows written again after a restart count once). `produceFile` fills the topic.
 *
 * Run as a script, it reads the brokers from QUALITY_KAFKA_BOOTSTRAP (see README.md).
 */
import { createHash } from "node:crypto";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import {
  createExecutor,
  generateDdl,
  generateViewDdl,
  TABLE_NAMES,
} from "@livepeer-analytics/clickhouse";
import { createEngine, resolveEngineConfig } from "@livepeer-analytics/core/engine";
import {
  clickHouseOutputSink,
  createDirectoryCheckpointStore,
  createKafkaJsClient,
  DEFAULT_DLQ_TOPIC,
  DEFAULT_QUARANTINE_TOPIC,
  eventKey,
  rejectionTopicSink,
  startPipeline,
  type PipelineHandle,
} from "@livepeer-analytics/kafka";

export interface ExampleOptions {
  /** Bootstrap brokers, `HOST:PORT` each. */
  readonly brokers: string[];
  /** Input topic. */
  readonly topic: string;
  /** Consumer group (the checkpoints belong to it). */
  readonly group: string;
  /** Data directory of the embedded ClickHouse. */
  readonly clickhouseDir: string;
  /** Directory of the checkpoints. */
  readonly checkpointDir: string;
  /** Stop once caught up and quiet for this long, ms (default: run until SIGINT/SIGTERM). */
  readonly exitWhenIdleMs?: number;
  /** Receives the pipeline's log lines (default: none). */
  readonly log?: (line: string) => void;
}

export interface ExampleSummary {
  /** Records stepped through the engine by this run. */
  readonly records: number;
  /** Records skipped because the checkpoint already covered them. */
  readonly skipped: number;
  /** Why the pipeline stopped. */
  readonly stopReason: string | null;
  /** Rejections of this run by outcome and reason (`dlq:…`, `quarantine:…`). */
  readonly rejections: Record<string, number>;
  /** Sessions in ClickHouse (`v_api_session_identity`). */
  readonly sessions: { readonly id: string; readonly orchestrator: string }[];
  /** Rows per non-empty table in ClickHouse, after `FINAL`. */
  readonly tables: Record<string, number>;
}

const DATABASE = "livepeer_analytics";

/** Runs the pipeline until it stops, then summarizes what ClickHouse holds. */
export async function main(options: ExampleOptions): Promise<ExampleSummary> {
  const log = options.log ?? ((): void => undefined);
  const resolved = resolveEngineConfig({ emission: "coalesced" });
  if (!resolved.ok) throw new Error(resolved.error.issues.join("; "));
  const engine = createEngine(resolved.config, {
    sha256Hex: (text) => createHash("sha256").update(text, "utf8").digest("hex"),
  });

  // The schema first: tables (without row TTLs, so that replayed old events are kept), then views.
  const executor = await createExecutor({
    kind: "embedded",
    path: options.clickhouseDir,
    database: DATABASE,
  });
  let handle: PipelineHandle | undefined;
  const stopOnSignal = (signal: NodeJS.Signals): void => {
    log(`${signal}: flushing, checkpointing and leaving the group`);
    void handle?.stop({ reason: `stopped by ${signal}` }).catch(() => undefined);
  };
  try {
    const schema = [
      ...generateDdl({ database: DATABASE, ttl: false }),
      ...generateViewDdl({
        database: DATABASE,
        servingEdgeSemanticsVersion: resolved.config.lifecycle.servingEdgeSemanticsVersion,
      }),
    ];
    for (const sql of schema) await executor.command(sql);

    const client = createKafkaJsClient({
      brokers: options.brokers,
      clientId: "kafka-to-clickhouse-example",
    });
    const admin = await client.admin();
    try {
      await admin.ensureTopics([{ topic: DEFAULT_DLQ_TOPIC }, { topic: DEFAULT_QUARANTINE_TOPIC }]);
    } finally {
      await admin.close();
    }

    handle = startPipeline({
      client,
      engine,
      // Called at each activation: fresh sinks over the one executor.
      createSinks: async () => [clickHouseOutputSink(executor), rejectionTopicSink(client)],
      checkpoints: createDirectoryCheckpointStore(options.checkpointDir, {
        group: options.group,
        topic: options.topic,
      }),
      topic: options.topic,
      group: options.group,
      exitWhenIdleMs: options.exitWhenIdleMs ?? null,
      log: (e) => log(`${e.level}: ${e.message}`),
    });
    process.on("SIGINT", stopOnSignal);
    process.on("SIGTERM", stopOnSignal);
    await handle.done;
    // Resolves with the final status, or rejects when the pipeline failed.
    const status = await handle.stop();

    const sessions = await executor.query<{
      workflow_session_id: string;
      orchestrator_address: string;
    }>(
      `SELECT workflow_session_id, orchestrator_address FROM ${DATABASE}.v_api_session_identity ORDER BY workflow_session_id`,
    );
    const tables: Record<string, number> = {};
    for (const table of TABLE_NAMES) {
      const [row] = await executor.query<{ n: number | string }>(
        `SELECT count() AS n FROM ${DATABASE}.${table} FINAL`,
      );
      const n = Number(row?.n ?? 0);
      if (n > 0) tables[table] = n;
    }
    return {
      records: status.records,
      skipped: status.skipped,
      stopReason: status.stopReason,
      rejections: { ...status.rejections },
      sessions: sessions.map((s) => ({
        id: s.workflow_session_id,
        orchestrator: s.orchestrator_address,
      })),
      tables,
    };
  } finally {
    process.off("SIGINT", stopOnSignal);
    process.off("SIGTERM", stopOnSignal);
    await executor.close();
  }
}

/**
 * Produces every line of a JSONL file to `topic` (created with `partitions` partitions when
 * missing), keyed by {@link eventKey} so that the events of a stream stay in order in one
 * partition; returns the number of records produced.
 */
export async function produceFile(
  brokers: string[],
  topic: string,
  path: string,
  partitions = 3,
): Promise<number> {
  const lines = readFileSync(path, "utf8")
    .split("\n")
    .filter((line) => line.trim() !== "");
  const client = createKafkaJsClient({ brokers, clientId: "kafka-to-clickhouse-example" });
  const admin = await client.admin();
  try {
    await admin.ensureTopics([{ topic, partitions }]);
  } finally {
    await admin.close();
  }
  const producer = await client.producer();
  try {
    for (let i = 0; i < lines.length; i += 500)
      await producer.send(
        topic,
        lines.slice(i, i + 500).map((value) => ({ key: eventKey(value), value })),
      );
  } finally {
    await producer.close();
  }
  return lines.length;
}

// As a script: consume QUALITY_INPUT_TOPIC (default streaming_events) from QUALITY_KAFKA_BOOTSTRAP
// into ./kafka-to-clickhouse-data, exit after 5 s without new records (or on Ctrl-C), print the
// summary.
if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const bootstrap = process.env["QUALITY_KAFKA_BOOTSTRAP"];
  if (bootstrap === undefined || bootstrap === "") {
    process.stderr.write(
      "set QUALITY_KAFKA_BOOTSTRAP to the broker address (lpa dev-kafka start prints it)\n",
    );
    process.exit(2);
  }
  const data = "kafka-to-clickhouse-data";
  const summary = await main({
    brokers: bootstrap.split(",").map((b) => b.trim()),
    topic: process.env["QUALITY_INPUT_TOPIC"] ?? "streaming_events",
    group: "kafka-to-clickhouse-example",
    clickhouseDir: join(data, "clickhouse"),
    checkpointDir: join(data, "checkpoints"),
    exitWhenIdleMs: 5_000,
    log: (line) => process.stderr.write(`${line}\n`),
  });
  process.stdout.write(`${JSON.stringify(summary, null, 2)}\n`);
}
