/**
 * `ai_stream_status` → `raw_ai_stream_status` (`ingest-and-storage.md` §1.7.2).
 *
 * @module
 */
import { z } from "zod";
import { field, float32, intOr, nullableText, text, tsMillis } from "../primitives/json.js";
import { blankToNull, normAddr } from "../primitives/strings.js";
import type { AcceptedEvent } from "./accepted-event.js";
import { rowsOnly, type ParserOutput } from "./parse-result.js";

/**
 * One row of `raw_ai_stream_status`.
 *
 * @category Typed rows
 */
export interface AiStreamStatusRow {
  /** Envelope timestamp, epoch ms. */
  readonly event_timestamp: number;
  /** `data.stream_id` as text; `""` when missing. */
  readonly stream_id: string;
  /** `data.request_id` as text; `""` when missing. */
  readonly request_id: string;
  /** Envelope `gateway`; `""` when missing. */
  readonly gateway: string;
  /** `data.orchestrator_info.address`, normalized; a hot wallet. */
  readonly orchestrator_address: string;
  /** `data.orchestrator_info.url` as text. */
  readonly orchestrator_url: string;
  /** `data.pipeline` as text. In real data this carries a **model** label (e.g. `streamdiffusion-sdxl-faceid`). */
  readonly pipeline: string;
  /** `data.state` (`ONLINE`, `DEGRADED_INFERENCE`, `LOADING`, …). */
  readonly state: string;
  /** `data.inference_status.fps`, frames per second as float32; `0` when missing. */
  readonly output_fps: number;
  /** `data.input_status.fps`, frames per second as float32; `0` when missing. */
  readonly input_fps: number;
  /** `data.inference_status.restart_count`; `0` when missing. */
  readonly restart_count: number;
  /** `data.inference_status.last_error`; `null` for JSON `null`, missing or `""`. */
  readonly last_error: string | null;
  /** `tsMillis(data.inference_status.last_error_time)`, epoch ms, or `null`. */
  readonly last_error_time: number | null;
  /** `data.inference_status.last_params.prompt`; `null` when blank. */
  readonly prompt_text: string | null;
  /** `data.inference_status.last_params.width`, pixels; `0` when missing. */
  readonly prompt_width: number;
  /** `data.inference_status.last_params.height`, pixels; `0` when missing. */
  readonly prompt_height: number;
  /** `data.inference_status.last_params_hash`; `""` when missing. */
  readonly params_hash: string;
  /** `tsMillis(data.start_time)`, runner-side start, epoch ms, or `null` (see the ClickHouse `start_time` trap). */
  readonly start_time: number | null;
  /** Full envelope text as received. */
  readonly raw_json: string;
}

/**
 * Zod schema of {@link AiStreamStatusRow}.
 *
 * @category Typed rows
 */
export const AiStreamStatusRowSchema = /* @__PURE__ */ (() =>
  z.object({
    event_timestamp: z.number().int(),
    stream_id: z.string(),
    request_id: z.string(),
    gateway: z.string(),
    orchestrator_address: z.string(),
    orchestrator_url: z.string(),
    pipeline: z.string(),
    state: z.string(),
    output_fps: z.number(),
    input_fps: z.number(),
    restart_count: z.number().int(),
    last_error: z.string().nullable(),
    last_error_time: z.number().int().nullable(),
    prompt_text: z.string().nullable(),
    prompt_width: z.number().int(),
    prompt_height: z.number().int(),
    params_hash: z.string(),
    start_time: z.number().int().nullable(),
    raw_json: z.string(),
  }) satisfies z.ZodType<AiStreamStatusRow>)();

/**
 * Parses one accepted `ai_stream_status` event into its typed row.
 *
 * @category Parsing
 */
export function parseAiStreamStatus(event: AcceptedEvent): ParserOutput<AiStreamStatusRow> {
  const data = event.data;
  const info = field(data, "orchestrator_info");
  const inference = field(data, "inference_status");
  const params = field(inference, "last_params");
  return rowsOnly([
    {
      event_timestamp: event.timestamp,
      stream_id: text(field(data, "stream_id")),
      request_id: text(field(data, "request_id")),
      gateway: event.gateway,
      orchestrator_address: normAddr(text(field(info, "address"))),
      orchestrator_url: text(field(info, "url")),
      pipeline: text(field(data, "pipeline")),
      state: text(field(data, "state")),
      output_fps: float32(field(inference, "fps")),
      input_fps: float32(field(field(data, "input_status"), "fps")),
      restart_count: intOr(field(inference, "restart_count")),
      last_error: nullableText(field(inference, "last_error")),
      last_error_time: tsMillis(field(inference, "last_error_time")),
      prompt_text: blankToNull(text(field(params, "prompt"))),
      prompt_width: intOr(field(params, "width")),
      prompt_height: intOr(field(params, "height")),
      params_hash: text(field(inference, "last_params_hash")),
      start_time: tsMillis(field(data, "start_time")),
      raw_json: event.rawJson,
    },
  ]);
}
