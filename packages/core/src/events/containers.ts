/**
 * Input containers (pure, over bytes): a stream of top-level JSON values — JSONL, concatenated
 * JSON, JSON arrays of envelopes, the UI-export wrapper format (`ingest-and-storage.md` §10.1) and
 * capability API responses (`{ "orchestrators": [...] }`, the shape of a `network_capabilities`
 * event's `data`) — read incrementally in bounded memory.
 *
 * Loaders never validate envelopes and never drop input: every byte that is not whitespace ends up
 * in a record handed to the gate as received (so bad content becomes a DLQ row with a reason), in
 * an oversize record the caller turns into a `record_too_large` envelope, or, for whitespace-only
 * lines, in a count.
 *
 * @module
 */
import { isJsonObject, tsMillis, text, type JsonValue } from "../primitives/json.js";
import { skipJsonWhitespace } from "../primitives/json-scan.js";
import { sha256Hex } from "../primitives/sha256.js";
import { decodeUtf8, encodeUtf8 } from "../primitives/utf8.js";
import type { TransportRecord } from "./transport.js";

/**
 * Container formats the loader recognises: `json-array` and `ui-export` when every record comes
 * from top-level arrays, `capabilities-api` for a lone capability API response, `jsonl` for any
 * other stream of top-level values, `empty` when there is no record at all.
 *
 * @category Containers
 */
export type ContainerFormat = "jsonl" | "json-array" | "ui-export" | "capabilities-api" | "empty";

/**
 * Options of {@link loadContainer} and {@link createContainerReader}.
 *
 * @category Containers
 */
export interface LoadOptions {
  /** `topic` of synthesized source pointers (e.g. the file name). Default `null`. */
  readonly topic?: string | null;
  /** Offset of the first record; records get consecutive offsets. Default `0`. */
  readonly firstOffset?: number;
  /**
   * Envelope timestamp (epoch ms) of the `network_capabilities` event synthesized from a
   * capability API response, which carries no time of its own. Without it the synthesized
   * envelope has no timestamp and the gate rejects it (`missing_timestamp`).
   */
  readonly snapshotTimestamp?: number;
  /**
   * Largest record, in bytes, that is kept whole (the gate's `maxRecordBytes`). A larger record
   * is not accumulated: only its first bytes are kept and it comes out as an
   * {@link OversizeRecord}. Default: no limit.
   */
  readonly maxRecordBytes?: number;
  /**
   * UTF-8 decoder used where the loader itself must read JSON (UI-export wrappers, capability
   * responses). Default: the pure {@link decodeUtf8}; hosts may pass a native one.
   */
  readonly decode?: (bytes: Uint8Array) => string;
}

/**
 * A record larger than `maxRecordBytes`, read without being held: `record.value` holds its first
 * {@link OVERSIZE_PREFIX_BYTES} bytes (at most `limit`), `size` its true size.
 *
 * @category Containers
 */
export interface OversizeRecord {
  /** The record with its offset; `value` is the bounded prefix of the bytes received. */
  readonly record: TransportRecord & { readonly value: Uint8Array };
  /** The record's size in bytes. */
  readonly size: number;
  /** The limit it exceeds. */
  readonly limit: number;
  /** Line (1-based) of the input where the record starts. */
  readonly line: number;
  /** Byte offset in the input where the record starts. */
  readonly byteOffset: number;
}

/**
 * Number of leading bytes an {@link OversizeRecord} keeps.
 *
 * @category Containers
 */
export const OVERSIZE_PREFIX_BYTES = 1024;

/**
 * A loaded container.
 *
 * @category Containers
 */
export interface LoadedContainer {
  /** Detected format. */
  readonly format: ContainerFormat;
  /** Records in input order, each with a distinct offset. */
  readonly records: TransportRecord[];
  /** Records over `maxRecordBytes` (their offsets interleave with `records`). */
  readonly oversize: OversizeRecord[];
  /** Whitespace-only lines between top-level values, counted, not dropped silently. */
  readonly skippedBlank: number;
  /** Notes for the user (e.g. a truncated array, malformed segments, a synthesized envelope). */
  readonly notes: string[];
}

/**
 * One output of a {@link ContainerReader}, in input order.
 *
 * @category Containers
 */
export type ContainerItem =
  | {
      readonly kind: "record";
      readonly record: TransportRecord;
      /** Line (1-based) of the input where the record starts. */
      readonly line: number;
      /** Byte offset in the input where the record's source text starts. */
      readonly byteOffset: number;
    }
  | { readonly kind: "oversize"; readonly oversize: OversizeRecord };

/** Where an item starts in the input. */
interface Where {
  readonly line: number;
  readonly byteOffset: number;
}

/**
 * What a {@link ContainerReader} found out; final once `end` has returned.
 *
 * @category Containers
 */
export interface ContainerSummary {
  /** Detected format. */
  readonly format: ContainerFormat;
  /** Records and oversize records produced. */
  readonly records: number;
  /** Whitespace-only lines between top-level values. */
  readonly skippedBlank: number;
  /** Notes for the user. */
  readonly notes: readonly string[];
}

/**
 * An incremental reader of a container: feed the input bytes in chunks of any size; it returns
 * the records completed so far. Memory stays bounded by `maxRecordBytes` plus one chunk.
 *
 * @category Containers
 */
