/**
 * Helpers of the Kafka integration tests: topics with unique names, producing generated and real
 * events, running the built `lpa` CLI as a child process, and reading every table's final content
 * from an embedded ClickHouse directory for comparisons.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { randomUUID } from "node:crypto";
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { expect, inject, onTestFinished } from "vitest";
import {
  createExecutor,
  generateDdl,
  isTableName,
  TABLE_NAMES,
  toClickHouseRow,
  type TableName,
  type TableRow,
} from "@livepeer-analytics/clickhouse";
import { realEventLines, realisticEventLines } from "@livepeer-analytics/testing/fixtures";
import {
  createKafkaJsClient,
  eventKey,
  type KafkaClientPort,
  type KafkaOutgoing,
} from "../src/index.js";
import "./broker-context.js";

const here = dirname(fileURLToPath(import.meta.url));
/** Repository root. */
export const ROOT = join(here, "..", "..", "..");
/** The built CLI entry point (tests that spawn it need `npm run build` first). */
export const LPA_BIN = join(ROOT, "packages", "cli", "bin", "lpa.js");
/** The real fixture (65 events of one session). */
export const REAL_FIXTURE = join(
  ROOT,
  "packages",
  "testing",
  "fixtures",
  "real",
  "streaming-events-2026-01-08.jsonl",
);

/** Bootstrap address of the shared test broker. */
export function brokers(): string {
  return inject("kafkaBrokers");
}

/** A name unique to this run (topics, groups). */
export function unique(prefix: string): string {
  return `${prefix}-${randomUUID().slice(0, 8)}`;
}

/** A fresh temporary directory (call it inside a test). */
export function tempDir(prefix: string, options: { readonly keep?: boolean } = {}): string {
  const dir = mkdtempSync(join(tmpdir(), `lpa-${prefix}-`));
  // Removed when the test passes (kept for inspection when it fails). A broker's data directory
  // is kept (`keep`): it must outlive the test until the broker is stopped.
  if (options.keep !== true)
    onTestFinished((ctx) => {
      if (ctx.task.result?.state === "pass") rmSync(dir, { recursive: true, force: true });
    });
  return dir;
}

/** A client on `bootstrap` (default: the shared broker). */
export function client(bootstrap: string = brokers()): KafkaClientPort {
  return createKafkaJsClient({ brokers: [bootstrap], clientId: "lpa-test" });
}

/** Creates `topic` with `partitions` partitions. */
export async function createTopic(
  c: KafkaClientPort,
  topic: string,
  partitions: number,
): Promise<void> {
  const admin = await c.admin();
  try {
    await admin.ensureTopics([{ topic, partitions }]);
  } finally {
    await admin.close();
  }
}

/** Writes `lines` as JSONL to `DIR/NAME` (what `lpa replay` reads); returns the file's path. */
export function writeInput(dir: string, lines: readonly string[], name = "input.jsonl"): string {
  const file = join(dir, name);
  writeFileSync(file, lines.join("\n") + "\n");
  return file;
}

/** A test's prepared input: see {@link prepareTopic}. */
export interface PreparedTopic {
  /** A client on the shared broker. */
  readonly c: KafkaClientPort;
  /** The new topic, `NAME-XXXXXXXX` ({@link unique}). */
  readonly topic: string;
  /** `DIR/input.jsonl`: every line of the input, for `lpa replay` ({@link replayTables}). */
  readonly input: string;
}

/**
 * Prepares the input of a test that compares with `lpa replay`: all of `lines` written to
 * `DIR/input.jsonl` ({@link writeInput}), and a new topic ({@link unique} of `name`) with
 * `partitions` partitions on the shared broker holding the lines of `produce` (default: all of
 * `lines`; a test that produces the rest later passes the first part, or none).
 */
export async function prepareTopic(options: {
  readonly dir: string;
  readonly name: string;
  readonly lines: readonly string[];
  readonly partitions: number;
  readonly produce?: readonly string[];
}): Promise<PreparedTopic> {
  const topic = unique(options.name);
  const input = writeInput(options.dir, options.lines);
  const c = client();
  await createTopic(c, topic, options.partitions);
  const produce = options.produce ?? options.lines;
  if (produce.length > 0) await produceLines(c, topic, produce);
  return { c, topic, input };
}

