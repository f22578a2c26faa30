/**
 * Input containers (pure, over strings): JSONL of envelopes, a JSON array of envelopes, the
 * UI-export wrapper format (`ingest-and-storage.md` §10.1), and capability API responses
 * (`{ "orchestrators": [...] }`, the shape of a `network_capabilities` event's `data`).
 *
 * Loaders never validate envelopes: every record is handed to the gate as received, so bad
 * content becomes a DLQ row with a reason instead of disappearing here.
 *
 * @module
 */
import { isJsonObject, tsMillis, text, type JsonValue } from "../primitives/json.js";
import { skipJsonWhitespace, splitJsonArray } from "../primitives/json-scan.js";
import { sha256Hex } from "../primitives/sha256.js";
import type { TransportRecord } from "./transport.js";

/**
 * Container formats the loader recognises.
 *
 * @category Containers
 */
export type ContainerFormat = "jsonl" | "json-array" | "ui-export" | "capabilities-api" | "empty";

/**
 * Options of {@link loadContainer}.
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
}

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
  /** Lines or elements that carried no record (blank JSONL lines), counted, not dropped silently. */
  readonly skippedBlank: number;
  /** Notes for the user (e.g. a truncated array, a synthesized capability envelope). */
  readonly notes: string[];
}

const isWrapper = (el: JsonValue): boolean =>
  isJsonObject(el) &&
  (isJsonObject(el["value"]) || typeof el["value"] === "string") &&
  ("topic" in el || "partition" in el || "offset" in el);

/**
 * Detects the container format of a text without reading it all.
 *
 * @category Containers
 */
export function detectContainer(input: string): ContainerFormat {
  const i = skipJsonWhitespace(input, input.charCodeAt(0) === 0xfeff ? 1 : 0);
  if (i >= input.length) return "empty";
  if (input.charCodeAt(i) === 0x5b) return "json-array";
  if (input.charCodeAt(i) === 0x7b) {
    const obj = tryParseObject(input);
    if (obj !== null && Array.isArray(obj["orchestrators"]) && !("type" in obj))
      return "capabilities-api";
  }
  return "jsonl";
}

function tryParseObject(input: string): Record<string, JsonValue> | null {
  // Cheap guard: a capability response is a single JSON document; JSONL files have many lines.
  try {
    const v = JSON.parse(input) as JsonValue;
    return isJsonObject(v) ? v : null;
  } catch {
    return null;
  }
}

/**
 * Splits a JSONL text into record texts (one per non-blank line; `\r\n` accepted).
 *
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
 * An incremental JSONL splitter for streamed input (files larger than one JS string can hold).
 * Feed decoded text chunks with `push`; call `end` once at the end of input.
 *
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
 * Loads a whole container text into transport records.
 *
 * - JSONL: one record per non-blank line, the line text as received.
 * - JSON array: one record per element, the element's exact source text; UI-export wrappers
 *   (`{id, timestamp, type, topic, partition, offset, value}`) are unwrapped and `value` is
 *   re-serialized compactly in original key order. A truncated array keeps its complete
 *   elements and hands the incomplete tail to the gate (which rejects it as `json_parse_error`).
 * - Capability API response: one synthesized `network_capabilities` envelope whose `data` is the
 *   `orchestrators` array and whose id is derived from the text's SHA-256.
 *
 * @category Containers
 * @example
 * const { format, records } = loadContainer(fileText, { topic: "events.jsonl" });
 */
export function loadContainer(input: string, options: LoadOptions = {}): LoadedContainer {
  const topic = options.topic ?? null;
  let offset = options.firstOffset ?? 0;
  const record = (value: string, extra: Partial<TransportRecord> = {}): TransportRecord => ({
    topic,
    partition: 0,
    offset: offset++,
    recordTimestamp: 0,
    ...extra,
    value,
  });
  const format = detectContainer(input);
  const notes: string[] = [];
  switch (format) {
    case "empty":
      return { format, records: [], skippedBlank: 0, notes: ["input is empty"] };
    case "jsonl": {
      const { lines, skippedBlank } = splitJsonl(input);
      return { format, records: lines.map((l) => record(l)), skippedBlank, notes };
    }
    case "capabilities-api": {
      const doc = JSON.parse(input) as Record<string, JsonValue>;
      const id = `capabilities-api-${sha256Hex(input).slice(0, 32)}`;
      const envelope: Record<string, JsonValue> = { id, type: "network_capabilities" };
      if (options.snapshotTimestamp !== undefined)
        envelope["timestamp"] = options.snapshotTimestamp;
      else notes.push("capability API response has no timestamp; pass snapshotTimestamp");
      envelope["gateway"] = "";
      envelope["data"] = doc["orchestrators"] ?? [];
      notes.push(`synthesized one network_capabilities envelope (${id})`);
      return { format, records: [record(JSON.stringify(envelope))], skippedBlank: 0, notes };
    }
  }
  {
    const elements = splitJsonArray(input) ?? [];
    const records: TransportRecord[] = [];
    let wrappers = 0;
    for (const el of elements) {
      if (!el.complete) {
        notes.push(
          `array is truncated at offset ${el.offset}; the incomplete tail is passed on as one record`,
        );
        records.push(record(el.text));
        continue;
      }
      let parsed: JsonValue | undefined;
      try {
        parsed = JSON.parse(el.text) as JsonValue;
      } catch {
        parsed = undefined;
      }
      if (parsed !== undefined && isWrapper(parsed) && isJsonObject(parsed)) {
        wrappers += 1;
        const value = parsed["value"];
        const raw = typeof value === "string" ? value : JSON.stringify(value);
        records.push(
          record(raw, {
            topic: typeof parsed["topic"] === "string" ? text(parsed["topic"]) : topic,
            partition:
              typeof parsed["partition"] === "number"
                ? Math.max(0, Math.trunc(parsed["partition"]))
                : 0,
            recordTimestamp: tsMillis(parsed["timestamp"]) ?? 0,
          }),
        );
      } else records.push(record(el.text));
    }
    return {
      format: wrappers > 0 && wrappers === records.length ? "ui-export" : "json-array",
      records,
      skippedBlank: 0,
      notes,
    };
  }
}
