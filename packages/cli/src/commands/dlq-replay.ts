/**
 * `lpa dlq-replay`: republishes the DLQ envelopes of a time window to the input topic, once (a
 * bounded run of the reference's DLQ replay job, `ingest-and-storage.md` §7).
 *
 * @module
 */
import { parseArgs } from "node:util";
import { REPLAY_SKIP_REASONS } from "@livepeer-analytics/core/quality";
import {
  createKafkaJsClient,
  replaySettingsFromEnv,
  runDlqReplay,
  type DlqReplayReport,
} from "@livepeer-analytics/kafka";
import { checkBrokers, dropKafkaClientTimerWarning, resolveBrokers } from "../brokers.js";
import { parseCount, parseMs, UsageError } from "../io.js";
import { formatTable } from "../table.js";
import { givenFlags, warnNoEffect } from "../args.js";
import type { CliIo } from "../main.js";

/** Help text of `lpa dlq-replay`. */
export const DLQ_REPLAY_HELP = `Usage: lpa dlq-replay [options]

Reads the DLQ topic from its start up to its end when the command starts (records added later
are left for the next run), rebuilds the original record of every envelope whose time is in the
window, marked with __replay, __replay_ts, __replay_source and __replay_failure_class, and
produces it to the output topic keyed by its event id. The record time is the envelope's
eventTimestamp, else its source record timestamp; both window bounds are inclusive.

Envelopes are skipped, and counted by reason, when they are not JSON (unparseable_envelope),
have no time while a window is set (no_timestamp), fall outside the window (outside_window),
record the rejection of a record that was itself a replay (already_replayed, unless
--include-replayed), or carry no replayable body (null_body, not_json_encoding for the Base64
bodies of json_parse_error, body_not_object).

Each run republishes its whole window again: replays of events that were deduplicated before
being rejected are quarantined as duplicates by the pipeline until the dedup TTL has passed.

Options:
  --brokers LIST          bootstrap brokers HOST:PORT[,…] [REPLAY_KAFKA_BOOTSTRAP, then
                          QUALITY_KAFKA_BOOTSTRAP; else the broker of lpa dev-kafka in
                          ./lpa-kafka when running; else kafka:9092]
  --from-topic NAME       DLQ topic to read [REPLAY_DLQ_TOPIC, then QUALITY_DLQ_TOPIC; default
                          events.dlq.streaming_events.v1]
  --to-topic NAME         topic to republish to; must differ from the DLQ topic
                          [REPLAY_OUTPUT_TOPIC, then QUALITY_INPUT_TOPIC; default streaming_events]
  --start MS              window start, epoch ms, inclusive [REPLAY_START_EPOCH_MS]
  --end MS                window end, epoch ms, inclusive [REPLAY_END_EPOCH_MS]
  --include-replayed      also replay rejections of records that were already replays
  --dry-run               read and count only; produce nothing
  --batch N               records per produce request (default 500)
  --now MS                __replay_ts written on the records (default: wall clock)
  --json                  print the report as JSON
  -h, --help              show this help
`;

/** What `lpa dlq-replay --json` prints: the run's report and the settings it ran with. */
export interface DlqReplayCommandReport extends DlqReplayReport {
  /** Bootstrap brokers. */
  readonly brokers: readonly string[];
  /** Window start, epoch ms, inclusive; `null`: unbounded. */
  readonly windowStart: number | null;
  /** Window end, epoch ms, inclusive; `null`: unbounded. */
  readonly windowEnd: number | null;
  /** The `__replay_ts` written on the republished records. */
  readonly now: number;
}

/** Parses an epoch-ms window bound (an integer, negative allowed); `undefined` when absent. */
function parseBound(flag: string, value: string | undefined): number | undefined {
  if (value === undefined) return undefined;
  const text = value.trim();
  const n = /^-?\d+$/.test(text) ? Number(text) : NaN;
  if (!Number.isSafeInteger(n))
    throw new UsageError(`${flag} expects an integer number of epoch milliseconds, got "${value}"`);
  return n;
}

