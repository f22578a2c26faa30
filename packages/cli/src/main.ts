/**
 * The `lpa` command-line entry point.
 *
 * @module
 */
import { readFileSync, statSync } from "node:fs";
import type { Readable } from "node:stream";
import { ddlCommand, DDL_HELP, queryCommand, QUERY_HELP } from "./commands/query.js";
import { devKafkaCommand, DEV_KAFKA_HELP } from "./commands/dev-kafka.js";
import { dlqReplayCommand, DLQ_REPLAY_HELP } from "./commands/dlq-replay.js";
import { loadCommand, LOAD_HELP } from "./commands/load.js";
import { produceCommand, PRODUCE_HELP } from "./commands/produce.js";
import { replayCommand, REPLAY_HELP } from "./commands/replay.js";
import { runCommand, RUN_HELP } from "./commands/run.js";
import { sidecarCommand, SIDECAR_HELP } from "./sidecar/command.js";
import { validateCommand, VALIDATE_HELP } from "./commands/validate.js";
import { isParseArgsError, usageMessage } from "./args.js";
import { debugging, UsageError } from "./io.js";
import { OutputError, runInterruptCleanups } from "./output.js";

/** What the CLI needs from its host; tests pass their own. */
export interface CliIo {
  /** Where reports, tables and JSON documents go. */
  readonly stdout: NodeJS.WritableStream;
  /** Where errors, warnings and the progress line go. */
  readonly stderr: NodeJS.WritableStream & {
    /** `true` on a terminal: only then is the progress line written. */
    isTTY?: boolean;
  };
  /** Standard input, read for the input `-`. */
  readonly stdin: Readable;
  /** Wall clock, epoch ms (the CLI is the layer allowed to read it). */
  readonly clock: () => number;
  /** Modification time of a file, epoch ms, or `null` (stdin, missing). */
  readonly mtimeMs: (path: string) => number | null;
  /**
   * Handle SIGINT and SIGTERM during a run: remove the run's temporary files, release its
   * output-directory lock, print `lpa: interrupted (…)` and end the process by the signal (status
   * 130 for SIGINT, 143 for SIGTERM). The outputs and `--state` of an interrupted run are not
   * written; the previous ones stay. Only the process's own I/O ({@link processIo}) sets it.
   */
  readonly handleSignals?: boolean;
}

/** The package's version, read from its `package.json` (one level above `src/` and `dist/`). */
const VERSION = ((): string => {
  try {
    const text = readFileSync(new URL("../package.json", import.meta.url), "utf8");
    const version = (JSON.parse(text) as { version?: unknown }).version;
    return typeof version === "string" ? version : "unknown";
  } catch {
    return "unknown";
  }
})();

/** Top-level help. */
export const HELP = `lpa ${VERSION}: Livepeer streaming-telemetry analytics

Usage: lpa <command> [options]

Commands:
  replay <file|->...     run the engine over telemetry files and write every output table
                         (raw rows, facts, DLQ, quarantine) as JSONL or into ClickHouse
                         (--clickhouse embedded), with a summary and the SQL assertions
  load <file|dir>...     load engine outputs (one EngineOutput JSON per line, e.g. from a Flink
                         job around lpa sidecar) as lpa replay writes them: JSONL or ClickHouse
  query "SQL"            run SQL against ClickHouse (embedded ./lpa-data by default)
  ddl                    print the ClickHouse DDL (tables, materialized and serving views)
  validate <file|->...   run the quality gate and dedup over telemetry files and report
                         accepted counts per type and rejected counts per reason
  run                    the long-running main job: consume a Kafka topic, run the engine,
                         write to ClickHouse and/or JSONL, DLQ/quarantine to Kafka topics
  produce <file|->...    load telemetry files into a Kafka topic
  dlq-replay             republish the DLQ envelopes of a time window to the input topic (once)
  dev-kafka start|stop|status
                         a local single-node Kafka broker (Apache Kafka from Maven Central;
                         needs Java 17+ and Maven) for trying lpa run and for tests
  sidecar --port N       serve the partitioned engine's stages over HTTP for Apache Flink
                         (stateless: the host owns every state)

Run "lpa help <command>" or "lpa <command> --help" for the options of a command.
`;

/** The help text of every command, by name. */
export const COMMAND_HELP: Readonly<Record<string, string>> = {
  replay: REPLAY_HELP,
  load: LOAD_HELP,
  query: QUERY_HELP,
  ddl: DDL_HELP,
  validate: VALIDATE_HELP,
  run: RUN_HELP,
  produce: PRODUCE_HELP,
  "dlq-replay": DLQ_REPLAY_HELP,
  "dev-kafka": DEV_KAFKA_HELP,
  sidecar: SIDECAR_HELP,
};

const isCommand = (name: string | undefined): name is string =>
  name !== undefined && Object.prototype.hasOwnProperty.call(COMMAND_HELP, name);

