/**
 * The output side of `lpa replay` and `lpa load`, defined once: the output flags, the JSONL writer
 * (`--out`, with its lock, manifest and atomic commit) and the ClickHouse target (`--clickhouse`:
 * DDL, batched inserts, the assertion suite, the view row counts), the storage policy of both
 * (`storableRow`), and the summary. The commands differ only in where the engine outputs come
 * from: `replay` runs the engine, `load` reads outputs an engine wrote elsewhere.
 *
 * @module
 */
import type { ClickHouseExecutor, ClickHouseTarget } from "@livepeer-analytics/clickhouse";
import type { EngineOutput } from "@livepeer-analytics/core/engine";
import { givenFlags, warnNoEffect } from "./args.js";
import {
  applySchema,
  ClickHouseOutput,
  DEFAULT_REPLAY_BATCH_ROWS,
  describeTarget,
  openExecutor,
  reachingClickHouse,
  renderApiViews,
  resolveClickHouseTarget,
  runSuite,
  storableRow,
  summarizeAssertion,
  viewRowCounts,
} from "./clickhouse.js";
import { checkDatabaseName } from "./commands/query.js";
import { parseCount, UsageError } from "./io.js";
import type { CliIo } from "./main.js";
import {
  crashPoint,
  OutputWriter,
  type CommitInfo,
  type RowConsumer,
  type TableStats,
} from "./output.js";
import { RunProgress } from "./progress.js";
import {
  renderReplaySummary,
  SummaryCollector,
  type InputSummary,
  type ReplaySummary,
} from "./summary.js";

/** `parseArgs` options of the output flags (`lpa replay`, `lpa load`). */
export const OUTPUT_FLAG_OPTIONS = {
  out: { type: "string" },
  clickhouse: { type: "string" },
  database: { type: "string" },
  "password-file": { type: "string" },
  "reset-database": { type: "boolean", default: false },
  "keep-ttl": { type: "boolean", default: false },
  "no-assertions": { type: "boolean", default: false },
  "batch-rows": { type: "string" },
  strict: { type: "boolean", default: false },
  "show-views": { type: "string" },
  json: { type: "boolean", default: false },
} as const;

/**
 * Help lines of the output flags except `--json` (each command places it among its own flags);
 * `what` names the run in them ("replay", "load").
 */
export function outputFlagsHelp(what: string): string {
  return `  --out DIR                  JSONL output directory (default ./lpa-out without --clickhouse)
  --clickhouse TARGET        write into ClickHouse: embedded | embedded:PATH | http(s)://...
  --database NAME            ClickHouse database (default livepeer_analytics) [CLICKHOUSE_DATABASE]
  --password-file FILE       read the ClickHouse password from FILE [CLICKHOUSE_PASSWORD]
  --reset-database           drop the ClickHouse database before applying the DDL
  --keep-ttl                 create tables with their row TTLs (off: a replay of an old capture
                             would be deleted by the TTL at the next merge)
  --no-assertions            skip the SQL assertion suite after a ClickHouse ${what}
  --batch-rows N             rows per ClickHouse insert (default 10000: a bulk load)
  --strict                   exit with code 3 when an assertion fails
  --show-views N             after a ClickHouse ${what}, print up to N rows of every v_api_* view
`;
}

/** Parsed values of the output flags. */
export interface OutputFlagValues {
  readonly out?: string | undefined;
  readonly clickhouse?: string | undefined;
  readonly database?: string | undefined;
  readonly "password-file"?: string | undefined;
  readonly "reset-database"?: boolean | undefined;
  readonly "keep-ttl"?: boolean | undefined;
  readonly "no-assertions"?: boolean | undefined;
  readonly "batch-rows"?: string | undefined;
  readonly strict?: boolean | undefined;
  readonly "show-views"?: string | undefined;
  readonly json?: boolean | undefined;
}

/** Where and how a run writes its outputs, from {@link resolveOutputSettings}. */
export interface OutputSettings {
  /** JSONL output directory, or `null` (ClickHouse only). */
  readonly outDir: string | null;
  /** ClickHouse target, or `null` without `--clickhouse`. */
  readonly target: ClickHouseTarget | null;
  /** `--reset-database`. */
  readonly resetDatabase: boolean;
  /** `--keep-ttl`. */
  readonly keepTtl: boolean;
  /** Run the assertion suite at the end (not `--no-assertions`). */
  readonly assertions: boolean;
  /** Rows per ClickHouse insert (`--batch-rows`). */
  readonly batchRows: number;
  /** `--strict`: exit code 3 when an assertion fails. */
  readonly strict: boolean;
  /** `--show-views N`, or `undefined`. */
  readonly showViews: number | undefined;
  /** `--json`: the summary as JSON. */
  readonly json: boolean;
}

/** The ClickHouse-only output flags. */
const CLICKHOUSE_ONLY_FLAGS = [
  "database",
  "password-file",
  "reset-database",
  "keep-ttl",
  "no-assertions",
  "batch-rows",
  "strict",
  "show-views",
] as const;

