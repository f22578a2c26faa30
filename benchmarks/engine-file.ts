/**
 * The generated end-to-end benchmark file shared by the engine and ClickHouse benchmarks: the real
 * 2026-01-08 session as a template replayed by many concurrent sessions in real proportions
 * (ingest metrics, status every ~10 s, traces, payments, discovery), capability snapshots per hot
 * wallet refreshed each round, ~1 % duplicates, ~0.1 % malformed lines and bounded reordering
 * (≤ 5 s). Deterministic; generated once under benchmarks/.cache.
 */
import { existsSync, mkdirSync } from "node:fs";
import { open } from "node:fs/promises";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { realEventLines } from "@livepeer-analytics/testing/fixtures";
import { capabilityLine, prng, sessionLine, TEMPLATE_SPAN, TEMPLATE_START } from "./generate.js";

const here = dirname(fileURLToPath(import.meta.url));

/** Path of the file with `envelopes` lines over `sessions` sessions; generates it when missing. */
export async function ensureEngineFile(envelopes: number, sessions: number): Promise<string> {
  const file = join(here, "..", ".cache", `engine-${envelopes}-${sessions}.jsonl`);
  if (!existsSync(file)) {
    process.stderr.write(`generating ${file} ...\n`);
    await generate(file, envelopes, sessions);
  }
  return file;
}

/** Writes the benchmark file: `envelopes` lines over `sessions` concurrent sessions. */
async function generate(path: string, envelopes: number, sessions: number): Promise<void> {
  mkdirSync(dirname(path), { recursive: true });
  const template = realEventLines();
  const tStart = TEMPLATE_START;
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
  const span = TEMPLATE_SPAN;
  let pending: { ts: number; line: string }[] = [];
  for (let r = 0; r < rounds && written < envelopes; r++) {
    const base = tStart + r * (span + 10_000);
    // Capabilities of every wallet, refreshed each round (~every 3 minutes).
    for (let w = 0; w < wallets; w++) {
      const ts = base - 30_000 + w;
      pending.push({ ts, line: capabilityLine(capLine, `cap-${r}-${w}`, ts, w) });
    }
    for (let i = 0; i < perSession; i++) {
      for (let s = 0; s < sessions; s++) {
        const t = lines[i]!;
        const m = /"timestamp":"(\d{13})"/.exec(t)!;
        const shift = base - tStart + offsets[s]!;
        const ts = Number(m[1]) + shift;
        let line = sessionLine(t, {
          id: (id) =>
            `${id.slice(0, 18)}${r.toString(16).padStart(4, "0")}${s.toString(16).padStart(8, "0")}`,
          stream: `stream-${s.toString(36).padStart(6, "0")}-${r}`,
          shift,
          wallet: s % wallets,
        });
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
