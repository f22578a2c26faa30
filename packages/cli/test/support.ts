/**
 * In-memory I/O for driving the CLI in tests: captured stdout/stderr, a given stdin, a fixed clock
 * and a fixed file modification time.
 */
import { PassThrough, Readable } from "node:stream";
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
