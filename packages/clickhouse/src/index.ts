/**
 * `@livepeer-analytics/clickhouse`: the ClickHouse adapter of `@livepeer-analytics/core`.
 *
 * @packageDocumentation
 */
export {};
