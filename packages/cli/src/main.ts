/**
 * The `lpa` command-line entry point.
 *
 * @module
 */
import { statSync } from "node:fs";
import type { Readable } from "node:stream";
import { ddlCommand, DDL_HELP, queryCommand, QUERY_HELP } from "./commands/query.js";
import { replayCommand, REPLAY_HELP } from "./commands/replay.js";
import { validateCommand, VALIDATE_HELP } from "./commands/validate.js";
import { UsageError } from "./io.js";

/** What the CLI needs from its host; tests pass their own. */
export interface CliIo {
  readonly stdout: NodeJS.WritableStream;
  readonly stderr: NodeJS.WritableStream & { isTTY?: boolean };
  readonly stdin: Readable;
  /** Wall clock, epoch ms (the CLI is the layer allowed to read it). */
  readonly clock: () => number;
  /** Modification time of a file, epoch ms, or `null` (stdin, missing). */
  readonly mtimeMs: (path: string) => number | null;
}

const VERSION = "0.1.0";

/** Top-level help. */
export const HELP = `lpa ${VERSION}: Livepeer streaming-telemetry analytics

Usage: lpa <command> [options]

Commands:
  replay <file|->...     run the engine over telemetry files and write every output table
                         (raw rows, facts, DLQ, quarantine) as JSONL or into ClickHouse
                         (--clickhouse embedded), with a summary and the SQL assertions
  query "SQL"            run SQL against ClickHouse (embedded ./lpa-data by default)
  ddl                    print the ClickHouse DDL (tables, materialized and serving views)
  validate <file|->...   run the quality gate and dedup over telemetry files and report
                         accepted counts per type and rejected counts per reason

Run "lpa <command> --help" for the options of a command.
`;

/** The process's own I/O. */
export function processIo(): CliIo {
  return {
    stdout: process.stdout,
    stderr: process.stderr,
    stdin: process.stdin,
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

/**
 * Runs the CLI with `argv` (without the node and script paths) and returns the exit code:
 * 0 success, 1 I/O error, 2 usage error. Bad events never change the exit code.
 */
export async function run(argv: readonly string[], io: CliIo = processIo()): Promise<number> {
  const [command, ...rest] = argv;
  try {
    switch (command) {
      case undefined:
      case "help":
      case "-h":
      case "--help":
        io.stdout.write(HELP);
        return command === undefined ? 2 : 0;
      case "--version":
      case "-v":
        io.stdout.write(`${VERSION}\n`);
        return 0;
      case "validate":
        return await validateCommand(rest, io);
      case "replay":
        return await replayCommand(rest, io);
      case "query":
        return await queryCommand(rest, io);
      case "ddl":
        return ddlCommand(rest, io);
      default:
        throw new UsageError(`unknown command "${command}"`);
    }
  } catch (error) {
    if (
      error instanceof UsageError ||
      (error instanceof TypeError &&
        "code" in error &&
        String(error.code).startsWith("ERR_PARSE_ARGS"))
    ) {
      const helps: Record<string, string> = {
        validate: VALIDATE_HELP,
        replay: REPLAY_HELP,
        query: QUERY_HELP,
        ddl: DDL_HELP,
      };
      const help = helps[command ?? ""] ?? HELP;
      io.stderr.write(`lpa: ${error.message}\n\n${help}`);
      return 2;
    }
    const e = error as NodeJS.ErrnoException;
    if (typeof e?.code === "string" && typeof e.message === "string") {
      io.stderr.write(`lpa: ${e.message}\n`);
      return 1;
    }
    throw error;
  }
}
