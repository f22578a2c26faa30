/**
 * `lpa load`: loads engine outputs written elsewhere (one `EngineOutput` JSON per line, e.g. by an
 * Apache Flink job around `lpa sidecar`) into JSONL files or ClickHouse, exactly as `lpa replay`
 * writes the outputs of the same events.
 *
 * @module
 */
import { readdirSync, statSync } from "node:fs";
import { join } from "node:path";
import { StringDecoder } from "node:string_decoder";
import { parseArgs } from "node:util";
import { getTable, TABLE_NAMES, type TableName } from "@livepeer-analytics/clickhouse";
import {
  resolveEngineConfig,
  type EngineConfigInput,
  type EngineOutput,
} from "@livepeer-analytics/core/engine";
import { isVersionedTable, rowIdentity } from "@livepeer-analytics/core/lifecycle";
import { compareStrings } from "@livepeer-analytics/core/primitives";
import { COUNTER_NAMES, RejectedEventEnvelopeSchema } from "@livepeer-analytics/core/quality";
import { ENGINE_FLAG_OPTIONS, ENGINE_FLAGS_HELP, engineInputFromFlags } from "../engine-flags.js";
import { inputBytes, totalInputBytes, UsageError, type InputSource } from "../io.js";
import type { CliIo } from "../main.js";
import { DLQ_TABLE, QUARANTINE_TABLE } from "../output.js";
import {
  OUTPUT_FLAG_OPTIONS,
  outputFlagsHelp,
  resolveOutputSettings,
  writeOutputs,
} from "../output-pipeline.js";
import type { RunProgress } from "../progress.js";
import type { InputSummary } from "../summary.js";

/** The engine flags `lpa load` accepts: those that shape the ClickHouse schema and the summary. */
const LOAD_ENGINE_FLAGS = ["preset", "latency-semantics", "config"] as const;

/** Their help lines, as the engine commands print them. */
const LOAD_ENGINE_FLAGS_HELP = ENGINE_FLAGS_HELP.split("\n")
  .filter((line) => LOAD_ENGINE_FLAGS.some((flag) => line.startsWith(`  --${flag} `)))
  .map((line) => `${line}\n`)
  .join("");

/** Help text of `lpa load`. */
export const LOAD_HELP = `Usage: lpa load [options] <file|dir>...

Loads engine outputs that were written elsewhere, one EngineOutput JSON per line ({"kind":"row",
"table","row"}, {"kind":"dlq"|"quarantine","envelope"} or {"kind":"counter","name","delta"}): the
files an Apache Flink job writes from what lpa sidecar returns. The outputs are written exactly as
lpa replay writes the outputs of the same events: one JSONL file per table under --out (same
manifest, lock and atomic replacement of the previous run's files), or with --clickhouse into
ClickHouse (DDL and serving views first, then the batched sink, then the SQL assertion suite),
with the same summary (counters from the counter outputs, rows per table).

A directory is read recursively: every regular file whose name does not start with "." (Flink's
in-progress and pending part files do), in sorted order; entries starting with "." are skipped.
Files are read as UTF-8 lines (gzip detected); blank lines are skipped. Every line must be one
valid engine output: otherwise the command fails naming file:line, before anything is written
(every file is checked first, then loaded).

No engine runs: the engine flags do not apply, except --preset, --latency-semantics and --config,
which give the summary's mode and latency versions and the latency definition of the serving views
and assertions (servingEdgeSemanticsVersion), as in lpa replay. Give the values the job ran with.

Options:
${outputFlagsHelp("load")}  --json                     print the summary as JSON
${LOAD_ENGINE_FLAGS_HELP}  -h, --help                 show this help
`;

/** Tables a row output may name: the catalogue's, except the rejection tables and its own. */
const ROW_TABLES: ReadonlySet<string> = new Set<string>(
  TABLE_NAMES.filter(
    (t) => t !== DLQ_TABLE && t !== QUARANTINE_TABLE && t !== "lpa_schema_version",
  ),
);
const COUNTERS: ReadonlySet<string> = new Set<string>(COUNTER_NAMES);
/** The column names of each table a row output may name. */
const COLUMNS: ReadonlyMap<string, ReadonlySet<string>> = new Map(
  [...ROW_TABLES].map((t) => [
    t,
    new Set<string>(getTable(t as TableName).columns.map((c) => c.name)),
  ]),
);