/** Runs `lpa dlq-replay`; returns the exit code. */
export async function dlqReplayCommand(argv: readonly string[], io: CliIo): Promise<number> {
  const { values } = parseArgs({
    args: [...argv],
    allowPositionals: false,
    strict: true,
    options: {
      brokers: { type: "string" },
      "from-topic": { type: "string" },
      "to-topic": { type: "string" },
      start: { type: "string" },
      end: { type: "string" },
      "include-replayed": { type: "boolean", default: false },
      "dry-run": { type: "boolean", default: false },
      batch: { type: "string" },
      now: { type: "string" },
      json: { type: "boolean", default: false },
      help: { type: "boolean", short: "h", default: false },
    },
  });
  if (values.help) {
    io.stdout.write(DLQ_REPLAY_HELP);
    return 0;
  }
  const settings = replaySettingsFromEnv(process.env);
  const { brokers } = await resolveBrokers(values.brokers, process.env, [
    "REPLAY_KAFKA_BOOTSTRAP",
    "QUALITY_KAFKA_BOOTSTRAP",
  ]);
  const fromTopic = values["from-topic"] ?? settings.fromTopic;
  const toTopic = values["to-topic"] ?? settings.toTopic;
  if (fromTopic === "" || toTopic === "") throw new UsageError("a topic name is empty");
  if (fromTopic === toTopic)
    throw new UsageError(
      `the output topic must differ from the DLQ topic (both are ${fromTopic}): the replay would feed itself`,
    );
  const startFlag = parseBound("--start", values.start);
  const endFlag = parseBound("--end", values.end);
  const start = startFlag ?? settings.start;
  const end = endFlag ?? settings.end;
  if (start !== undefined && end !== undefined && start > end)
    throw new UsageError(`the window start ${start} is after its end ${end}`);
  if (values["dry-run"])
    warnNoEffect(io.stderr, "dlq-replay", givenFlags(values, ["batch", "now"]), "with --dry-run");
  const batchSize = parseCount("--batch", values.batch) ?? 500;
  if (batchSize < 1) throw new UsageError("--batch must be at least 1");
  const now = parseMs("--now", values.now) ?? io.clock();

  // Notices about environment values, unless a flag replaced them.
  for (const n of settings.notices) {
    if (n.key === "REPLAY_START_EPOCH_MS" && startFlag !== undefined) continue;
    if (n.key === "REPLAY_END_EPOCH_MS" && endFlag !== undefined) continue;
    io.stderr.write(`lpa dlq-replay: ${n.message}\n`);
  }

  dropKafkaClientTimerWarning();
  await checkBrokers(brokers);
  const client = createKafkaJsClient({ brokers, clientId: "lpa-dlq-replay" });
  const report = await runDlqReplay({
    client,
    fromTopic,
    toTopic,
    ...(start === undefined ? {} : { start }),
    ...(end === undefined ? {} : { end }),
    now,
    includeReplayed: values["include-replayed"],
    dryRun: values["dry-run"],
    batchSize,
    log: (entry) => {
      if (entry.level === "warn" || entry.level === "error")
        io.stderr.write(`lpa dlq-replay: ${entry.message}\n`);
    },
  });
  const full: DlqReplayCommandReport = {
    ...report,
    brokers,
    windowStart: start ?? null,
    windowEnd: end ?? null,
    now,
  };
  io.stdout.write(values.json ? JSON.stringify(full, null, 2) + "\n" : renderDlqReplayReport(full));
  return 0;
}

const n = (x: number): string => x.toLocaleString("en-US");

/** Human-readable rendering of a {@link DlqReplayCommandReport}. */
export function renderDlqReplayReport(r: DlqReplayCommandReport): string {
  const bound = (x: number | null): string => (x === null ? "unbounded" : String(x));
  const skipped = REPLAY_SKIP_REASONS.reduce((sum, reason) => sum + r.skipped[reason], 0);
  const parts = [
    `${r.fromTopic} → ${r.toTopic}${r.dryRun ? " (dry run: nothing produced)" : ""}`,
    `window: ${r.windowStart === null && r.windowEnd === null ? "none (every envelope)" : `[${bound(r.windowStart)}, ${bound(r.windowEnd)}] epoch ms, inclusive`}`,
    "",
  ];
  if (r.partitions.length === 0) parts.push(`${r.fromTopic} does not exist: nothing to replay`);
  else
    parts.push(
      formatTable(
        ["partition", "from offset", "until offset"],
        r.partitions.map((p) => [String(p.partition), String(p.from), String(p.until)]),
      ),
    );
  parts.push(
    "",
    r.dryRun
      ? `read ${n(r.read)} = replayable ${n(r.replayable)} (not produced) + skipped ${n(skipped)}`
      : `read ${n(r.read)} = republished ${n(r.republished)} + skipped ${n(skipped)}`,
  );
  if (skipped > 0)
    parts.push(
      "",
      formatTable(
        ["skip reason", "envelopes"],
        REPLAY_SKIP_REASONS.filter((reason) => r.skipped[reason] > 0).map((reason) => [
          reason,
          r.skipped[reason],
        ]),
      ),
    );
  parts.push("");
  return parts.join("\n");
}
