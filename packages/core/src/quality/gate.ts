/**
 * Stages 1–2 of the quality gate: record decode and schema validation
 * (`ingest-and-storage.md` §2.1–2.6). Pure and total: every input ends as an accepted event or a
 * DLQ envelope with a stable reason; nothing throws.
 *
 * @module
 */
import type { AcceptedEvent, Dimensions, SourcePointer } from "../events/accepted-event.js";
import { isEventType, REQUIRED_PATHS } from "../events/families.js";
import type { TransportRecord } from "../events/transport.js";
import {
  field,
  getPath,
  isJsonObject,
  nullableText,
  text,
  tsMillis,
  type JsonNode,
  type JsonObject,
  type JsonValue,
} from "../primitives/json.js";
import { scanJsonValueEnd, skipJsonWhitespace } from "../primitives/json-scan.js";
import { isBlank } from "../primitives/strings.js";
import { decodeUtf8, encodeBase64, encodeUtf8 } from "../primitives/utf8.js";
import { DEFAULT_SUPPORTED_VERSIONS } from "./config.js";
import { dedupKeyOf, type PayloadCanonicalizer } from "./dedup-key.js";
import { earlyReject, UNKNOWN_SOURCE, type RejectedEventEnvelope } from "./reject-envelope.js";
import { readReplayFlag } from "./replay.js";

/**
 * Options of {@link runGate}.
 *
 * @category Quality gate
 */
export interface GateOptions {
  /** Epoch ms stamped as `ingestionTimestamp` on envelopes (explicit: core reads no clock). */
  readonly now: number;
  /** Accepted schema versions; empty disables the check. Default `["1", "v1"]`. */
  readonly supportedVersions?: readonly string[];
  /** Payload-hash canonicalizer for id-less events. Default: `JSON.stringify`. */
  readonly canonicalize?: PayloadCanonicalizer;
}

/**
 * Outcome of stages 1–2.
 *
 * @category Quality gate
 */
export type GateResult =
  | { readonly ok: true; readonly event: AcceptedEvent }
  | { readonly ok: false; readonly envelope: RejectedEventEnvelope };

/**
 * Output of stage 1.
 *
 * @category Quality gate
 */
export interface DecodedRecord {
  /** The record text as decoded (UTF-8 with replacement), byte for byte. */
  readonly rawJson: string;
  /** Parsed root; `undefined` means "nothing" (empty or whitespace-only input). */
  readonly root: JsonNode;
}

const BOM = 0xfeff;

/**
 * Parses record text with the reference parser's leniency: empty or whitespace-only input is
 * "nothing" (`undefined`), trailing content after the first complete value is ignored, a leading
 * byte-order mark is skipped. Returns `null` when the text is not JSON.
 *
 * @category Quality gate
 */
export function parseLenientJson(rawJson: string): { readonly root: JsonNode } | null {
  let start = skipJsonWhitespace(rawJson, rawJson.charCodeAt(0) === BOM ? 1 : 0);
  if (start >= rawJson.length) return { root: undefined };
  const body = start === 0 ? rawJson : rawJson.slice(start);
  try {
    return { root: JSON.parse(body) as JsonValue };
  } catch {
    // Fall through: maybe a complete first value followed by trailing content.
  }
  start = 0;
  const end = scanJsonValueEnd(body, start);
  if (end <= 0 || end >= body.length) return null;
  try {
    return { root: JSON.parse(body.slice(0, end)) as JsonValue };
  } catch {
    return null;
  }
}

function sourceOf(record: TransportRecord | null | undefined): SourcePointer {
  if (record === null || record === undefined) return UNKNOWN_SOURCE;
  return {
    topic: record.topic ?? null,
    partition: record.partition ?? 0,
    offset: record.offset ?? 0,
    recordTimestamp: record.recordTimestamp ?? 0,
  };
}

