/**
 * `lpa validate`: runs the quality gate and dedup over input files and reports what was
 * accepted and what was rejected, with reasons.
 *
 * @module
 */
import { parseArgs } from "node:util";
import {
  DEFAULT_GATE_CONFIG,
  emptyTally,
  initQualityState,
  oversizeRecordOutputs,
  parseSupportedVersions,
  qualityOperator,
  resolveGateConfig,
  serializeEnvelope,
  tallyOutput,
  type GateConfig,
  type QualityOutput,
  type ValidationTally,
} from "@livepeer-analytics/core/quality";
import type { OversizeRecord } from "@livepeer-analytics/core/events";
import { forEachInputRecord, describeInput, parseMs, UsageError } from "../io.js";
import { AtomicFile } from "../output.js";
import { formatTable } from "../table.js";
import type { CliIo } from "../main.js";
import { REPORT_SCHEMA_VERSION, type EventCounts, type InputSummary } from "../summary.js";

/** Help text of `lpa validate`. */
export const VALIDATE_HELP = `Usage: lpa validate [options] <file|->...

Runs the quality gate (decode, schema validation, dedup, parsing, row guard) over every record
of the inputs, in order, and prints accepted counts per event type and rejected counts per
reason. Inputs are read as a stream of JSON values (JSONL with LF, CRLF or CR line ends, several
values per line, JSON arrays of envelopes, UI-export wrapper arrays, a capability API response);
gzip is detected on files and standard input (-). A record over the size limit is rejected while
reading (record_too_large); text that is not JSON is rejected with its bytes (json_parse_error).

Bad events never make the command fail: they are counted with their reason (and written to
--rejects when given). The exit code is non-zero only for usage (2) and I/O (1) errors.

Options:
  --json                      print the report as JSON
  --rejects FILE              write every DLQ and quarantine envelope as JSONL to FILE
  --dedup-ttl MS              dedup TTL in event-time milliseconds (default 86400000)
  --supported-versions LIST   accepted schema versions, comma-separated (default "1,v1";
                              a blank value disables the check)
  --snapshot-ts MS            envelope timestamp for capability API responses (default: the
                              file's modification time)
  --now MS                    ingestion timestamp stamped on envelopes (default: wall clock)
  -h, --help                  show this help
`;

/**
 * Report of one validation run (what `--json` prints). Every field is always present; maps keyed
 * by event type, table or reason hold the keys that occurred. The counts are in
 * {@link ValidateReport.events}, with the same names as in `lpa replay --json`
 * (`events.read = events.accepted + events.gateDlq + events.duplicates`; rejections of rows of
 * accepted events, `events.afterAcceptance`, come on top).
 */
export interface ValidateReport {
  /** `REPORT_SCHEMA_VERSION`: the version of this document's shape. */
  readonly schemaVersion: typeof REPORT_SCHEMA_VERSION;
  /** Every input, in order. */
  readonly inputs: readonly InputSummary[];
  /** Event counts, named as in `lpa replay --json` (`futureEventTime` is always 0 here). */
  readonly events: EventCounts;
  /**
   * Records read over all inputs: `events.read`.
   *
   * @deprecated Kept for scripts written before `schemaVersion` 1; read `events.read`.
   */
  readonly records: number;
  /**
   * Records accepted: `events.accepted`.
   *
   * @deprecated Read `events.accepted`.
   */
  readonly accepted: number;
  /**
   * Records rejected by the gate: `events.gateDlq`.
   *
   * @deprecated Read `events.gateDlq`.
   */
  readonly gateDlq: number;
  /**
   * Records quarantined as duplicates: `events.duplicates`.
   *
   * @deprecated Read `events.duplicates`.
   */
  readonly duplicates: number;
  /**
   * Rejections after acceptance: `events.afterAcceptance`.
   *
   * @deprecated Read `events.afterAcceptance`.
   */
  readonly afterAcceptance: {
    /** DLQ envelopes after acceptance. */
    readonly dlq: number;
    /** Quarantine envelopes after acceptance. */
    readonly quarantine: number;
  };
  /**
   * Every DLQ envelope: `events.dlq`.
   *
   * @deprecated Read `events.dlq`.
   */
  readonly dlq: number;
  /**
   * Every quarantine envelope: `events.quarantine`.
   *
   * @deprecated Read `events.quarantine`.
   */
  readonly quarantine: number;
  /** Accepted events per event type. */
  readonly acceptedByType: Readonly<Record<string, number>>;
  /** Typed rows per raw table. */
  readonly rowsByTable: Readonly<Record<string, number>>;
  /** DLQ envelopes per reason (they sum to `events.dlq`). */
  readonly dlqByReason: Readonly<Record<string, number>>;
  /** Quarantine envelopes per reason (they sum to `events.quarantine`). */
  readonly quarantineByReason: Readonly<Record<string, number>>;
  /** Dedup strategies of the accepted events. */
  readonly dedupStrategies: Readonly<Record<string, number>>;
  /** The gate configuration used. */
  readonly config: GateConfig;
  /** Wall time of the run, ms. */
  readonly wallTimeMs: number;
  /** Records read per second of wall time (as in `lpa replay`). */
  readonly eventsPerSecond: number;
}

