/**
 * Row mappers: engine rows (timestamps as epoch-ms numbers) → `JSONEachRow` objects for their
 * ClickHouse table, following the serialization conventions of `ingest-and-storage.md` §3.0 and
 * the out-of-range rule of §3.3 [SDK-DECISION 29].
 *
 * @module
 */
import type { RawRowByTable } from "@livepeer-analytics/core/events";
import type { FactRowByTable } from "@livepeer-analytics/core/lifecycle";
import type { MetricsCallback, RejectionRow } from "@livepeer-analytics/core/quality";
import { getTable, type TableName } from "../schema/columns.js";
import { isInsertColumn, type ColumnDef } from "../schema/types.js";
import { DATETIME64_MAX_MS, DATETIME64_MIN_MS, formatDate, formatDateTime64 } from "./datetime.js";

/**
 * The engine row type each SDK-written table receives: the raw typed rows of the parsers
 * (`RawRowByTable`), the lifecycle facts (`FactRowByTable`) and the rejection rows. Each row type
 * is defined once, in `@livepeer-analytics/core`; the catalogue (`TABLES`) declares exactly
 * one sent column per field of these types, checked by the compiler, and a table is written by the
 * SDK exactly when it is a key of this map.
 *
 * @category Mappers
 */
export interface EngineRowByTable extends RawRowByTable, FactRowByTable {
  /** DLQ envelopes mapped by `toRejectionRow`. */
  raw_streaming_events_dlq: RejectionRow;
  /** Quarantine envelopes mapped by `toRejectionRow`. */
  raw_streaming_events_quarantine: RejectionRow;
}

/**
 * The input row of a table: its engine row type for SDK-written tables, any object otherwise.
 *
 * @category Mappers
 */
export type TableRow<T extends TableName> = T extends keyof EngineRowByTable
  ? EngineRowByTable[T]
  : object;

/**
 * A value of a `JSONEachRow` object.
 *
 * @category Mappers
 */
export type ClickHouseValue = string | number | null;

/**
 * One `JSONEachRow` object: column name → value.
 *
 * @category Mappers
 */
export type ClickHouseRow = Record<string, ClickHouseValue>;

/** Result of encoding one value; `bad` marks a value that did not fit the column type. */
type Encoded = { readonly value: ClickHouseValue; readonly bad: boolean };

type Encoder = (value: unknown) => Encoded;

const FLOAT32_MAX = 3.4028234663852886e38;
const DATE_MAX_MS = 5_662_224_000_000; // 2149-06-06, the last ClickHouse Date
const INTEGER_TYPE = /^(U?)Int(8|16|32|64|128|256)$/;
const DIGITS = /^-?[0-9]+$/;

const ok = (value: ClickHouseValue): Encoded => ({ value, bad: false });
const BAD: Encoded = { value: null, bad: true };
const NULL: Encoded = { value: null, bad: false };

function baseType(type: string): string {
  const m = /^LowCardinality\((.*)\)$/.exec(type);
  return m === null ? type : (m[1] ?? type);
}

function stringEncoder(nullable: boolean): Encoder {
  return (v) => {
    if (v === null || v === undefined) return nullable ? NULL : ok("");
    if (typeof v === "string") return ok(v);
    if (typeof v === "number" || typeof v === "boolean" || typeof v === "bigint")
      return ok(String(v));
    return ok(JSON.stringify(v));
  };
}

function integerEncoder(unsigned: boolean, bits: number): Encoder {
  const min = unsigned ? 0n : -(1n << BigInt(bits - 1));
  const max = (unsigned ? 1n << BigInt(bits) : 1n << BigInt(bits - 1)) - 1n;
  // Exact powers of two as doubles, so that a number at the boundary is classified exactly.
  const minNumber = Number(min);
  const limitNumber = Number(max + 1n);
  const fromBigInt = (b: bigint): Encoded => {
    if (b < min || b > max) return BAD;
    return ok(
      b >= BigInt(Number.MIN_SAFE_INTEGER) && b <= BigInt(Number.MAX_SAFE_INTEGER)
        ? Number(b)
        : b.toString(),
    );
  };
  return (v) => {
    if (v === null || v === undefined) return NULL;
    if (typeof v === "boolean") return ok(v ? 1 : 0);
    if (typeof v === "number") {
      return Number.isInteger(v) && v >= minNumber && v < limitNumber ? ok(v) : BAD;
    }
    if (typeof v === "bigint") return fromBigInt(v);
    if (typeof v === "string" && DIGITS.test(v)) return fromBigInt(BigInt(v));
    return BAD;
  };
}

