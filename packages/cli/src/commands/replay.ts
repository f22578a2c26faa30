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
  type EngineState,
} from "@livepeer-analytics/core/engine";
import { oversizeRecordOutputs } from "@livepeer-analytics/core/quality";
import { ENGINE_FLAG_OPTIONS, ENGINE_FLAGS_HELP, engineInputFromFlags } from "../engine-flags.js";
import { forEachInputRecord, describeInput, parseMs, totalInputBytes, UsageError } from "../io.js";
import type { CliIo } from "../main.js";
import { AtomicFile, checkOutputDirectory, crashPoint, readRunManifest } from "../output.js";
import {
  OUTPUT_FLAG_OPTIONS,
  outputFlagsHelp,
  resolveOutputSettings,
  writeOutputs,
} from "../output-pipeline.js";
import type { InputSummary } from "../summary.js";

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
${outputFlagsHelp("replay")}  --all-versions             write every emitted version, not only final rows
  --json                     print the summary as JSON
  --state FILE               save the engine state at the end instead of flushing
  --resume FILE              start from a saved state
${ENGINE_FLAGS_HELP}  --snapshot-ts MS           envelope time for capability API responses (default: file mtime)
  --now MS                   ingestion timestamp of envelopes (default: the newest event time)
  -h, --help                 show this help
`;

/** Runs `lpa replay`; returns the exit code. */
export async function replayCommand(argv: readonly string[], io: CliIo): Promise<number> {
  const { values, positionals } = parseArgs({
    args: [...argv],
    allowPositionals: true,
    strict: true,
    options: {
      ...OUTPUT_FLAG_OPTIONS,
      "all-versions": { type: "boolean", default: false },
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

  const fixedNow = parseMs("--now", values.now);
  const snapshotTs = parseMs("--snapshot-ts", values["snapshot-ts"]);
  const sources = positionals.map(describeInput);
  const settings = resolveOutputSettings("replay", values, io);
  // Fail before any work when the state could not be saved at the end.
  if (values.state !== undefined) checkOutputDirectory("--state", values.state);
  const { outDir } = settings;
  let snapshot: string | null = null;
  return writeOutputs(
    {
      command: "replay",
      io,
      settings,
      totalBytes: totalInputBytes(sources),
      countRevisions: values["all-versions"],
      servingEdgeSemanticsVersion: resolved.config.lifecycle.servingEdgeSemanticsVersion,
      latencyVersions: resolved.config.lifecycle.edgeSemanticsVersions,
      mode: resolved.config.preset,
      notices,
    },
    {
      beforeTarget: () => {
        if (
          outDir !== null &&
          resumedFrom !== null &&
          readRunManifest(outDir)?.state === resumedFrom
        )
          throw new UsageError(
            `--out ${outDir} holds the outputs of the run that saved --resume ${values.resume}; give each part its own --out`,
          );
      },
      produce: async (sink, progress) => {
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
            onOversize: (o) => sink.addAll(oversizeRecordOutputs(o, ingestNow())),
            progress,
          },
          (record) => {
            sink.addAll(runner.push({ record, now: ingestNow(), receivedAt: io.clock() }));
            return sink.throttle();
          },
        );
        return reports.map((r): InputSummary => {
          const notes = [...r.notes];
          if (r.skippedBlank > 0) notes.push(`${r.skippedBlank} blank line(s) skipped`);
          return {
            name: r.name,
            format: r.format,
            records: r.records,
            skippedBlank: r.skippedBlank,
            notes,
          };
        });
      },
      // A kill before the state is replaced leaves the old state, and running this part again
      // from it rewrites the same outputs.
      end: (sink, progress) => {
        progress.phase("final rows");
        let flushed = false;
        if (values.state !== undefined) snapshot = runner.snapshot();
        else {
          sink.addAll(runner.flush());
          flushed = true;
        }
        return { resumedFrom, state: snapshot === null ? null : sha256(snapshot), flushed };
      },
      afterCommit: () => {
        if (values.state !== undefined && snapshot !== null) {
          AtomicFile.write(values.state, "--state", snapshot, "state-temp-written");
          crashPoint("after-state");
        }
      },
    },
  );
}
