/**
 * Engine throughput against the number of sessions held: the same events over the same sessions,
 * replayed through the full engine once with the sessions spread over a short span (1 hour: few
 * sessions idle, most evicted never) and once over a long one (10 days: thousands of sessions held
 * for `sessionStateTtlMs` while the watermark moves through 10 days in 1 s steps).
 *
 *   npm run bench -- spread [events=200000] [sessions=30000] [shortMs=3600000] [longMs=864000000]
 *
 * Each session replays an evenly spaced subset of the real 2026-01-08 session (traces, status,
 * ingest metrics, payments, discovery; the template's lines cycle in further rounds when a session
 * has more events than the template) starting at `s · span / sessions`; one wallet per 100
 * sessions; 20 capability refreshes of every wallet spread over the span; bounded reordering
 * (≤ 5 s). Reports, measured in the same run: (a) events/s over the short span, (b) events/s over
 * the long span, (c) b/a — with work per watermark step proportional to what became due, the
 * ratio stays near 1 (target ≥ 0.5).
 */
import { createHash } from "node:crypto";
import { createEngine } from "@livepeer-analytics/core/engine";
import { realEventLines } from "@livepeer-analytics/testing/fixtures";
import { capabilityLine, prng, sessionLine, TEMPLATE_SPAN, TEMPLATE_START } from "./generate.js";

const events = Number(process.argv[2] ?? 200_000);
const sessions = Number(process.argv[3] ?? 30_000);
const shortSpan = Number(process.argv[4] ?? 3_600_000);
const longSpan = Number(process.argv[5] ?? 864_000_000);
const fmt = (n: number): string => Math.round(n).toLocaleString("en-US");
const gc = (globalThis as { gc?: () => void }).gc;

const CAPABILITY_ROUNDS = 20;

/** The replay lines: `events` envelopes over `sessions` sessions spread over `span` ms. */
function spreadLines(span: number): string[] {
  const template = realEventLines();
  const capLine = template.find((l) => l.includes('"network_capabilities"'))!;
  const lines = template.filter((l) => l !== capLine);
  const wallets = Math.max(1, Math.floor(sessions / 100));
  const rand = prng(20260108);
  const out: { ts: number; line: string }[] = [];
  // Capability refreshes of every wallet, evenly spread over the span.
  for (let r = 0; r < CAPABILITY_ROUNDS; r++) {
    for (let w = 0; w < wallets; w++) {
      const ts = TEMPLATE_START + Math.floor((r * span) / CAPABILITY_ROUNDS) - 30_000 + w;
      out.push({ ts, line: capabilityLine(capLine, `cap-${r}-${w}`, ts, w) });
    }
  }
  const perSession = Math.max(1, Math.floor((events - out.length) / sessions));
  const n = lines.length;
  const stride = Math.max(0, span - TEMPLATE_SPAN);
  for (let s = 0; s < sessions; s++) {
    const start = Math.floor((s * stride) / sessions);
    for (let j = 0; j < perSession; j++) {
      // Evenly spaced template lines (start and end of the session kept); extra rounds cycle.
      const idx = perSession <= n ? Math.floor((j * n) / perSession) : j % n;
      const round = perSession <= n ? 0 : Math.floor(j / n);
      const shift = start + round * (TEMPLATE_SPAN + 10_000);
      const t = lines[idx]!;
      const ts = Number(/"timestamp":"(\d{13})"/.exec(t)![1]) + shift;
      const line = sessionLine(t, {
        id: (id) =>
          `${id.slice(0, 18)}${round.toString(16).padStart(4, "0")}${s.toString(16).padStart(8, "0")}`,
        stream: `stream-${s.toString(36).padStart(6, "0")}-spread`,
        shift,
        wallet: s % wallets,
      });
      // Bounded reordering: up to 5 s of jitter in arrival position.
      out.push({ ts: ts + Math.floor(rand() * 5000), line });
    }
  }
  out.sort((a, b) => a.ts - b.ts);
  return out.map((p) => p.line);
}

interface Run {
  readonly ms: number;
  readonly outputs: number;
  readonly advances: number;
  readonly held: number;
  readonly peakHeld: number;
}

function replay(lines: readonly string[]): Run {
  const engine = createEngine(
    {},
    { sha256Hex: (text) => createHash("sha256").update(text, "utf8").digest("hex") },
  );
  const state = engine.init();
  const held = (): number => Object.keys((state.lifecycle as { sessions: object }).sessions).length;
  let outputs = 0;
  let advances = 0;
  let peakHeld = 0;
  const t0 = process.hrtime.bigint();
  for (let i = 0; i < lines.length; i++) {
    outputs += engine.stepInPlace(state, {
      record: { value: lines[i]!, offset: i + 1 },
      now: TEMPLATE_START,
    }).length;
    const w = engine.nextWatermark(state);
    if (w !== null) {
      outputs += engine.advanceInPlace(state, w).length;
      advances += 1;
    }
    // Sampled rarely: counting the sessions held is itself O(sessions).
    if ((i & 4095) === 0) peakHeld = Math.max(peakHeld, held());
  }
  outputs += engine.flushInPlace(state).length;
  const ms = Number(process.hrtime.bigint() - t0) / 1e6;
  // The sampling can miss the peak: the sessions held at the end count too.
  const end = held();
  return { ms, outputs, advances, held: end, peakHeld: Math.max(peakHeld, end) };
}

function measure(span: number): { lines: number; run: Run } {
  const lines = spreadLines(span);
  gc?.();
  return { lines: lines.length, run: replay(lines) };
}

const days = (ms: number): string =>
  ms >= 86_400_000 ? `${(ms / 86_400_000).toFixed(1)} d` : `${(ms / 3_600_000).toFixed(1)} h`;
const a = measure(shortSpan);
const b = measure(longSpan);
const aRate = (a.lines / a.run.ms) * 1000;
const bRate = (b.lines / b.run.ms) * 1000;
console.log(`${fmt(a.lines)} events over ${fmt(sessions)} sessions, full engine (correction mode)`);
for (const [label, span, r, rate] of [
  ["(a)", shortSpan, a.run, aRate],
  ["(b)", longSpan, b.run, bRate],
] as const) {
  console.log(
    `${label} spread over ${days(span).padEnd(7)} ${fmt(rate)} events/s (${(r.ms / 1000).toFixed(1)} s), ${fmt(r.outputs)} outputs, ${fmt(r.advances)} watermark steps, sessions held peak ${fmt(r.peakHeld)} / end ${fmt(r.held)}`,
  );
}
console.log(`(c) ratio b/a              ${(bRate / aRate).toFixed(3)}`);
