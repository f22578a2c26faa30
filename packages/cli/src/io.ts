/**
 * Input helpers of the CLI: reading files or stdin, transparent gzip, streaming JSONL for files
 * too large for one string, and a TTY progress line.
 *
 * @module
 */
import { createReadStream, statSync } from "node:fs";
import { open } from "node:fs/promises";
import { basename } from "node:path";
import type { Readable } from "node:stream";
import { createGunzip } from "node:zlib";
import type { CliIo } from "./main.js";
import {
  createJsonlSplitter,
  loadContainer,
  type ContainerFormat,
  type TransportRecord,
} from "@livepeer-analytics/core/events";

/** Files at most this large are read as one string (enough for any JSON-array export). */
const WHOLE_TEXT_LIMIT = 256 * 1024 * 1024;

/** Where records come from. */
export interface InputSource {
  /** Path, or `-` for standard input. */
  readonly path: string;
  /** Display name (file base name, or `stdin`). */
  readonly name: string;
  /** Size in bytes when known (files), for progress. */
  readonly size: number | null;
}

/** Describes a path argument. */
export function describeInput(path: string): InputSource {
  if (path === "-") return { path, name: "stdin", size: null };
  const st = statSync(path);
  if (!st.isFile()) throw new UsageError(`not a file: ${path}`);
  return { path, name: basename(path), size: st.size };
}

/** A usage error (exit code 2). */
export class UsageError extends Error {
  override readonly name = "UsageError";
}

async function isGzip(path: string): Promise<boolean> {
  if (path === "-") return false;
  const fh = await open(path, "r");
  try {
    const buf = Buffer.alloc(2);
    const { bytesRead } = await fh.read(buf, 0, 2, 0);
    return bytesRead === 2 && buf[0] === 0x1f && buf[1] === 0x8b;
  } finally {
    await fh.close();
  }
}

function rawStream(source: InputSource, stdin: Readable): Readable {
  return source.path === "-" ? stdin : createReadStream(source.path);
}

/** Options of {@link readRecords}. */
export interface ReadOptions {
  readonly stdin: Readable;
  /** Timestamp of envelopes synthesized from capability API responses. */
  readonly snapshotTimestamp?: number;
  /** Called with the number of raw bytes consumed so far. */
  readonly onBytes?: (bytes: number) => void;
  /** Offset of the first record. */
  readonly firstOffset?: number;
}

/** What {@link readRecords} found out about the container. */
export interface ReadSummary {
  format: ContainerFormat;
  records: number;
  skippedBlank: number;
  notes: string[];
}

/**
 * Streams the transport records of one input. Small inputs are loaded whole (every container
 * format); large JSONL inputs are split incrementally. Gzip is detected by its magic bytes.
 */
export async function* readRecords(
  source: InputSource,
  options: ReadOptions,
  summary: ReadSummary,
): AsyncGenerator<TransportRecord> {
  const gz = await isGzip(source.path);
  let stream: Readable = rawStream(source, options.stdin);
  let consumed = 0;
  stream.on("data", (chunk: Buffer | string) => {
    consumed += typeof chunk === "string" ? Buffer.byteLength(chunk) : chunk.length;
    options.onBytes?.(consumed);
  });
  if (gz) stream = stream.pipe(createGunzip());
  stream.setEncoding("utf8");

  const splitter = createJsonlSplitter();
  let head = "";
  let mode: "undecided" | "whole" | "jsonl" = "undecided";
  let offset = options.firstOffset ?? 0;
  const topic = source.name;
  const make = (value: string): TransportRecord => ({
    topic,
    partition: 0,
    offset: offset++,
    recordTimestamp: 0,
    value,
  });

  for await (const chunk of stream as AsyncIterable<string>) {
    if (mode === "jsonl") {
      for (const line of splitter.push(chunk)) {
        summary.records += 1;
        yield make(line);
      }
      continue;
    }
    head += chunk;
    if (mode === "undecided") {
      const first = head.replace(/^\uFEFF/, "").trimStart()[0];
      if (first === undefined) continue;
      // Arrays and single JSON documents need the whole text; JSONL streams line by line.
      const knownSize = source.size !== null && !gz ? source.size : null;
      if (first === "[" || (first === "{" && knownSize !== null && knownSize <= WHOLE_TEXT_LIMIT))
        mode = "whole";
      else {
        mode = "jsonl";
        summary.format = "jsonl";
        const pending = head;
        head = "";
        for (const line of splitter.push(pending)) {
          summary.records += 1;
          yield make(line);
        }
      }
    }
    if (mode === "whole" && head.length > WHOLE_TEXT_LIMIT) {
      throw new UsageError(
        `${source.name}: a JSON array container larger than ${WHOLE_TEXT_LIMIT} bytes is not supported; convert it to JSONL`,
      );
    }
  }
  if (mode === "jsonl") {
    for (const line of splitter.end()) {
      summary.records += 1;
      yield make(line);
    }
    summary.skippedBlank += splitter.skippedBlank;
    return;
  }
  const loaded = loadContainer(head, {
    topic,
    firstOffset: offset,
    ...(options.snapshotTimestamp !== undefined
      ? { snapshotTimestamp: options.snapshotTimestamp }
      : {}),
  });
  summary.format = loaded.format;
  summary.skippedBlank += loaded.skippedBlank;
  summary.notes.push(...loaded.notes);
  for (const r of loaded.records) {
    summary.records += 1;
    yield r;
  }
}