/**
 * Stage 1: record decode. Returns the decoded text and root, or a variant-A DLQ envelope
 * (`null_payload`, `json_parse_error` with the Base64 of the raw bytes).
 *
 * @category Quality gate
 */
export function decodeRecord(
  record: TransportRecord | null | undefined,
  now: number,
):
  | { readonly ok: true; readonly decoded: DecodedRecord }
  | { readonly ok: false; readonly envelope: RejectedEventEnvelope } {
  const source = sourceOf(record);
  const noIdentity = { eventId: null, eventType: null, eventVersion: null };
  if (
    record === null ||
    record === undefined ||
    record.value === null ||
    record.value === undefined
  ) {
    return {
      ok: false,
      envelope: earlyReject(
        {
          source,
          reason: "null_payload",
          details: "Record value is null",
          identity: noIdentity,
          dimensions: null,
          payload: { encoding: "json", body: null, canonicalJson: null },
          replay: false,
          eventTimestamp: null,
        },
        now,
      ),
    };
  }
  const value = record.value;
  const rawJson = typeof value === "string" ? value : decodeUtf8(value);
  const parsed = parseLenientJson(rawJson);
  if (parsed === null) {
    const bytes = typeof value === "string" ? encodeUtf8(value) : value;
    return {
      ok: false,
      envelope: earlyReject(
        {
          source,
          reason: "json_parse_error",
          details: jsonErrorMessage(rawJson),
          identity: noIdentity,
          dimensions: null,
          payload: { encoding: "base64", body: encodeBase64(bytes), canonicalJson: null },
          replay: false,
          eventTimestamp: null,
        },
        now,
      ),
    };
  }
  return { ok: true, decoded: { rawJson, root: parsed.root } };
}

function jsonErrorMessage(rawJson: string): string {
  try {
    JSON.parse(rawJson);
    return "Invalid JSON";
  } catch (error) {
    return error instanceof Error ? error.message : "Invalid JSON";
  }
}

/**
 * Text of an identity field for schema-failure envelopes: a string as is, a number or boolean as
 * its text form, anything else (absent, `null`, object, array) `""`.
 */
function identityText(node: JsonNode): string {
  return node === null || node === undefined ? "" : text(node);
}

/**
 * Raw schema version (`ingest-and-storage.md` §1.4): root `version`, else `data.version` when
 * `data` is an object; a number renders as its integer part; `null` when absent.
 *
 * @category Quality gate
 */
export function rawVersionOf(root: JsonObject): string | null {
  let node: JsonNode = root["version"];
  if (node === undefined || node === null) {
    node = field(root["data"], "version");
  }
  if (node === undefined || node === null) return null;
  if (typeof node === "number")
    return Number.isFinite(node) ? String(Math.trunc(node) + 0) : String(node);
  return text(node);
}

/**
 * Routing dimensions of a root (`ingest-and-storage.md` §2.5); all `null` unless `data` is an
 * object.
 *
 * @category Quality gate
 */
export function dimensionsOf(root: JsonNode): Dimensions {
  const data = field(root, "data");
  if (!isJsonObject(data)) return { orchestrator: null, broadcaster: null, region: null };
  const info = data["orchestrator_info"];
  const address = field(info, "address");
  const orchestrator =
    isJsonObject(info) && address !== undefined && address !== null && !isBlank(text(address))
      ? text(address)
      : nullableText(data["orchestrator"]);
  return {
    orchestrator,
    broadcaster: nullableText(data["broadcaster"]),
    region: nullableText(data["region"]),
  };
}

function missing(node: JsonNode): boolean {
  return node === undefined || node === null || node === "";
}

/**
 * Stage 2: schema validation of a decoded root, in the reference's rule order
 * (`ingest-and-storage.md` §2.3). Returns the accepted event (with its dedup key) or a variant-B
 * DLQ envelope.
 *
 * @category Quality gate
 */