/** Produces lines keyed like `lpa produce` does ({@link eventKey}), in batches. */
export async function produceLines(
  c: KafkaClientPort,
  topic: string,
  lines: readonly string[],
): Promise<void> {
  const producer = await c.producer();
  try {
    for (let i = 0; i < lines.length; i += 1000)
      await producer.send(
        topic,
        lines.slice(i, i + 1000).map((value) => ({ key: eventKey(value), value })),
      );
  } finally {
    await producer.close();
  }
}

/** The test input of the issue: the real fixture plus `generated` realistic generated events. */
export function testInput(
  generated: number,
  sessions = Math.max(1, Math.round(generated / 100)),
): string[] {
  return [...realEventLines(), ...realisticEventLines(generated, sessions)];
}

/** Result of a CLI run. */
export interface LpaResult {
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
  readonly stdout: string;
  readonly stderr: string;
}

/** A running CLI process. */
export interface LpaProcess {
  readonly child: ChildProcess;
  /** Resolves when the process ends. */
  readonly done: Promise<LpaResult>;
  /** Output so far. */
  output(): { stdout: string; stderr: string };
}

/** Spawns `lpa ARGS` (the built CLI). */
export function spawnLpa(args: readonly string[], env: NodeJS.ProcessEnv = {}): LpaProcess {
  if (!existsSync(join(ROOT, "packages", "cli", "dist", "main.js")))
    throw new Error("the CLI is not built: run `npm run build` first");
  const child = spawn(process.execPath, [LPA_BIN, ...args], {
    cwd: ROOT,
    env: { ...process.env, ...env },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let stdout = "";
  let stderr = "";
  child.stdout!.on("data", (d: Buffer) => (stdout += d.toString("utf8")));
  child.stderr!.on("data", (d: Buffer) => (stderr += d.toString("utf8")));
  const done = new Promise<LpaResult>((resolve) =>
    child.on("close", (code, signal) => resolve({ code, signal, stdout, stderr })),
  );
  return { child, done, output: () => ({ stdout, stderr }) };
}

/** Runs `lpa ARGS` to its end. */
export function runLpa(args: readonly string[], env: NodeJS.ProcessEnv = {}): Promise<LpaResult> {
  return spawnLpa(args, env).done;
}

/** Whether a spawned CLI process has not ended yet. */
export function isRunning(p: LpaProcess): boolean {
  return p.child.exitCode === null && p.child.signalCode === null;
}

/**
 * Kills (SIGKILL) every process of `procs` still running: the clean-up of a test's `finally`.
 * Each gets a SIGCONT first (a no-op unless a test paused it with SIGSTOP).
 */
export function killAll(procs: readonly LpaProcess[]): void {
  for (const p of procs)
    if (isRunning(p)) {
      p.child.kill("SIGCONT");
      p.child.kill("SIGKILL");
    }
}

/** Resolves after `ms`. */
export function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

/** The dead-letter topic the tests give `lpa run` for input `topic` ({@link runArgs}). */
export function dlqTopicOf(topic: string): string {
  return `${topic}-dlq`;
}

/** Options of {@link runArgs}: each one is the `lpa run` flag of the same name. */
export interface RunOptions {
  /** `--brokers` (default: the shared broker, {@link brokers}). */
  readonly brokers?: string | undefined;
  /** `--topic`; the DLQ and quarantine topics are named after it (`TOPIC-dlq`, `TOPIC-quarantine`). */
  readonly topic: string;
  /** `--group`. */
  readonly group: string;
  /** `--clickhouse embedded:DIR`: the embedded ClickHouse directory to write. */
  readonly clickhouse?: string | undefined;
  /** `--out DIR`: a JSONL directory to write (`<table>.jsonl`). */
  readonly out?: string | undefined;
  /** `--checkpoint-dir`. */
  readonly checkpointDir?: string | undefined;
  /** `--checkpoint-topic`. */
  readonly checkpointTopic?: string | undefined;
  /** `--checkpoint-interval`, ms. */
  readonly checkpointIntervalMs?: number | undefined;
  /** `--session-timeout`, ms. */
  readonly sessionTimeoutMs?: number | undefined;
  /** `--config FILE`. */
  readonly config?: string | undefined;
  /** `--metrics-port 0` (a free port, logged). */
  readonly metrics?: boolean | undefined;
  /** `--log-format json`. */
  readonly jsonLogs?: boolean | undefined;
  /** `--exit-when-idle`, ms. */
  readonly exitWhenIdleMs?: number | undefined;
}

/**
 * The argument list of `lpa run` for `options`, always with `--dlq-topic TOPIC-dlq` and
 * `--quarantine-topic TOPIC-quarantine`; an option left out adds no flag.
 */
export function runArgs(options: RunOptions): string[] {
  const flag = (name: string, value: string | number | undefined): string[] =>
    value === undefined ? [] : [name, String(value)];
  return [
    "run",
    ...flag("--brokers", options.brokers ?? brokers()),
    ...flag("--topic", options.topic),
    ...flag("--group", options.group),
    ...flag(
      "--clickhouse",
      options.clickhouse === undefined ? undefined : `embedded:${options.clickhouse}`,
    ),
    ...flag("--out", options.out),
    ...flag("--checkpoint-dir", options.checkpointDir),
    ...flag("--checkpoint-topic", options.checkpointTopic),
    ...flag("--checkpoint-interval", options.checkpointIntervalMs),
    ...flag("--session-timeout", options.sessionTimeoutMs),
    ...flag("--config", options.config),
    ...flag("--dlq-topic", dlqTopicOf(options.topic)),
    ...flag("--quarantine-topic", `${options.topic}-quarantine`),
    ...flag("--metrics-port", options.metrics === true ? 0 : undefined),
    ...flag("--log-format", options.jsonLogs === true ? "json" : undefined),
    ...flag("--exit-when-idle", options.exitWhenIdleMs),
  ];
}

/**
 * Checks that `lpa run` ended well: exit code 0 and no internal error or sink failure logged.
 */
export function expectCleanExit(result: LpaResult): void {
  expect(result.stderr).not.toMatch(/internal error|sink failure/);
  expect(result.code, result.stderr).toBe(0);
}

/**
 * Columns that legitimately differ between two runs over the same events: `version` (numbering
 * depends on the emission mode and activation epoch), `ingestion_timestamp` (the envelope's `now`:
 * the Kafka record time in `lpa run`, the event-time clock in `lpa replay`), the transport
 * coordinates of rejection rows (`source_*`: file name and line in `lpa replay`, topic, partition,
 * offset and record time in `lpa run`) and the schema table's `applied_at`.
 */
export const RUN_DEPENDENT_COLUMNS: ReadonlySet<string> = new Set([
  "version",
  "ingestion_timestamp",
  "source_topic",
  "source_partition",
  "source_offset",
  "source_record_timestamp",
  "applied_at",
]);

/**
 * The differences between two {@link finalTables} results, per table: the first few rows only in
 * one of them (empty when equal, so `expect(diffTables(a, b)).toEqual([])` prints little).
 */
export function diffTables(
  got: Record<string, string[]>,
  want: Record<string, string[]>,
  show = 2,
): { table: string; onlyGot: number; onlyWant: number; examples: string[] }[] {
  const out: { table: string; onlyGot: number; onlyWant: number; examples: string[] }[] = [];
  for (const table of new Set([...Object.keys(got), ...Object.keys(want)])) {
    const count = (rows: string[]): Map<string, number> => {
      const m = new Map<string, number>();
      for (const r of rows) m.set(r, (m.get(r) ?? 0) + 1);
      return m;
    };
    const g = count(got[table] ?? []);
    const w = count(want[table] ?? []);
    const onlyGot: string[] = [];
    const onlyWant: string[] = [];
    for (const [r, n] of g) for (let i = w.get(r) ?? 0; i < n; i++) onlyGot.push(r);
    for (const [r, n] of w) for (let i = g.get(r) ?? 0; i < n; i++) onlyWant.push(r);
    if (onlyGot.length + onlyWant.length > 0)
      out.push({
        table,
        onlyGot: onlyGot.length,
        onlyWant: onlyWant.length,
        examples: [
          ...onlyGot.slice(0, show).map((r) => `got:  ${r.slice(0, 600)}`),
          ...onlyWant.slice(0, show).map((r) => `want: ${r.slice(0, 600)}`),
        ],
      });
  }
  return out;
}

/**
 * Final content of every table of an embedded ClickHouse directory: `SELECT * FROM t FINAL`
 * without {@link RUN_DEPENDENT_COLUMNS}, each row as JSON, sorted. Tables are compared as
 * multisets of rows.
 */
export async function finalTables(
  path: string,
  database = "livepeer_analytics",
): Promise<Record<TableName, string[]>> {
  const ex = await createExecutor({ kind: "embedded", path, database });
  try {
    const out = {} as Record<TableName, string[]>;
    for (const t of TABLE_NAMES) {
      const rows = await ex.query<Record<string, unknown>>(`SELECT * FROM ${database}.${t} FINAL`);
      out[t] = rows
        .map((r) => {
          const kept: Record<string, unknown> = {};
          for (const k of Object.keys(r).sort()) if (!RUN_DEPENDENT_COLUMNS.has(k)) kept[k] = r[k];
          return JSON.stringify(kept);
        })
        .sort();
    }
    return out;
  } finally {
    await ex.close();
  }
}

/** Row counts per table of {@link finalTables} output (for readable assertion messages). */
export function counts(tables: Record<string, string[]>): Record<string, number> {
  return Object.fromEntries(Object.entries(tables).map(([t, rows]) => [t, rows.length]));
}

/**
 * Runs `lpa replay INPUT --clickhouse embedded:DIR/ch-replay --no-assertions` (with `--config`
 * when given), checks that it exits 0 and returns its {@link finalTables}: what a test compares
 * the tables of `lpa run` with.
 */
export async function replayTables(
  input: string,
  dir: string,
  options: { readonly config?: string } = {},
): Promise<Record<TableName, string[]>> {
  const replay = await runLpa([
    "replay",
    input,
    ...(options.config === undefined ? [] : ["--config", options.config]),
    "--clickhouse",
    `embedded:${join(dir, "ch-replay")}`,
    "--no-assertions",
  ]);
  expect(replay.code, replay.stderr).toBe(0);
  return finalTables(join(dir, "ch-replay"));
}

/**
 * Checks that the tables of a run (`got`) equal those of `lpa replay` (`want`, see
 * {@link replayTables}): the same row counts per table first (a short message), then the same rows.
 */
export function expectSameAsReplay(
  got: Record<string, string[]>,
  want: Record<string, string[]>,
): void {
  expect(counts(got)).toEqual(counts(want));
  expect(diffTables(got, want)).toEqual([]);
}

/** Reads every record of a topic (bounded by its end offsets now). */
export async function readAll(c: KafkaClientPort, topic: string): Promise<string[]> {
  const out: string[] = [];
  await c.readTopic(topic, {
    onRecords: (records) => {
      for (const r of records)
        out.push(r.value === null ? "" : Buffer.from(r.value).toString("utf8"));
    },
  });
  return out;
}

/** Waits until `check` returns true (polling), or throws after `timeoutMs`. */
export async function waitFor(
  what: string,
  check: () => boolean | Promise<boolean>,
  timeoutMs = 120_000,
  everyMs = 200,
): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (Date.now() < end) {
    if (await check()) return;
    await new Promise((r) => setTimeout(r, everyMs));
  }
  throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
}

/**
 * Loads the JSONL outputs of one or more runners (`lpa run --out DIR`, `<table>.jsonl` per table)
 * into a fresh embedded ClickHouse at `path` (tables from `generateDdl`), so that what several
 * group members wrote can be compared with {@link finalTables}. `tolerateTornTail` lists the
 * directories of runners killed with SIGKILL, whose last line may be cut short (that line is after
 * their last checkpoint, so the member that took over wrote it again).
 */
export async function loadJsonlDirs(
  path: string,
  dirs: readonly string[],
  options: { tolerateTornTail?: readonly string[]; database?: string } = {},
): Promise<Record<string, number>> {
  const database = options.database ?? "livepeer_analytics";
  const ex = await createExecutor({ kind: "embedded", path, database });
  const loaded: Record<string, number> = {};
  try {
    for (const sql of generateDdl({ database, ttl: false })) await ex.command(sql);
    for (const dir of dirs) {
      if (!existsSync(dir)) continue;
      for (const name of readdirSync(dir).sort()) {
        if (!name.endsWith(".jsonl")) continue;
        const table = name.slice(0, -".jsonl".length);
        const lines = readFileSync(join(dir, name), "utf8").split("\n");
        const rows: object[] = [];
        lines.forEach((line, i) => {
          if (line === "") return;
          try {
            rows.push(JSON.parse(line) as object);
          } catch (error) {
            const last = i >= lines.length - 2;
            if (!(last && (options.tolerateTornTail ?? []).includes(dir))) throw error;
          }
        });
        const mapped = rows.map((r) =>
          isTableName(table) ? toClickHouseRow(table, r as TableRow<TableName>) : r,
        );
        for (let i = 0; i < mapped.length; i += 5000)
          await ex.insert(table, mapped.slice(i, i + 5000));
        loaded[table] = (loaded[table] ?? 0) + rows.length;
      }
    }
  } finally {
    await ex.close();
  }
  return loaded;
}

/** The port of `lpa run --metrics-port 0`, parsed from its stderr (text or JSON logs), or `null`. */
export function metricsPort(stderr: string): number | null {
  const m = /metrics on http:\/\/127\.0\.0\.1:(\d+)\/metrics/.exec(stderr);
  return m === null ? null : Number(m[1]);
}

/** Waits (see {@link waitFor}, named `what`) until `p` has logged its metrics port; returns it. */
export async function waitForMetricsPort(what: string, p: LpaProcess): Promise<number> {
  await waitFor(what, () => metricsPort(p.output().stderr) !== null);
  return metricsPort(p.output().stderr)!;
}

/** GET `http://127.0.0.1:PORT/PATH`: status and body (status 0 when the connection fails). */
export async function httpGet(
  port: number,
  path: string,
): Promise<{ status: number; body: string }> {
  try {
    const res = await fetch(`http://127.0.0.1:${port}${path}`);
    return { status: res.status, body: await res.text() };
  } catch {
    return { status: 0, body: "" };
  }
}

/**
 * The value of one sample of a Prometheus text exposition: `name` with exactly the given labels
 * (all labels when `labels` is omitted and the metric has none), or `null` when absent.
 */
export function metricValue(
  text: string,
  name: string,
  labels: Readonly<Record<string, string>> = {},
): number | null {
  for (const line of text.split("\n")) {
    if (line.startsWith("#")) continue;
    const m = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{([^}]*)\})?\s+(\S+)/.exec(line);
    if (m === null || m[1] !== name) continue;
    const got: Record<string, string> = {};
    for (const part of (m[2] ?? "").matchAll(/([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"/g))
      got[part[1]!] = part[2]!;
    const want = Object.entries(labels);
    if (want.length !== Object.keys(got).length) continue;
    if (want.every(([k, v]) => got[k] === v)) return Number(m[3]);
  }
  return null;
}

/** Produces records as they are (raw bytes, null values, chosen keys), in one request. */
export async function produceRecords(
  c: KafkaClientPort,
  topic: string,
  records: readonly KafkaOutgoing[],
): Promise<void> {
  const producer = await c.producer();
  try {
    await producer.send(topic, records);
  } finally {
    await producer.close();
  }
}
