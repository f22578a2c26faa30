/**
 * The Flink job of `examples/flink-sidecar` against `lpa replay` of the same events.
 *
 *   npm run build                      # once: the bench runs the built CLI
 *   npm run bench -- flink [envelopes=200000] [sessions=2000] [parallelism=2] [batch=5000]
 *
 * Target (issue 13): events/s through the Flink job at parallelism 2 with the sidecar ≥ 0.3× the
 * events/s of `lpa replay` of the same events on the same machine.
 *
 * (a) `lpa replay FILE --now T --out TMP --no-assertions --json` as a child process, timed from
 *     spawn to exit (replay-child.ts); (b) `examples/flink-sidecar/run --input FILE --now T
 *     --parallelism P --batch B`: the example's whole run (Maven build if needed, a Kafka broker,
 *     the sidecar, producing the file to a one-partition topic, the job on a local MiniCluster,
 *     loading its outputs). From its summary: the job's wall time from the MiniCluster's start to
 *     the end (`ms`: its sinks have committed; the later `lpa load` is not in it), its processing
 *     time from the first routed record to the end
 *     (`processingMs`: without the MiniCluster's start), the JVM's CPU time, the sidecar's CPU
 *     time, and the time the job's threads spent in sidecar calls by path (summed over subtasks:
 *     calls of different stages and subtasks overlap). Ratios (b)/(a) in events/s, both ways.
 *     The input is the generated engine file (engine-file.ts), cached under benchmarks/.tsc/.cache.
 */
import { spawnSync } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { ensureEngineFile } from "./engine-file.js";
import { fmt, lpaEntry, runLpaReplay, splitArgs } from "./replay-child.js";

const NOW = 1_800_000_000_000;

interface Phase {
  readonly ms: number;
  readonly processingMs: number;
  readonly cpuMs: number;
  readonly sidecarCalls: number;
  readonly sidecarRequestBytes: number;
  readonly sidecarMs: Record<string, number>;
}

interface Summary {
  readonly records: number;
  readonly batch: number;
  readonly parallelism: number;
  readonly sidecarCpuMs: number | null;
  readonly jobMs: number;
  readonly ms: number;
  readonly phases: Phase[];
}

const {
  numbers: [envelopes, sessions, parallelism, batch],
} = splitArgs(process.argv.slice(2), [200_000, 2_000, 2, 5_000]);

const file = await ensureEngineFile(envelopes!, sessions!);
const tmp = mkdtempSync(join(tmpdir(), "lpa-flink-bench-"));
try {
  const a = await runLpaReplay(file, ["--now", String(NOW)], tmp, "replay");
  const aRate = (a.summary.events.read / a.wallMs) * 1000;
  // The repository root: two levels above the CLI package (packages/cli).
  const root = join(dirname(lpaEntry()), "..", "..", "..");
  const run = join(root, "examples", "flink-sidecar", "run");
  const args = [
    "--input",
    file,
    "--out",
    join(tmp, "flink-out"),
    "--now",
    String(NOW),
    "--parallelism",
    String(parallelism),
    "--batch",
    String(batch),
  ];
  process.stderr.write(`running ${run} ${args.join(" ")}\n`);
  const r = spawnSync(run, args, { encoding: "utf8", maxBuffer: 64 * 1024 * 1024 });
  if (r.status !== 0)
    throw new Error(`the Flink example failed (${r.status ?? r.error?.message}):\n${r.stderr}`);
  const b = JSON.parse(r.stdout.trim().split("\n").pop()!) as Summary;
  const job = b.phases[0]!;
  const wholeRate = (b.records / job.ms) * 1000;
  const processingRate = (b.records / job.processingMs) * 1000;
  const s = (ms: number): string => (ms / 1000).toFixed(1);
  const lines = [
    `input ${file}: ${fmt(a.summary.events.read)} envelopes, ${fmt(sessions!)} generated sessions`,
    `(a) lpa replay --now ${NOW} --out: ${fmt(aRate)} events/s (${s(a.wallMs)} s spawn to exit)`,
    `(b) Flink job, parallelism ${b.parallelism}, batch ${fmt(b.batch)} records per sidecar call:`,
    `    ${fmt(wholeRate)} events/s over the job's wall time (${s(job.ms)} s, MiniCluster start included)`,
    `    ${fmt(processingRate)} events/s over its processing time (${s(job.processingMs)} s, first record routed → end of the job)`,
    `    CPU: job JVM ${s(job.cpuMs)} s, sidecar ${b.sidecarCpuMs === null ? "?" : s(b.sidecarCpuMs)} s`,
    `    sidecar calls ${fmt(job.sidecarCalls)}, ${fmt(job.sidecarRequestBytes / 1048576)} MiB of requests; time in calls (summed over subtasks): ` +
      Object.entries(job.sidecarMs)
        .map(([k, v]) => `${k} ${s(v)} s`)
        .join(", "),
    `(b)/(a): ${(wholeRate / aRate).toFixed(3)} over the job's wall time, ${(processingRate / aRate).toFixed(3)} over its processing time (target ≥ 0.3; (a) includes writing its tables, (b) ends when the job's sinks have committed, before lpa load writes the tables)`,
    `example run in all (build check, broker, produce, job, load): ${s(b.ms)} s`,
    `command: npm run bench -- flink ${envelopes} ${sessions} ${parallelism} ${batch}`,
  ];
  console.log(lines.join("\n"));
} finally {
  rmSync(tmp, { recursive: true, force: true });
}
