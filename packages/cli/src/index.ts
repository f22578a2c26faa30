/**
 * `@livepeer-analytics/cli`: the `lpa` command. The programmatic entry point runs the same
 * commands with injectable I/O.
 *
 * @packageDocumentation
 */
export { run, processIo, HELP, COMMAND_HELP } from "./main.js";
export type { CliIo } from "./main.js";
export { validateCommand, renderReport, VALIDATE_HELP } from "./commands/validate.js";
export type { ValidateReport } from "./commands/validate.js";
export { replayCommand, REPLAY_HELP } from "./commands/replay.js";
export { loadCommand, LOAD_HELP } from "./commands/load.js";
export { renderReplaySummary, percentile, REPORT_SCHEMA_VERSION } from "./summary.js";
export type {
  AssertionLine,
  ClickHouseReplaySummary,
  EventCounts,
  InputSummary,
  Percentiles,
  ReplaySummary,
} from "./summary.js";
export { queryCommand, ddlCommand, QUERY_HELP, DDL_HELP } from "./commands/query.js";
export { renderRows } from "./table.js";
export {
  ClickHouseOutput,
  DEFAULT_CLICKHOUSE_TARGET,
  DEFAULT_EMBEDDED_PATH,
  DEFAULT_REPLAY_BATCH_ROWS,
  resolveTarget,
} from "./clickhouse.js";
export type { ClickHouseOutputStats } from "./clickhouse.js";
export type { RowConsumer } from "./output.js";
export {
  startSidecar,
  SIDECAR_PROTOCOL,
  DEFAULT_MAX_BATCH_RECORDS,
  DEFAULT_MAX_BODY_BYTES,
  DEFAULT_REQUEST_TIMEOUT_MS,
} from "./sidecar/server.js";
export type { Sidecar, SidecarLimits, SidecarOptions } from "./sidecar/server.js";
export { sidecarCommand, SIDECAR_HELP } from "./sidecar/command.js";
export { PROTOCOL_SCHEMA, validateJson } from "./sidecar/schema.js";
export type { JsonSchema, SchemaError } from "./sidecar/schema.js";