/** The process's own I/O. */
export function processIo(): CliIo {
  return {
    stdout: process.stdout,
    stderr: process.stderr,
    stdin: process.stdin,
    handleSignals: true,
    clock: () => Date.now(),
    mtimeMs: (path) => {
      if (path === "-") return null;
      try {
        return Math.trunc(statSync(path).mtimeMs);
      } catch {
        return null;
      }
    },
  };
}

/** Exit code of a run interrupted by SIGINT (128 + 2), as shells report it. */
export const EXIT_INTERRUPTED = 130;

/**
 * Installs the interrupt handlers of one run; returns their removal. On a signal the run's
 * temporary files are removed and its lock released, then the signal is raised again with its
 * default action, so the process ends "killed by SIGINT" (status 130 in a shell) without running
 * exit hooks (which embedded ClickHouse cannot run in the middle of a query).
 */
function handleSignals(io: CliIo): () => void {
  const stop = (): void => {
    process.off("SIGINT", onSignal);
    process.off("SIGTERM", onSignal);
  };
  const onSignal = (signal: NodeJS.Signals): void => {
    runInterruptCleanups();
    io.stderr.write(`lpa: interrupted (${signal}); the outputs of this run were not written\n`);
    stop();
    process.kill(process.pid, signal);
    // Only reached where the default action does not end the process.
    process.exit(signal === "SIGINT" ? EXIT_INTERRUPTED : 143);
  };
  process.on("SIGINT", onSignal);
  process.on("SIGTERM", onSignal);
  return stop;
}

/**
 * Runs the CLI with `argv` (without the node and script paths) and returns the exit code:
 * 0 success, 1 I/O error (and any other failure), 2 usage error, 3 a failed assertion with
 * `--strict`, 130 interrupted (SIGINT; the process ends by the signal, see
 * {@link CliIo.handleSignals}). Bad events never change the exit code. Failures print one
 * `lpa: …` line; `LPA_DEBUG=1` adds the stack trace.
 */
export async function run(argv: readonly string[], io: CliIo = processIo()): Promise<number> {
  const [command, ...rest] = argv;
  // `lpa run` and `lpa sidecar` handle their signals themselves (a graceful stop, exit 0).
  const stopHandlingSignals =
    io.handleSignals === true && command !== "run" && command !== "sidecar"
      ? handleSignals(io)
      : () => undefined;
  try {
    switch (command) {
      case undefined:
      case "help":
      case "-h":
      case "--help": {
        // `lpa help replay` is `lpa replay --help`.
        const topic = rest[0];
        if (topic !== undefined && !topic.startsWith("-")) {
          if (!isCommand(topic))
            throw new UsageError(`unknown command "${topic}" (lpa help lists the commands)`);
          io.stdout.write(COMMAND_HELP[topic]!);
          return 0;
        }
        // Bare `lpa` is a usage error: the help goes to stderr, as its diagnostic.
        if (command === undefined) {
          io.stderr.write(HELP);
          return 2;
        }
        io.stdout.write(HELP);
        return 0;
      }
      case "--version":
      case "-v":
        io.stdout.write(`${VERSION}\n`);
        return 0;
      case "validate":
        return await validateCommand(rest, io);
      case "replay":
        return await replayCommand(rest, io);
      case "load":
        return await loadCommand(rest, io);
      case "query":
        return await queryCommand(rest, io);
      case "run":
        return await runCommand(rest, io);
      case "produce":
        return await produceCommand(rest, io);
      case "dev-kafka":
        return await devKafkaCommand(rest, io);
      case "dlq-replay":
        return await dlqReplayCommand(rest, io);
      case "ddl":
        return ddlCommand(rest, io);
      case "sidecar":
        return await sidecarCommand(rest, io);
      default:
        throw new UsageError(`unknown command "${command}" (lpa help lists the commands)`);
    }
  } catch (error) {
    if (error instanceof UsageError || isParseArgsError(error)) {
      // One line: the message (the help is one "lpa help <command>" away).
      io.stderr.write(`lpa: ${usageMessage(error, isCommand(command) ? command : undefined)}\n`);
      return 2;
    }
    const e = error as NodeJS.ErrnoException | null | undefined;
    const message = typeof e?.message === "string" ? e.message : String(error);
    const stack = debugging() && typeof e?.stack === "string" ? `${e.stack}\n` : "";
    // Known failures (file system, ClickHouse, outputs) carry a message meant for users.
    if (error instanceof OutputError || typeof e?.code === "string") {
      io.stderr.write(`lpa: ${message}\n${stack}`);
      return 1;
    }
    io.stderr.write(
      stack === ""
        ? `lpa: internal error: ${message} (set LPA_DEBUG=1 to print the stack trace)\n`
        : `lpa: internal error: ${message}\n${stack}`,
    );
    return 1;
  } finally {
    stopHandlingSignals();
  }
}
