/**
 * `lpa replay`: runs the engine over input files in order, advancing the watermark from event
 * time, and writes one JSONL file per output table.
 *
 * @module
 */
import { createHash } from "node:crypto";
import { existsSync, readFileSync } from "node:fs";
import { parseArgs } from "node:util";
import {
  createEngine,
  createRunner,
  resolveEngineConfig,
  type EngineConfigInput,
  type EngineOutput,
  type EngineState,
} from "@livepeer-analytics/core/engine";
import { oversizeRecordOutputs } from "@livepeer-analytics/core/quality";
import { ENGINE_FLAG_OPTIONS, ENGINE_FLAGS_HELP, engineInputFromFlags } from "../engine-flags.js";
import {
  forEachInputRecord,
  describeInput,
  parseCount,
  parseMs,
  totalInputBytes,
  UsageError,
} from "../io.js";
import { RunProgress } from "../progress.js";
import type { CliIo } from "../main.js";
import type { ClickHouseExecutor } from "@livepeer-analytics/clickhouse";
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
} from "../clickhouse.js";
import {
  AtomicFile,
  checkOutputDirectory,
  crashPoint,
  OutputWriter,
  readRunManifest,
  type RowConsumer,
  type TableStats,
} from "../output.js";
import { checkDatabaseName } from "./query.js";
import { givenFlags, warnNoEffect } from "../args.js";
import { renderReplaySummary, SummaryCollector, type ReplaySummary } from "../summary.js";

/** Help text of `lpa replay`. */
export const REPLAY_HELP = `Usage: lpa replay [options] <file|->...

Runs the engine (quality gate, dedup, parsers, capability index, lifecycle reducers with late
correction) over every record of the inputs, in the order given. The watermark follows event time
(newest accepted envelope time minus --lateness). At the end of input every timer is flushed,
except with --state, which saves the open state for a later --resume run.

Writes one JSONL file per output table under --out: raw typed rows (raw_*), facts (fact_*) and the
rejection rows (raw_streaming_events_dlq, raw_streaming_events_quarantine). Versioned facts hold
their final rows unless --all-versions: the engine emits each row once, when it can no longer
change (a sample when sealed, a session's rows when it is evicted or flushed), and rows are written
as they come, so memory follows open sessions, not the input. With --state, rows of sessions still
open at the end come out in the --resume part that closes them. The files replace those of
the previous run into --out, all at the end of the run (one run per directory at a time), then
--state is written atomically: an interrupted run leaves the previous outputs and state. Give each
--state/--resume part its own --out.

With --clickhouse the outputs go into ClickHouse instead (JSONL only if --out is also given): the
table DDL and serving views are applied first, the same rows the JSONL output holds (final rows of
versioned facts unless --all-versions) go through the batched sink, and the SQL assertion suite runs
at the end. Targets: "embedded" (chDB with its data in ./lpa-data), "embedded:PATH", or an
http(s):// URL. User CLICKHOUSE_USER, password --password-file or CLICKHOUSE_PASSWORD, database
--database or CLICKHOUSE_DATABASE; each wins over what the URL says.

Inputs are read as a stream of JSON values (JSONL with any line ends, JSON arrays, UI-export
wrapper arrays, a capability API response); gzip is detected on files and stdin. Records over
maxRecordBytes are rejected while reading (record_too_large).

Options:
  --out DIR                  JSONL output directory (default ./lpa-out without --clickhouse)
  --clickhouse TARGET        write into ClickHouse: embedded | embedded:PATH | http(s)://...
  --database NAME            ClickHouse database (default livepeer_analytics) [CLICKHOUSE_DATABASE]
  --password-file FILE       read the ClickHouse password from FILE [CLICKHOUSE_PASSWORD]
  --reset-database           drop the ClickHouse database before applying the DDL
  --keep-ttl                 create tables with their row TTLs (off: a replay of an old capture
                             would be deleted by the TTL at the next merge)
  --no-assertions            skip the SQL assertion suite after a ClickHouse replay
  --batch-rows N             rows per ClickHouse insert (default 10000: a bulk load)
  --strict                   exit with code 3 when an assertion fails
  --show-views N             after a ClickHouse replay, print up to N rows of every v_api_* view
  --all-versions             write every emitted version, not only final rows
  --json                     print the summary as JSON
  --state FILE               save the engine state at the end instead of flushing
  --resume FILE              start from a saved state
${ENGINE_FLAGS_HELP}  --snapshot-ts MS           envelope time for capability API responses (default: file mtime)
  --now MS                   ingestion timestamp of envelopes (default: the newest event time)
  -h, --help                 show this help
`;

