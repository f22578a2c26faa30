/**
 * `lpa produce`: loads telemetry records from input files into a Kafka topic.
 *
 * @module
 */
import { parseArgs } from "node:util";
import {
  createKafkaJsClient,
  eventKey,
  pipelineSettingsFromEnv,
  type KafkaOutgoing,
} from "@livepeer-analytics/kafka";
import { checkBrokers, dropKafkaClientTimerWarning, resolveBrokers } from "../brokers.js";
import { describeInput, forEachInputRecord, parseCount, parseMs, UsageError } from "../io.js";
import type { CliIo } from "../main.js";

/** Help text of `lpa produce`. */
export const PRODUCE_HELP = `Usage: lpa produce [options] <file|->...

Produces every record of the inputs, in order, to a Kafka topic (creating it with --partitions
when it does not exist). Inputs are read like lpa replay's: JSONL, JSON arrays, UI-export wrappers,
capability API responses, gzip. Each record is keyed by its stream (data.stream_id, else
data.request_id, else the event id), so the events of a stream stay in one partition in order.
Records larger than --max-record-bytes are not produced and are counted.

Options:
  --brokers LIST             bootstrap brokers HOST:PORT[,…] [QUALITY_KAFKA_BOOTSTRAP; else the
                             broker of lpa dev-kafka in ./lpa-kafka when running; else kafka:9092]
  --topic NAME               topic (default streaming_events) [QUALITY_INPUT_TOPIC]
  --partitions N             partitions of the topic when it is created (default 3)
  --batch N                  records per produce request (default 500)
  --max-record-bytes N       largest record produced (default 1000000, the broker's limit)
  --snapshot-ts MS           envelope time for capability API responses (default: file mtime)
  -h, --help                 show this help
`;

/** Runs `lpa produce`; returns the exit code. */
export async function produceCommand(argv: readonly string[], io: CliIo): Promise<number> {
  const { values, positionals } = parseArgs({
    args: [...argv],
    allowPositionals: true,
    strict: true,
    options: {
      brokers: { type: "string" },
      topic: { type: "string" },
      partitions: { type: "string" },
      batch: { type: "string" },
      "max-record-bytes": { type: "string" },
      "snapshot-ts": { type: "string" },
      help: { type: "boolean", short: "h", default: false },
    },
  });
  if (values.help) {
    io.stdout.write(PRODUCE_HELP);
    return 0;
  }
  if (positionals.length === 0)
    throw new UsageError("lpa produce needs at least one input file (or - for stdin)");
  const settings = pipelineSettingsFromEnv(process.env);
  const { brokers } = await resolveBrokers(values.brokers, process.env);
  const topic = values.topic ?? settings.topic;
  const partitions = parseCount("--partitions", values.partitions) ?? 3;
  if (partitions < 1) throw new UsageError("--partitions must be at least 1");
  const batchSize = parseCount("--batch", values.batch) ?? 500;
  if (batchSize < 1) throw new UsageError("--batch must be at least 1");
  const maxRecordBytes = parseCount("--max-record-bytes", values["max-record-bytes"]) ?? 1_000_000;
  const snapshotTs = parseMs("--snapshot-ts", values["snapshot-ts"]);

  dropKafkaClientTimerWarning();
  await checkBrokers(brokers);
  const client = createKafkaJsClient({ brokers, clientId: "lpa-produce" });
  const admin = await client.admin();
  try {
    await admin.ensureTopics([{ topic, partitions }]);
  } finally {
    await admin.close();
  }
  const producer = await client.producer();
  let produced = 0;
  let oversize = 0;
  let batch: KafkaOutgoing[] = [];
  const send = async (): Promise<void> => {
    if (batch.length === 0) return;
    const records = batch;
    batch = [];
    await producer.send(topic, records);
    produced += records.length;
  };
  const started = io.clock();
  try {
    const reports = await forEachInputRecord(
      positionals.map(describeInput),
      {
        command: "produce",
        io,
        snapshotTs,
        maxRecordBytes,
        onOversize: () => {
          oversize += 1;
        },
      },
      (record) => {
        const value =
          typeof record.value === "string"
            ? record.value
            : record.value === null
              ? null
              : Buffer.from(record.value).toString("utf8");
        batch.push({ key: value === null ? null : eventKey(value), value });
        return batch.length >= batchSize ? send() : undefined;
      },
    );
    await send();
    const seconds = Math.max(0.001, (io.clock() - started) / 1000);
    for (const r of reports)
      if (r.notes.length > 0) io.stderr.write(`lpa produce: ${r.name}: ${r.notes.join("; ")}\n`);
    io.stdout.write(
      `produced ${produced} records to ${topic} (${Math.round(produced / seconds)} records/s)` +
        (oversize > 0 ? `; ${oversize} records over ${maxRecordBytes} bytes not produced` : "") +
        "\n",
    );
    return 0;
  } finally {
    await producer.close();
  }
}
