/**
 * `lpa run`: the long-running main job. Consumes the input topic in a consumer group, runs the
 * engine, writes outputs to ClickHouse and/or JSONL and rejections to the DLQ and quarantine
 * topics, with checkpoints that make results effectively-once.
 *
 * @module
 */
import { createHash } from "node:crypto";
import { parseArgs } from "node:util";
import {
  createEngine,
  resolveEngineConfig,
  type EngineConfigInput,
} from "@livepeer-analytics/core/engine";
import { BACKFILL_EPOCH_STRIDE, VERSIONED_TABLES } from "@livepeer-analytics/core/lifecycle";
import { parseSupportedVersions } from "@livepeer-analytics/core/quality";
import {
  clickHouseSinkLimitsFromEnv,
  qualifyTableName,
  type ClickHouseExecutor,
  type ClickHouseTarget,
} from "@livepeer-analytics/clickhouse";
import {
  clickHouseOutputSink,
  createDirectoryCheckpointStore,
  createKafkaJsClient,
  createTopicCheckpointStore,
  DEFAULT_CHECKPOINT_INTERVAL_MS,
  DEFAULT_CHECKPOINT_TOPIC,
  jsonlOutputSink,
  pipelineSettingsFromEnv,
  rejectionTopicSink,
  startOperationsServer,
  startPipeline,
  type OperationsServer,
  type OutputSink,
  type PipelineLog,
  type PipelineStatus,
} from "@livepeer-analytics/kafka";
import {
  applySchema,
  describeTarget,
  openExecutor,
  reachingClickHouse,
  resolveClickHouseTarget,
} from "../clickhouse.js";
import { givenFlags, warnNoEffect } from "../args.js";
import {
  ENGINE_FLAG_OPTIONS,
  ENGINE_FLAGS_HELP,
  engineInputFromFlags,
  parseEmission,
} from "../engine-flags.js";
import { checkBrokers, dropKafkaClientTimerWarning, resolveBrokers } from "../brokers.js";
import { debugging, parseCount, parseMs, UsageError } from "../io.js";
import type { CliIo } from "../main.js";
import { checkDatabaseName } from "./query.js";

/** Help text of `lpa run`. */
export const RUN_HELP = `Usage: lpa run [options]

The long-running main job: consumes --topic in consumer group --group, runs the engine (quality
gate, dedup, parsers, capability index, lifecycle with late correction) and writes its outputs to
ClickHouse (--clickhouse) and/or JSONL files (--out); DLQ and quarantine envelopes also go to their
Kafka topics. Rows of versioned facts are emitted once per watermark advance with their latest
content (coalesced emission).

Delivery: at-least-once input, effectively-once results. The engine state is checkpointed with the
input positions it covers (a compacted Kafka topic by default, or --checkpoint-dir), only after all
outputs of the records before them are durable; offsets are committed after the checkpoint. On
start the newest checkpoint is restored and every partition is read from its position.

One member of a group is active and holds every partition; other members started with the same
--group are hot standbys that take over when it dies or leaves (restore, seek).

SIGTERM / SIGINT: outputs flushed, checkpoint saved, offsets committed, exit 0.
--exit-when-idle MS: the same, after flushing the engine, once every partition is caught up and no
record arrived for MS (batch use).

Options (flags win over the environment variables in brackets):
  --brokers LIST             bootstrap brokers HOST:PORT[,…] [QUALITY_KAFKA_BOOTSTRAP; else the
                             broker of lpa dev-kafka in ./lpa-kafka when running; else kafka:9092]
  --topic NAME               input topic (default streaming_events) [QUALITY_INPUT_TOPIC]
  --group ID                 consumer group (default lpa-quality-gate-v1) [QUALITY_GROUP_ID]
  --dlq-topic NAME           DLQ topic (default events.dlq.streaming_events.v1) [QUALITY_DLQ_TOPIC]
  --quarantine-topic NAME    quarantine topic (default events.quarantine.streaming_events.v1)
                             [QUALITY_QUARANTINE_TOPIC]
  --no-rejection-topics      do not produce DLQ and quarantine envelopes to Kafka
  --clickhouse TARGET        embedded | embedded:PATH | http(s)://... [CLICKHOUSE_URL,
                             CLICKHOUSE_USER, CLICKHOUSE_PASSWORD; sink limits CLICKHOUSE_SINK_*]
  --database NAME            ClickHouse database (default livepeer_analytics) [CLICKHOUSE_DATABASE]
  --password-file FILE       read the ClickHouse password from FILE [CLICKHOUSE_PASSWORD]
  --keep-ttl                 create tables with their row TTLs
  --out DIR                  append rows to DIR/<table>.jsonl (rewound to the checkpoint on restart)
  --checkpoint-dir DIR       keep checkpoints in DIR instead of a Kafka topic
  --checkpoint-topic NAME    checkpoint topic (default ${DEFAULT_CHECKPOINT_TOPIC})
  --checkpoint-interval MS   time between checkpoints (default ${DEFAULT_CHECKPOINT_INTERVAL_MS})
  --exit-when-idle MS        flush, checkpoint, commit and exit 0 once caught up and quiet for MS
  --idle-partition MS        a caught-up partition quiet for MS stops holding the watermark
                             (default 5000)
  --session-timeout MS       group session timeout: how fast a standby takes over (default 10000)
  --emission MODE            coalesced (default) | every-change | final
  --metrics-port N           serve /metrics (Prometheus), /healthz, /readyz on 127.0.0.1:N
  --log-format F             text (default) | json (one JSON object per line on stderr)
  --shutdown-timeout MS      give up a graceful stop after MS (exit 1; default 60000)
${ENGINE_FLAGS_HELP}  --dedup-ttl also reads QUALITY_DEDUP_TTL_MINUTES, --supported-versions QUALITY_SUPPORTED_VERSIONS.
  -h, --help                 show this help
`;