export interface ContainerReader {
  /**
   * Adds the next chunk of input and returns the items it completed. The reader keeps views into
   * the chunks it was given (byte record values, records still open): do not reuse a chunk's
   * buffer for later input.
   */
  push(chunk: Uint8Array): ContainerItem[];
  /** Ends the input and returns the remaining items. Call once. */
  end(): ContainerItem[];
  /** What was found so far; final after `end`. */
  summary(): ContainerSummary;
}

const LF = 0x0a;
const CR = 0x0d;
const SP = 0x20;
const TAB = 0x09;
const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const LBRACE = 0x7b;
const RBRACE = 0x7d;
const LBRACKET = 0x5b;
const RBRACKET = 0x5d;
const COMMA = 0x2c;
const COLON = 0x3a;

/** What is open at the scan position. */
const NONE = 0;
const CONTAINER = 1;
const STRING = 2;
const SCALAR = 3;
const REST_OF_LINE = 4;

/** What a container accepts next. */
const KEY_OR_CLOSE = 0;
const KEY = 1;
const COLON_NEXT = 2;
const VALUE_OR_CLOSE = 3;
const VALUE = 4;
const COMMA_OR_CLOSE = 5;

/** Line-break rule, decided by the first complete top-level value. */
const UNDECIDED = 0;
const LINES = 1;
const MULTILINE = 2;

const BOM = [0xef, 0xbb, 0xbf];

/** Nesting deeper than this is treated as a syntax error (bounded scanner state). */
const MAX_DEPTH = 10_000;

/** Bytes that end a scalar token. */
const DELIMITER = new Uint8Array(256);
for (const b of [SP, TAB, LF, CR, QUOTE, LBRACE, RBRACE, LBRACKET, RBRACKET, COMMA, COLON])
  DELIMITER[b] = 1;

/** Byte classes inside a container. */
const C_SCALAR = 0;
const C_SPACE = 1;
const C_QUOTE = 2;
const C_COMMA = 3;
const C_COLON = 4;
const C_OPEN = 5;
const C_CLOSE = 6;
const C_BREAK = 7;
const CLASS = new Uint8Array(256).fill(C_SCALAR);
CLASS[SP] = C_SPACE;
CLASS[TAB] = C_SPACE;
CLASS[QUOTE] = C_QUOTE;
CLASS[COMMA] = C_COMMA;
CLASS[COLON] = C_COLON;
CLASS[LBRACE] = C_OPEN;
CLASS[LBRACKET] = C_OPEN;
CLASS[RBRACE] = C_CLOSE;
CLASS[RBRACKET] = C_CLOSE;
CLASS[LF] = C_BREAK;
CLASS[CR] = C_BREAK;

/** Bytes that stop the scan of a string body: quote, backslash, line breaks. */
const STRING_STOP = new Uint8Array(256);
for (const b of [QUOTE, BACKSLASH, LF, CR]) STRING_STOP[b] = 1;

/** `true` when `bytes` is exactly the ASCII text `lit`. */
function isLiteral(bytes: Uint8Array, lit: string): boolean {
  const n = bytes.length;
  if (n !== lit.length) return false;
  for (let k = 0; k < n; k++) if (bytes[k] !== lit.charCodeAt(k)) return false;
  return true;
}

/** Index after the digits of `bytes` that start at `i`, or `-1` when there is none there. */
function afterDigits(bytes: Uint8Array, i: number): number {
  const start = i;
  while (i < bytes.length && bytes[i]! >= 0x30 && bytes[i]! <= 0x39) i++;
  return i === start ? -1 : i;
}

/** `true` when `bytes` is exactly a JSON number, `true`, `false` or `null`. */
function isJsonScalar(bytes: Uint8Array): boolean {
  if (isLiteral(bytes, "true") || isLiteral(bytes, "false") || isLiteral(bytes, "null"))
    return true;
  let i = bytes[0] === 0x2d ? 1 : 0;
  if (bytes[i] === 0x30) i++;
  else {
    i = afterDigits(bytes, i);
    if (i < 0) return false;
  }
  if (bytes[i] === 0x2e) {
    i = afterDigits(bytes, i + 1);
    if (i < 0) return false;
  }
  if (bytes[i] === 0x65 || bytes[i] === 0x45) {
    i++;
    if (bytes[i] === 0x2b || bytes[i] === 0x2d) i++;
    i = afterDigits(bytes, i);
    if (i < 0) return false;
  }
  return i === bytes.length;
}

function concatBytes(parts: readonly Uint8Array[], total: number): Uint8Array {
  const out = new Uint8Array(total);
  let p = 0;
  for (const part of parts) {
    const take = Math.min(part.length, total - p);
    out.set(take === part.length ? part : part.subarray(0, take), p);
    p += take;
    if (p >= total) break;
  }
  return out;
}

const isWrapper = (el: JsonValue): boolean =>
  isJsonObject(el) &&
  (isJsonObject(el["value"]) || typeof el["value"] === "string") &&
  ("topic" in el || "partition" in el || "offset" in el);

const plural = (n: number, one: string, many = `${one}s`): string =>
  `${n.toLocaleString("en-US")} ${n === 1 ? one : many}`;

