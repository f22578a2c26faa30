/**
 * End-to-end engine throughput against bare `JSON.parse`, on a generated realistic file.
 *
 *   npm run bench -- engine [envelopes=1000000] [sessions=10000]
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
import { createReadStream, existsSync, mkdirSync, statSync } from "node:fs";
import { open } from "node:fs/promises";
import { dirname, join } from "node:path";
import { createInterface } from "node:readline";
import { fileURLToPath } from "node:url";
import { createEngine } from "@livepeer-analytics/core/engine";
import { realEventLines } from "@livepeer-analytics/testing/fixtures";
import { prng } from "./generate.js";

const envelopes = Number(process.argv[2] ?? 1_000_000);
const sessions = Number(process.argv[3] ?? 10_000);
const here = dirname(fileURLToPath(import.meta.url));
const file = join(here, "..", ".cache", `engine-${envelopes}-${sessions}.jsonl`);
const fmt = (n: number): string => Math.round(n).toLocaleString("en-US");

/** Writes the benchmark file: `envelopes` lines over `sessions` concurrent sessions. */
async function generate(path: string): Promise<void> {
  mkdirSync(dirname(path), { recursive: true });
  const template = realEventLines();
  const tStart = 1_767_908_945_298;
  const rand = prng(20260108);
  const wallets = Math.max(1, Math.floor(sessions / 100));
  const perSession = template.length - 1; // the capability line is emitted per wallet instead
  const rounds = Math.ceil(envelopes / (sessions * perSession)) + 1;
  const fh = await open(path, "w");
  let written = 0;
  let buffer: string[] = [];
  const flush = async (): Promise<void> => {
    if (buffer.length > 0) await fh.write(buffer.join(""));
    buffer = [];
  };
  const emit = async (line: string): Promise<void> => {
    if (written >= envelopes) return;
    buffer.push(line, "\n");
    written += 1;
    if (buffer.length >= 20_000) await flush();
  };
  const capLine = template.find((l) => l.includes('"network_capabilities"'))!;
  const lines = template.filter((l) => l !== capLine);
  // Sessions start staggered over the first 10 minutes; each replays the template's cadence.
  const offsets = Array.from({ length: sessions }, (_, s) => (s * 600_000) / sessions);
  const span = 170_312; // the template session's duration
  let pending: { ts: number; line: string }[] = [];
  const walletOf = (s: number) => `0x${(s % wallets).toString(16).padStart(40, "0")}`;
  const canonOf = (s: number) => `0x${(s % wallets).toString(16).padStart(38, "0")}ca`;
  for (let r = 0; r < rounds && written < envelopes; r++) {
    const base = tStart + r * (span + 10_000);
    // Capabilities of every wallet, refreshed each round (~every 3 minutes).
    for (let w = 0; w < wallets; w++) {
      const ts = base - 30_000 + w;
      pending.push({
        ts,
        line: capLine
          .replace('"e89def1c-7a3c-40aa-a51a-ad490a305112"', `"cap-${r}-${w}"`)
          .replace('"timestamp":"1767909021590"', `"timestamp":"${ts}"`)
          .replace(/0x52CF2968b3DC6016778742D3539449a6597D5954/g, walletOf(w))
          .replace(/0xd00354656922168815Fcd1e51CBddB9e359e3C7F/g, canonOf(w)),
      });
    }
    for (let i = 0; i < perSession; i++) {
      for (let s = 0; s < sessions; s++) {
        const t = lines[i]!;
        const m = /"timestamp":"(\d{13})"/.exec(t)!;
        const shift = base - tStart + offsets[s]!;
        const ts = Number(m[1]) + shift;
        let line = t
          .replace(
            /"id":"([0-9a-f-]{36})"/,
            (_x, id: string) =>
              `"id":"${id.slice(0, 18)}${r.toString(16).padStart(4, "0")}${s.toString(16).padStart(8, "0")}"`,
          )
          .replace(/stream-o5s73x-mk5zc8fy/g, `stream-${s.toString(36).padStart(6, "0")}-${r}`)
          .replace(
            /"(timestamp|start_time|last_output_time|last_params_update_time|last_state_update_time|last_status_timestamp|last_input_time)":"?(\d{13})"?/g,
            (x, _k, v: string) => x.replace(v, String(Number(v) + shift)),
          )
          .replace(/0x52cf2968b3dc6016778742d3539449a6597d5954/g, walletOf(s));
        const u = rand();
        if (u < 0.001) line = line.slice(0, Math.floor(line.length / 2));
        // Bounded reordering: up to 5 s of jitter in arrival position.
        pending.push({ ts: ts + Math.floor(rand() * 5000), line });
        if (u > 0.99) pending.push({ ts: ts + Math.floor(rand() * 5000), line });
      }
    }
    pending.sort((a, b) => a.ts - b.ts);
    for (const p of pending) await emit(p.line);
    pending = [];
  }
  await flush();
  await fh.close();
}

async function* readLines(path: string): AsyncGenerator<string> {
  const rl = createInterface({
    input: createReadStream(path, { encoding: "utf8", highWaterMark: 1 << 20 }),
    crlfDelay: Infinity,
  });
  for await (const line of rl) if (line.length > 0) yield line;
}

async function bareParse(): Promise<{ ms: number; lines: number }> {
  const t0 = process.hrtime.bigint();
  let lines = 0;
  let sink = 0;
  for await (const line of readLines(file)) {
    lines++;
    try {
      if (JSON.parse(line) !== null) sink++;
    } catch {
      sink--;
    }
  }
  return { ms: Number(process.hrtime.bigint() - t0) / 1e6, lines: lines + (sink === -1 ? 1 : 0) };
}

async function engineRun(): Promise<{
  ms: number;
  lines: number;
  outputs: number;
  peakHeap: number;
  sessions: number;
}> {
  const engine = createEngine(
    {},
    { sha256Hex: (text) => createHash("sha256").update(text, "utf8").digest("hex") },
  );
  const state = engine.init();
  let peakHeap = 0;
  let outputs = 0;
  let lines = 0;
  const t0 = process.hrtime.bigint();
  for await (const value of readLines(file)) {
    lines++;
    outputs += engine.stepInPlace(state, {
      record: { value, offset: lines },
      now: state.maxEventTs ?? 0,
    }).length;
    const w = engine.nextWatermark(state);
    if (w !== null) outputs += engine.advanceInPlace(state, w).length;
    if ((lines & 16383) === 0) peakHeap = Math.max(peakHeap, process.memoryUsage().heapUsed);
  }
  outputs += engine.flushInPlace(state).length;
  peakHeap = Math.max(peakHeap, process.memoryUsage().heapUsed);
  const ms = Number(process.hrtime.bigint() - t0) / 1e6;
  return {
    ms,
    lines,
    outputs,
    peakHeap,
    sessions: Object.keys((state.lifecycle as { sessions: object }).sessions).length,
  };
}

if (!existsSync(file)) {
  process.stderr.write(`generating ${file} ...\n`);
  await generate(file);
}
const size = statSync(file).size;
(globalThis as { gc?: () => void }).gc?.();
const a = await bareParse();
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
  `peak heap during (b)             ${(b.peakHeap / 1048576).toFixed(0)} MiB; sessions in state at the end ${fmt(b.sessions)}`,
);
