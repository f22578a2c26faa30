/**
 * The shared baseline of the end-to-end benchmarks: the file streamed line by line from disk and
 * every line given to bare `JSON.parse`, nothing else. Used by engine.bench.ts and
 * replay.bench.ts (not a benchmark itself: no usage).
 */
import { createReadStream } from "node:fs";
import { createInterface } from "node:readline";

/** The non-empty lines of `path`, streamed from disk (1 MiB reads, UTF-8). */
export async function* readLines(path: string): AsyncGenerator<string> {
  const rl = createInterface({
    input: createReadStream(path, { encoding: "utf8", highWaterMark: 1 << 20 }),
    crlfDelay: Infinity,
  });
  for await (const line of rl) if (line.length > 0) yield line;
}

/** Bare `JSON.parse` of every line of `path` (malformed lines caught): wall time and lines. */
export async function bareParse(path: string): Promise<{ ms: number; lines: number }> {
  const t0 = process.hrtime.bigint();
  let lines = 0;
  let sink = 0;
  for await (const line of readLines(path)) {
    lines++;
    try {
      if (JSON.parse(line) !== null) sink++;
    } catch {
      sink--;
    }
  }
  // `sink` is read so the parse results cannot be optimised away.
  return { ms: Number(process.hrtime.bigint() - t0) / 1e6, lines: lines + (sink === -1 ? 1 : 0) };
}
