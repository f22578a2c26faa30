/**
 * The batched ClickHouse sink: limits, retry policy, deduplication tokens and environment loading.
 *
 * @module
 */
export {
  DEFAULT_DLQ_TABLE,
  DEFAULT_QUARANTINE_TABLE,
  contentDeduplicationToken,
  createClickHouseSink,
  sourceRangeDeduplicationToken,
} from "./sink.js";
export type {
  ClickHouseSink,
  ClickHouseSinkOptions,
  ClickHouseSinkStats,
  DeduplicationTokenStrategy,
  SinkBatchEvent,
  SinkBatchInfo,
  SinkDropEvent,
  SinkInsertedEvent,
  SinkRetryEvent,
  SinkRowOrigin,
  SinkTableStats,
} from "./sink.js";
export {
  DEFAULT_RETRY_POLICY,
  DEFAULT_SINK_LIMITS,
  clickHouseSinkLimitsFromEnv,
  resolveRetryPolicy,
  resolveSinkLimits,
  retryDelayMs,
} from "./options.js";
export type {
  ClickHouseRetryPolicy,
  ClickHouseSinkLimits,
  ClickHouseSinkLimitsFromEnv,
} from "./options.js";
