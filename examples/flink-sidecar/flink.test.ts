// The Flink job of this example against `lpa replay` (issue 13): the real fixture plus generated
// events through Kafka, the sidecar and a Flink MiniCluster give the final tables of `lpa replay`
// of the same events — at parallelism 2, after a task failure restored from a checkpoint, and
// after a savepoint at parallelism 2 restored at parallelism 3. Needs Java 17+ and Maven (the
// jars are cached under the cache directory of `lpa dev-kafka`); runs the built CLI (`npm run
// build` first).
import { spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { realEventLines, realisticEventLines } from "@livepeer-analytics/testing/fixtures";

const RUN = join(import.meta.dirname, "run");
const LPA = join(import.meta.dirname, "..", "..", "packages", "cli", "bin", "lpa.js");
/** The processing time given to both runs (`lpa replay --now`, the job's `--now`). */
const NOW = 1_800_000_000_000;
/** Rejection tables: their transport columns say where each run read the record. */
const REJECTION_TABLES = ["raw_streaming_events_dlq", "raw_streaming_events_quarantine"];

interface RunSummary {
  readonly topic: string;
  readonly records: number;
  readonly restored: number;
  readonly injectedFailures: number;
  readonly phases: { readonly stop: string; readonly records: number }[];
  readonly rejectionTopics: { readonly dlq: number; readonly quarantine: number };
  readonly tables: Record<string, number>;
  readonly clickhouse?: {
    readonly inserted: number;
    readonly assertionsPassed: number;
    readonly assertionsFailed: string[];
  };
}

let dir: string;
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), "lpa-flink-test-"));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** Writes the real fixture plus `generated` realistic events to one input file (once). */
function input(name: string, generated: number): string {
  const file = join(dir, name);
  if (existsSync(file)) return file;
  const lines = [...realEventLines(), ...realisticEventLines(generated, generated / 100, 13)];
  writeFileSync(file, lines.join("\n") + "\n");
  return file;
}

/** Time limit of one example run (the runner kills a job after its own, shorter limit). */
const RUN_TIMEOUT_MS = 800_000;

function runFlink(file: string, out: string, extra: string[] = []): RunSummary {
  const args = ["--input", file, "--out", out, "--now", String(NOW), "--job-timeout-ms", "360000"];
  const r = spawnSync(RUN, [...args, ...extra], {
    encoding: "utf8",
    maxBuffer: 64 * 1024 * 1024,
    // SIGTERM: the runner stops what it started before it exits.
    timeout: RUN_TIMEOUT_MS,
    killSignal: "SIGTERM",
  });
  if (r.status !== 0)
    throw new Error(`run exited ${r.status ?? r.signal}:\n${r.stderr}\n${r.stdout}`);
  return JSON.parse(r.stdout.trim().split("\n").pop()!) as RunSummary;
}

function replay(file: string, out: string): void {
  if (existsSync(out)) return;
  const r = spawnSync(process.execPath, [LPA, "replay", file, "--now", String(NOW), "--out", out], {
    encoding: "utf8",
  });
  if (r.status !== 0) throw new Error(`lpa replay exited ${r.status}:\n${r.stderr}`);
}

/** Each table's lines, sorted (the order rows come out in differs between the runs). */
function tables(out: string): Record<string, string[]> {
  const result: Record<string, string[]> = {};
  for (const f of readdirSync(out)
    .filter((n) => n.endsWith(".jsonl"))
    .sort())
    result[f.slice(0, -".jsonl".length)] = readFileSync(join(out, f), "utf8")
      .split("\n")
      .filter((l) => l !== "")
      .sort();
  return result;
}

/**
 * Checks that the job's final tables are `lpa replay`'s. Every table is compared line for line;
 * in the DLQ and quarantine tables `source_topic` and `source_record_timestamp` describe where
 * the record was read (the input file for replay, the Kafka topic and its broker timestamp for
 * the job), so they are checked for what each run read and then compared without them.
 */
