/**
 * Replay metadata (`ingest-and-storage.md` §1.5): the four root fields the DLQ replay job adds,
 * how the gate reads them, and how they are stripped from payload-hash dedup keys.
 *
 * @module
 */
import { isJsonObject, isTruthyFlag, type JsonObject, type JsonValue } from "../primitives/json.js";
import { scanJsonValueEnd, skipJsonWhitespace, topLevelLiteral } from "../primitives/json-scan.js";

/** Root keys added by the replay job; excluded from payload-hash dedup keys. */
export const REPLAY_FIELDS: readonly string[] = [
  "__replay",
  "__replay_ts",
  "__replay_source",
  "__replay_failure_class",
];

/** Value of `__replay_source` written by the replay job. */
export const REPLAY_SOURCE_DLQ = "dlq";

const REPLAY_FIELD_SET: ReadonlySet<string> = new Set(REPLAY_FIELDS);

/**
 * `true` when `key` is one of {@link REPLAY_FIELDS}.
 *
 * @category Replay
 */
export function isReplayField(key: string): boolean {
  return REPLAY_FIELD_SET.has(key);
}

/**
 * The gate's replay flag: truthiness of root `__replay` with the reference rules (JSON `true`, a
 * non-zero integer literal, or `"true"` after `jtrim`). Numbers written with a fraction or
 * exponent (`1.0`, `1e0`) are false, which needs the raw text because `JSON.parse` erases the
 * literal form.
 *
 * @category Replay
 */
export function readReplayFlag(root: JsonObject, rawJson: string): boolean {
  const node = root["__replay"];
  if (typeof node === "number") {
    const literal = topLevelLiteral(rawJson, "__replay");
    if (literal !== null && !/^-?\d+$/.test(literal)) return false;
  }
  return isTruthyFlag(node);
}

/**
 * Options of {@link withReplayMetadata}.
 *
 * @category Replay
 */
export interface ReplayMetadataOptions {
  /** Epoch ms written as `__replay_ts` (the replay job's explicit `now`). */
  readonly now: number;
  /**
   * The rejected envelope's `failure.failureClass`, when it had a failure block: a string, or
   * `null` (written as JSON `null`) when the block has no class. Absent: no
   * `__replay_failure_class` is added.
   */
  readonly failureClass?: string | null;
  /**
   * Where replay keys already present in `root` go. `false` (default): they are removed and the
   * new ones appended at the end. `true`: they keep their position and get the new value, only the
   * missing ones are appended (the reference replay job's behaviour, `ingest-and-storage.md` §7);
   * a stale key this run does not set (`__replay_failure_class` without `failureClass`) is kept.
   */
  readonly inPlace?: boolean;
}

/**
 * Re-publishable root for a replayed record: the original root with `__replay: true`,
 * `__replay_ts`, `__replay_source: "dlq"` and (when `failureClass` is given, even `null`)
 * `__replay_failure_class`. By default existing replay keys are dropped and the four set at the
 * end; with {@link ReplayMetadataOptions.inPlace} existing ones are overwritten where they stand.
 * Pure: returns a new object.
 *
 * @category Replay
 */
export function withReplayMetadata(root: JsonObject, options: ReplayMetadataOptions): JsonObject {
  const updates = new Map<string, JsonValue>([
    ["__replay", true],
    ["__replay_ts", options.now],
    ["__replay_source", REPLAY_SOURCE_DLQ],
  ]);
  if (options.failureClass !== undefined) {
    updates.set("__replay_failure_class", options.failureClass);
  }
  const inPlace = options.inPlace === true;
  const out: JsonObject = {};
  const put = (key: string, value: JsonValue): void => {
    // defineProperty: a `__proto__` key of the data stays data.
    Object.defineProperty(out, key, {
      value,
      enumerable: true,
      writable: true,
      configurable: true,
    });
  };
  for (const key of Object.keys(root)) {
    if (!isReplayField(key)) put(key, root[key] as JsonValue);
    else if (inPlace)
      put(key, updates.has(key) ? (updates.get(key) as JsonValue) : (root[key] as JsonValue));
  }
  for (const [key, value] of updates) {
    if (!Object.prototype.hasOwnProperty.call(out, key)) put(key, value);
  }
  return out;
}

/**
 * Why {@link replayEnvelope} did not republish an envelope, in the order the checks run:
 *
 * - `unparseable_envelope`: the text is not JSON, or not a JSON object.
 * - `no_timestamp`: a window is set and the envelope has neither a numeric `eventTimestamp` nor a
 *   numeric `source.recordTimestamp` (the reference job crashes there).
 * - `outside_window`: the record time falls outside the window.
 * - `already_replayed`: the envelope's `replay` is `true` — the rejected input was itself a
 *   replay, so replaying it again could loop (an SDK addition; see
 *   {@link ReplayEnvelopeOptions.includeReplayed}).
 * - `null_body`: `payload.body` is missing or `null`.
 * - `not_json_encoding`: `payload.encoding` is not `json` ignoring case (Base64 bodies of
 *   `json_parse_error` records can never be replayed).
 * - `body_not_object`: the body does not parse to a JSON object.
 *
 * @category Replay
 */
export const REPLAY_SKIP_REASONS = [
  "unparseable_envelope",
  "no_timestamp",
  "outside_window",
  "already_replayed",
  "null_body",
  "not_json_encoding",
  "body_not_object",
] as const;

/**
 * A stable skip reason code of {@link replayEnvelope} (see {@link REPLAY_SKIP_REASONS}).
 *
 * @category Replay
 */
export type ReplaySkipReason = (typeof REPLAY_SKIP_REASONS)[number];

/**
 * Replay window over the record time, epoch ms; both bounds inclusive (the reference code's
 * behaviour; its runbook calls the end exclusive). No bound: everything is kept.
 *
 * @category Replay
 */
