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
import { realisticEventLines } from "@livepeer-analytics/testing/fixtures";

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
  const fh = await open(path, "w");
  let buffer: string[] = [];
  for (const line of realisticEventLines(envelopes, sessions)) {
    buffer.push(line, "\n");
    if (buffer.length >= 20_000) {
      await fh.write(buffer.join(""));
      buffer = [];
    }
  }
  if (buffer.length > 0) await fh.write(buffer.join(""));
  await fh.close();
}
