/**
 * Replay metadata (`ingest-and-storage.md` §1.5): the four root fields the DLQ replay job adds,
 * how the gate reads them, and how they are stripped from payload-hash dedup keys.
 *
 * @module
 */
import { isTruthyFlag, type JsonObject } from "../primitives/json.js";
import { topLevelLiteral } from "../primitives/json-scan.js";

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
  /** The rejected envelope's `failure.failureClass`, when it had a failure block. */
  readonly failureClass?: string | null;
}

/**
 * Re-publishable root for a replayed record: the original root with `__replay: true`,
 * `__replay_ts`, `__replay_source: "dlq"` and (when known) `__replay_failure_class` set at the
 * end. Pure: returns a new object.
 *
 * @category Replay
 */
export function withReplayMetadata(root: JsonObject, options: ReplayMetadataOptions): JsonObject {
  const out: JsonObject = {};
  for (const key of Object.keys(root)) {
    if (isReplayField(key)) continue;
    Object.defineProperty(out, key, {
      value: root[key],
      enumerable: true,
      writable: true,
      configurable: true,
    });
  }
  out["__replay"] = true;
  out["__replay_ts"] = options.now;
  out["__replay_source"] = REPLAY_SOURCE_DLQ;
  if (options.failureClass !== undefined && options.failureClass !== null) {
    out["__replay_failure_class"] = options.failureClass;
  }
  return out;
}
