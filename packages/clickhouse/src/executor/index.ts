/**
 * Executors (remote HTTP and embedded chDB), target parsing, environment loading, typed adapter
 * errors and retry classification.
 *
 * @module
 */
export {
  CLICKHOUSE_ADAPTER_ERROR_CODES,
  ClickHouseAdapterError,
  RETRYABLE_CLICKHOUSE_ERROR_CODES,
  RETRYABLE_NETWORK_ERROR_CODES,
  clickHouseErrorCodeOf,
  isRetryableClickHouseError,
} from "./errors.js";
export type {
  ClickHouseAdapterErrorCode,
  ClickHouseAdapterErrorDetails,
  ClickHouseAdapterErrorOptions,
} from "./errors.js";
export {
  isPlainIdentifier,
  qualifyTableName,
  quoteIdentifier,
  quoteString,
  renderInsertSettings,
} from "./executor.js";
export type {
  ClickHouseExecutor,
  ClickHouseInsertOptions,
  ClickHouseQueryParams,
  ClickHouseSettingValue,
} from "./executor.js";
export { createRemoteExecutor } from "./remote.js";
export type { RemoteExecutorOptions } from "./remote.js";
export { EMBEDDED_IN_MEMORY_PATH, createEmbeddedExecutor } from "./embedded.js";
export type { EmbeddedExecutorOptions } from "./embedded.js";
export type { EnvSource } from "./env.js";
export {
  DEFAULT_CLICKHOUSE_DATABASE,
  DEFAULT_CLICKHOUSE_URL,
  DEFAULT_CLICKHOUSE_USER,
  clickHouseTargetFromEnv,
  createExecutor,
  databaseFromUrl,
  executorFromEnv,
  parseClickHouseTarget,
} from "./target.js";
export type {
  ClickHouseEnvExecutor,
  ClickHouseEnvTarget,
  ClickHouseTarget,
  ClickHouseTargetOptions,
  CreateExecutorOptions,
  EmbeddedClickHouseTarget,
  RemoteClickHouseTarget,
} from "./target.js";
