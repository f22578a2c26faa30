/**
 * Typed adapter errors and the retryable/fatal classification of ClickHouse and network failures.
 *
 * @module
 */

/**
 * Every code a {@link ClickHouseAdapterError} can carry (a closed list).
 *
 * | code | meaning |
 * |---|---|
 * | `LPA_CH_EMBEDDED_UNAVAILABLE` | the optional peer dependency `chdb` is not installed or cannot be loaded |
 * | `LPA_CH_EMBEDDED_OPEN_FAILED` | `chdb` loaded but the embedded engine could not be opened (e.g. another data directory is already open in this process) |
 * | `LPA_CH_INVALID_TARGET` | a target string, URL or environment value cannot be used |
 * | `LPA_CH_INVALID_OPTIONS` | invalid executor or sink options (limits, retry policy, setting names) |
 * | `LPA_CH_INSERT_FAILED` | a batch insert failed with a fatal error or exhausted its retries |
 * | `LPA_CH_SERIALIZE_FAILED` | the sink's `toRow` or `serialize` hook threw |
 * | `LPA_CH_RECORD_TOO_LARGE` | an oversized row has an originating event but the sink has no `onReject` callback |
 * | `LPA_CH_SINK_CLOSED` | a row was written after `close()` |
 *
 * @category Errors
 */
export const CLICKHOUSE_ADAPTER_ERROR_CODES = [
  "LPA_CH_EMBEDDED_UNAVAILABLE",
  "LPA_CH_EMBEDDED_OPEN_FAILED",
  "LPA_CH_INVALID_TARGET",
  "LPA_CH_INVALID_OPTIONS",
  "LPA_CH_INSERT_FAILED",
  "LPA_CH_SERIALIZE_FAILED",
  "LPA_CH_RECORD_TOO_LARGE",
  "LPA_CH_SINK_CLOSED",
] as const;

/**
 * A {@link ClickHouseAdapterError} code.
 *
 * @category Errors
 */
export type ClickHouseAdapterErrorCode = (typeof CLICKHOUSE_ADAPTER_ERROR_CODES)[number];

/**
 * Structured context attached to a {@link ClickHouseAdapterError} (table, row count, attempts, …).
 *
 * @category Errors
 */
export type ClickHouseAdapterErrorDetails = Readonly<
  Record<string, string | number | boolean | null>
>;

/**
 * Options of the {@link ClickHouseAdapterError} constructor.
 *
 * @category Errors
 */
export interface ClickHouseAdapterErrorOptions {
  /** The underlying error (a `ClickHouseError`, a Node system error, …); kept as `cause`. */
  readonly cause?: unknown;
  /** Structured context. */
  readonly details?: ClickHouseAdapterErrorDetails;
}

const BRAND = Symbol.for("@livepeer-analytics/clickhouse/ClickHouseAdapterError");

/**
 * The error type thrown (or rejected) by the ClickHouse adapter. `code` is one of a closed list of
 * `LPA_CH_*` strings, `cause` keeps the underlying error, and `code`, `message`, `details` and
 * `cause` are enumerable so that structured loggers and `JSON.stringify` show them.
 *
 * @category Errors
 * @example
 * try {
 *   await sink.flush();
 * } catch (err) {
 *   if (ClickHouseAdapterError.isClickHouseAdapterError(err) && err.code === "LPA_CH_INSERT_FAILED") {
 *     // stop consuming; do not commit offsets
 *   }
 * }
 */
export class ClickHouseAdapterError extends Error {
  /** Always `"ClickHouseAdapterError"`. */
  override readonly name: string = "ClickHouseAdapterError";
  /** Stable machine-readable code. */
  readonly code: ClickHouseAdapterErrorCode;
  /** Structured context (empty when there is none). */
  readonly details: ClickHouseAdapterErrorDetails;

  /**
   * @param code - One of {@link CLICKHOUSE_ADAPTER_ERROR_CODES}.
   * @param message - Human-readable description.
   * @param options - `cause` and `details`.
   */
  constructor(
    code: ClickHouseAdapterErrorCode,
    message: string,
    options: ClickHouseAdapterErrorOptions = {},
  ) {
    super(message, "cause" in options ? { cause: options.cause } : undefined);
    this.code = code;
    this.details = options.details ?? {};
    Object.defineProperty(this, "message", {
      value: message,
      enumerable: true,
      writable: true,
      configurable: true,
    });
    if ("cause" in options) {
      Object.defineProperty(this, "cause", {
        value: options.cause,
        enumerable: true,
        writable: true,
        configurable: true,
      });
    }
    Object.defineProperty(this, BRAND, { value: true, enumerable: false });
  }