function floatEncoder(float32: boolean): Encoder {
  return (v) => {
    if (v === null || v === undefined) return NULL;
    if (typeof v === "boolean") return ok(v ? 1 : 0);
    if (typeof v !== "number" || !Number.isFinite(v)) return BAD;
    return float32 && Math.abs(v) > FLOAT32_MAX ? BAD : ok(v);
  };
}

function timeEncoder(min: number, max: number, render: (ms: number) => string): Encoder {
  return (v) => {
    if (v === null || v === undefined) return NULL;
    if (typeof v === "string") return ok(v);
    const ms = typeof v === "bigint" ? Number(v) : v;
    if (typeof ms !== "number" || !Number.isFinite(ms) || ms < min || ms > max) return BAD;
    return ok(render(ms));
  };
}

const passThrough: Encoder = (v) => {
  if (v === null || v === undefined) return NULL;
  if (typeof v === "string" || typeof v === "number") return ok(v);
  if (typeof v === "boolean") return ok(v ? 1 : 0);
  if (typeof v === "bigint") return ok(v.toString());
  return ok(JSON.stringify(v));
};

function encoderFor(column: ColumnDef): Encoder {
  const type = baseType(column.type);
  if (type === "String") return stringEncoder(column.nullable);
  const int = INTEGER_TYPE.exec(type);
  if (int !== null) return integerEncoder(int[1] === "U", Number(int[2]));
  if (type === "Float32") return floatEncoder(true);
  if (type === "Float64") return floatEncoder(false);
  if (type.startsWith("DateTime64")) {
    return timeEncoder(DATETIME64_MIN_MS, DATETIME64_MAX_MS, formatDateTime64);
  }
  if (type === "Date") return timeEncoder(0, DATE_MAX_MS, formatDate);
  return passThrough;
}

interface InsertColumn {
  readonly name: string;
  readonly hasDefault: boolean;
  readonly encode: Encoder;
  /** What an out-of-range value is stored as, in engine terms (see {@link storedFallback}). */
  readonly fallback: string | number | null;
  /** {@link InsertColumn.fallback} encoded for ClickHouse. */
  readonly encodedFallback: ClickHouseValue;
}

const NUMERIC_LITERAL = /^-?[0-9]+(\.[0-9]+)?$/;

/**
 * The value a column stores in place of a value that does not fit it [SDK-DECISION 29, §3.3], in
 * engine terms: NULL for a Nullable column; otherwise the column's `DEFAULT` when it is a numeric
 * literal; otherwise the zero of its type (`""`, `0`, and for times epoch 0 =
 * 1970-01-01 00:00:00.000). Never a clamped value.
 */
function storedFallback(column: ColumnDef): string | number | null {
  if (column.nullable) return null;
  if (column.default !== undefined && NUMERIC_LITERAL.test(column.default))
    return Number(column.default);
  return baseType(column.type) === "String" ? "" : 0;
}

const PLANS = new Map<TableName, readonly InsertColumn[]>();

function plan(table: TableName): readonly InsertColumn[] {
  let p = PLANS.get(table);
  if (p === undefined) {
    p = getTable(table)
      .columns.filter(isInsertColumn)
      .map((c) => {
        const encode = encoderFor(c);
        const fallback = storedFallback(c);
        return {
          name: c.name,
          hasDefault: c.default !== undefined,
          encode,
          fallback,
          encodedFallback: encode(fallback).value,
        };
      });
    PLANS.set(table, p);
  }
  return p;
}

/**
 * The columns the mapper sends for a table, in DDL order: every column except `MATERIALIZED`
 * ones and `ingestion_timestamp` (sent only for the DLQ/quarantine tables).
 *
 * @category Mappers
 */
export function insertColumns(table: TableName): readonly string[] {
  return plan(table).map((c) => c.name);
}