/** Receives what the byte scanner cuts out of the input. */
interface ScanSink {
  /** A complete record, or a malformed segment (`malformed`), as its exact bytes. */
  record(bytes: Uint8Array, element: boolean, line: number, malformed: boolean, at: number): void;
  /** A record over the limit: its first bytes and true size. */
  oversize(prefix: Uint8Array, size: number, element: boolean, line: number, at: number): void;
  /** A top-level array opens (`open`) or closes / is abandoned. */
  array(open: boolean, line: number, closed: boolean): void;
}

/**
 * The byte scanner: splits a stream of top-level JSON values on value boundaries. See
 * {@link createContainerReader} for the rules.
 */
class ValueScanner {
  /** Whitespace-only lines between top-level values. */
  blank = 0;

  // Input position: absolute offset of the current buffer's first byte, line number, line state.
  private abs = 0;
  private line = 1;
  private lineStartAbs = 0;
  private lineHasContent = false;
  /** The previous buffer ended with a CR (its LF may start the next one). */
  private prevCR = false;
  /** The first bytes, until it is known whether they are a byte-order mark. */
  private head: Uint8Array | null = new Uint8Array(0);
  private mode = UNDECIDED;
  private inArray = false;
  private arrayCrossed = false;

  // The open record.
  private open = NONE;
  private recStartAbs = 0;
  private recLine = 1;
  private recElement = false;
  private recMalformed = false;
  /** Absolute offset of the last line break inside the open value, `-1` when none. */
  private recLastBreakAbs = -1;
  private recLineAtLastBreak = 0;
  /** Retained bytes of the open record from earlier buffers. */
  private pieces: Uint8Array[] = [];
  private piecesSize = 0;
  /** Index in the current buffer where the open record's bytes begin (0 when it began earlier). */
  private segStart = 0;
  /**
   * The open record is over the limit: only its first `limit` bytes (`firstBytes`) are kept, and
   * the bytes since its last line break (`tail`, `null` once longer than the limit), which error
   * recovery may need to scan again.
   */
  private over = false;
  private firstBytes: Uint8Array | null = null;
  private tail: Uint8Array[] | null = null;
  private tailSize = 0;

  // Container state.
  private readonly stack: number[] = [];
  private expect = VALUE;
  private inStr = false;
  private escaped = false;
  private inScalar = false;

  // Per-buffer cursors: next LF / CR at or after the last query (buf.length: none).
  private nextLf = -1;
  private nextCr = -1;

  /** Bytes to scan again before the current buffer (error recovery), or `null`. */
  private replay: Uint8Array | null = null;

  private readonly limit: number;
  private readonly sink: ScanSink;

  constructor(limit: number, sink: ScanSink) {
    this.limit = limit;
    this.sink = sink;
  }

  push(chunk: Uint8Array): void {
    if (this.head !== null) {
      // A byte-order mark is recognised only at the very start, even when split across chunks.
      const h =
        this.head.length === 0
          ? chunk
          : concatBytes([this.head, chunk], this.head.length + chunk.length);
      if (h.length < 3 && h.every((b, k) => b === BOM[k])) {
        this.head = h.slice();
        return;
      }
      this.head = null;
      if (h[0] === BOM[0] && h[1] === BOM[1] && h[2] === BOM[2]) {
        this.abs = 3;
        this.lineStartAbs = 3;
        chunk = h.subarray(3);
      } else chunk = h;
    }
    this.feed(chunk);
  }

  end(): void {
    if (this.head !== null) {
      const h = this.head;
      this.head = null;
      this.feed(h);
    }
    const endAbs = this.abs;
    const empty = new Uint8Array(0);
    this.resetCursors();
    this.segStart = 0;
    switch (this.open) {
      case CONTAINER:
      case STRING:
        // The input ends inside a value: the incomplete tail is passed on as one record.
        this.recMalformed = true;
        this.finish(empty, endAbs);
        break;
      case SCALAR:
        this.endScalar(empty, endAbs);
        if ((this.open as number) === REST_OF_LINE) this.finish(empty, endAbs);
        break;
      case REST_OF_LINE:
        this.finish(empty, endAbs);
        break;
    }
    if (this.inArray) {
      this.inArray = false;
      this.sink.array(false, this.line, false);
    } else if (!this.lineHasContent && endAbs > this.lineStartAbs) this.blank += 1;
  }

  private resetCursors(): void {
    this.nextLf = -1;
    this.nextCr = -1;
  }

  private feed(buf: Uint8Array): void {
    for (;;) {
      this.run(buf);
      if (this.replay === null) return;
      // A broken multi-line value was cut before the line where its error showed: scan that line
      // again (from the bytes retained with the value), then the current buffer anew.
      const again = this.replay;
      this.replay = null;
      // They end where the current buffer starts.
      this.abs -= again.length;
      this.feed(again);
    }
  }

  /** Index of the next LF or CR at or after `from` in `buf`, or `buf.length` (cached). */
  private lineEnd(buf: Uint8Array, from: number): number {
    if (this.nextLf < from) {
      const f = buf.indexOf(LF, from);
      this.nextLf = f < 0 ? buf.length : f;
    }
    if (this.nextCr < from) {
      const f = buf.indexOf(CR, from);
      this.nextCr = f < 0 ? buf.length : f;
    }
    return Math.min(this.nextLf, this.nextCr);
  }