/** A failure of `lpa run` with a message meant for users (exit code 1). */
class RunError extends Error {
  /** Marks the error as a known failure for the CLI's error printer. */
  readonly code = "LPA_RUN_FAILED";
}

/** Writes pipeline log lines to stderr as text or JSON lines. */
function logger(io: CliIo, format: "text" | "json"): (e: PipelineLog) => void {
  return (e) => {
    if (e.level === "debug") return;
    if (format === "json")
      io.stderr.write(
        JSON.stringify({
          ts: new Date(io.clock()).toISOString(),
          level: e.level,
          msg: e.message,
          ...e.fields,
        }) + "\n",
      );
    else io.stderr.write(`lpa run: ${e.level === "info" ? "" : `${e.level}: `}${e.message}\n`);
  };
}

/** The highest activation (or backfill) epoch in the versioned tables, 0 when they are empty. */
async function highestEpoch(executor: ClickHouseExecutor): Promise<number> {
  const parts = VERSIONED_TABLES.map(
    (t) =>
      `SELECT max(intDiv(version, ${BACKFILL_EPOCH_STRIDE})) AS e FROM ${qualifyTableName(executor.database, t)}`,
  );
  const rows = await executor.query<{ e: number | string }>(
    `SELECT max(e) AS e FROM (${parts.join(" UNION ALL ")})`,
  );
  return Number(rows[0]?.e ?? 0);
}

/** The one-screen summary printed when the run ends. */
function renderRunSummary(
  s: Readonly<PipelineStatus>,
  target: string | null,
  out: string | null,
): string {
  const lines = [
    `lpa run: ${s.stopReason ?? "stopped"}`,
    `  records ${s.records} (skipped as already processed: ${s.skipped}), epoch ${s.epoch}, checkpoints ${s.checkpoints}`,
  ];
  const rej = Object.entries(s.rejections).sort();
  if (rej.length > 0) lines.push(`  rejected: ${rej.map(([k, v]) => `${k} ${v}`).join(", ")}`);
  const rows = Object.entries(s.rows).sort();
  if (rows.length > 0) lines.push(`  rows: ${rows.map(([k, v]) => `${k} ${v}`).join(", ")}`);
  if (target !== null) lines.push(`  ClickHouse: ${target}`);
  if (out !== null) lines.push(`  JSONL: ${out}`);
  if (s.sinkFailures > 0) lines.push(`  sink failures recovered: ${s.sinkFailures}`);
  return lines.join("\n") + "\n";
}

