/**
 * `@livepeer-analytics/clickhouse`: the ClickHouse adapter of `@livepeer-analytics/core`.
 *
 * @packageDocumentation
 */
export {};
export * from "./schema/index.js";
export * from "./mappers/index.js";
export * from "./executor/index.js";
export * from "./sink/index.js";
export * from "./views/index.js";
export * from "./assertions/index.js";
