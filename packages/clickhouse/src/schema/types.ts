/**
 * Shapes of the typed schema catalogue: columns, tables, engines, skip indexes, materialized views
 * and plain views (`ingest-and-storage.md` §3).
 *
 * @module
 */

/**
 * What a table holds (`spec/README.md`, "Output tables"):
 *
 * - `raw`: typed per-family rows of the SDK parsers, and the Kafka Connect archive;
 * - `rejection`: DLQ and quarantine envelopes;
 * - `fact`: versioned lifecycle facts;
 * - `diagnostic`: versioned diagnostic facts (edge coverage);
 * - `mv_target`: rows produced inside ClickHouse by a materialized view from a raw table;
 * - `dimension`: capability dimensions filled by materialized views;
 * - `metadata`: bookkeeping of the DDL itself (`lpa_schema_version`).
 *
 * @category Schema
 */
export type TableKind =
  "raw" | "rejection" | "fact" | "diagnostic" | "mv_target" | "dimension" | "metadata";

/**
 * Who inserts rows into a table (`ingest-and-storage.md` §3.1).
 *
 * - `sdk-core`: stateless SDK parsers and the quality gate;
 * - `sdk-lifecycle`: stateful SDK lifecycle operators;
 * - `clickhouse-mv`: a materialized view inside ClickHouse;
 * - `kafka-connect`: the Kafka Connect archive sink, outside the SDK;
 * - `sdk-ddl`: the DDL bootstrap itself.
 *
 * @category Schema
 */
export type TableWriter =
  "sdk-core" | "sdk-lifecycle" | "clickhouse-mv" | "kafka-connect" | "sdk-ddl";

/**
 * One column.
 *
 * @typeParam Name - The column name as a literal type: the catalogue checks the names of the
 * columns of every SDK-written table against the fields of its engine row type (the row contract,
 * see `EngineRowByTable`).
 * @category Schema
 */
export interface ColumnDef<Name extends string = string> {
  /** Column name (also the JSONEachRow key). */
  readonly name: Name;
  /**
   * ClickHouse type **without** the `Nullable(...)` wrapper, e.g. `String`,
   * `LowCardinality(String)`, `DateTime64(3, 'UTC')`, `UInt8`. See {@link columnType}.
   */
  readonly type: string;
  /** `true` when the column is `Nullable(type)`. */
  readonly nullable: boolean;
  /** `DEFAULT` expression, when the column has one. */
  readonly default?: string;
  /** `MATERIALIZED` expression, when the column is computed by ClickHouse (never sent). */
  readonly materialized?: string;
  /**
   * `true` when the row mapper never sends the column although it is not `MATERIALIZED`
   * (`ingestion_timestamp` of every table except DLQ/quarantine, `ingest-and-storage.md` §3.0).
   */
  readonly omitOnInsert?: boolean;
  /** Meaning, units and nullability. */
  readonly doc: string;
}

/**
 * Table engine.
 *
 * @category Schema
 */
export type TableEngine =
  | { readonly type: "MergeTree" }
  | {
      readonly type: "ReplacingMergeTree";
      /** Version column, or `null` for "last inserted wins". */
      readonly version: string | null;
    }
  | { readonly type: "AggregatingMergeTree" };

/**
 * A data-skipping index.
 *
 * @category Schema
 */
export interface SkipIndexDef {
  /** Index name. */
  readonly name: string;
  /** Indexed expression. */
  readonly expr: string;
  /** Index type, e.g. `bloom_filter`. */
  readonly type: string;
  /** Granularity in index granules. */
  readonly granularity: number;
}

/**
 * A row TTL: `<expr> + INTERVAL <days> DAY DELETE`.
 *
 * @category Schema
 */
export interface TtlDef {
  /** Date expression the TTL counts from (the partition date). */
  readonly expr: string;
  /** Retention in days. */
  readonly days: number;
}

/**
 * One table of the catalogue.
 *
 * @category Schema
 */