  /** Consumes the line terminator at `i` (CR, LF or CRLF); returns the index after it. */
  private terminator(buf: Uint8Array, i: number): number {
    this.line += 1;
    let j = i + 1;
    if (buf[i] === CR) {
      if (j < buf.length) {
        if (buf[j] === LF) j++;
      } else this.prevCR = true;
    }
    this.lineStartAbs = this.abs + j;
    return j;
  }

  private run(buf: Uint8Array): void {
    const len = buf.length;
    let i = 0;
    this.resetCursors();
    this.segStart = 0;
    if (this.prevCR && len > 0) {
      this.prevCR = false;
      // The LF of a CRLF split across buffers.
      if (buf[0] === LF) {
        i = 1;
        this.lineStartAbs = this.abs + 1;
      }
    }
    while (i < len) {
      if (this.open === NONE) {
        const b = buf[i]!;
        if (b === SP || b === TAB) {
          i++;
          continue;
        }
        if (b === LF || b === CR) {
          if (this.inArray) {
            if (this.mode === LINES) {
              // One value per line: an array still open at the end of its line is abandoned.
              this.inArray = false;
              this.sink.array(false, this.line, false);
            } else this.arrayCrossed = true;
          } else if (!this.lineHasContent) this.blank += 1;
          i = this.terminator(buf, i);
          this.lineHasContent = false;
          continue;
        }
        this.lineHasContent = true;
        if (this.inArray) {
          if (b === COMMA) {
            i++;
            continue;
          }
          if (b === RBRACKET) {
            this.inArray = false;
            if (this.mode === UNDECIDED) this.mode = this.arrayCrossed ? MULTILINE : LINES;
            this.sink.array(false, this.line, true);
            i++;
            continue;
          }
        } else if (b === LBRACKET) {
          this.inArray = true;
          this.arrayCrossed = false;
          this.sink.array(true, this.line, false);
          i++;
          continue;
        }
        this.openRecord(i);
        if (b === LBRACE || b === LBRACKET) {
          this.open = CONTAINER;
          this.stack.length = 0;
          this.stack.push(b === LBRACE ? 1 : 0);
          this.expect = b === LBRACE ? KEY_OR_CLOSE : VALUE_OR_CLOSE;
          this.inStr = false;
          this.escaped = false;
          this.inScalar = false;
          i++;
        } else if (b === QUOTE) {
          this.open = STRING;
          this.inStr = false;
          this.escaped = false;
          i++;
        } else if (b === RBRACE || b === COLON || b === RBRACKET || b === COMMA) {
          this.recMalformed = true;
          if (this.recElement) {
            // A stray `}` or `:` between elements is one malformed element.
            i++;
            this.finish(buf, this.abs + i);
          } else this.open = REST_OF_LINE;
        } else this.open = SCALAR;
        continue;
      }
      switch (this.open) {
        case CONTAINER:
          i = this.scanContainer(buf, i);
          break;
        case STRING: {
          const end = this.scanString(buf, i);
          if (end < 0) i = len;
          else if (this.inStr) {
            // A line break inside the string: the value is broken there.
            this.broken(buf, end);
            i = end;
          } else {
            i = end;
            this.complete(buf, i);
          }
          break;
        }
        case SCALAR: {
          let k = i;
          while (k < len && DELIMITER[buf[k]!] === 0) k++;
          i = k;
          if (k < len) this.endScalar(buf, this.abs + k);
          break;
        }
        case REST_OF_LINE: {
          const k = this.lineEnd(buf, i);
          i = k;
          if (k < len) this.finish(buf, this.abs + k);
          break;
        }
      }
      if (this.replay !== null) return;
    }
    if (this.open !== NONE) this.retain(buf);
    this.abs += len;
  }

  private openRecord(i: number): void {
    this.recStartAbs = this.abs + i;
    this.recLine = this.line;
    this.recElement = this.inArray;
    this.recMalformed = false;
    this.recLastBreakAbs = -1;
    this.pieces = [];
    this.piecesSize = 0;
    this.segStart = i;
    this.dropOver();
  }

  private dropOver(): void {
    this.over = false;
    this.firstBytes = null;
    this.tail = null;
    this.tailSize = 0;
  }

  /** Keeps the open record's bytes of `buf` (bounded once it is over the limit). */
  private retain(buf: Uint8Array): void {
    const piece = buf.subarray(this.segStart);
    const endAbs = this.abs + buf.length;
    const cut = this.recLastBreakAbs;
    if (!this.over) {
      this.pieces.push(piece);
      this.piecesSize += piece.length;
      if (this.piecesSize <= this.limit) return;
      const all = concatBytes(this.pieces, this.piecesSize);
      this.firstBytes = all.slice(0, this.limit);
      this.over = true;
      this.pieces = [];
      this.piecesSize = 0;
      this.tail = null;
      if (cut >= 0 && endAbs - cut <= this.limit) this.setTail(all.slice(cut - this.recStartAbs));
      return;
    }
    if (cut >= this.abs) this.setTail(buf.subarray(cut - this.abs));
    else if (this.tail !== null) {
      this.tail.push(piece);
      this.tailSize += piece.length;
    }
    if (this.tailSize > this.limit) this.setTail(null);
  }