const isObject = (v: unknown): v is Record<string, unknown> =>
  typeof v === "object" && v !== null && !Array.isArray(v);

/**
 * One line as an engine output, or the reason it is not one: a JSON object whose `kind` is `row`
 * (a catalogue table and an object row), `dlq` or `quarantine` (a valid rejected-event envelope)
 * or `counter` (a counter name and an integer delta). Other fields are ignored.
 */
export function parseEngineOutputLine(
  line: string,
):
  | { readonly ok: true; readonly output: EngineOutput }
  | { readonly ok: false; readonly reason: string } {
  let value: unknown;
  try {
    value = JSON.parse(line);
  } catch (error) {
    return { ok: false, reason: `not JSON (${(error as Error).message})` };
  }
  const fail = (reason: string): { ok: false; reason: string } => ({ ok: false, reason });
  if (!isObject(value)) return fail("not a JSON object");
  switch (value["kind"]) {
    case "row": {
      const table = value["table"];
      if (typeof table !== "string") return fail('a "row" output needs a string "table"');
      if (!ROW_TABLES.has(table)) return fail(`unknown table ${JSON.stringify(table)}`);
      const row = value["row"];
      if (!isObject(row)) return fail('a "row" output needs an object "row"');
      // The row's fields are columns of its table, and a versioned row has its identity and a
      // numeric version (what the final tables and ClickHouse key it by).
      const columns = COLUMNS.get(table)!;
      for (const key of Object.keys(row))
        if (!columns.has(key)) return fail(`${table} has no column ${JSON.stringify(key)}`);
      if (isVersionedTable(table)) {
        if (typeof row["version"] !== "number" || !Number.isFinite(row["version"]))
          return fail(`a ${table} row needs a numeric "version"`);
        if (rowIdentity(table, row) === null) return fail(`a ${table} row has no identity`);
      }
      break;
    }
    case "dlq":
    case "quarantine": {
      const checked = RejectedEventEnvelopeSchema.safeParse(value["envelope"]);
      if (!checked.success) {
        const issue = checked.error.issues[0];
        const path = ["envelope", ...(issue?.path ?? [])].map(String).join(".");
        return fail(
          `invalid ${String(value["kind"])} envelope: ${path}: ${issue?.message ?? "invalid"}`,
        );
      }
      break;
    }
    case "counter": {
      const name = value["name"];
      if (typeof name !== "string" || !COUNTERS.has(name))
        return fail(`unknown counter ${JSON.stringify(name)}`);
      if (!Number.isSafeInteger(value["delta"]))
        return fail('a "counter" output needs an integer "delta"');
      break;
    }
    default:
      return fail(
        `"kind" must be row, dlq, quarantine or counter, got ${JSON.stringify(value["kind"])}`,
      );
  }
  return { ok: true, output: value as unknown as EngineOutput };
}

/** The files of the arguments: files as given, directories expanded (sorted, no dot entries). */
function expandInputs(paths: readonly string[]): InputSource[] {
  const files: InputSource[] = [];
  const walk = (dir: string): void => {
    const entries = readdirSync(dir, { withFileTypes: true })
      .filter((e) => !e.name.startsWith("."))
      .sort((a, b) => compareStrings(a.name, b.name));
    for (const e of entries) {
      const path = join(dir, e.name);
      if (e.isDirectory()) walk(path);
      else if (e.isFile()) files.push({ path, name: path, size: statSync(path).size });
    }
  };
  for (const path of paths) {
    const st = statSync(path);
    if (st.isDirectory()) walk(path);
    else if (st.isFile()) files.push({ path, name: path, size: st.size });
    else throw new UsageError(`not a file or directory: ${path}`);
  }
  return files;
}

/** What {@link forEachLine} found in one file. */
interface LineCounts {
  /** Non-blank lines (engine outputs). */
  outputs: number;
  /** Blank lines skipped. */
  blank: number;
}

/**
 * Streams the lines of a file (`\n` or `\r\n` ends, gzip detected), calling `onLine` with each
 * non-blank line and its 1-based number; awaits it when it returns a promise.
 */
