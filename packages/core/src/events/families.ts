/**
 * The event families the gate accepts and their required paths (`ingest-and-storage.md` §1.6, §2.4).
 *
 * @module
 */

/**
 * Every `type` the V-B gate accepts. Any other value is rejected with `unsupported_event_type`.
 *
 * @category Events
 */
export const EVENT_TYPES = [
  "stream_trace",
  "ai_stream_status",
  "ai_stream_events",
  "stream_ingest_metrics",
  "network_capabilities",
  "discovery_results",
  "create_new_payment",
] as const;

/**
 * One of the seven supported event families.
 *
 * @category Events
 */
export type EventType = (typeof EVENT_TYPES)[number];

const TYPE_SET: ReadonlySet<string> = new Set(EVENT_TYPES);

/**
 * `true` when `t` is one of {@link EVENT_TYPES}.
 *
 * @category Events
 */
export function isEventType(t: unknown): t is EventType {
  return typeof t === "string" && TYPE_SET.has(t);
}

/**
 * Required paths per family, in check order (`ingest-and-storage.md` §2.4). A path fails when it
 * resolves to a missing node, JSON `null` or the empty string; whitespace-only strings, `0`,
 * `false`, `{}` and `[]` pass.
 *
 * @category Events
 */
export const REQUIRED_PATHS: { readonly [T in EventType]: readonly string[] } = {
  ai_stream_status: ["data.stream_id", "data.request_id", "data.pipeline"],
  stream_ingest_metrics: ["data.stream_id", "data.request_id"],
  stream_trace: ["id", "data.stream_id", "data.request_id", "data.type"],
  network_capabilities: ["data"],
  ai_stream_events: ["data.stream_id", "data.request_id", "data.pipeline", "data.type"],
  discovery_results: ["data"],
  create_new_payment: [
    "data.sessionID",
    "data.manifestID",
    "data.sender",
    "data.recipient",
    "data.orchestrator",
    "data.faceValue",
    "data.numTickets",
    "data.price",
    "data.winProb",
  ],
};

/**
 * `stream_trace` subtypes (`data.type`) that carry lifecycle meaning (`ingest-and-storage.md` §1.6).
 * The gate does not restrict subtypes; this list is for documentation and generators.
 *
 * @category Events
 */
export const TRACE_TYPES = [
  "gateway_receive_stream_request",
  "gateway_ingest_stream_closed",
  "gateway_send_first_ingest_segment",
  "gateway_receive_first_processed_segment",
  "gateway_receive_few_processed_segments",
  "gateway_receive_first_data_segment",
  "gateway_no_orchestrators_available",
  "orchestrator_swap",
  "runner_receive_first_ingest_segment",
  "runner_send_first_processed_segment",
  "stream_stopped",
  "stream_orchestrator_token_refresh",
] as const;
