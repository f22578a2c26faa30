/**
 * ClickHouse output cost, in two modes (each its own process: chDB allows one data directory per
 * process).
 *
 *   npm run bench -- clickhouse sink [rows=1000000]
 *     Rows/s of the batched sink into embedded ClickHouse (in memory) for `rows`
 *     `fact_workflow_sessions` rows shaped like the real fixture's session, against the same run's
 *     baseline of mapping + serializing the same rows (what any JSONL writer must do as well).
 *
 *   npm run bench -- clickhouse replay [envelopes=1000000] [sessions=10000]
 *     End-to-end `lpa replay` of the generated engine file (see engine-file.ts): JSONL-only output
 *     vs `--clickhouse embedded:<tmp>` (DDL, sink, no assertions; the assertion suite is timed
 *     separately), wall time and events/s of both and their ratio.
 */
import { createHash } from "node:crypto";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { PassThrough } from "node:stream";
import { run, type CliIo, type ReplaySummary } from "@livepeer-analytics/cli";
import {
  createClickHouseSink,
  createEmbeddedExecutor,
  EMBEDDED_IN_MEMORY_PATH,
  generateDdl,
  runAssertions,
  serializeRow,
  toClickHouseRow,
  type TableRow,
} from "@livepeer-analytics/clickhouse";
import { createEngine } from "@livepeer-analytics/core/engine";
import { realEventLines } from "@livepeer-analytics/testing/fixtures";
import { ensureEngineFile } from "./engine-file.js";

const fmt = (n: number): string => Math.round(n).toLocaleString("en-US");
const [mode = "sink", ...rest] = process.argv.slice(2);

/** The real fixture's final session row. */
function templateSession(): TableRow<"fact_workflow_sessions"> {
  const engine = createEngine(
    {},
    { sha256Hex: (t) => createHash("sha256").update(t, "utf8").digest("hex") },
  );
  const state = engine.init();
  let last: TableRow<"fact_workflow_sessions"> | null = null;
  const lines = realEventLines();
  const take = (outs: readonly { kind: string; table?: string; row?: unknown }[]): void => {
    for (const o of outs)
      if (o.kind === "row" && o.table === "fact_workflow_sessions")
        last = o.row as TableRow<"fact_workflow_sessions">;
  };
  lines.forEach((value, i) =>
    take(engine.stepInPlace(state, { record: { value, offset: i }, now: state.frontier ?? 0 })),
  );
  take(engine.flushInPlace(state));
  if (last === null) throw new Error("the fixture produced no session row");
  return last;
}

async function sinkMode(rows: number): Promise<void> {
  const template = templateSession();
  const rowAt = (i: number): TableRow<"fact_workflow_sessions"> => ({
    ...template,
    workflow_session_id: `bench-${i}|req-${i % 97}`,
    stream_id: `bench-${i}`,
    version: 1 + (i % 3),
    session_start_ts: template.session_start_ts + (i % 86_400_000),
  });
  // Baseline: map + serialize every row (no I/O).
  globalThis.gc?.();
  let t0 = performance.now();
  let bytes = 0;
  for (let i = 0; i < rows; i++) bytes += serializeRow("fact_workflow_sessions", rowAt(i)).length;
  const baseMs = performance.now() - t0;

  const executor = await createEmbeddedExecutor({
    path: EMBEDDED_IN_MEMORY_PATH,
    database: "lpa_bench",
  });
  for (const sql of generateDdl({ database: "lpa_bench", ttl: false })) await executor.command(sql);
  let batches = 0;
  let maxInFlight = 0;
  const sink = createClickHouseSink(executor, {
    toRow: (_t, row) => toClickHouseRow("fact_workflow_sessions", row as never),
    onBatch: (e) => (maxInFlight = Math.max(maxInFlight, e.inFlight)),
    onInserted: () => (batches += 1),
  });
  globalThis.gc?.();
  t0 = performance.now();
  for (let i = 0; i < rows; i++) {
    const p = sink.write("fact_workflow_sessions", rowAt(i));
    // Only wait when the sink pushes back (its buffer is full); otherwise keep producing.
    if ((i & 1023) === 1023) await p;
  }
  await sink.flush();
  const sinkMs = performance.now() - t0;
  await sink.close();
  const [count] = await executor.query<{ n: string }>(
    "SELECT count() AS n FROM fact_workflow_sessions",
  );
  await executor.close();
  const baseRate = (rows / baseMs) * 1000;
  const sinkRate = (rows / sinkMs) * 1000;
  console.log(
    `${fmt(rows)} fact_workflow_sessions rows (${(bytes / rows).toFixed(0)} B each as JSONEachRow)`,
  );
  console.log(
    `(a) map + serialize only         ${fmt(baseRate)} rows/s (${(baseMs / 1000).toFixed(1)} s)`,
  );
  console.log(
    `(b) sink into embedded ClickHouse ${fmt(sinkRate)} rows/s (${(sinkMs / 1000).toFixed(1)} s), ${fmt(batches)} batches, max in flight ${maxInFlight}, ${count?.n} rows stored`,
  );
  console.log(`(c) ratio b/a                    ${(sinkRate / baseRate).toFixed(3)}`);
}