/** A one-line progress indicator on a TTY stream; silent elsewhere. */
export interface Progress {
  update(bytes: number, records: number): void;
  done(): void;
}

/** Creates a progress line for inputs larger than `minBytes` when `stream` is a TTY. */
export function createProgress(
  stream: NodeJS.WritableStream & { isTTY?: boolean },
  label: string,
  totalBytes: number | null,
  clock: () => number,
  minBytes = 8 * 1024 * 1024,
): Progress {
  const active = stream.isTTY === true && (totalBytes === null || totalBytes >= minBytes);
  const start = clock();
  let last = 0;
  let shown = false;
  return {
    update(bytes, records) {
      if (!active) return;
      const now = clock();
      if (now - last < 200) return;
      last = now;
      shown = true;
      const secs = Math.max((now - start) / 1000, 0.001);
      const pct = totalBytes ? ` ${((100 * bytes) / totalBytes).toFixed(1)}%` : "";
      const mb = (bytes / 1048576).toFixed(1);
      stream.write(
        `\r${label}:${pct} ${mb} MiB, ${records.toLocaleString("en-US")} records, ${Math.round(records / secs).toLocaleString("en-US")} rec/s   `,
      );
    },
    done() {
      if (shown) stream.write("\n");
    },
  };
}

function parseNonNegativeInt(
  flag: string,
  value: string | undefined,
  what: string,
): number | undefined {
  if (value === undefined) return undefined;
  if (!/^\d+$/.test(value.trim())) throw new UsageError(`${flag} expects ${what}, got "${value}"`);
  return Number(value.trim());
}

/** Parses a non-negative integer millisecond option; `undefined` when absent. */
export function parseMs(flag: string, value: string | undefined): number | undefined {
  return parseNonNegativeInt(flag, value, "a non-negative integer number of milliseconds");
}

/** Parses a non-negative integer count option; `undefined` when absent. */
export function parseCount(flag: string, value: string | undefined): number | undefined {
  return parseNonNegativeInt(flag, value, "a non-negative integer");
}

/** One input as reported after {@link forEachInputRecord}. */
export interface InputReport extends ReadSummary {
  /** Display name of the input. */
  readonly name: string;
}

/** What {@link forEachInputRecord} needs besides the sources. */
export interface InputLoopOptions {
  /** Command name shown on the progress line. */
  readonly command: string;
  /** Standard input, wall clock and file times. */
  readonly io: Pick<CliIo, "stdin" | "stderr" | "clock" | "mtimeMs">;
  /** `--snapshot-ts`: time of envelopes synthesized from capability API responses. */
  readonly snapshotTs: number | undefined;
}

/**
 * Reads every record of every source in order (offsets continue across sources), with a progress
 * line per source, and calls `onRecord` for each, awaiting it when it returns a promise. A
 * capability API response stamped with the file's modification time gets a note saying so.
 */
export async function forEachInputRecord(
  sources: readonly InputSource[],
  options: InputLoopOptions,
  onRecord: (record: TransportRecord) => void | Promise<void>,
): Promise<InputReport[]> {
  const { io } = options;
  const reports: InputReport[] = [];
  let offset = 0;
  for (const source of sources) {
    const summary: ReadSummary = { format: "empty", records: 0, skippedBlank: 0, notes: [] };
    const progress = createProgress(
      io.stderr,
      `${options.command} ${source.name}`,
      source.size,
      io.clock,
    );
    let bytes = 0;
    let records = 0;
    const snapshotTimestamp = options.snapshotTs ?? io.mtimeMs(source.path);
    for await (const record of readRecords(
      source,
      {
        stdin: io.stdin,
        firstOffset: offset,
        onBytes: (b) => (bytes = b),
        ...(snapshotTimestamp !== null ? { snapshotTimestamp } : {}),
      },
      summary,
    )) {
      offset += 1;
      records += 1;
      const pending = onRecord(record);
      if (pending !== undefined) await pending;
      if ((records & 1023) === 0) progress.update(bytes, records);
    }
    progress.done();
    if (
      options.snapshotTs === undefined &&
      summary.format === "capabilities-api" &&
      snapshotTimestamp !== null
    ) {
      summary.notes.push(
        `snapshot timestamp taken from the file's modification time (${snapshotTimestamp}); pass --snapshot-ts to fix it`,
      );
    }
    reports.push({ name: source.name, ...summary });
  }
  return reports;
}