/** The ClickHouse-only flags of `lpa replay`. */
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
function warnIneffectiveReplayFlags(
  values: Readonly<Record<string, unknown>>,
  stderr: NodeJS.WritableStream,
): void {
  if (values["clickhouse"] === undefined) {
    warnNoEffect(
      stderr,
      "replay",
      givenFlags(values, CLICKHOUSE_ONLY_FLAGS),
      "without --clickhouse",
    );
    return;
  }
  if (values["no-assertions"] === true)
    warnNoEffect(stderr, "replay", givenFlags(values, ["strict"]), "with --no-assertions");
  if (values["json"] === true)
    warnNoEffect(stderr, "replay", givenFlags(values, ["show-views"]), "with --json");
}

/** Runs `lpa replay`; returns the exit code. */
export async function replayCommand(argv: readonly string[], io: CliIo): Promise<number> {
  const { values, positionals } = parseArgs({
    args: [...argv],
    allowPositionals: true,
    strict: true,
    options: {
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
      "all-versions": { type: "boolean", default: false },
      json: { type: "boolean", default: false },
      state: { type: "string" },
      resume: { type: "string" },
      ...ENGINE_FLAG_OPTIONS,
      "snapshot-ts": { type: "string" },
      now: { type: "string" },
      help: { type: "boolean", short: "h", default: false },
    },
  });
  if (values.help) {
    io.stdout.write(REPLAY_HELP);
    return 0;
  }
  if (positionals.length === 0)
    throw new UsageError("lpa replay needs at least one input file (or - for stdin)");

  const input = engineInputFromFlags(values);
  // The writer writes what the engine emits: each identity once, when final (or every version).
  const emission = values["all-versions"] ? "every-change" : "final";
  const configured = input["emission"];
  input["emission"] = emission;
  const resolved = resolveEngineConfig(input as EngineConfigInput);
  if (!resolved.ok)
    throw new UsageError(`invalid configuration: ${resolved.error.issues.join("; ")}`);
  // Native SHA-256 for lineage uids and the --resume fingerprint (same digests as the pure
  // implementation in core).
  const sha256 = (text: string): string => createHash("sha256").update(text, "utf8").digest("hex");
  const engine = createEngine(resolved.config, { sha256Hex: sha256 });
  const notices = resolved.notices.map((n) => n.message);
  if (configured !== undefined && configured !== emission)
    notices.push(
      `emission ${JSON.stringify(configured)} from --config ignored: lpa replay writes ${values["all-versions"] ? "every version (--all-versions)" : "each row once, when final"}`,
    );

  let state: EngineState;
  let resumedFrom: string | null = null;
  if (values.resume !== undefined) {
    const text = readFileSync(values.resume, "utf8");
    resumedFrom = sha256(text);
    const restored = engine.restore(text);
    if (!restored.ok) throw new UsageError(`--resume ${values.resume}: ${restored.error.message}`);
    state = restored.state;
    if (state.flushed)
      throw new UsageError(
        `--resume ${values.resume}: that run was already flushed; nothing can follow it`,
      );
  } else state = engine.init();
  // The runner owns the state from here on (in-place steps, the hot path).
  const runner = createRunner(engine, state);
  if (values.state !== undefined && existsSync(values.state) && values.state === values.resume) {
    notices.push(`${values.state} will be overwritten with the new state`);
  }

  const showViews = parseCount("--show-views", values["show-views"]);
  const batchRows = parseCount("--batch-rows", values["batch-rows"]) ?? DEFAULT_REPLAY_BATCH_ROWS;
  if (batchRows < 1) throw new UsageError("--batch-rows must be at least 1");
  const fixedNow = parseMs("--now", values.now);
  const snapshotTs = parseMs("--snapshot-ts", values["snapshot-ts"]);
  const sources = positionals.map(describeInput);
  const resolvedTarget = resolveClickHouseTarget(values, process.env, {
    useUrlFromEnv: false,
    fallback: null,
  });
  const target = resolvedTarget?.target ?? null;
  if (resolvedTarget !== null) {
    checkDatabaseName(resolvedTarget.target.database, resolvedTarget.databaseSource);
    for (const n of resolvedTarget.notices) io.stderr.write(`lpa replay: warning: ${n}\n`);
  }
  warnIneffectiveReplayFlags(values, io.stderr);
  // Fail before any work when the state could not be saved at the end.
  if (values.state !== undefined) checkOutputDirectory("--state", values.state);
  const outDir = values.out ?? (target === null ? "lpa-out" : null);
  let executor: ClickHouseExecutor | null = null;
  let chOutput: ClickHouseOutput | null = null;
  // The output directory is locked (and checked) before ClickHouse is touched.
  const forward: RowConsumer = { row: (table, row) => chOutput!.row(table, row) };
  const writer = new OutputWriter(outDir, {
    ...(target === null ? {} : { consumer: forward }),
    // One storage rule for JSONL and ClickHouse: values that do not fit their column.
    storable: (table, row) =>
      storableRow(table, row, (name, delta) => summary.add({ kind: "counter", name, delta })),
  });
  let clickhouse: ReplaySummary["clickhouse"] = null;
  let viewText = "";
  let flushed = false;
  let tables: Record<string, TableStats> = {};
  const started = io.clock();
  const inputs: ReplaySummary["inputs"][number][] = [];
  const summary = new SummaryCollector(values["all-versions"]);
  const progress = new RunProgress(io.stderr, "replay", totalInputBytes(sources), io.clock);
  const rowsNote = (rows: number, what: string): string =>
    `${rows.toLocaleString("en-US")} ${what}`;
  summary.add({ kind: "counter", name: "out_of_range_values", delta: 0 }); // always reported
  try {
    if (outDir !== null && resumedFrom !== null && readRunManifest(outDir)?.state === resumedFrom)
      throw new UsageError(
        `--out ${outDir} holds the outputs of the run that saved --resume ${values.resume}; give each part its own --out`,
      );
    if (target !== null) {
      io.stderr.write(`lpa: ${describeTarget(target)}\n`);
      const opened = await reachingClickHouse(target, () => openExecutor(target));
      executor = opened;
      const statements = await reachingClickHouse(target, () =>
        applySchema(opened, {
          reset: values["reset-database"],
          ttl: values["keep-ttl"],
          servingEdgeSemanticsVersion: resolved.config.lifecycle.servingEdgeSemanticsVersion,
        }),
      );
      notices.push(`applied ${statements} DDL statements to ${describeTarget(target)}`);
      chOutput = new ClickHouseOutput(executor, batchRows, (line) =>
        progress.note(`lpa replay: ${line}`),
      );
    }
    const sink = (outs: readonly EngineOutput[]): void => {
      for (const o of outs) {
        writer.add(o);
        summary.add(o);
      }
    };
    // Ingestion time defaults to the replay's event-time clock, so outputs are reproducible;
    // the wall clock only bounds plausible event times (maxFutureSkewMs).
    const ingestNow = (): number => fixedNow ?? runner.state.frontier ?? 0;

    const reports = await forEachInputRecord(
      sources,
      {
        command: "replay",
        io,
        snapshotTs,
        maxRecordBytes: engine.config.gate.maxRecordBytes,
        onOversize: (o) => sink(oversizeRecordOutputs(o, ingestNow())),
        progress,
      },
      (record) => {
        sink(runner.push({ record, now: ingestNow(), receivedAt: io.clock() }));
        return writer.pendingCount >= 4096 ? writer.drain() : undefined;
      },
    );
    for (const r of reports) {
      const notes = [...r.notes];
      if (r.skippedBlank > 0) notes.push(`${r.skippedBlank} blank line(s) skipped`);
      inputs.push({
        name: r.name,
        format: r.format,
        records: r.records,
        skippedBlank: r.skippedBlank,
        notes,
      });
    }

    // End of the run, in the order that makes a crash at any point safe: outputs complete and
    // durable (JSONL fsynced in the work directory, ClickHouse flushed), then the JSONL files put
    // in place, then the state, atomically. A kill before the state is replaced leaves the old
    // state, and running this part again from it rewrites the same outputs.
    progress.phase("final rows");
    let snapshot: string | null = null;
    if (values.state !== undefined) snapshot = runner.snapshot();
    else {
      sink(runner.flush());
      flushed = true;
    }
    const finals = await writer.finish();
    if (outDir !== null) tables = finals;
    const loading = chOutput;
    if (loading !== null)
      progress.phase("loading", () => rowsNote(loading.insertedRows, "rows inserted"));
    const chStats = loading === null ? null : await loading.finish();
    crashPoint("before-commit");
    writer.commit({ resumedFrom, state: snapshot === null ? null : sha256(snapshot), flushed });
    crashPoint("after-commit");
    if (values.state !== undefined && snapshot !== null) {
      AtomicFile.write(values.state, "--state", snapshot, "state-temp-written");
      crashPoint("after-state");
    }
    writer.dispose();
    if (chStats !== null && executor !== null && target !== null) {
      if (!values["no-assertions"]) progress.phase("assertions");
      const assertions = values["no-assertions"]
        ? null
        : await runSuite(executor, resolved.config.lifecycle.servingEdgeSemanticsVersion);
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
      if (showViews !== undefined && showViews > 0 && !values.json)
        viewText = await renderApiViews(executor, showViews);
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
    mode: resolved.config.preset,
    flushed,
    outDir,
    wallTimeMs: io.clock() - started,
    clickhouse,
    latencyVersions: resolved.config.lifecycle.edgeSemanticsVersions,
  });
  io.stdout.write(
    values.json ? JSON.stringify(report, null, 2) + "\n" : renderReplaySummary(report) + viewText,
  );
  const failed = clickhouse?.assertions?.some((a) => !a.passed) ?? false;
  return values.strict && failed ? 3 : 0;
}