  private setTail(bytes: Uint8Array | null): void {
    this.tail = bytes === null ? null : [bytes];
    this.tailSize = bytes === null ? 0 : bytes.length;
  }

  /** Bytes of the open record from its start to absolute offset `endAbs` (within the limit when over). */
  private bytesTo(buf: Uint8Array, endAbs: number): Uint8Array {
    const n = endAbs - this.recStartAbs;
    if (this.over) return this.firstBytes!.subarray(0, n);
    if (this.pieces.length === 0) return buf.subarray(this.segStart, this.segStart + n);
    const tail = endAbs > this.abs ? buf.subarray(0, endAbs - this.abs) : new Uint8Array(0);
    return concatBytes([...this.pieces, tail], n);
  }

  /** Ends the open record at absolute offset `endAbs` and hands it to the sink. */
  private finish(buf: Uint8Array, endAbs: number): void {
    const size = endAbs - this.recStartAbs;
    this.open = NONE;
    this.lineHasContent = true;
    if (size > this.limit) {
      const prefix = this.bytesTo(
        buf,
        this.recStartAbs + Math.min(OVERSIZE_PREFIX_BYTES, this.limit),
      ).slice();
      this.dropOver();
      this.pieces = [];
      this.piecesSize = 0;
      this.sink.oversize(prefix, size, this.recElement, this.recLine, this.recStartAbs);
      return;
    }
    const bytes = this.bytesTo(buf, endAbs);
    this.dropOver();
    this.pieces = [];
    this.piecesSize = 0;
    this.sink.record(bytes, this.recElement, this.recLine, this.recMalformed, this.recStartAbs);
  }

  /** The open value ended cleanly at index `i` of `buf`. */
  private complete(buf: Uint8Array, i: number): void {
    const crossed = this.recLastBreakAbs >= 0;
    if (this.recElement) {
      if (crossed) this.arrayCrossed = true;
    } else if (this.mode === UNDECIDED) this.mode = crossed ? MULTILINE : LINES;
    this.finish(buf, this.abs + i);
  }

  /** The scalar token of the open record ends at absolute offset `endAbs`. */
  private endScalar(buf: Uint8Array, endAbs: number): void {
    const valid =
      !this.over &&
      endAbs - this.recStartAbs <= this.limit &&
      isJsonScalar(this.bytesTo(buf, endAbs));
    if (!this.recElement) {
      // A top-level token that is not a JSON scalar makes the rest of its line malformed.
      if (!valid) {
        this.recMalformed = true;
        this.open = REST_OF_LINE;
        return;
      }
      if (this.mode === UNDECIDED) this.mode = LINES;
    } else if (!valid) this.recMalformed = true;
    this.finish(buf, endAbs);
  }

  /** A line break at index `i` where the open value needs more: the value is broken there. */
  private broken(buf: Uint8Array, i: number): void {
    this.recMalformed = true;
    this.inStr = false;
    this.inScalar = false;
    this.finish(buf, this.abs + i);
  }

  /**
   * The open value cannot continue at index `i` (a syntax error); returns where scanning goes on.
   * In line mode, or when the error is on the value's first line, the rest of that line joins
   * the malformed record; otherwise the record ends before the line of the error and that line
   * is scanned again.
   */
  private fail(buf: Uint8Array, i: number, expect: number): number {
    this.expect = expect;
    this.recMalformed = true;
    this.inStr = false;
    this.inScalar = false;
    const cut = this.recLastBreakAbs;
    // Only a line within the limit is scanned again (an oversize record keeps no more than that).
    if (cut < 0 || this.abs + i - cut > this.limit) {
      this.open = REST_OF_LINE;
      return i;
    }
    const again =
      cut >= this.abs
        ? null
        : this.over
          ? concatBytes(this.tail!, this.tailSize)
          : this.bytesTo(buf, this.abs).subarray(cut - this.recStartAbs);
    this.line = this.recLineAtLastBreak;
    this.finish(buf, cut);
    this.resetCursors();
    if (again === null) return cut - this.abs;
    this.replay = again;
    return buf.length;
  }

  /**
   * A line break at `i` inside the open container: the end of a broken value in line mode (or
   * inside a string); otherwise whitespace, remembered for error recovery. Returns where to go on.
   */
  private breakInValue(buf: Uint8Array, i: number): number {
    if (this.mode === LINES || this.inStr) {
      this.broken(buf, i);
      return i;
    }
    this.recLastBreakAbs = this.abs + i;
    this.recLineAtLastBreak = this.line;
    return this.terminator(buf, i);
  }

  /**
   * Scans a string body from `i`. Returns the index after the closing quote (`inStr` false), the
   * index of a line break inside the string (`inStr` still true), or `-1` when the buffer ends
   * inside the string.
   */
  private scanString(buf: Uint8Array, i: number): number {
    const len = buf.length;
    this.inStr = true;
    if (this.escaped) {
      this.escaped = false;
      if (i < len && (buf[i] === LF || buf[i] === CR)) return i;
      i++;
    }
    while (i < len) {
      const c = buf[i]!;
      if (STRING_STOP[c] === 0) {
        i++;
        continue;
      }
      if (c === QUOTE) {
        this.inStr = false;
        return i + 1;
      }
      if (c !== BACKSLASH) return i;
      if (i + 1 >= len) {
        this.escaped = true;
        return -1;
      }
      const e = buf[i + 1]!;
      if (e === LF || e === CR) return i + 1;
      i += 2;
    }
    return -1;
  }