function expectReplayTables(
  flinkOut: string,
  replayOut: string,
  summary: RunSummary,
  file: string,
  startedAt: number,
): void {
  const job = tables(flinkOut);
  const ref = tables(replayOut);
  expect(Object.keys(job)).toEqual(Object.keys(ref));
  const name = file.split("/").pop()!;
  for (const table of Object.keys(ref)) {
    if (!REJECTION_TABLES.includes(table)) {
      expect(job[table], table).toEqual(ref[table]);
      continue;
    }
    const strip = (line: string, topic: string, ts: (t: number) => boolean): string => {
      const row = JSON.parse(line) as Record<string, unknown>;
      expect(row["source_topic"]).toBe(topic);
      expect(ts(row["source_record_timestamp"] as number)).toBe(true);
      delete row["source_topic"];
      delete row["source_record_timestamp"];
      return JSON.stringify(row);
    };
    const jobRows = job[table]!.map((l) =>
      strip(l, summary.topic, (t) => t >= startedAt && t <= Date.now()),
    ).sort();
    const refRows = ref[table]!.map((l) => strip(l, name, (t) => t === 0)).sort();
    expect(jobRows, table).toEqual(refRows);
  }
  // The exactly-once Kafka sink committed each rejection once.
  expect(summary.rejectionTopics).toEqual({
    dlq: ref["raw_streaming_events_dlq"]?.length ?? 0,
    quarantine: ref["raw_streaming_events_quarantine"]?.length ?? 0,
  });
}

describe("examples/flink-sidecar", () => {
  it(
    "the real fixture plus 50k generated events at parallelism 2: lpa replay's final tables",
    { timeout: 900_000 },
    () => {
      const file = input("events-50k.jsonl", 50_000);
      const startedAt = Date.now();
      const summary = runFlink(file, join(dir, "flink-50k"), [
        "--parallelism",
        "2",
        "--clickhouse",
        `embedded:${join(dir, "clickhouse")}`,
      ]);
      replay(file, join(dir, "replay-50k"));
      expect(summary.records).toBe(realEventLines().length + 50_000);
      expect(summary.phases.map((p) => p.stop)).toEqual(["finished"]);
      expect(summary.restored).toBe(0);
      expect(summary.tables["fact_workflow_sessions"]).toBeGreaterThan(400);
      expect(summary.rejectionTopics.dlq).toBeGreaterThan(0);
      // The same rows went into embedded ClickHouse, and the SQL assertion suite passes on them.
      expect(summary.clickhouse!.assertionsFailed).toEqual([]);
      expect(summary.clickhouse!.assertionsPassed).toBeGreaterThan(50);
      expect(summary.clickhouse!.inserted).toBe(
        Object.values(summary.tables).reduce((a, b) => a + b, 0),
      );
      expectReplayTables(join(dir, "flink-50k"), join(dir, "replay-50k"), summary, file, startedAt);
    },
  );

  it(
    "a task failure mid-stream restores from the last checkpoint: the same final tables",
    { timeout: 900_000 },
    () => {
      const file = input("events-20k.jsonl", 20_000);
      const startedAt = Date.now();
      const summary = runFlink(file, join(dir, "flink-fail"), [
        "--parallelism",
        "2",
        "--checkpoint-interval-ms",
        "500",
        // Small batches: the lifecycle inputs arrive over several checkpoints.
        "--batch",
        "1000",
        "--fail-after-inputs",
        "4000",
      ]);
      replay(file, join(dir, "replay-20k"));
      expect(summary.injectedFailures).toBe(1);
      expect(summary.restored).toBe(2); // both lifecycle subtasks came back from the checkpoint
      expectReplayTables(
        join(dir, "flink-fail"),
        join(dir, "replay-20k"),
        summary,
        file,
        startedAt,
      );
    },
  );

  it(
    "a savepoint at parallelism 2 restored at parallelism 3: the same final tables",
    { timeout: 900_000 },
    () => {
      const file = input("events-20k.jsonl", 20_000);
      replay(file, join(dir, "replay-20k"));
      const startedAt = Date.now();
      const summary = runFlink(file, join(dir, "flink-rescale"), [
        "--parallelism",
        "2",
        "--savepoint-at-records",
        "8000",
        "--restore-parallelism",
        "3",
      ]);
      expect(summary.phases.map((p) => p.stop)).toEqual(["savepoint", "drained"]);
      expect(summary.phases[0]!.records).toBeGreaterThanOrEqual(8_000);
      expect(summary.phases[0]!.records).toBeLessThan(summary.records);
      expect(summary.restored).toBe(3);
      expectReplayTables(
        join(dir, "flink-rescale"),
        join(dir, "replay-20k"),
        summary,
        file,
        startedAt,
      );
    },
  );

  it("explains its options and refuses a run without --input", () => {
    const help = spawnSync(RUN, ["--help"], { encoding: "utf8" });
    expect(help.status).toBe(0);
    expect(help.stdout).toMatch(/Usage: examples\/flink-sidecar\/run --input FILE/);
    const bad = spawnSync(RUN, ["--out", join(dir, "x")], { encoding: "utf8" });
    expect(bad.status).toBe(1);
    expect(bad.stderr).toMatch(/--input FILE is required/);
  });
});
