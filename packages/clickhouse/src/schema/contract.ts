/**
 * The row contract between the engine row types of `@livepeer-analytics/core` and the catalogue
 * (issue 10, "one row contract"). Each output row type is defined once, in core; the mapper
 * table {@link EngineRowByTable} says which table receives which row type, and
 * {@link defineTable} type-checks every table the SDK writes against it:
 *
 * - every field of the row type has exactly one column the mapper sends (a {@link SentColumn});
 * - every column the mapper sends names a field of the row type;
 * - the other columns are storage-only ({@link StorageColumn}): `MATERIALIZED` (computed by
 *   ClickHouse, e.g. `event_date`) or omitted on insert with a `DEFAULT` (server-filled, e.g.
 *   `ingestion_timestamp`); the expression is the reason they have no row field, and they may not
 *   share the name of one.
 *
 * A renamed or missing column is therefore a compile error (`contract.test.ts` proves it), not a
 * check on the generated DDL. Tables the SDK does not write (the Kafka Connect archive, the
 * materialized-view targets and dimensions, `lpa_schema_version`) have no row type, and a table
 * with a row type must be written by the SDK.
 *
 * Internal to the catalogue: not exported by the package.
 *
 * @module
 */
import type { EngineRowByTable } from "../mappers/rows.js";
import type { TableName } from "./columns.js";
import type { ColumnDef, SkipIndexDef, TableDef, TableWriter } from "./types.js";

/**
 * A column the row mapper sends: neither `MATERIALIZED` nor omitted on insert. Its name is a field
 * of the table's row type.
 */
export type SentColumn<Name extends string = string> = ColumnDef<Name> & {
  readonly materialized?: never;
  readonly omitOnInsert?: never;
};

/**
 * A storage-only column: computed by ClickHouse (`MATERIALIZED`), or filled by its `DEFAULT` and
 * never sent (`omitOnInsert`). It has no field on the row type.
 */
export type StorageColumn<Name extends string = string> = ColumnDef<Name> &
  (
    | { readonly materialized: string; readonly omitOnInsert?: never }
    | { readonly materialized?: never; readonly omitOnInsert: true; readonly default: string }
  );

/** A column of the catalogue: sent by the mapper or storage-only. */
export type CatalogueColumn<Name extends string = string> = SentColumn<Name> | StorageColumn<Name>;

/** Names of the sent columns of a column union. */
type SentNames<C> = C extends StorageColumn ? never : C extends ColumnDef<infer N> ? N : never;

/** Names of the storage-only columns of a column union. */
type StorageNames<C> = C extends StorageColumn<infer N> ? N : never;

/** `unknown` when `V` is `never`, else an object whose required property `K` shows `V`. */
type Require<K extends string, V> = [V] extends [never] ? unknown : { readonly [P in K]: V };

/**
 * `unknown` when the columns `C` satisfy the contract for `Row`; otherwise an object type whose
 * required properties name what is wrong, so that a `readonly C[]` is not assignable to it and the
 * compiler error lists the offending names:
 *
 * - `rowFieldsWithoutColumn`: fields of `Row` no sent column names;
 * - `columnsWithoutRowField`: sent columns that name no field of `Row`;
 * - `storageColumnsNamingRowFields`: storage-only columns that share the name of a field.
 */
export type ColumnContract<Row, C extends ColumnDef> = Require<
  "rowFieldsWithoutColumn",
  Exclude<keyof Row & string, SentNames<C>>
> &
  Require<"columnsWithoutRowField", Exclude<SentNames<C>, keyof Row>> &
  Require<"storageColumnsNamingRowFields", Extract<StorageNames<C>, keyof Row>>;

/** The engine row type of a table, `never` for a table the SDK does not write. */
type RowOf<Name extends TableName> = Name extends keyof EngineRowByTable
  ? EngineRowByTable[Name]
  : never;

/** The writers that insert engine rows. */
type SdkWriter = Extract<TableWriter, "sdk-core" | "sdk-lifecycle">;

/**
 * The columns of a table: checked against its row type when it has one (`unknown`, i.e. no
 * constraint, otherwise).
 */
type ColumnsOf<Name extends TableName, C extends ColumnDef> = readonly C[] &
  ([RowOf<Name>] extends [never] ? unknown : ColumnContract<RowOf<Name>, C>);

/**
 * A {@link TableDef} as written in the catalogue: the columns are checked against the row type of
 * the table (when it has one), the writer must be the SDK exactly when it has one, indexes may be
 * omitted, and a versioned table gives its `identity` (which is also its grain), every other
 * table its `grain`.
 */
export type TableSpec<Name extends TableName, C extends ColumnDef> = Omit<
  TableDef<Name>,
  "writer" | "columns" | "indexes" | "identity" | "grain"
> & {
  readonly writer: [RowOf<Name>] extends [never] ? Exclude<TableWriter, SdkWriter> : SdkWriter;
  readonly columns: ColumnsOf<Name, C>;
  readonly indexes?: readonly SkipIndexDef[];
} & (
    | { readonly identity: readonly string[]; readonly grain?: never }
    | { readonly grain: readonly string[]; readonly identity?: never }
  );

/**
 * A table of the catalogue, its columns type-checked against the table's engine row type (see the
 * module documentation).
 */
export function defineTable<Name extends TableName, C extends CatalogueColumn>(
  spec: TableSpec<Name, C>,
): TableDef<Name> {
  const { indexes, identity, grain, ...rest } = spec;
  return {
    ...rest,
    indexes: indexes ?? [],
    identity: identity ?? null,
    grain: identity ?? grain ?? [],
  };
}
