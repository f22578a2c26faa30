/**
 * `ai_stream_events` → `raw_ai_stream_events` (`ingest-and-storage.md` §1.7.3).
 *
 * @module
 */
import { z } from "zod";
import { field, text } from "../primitives/json.js";
import type { AcceptedEvent } from "./accepted-event.js";
import { rowsOnly, type ParserOutput } from "./parse-result.js";

/**
 * One row of `raw_ai_stream_events`.
 *
 * @category Typed rows
 */
export interface AiStreamEventRow {
  /** Envelope timestamp, epoch ms. */
  readonly event_timestamp: number;
  /** `data.stream_id` as text. */
  readonly stream_id: string;
  /** `data.request_id` as text. */
  readonly request_id: string;
  /** `data.pipeline` as text (a model label in practice). */
  readonly pipeline: string;
  /** `data.type`: `error`, `params_update`, or a passthrough runner type. */
  readonly event_type: string;
  /** `data.message`; `""` when missing. */
  readonly message: string;
  /** `data.capability`; `""` when missing. */
  readonly capability: string;
  /** Full envelope text as received. */
  readonly raw_json: string;
}

/**
 * Zod schema of {@link AiStreamEventRow}.
 *
 * @category Typed rows
 */
export const AiStreamEventRowSchema = /* @__PURE__ */ (() =>
  z.object({
    event_timestamp: z.number().int(),
    stream_id: z.string(),
    request_id: z.string(),
    pipeline: z.string(),
    event_type: z.string(),
    message: z.string(),
    capability: z.string(),
    raw_json: z.string(),
  }) satisfies z.ZodType<AiStreamEventRow>)();

/**
 * Parses one accepted `ai_stream_events` event into its typed row.
 *
 * @category Parsing
 */
export function parseAiStreamEvent(event: AcceptedEvent): ParserOutput<AiStreamEventRow> {
  const data = event.data;
  return rowsOnly([
    {
      event_timestamp: event.timestamp,
      stream_id: text(field(data, "stream_id")),
      request_id: text(field(data, "request_id")),
      pipeline: text(field(data, "pipeline")),
      event_type: text(field(data, "type")),
      message: text(field(data, "message")),
      capability: text(field(data, "capability")),
      raw_json: event.rawJson,
    },
  ]);
}