/** Warns (one line per reason) about flags that have no effect with the other flags given. */
function warnIneffectiveOutputFlags(
  command: string,
  values: OutputFlagValues,
  stderr: NodeJS.WritableStream,
): void {
  const given = (names: readonly string[]): string[] =>
    givenFlags(values as Readonly<Record<string, unknown>>, names);
  if (values.clickhouse === undefined) {
    warnNoEffect(stderr, command, given(CLICKHOUSE_ONLY_FLAGS), "without --clickhouse");
    return;
  }
  if (values["no-assertions"] === true)
    warnNoEffect(stderr, command, given(["strict"]), "with --no-assertions");
  if (values.json === true) warnNoEffect(stderr, command, given(["show-views"]), "with --json");
}

/**
 * Checks the output flags of `lpa <command>` and resolves the ClickHouse target (flags, then
 * `CLICKHOUSE_*` variables; never `CLICKHOUSE_URL`); prints the target's notices and the warnings
 * about ineffective flags on stderr. The JSONL directory defaults to `lpa-out` without
 * `--clickhouse`. Invalid values are usage errors.
 */
export function resolveOutputSettings(
  command: string,
  values: OutputFlagValues,
  io: Pick<CliIo, "stderr">,
): OutputSettings {
  const showViews = parseCount("--show-views", values["show-views"]);
  const batchRows = parseCount("--batch-rows", values["batch-rows"]) ?? DEFAULT_REPLAY_BATCH_ROWS;
  if (batchRows < 1) throw new UsageError("--batch-rows must be at least 1");
  const resolved = resolveClickHouseTarget(values, process.env, {
    useUrlFromEnv: false,
    fallback: null,
  });
  const target = resolved?.target ?? null;
  if (resolved !== null) {
    checkDatabaseName(resolved.target.database, resolved.databaseSource);
    for (const n of resolved.notices) io.stderr.write(`lpa ${command}: warning: ${n}\n`);
  }
  warnIneffectiveOutputFlags(command, values, io.stderr);
  return {
    outDir: values.out ?? (target === null ? "lpa-out" : null),
    target,
    resetDatabase: values["reset-database"] === true,
    keepTtl: values["keep-ttl"] === true,
    assertions: values["no-assertions"] !== true,
    batchRows,
    strict: values.strict === true,
    showViews,
    json: values.json === true,
  };
}

/** Where a run's engine outputs go while it produces them. */
export interface OutputSink {
  /** Writes one output (rows to the files and ClickHouse, everything to the summary). */
  add(output: EngineOutput): void;
  /** Writes outputs in order. */
  addAll(outputs: readonly EngineOutput[]): void;
  /**
   * Backpressure between input records: a promise to await when many ClickHouse inserts are
   * pending, else `undefined`.
   */
  throttle(): Promise<void> | undefined;
}

/** What a run of {@link writeOutputs} is, besides its outputs. */
export interface OutputRun {
  /** Command name (`replay`, `load`) for the progress line and messages. */
  readonly command: string;
  /** The CLI's I/O. */
  readonly io: CliIo;
  /** From {@link resolveOutputSettings}. */
  readonly settings: OutputSettings;
  /** Size of all inputs for the progress line, or `null` when unknown. */
  readonly totalBytes: number | null;
  /** Report {@link ReplaySummary.corrections} (the outputs hold every version). */
  readonly countRevisions: boolean;
  /** Latency definition of the serving views (DDL) and of the assertions. */
  readonly servingEdgeSemanticsVersion: "v1" | "v2";
  /** Edge-semantics versions reported in the summary's latency section, even without rows. */
  readonly latencyVersions: readonly string[];
  /** Processing preset reported as the summary's `mode`. */
  readonly mode: string;
  /** Notices of the run so far; the ClickHouse target adds its own. */
  readonly notices: string[];
}

/** Where the outputs of a {@link writeOutputs} run come from, in the order of its steps. */
export interface OutputSource {
  /**
   * Runs once the output directory is locked, before ClickHouse is reached (a check that needs the
   * directory to itself).
   */
  readonly beforeTarget?: () => void;
  /** Writes every output to `sink`; returns the inputs as they are reported. */
  readonly produce: (sink: OutputSink, progress: RunProgress) => Promise<readonly InputSummary[]>;
  /**
   * End of input: writes the last outputs (a flush) and returns what the manifest records.
   * Synchronous, so no output is added after the files are finished.
   */
  readonly end: (sink: OutputSink, progress: RunProgress) => CommitInfo;
  /** Runs right after the JSONL outputs are committed (replay: writes `--state`). */
  readonly afterCommit?: () => void;
}

/** Consumer calls pending before {@link OutputSink.throttle} waits for them. */
const MAX_PENDING = 4096;