  private scanContainer(buf: Uint8Array, start: number): number {
    const len = buf.length;
    const stack = this.stack;
    let i = start;
    if (this.inScalar) {
      while (i < len && DELIMITER[buf[i]!] === 0) i++;
      if (i >= len) return i;
      this.inScalar = false;
    }
    if (this.inStr || this.escaped) {
      const end = this.scanString(buf, i);
      if (end < 0) return len;
      if (this.inStr) return this.breakInValue(buf, end);
      i = end;
    }
    let expect = this.expect;
    while (i < len) {
      const b = buf[i]!;
      switch (CLASS[b]) {
        case C_QUOTE: {
          if (expect <= KEY) expect = COLON_NEXT;
          else if (expect === VALUE || expect === VALUE_OR_CLOSE) expect = COMMA_OR_CLOSE;
          else return this.fail(buf, i, expect);
          i++;
          // Fast path: a string without escapes that ends in this buffer.
          while (i < len && STRING_STOP[buf[i]!] === 0) i++;
          if (i < len && buf[i] === QUOTE) {
            i++;
            continue;
          }
          const end = this.scanString(buf, i);
          if (end < 0) {
            this.expect = expect;
            return len;
          }
          if (this.inStr) {
            this.expect = expect;
            return this.breakInValue(buf, end);
          }
          i = end;
          continue;
        }
        case C_SPACE:
          i++;
          continue;
        case C_COMMA:
          if (expect !== COMMA_OR_CLOSE) return this.fail(buf, i, expect);
          expect = stack[stack.length - 1] === 1 ? KEY : VALUE;
          i++;
          continue;
        case C_COLON:
          if (expect !== COLON_NEXT) return this.fail(buf, i, expect);
          expect = VALUE;
          i++;
          continue;
        case C_CLOSE: {
          const want = b === RBRACE ? 1 : 0;
          if (
            stack[stack.length - 1] !== want ||
            !(expect === COMMA_OR_CLOSE || expect === (want === 1 ? KEY_OR_CLOSE : VALUE_OR_CLOSE))
          )
            return this.fail(buf, i, expect);
          stack.pop();
          i++;
          if (stack.length === 0) {
            this.complete(buf, i);
            return i;
          }
          expect = COMMA_OR_CLOSE;
          continue;
        }
        case C_OPEN:
          if (!(expect === VALUE || expect === VALUE_OR_CLOSE) || stack.length >= MAX_DEPTH)
            return this.fail(buf, i, expect);
          if (b === LBRACE) {
            stack.push(1);
            expect = KEY_OR_CLOSE;
          } else {
            stack.push(0);
            expect = VALUE_OR_CLOSE;
          }
          i++;
          continue;
        case C_BREAK: {
          this.expect = expect;
          const r = this.breakInValue(buf, i);
          if (this.open !== CONTAINER) return r;
          i = r;
          continue;
        }
        default:
          // A scalar (number, literal or garbage; the gate validates it).
          if (!(expect === VALUE || expect === VALUE_OR_CLOSE)) return this.fail(buf, i, expect);
          expect = COMMA_OR_CLOSE;
          i++;
          while (i < len && DELIMITER[buf[i]!] === 0) i++;
          if (i >= len) this.inScalar = true;
      }
    }
    this.expect = expect;
    return i;
  }
}

/**
 * Creates an incremental {@link ContainerReader}. The input is read as a sequence of top-level
 * JSON values separated by whitespace, split on value boundaries (not only on line ends):
 *
 * - A leading UTF-8 byte-order mark is skipped; CR, LF and CRLF all end lines.
 * - A top-level object, string, number or literal is one record (its exact bytes); several values
 *   may share a line.
 * - A top-level array contributes its elements as records; a UI-export wrapper element
 *   (`{topic, partition, offset, timestamp, value}`) is unwrapped, `value` re-serialized
 *   compactly in original key order (or taken as is when it is a string).
 * - When the first complete top-level value or array ends on the line where it starts, the input
 *   is line-oriented (JSONL): a value still open at the end of its line is broken there.
 *   Otherwise (pretty-printed JSON) values may span lines.
 * - Text that is not JSON becomes a record too, so the gate rejects it with its bytes: a
 *   top-level token that is not a JSON value runs to the end of its line; a value with a syntax
 *   error ends at the end of the line of the error (or, for a value spanning lines, before that
 *   line, which is then read again); an incomplete value at the end of the input is passed on
 *   as it is. Each such segment is counted in a note with its line.
 * - A record larger than `maxRecordBytes` is not held: it comes out as an
 *   {@link OversizeRecord} with its first bytes and true size.
 * - A lone top-level object with an `orchestrators` array and no `type` is a capability API
 *   response: one synthesized `network_capabilities` envelope whose `data` is the
 *   `orchestrators` array, whose id derives from the SHA-256 of the response's bytes and whose
 *   timestamp is `snapshotTimestamp`.
 * - Whitespace-only lines between top-level values are counted (`skippedBlank`).
 *
 * @category Containers
 * @example
 * const reader = createContainerReader({ topic: "events.jsonl", maxRecordBytes: 1_000_000 });
 * for (const chunk of chunks) for (const item of reader.push(chunk)) handle(item);
 * for (const item of reader.end()) handle(item);
 */