async function forEachLine(
  source: InputSource,
  io: Pick<CliIo, "stdin">,
  onBytes: ((bytes: number) => void) | undefined,
  onLine: (line: string, lineNo: number) => void | Promise<void>,
): Promise<LineCounts> {
  const counts: LineCounts = { outputs: 0, blank: 0 };
  const decoder = new StringDecoder("utf8");
  let rest = "";
  let lineNo = 0;
  const take = async (line: string): Promise<void> => {
    lineNo += 1;
    const text = line.endsWith("\r") ? line.slice(0, -1) : line;
    if (text.trim() === "") {
      counts.blank += 1;
      return;
    }
    counts.outputs += 1;
    const pending = onLine(text, lineNo);
    if (pending !== undefined) await pending;
  };
  for await (const chunk of inputBytes(source, io.stdin, onBytes)) {
    const text = rest + decoder.write(chunk);
    let start = 0;
    for (let i = text.indexOf("\n"); i >= 0; i = text.indexOf("\n", start)) {
      await take(text.slice(start, i));
      start = i + 1;
    }
    rest = text.slice(start);
  }
  rest += decoder.end();
  if (rest !== "") await take(rest);
  return counts;
}

/** Parses one line or fails naming `file:line`. */
function outputOf(source: InputSource, line: string, lineNo: number): EngineOutput {
  const parsed = parseEngineOutputLine(line);
  if (!parsed.ok)
    throw new UsageError(`${source.path}:${lineNo}: not an engine output: ${parsed.reason}`);
  return parsed.output;
}

/** Runs `lpa load`; returns the exit code. */
export async function loadCommand(argv: readonly string[], io: CliIo): Promise<number> {
  const { values, positionals } = parseArgs({
    args: [...argv],
    allowPositionals: true,
    strict: true,
    options: {
      ...OUTPUT_FLAG_OPTIONS,
      preset: ENGINE_FLAG_OPTIONS.preset,
      "latency-semantics": ENGINE_FLAG_OPTIONS["latency-semantics"],
      config: ENGINE_FLAG_OPTIONS.config,
      help: { type: "boolean", short: "h", default: false },
    },
  });
  if (values.help) {
    io.stdout.write(LOAD_HELP);
    return 0;
  }
  if (positionals.length === 0)
    throw new UsageError("lpa load needs at least one file or directory of engine outputs");
  const resolved = resolveEngineConfig(
    engineInputFromFlags({
      preset: values.preset,
      "latency-semantics": values["latency-semantics"],
      config: values.config,
    }) as EngineConfigInput,
  );
  if (!resolved.ok)
    throw new UsageError(`invalid configuration: ${resolved.error.issues.join("; ")}`);
  const notices = resolved.notices.map((n) => n.message);
  const sources = expandInputs(positionals);
  if (sources.length === 0)
    throw new UsageError(`no files to load in ${positionals.join(", ")} (dot files are skipped)`);
  const settings = resolveOutputSettings("load", values, io);

  // Every line is checked before anything is written: a corrupt file loads nothing.
  for (const source of sources)
    await forEachLine(source, io, undefined, (line, lineNo) => {
      outputOf(source, line, lineNo);
    });

  const totalBytes = totalInputBytes(sources);
  return writeOutputs(
    {
      command: "load",
      io,
      settings,
      totalBytes,
      countRevisions: false,
      servingEdgeSemanticsVersion: resolved.config.lifecycle.servingEdgeSemanticsVersion,
      latencyVersions: resolved.config.lifecycle.edgeSemanticsVersions,
      mode: resolved.config.preset,
      notices,
    },
    {
      produce: async (sink, progress: RunProgress) => {
        const inputs: InputSummary[] = [];
        let outputs = 0;
        for (const source of sources) {
          progress.startInput(source.name);
          let bytes = 0;
          const counts = await forEachLine(
            source,
            io,
            (b) => (bytes = b),
            (line, lineNo) => {
              sink.add(outputOf(source, line, lineNo));
              outputs += 1;
              if ((outputs & 63) === 0) progress.reading(bytes, outputs);
              return sink.throttle();
            },
          );
          progress.reading(bytes, outputs);
          inputs.push({
            name: source.name,
            format: counts.outputs === 0 ? "empty" : "jsonl",
            records: counts.outputs,
            skippedBlank: counts.blank,
            notes: counts.blank > 0 ? [`${counts.blank} blank line(s) skipped`] : [],
          });
        }
        return inputs;
      },
      // The outputs are final as written: nothing to flush, no state.
      end: () => ({ resumedFrom: null, state: null, flushed: true }),
    },
  );
}
