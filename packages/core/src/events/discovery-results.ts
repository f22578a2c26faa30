/**
 * `discovery_results` → `raw_discovery_results` (`ingest-and-storage.md` §1.7.6).
 *
 * @module
 */
import { z } from "zod";
import { field, num, text } from "../primitives/json.js";
import type { AcceptedEvent } from "./accepted-event.js";
import { rowsOnly, type ParserOutput } from "./parse-result.js";

/**
 * One row of `raw_discovery_results` (one per element of `data`).
 *
 * @category Typed rows
 */
export interface DiscoveryResultRow {
  /** Envelope timestamp, epoch ms. */
  readonly event_timestamp: number;
  /** Element `address` as text, **not** lower-cased (reference behaviour). */
  readonly orchestrator_address: string;
  /** Element `url` as text. */
  readonly orchestrator_url: string;
  /** Element `latency_ms`, milliseconds, from a number or numeric string (`"77"` → 77); `0` when missing or not numeric. */
  readonly latency_ms: number;
  /** Compact JSON of the array element. */
  readonly raw_json: string;
}

/**
 * Zod schema of {@link DiscoveryResultRow}.
 *
 * @category Typed rows
 */
export const DiscoveryResultRowSchema = /* @__PURE__ */ (() =>
  z.object({
    event_timestamp: z.number().int(),
    orchestrator_address: z.string(),
    orchestrator_url: z.string(),
    latency_ms: z.number().int(),
    raw_json: z.string(),
  }) satisfies z.ZodType<DiscoveryResultRow>)();

/**
 * Parses one accepted `discovery_results` event: one row per element of the `data` array.
 *
 * @category Parsing
 */
export function parseDiscoveryResults(event: AcceptedEvent): ParserOutput<DiscoveryResultRow> {
  const data = event.data;
  if (!Array.isArray(data)) return rowsOnly([]);
  return rowsOnly(
    data.map((el) => ({
      event_timestamp: event.timestamp,
      orchestrator_address: text(field(el, "address")),
      orchestrator_url: text(field(el, "url")),
      latency_ms: Math.trunc(num(field(el, "latency_ms"), 0)) + 0,
      raw_json: JSON.stringify(el),
    })),
  );
}
