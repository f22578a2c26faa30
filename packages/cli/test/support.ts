/**
 * In-memory I/O for driving the CLI in tests: captured stdout/stderr, a given stdin, a fixed clock
 * and a fixed file modification time.
 */
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { PassThrough, Readable } from "node:stream";
import { realEventLines } from "@livepeer-analytics/testing/fixtures";
import type { CliIo } from "../src/main.js";

/** Captured CLI I/O. */
export interface MemoryIo {
  readonly io: CliIo;
  /** Everything written to stdout so far. */
  out(): string;
  /** Everything written to stderr so far. */
  err(): string;
}

/** Options of {@link memoryIo}. */
export interface MemoryIoOptions {
  /** Text on stdin (default empty). */
  readonly stdin?: string;
  /** Value of the clock, epoch ms (default 1 800 000 000 000). */
  readonly clock?: number;
}

/** Creates captured I/O; files report the fixture's capture time as their mtime. */
export function memoryIo(options: MemoryIoOptions = {}): MemoryIo {
  const stdout = new PassThrough();
  const stderr = new PassThrough();
  let o = "";
  let e = "";
  stdout.on("data", (c: Buffer) => (o += c.toString()));
  stderr.on("data", (c: Buffer) => (e += c.toString()));
  const now = options.clock ?? 1_800_000_000_000;
  return {
    io: {
      stdout,
      stderr,
      stdin: Readable.from(options.stdin === undefined ? [] : [Buffer.from(options.stdin)]),
      clock: () => now,
      mtimeMs: () => 1_767_909_021_590,
    },
    out: () => o,
    err: () => e,
  };
}

/**
 * Writes `mixed.jsonl` into `dir`: the real log (65), its first 3 lines again (duplicates), two
 * lines that are not JSON (DLQ at the gate) and a status event whose record is under the 1 MB limit
 * but whose typed row is over it (a DLQ after acceptance): 71 records. Returns the path.
 */
export function writeMixedInput(dir: string): string {
  const lines = realEventLines();
  const big = JSON.parse(lines.find((l) => l.includes('"ai_stream_status"'))!) as {
    id: string;
    data: { inference_status: { last_error: string } };
  };
  big.id = "oversized-status";
  big.data.inference_status.last_error = "e".repeat(600_000);
  const file = join(dir, "mixed.jsonl");
  const all = [...lines, ...lines.slice(0, 3), "{not json", "{still not json", JSON.stringify(big)];
  writeFileSync(file, all.join("\n") + "\n");
  return file;
}

/**
 * Writes the real log in two parts into `dir`, for `--state` / `--resume` runs: `part1.jsonl` (its
 * first 30 lines) and `part2.jsonl` (the rest). Returns their paths.
 */
export function writeLogParts(dir: string): { part1: string; part2: string } {
  const lines = realEventLines();
  const part1 = join(dir, "part1.jsonl");
  const part2 = join(dir, "part2.jsonl");
  writeFileSync(part1, lines.slice(0, 30).join("\n") + "\n");
  writeFileSync(part2, lines.slice(30).join("\n") + "\n");
  return { part1, part2 };
}

/** A source of unused paths `<dir>/<name>-<n>` (nothing is created). */
export function freshPaths(dir: string): (name: string) => string {
  let n = 0;
  return (name) => join(dir, `${name}-${n++}`);
}