export function createContainerReader(options: LoadOptions = {}): ContainerReader {
  const topic = options.topic ?? null;
  const limit = options.maxRecordBytes ?? Infinity;
  const decode = options.decode ?? decodeUtf8;
  let offset = options.firstOffset ?? 0;
  let out: ContainerItem[] = [];
  let held: (Where & { bytes: Uint8Array }) | null = null;
  let seen = 0;
  let topLevel = 0;
  let elements = 0;
  let wrappers = 0;
  let arrays = 0;
  let malformed = 0;
  let firstMalformedLine = 0;
  let oversize = 0;
  let firstOversizeLine = 0;
  let capability = false;
  let ended = false;
  const notes: string[] = [];

  const record = (
    value: Uint8Array | string,
    where: Where,
    extra: Partial<TransportRecord> = {},
  ): void => {
    out.push({
      kind: "record",
      record: { topic, partition: 0, offset: offset++, recordTimestamp: 0, ...extra, value },
      line: where.line,
      byteOffset: where.byteOffset,
    });
  };
  const flushHeld = (): void => {
    if (held === null) return;
    const h = held;
    held = null;
    record(h.bytes, h);
  };
  const element = (bytes: Uint8Array, where: Where): void => {
    let parsed: JsonValue | undefined;
    try {
      parsed = JSON.parse(decode(bytes)) as JsonValue;
    } catch {
      parsed = undefined;
    }
    if (parsed !== undefined && isWrapper(parsed) && isJsonObject(parsed)) {
      wrappers += 1;
      const value = parsed["value"];
      record(typeof value === "string" ? value : JSON.stringify(value), where, {
        topic: typeof parsed["topic"] === "string" ? text(parsed["topic"]) : topic,
        partition:
          typeof parsed["partition"] === "number"
            ? Math.max(0, Math.trunc(parsed["partition"]))
            : 0,
        recordTimestamp: tsMillis(parsed["timestamp"]) ?? 0,
      });
    } else record(bytes, where);
  };

  const scanner = new ValueScanner(limit, {
    record(bytes, isElement, line, bad, byteOffset) {
      const where = { line, byteOffset };
      seen += 1;
      if (bad) {
        malformed += 1;
        if (malformed === 1) firstMalformedLine = line;
      }
      if (isElement) {
        flushHeld();
        elements += 1;
        if (bad) record(bytes, where);
        else element(bytes, where);
        return;
      }
      topLevel += 1;
      if (seen === 1 && arrays === 0 && !bad && bytes[0] === LBRACE) {
        held = { bytes, line, byteOffset };
        return;
      }
      flushHeld();
      record(bytes, where);
    },
    oversize(prefix, size, isElement, line, byteOffset) {
      seen += 1;
      flushHeld();
      if (isElement) elements += 1;
      else topLevel += 1;
      oversize += 1;
      if (oversize === 1) firstOversizeLine = line;
      out.push({
        kind: "oversize",
        oversize: {
          record: { topic, partition: 0, offset: offset++, recordTimestamp: 0, value: prefix },
          size,
          limit,
          line,
          byteOffset,
        },
      });
    },
    array(open, line, closed) {
      if (open) {
        flushHeld();
        arrays += 1;
        return;
      }
      if (!closed)
        notes.push(
          ended
            ? `JSON array is truncated: the input ends before the closing bracket (line ${line}); its complete elements are kept`
            : `JSON array is not closed at the end of line ${line}; the following lines are read as top-level values`,
        );
    },
  });

  const capabilityEnvelope = (h: { bytes: Uint8Array }): string | null => {
    const textValue = decode(h.bytes);
    let doc: JsonValue;
    try {
      doc = JSON.parse(textValue) as JsonValue;
    } catch {
      return null;
    }
    if (!isJsonObject(doc) || !Array.isArray(doc["orchestrators"]) || "type" in doc) return null;
    const id = `capabilities-api-${sha256Hex(textValue).slice(0, 32)}`;
    const envelope: Record<string, JsonValue> = { id, type: "network_capabilities" };
    if (options.snapshotTimestamp !== undefined) envelope["timestamp"] = options.snapshotTimestamp;
    else
      notes.push(
        "capability API response has no timestamp, so the gate rejects it (missing_timestamp); give one (snapshotTimestamp, lpa --snapshot-ts MS)",
      );
    envelope["gateway"] = "";
    envelope["data"] = doc["orchestrators"];
    notes.push(`synthesized one network_capabilities envelope (${id})`);
    return JSON.stringify(envelope);
  };

  const take = (): ContainerItem[] => {
    const items = out;
    out = [];
    return items;
  };

  return {
    push(chunk) {
      if (ended) throw new Error("ContainerReader.push after end");
      scanner.push(chunk);
      return take();
    },
    end() {
      if (ended) return [];
      ended = true;
      scanner.end();
      if (held !== null) {
        const h: Where & { bytes: Uint8Array } = held;
        const synthesized = capabilityEnvelope(h);
        held = null;
        if (synthesized !== null) {
          capability = true;
          record(synthesized, h);
        } else record(h.bytes, h);
      }
      if (arrays > 0 && (arrays > 1 || topLevel > 0))
        notes.push(
          `${plural(arrays, "top-level JSON array")} contributed ${plural(elements, "record")}` +
            (topLevel > 0
              ? `; ${plural(topLevel, "record")} came from other top-level values`
              : ""),
        );
      if (malformed > 0)
        notes.push(
          `${plural(malformed, "malformed segment")} handed to the gate as ${malformed === 1 ? "a record" : "records"} (first at line ${firstMalformedLine})`,
        );
      if (oversize > 0)
        notes.push(
          `${plural(oversize, "record")} larger than ${limit.toLocaleString("en-US")} bytes rejected as record_too_large (first at line ${firstOversizeLine})`,
        );
      return take();
    },
    summary() {
      const records = offset - (options.firstOffset ?? 0);
      const format: ContainerFormat = capability
        ? "capabilities-api"
        : topLevel > 0
          ? "jsonl"
          : arrays > 0
            ? wrappers > 0 && wrappers === elements
              ? "ui-export"
              : "json-array"
            : "empty";
      return {
        format,
        records,
        skippedBlank: scanner.blank,
        notes: format === "empty" && ended ? ["input is empty", ...notes] : [...notes],
      };
    },
  };
}

