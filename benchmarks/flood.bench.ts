/**
 * Engine throughput under a hostile flood: one session receiving many re-sent copies of its own
 * events (new event ids, so dedup keeps them) at the SAME event times, against the same number of
 * copies sent at later times (in order).
 *
 *   npm run bench -- flood [copies=100]
 *
 * Every copy of the real 2026-01-08 session (65 envelopes, its capability snapshot included) keeps
 * the session's stream and request ids. In (a) copy `c` is shifted `c · 200 s` later, so every
 * signal arrives in fold order. In (b) every copy has the original times, so each signal of a
 * later copy lands among the session's unsealed signals: the correction fold re-folds the
 * signals after it, and every re-fold selects attribution over a capability bucket that holds one
 * candidate per copy. Both runs use the default engine (correction mode, coalesced emission).
 * Reports events/s of (a) and (b) and the ratio b/a, measured in the same run. The work of (b)
 * grows with copies × unsealed signals (bounded by `maxUnsealedSignalsPerSession`) × candidates
 * per bucket (bounded by `maxCandidatesPerKey`); the ratio shows how much a flood slows a
 * pipeline compared with the same volume in order.
 */
import { createEngine, createRunner } from "@livepeer-analytics/core/engine";
import { realEventLines } from "@livepeer-analytics/testing/fixtures";

const copies = Number(process.argv[2] ?? 100);
const fmt = (n: number): string => Math.round(n).toLocaleString("en-US");
const gc = (globalThis as { gc?: () => void }).gc;

/** The real session's lines, `copies` times, each copy with new ids and shifted `shiftMs · c`. */
function floodLines(shiftMs: number): string[] {
  const template = realEventLines();
  const out: string[] = [];
  for (let c = 0; c < copies; c++) {
    const suffix = c.toString(16).padStart(6, "0");
    for (const line of template) {
      const e = JSON.parse(line) as Record<string, unknown>;
      e["id"] = `${String(e["id"]).slice(0, -6)}${suffix}`;
      const shift = c * shiftMs;
      e["timestamp"] = String(Number(e["timestamp"]) + shift);
      const data = e["data"];
      if (data !== null && typeof data === "object" && !Array.isArray(data)) {
        const d = data as Record<string, unknown>;
        if (typeof d["timestamp"] === "number") d["timestamp"] = d["timestamp"] + shift;
      }
      out.push(JSON.stringify(e));
    }
  }
  return out;
}

/** Events per second of one engine run over `lines` (records pushed, then flushed). */
function rate(lines: readonly string[]): number {
  gc?.();
  const runner = createRunner(createEngine());
  const start = performance.now();
  let outputs = 0;
  for (const value of lines) outputs += runner.push({ record: { value }, now: 0 }).length;
  outputs += runner.flush().length;
  const seconds = (performance.now() - start) / 1000;
  if (outputs === 0) throw new Error("no outputs");
  return lines.length / seconds;
}

const inOrder = floodLines(200_000);
const flood = floodLines(0);
console.log(`${fmt(copies)} copies of the real session, ${fmt(flood.length)} envelopes per run`);
const a = rate(inOrder);
console.log(`(a) copies in order (shifted 200 s each)   ${fmt(a).padStart(10)} events/s`);
const b = rate(flood);
console.log(`(b) copies at the same event times (flood)  ${fmt(b).padStart(10)} events/s`);
console.log(`(c) b/a                                     ${(b / a).toFixed(3).padStart(10)}`);
