/**
 * Input helpers of the CLI: reading files or stdin as bytes, transparent gzip (by magic bytes, on
 * any stream), the container reader of core (every input streamed, in bounded memory), and a TTY
 * progress line.
 *
 * @module
 */
import { isUtf8 } from "node:buffer";
import { createReadStream, statSync } from "node:fs";
import { basename } from "node:path";
import { Readable } from "node:stream";
import { createGunzip } from "node:zlib";
import type { CliIo } from "./main.js";
import { RunProgress } from "./progress.js";
import {
  createContainerReader,
  type ContainerFormat,
  type ContainerItem,
  type OversizeRecord,
  type TransportRecord,
} from "@livepeer-analytics/core/events";

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

/** An input that cannot be read to its end (exit code 1); the message names it and the position. */
export class InputError extends Error {
  override readonly name = "InputError";
  /** Error code, so the entry point reports it as an I/O error. */
  readonly code = "ERR_LPA_INPUT";
}

const asBuffer = (chunk: Buffer | Uint8Array | string): Buffer =>
  typeof chunk === "string"
    ? Buffer.from(chunk)
    : Buffer.isBuffer(chunk)
      ? chunk
      : Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength);

/**
 * The bytes of one input, gunzipped when its first two bytes are the gzip magic number (files and
 * standard input alike). `onBytes` receives the number of raw bytes read so far. Read and
 * decompression errors become an {@link InputError} naming the input and the raw byte position.
 */
export async function* inputBytes(
  source: InputSource,
  stdin: Readable,
  onBytes?: (bytes: number) => void,
): AsyncGenerator<Buffer> {
  const raw: AsyncIterable<Buffer | string> =
    source.path === "-" ? stdin : createReadStream(source.path);
  const it = raw[Symbol.asyncIterator]();
  let consumed = 0;
  const nextRaw = async (): Promise<Buffer | null> => {
    const r = await it.next();
    if (r.done === true) return null;
    const chunk = asBuffer(r.value);
    consumed += chunk.length;
    onBytes?.(consumed);
    return chunk;
  };
  const fail = (error: unknown, what: string): InputError =>
    new InputError(
      `${source.name}: ${what} after ${consumed.toLocaleString("en-US")} bytes: ${
        error instanceof Error ? error.message : String(error)
      }`,
    );
  let first: Buffer;
  try {
    // Peek until two bytes are known (a pipe may deliver one byte first).
    const head: Buffer[] = [];
    let n = 0;
    while (n < 2) {
      const c = await nextRaw();
      if (c === null) break;
      head.push(c);
      n += c.length;
    }
    first = head.length === 1 ? head[0]! : Buffer.concat(head);
  } catch (error) {
    throw fail(error, "read error");
  }
  /** The raw chunks from the peeked head on. */
  async function* rawChunks(): AsyncGenerator<Buffer> {
    if (first.length > 0) yield first;
    for (;;) {
      const c = await nextRaw();
      if (c === null) return;
      yield c;
    }
  }
  if (!(first.length >= 2 && first[0] === 0x1f && first[1] === 0x8b)) {
    try {
      // Only reading can fail here: `yield` does not throw into a generator consumed by for-await.
      for await (const c of rawChunks()) yield c;
    } catch (error) {
      throw fail(error, "read error");
    } finally {
      // Closes the file when the reader stops early.
      await it.return?.();
    }
    return;
  }
  const src = Readable.from(rawChunks(), { objectMode: false });
  const gunzip = createGunzip();
  src.on("error", (error) => gunzip.destroy(error));
  src.pipe(gunzip);
  try {
    for await (const c of gunzip as AsyncIterable<Buffer>) yield c;
  } catch (error) {
    throw fail(error, "gzip data is corrupt or truncated");
  } finally {
    src.destroy();
    gunzip.destroy();
    await it.return?.();
  }
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
  /** Largest record kept whole; larger ones come out as oversize items. Default: no limit. */
  readonly maxRecordBytes?: number;
}

/** What {@link readRecords} found out about the container. */
export interface ReadSummary {
  format: ContainerFormat;
  /** Records read, oversize records included. */
  records: number;
  skippedBlank: number;
  notes: string[];
}

const decodeNative = (bytes: Uint8Array): string => asBuffer(bytes).toString("utf8");

/**
 * The record as handed to the gate: valid UTF-8 is decoded here (natively, the same text the
 * gate's decoder gives); other bytes are passed on as bytes, so a DLQ envelope's Base64 payload is
 * exactly the bytes received.
 */