function quietIo(): { io: CliIo; out: () => string } {
  let text = "";
  const stdout = new PassThrough();
  stdout.on("data", (c: Buffer) => (text += c.toString("utf8")));
  const stderr = new PassThrough();
  stderr.resume();
  return {
    io: {
      stdout,
      stderr,
      stdin: new PassThrough(),
      clock: () => Date.now(),
      mtimeMs: () => null,
    },
    out: () => text,
  };
}

async function replay(args: string[]): Promise<{ ms: number; summary: ReplaySummary }> {
  const { io, out } = quietIo();
  globalThis.gc?.();
  const t0 = performance.now();
  const code = await run(["replay", ...args, "--json"], io);
  const ms = performance.now() - t0;
  if (code !== 0) throw new Error(`lpa replay exited with ${code}`);
  return { ms, summary: JSON.parse(out()) as ReplaySummary };
}

async function replayMode(envelopes: number, sessions: number): Promise<void> {
  const file = await ensureEngineFile(envelopes, sessions);
  const dir = mkdtempSync(join(tmpdir(), "lpa-bench-"));
  try {
    const jsonl = await replay([file, "--out", join(dir, "out")]);
    const ch = await replay([
      file,
      "--clickhouse",
      `embedded:${join(dir, "db")}`,
      "--no-assertions",
    ]);
    const executor = await createEmbeddedExecutor({
      path: join(dir, "db"),
      database: "livepeer_analytics",
    });
    const t0 = performance.now();
    const results = await runAssertions(executor, {});
    const assertMs = performance.now() - t0;
    await executor.close();
    const read = jsonl.summary.events.read;
    const inserted = Object.values(ch.summary.clickhouse?.inserted ?? {}).reduce(
      (a, b) => a + b,
      0,
    );
    console.log(`file ${file} (${fmt(read)} envelopes)`);
    console.log(
      `(a) lpa replay, JSONL only        ${(jsonl.ms / 1000).toFixed(1)} s, ${fmt((read / jsonl.ms) * 1000)} events/s`,
    );
    console.log(
      `(b) lpa replay --clickhouse       ${(ch.ms / 1000).toFixed(1)} s, ${fmt((read / ch.ms) * 1000)} events/s, ${fmt(inserted)} rows inserted in ${fmt(ch.summary.clickhouse?.batches ?? 0)} batches`,
    );
    console.log(
      `(c) time ratio b/a                ${(ch.ms / jsonl.ms).toFixed(3)} (target <= 1.5)`,
    );
    console.log(
      `assertion suite afterwards        ${(assertMs / 1000).toFixed(1)} s, ${results.filter((r) => r.status === "fail").length} failed of ${results.length}`,
    );
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

if (mode === "sink") await sinkMode(Number(rest[0] ?? 1_000_000));
else if (mode === "replay")
  await replayMode(Number(rest[0] ?? 1_000_000), Number(rest[1] ?? 10_000));
else {
  console.error("usage: npm run bench -- clickhouse sink|replay [...]");
  process.exit(2);
}