export interface ReplayWindow {
  /** Inclusive lower bound. */
  readonly start?: number;
  /** Inclusive upper bound. */
  readonly end?: number;
}

/**
 * Options of {@link replayEnvelope}.
 *
 * @category Replay
 */
export interface ReplayEnvelopeOptions {
  /**
   * Also replay envelopes whose rejected input was itself a replay (`replay: true`); default
   * `false`, which skips them as `already_replayed`.
   */
  readonly includeReplayed?: boolean;
}

/**
 * Outcome of {@link replayEnvelope}: the record to republish, or why none.
 *
 * @category Replay
 */
export type ReplayEnvelopeResult =
  | {
      readonly ok: true;
      /** Compact JSON of the original body with the replay fields (`ingest-and-storage.md` §1.5). */
      readonly record: string;
      /** The body's `id` when it is a non-empty string (the Kafka key to use), else `null`. */
      readonly key: string | null;
      /**
       * The envelope's record time, epoch ms: `eventTimestamp`, else `source.recordTimestamp`;
       * `null` when it has neither.
       */
      readonly eventTimestamp: number | null;
      /**
       * The `__replay_failure_class` written: the envelope's `failure.failureClass`, `null` when
       * the failure block has no class or there is no failure block (then none is written).
       */
      readonly failureClass: string | null;
    }
  | {
      readonly ok: false;
      /** Why the envelope is not replayed. */
      readonly skip: ReplaySkipReason;
    };

/**
 * Parses the first JSON value of a text the way a lenient tree reader does: a leading BOM and
 * whitespace are skipped and content after a complete value is ignored. `undefined`: no value.
 */
function parseFirstValue(text: string): { readonly value: JsonValue | undefined } | null {
  const start = skipJsonWhitespace(text, text.charCodeAt(0) === 0xfeff ? 1 : 0);
  if (start >= text.length) return { value: undefined };
  const body = text.slice(start);
  try {
    return { value: JSON.parse(body) as JsonValue };
  } catch {
    // Maybe a complete value followed by trailing content.
  }
  const end = scanJsonValueEnd(body, 0);
  if (end <= 0 || end >= body.length) return null;
  try {
    return { value: JSON.parse(body.slice(0, end)) as JsonValue };
  } catch {
    return null;
  }
}

const finite = (v: JsonValue | undefined): number | null =>
  typeof v === "number" && Number.isFinite(v) ? v : null;

const own = (o: JsonObject, key: string): JsonValue | undefined =>
  Object.prototype.hasOwnProperty.call(o, key) ? o[key] : undefined;

/**
 * The DLQ replay transform (`ingest-and-storage.md` §7) of one DLQ envelope: checks it against the
 * window and the skip rules ({@link REPLAY_SKIP_REASONS}, in that order) and rebuilds the
 * original record with the replay fields set (§1.5): `__replay: true`, `__replay_ts: now`,
 * `__replay_source: "dlq"` and, when the envelope has a failure block, `__replay_failure_class`
 * (its `failureClass`, JSON `null` when null). New keys are appended after the original keys;
 * replay keys already in the body are overwritten where they stand. The output is compact JSON
 * (`JSON.stringify`: numbers in JS form, integer-like keys first, as everywhere in core).
 *
 * Pure and total: it never throws.
 *
 * @category Replay
 * @example
 * const r = replayEnvelope(dlqValueText, { start: 1710000000000 }, now);
 * if (r.ok) send(outputTopic, { key: r.key, value: r.record });
 * else skipped[r.skip]++;
 */
export function replayEnvelope(
  envelopeText: string,
  window: ReplayWindow,
  now: number,
  options: ReplayEnvelopeOptions = {},
): ReplayEnvelopeResult {
  const parsed = parseFirstValue(envelopeText);
  const envelope = parsed?.value;
  if (!isJsonObject(envelope)) return { ok: false, skip: "unparseable_envelope" };

  const source = own(envelope, "source");
  const eventTimestamp =
    finite(own(envelope, "eventTimestamp")) ??
    (isJsonObject(source) ? finite(own(source, "recordTimestamp")) : null);
  if (window.start !== undefined || window.end !== undefined) {
    if (eventTimestamp === null) return { ok: false, skip: "no_timestamp" };
    if (window.start !== undefined && eventTimestamp < window.start)
      return { ok: false, skip: "outside_window" };
    if (window.end !== undefined && eventTimestamp > window.end)
      return { ok: false, skip: "outside_window" };
  }
  if (own(envelope, "replay") === true && options.includeReplayed !== true)
    return { ok: false, skip: "already_replayed" };

  const payload = own(envelope, "payload");
  const body = isJsonObject(payload) ? own(payload, "body") : undefined;
  if (body === undefined || body === null) return { ok: false, skip: "null_body" };
  const encoding = isJsonObject(payload) ? own(payload, "encoding") : undefined;
  if (typeof encoding !== "string" || encoding.toLowerCase() !== "json")
    return { ok: false, skip: "not_json_encoding" };
  const root = typeof body === "string" ? parseFirstValue(body)?.value : undefined;
  if (!isJsonObject(root)) return { ok: false, skip: "body_not_object" };

  const failure = own(envelope, "failure");
  const hasFailure = isJsonObject(failure);
  const cls = hasFailure ? own(failure, "failureClass") : undefined;
  const failureClass = typeof cls === "string" ? cls : null;
  const id = own(root, "id");
  const record = JSON.stringify(
    withReplayMetadata(root, {
      now,
      inPlace: true,
      ...(hasFailure ? { failureClass } : {}),
    }),
  );
  return {
    ok: true,
    record,
    key: typeof id === "string" && id !== "" ? id : null,
    eventTimestamp,
    failureClass,
  };
}
