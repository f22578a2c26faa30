/**
 * `lpa dev-kafka`: starts, stops and reports a local single-node Kafka broker (KRaft) for
 * development, from the Kafka jars of Maven Central (cached).
 *
 * @module
 */
import { parseArgs } from "node:util";
import {
  defaultCacheDir,
  devBrokerStatus,
  startDevBroker,
  stopDevBroker,
  DEV_KAFKA_VERSION,
} from "@livepeer-analytics/kafka";
import { UsageError } from "../io.js";
import type { CliIo } from "../main.js";

/** Help text of `lpa dev-kafka`. */
export const DEV_KAFKA_HELP = `Usage: lpa dev-kafka start|stop|status [options]

Runs a local single-node Apache Kafka ${DEV_KAFKA_VERSION} broker (KRaft, broker and controller in
one JVM) on 127.0.0.1, for development and tests. Needs Java 17+; the first start fetches the
broker's jars from Maven Central with Maven (mvn) into the cache directory, later starts are
offline.

  start    start the broker in the background (or find it running) and print its bootstrap
           address 127.0.0.1:PORT as the last line of standard output; progress goes to
           standard error. A restart of the same data directory keeps its topics, offsets and port.
  stop     stop the broker of the data directory (SIGTERM, SIGKILL after 60 s); exits 0 whether
           or not it was running
  status   print whether the broker is running (and its bootstrap address); exit code 0 when
           running, 1 when not

Options:
  --port N      client port (start; default: the previous port of the data directory, else a
                free one)
  --data DIR    data directory: configuration, storage, broker.log, broker.json (default
                ./lpa-kafka)
  --cache DIR   jar cache (default $LPA_CACHE_DIR, else \${XDG_CACHE_HOME:-~/.cache}/livepeer-analytics)
  -h, --help    show this help
`;

const ACTIONS = ["start", "stop", "status"] as const;

function parsePort(value: string | undefined): number | undefined {
  if (value === undefined) return undefined;
  const text = value.trim();
  if (!/^\d+$/.test(text) || Number(text) > 65535)
    throw new UsageError(`--port expects a port number from 0 to 65535, got "${value}"`);
  return Number(text);
}

/** Runs `lpa dev-kafka`; returns the exit code. */
export async function devKafkaCommand(argv: readonly string[], io: CliIo): Promise<number> {
  const { values, positionals } = parseArgs({
    args: [...argv],
    allowPositionals: true,
    strict: true,
    options: {
      port: { type: "string" },
      data: { type: "string" },
      cache: { type: "string" },
      help: { type: "boolean", short: "h", default: false },
    },
  });
  if (values.help) {
    io.stdout.write(DEV_KAFKA_HELP);
    return 0;
  }
  if (positionals.length !== 1)
    throw new UsageError("lpa dev-kafka needs exactly one action: start, stop or status");
  const action = positionals[0]!;
  if (!(ACTIONS as readonly string[]).includes(action))
    throw new UsageError(`unknown action "${action}" (expected start, stop or status)`);
  const port = parsePort(values.port);
  if (port !== undefined && action !== "start")
    throw new UsageError(`--port only applies to lpa dev-kafka start`);
  const dataDir = values.data;
  const dirOption = dataDir !== undefined ? { dataDir } : {};

  switch (action) {
    case "start": {
      const cacheDir = values.cache ?? defaultCacheDir();
      const broker = await startDevBroker({
        ...dirOption,
        cacheDir,
        ...(port !== undefined ? { port } : {}),
        log: (line) => io.stderr.write(`lpa dev-kafka: ${line}\n`),
      });
      if (!broker.alreadyRunning)
        io.stderr.write(
          `lpa dev-kafka: data in ${broker.dataDir}; stop with "lpa dev-kafka stop${
            dataDir !== undefined ? ` --data ${dataDir}` : ""
          }"\n`,
        );
      io.stdout.write(`${broker.bootstrap}\n`);
      return 0;
    }
    case "stop": {
      const result = await stopDevBroker(dirOption);
      io.stdout.write(`${result.message}\n`);
      return 0;
    }
    default: {
      const status = await devBrokerStatus(dirOption);
      if (!status.running) {
        io.stdout.write(`not running (data directory ${status.dataDir})\n`);
        return 1;
      }
      io.stdout.write(
        `running: pid ${status.pid}, ${status.ready === true ? "ready" : "starting"} at ${status.bootstrap} (data directory ${status.dataDir})\n`,
      );
      return 0;
    }
  }
}
