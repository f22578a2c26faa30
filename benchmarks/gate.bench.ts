/**
 * Quality-gate throughput: decode + validate + dedup + parse + row guard over realistic lines,
 * compared, in the same run, with bare `JSON.parse` of the same lines.
 *
 *   npm run bench -- gate [events=200000] [sessions=10000]
 */
import {
  DEFAULT_GATE_CONFIG,
  initQualityState,
  qualityOperator,
} from "@livepeer-analytics/core/quality";
import { generateLines } from "./generate.js";

const events = Number(process.argv[2] ?? 200_000);
const sessions = Number(process.argv[3] ?? 10_000);
const lines = generateLines({ events, sessions });
const bytes = lines.reduce((a, l) => a + l.length, 0);
const gc = (globalThis as { gc?: () => void }).gc;

function time(
  label: string,
  fn: () => number,
): { label: string; ms: number; perSec: number; sink: number } {
  gc?.();
  const t0 = process.hrtime.bigint();
  const sink = fn();
  const ms = Number(process.hrtime.bigint() - t0) / 1e6;
  return { label, ms, perSec: (lines.length / ms) * 1000, sink };
}

function bareParse(): number {
  let n = 0;
  for (const l of lines) {
    try {
      if (JSON.parse(l) !== null) n++;
    } catch {
      n--;
    }
  }
  return n;
}

function gate(): number {
  const state = initQualityState();
  let n = 0;
  let w = 0;
  for (let i = 0; i < lines.length; i++) {
    const outs = qualityOperator.stepInPlace(
      state,
      { record: { value: lines[i]!, offset: i }, now: 0 },
      DEFAULT_GATE_CONFIG,
    );
    for (const o of outs) {
      if (o.kind === "accepted" && o.event.timestamp > w) w = o.event.timestamp;
      else if (o.kind === "row") n++;
    }
    if ((i & 1023) === 0) qualityOperator.advanceInPlace(state, w, DEFAULT_GATE_CONFIG);
  }
  return n;
}

// Warm up both paths on a slice, then measure each twice and keep the best.
bareParse();
gate();
const a = [time("JSON.parse", bareParse), time("JSON.parse", bareParse)].sort(
  (x, y) => x.ms - y.ms,
)[0]!;
const b = [time("gate pipeline", gate), time("gate pipeline", gate)].sort(
  (x, y) => x.ms - y.ms,
)[0]!;
const heap = process.memoryUsage().heapUsed;
const fmt = (n: number) => Math.round(n).toLocaleString("en-US");
console.log(
  `lines ${fmt(lines.length)} (${(bytes / 1048576).toFixed(1)} MiB), sessions ${fmt(sessions)}`,
);
console.log(`(a) bare JSON.parse      ${fmt(a.perSec)} lines/s  (${a.ms.toFixed(0)} ms)`);
console.log(
  `(b) quality pipeline     ${fmt(b.perSec)} lines/s  (${b.ms.toFixed(0)} ms), ${fmt(b.sink)} typed rows`,
);
console.log(`(c) ratio b/a            ${(b.perSec / a.perSec).toFixed(3)}`);
console.log(`heap used after run      ${(heap / 1048576).toFixed(0)} MiB`);