export function validateEnvelope(
  decoded: DecodedRecord,
  source: SourcePointer,
  options: GateOptions,
): GateResult {
  const { rawJson, root } = decoded;
  const supported = options.supportedVersions ?? DEFAULT_SUPPORTED_VERSIONS;
  const reject = (
    reason: Parameters<typeof earlyReject>[0]["reason"],
    details: string,
  ): GateResult => {
    const obj = isJsonObject(root) ? root : null;
    return {
      ok: false,
      envelope: earlyReject(
        {
          source,
          reason,
          details,
          identity: {
            eventId: identityText(obj?.["id"]),
            eventType: identityText(obj?.["type"]),
            eventVersion: obj === null ? null : rawVersionOf(obj),
          },
          dimensions: dimensionsOf(root),
          payload: {
            encoding: "json",
            body: rawJson,
            canonicalJson: root === undefined ? null : safeStringify(root),
          },
          replay: obj === null ? false : readReplayFlag(obj, rawJson),
          eventTimestamp: obj === null ? null : tsMillis(obj["timestamp"]),
        },
        options.now,
      ),
    };
  };

  if (!isJsonObject(root))
    return reject("root_not_object", "Root node is missing or not an object");
  const type = root["type"];
  if (typeof type !== "string")
    return reject("missing_type", "Event type is missing or not a string");
  const timestamp = tsMillis(root["timestamp"]);
  if (timestamp === null)
    return reject("missing_timestamp", "Event timestamp is missing or not numeric");
  if (!Object.prototype.hasOwnProperty.call(root, "data")) {
    return reject("missing_data", "Event data payload is missing");
  }
  if (!isEventType(type))
    return reject("unsupported_event_type", `Unsupported event type: ${type}`);
  const version = rawVersionOf(root);
  if (version !== null && supported.length > 0 && !supported.includes(version)) {
    return reject("unsupported_version", `Unsupported event version: ${version}`);
  }
  for (const path of REQUIRED_PATHS[type]) {
    if (missing(getPath(root, path)))
      return reject("missing_field", `Missing required field: ${path}`);
  }
  const data = root["data"] as JsonValue;
  if (type === "discovery_results" && !(Array.isArray(data) && data.length > 0)) {
    return reject("empty_array", "Expected non-empty data array");
  }
  if (type === "network_capabilities" && !(isJsonObject(data) || Array.isArray(data))) {
    return reject("invalid_data_shape", "Expected data object or array");
  }

  const eventId = text(root["id"]);
  const dimensions = dimensionsOf(root);
  let dedup;
  try {
    dedup = dedupKeyOf(eventId, type, dimensions, root, options.canonicalize);
  } catch {
    // Only reachable for pathological nesting that JSON.stringify cannot walk: hash the raw text.
    dedup = dedupKeyOf("", type, dimensions, {}, () => rawJson);
  }
  return {
    ok: true,
    event: {
      eventId,
      eventType: type,
      eventVersion: version ?? "1",
      timestamp,
      gateway: text(root["gateway"]),
      rawJson,
      replay: readReplayFlag(root, rawJson),
      source,
      dimensions,
      dedupKey: dedup.key,
      dedupStrategy: dedup.strategy,
      root,
      data,
    },
  };
}

function safeStringify(root: JsonValue): string | null {
  try {
    return JSON.stringify(root);
  } catch {
    return null;
  }
}

/**
 * Runs stages 1–2 of the gate on one transport record.
 *
 * @category Quality gate
 * @example
 * const r = runGate({ value: line, topic: "streaming_events" }, { now: 0 });
 * if (r.ok) console.log(r.event.eventType, r.event.dedupKey);
 * else console.log(r.envelope.failure.reason);
 */
export function runGate(
  record: TransportRecord | null | undefined,
  options: GateOptions,
): GateResult {
  const d = decodeRecord(record, options.now);
  if (!d.ok) return d;
  return validateEnvelope(d.decoded, sourceOf(record), options);
}