  /**
   * Type guard that also recognises instances created by another copy of this package (it checks
   * a registered symbol brand rather than the prototype chain).
   *
   * @param value - Anything caught.
   */
  static isClickHouseAdapterError(value: unknown): value is ClickHouseAdapterError {
    return (
      typeof value === "object" &&
      value !== null &&
      (value as Record<symbol, unknown>)[BRAND] === true
    );
  }
}

/**
 * ClickHouse server error codes treated as **transient**: the same request may succeed when it is
 * sent again after a back-off. Keys are the numeric codes as the strings `ClickHouseError.code`
 * carries; values are the server's names (checked against `errorCodeToName()` of ClickHouse 26.7).
 *
 * | code | name | why retrying helps |
 * |---|---|---|
 * | 159 | `TIMEOUT_EXCEEDED` | the server hit `max_execution_time`, usually under load |
 * | 202 | `TOO_MANY_SIMULTANEOUS_QUERIES` | concurrency limit; clears as other queries finish |
 * | 203 | `NO_FREE_CONNECTION` | server-side connection pool exhausted |
 * | 209 | `SOCKET_TIMEOUT` | network timeout inside the server (e.g. to a replica) |
 * | 210 | `NETWORK_ERROR` | network failure inside the server |
 * | 225 | `NO_ZOOKEEPER` | replicated table while Keeper is unreachable |
 * | 241 | `MEMORY_LIMIT_EXCEEDED` | usually the server-wide limit, shared with concurrent queries (bounded retries still surface a per-query limit) |
 * | 242 | `TABLE_IS_READ_ONLY` | a replica lost its Keeper session and is temporarily read-only |
 * | 252 | `TOO_MANY_PARTS` | inserts outpace merges; back-off is the documented remedy |
 * | 285 | `TOO_FEW_LIVE_REPLICAS` | quorum insert while replicas are down |
 * | 286 | `UNSATISFIED_QUORUM_FOR_PREVIOUS_WRITE` | the previous quorum write is still settling |
 * | 319 | `UNKNOWN_STATUS_OF_INSERT` | the insert may or may not have landed; resending with the same `insert_deduplication_token` is the safe answer |
 * | 425 | `SYSTEM_ERROR` | an OS call failed (file descriptors, `EAGAIN`, …) |
 * | 439 | `CANNOT_SCHEDULE_TASK` | thread pool exhausted |
 * | 473 | `DEADLOCK_AVOIDED` | lock wait timed out (e.g. insert racing a DDL) |
 * | 733 | `TABLE_IS_BEING_RESTARTED` | table restart in progress |
 * | 762 | `HTTP_CONNECTION_LIMIT_REACHED` | HTTP connection limit of the server |
 * | 999 | `KEEPER_EXCEPTION` | Keeper session expired or connection lost |
 * | 1000 | `POCO_EXCEPTION` | network-level failure inside the server (Poco library) |
 *
 * Everything else is **fatal**, deliberately including `164 READONLY` (the user or profile is
 * read-only: a configuration problem), `774 TABLE_IS_PERMANENTLY_READ_ONLY`, `394
 * QUERY_WAS_CANCELLED` (an operator's `KILL QUERY` must surface), parse, type, schema and
 * authentication errors, and unknown codes.
 *
 * @category Errors
 */
