/**
 * End-to-end engine throughput against bare `JSON.parse`, on a generated realistic file.
 *
 *   npm run bench -- engine [envelopes=1000000] [sessions=10000] [emission=coalesced|final|every-change]
 *     [advanceGranularityMs=1000]
 *
 * The file (benchmarks/.cache/engine-<envelopes>-<sessions>.jsonl, generated once, deterministic)
 * holds the real 2026-01-08 session as a template replayed by many concurrent sessions in real
 * proportions (ingest metrics, status every ~10 s, traces, payments, discovery), capability
 * snapshots per hot wallet refreshed every 5 minutes, ~1 % duplicates, ~0.1 % malformed lines and
 * bounded reordering (≤ 5 s). Both passes stream the file line by line from disk and report, in
 * the same run: (a) bare `JSON.parse` of every line, (b) the full engine (gate, dedup, parsers,
 * capability index, lifecycle with correction, watermark), (c) b/a, and the peak heap of (b).
 */
import { createHash } from "node:crypto";
import { statSync } from "node:fs";
import {
  createEngine,
  type EmissionMode,
  type EngineOutput,
} from "@livepeer-analytics/core/engine";
import { bareParse, readLines } from "./bare-parse.js";
import { ensureEngineFile } from "./engine-file.js";

const envelopes = Number(process.argv[2] ?? 1_000_000);
const sessions = Number(process.argv[3] ?? 10_000);
const emission = (process.argv[4] ?? "coalesced") as EmissionMode;
const advanceGranularityMs = Number(process.argv[5] ?? 1_000);
const fmt = (n: number): string => Math.round(n).toLocaleString("en-US");

async function engineRun(): Promise<{
  ms: number;
  lines: number;
  outputs: number;
  peakHeap: number;
  sessions: number;
  rows: number;
  sessionRows: number;
  finalSessionRows: number;
}> {
  const engine = createEngine(
    { emission, advanceGranularityMs },
    { sha256Hex: (text) => createHash("sha256").update(text, "utf8").digest("hex") },
  );
  const state = engine.init();
  let peakHeap = 0;
  let outputs = 0;
  let lines = 0;
  let rows = 0;
  // Emitted vs final `fact_workflow_sessions` rows (one final row per session id).
  let sessionRows = 0;
  const finalSessions = new Set<string>();
  const take = (out: readonly EngineOutput[]): void => {
    outputs += out.length;
    for (const o of out) {
      if (o.kind === "row") rows++;
      if (o.kind === "row" && o.table === "fact_workflow_sessions") {
        sessionRows++;
        finalSessions.add(o.row.workflow_session_id);
      }
    }
  };
  const t0 = process.hrtime.bigint();
  for await (const value of readLines(file)) {
    lines++;
    take(engine.stepInPlace(state, { record: { value, offset: lines }, now: state.frontier ?? 0 }));
    const w = engine.nextWatermark(state);
    if (w !== null) take(engine.advanceInPlace(state, w));
    if ((lines & 16383) === 0) peakHeap = Math.max(peakHeap, process.memoryUsage().heapUsed);
  }
  take(engine.flushInPlace(state));
  peakHeap = Math.max(peakHeap, process.memoryUsage().heapUsed);
  const ms = Number(process.hrtime.bigint() - t0) / 1e6;
  return {
    ms,
    lines,
    outputs,
    peakHeap,
    sessions: Object.keys((state.lifecycle as { sessions: object }).sessions).length,
    rows,
    sessionRows,
    finalSessionRows: finalSessions.size,
  };
}

const file = await ensureEngineFile(envelopes, sessions);
const size = statSync(file).size;
(globalThis as { gc?: () => void }).gc?.();
const a = await bareParse(file);
(globalThis as { gc?: () => void }).gc?.();
const b = await engineRun();
const aRate = (a.lines / a.ms) * 1000;
const bRate = (b.lines / b.ms) * 1000;
console.log(
  `file ${file} (${fmt(a.lines)} lines, ${(size / 1048576).toFixed(0)} MiB), ${fmt(sessions)} generated sessions`,
);
console.log(
  `(a) bare JSON.parse (streamed)   ${fmt(aRate)} lines/s (${(a.ms / 1000).toFixed(1)} s)`,
);
console.log(
  `(b) full engine (streamed)       ${fmt(bRate)} envelopes/s (${(b.ms / 1000).toFixed(1)} s), ${fmt(b.outputs)} outputs`,
);
console.log(`(c) ratio b/a                    ${(bRate / aRate).toFixed(3)}`);
console.log(
  `emission ${emission}, advanceGranularityMs ${advanceGranularityMs}: ${(b.outputs / b.lines).toFixed(2)} outputs (${(b.rows / b.lines).toFixed(2)} rows) per envelope; fact_workflow_sessions ${fmt(b.sessionRows)} emitted for ${fmt(b.finalSessionRows)} final rows`,
);
console.log(
  `peak heap during (b)             ${(b.peakHeap / 1048576).toFixed(0)} MiB; sessions in state at the end ${fmt(b.sessions)}`,
);