/**
 * Runs the output side of a run and prints its summary; returns the exit code (3 with
 * `--strict` when an assertion failed, else 0).
 *
 * Steps: lock `--out` (the {@link OutputWriter}), `source.beforeTarget`, open ClickHouse and
 * apply the DDL, `source.produce` and `source.end` (every output goes to the files, ClickHouse and
 * the summary), finish the outputs durably (JSONL fsynced, ClickHouse flushed), commit the JSONL
 * files and the manifest, `source.afterCommit`, then run the assertion suite and count the view
 * rows. A failure before the commit leaves the previous outputs in place.
 */
export async function writeOutputs(run: OutputRun, source: OutputSource): Promise<number> {
  const { command, io, settings, notices } = run;
  const { outDir, target } = settings;
  let executor: ClickHouseExecutor | null = null;
  let chOutput: ClickHouseOutput | null = null;
  // The output directory is locked (and checked) before ClickHouse is touched.
  const forward: RowConsumer = { row: (table, row) => chOutput!.row(table, row) };
  const writer = new OutputWriter(outDir, {
    writer: `lpa ${command}`,
    ...(target === null ? {} : { consumer: forward }),
    // One storage rule for JSONL and ClickHouse: values that do not fit their column.
    storable: (table, row) =>
      storableRow(table, row, (name, delta) => summary.add({ kind: "counter", name, delta })),
  });
  let clickhouse: ReplaySummary["clickhouse"] = null;
  let viewText = "";
  let flushed: boolean;
  let tables: Record<string, TableStats> = {};
  let inputs: readonly InputSummary[];
  const started = io.clock();
  const summary = new SummaryCollector(run.countRevisions);
  const progress = new RunProgress(io.stderr, command, run.totalBytes, io.clock);
  const rowsNote = (rows: number, what: string): string =>
    `${rows.toLocaleString("en-US")} ${what}`;
  summary.add({ kind: "counter", name: "out_of_range_values", delta: 0 }); // always reported
  const add = (o: EngineOutput): void => {
    writer.add(o);
    summary.add(o);
  };
  const sink: OutputSink = {
    add,
    addAll: (outs) => outs.forEach(add),
    throttle: () => (writer.pendingCount >= MAX_PENDING ? writer.drain() : undefined),
  };
  try {
    source.beforeTarget?.();
    if (target !== null) {
      io.stderr.write(`lpa: ${describeTarget(target)}\n`);
      const opened = await reachingClickHouse(target, () => openExecutor(target));
      executor = opened;
      const statements = await reachingClickHouse(target, () =>
        applySchema(opened, {
          reset: settings.resetDatabase,
          ttl: settings.keepTtl,
          servingEdgeSemanticsVersion: run.servingEdgeSemanticsVersion,
        }),
      );
      notices.push(`applied ${statements} DDL statements to ${describeTarget(target)}`);
      chOutput = new ClickHouseOutput(executor, settings.batchRows, (line) =>
        progress.note(`lpa ${command}: ${line}`),
      );
    }
    inputs = await source.produce(sink, progress);

    // End of the run, in the order that makes a crash at any point safe: outputs complete and
    // durable (JSONL fsynced in the work directory, ClickHouse flushed), then the JSONL files put
    // in place, then what the source writes after them (replay: the state, atomically).
    const info = source.end(sink, progress);
    flushed = info.flushed;
    const finals = await writer.finish();
    if (outDir !== null) tables = finals;
    const loading = chOutput;
    if (loading !== null)
      progress.phase("loading", () => rowsNote(loading.insertedRows, "rows inserted"));
    const chStats = loading === null ? null : await loading.finish();
    crashPoint("before-commit");
    writer.commit(info);
    crashPoint("after-commit");
    source.afterCommit?.();
    writer.dispose();
    if (chStats !== null && executor !== null && target !== null) {
      if (settings.assertions) progress.phase("assertions");
      const assertions = settings.assertions
        ? await runSuite(executor, run.servingEdgeSemanticsVersion)
        : null;
      const views = await viewRowCounts(executor);
      clickhouse = {
        target: describeTarget(target),
        inserted: chStats.tables,
        dropped: chStats.dropped,
        batches: chStats.batches,
        retries: chStats.retries,
        views,
        assertions: assertions === null ? null : assertions.map(summarizeAssertion),
      };
      if (settings.showViews !== undefined && settings.showViews > 0 && !settings.json)
        viewText = await renderApiViews(executor, settings.showViews);
    }
  } finally {
    progress.done();
    writer.dispose();
    await executor?.close();
  }
  const report = summary.summarize({
    inputs,
    tables,
    notices,
    mode: run.mode,
    flushed,
    outDir,
    wallTimeMs: io.clock() - started,
    clickhouse,
    latencyVersions: run.latencyVersions,
  });
  io.stdout.write(
    settings.json ? JSON.stringify(report, null, 2) + "\n" : renderReplaySummary(report) + viewText,
  );
  const failed = clickhouse?.assertions?.some((a) => !a.passed) ?? false;
  return settings.strict && failed ? 3 : 0;
}
