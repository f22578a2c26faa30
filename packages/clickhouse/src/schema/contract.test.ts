/**
 * The row contract is checked by the compiler: this file is type-checked by `npx tsc -b`
 * (`tsconfig.test.json`), and every `@ts-expect-error` below must be an error there, so a contract
 * that stopped rejecting a missing, extra, renamed or misdeclared column fails the build. The
 * runtime tests only confirm that the accepted definitions build the expected tables.
 */
import { describe, expect, test } from "vitest";
import {
  defineTable,
  type ColumnContract,
  type SentColumn,
  type StorageColumn,
} from "./contract.js";
import { TABLES, getTable } from "./columns.js";
import { isInsertColumn } from "./types.js";
import { insertColumns } from "../mappers/rows.js";
import { SPEC_ROWS } from "../../test/schema-support.js";

const sent = <N extends string>(name: N): SentColumn<N> => ({
  name,
  type: "String",
  nullable: false,
  doc: "",
});
const computed = <N extends string>(name: N): StorageColumn<N> => ({
  name,
  type: "Date",
  nullable: false,
  doc: "",
  materialized: "toDate(event_timestamp)",
});
const serverFilled = <N extends string>(name: N): StorageColumn<N> => ({
  name,
  type: "DateTime64(3, 'UTC')",
  nullable: false,
  doc: "",
  default: "now64(3)",
  omitOnInsert: true,
});

/** Everything of a `raw_discovery_results` definition but its columns. */
const DISCOVERY = {
  name: "raw_discovery_results",
  kind: "raw",
  writer: "sdk-core",
  doc: "",
  engine: { type: "ReplacingMergeTree", version: null },
  partitionBy: null,
  orderBy: ["event_timestamp"],
  ttl: null,
  grain: ["event_timestamp"],
} as const;

/** The columns of `DiscoveryResultRow`, one per field, in the catalogue's order. */
const discoveryColumns = [
  sent("event_timestamp"),
  computed("event_date"),
  sent("orchestrator_address"),
  sent("orchestrator_url"),
  sent("latency_ms"),
  sent("raw_json"),
  serverFilled("ingestion_timestamp"),
];

describe("defineTable: one column per row field (compile-time contract)", () => {
  test("a table with exactly one sent column per field of its row type is accepted", () => {
    const t = defineTable({ ...DISCOVERY, columns: discoveryColumns });
    expect(t.columns.filter(isInsertColumn).map((c) => c.name)).toEqual([
      "event_timestamp",
      "orchestrator_address",
      "orchestrator_url",
      "latency_ms",
      "raw_json",
    ]);
    expect(t.indexes).toEqual([]);
    expect(t.identity).toBeNull();
  });

  test("a missing column, an extra column and a renamed column are type errors", () => {
    const missing = discoveryColumns.filter((c) => c.name !== "latency_ms");
    // @ts-expect-error rowFieldsWithoutColumn: "latency_ms" (DiscoveryResultRow.latency_ms has no column)
    defineTable({ ...DISCOVERY, columns: [...missing] });
    // @ts-expect-error columnsWithoutRowField: "latency_us" (the column names no row field)
    defineTable({ ...DISCOVERY, columns: [...discoveryColumns, sent("latency_us")] });
    // @ts-expect-error both: "latency_ms" has no column and "latency" names no row field
    defineTable({ ...DISCOVERY, columns: [...missing, sent("latency")] });
    expect(missing).toHaveLength(discoveryColumns.length - 1);
  });

  test("storage-only columns are MATERIALIZED or server-filled, and never stand for a row field", () => {
    const withoutLatency = discoveryColumns.filter((c) => c.name !== "latency_ms");
    // @ts-expect-error storageColumnsNamingRowFields and rowFieldsWithoutColumn: "latency_ms"
    defineTable({ ...DISCOVERY, columns: [...withoutLatency, computed("latency_ms")] });
    // @ts-expect-error a column omitted on insert needs a DEFAULT to be storable
    const noDefault: StorageColumn<"x"> = {
      name: "x",
      type: "String",
      nullable: false,
      doc: "",
      omitOnInsert: true,
    };
    // @ts-expect-error a sent column has no MATERIALIZED expression
    const sentComputed: SentColumn<"y"> = { ...sent("y"), materialized: "1" };
    expect([noDefault.name, sentComputed.name]).toEqual(["x", "y"]);
  });

  test("the writer is the SDK exactly for the tables that have an engine row type", () => {
    // @ts-expect-error raw_discovery_results has a row type: its writer is the SDK
    defineTable({ ...DISCOVERY, writer: "clickhouse-mv", columns: discoveryColumns });
    defineTable({
      ...DISCOVERY,
      name: "fact_payments",
      // @ts-expect-error fact_payments has no row type: the SDK does not write it
      writer: "sdk-core",
      columns: [sent("payment_ts")],
    });
    expect(getTable("fact_payments").writer).toBe("clickhouse-mv");
  });

  test("ColumnContract names what is wrong", () => {
    type Row = { readonly a: string; readonly b: number };
    const ok: ColumnContract<Row, SentColumn<"a" | "b"> | StorageColumn<"d">> = {};
    const missing: ColumnContract<Row, SentColumn<"a">> = { rowFieldsWithoutColumn: "b" };
    const extra: ColumnContract<Row, SentColumn<"a" | "b" | "c">> = {
      columnsWithoutRowField: "c",
    };
    const shadow: ColumnContract<Row, SentColumn<"a"> | StorageColumn<"b">> = {
      rowFieldsWithoutColumn: "b",
      storageColumnsNamingRowFields: "b",
    };
    expect([ok, missing, extra, shadow]).toHaveLength(4);
  });
});

describe("the catalogue under the contract", () => {
  test("every SDK-written table sends exactly the fields of its §9.2 sample row", () => {
    // The sample rows are typed by EngineRowByTable with every field present, so this is the
    // runtime face of the compile-time contract (storage-only columns are never sent).
    for (const [table, row] of Object.entries(SPEC_ROWS)) {
      const t = getTable(table as keyof typeof SPEC_ROWS);
      expect(t.writer === "sdk-core" || t.writer === "sdk-lifecycle", table).toBe(true);
      expect([...insertColumns(t.name)].sort(), table).toEqual(Object.keys(row).sort());
    }
    const sdkTables = TABLES.filter((t) => t.writer === "sdk-core" || t.writer === "sdk-lifecycle");
    expect(sdkTables.map((t) => t.name).sort()).toEqual(Object.keys(SPEC_ROWS).sort());
  });

  test("column names are unique within each table", () => {
    for (const t of TABLES) {
      expect(new Set(t.columns.map((c) => c.name)).size, t.name).toBe(t.columns.length);
    }
  });
});