/**
 * Maps an engine row to the `JSONEachRow` object of its table (`ingest-and-storage.md` §3.0):
 *
 * - `DateTime64(3, 'UTC')`: epoch ms → `"yyyy-MM-dd HH:mm:ss.SSS"` (UTC); strings pass through;
 * - non-Nullable `String`: `null`/`undefined` → `""`; Nullable columns: `null`;
 * - flags: booleans → `0`/`1`;
 * - `MATERIALIZED` columns and `ingestion_timestamp` (except DLQ/quarantine) are never sent;
 *   keys that are not columns of the table are dropped;
 * - a column with a `DEFAULT` whose key is absent is omitted (ClickHouse fills the default);
 * - `null` for a non-Nullable column is sent as `null`, which ClickHouse's JSON input turns into
 *   the column default — the `raw_ai_stream_status.start_time` trap reproduced on purpose
 *   (stored as 1970-01-01 00:00:00.000; requires `input_format_null_as_default = 1`, the
 *   ClickHouse default);
 * - [SDK-DECISION 29, §3.3] a value that does not fit the column type (an integer outside the
 *   type's range or not an integer, a non-finite float, a time outside the `DateTime64` range
 *   1900-01-01 … 2299-12-31) is written as NULL for a Nullable column and as the column default
 *   otherwise (its numeric `DEFAULT`, else `""` / `0` / 1970-01-01 00:00:00.000), never a clamped
 *   value, and counted once as `out_of_range_values` through `counters`. {@link toStorableRow}
 *   applies the same rule to the engine row itself (the JSONL output of `lpa replay`).
 *
 * @category Mappers
 * @example
 * const count: MetricsCallback = (name, delta) => totals.set(name, (totals.get(name) ?? 0) + delta);
 * toClickHouseRow("raw_network_capabilities", { ...row, gpu_major: 300 }, count);
 * // { ..., gpu_major: null, ... } and count("out_of_range_values", 1): 300 does not fit UInt8
 */
export function toClickHouseRow<T extends TableName>(
  table: T,
  row: TableRow<T>,
  counters?: MetricsCallback,
): ClickHouseRow {
  const source = row as Readonly<Record<string, unknown>>;
  const out: ClickHouseRow = {};
  for (const c of plan(table)) {
    const value = source[c.name];
    if (value === undefined && c.hasDefault) continue;
    const e = c.encode(value);
    if (e.bad) {
      counters?.("out_of_range_values", 1);
      out[c.name] = c.encodedFallback;
    } else out[c.name] = e.value;
  }
  return out;
}

/**
 * The storage policy of {@link toClickHouseRow} applied to the engine row itself: every value that
 * does not fit its column [SDK-DECISION 29, §3.3] is replaced by what ClickHouse stores for it —
 * `null` for a Nullable column, else the column's numeric `DEFAULT`, else `""` / `0` (times: epoch
 * 0, i.e. 1970-01-01 00:00:00.000) — and counted as `out_of_range_values`. Other values and keys
 * are kept as they are. Returns `row` itself when nothing is out of range, else a copy.
 *
 * Writers that keep engine rows next to ClickHouse (the JSONL output of `lpa replay`) apply it so
 * that both hold the same values; {@link toClickHouseRow} of the result counts nothing again.
 *
 * @category Mappers
 * @example
 * toStorableRow("raw_payment_events", { ...row, event_timestamp: 99_999_999_999_999 }, count);
 * // { ...row, event_timestamp: 0 } and count("out_of_range_values", 1): year 5138 does not fit DateTime64
 */
export function toStorableRow<T extends TableName>(
  table: T,
  row: TableRow<T>,
  counters?: MetricsCallback,
): TableRow<T> {
  const source = row as Readonly<Record<string, unknown>>;
  let out: Record<string, unknown> | null = null;
  for (const c of plan(table)) {
    const value = source[c.name];
    if (value === undefined || !c.encode(value).bad) continue;
    counters?.("out_of_range_values", 1);
    out ??= { ...source };
    out[c.name] = c.fallback;
  }
  return (out ?? row) as TableRow<T>;
}

/**
 * The JSON text of {@link toClickHouseRow}: one `JSONEachRow` line without the newline. Its UTF-8
 * size is what the row guard measures (`ingest-and-storage.md` §2.9).
 *
 * @category Mappers
 */
export function serializeRow<T extends TableName>(
  table: T,
  row: TableRow<T>,
  counters?: MetricsCallback,
): string {
  return JSON.stringify(toClickHouseRow(table, row, counters));
}