/** Runs `lpa run`; returns the exit code. */
export async function runCommand(argv: readonly string[], io: CliIo): Promise<number> {
  const { values } = parseArgs({
    args: [...argv],
    allowPositionals: false,
    strict: true,
    options: {
      brokers: { type: "string" },
      topic: { type: "string" },
      group: { type: "string" },
      "dlq-topic": { type: "string" },
      "quarantine-topic": { type: "string" },
      "no-rejection-topics": { type: "boolean", default: false },
      clickhouse: { type: "string" },
      database: { type: "string" },
      "password-file": { type: "string" },
      "keep-ttl": { type: "boolean", default: false },
      out: { type: "string" },
      "checkpoint-dir": { type: "string" },
      "checkpoint-topic": { type: "string" },
      "checkpoint-interval": { type: "string" },
      "exit-when-idle": { type: "string" },
      "idle-partition": { type: "string" },
      "session-timeout": { type: "string" },
      emission: { type: "string" },
      "metrics-port": { type: "string" },
      "log-format": { type: "string" },
      "shutdown-timeout": { type: "string" },
      ...ENGINE_FLAG_OPTIONS,
      help: { type: "boolean", short: "h", default: false },
    },
  });
  if (values.help) {
    io.stdout.write(RUN_HELP);
    return 0;
  }
  const env = process.env;
  const settings = pipelineSettingsFromEnv(env);
  const notices: string[] = settings.notices.map((n) => n.message);
  const { brokers, source: brokerSource } = await resolveBrokers(values.brokers, env);
  const format = values["log-format"] ?? "text";
  if (format !== "text" && format !== "json")
    throw new UsageError("--log-format must be text or json");
  const log = logger(io, format);

  // Engine configuration: environment first, then --config and the flags.
  const input: Record<string, unknown> = {};
  if (settings.dedupTtlMs !== undefined) input["dedupTtlMs"] = settings.dedupTtlMs;
  if (settings.supportedVersions !== undefined)
    input["supportedVersions"] = [...parseSupportedVersions(settings.supportedVersions)];
  Object.assign(input, engineInputFromFlags(values));
  input["emission"] = parseEmission(values.emission) ?? "coalesced";
  const resolved = resolveEngineConfig(input as EngineConfigInput);
  if (!resolved.ok)
    throw new UsageError(`invalid configuration: ${resolved.error.issues.join("; ")}`);
  notices.push(...resolved.notices.map((n) => n.message));
  const engine = createEngine(resolved.config, {
    sha256Hex: (text) => createHash("sha256").update(text, "utf8").digest("hex"),
  });

  // Outputs.
  const resolvedTarget = resolveClickHouseTarget(values, env, {
    useUrlFromEnv: true,
    fallback: null,
  });
  const target: ClickHouseTarget | null = resolvedTarget?.target ?? null;
  if (resolvedTarget !== null) {
    notices.push(...resolvedTarget.notices);
    checkDatabaseName(resolvedTarget.target.database, resolvedTarget.databaseSource);
  } else
    warnNoEffect(
      io.stderr,
      "run",
      givenFlags(values, ["database", "password-file", "keep-ttl"]),
      "without --clickhouse (or CLICKHOUSE_URL)",
    );
  if (values["no-rejection-topics"])
    warnNoEffect(
      io.stderr,
      "run",
      givenFlags(values, ["dlq-topic", "quarantine-topic"]),
      "with --no-rejection-topics",
    );
  if (values["checkpoint-dir"] !== undefined)
    warnNoEffect(
      io.stderr,
      "run",
      givenFlags(values, ["checkpoint-topic"]),
      "with --checkpoint-dir",
    );
  const outDir = values.out ?? null;
  if (target === null && outDir === null)
    throw new UsageError(
      "nothing to write to: give --clickhouse TARGET (or CLICKHOUSE_URL) and/or --out DIR",
    );
  const limits = clickHouseSinkLimitsFromEnv(env);
  notices.push(...limits.notices.map((n) => n.message));

  const topic = values.topic ?? settings.topic;
  const group = values.group ?? settings.group;
  const checkpointIntervalMs =
    parseMs("--checkpoint-interval", values["checkpoint-interval"]) ??
    DEFAULT_CHECKPOINT_INTERVAL_MS;
  const exitWhenIdleMs = parseMs("--exit-when-idle", values["exit-when-idle"]) ?? null;
  const idlePartitionMs = parseMs("--idle-partition", values["idle-partition"]) ?? 5_000;
  const sessionTimeoutMs = parseMs("--session-timeout", values["session-timeout"]) ?? 10_000;
  const shutdownTimeoutMs = parseMs("--shutdown-timeout", values["shutdown-timeout"]) ?? 60_000;
  const metricsPort = parseCount("--metrics-port", values["metrics-port"]);
  if (metricsPort !== undefined && metricsPort > 65_535)
    throw new UsageError(`--metrics-port must be a port number (0 to 65535), got ${metricsPort}`);

  for (const n of notices) log({ level: "warn", message: n });
  // The client retries through broker restarts on its own; its error lines are shown at most
  // every 30 s (all of them with LPA_DEBUG=1), so a broker outage is visible without flooding.
  const verbose = debugging(env);
  let lastClientWarning = -Infinity;
  const client = createKafkaJsClient({
    brokers,
    clientId: `lpa-run-${group}`,
    log: (e) => {
      if (e.level !== "error" && !verbose) return;
      const now = io.clock();
      if (!verbose && now - lastClientWarning < 30_000) return;
      lastClientWarning = now;
      const detail = typeof e.fields["error"] === "string" ? `: ${e.fields["error"]}` : "";
      log({ level: "warn", message: `kafka client: ${e.message}${detail}` });
    },
  });

  let executor: ClickHouseExecutor | null = null;
  let ops: OperationsServer | null = null;
  const stopSignals: (() => void)[] = [];
  try {
    if (target !== null) {
      log({ level: "info", message: `writing to ${describeTarget(target)}` });
      const opened = await reachingClickHouse(target, () => openExecutor(target));
      executor = opened;
      await reachingClickHouse(target, () =>
        applySchema(opened, {
          reset: false,
          ttl: values["keep-ttl"],
          servingEdgeSemanticsVersion: resolved.config.lifecycle.servingEdgeSemanticsVersion,
        }),
      );
    }
    dropKafkaClientTimerWarning();
    await checkBrokers(brokers);
    const admin = await client.admin();
    try {
      if (!(await admin.topicExists(topic)))
        throw new RunError(
          `topic ${topic} does not exist on ${brokers.join(",")}: create it (or produce to it with lpa produce) first`,
        );
      if (!values["no-rejection-topics"])
        await admin.ensureTopics([
          { topic: values["dlq-topic"] ?? settings.dlqTopic },
          { topic: values["quarantine-topic"] ?? settings.quarantineTopic },
        ]);
    } finally {
      await admin.close();
    }
    const exec = executor;
    const createSinks = async (): Promise<OutputSink[]> => {
      const sinks: OutputSink[] = [];
      if (exec !== null) sinks.push(clickHouseOutputSink(exec, limits.limits));
      if (outDir !== null) sinks.push(jsonlOutputSink(outDir));
      if (!values["no-rejection-topics"])
        sinks.push(
          rejectionTopicSink(client, {
            dlqTopic: values["dlq-topic"] ?? settings.dlqTopic,
            quarantineTopic: values["quarantine-topic"] ?? settings.quarantineTopic,
          }),
        );
      return sinks;
    };
    const checkpoints =
      values["checkpoint-dir"] !== undefined
        ? createDirectoryCheckpointStore(values["checkpoint-dir"], { group, topic })
        : createTopicCheckpointStore(client, {
            group,
            topic,
            ...(values["checkpoint-topic"] === undefined
              ? {}
              : { checkpointTopic: values["checkpoint-topic"] }),
          });
    log({
      level: "info",
      message: `consuming ${topic} as group ${group} from ${brokers.join(",")} (${brokerSource}); checkpoints in ${checkpoints.description}`,
    });
    const handle = startPipeline({
      client,
      engine,
      createSinks,
      checkpoints,
      topic,
      group,
      checkpointIntervalMs,
      idlePartitionMs,
      exitWhenIdleMs,
      sessionTimeoutMs,
      log,
      // A new group, a new checkpoint store or lost checkpoints must not write versions below the
      // rows already in ClickHouse: the next epoch is above the highest one there.
      ...(exec === null ? {} : { epochFloor: async () => (await highestEpoch(exec)) + 1 }),
    });
    if (metricsPort !== undefined) {
      ops = await startOperationsServer({ pipeline: handle, port: metricsPort });
      log({ level: "info", message: `metrics on http://127.0.0.1:${ops.port}/metrics` });
    }
    if (io.handleSignals === true) {
      let signalled = false;
      const onSignal = (signal: NodeJS.Signals): void => {
        if (signalled) {
          io.stderr.write(`lpa run: ${signal} again; exiting without a final checkpoint\n`);
          process.exit(1);
        }
        signalled = true;
        log({ level: "info", message: `${signal}: flushing, checkpointing and leaving the group` });
        const timer = setTimeout(() => {
          io.stderr.write(`lpa run: could not stop within ${shutdownTimeoutMs} ms\n`);
          process.exit(1);
        }, shutdownTimeoutMs);
        timer.unref();
        void handle.stop({ reason: `stopped by ${signal}` }).catch(() => undefined);
      };
      process.on("SIGINT", onSignal);
      process.on("SIGTERM", onSignal);
      stopSignals.push(() => {
        process.off("SIGINT", onSignal);
        process.off("SIGTERM", onSignal);
      });
    }
    const status = await handle.done;
    try {
      await handle.stop();
    } catch (error) {
      io.stderr.write(`lpa run: ${String((error as Error)?.message ?? error)}\n`);
      io.stdout.write(
        renderRunSummary(status, target === null ? null : describeTarget(target), outDir),
      );
      return 1;
    }
    io.stdout.write(
      renderRunSummary(status, target === null ? null : describeTarget(target), outDir),
    );
    return 0;
  } finally {
    for (const s of stopSignals) s();
    await ops?.close();
    await executor?.close();
    if (io.handleSignals === true) {
      // Everything is flushed, checkpointed and closed here. kafkajs can still leave a broker
      // connection (and its timers) open after its clients disconnected when the broker restarted
      // during the run (a heartbeat or leave-group reconnecting during the disconnect): the process
      // then never ended after printing its summary (crash test: broker kill -9, then
      // --exit-when-idle; 3 of 6 runs hung for good). End it shortly after main returns.
      setTimeout(() => process.exit(), 3_000).unref();
    }
  }
}
