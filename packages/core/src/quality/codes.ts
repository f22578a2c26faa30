/**
 * The closed rejection vocabulary (`ingest-and-storage.md` §2.10): stage, failure class and
 * reason of every DLQ and quarantine envelope, and where each is routed.
 *
 * @module
 */

/**
 * Pipeline stage that rejected an input.
 *
 * @category Rejections
 */
export type FailureStage = (typeof FAILURE_STAGES)[number];

/**
 * Every pipeline stage, in pipeline order.
 *
 * @category Rejections
 */
export const FAILURE_STAGES = [
  "DESERIALIZATION",
  "SCHEMA_VALIDATION",
  "EVENT_TIME",
  "DEDUP",
  "PARSE",
  "SINK_GUARD",
  "LIFECYCLE",
  "CLICKHOUSE_SINK",
] as const;

/**
 * Failure class of a rejection.
 *
 * @category Rejections
 */
export type FailureClass = (typeof FAILURE_CLASSES)[number];

/**
 * Every failure class.
 *
 * @category Rejections
 */
export const FAILURE_CLASSES = [
  "DESERIALIZATION_FAILED",
  "SCHEMA_INVALID",
  "UNSUPPORTED_VERSION",
  "EVENT_TIME_IMPLAUSIBLE",
  "DUPLICATE",
  "PARSING_FAILED",
  "RECORD_TOO_LARGE",
  "STATE_EVICTED",
  "DLQ_SINK_WRITE",
] as const;

/**
 * Machine-readable reason of a rejection. Stable: counters, dashboards and replay filters key
 * on these strings.
 *
 * @category Rejections
 */
export type RejectReason =
  | "null_payload"
  | "json_parse_error"
  | "root_not_object"
  | "missing_type"
  | "missing_timestamp"
  | "missing_data"
  | "unsupported_event_type"
  | "missing_field"
  | "empty_array"
  | "invalid_data_shape"
  | "unsupported_version"
  | "duplicate_event"
  | "parse_exception"
  | "record_too_large"
  | "session_state_evicted"
  | "event_time_in_future"
  | "sink_write_failed";

/**
 * Where a rejection goes: the DLQ (invalid input) or quarantine (expected rejects).
 *
 * @category Rejections
 */
export type RejectRoute = "dlq" | "quarantine";

/**
 * One row of the master table of rejection codes.
 *
 * @category Rejections
 */
export interface RejectionCode {
  /** Stage that produces it. */
  readonly stage: FailureStage;
  /** Failure class. */
  readonly failureClass: FailureClass;
  /** Reason. */
  readonly reason: RejectReason;
  /** Destination. */
  readonly route: RejectRoute;
}

const code = (
  stage: FailureStage,
  failureClass: FailureClass,
  reason: RejectReason,
  route: RejectRoute,
): RejectionCode => ({ stage, failureClass, reason, route });

/**
 * Every rejection code, keyed by reason (`ingest-and-storage.md` §2.10).
 *
 * @category Rejections
 */
export const REJECTION_CODES: { readonly [R in RejectReason]: RejectionCode } = {
  null_payload: code("DESERIALIZATION", "DESERIALIZATION_FAILED", "null_payload", "dlq"),
  json_parse_error: code("DESERIALIZATION", "DESERIALIZATION_FAILED", "json_parse_error", "dlq"),
  root_not_object: code("SCHEMA_VALIDATION", "SCHEMA_INVALID", "root_not_object", "dlq"),
  missing_type: code("SCHEMA_VALIDATION", "SCHEMA_INVALID", "missing_type", "dlq"),
  missing_timestamp: code("SCHEMA_VALIDATION", "SCHEMA_INVALID", "missing_timestamp", "dlq"),
  missing_data: code("SCHEMA_VALIDATION", "SCHEMA_INVALID", "missing_data", "dlq"),
  unsupported_event_type: code(
    "SCHEMA_VALIDATION",
    "SCHEMA_INVALID",
    "unsupported_event_type",
    "dlq",
  ),
  missing_field: code("SCHEMA_VALIDATION", "SCHEMA_INVALID", "missing_field", "dlq"),
  empty_array: code("SCHEMA_VALIDATION", "SCHEMA_INVALID", "empty_array", "dlq"),
  invalid_data_shape: code("SCHEMA_VALIDATION", "SCHEMA_INVALID", "invalid_data_shape", "dlq"),
  unsupported_version: code(
    "SCHEMA_VALIDATION",
    "UNSUPPORTED_VERSION",
    "unsupported_version",
    "dlq",
  ),
  duplicate_event: code("DEDUP", "DUPLICATE", "duplicate_event", "quarantine"),
  parse_exception: code("PARSE", "PARSING_FAILED", "parse_exception", "dlq"),
  record_too_large: code("SINK_GUARD", "RECORD_TOO_LARGE", "record_too_large", "dlq"),
  session_state_evicted: code("LIFECYCLE", "STATE_EVICTED", "session_state_evicted", "quarantine"),
  event_time_in_future: code(
    "EVENT_TIME",
    "EVENT_TIME_IMPLAUSIBLE",
    "event_time_in_future",
    "quarantine",
  ),
  sink_write_failed: code("CLICKHOUSE_SINK", "DLQ_SINK_WRITE", "sink_write_failed", "dlq"),
};

/**
 * Every reason, in the order of the master table.
 *
 * @category Rejections
 */
export const REJECT_REASONS = Object.keys(REJECTION_CODES) as readonly RejectReason[];
