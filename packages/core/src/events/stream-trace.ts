/**
 * `stream_trace` → `raw_stream_trace_events` (`ingest-and-storage.md` §1.7.1).
 *
 * @module
 */
import { z } from "zod";
import { field, text, tsMillis } from "../primitives/json.js";
import { normAddr } from "../primitives/strings.js";
import type { AcceptedEvent } from "./accepted-event.js";
import { rowsOnly, type ParserOutput } from "./parse-result.js";

/**
 * One row of `raw_stream_trace_events`.
 *
 * @category Typed rows
 */
export interface StreamTraceRow {
  /** Envelope timestamp, epoch ms. */
  readonly event_timestamp: number;
  /** `data.stream_id` as text (untrimmed); `""` when missing. */
  readonly stream_id: string;
  /** `data.request_id` as text (untrimmed); `""` when missing. */
  readonly request_id: string;
  /** `data.orchestrator_info.address`, normalized (lower-case, trimmed); `""` when blank. A hot wallet, never stored in facts. */
  readonly orchestrator_address: string;
  /** `data.orchestrator_info.url` as text; `""` when missing. */
  readonly orchestrator_url: string;
  /** `data.type`, the trace subtype (e.g. `gateway_receive_stream_request`). */
  readonly trace_type: string;
  /** `tsMillis(data.timestamp)`, epoch ms, falling back to the envelope timestamp when invalid. Clock of the producing component. */
  readonly data_timestamp: number;
  /** Full envelope text as received. */
  readonly raw_json: string;
}

/**
 * Zod schema of {@link StreamTraceRow}.
 *
 * @category Typed rows
 */
export const StreamTraceRowSchema = /* @__PURE__ */ (() =>
  z.object({
    event_timestamp: z.number().int(),
    stream_id: z.string(),
    request_id: z.string(),
    orchestrator_address: z.string(),
    orchestrator_url: z.string(),
    trace_type: z.string(),
    data_timestamp: z.number().int(),
    raw_json: z.string(),
  }) satisfies z.ZodType<StreamTraceRow>)();

/**
 * Parses one accepted `stream_trace` event into its typed row.
 *
 * @category Parsing
 */
export function parseStreamTrace(event: AcceptedEvent): ParserOutput<StreamTraceRow> {
  const data = event.data;
  const info = field(data, "orchestrator_info");
  return rowsOnly([
    {
      event_timestamp: event.timestamp,
      stream_id: text(field(data, "stream_id")),
      request_id: text(field(data, "request_id")),
      orchestrator_address: normAddr(text(field(info, "address"))),
      orchestrator_url: text(field(info, "url")),
      trace_type: text(field(data, "type")),
      data_timestamp: tsMillis(field(data, "timestamp")) ?? event.timestamp,
      raw_json: event.rawJson,
    },
  ]);
}
