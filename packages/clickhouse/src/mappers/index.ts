/**
 * Row mappers from engine rows to ClickHouse `JSONEachRow` objects.
 *
 * @module
 */
export { DATETIME64_MAX_MS, DATETIME64_MIN_MS, formatDate, formatDateTime64 } from "./datetime.js";
export { insertColumns, serializeRow, toClickHouseRow, toStorableRow } from "./rows.js";
export type { ClickHouseRow, ClickHouseValue, EngineRowByTable, TableRow } from "./rows.js";
