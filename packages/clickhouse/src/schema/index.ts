/**
 * The typed schema catalogue, the DDL generated from it, and the ClickHouse-side views.
 *
 * @module
 */
export type {
  ColumnDef,
  MaterializedViewDef,
  ProjectionDef,
  SkipIndexDef,
  TableDef,
  TableEngine,
  TableKind,
  TableWriter,
  TtlDef,
  ViewDef,
} from "./types.js";
export { columnType, isInsertColumn, isRequiredColumn } from "./types.js";
export { TABLES, TABLE_NAMES, getTable, isTableName } from "./columns.js";
export type { TableName } from "./columns.js";
export { MATERIALIZED_VIEWS, VIEWS, sqlJtrim, sqlParseWei } from "./views.js";
export { DEFAULT_DATABASE, SCHEMA_VERSION, generateDdl, renderDdl, schemaChecksum } from "./ddl.js";
export type { DdlOptions } from "./ddl.js";