const sum = (r: Readonly<Record<string, number>>): number =>
  Object.values(r).reduce((a, b) => a + b, 0);
const sorted = (r: Readonly<Record<string, number>>): Record<string, number> =>
  Object.fromEntries(Object.entries(r).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));

/** Runs `lpa validate`; returns the exit code. */
export async function validateCommand(argv: readonly string[], io: CliIo): Promise<number> {
  const { values, positionals } = parseArgs({
    args: [...argv],
    allowPositionals: true,
    strict: true,
    options: {
      json: { type: "boolean", default: false },
      rejects: { type: "string" },
      "dedup-ttl": { type: "string" },
      "supported-versions": { type: "string" },
      "snapshot-ts": { type: "string" },
      now: { type: "string" },
      help: { type: "boolean", short: "h", default: false },
    },
  });
  if (values.help) {
    io.stdout.write(VALIDATE_HELP);
    return 0;
  }
  if (positionals.length === 0)
    throw new UsageError("lpa validate needs at least one input file (or - for stdin)");
  const ttl = parseMs("--dedup-ttl", values["dedup-ttl"]);
  const resolved = resolveGateConfig({
    ...(ttl !== undefined ? { dedupTtlMs: ttl } : {}),
    ...(values["supported-versions"] !== undefined
      ? { supportedVersions: [...parseSupportedVersions(values["supported-versions"])] }
      : {}),
  });
  if (!resolved.ok)
    throw new UsageError(`invalid configuration: ${resolved.error.issues.join("; ")}`);
  const config = resolved.value;
  const now = parseMs("--now", values.now) ?? io.clock();
  const snapshotTs = parseMs("--snapshot-ts", values["snapshot-ts"]);
  const sources = positionals.map(describeInput);

  // Written next to the target and renamed over it at the end: never half a file.
  const rejects =
    values.rejects === undefined ? null : AtomicFile.open(values.rejects, "--rejects");

  const started = io.clock();
  const state = initQualityState(config);
  const tally: ValidationTally = emptyTally();
  let gateDlq = 0;
  let duplicates = 0;
  let watermark: number | null = null;
  let read: Awaited<ReturnType<typeof forEachInputRecord>>;
  try {
    const take = (out: QualityOutput): void => {
      tallyOutput(tally, out);
      if (out.kind === "counter") {
        if (out.name === "quality_gate.dlq") gateDlq += out.delta;
        else if (out.name === "quality_gate.dedup.duplicates") duplicates += out.delta;
      }
      if (out.kind === "accepted" && (watermark === null || out.event.timestamp > watermark))
        watermark = out.event.timestamp;
      if (rejects !== null && (out.kind === "dlq" || out.kind === "quarantine"))
        rejects.writeLine(serializeEnvelope(out.envelope));
    };
    const options = {
      command: "validate",
      io,
      snapshotTs,
      maxRecordBytes: config.maxRecordBytes,
      onOversize: (o: OversizeRecord) => oversizeRecordOutputs(o, now).forEach(take),
    };
    read = await forEachInputRecord(sources, options, (record) => {
      for (const out of qualityOperator.stepInPlace(state, { record, now }, config)) take(out);
      // Dedup TTL is measured in event time: the watermark follows the newest accepted event.
      if (watermark !== null) qualityOperator.advanceInPlace(state, watermark, config);
    });
    rejects?.commit();
  } finally {
    rejects?.dispose();
  }
  const inputs: InputSummary[] = read.map((r) => ({
    name: r.name,
    format: r.format,
    records: r.records,
    skippedBlank: r.skippedBlank,
    notes: r.notes,
  }));
  const dlq = sum(tally.dlqByReason);
  const quarantine = sum(tally.quarantineByReason);
  const afterAcceptance = { dlq: dlq - gateDlq, quarantine: quarantine - duplicates };
  const events: EventCounts = {
    read: tally.input,
    accepted: sum(tally.acceptedByType),
    gateDlq,
    duplicates,
    futureEventTime: 0,
    afterAcceptance,
    dlq,
    quarantine,
  };
  const wallTimeMs = io.clock() - started;
  const report: ValidateReport = {
    schemaVersion: REPORT_SCHEMA_VERSION,
    inputs,
    events,
    records: events.read,
    accepted: events.accepted,
    gateDlq,
    duplicates,
    afterAcceptance: { ...afterAcceptance },
    dlq,
    quarantine,
    acceptedByType: sorted(tally.acceptedByType),
    rowsByTable: sorted(tally.rowsByTable),
    dlqByReason: sorted(tally.dlqByReason),
    quarantineByReason: sorted(tally.quarantineByReason),
    dedupStrategies: sorted(tally.dedupStrategies),
    config,
    wallTimeMs,
    eventsPerSecond: Math.round(events.read / Math.max(wallTimeMs / 1000, 0.001)),
  };
  io.stdout.write(values.json ? JSON.stringify(report, null, 2) + "\n" : renderReport(report));
  return 0;
}