function toGateRecord(record: TransportRecord): TransportRecord {
  const v = record.value;
  if (v === null || typeof v === "string" || !isUtf8(v)) return record;
  return { ...record, value: decodeNative(v) };
}

/**
 * Streams the items of one input: its records (see `createContainerReader` in core for the
 * container rules) and the records over `maxRecordBytes`, which are never held whole.
 */
export async function* readRecords(
  source: InputSource,
  options: ReadOptions,
  summary: ReadSummary,
): AsyncGenerator<ContainerItem> {
  const reader = createContainerReader({
    topic: source.name,
    firstOffset: options.firstOffset ?? 0,
    decode: decodeNative,
    ...(options.maxRecordBytes !== undefined ? { maxRecordBytes: options.maxRecordBytes } : {}),
    ...(options.snapshotTimestamp !== undefined
      ? { snapshotTimestamp: options.snapshotTimestamp }
      : {}),
  });
  const toGate = (item: ContainerItem): ContainerItem =>
    item.kind === "record" ? { ...item, record: toGateRecord(item.record) } : item;
  for await (const chunk of inputBytes(source, options.stdin, options.onBytes))
    for (const item of reader.push(chunk)) yield toGate(item);
  for (const item of reader.end()) yield toGate(item);
  const s = reader.summary();
  summary.format = s.format;
  summary.records = s.records;
  summary.skippedBlank = s.skippedBlank;
  summary.notes.splice(0, summary.notes.length, ...s.notes);
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
  /** The gate's `maxRecordBytes`: larger records are not read whole but passed to `onOversize`. */
  readonly maxRecordBytes: number;
  /**
   * Receives each record over `maxRecordBytes` (its first bytes and true size), in input order,
   * to turn into a `record_too_large` DLQ envelope; awaited when it returns a promise.
   */
  readonly onOversize: (oversize: OversizeRecord) => void | Promise<void>;
  /**
   * The run's progress line, when the command goes on with later phases (it then calls `done`);
   * without it, one is created for the reading and ended with it.
   */
  readonly progress?: RunProgress;
}

/** Size of all inputs, or `null` when one of them is standard input. */
export function totalInputBytes(sources: readonly InputSource[]): number | null {
  let total = 0;
  for (const s of sources) {
    if (s.size === null) return null;
    total += s.size;
  }
  return total;
}

/**
 * Reads every record of every source in order (offsets continue across sources), with the run's progress
 * line, and calls `onRecord` for each (`onOversize` for records over the limit),
 * awaiting it when it returns a promise. A capability API response stamped with the file's
 * modification time gets a note saying so.
 */
export async function forEachInputRecord(
  sources: readonly InputSource[],
  options: InputLoopOptions,
  onRecord: (record: TransportRecord) => void | Promise<void>,
): Promise<InputReport[]> {
  const { io } = options;
  const reports: InputReport[] = [];
  const progress =
    options.progress ??
    new RunProgress(io.stderr, options.command, totalInputBytes(sources), io.clock);
  let offset = 0;
  let records = 0;
  try {
    for (const source of sources) {
      const summary: ReadSummary = { format: "empty", records: 0, skippedBlank: 0, notes: [] };
      progress.startInput(source.name);
      let bytes = 0;
      const snapshotTimestamp = options.snapshotTs ?? io.mtimeMs(source.path);
      for await (const item of readRecords(
        source,
        {
          stdin: io.stdin,
          firstOffset: offset,
          maxRecordBytes: options.maxRecordBytes,
          onBytes: (b) => (bytes = b),
          ...(snapshotTimestamp !== null ? { snapshotTimestamp } : {}),
        },
        summary,
      )) {
        offset += 1;
        records += 1;
        const pending =
          item.kind === "record" ? onRecord(item.record) : options.onOversize(item.oversize);
        if (pending !== undefined) await pending;
        if ((records & 63) === 0) progress.reading(bytes, records);
      }
      progress.reading(bytes, records);
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
  } finally {
    if (options.progress === undefined) progress.done();
  }
  return reports;
}

/**
 * Whether `LPA_DEBUG` is set (to anything but `""` or `"0"`): stack traces for internal errors,
 * the ClickHouse and Kafka clients' own logging.
 */
export function debugging(
  env: Readonly<Record<string, string | undefined>> = process.env,
): boolean {
  const v = env["LPA_DEBUG"];
  return v !== undefined && v !== "" && v !== "0";
}