export interface TableDef<Name extends string = string> {
  /** Table name (unqualified). */
  readonly name: Name;
  /** What the table holds. */
  readonly kind: TableKind;
  /** Who inserts its rows. */
  readonly writer: TableWriter;
  /** One-paragraph description (grain, owner section). */
  readonly doc: string;
  /** Columns in DDL order. */
  readonly columns: readonly ColumnDef[];
  /** Engine. */
  readonly engine: TableEngine;
  /** `PARTITION BY` expression, or `null`. */
  readonly partitionBy: string | null;
  /** `ORDER BY` expressions (an empty list renders `tuple()`). */
  readonly orderBy: readonly string[];
  /** Row TTL, or `null`. */
  readonly ttl: TtlDef | null;
  /** Data-skipping indexes. */
  readonly indexes: readonly SkipIndexDef[];
  /**
   * Logical identity of a versioned table (`ingest-and-storage.md` §3.8): readers keep the row
   * with the greatest version per identity. `null` for tables without versions.
   */
  readonly identity: readonly string[] | null;
  /**
   * The grain: SQL expressions over the table's columns that identify one stored row. Two distinct
   * rows (or, for a versioned table, two identities) never share them, and a redelivered row
   * repeats them exactly. It is the {@link TableDef.identity} of a versioned table; for the other
   * tables it is derived from the event the row came from (the hash of the envelope text, the
   * envelope id, the transport coordinates), so that re-inserting the same events converges.
   * Every table is a `ReplacingMergeTree` whose `ORDER BY` contains every grain expression
   * (checked by the catalogue tests), and the `stored_rows_unique_per_grain` and
   * `sort_keys_contain_grain` assertions check the stored data against it.
   */
  readonly grain: readonly string[];
}

/**
 * One output column of a materialized view: the target column and the expression that fills it,
 * written over the source table aliased `src` (qualified references avoid ClickHouse alias
 * shadowing when an output column has the name of a source column).
 *
 * @category Schema
 */
export interface ProjectionDef {
  /** Target column. */
  readonly column: string;
  /** SQL expression over `src`. */
  readonly expr: string;
}

/**
 * A materialized view `CREATE MATERIALIZED VIEW … TO target AS SELECT … FROM source AS src`.
 *
 * @category Schema
 */
export interface MaterializedViewDef {
  /** View name. */
  readonly name: string;
  /** Source table (the insert trigger). */
  readonly source: string;
  /** Target table. */
  readonly target: string;
  /** What the view computes. */
  readonly doc: string;
  /** Output columns in target order; every non-`MATERIALIZED` target column appears once. */
  readonly projections: readonly ProjectionDef[];
}

/**
 * A plain view.
 *
 * @category Schema
 */
export interface ViewDef {
  /** View name. */
  readonly name: string;
  /** What the view returns. */
  readonly doc: string;
  /** Tables and views the query reads (for ordering and documentation). */
  readonly reads: readonly string[];
  /**
   * Renders the `SELECT` body; `qualify(name)` returns the database-qualified name of a table or
   * view.
   */
  readonly query: (qualify: (name: string) => string) => string;
}

/**
 * The full ClickHouse type of a column, `Nullable(...)` applied.
 *
 * @category Schema
 * @example
 * columnType({ name: "gpu_id", type: "String", nullable: true, doc: "" }) // "Nullable(String)"
 */
export function columnType(column: ColumnDef): string {
  return column.nullable ? `Nullable(${column.type})` : column.type;
}

/**
 * `true` when a column has neither a `DEFAULT` nor a `MATERIALIZED` expression, i.e. every mapped
 * row must carry it (the schema-sync contract, `ingest-and-storage.md` §3.0).
 *
 * @category Schema
 */
export function isRequiredColumn(column: ColumnDef): boolean {
  return column.default === undefined && column.materialized === undefined;
}

/**
 * `true` when the row mapper sends the column: not `MATERIALIZED` and not marked
 * {@link ColumnDef.omitOnInsert}.
 *
 * @category Schema
 */
export function isInsertColumn(column: ColumnDef): boolean {
  return column.materialized === undefined && column.omitOnInsert !== true;
}
