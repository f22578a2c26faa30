/**
 * Dedup key construction (`ingest-and-storage.md` §2.6).
 *
 * @module
 */
import type { DedupStrategy, Dimensions } from "../events/accepted-event.js";
import type { JsonObject } from "../primitives/json.js";
import { sha256Hex } from "../primitives/sha256.js";
import { isReplayField } from "./replay.js";

/**
 * Renders the parsed root for the payload-hash input. The default re-serializes in original key
 * order with JS number formatting; cross-language key parity is therefore only guaranteed for
 * events with a non-empty `id` (a Java re-serialization prints `1.0` where JS prints `1`).
 *
 * @category Dedup
 */
export type PayloadCanonicalizer = (rootWithoutReplayFields: JsonObject) => string;

/**
 * Compact `JSON.stringify` of the root with the four replay fields removed.
 *
 * @category Dedup
 */
export function canonicalizeWithoutReplayFields(
  root: JsonObject,
  canonicalize: PayloadCanonicalizer = defaultCanonicalizer,
): string {
  let hasReplay = false;
  for (const key of Object.keys(root)) {
    if (isReplayField(key)) {
      hasReplay = true;
      break;
    }
  }
  if (!hasReplay) return canonicalize(root);
  const stripped: JsonObject = {};
  for (const key of Object.keys(root)) {
    if (isReplayField(key)) continue;
    Object.defineProperty(stripped, key, {
      value: root[key],
      enumerable: true,
      writable: true,
      configurable: true,
    });
  }
  return canonicalize(stripped);
}

/**
 * The default canonicalizer: `JSON.stringify` (original key order, no spaces).
 *
 * @category Dedup
 */
export const defaultCanonicalizer: PayloadCanonicalizer = (root) => JSON.stringify(root);

/**
 * A dedup key and how it was built.
 *
 * @category Dedup
 */
export interface DedupKey {
  /** The key. */
  readonly key: string;
  /** `event_id` when the event has a non-empty id, else `payload_hash`. */
  readonly strategy: DedupStrategy;
}

/**
 * Builds the dedup key: the event id when non-empty; otherwise the lower-case hex SHA-256 of
 * `type|orchestrator|broadcaster|region|canonicalRoot`, where a `null` dimension renders as
 * `null` and `dimensions === null` leaves the middle part empty (`type||canonicalRoot`).
 *
 * @category Dedup
 * @example
 * dedupKeyOf("evt-123", "ai_stream_status", dims, root) // { key: "evt-123", strategy: "event_id" }
 */
export function dedupKeyOf(
  eventId: string,
  eventType: string,
  dimensions: Dimensions | null,
  root: JsonObject,
  canonicalize: PayloadCanonicalizer = defaultCanonicalizer,
): DedupKey {
  if (eventId !== "") return { key: eventId, strategy: "event_id" };
  const middle =
    dimensions === null
      ? ""
      : `${String(dimensions.orchestrator)}|${String(dimensions.broadcaster)}|${String(dimensions.region)}`;
  const input = `${eventType}|${middle}|${canonicalizeWithoutReplayFields(root, canonicalize)}`;
  return { key: sha256Hex(input), strategy: "payload_hash" };
}