/**
 * Detects the container format of a text (reads it whole; see {@link createContainerReader}).
 *
 * @category Containers
 */
export function detectContainer(input: string): ContainerFormat {
  return loadContainer(input).format;
}

/**
 * Splits a JSONL text into record texts (one per non-blank line; `\r\n` accepted).
 *
 * @deprecated Splits on `\n` only, so it misreads arrays, concatenated values, several values on
 * one line and CR-only line ends; use {@link loadContainer} or {@link createContainerReader}.
 * @category Containers
 */
export function splitJsonl(input: string): {
  readonly lines: string[];
  readonly skippedBlank: number;
} {
  const lines: string[] = [];
  let skippedBlank = 0;
  const parts = (input.charCodeAt(0) === 0xfeff ? input.slice(1) : input).split("\n");
  // A trailing newline terminates the last line; it does not start a blank one.
  if (parts.length > 0 && parts[parts.length - 1] === "") parts.pop();
  for (let line of parts) {
    if (line.endsWith("\r")) line = line.slice(0, -1);
    if (skipJsonWhitespace(line, 0) >= line.length) skippedBlank += 1;
    else lines.push(line);
  }
  return { lines, skippedBlank };
}

/**
 * An incremental JSONL splitter for streamed text.
 *
 * @deprecated See {@link splitJsonl}; use {@link createContainerReader}.
 * @category Containers
 */
export interface JsonlSplitter {
  /** Adds a chunk and returns the complete, non-blank lines it finished. */
  push(chunk: string): string[];
  /** Returns the last line, if any. */
  end(): string[];
  /** Blank lines seen so far. */
  readonly skippedBlank: number;
}

/**
 * Creates a {@link JsonlSplitter}.
 *
 * @deprecated See {@link splitJsonl}; use {@link createContainerReader}.
 * @category Containers
 */
export function createJsonlSplitter(): JsonlSplitter {
  let carry = "";
  let blank = 0;
  let first = true;
  const take = (line: string, out: string[]): void => {
    if (line.endsWith("\r")) line = line.slice(0, -1);
    if (skipJsonWhitespace(line, 0) >= line.length) blank += 1;
    else out.push(line);
  };
  return {
    push(chunk: string): string[] {
      if (first && chunk.charCodeAt(0) === 0xfeff) chunk = chunk.slice(1);
      first = false;
      const out: string[] = [];
      let start = 0;
      let nl = chunk.indexOf("\n");
      while (nl >= 0) {
        take(carry + chunk.slice(start, nl), out);
        carry = "";
        start = nl + 1;
        nl = chunk.indexOf("\n", start);
      }
      carry += chunk.slice(start);
      return out;
    },
    end(): string[] {
      const out: string[] = [];
      if (carry.length > 0) take(carry, out);
      carry = "";
      return out;
    },
    get skippedBlank() {
      return blank;
    },
  };
}

/**
 * Loads a whole container text into transport records, with the rules of
 * {@link createContainerReader}. Record values are the exact source text of each record (or the
 * re-serialized `value` of a UI-export wrapper, or the synthesized capability envelope).
 *
 * @category Containers
 * @example
 * const { format, records } = loadContainer(fileText, { topic: "events.jsonl" });
 */
export function loadContainer(input: string, options: LoadOptions = {}): LoadedContainer {
  const reader = createContainerReader(options);
  const items = [...reader.push(encodeUtf8(input)), ...reader.end()];
  const records: TransportRecord[] = [];
  const oversize: OversizeRecord[] = [];
  for (const item of items) {
    if (item.kind === "oversize") oversize.push(item.oversize);
    else {
      const v = item.record.value;
      records.push(
        v instanceof Uint8Array ? { ...item.record, value: decodeUtf8(v) } : item.record,
      );
    }
  }
  const s = reader.summary();
  return { format: s.format, records, oversize, skippedBlank: s.skippedBlank, notes: [...s.notes] };
}