const n = (x: number): string => x.toLocaleString("en-US");

/** Human-readable rendering of a {@link ValidateReport}. */
export function renderReport(r: ValidateReport): string {
  const parts: string[] = [];
  parts.push(
    formatTable(
      ["input", "format", "records", "blank lines"],
      r.inputs.map((i) => [i.name, i.format, i.records, i.skippedBlank]),
    ),
  );
  for (const i of r.inputs) for (const n of i.notes) parts.push(`note (${i.name}): ${n}`);
  parts.push(
    "",
    `records ${n(r.events.read)} = accepted ${n(r.events.accepted)} + DLQ at the gate ${n(r.events.gateDlq)} + duplicates ${n(r.events.duplicates)}`,
    `rejected after acceptance (not in the count above): DLQ ${n(r.events.afterAcceptance.dlq)}, quarantine ${n(r.events.afterAcceptance.quarantine)}`,
    "",
    formatTable(["accepted event type", "events"], Object.entries(r.acceptedByType)),
    "",
    formatTable(["typed table", "rows"], Object.entries(r.rowsByTable)),
  );
  if (r.events.dlq > 0)
    parts.push("", formatTable(["DLQ reason", "envelopes"], Object.entries(r.dlqByReason)));
  if (r.events.quarantine > 0)
    parts.push(
      "",
      formatTable(["quarantine reason", "envelopes"], Object.entries(r.quarantineByReason)),
    );
  const secs = r.wallTimeMs / 1000;
  parts.push("", `wall time ${secs.toFixed(3)} s (${n(r.eventsPerSecond)} records/s)`, "");
  return parts.join("\n");
}

/** The default gate configuration, re-exported for the help text and tests. */
export const VALIDATE_DEFAULTS = DEFAULT_GATE_CONFIG;