export const RETRYABLE_CLICKHOUSE_ERROR_CODES: Readonly<Record<string, string>> = Object.freeze({
  "159": "TIMEOUT_EXCEEDED",
  "202": "TOO_MANY_SIMULTANEOUS_QUERIES",
  "203": "NO_FREE_CONNECTION",
  "209": "SOCKET_TIMEOUT",
  "210": "NETWORK_ERROR",
  "225": "NO_ZOOKEEPER",
  "241": "MEMORY_LIMIT_EXCEEDED",
  "242": "TABLE_IS_READ_ONLY",
  "252": "TOO_MANY_PARTS",
  "285": "TOO_FEW_LIVE_REPLICAS",
  "286": "UNSATISFIED_QUORUM_FOR_PREVIOUS_WRITE",
  "319": "UNKNOWN_STATUS_OF_INSERT",
  "425": "SYSTEM_ERROR",
  "439": "CANNOT_SCHEDULE_TASK",
  "473": "DEADLOCK_AVOIDED",
  "733": "TABLE_IS_BEING_RESTARTED",
  "762": "HTTP_CONNECTION_LIMIT_REACHED",
  "999": "KEEPER_EXCEPTION",
  "1000": "POCO_EXCEPTION",
});

/**
 * Node.js system error codes (`err.code`) of transient network failures between the client and
 * the server: connection reset (`socket hang up` carries `ECONNRESET`), refused (server
 * restarting), timed out, broken pipe, unreachable host or network, temporary DNS failure.
 * `ENOTFOUND` is not included: an unknown host name is a configuration error.
 *
 * @category Errors
 */
export const RETRYABLE_NETWORK_ERROR_CODES: readonly string[] = Object.freeze([
  "ECONNRESET",
  "ECONNREFUSED",
  "ECONNABORTED",
  "ETIMEDOUT",
  "EPIPE",
  "EHOSTUNREACH",
  "ENETUNREACH",
  "ENETDOWN",
  "EAI_AGAIN",
]);

/**
 * Messages of errors that carry no code but are transient: Node's `socket hang up`, and
 * `@clickhouse/client`'s request timeout (`Timeout error.`), after which the status of an insert is
 * unknown.
 */
const RETRYABLE_MESSAGES: readonly string[] = ["socket hang up", "Timeout error."];

const NUMERIC_CODE = /^\d+$/;
const MAX_CAUSE_DEPTH = 8;

/**
 * The ClickHouse server error code of `err` as a numeric string, or `null` when `err` is not a
 * server error. Recognises `ClickHouseError` structurally (an `Error` whose `code` is a numeric
 * string), because `@clickhouse/client` and `chdb` each bundle their own copy of the class, so
 * `instanceof` is not reliable across them.
 *
 * @category Errors
 */
export function clickHouseErrorCodeOf(err: unknown): string | null {
  if (!(err instanceof Error)) return null;
  const code = (err as { code?: unknown }).code;
  return typeof code === "string" && NUMERIC_CODE.test(code) ? code : null;
}

/**
 * Classifies a failure as retryable (transient) or fatal.
 *
 * - a ClickHouse server error (`ClickHouseError`, numeric `code`): retryable iff its code is in
 *   {@link RETRYABLE_CLICKHOUSE_ERROR_CODES};
 * - a Node system error: retryable iff its `code` is in {@link RETRYABLE_NETWORK_ERROR_CODES};
 * - an error without a code whose message is `socket hang up` or `Timeout error.`: retryable;
 * - a {@link ClickHouseAdapterError}: never (the adapter already retried or the failure is a usage
 *   error);
 * - otherwise the `cause` chain is examined; anything unrecognised is fatal.
 *
 * @category Errors
 * @example
 * isRetryableClickHouseError(new ClickHouseError({ message: "…", code: "252", type: "TOO_MANY_PARTS" })) // true
 * isRetryableClickHouseError(new ClickHouseError({ message: "…", code: "60", type: "UNKNOWN_TABLE" })) // false
 */
export function isRetryableClickHouseError(err: unknown): boolean {
  let current: unknown = err;
  for (let depth = 0; depth < MAX_CAUSE_DEPTH; depth++) {
    if (!(current instanceof Error)) return false;
    if (ClickHouseAdapterError.isClickHouseAdapterError(current)) return false;
    const chCode = clickHouseErrorCodeOf(current);
    if (chCode !== null)
      return Object.prototype.hasOwnProperty.call(RETRYABLE_CLICKHOUSE_ERROR_CODES, chCode);
    const code = (current as { code?: unknown }).code;
    if (typeof code === "string" && code !== "")
      return RETRYABLE_NETWORK_ERROR_CODES.includes(code);
    if (RETRYABLE_MESSAGES.includes(current.message)) return true;
    current = current.cause;
  }
  return false;
}
