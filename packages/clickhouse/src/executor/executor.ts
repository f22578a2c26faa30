/**
 * The executor: the small surface through which the adapter talks to ClickHouse, identical for a
 * remote server (HTTP) and the embedded engine (chDB).
 *
 * @module
 */
import { Readable } from "node:stream";
import type { ClickHouseClient } from "@clickhouse/client";
import { ClickHouseAdapterError } from "./errors.js";

/**
 * A value of a ClickHouse setting sent with a query.
 *
 * @category Executor
 */
export type ClickHouseSettingValue = string | number | boolean;

/**
 * Options of {@link ClickHouseExecutor.insert} and {@link ClickHouseExecutor.insertJsonEachRow}.
 *
 * Settings are rendered into the statement's own `SETTINGS` clause (`INSERT INTO t SETTINGS …
 * FORMAT JSONEachRow`), so they apply to that statement only — also on the embedded engine, where
 * settings passed through the client would persist in the session.
 *
 * @category Executor
 */
export interface ClickHouseInsertOptions {
  /**
   * `insert_deduplication_token`: a retried insert carrying the same token is not written twice
   * where insert deduplication applies (`Replicated*MergeTree`, or `MergeTree` with
   * `non_replicated_deduplication_window` set).
   */
  readonly deduplicationToken?: string;
  /** Further settings for this statement; names must be plain identifiers. */
  readonly settings?: Readonly<Record<string, ClickHouseSettingValue>>;
}

/**
 * Query parameters bound with ClickHouse's `{name:Type}` syntax.
 *
 * @category Executor
 */
export type ClickHouseQueryParams = Readonly<Record<string, unknown>>;

/**
 * What the rest of the adapter needs from ClickHouse. Created by `createRemoteExecutor`,
 * `createEmbeddedExecutor` or `createExecutor`. Errors from the server are rejected as the
 * client's `ClickHouseError` (numeric `code`, `type`), unwrapped, so callers can classify them with
 * `isRetryableClickHouseError`.
 *
 * @category Executor
 */
export interface ClickHouseExecutor {
  /** `"remote"` (HTTP server) or `"embedded"` (in-process chDB). */
  readonly kind: "remote" | "embedded";
  /** The database unqualified table names resolve to. */
  readonly database: string;
  /** The underlying `@clickhouse/client` client (for anything the executor does not cover). */
  readonly client: ClickHouseClient;
  /** Runs a statement that returns no rows (DDL, `OPTIMIZE`, …). */
  command(sql: string): Promise<void>;
  /** Runs a query and returns its rows (`JSONEachRow`; 64-bit integers may come back as strings). */
  query<T = Record<string, unknown>>(sql: string, params?: ClickHouseQueryParams): Promise<T[]>;
  /**
   * Inserts objects as `JSONEachRow` (serialized with `JSON.stringify`). An unqualified `table` is
   * qualified with {@link ClickHouseExecutor.database}. An empty array sends nothing.
   */
  insert(table: string, rows: readonly object[], options?: ClickHouseInsertOptions): Promise<void>;
  /**
   * Inserts rows that are already serialized, one JSON object per element, as the body of a
   * `JSONEachRow` insert (the batched sink uses this so that the bytes it measures are the bytes
   * it sends). An empty array sends nothing.
   */
  insertJsonEachRow(
    table: string,
    lines: readonly string[],
    options?: ClickHouseInsertOptions,
  ): Promise<void>;
  /**
   * Closes the client once every statement started before the call has settled (idempotent: later
   * calls return the same promise).
   */
  close(): Promise<void>;
}

/**
 * `true` when `name` is a plain ClickHouse identifier (letters, digits and `_`, not starting with a
 * digit): usable unquoted as a database, table or setting name.
 *
 * @category Executor
 */
export function isPlainIdentifier(name: string): boolean {
  return /^[A-Za-z_][A-Za-z0-9_]*$/.test(name);
}

/**
 * Quotes a ClickHouse identifier with backticks, escaping backslashes and backticks.
 *
 * @category Executor
 * @example
 * quoteIdentifier("livepeer_analytics") // "`livepeer_analytics`"
 */
export function quoteIdentifier(name: string): string {
  return "`" + name.replace(/\\/g, "\\\\").replace(/`/g, "\\`") + "`";
}

/**
 * `` `database`.`table` `` for a bare table name; a name that already contains a dot or a backtick
 * is returned unchanged (taken as qualified or quoted by the caller).
 *
 * @category Executor
 * @example
 * qualifyTableName("lpa", "raw_ai_stream_status") // "`lpa`.`raw_ai_stream_status`"
 * qualifyTableName("lpa", "other.t") // "other.t"
 */
export function qualifyTableName(database: string, table: string): string {
  if (table.includes(".") || table.includes("`")) return table;
  return `${quoteIdentifier(database)}.${quoteIdentifier(table)}`;
}

/**
 * A ClickHouse string literal (single quotes; backslashes and quotes escaped).
 *
 * @category Executor
 */
export function quoteString(value: string): string {
  return "'" + value.replace(/\\/g, "\\\\").replace(/'/g, "\\'") + "'";
}

function renderSettingValue(name: string, value: ClickHouseSettingValue): string {
  if (typeof value === "boolean") return value ? "1" : "0";
  if (typeof value === "number") {
    if (!Number.isFinite(value))
      throw new ClickHouseAdapterError(
        "LPA_CH_INVALID_OPTIONS",
        `Setting ${name} must be a finite number, got ${String(value)}`,
      );
    return String(value);
  }
  return quoteString(value);
}

/**
 * The `SETTINGS …` clause (with a leading space) for an insert, or `""` when there is nothing to
 * set.
 *
 * @category Executor
 */
export function renderInsertSettings(options: ClickHouseInsertOptions = {}): string {
  const entries: [string, ClickHouseSettingValue][] = Object.entries(options.settings ?? {});
  if (options.deduplicationToken !== undefined)
    entries.push(["insert_deduplication_token", options.deduplicationToken]);
  if (entries.length === 0) return "";
  const parts = entries.map(([name, value]) => {
    if (!isPlainIdentifier(name))
      throw new ClickHouseAdapterError(
        "LPA_CH_INVALID_OPTIONS",
        `Invalid setting name ${JSON.stringify(name)}`,
      );
    return `${name} = ${renderSettingValue(name, value)}`;
  });
  return ` SETTINGS ${parts.join(", ")}`;
}

/**
 * Builds an executor over a configured client. Shared by the remote and embedded factories.
 *
 * @internal
 */
export function executorOverClient(
  client: ClickHouseClient,
  kind: "remote" | "embedded",
  database: string,
): ClickHouseExecutor {
  let closed: Promise<void> | null = null;
  /** Statements started and not yet settled: `close()` waits for them. */
  const inFlight = new Set<Promise<unknown>>();
  const track = <T>(p: Promise<T>): Promise<T> => {
    inFlight.add(p);
    const done = (): void => {
      inFlight.delete(p);
    };
    p.then(done, done);
    return p;
  };
  const insertRows = async (
    table: string,
    lines: readonly string[],
    options?: ClickHouseInsertOptions,
  ): Promise<void> => {
    if (lines.length === 0) return;
    const query = `INSERT INTO ${qualifyTableName(database, table)}${renderInsertSettings(options)} FORMAT JSONEachRow`;
    const body = Buffer.from(lines.join("\n") + "\n", "utf8");
    const result = await client.exec({
      query,
      values: Readable.from([body], { objectMode: false }),
    });
    // Release the connection: the response of an insert carries nothing useful.
    for await (const _chunk of result.stream) {
      /* drain */
    }
  };
  const insertJsonEachRow = (
    table: string,
    lines: readonly string[],
    options?: ClickHouseInsertOptions,
  ): Promise<void> => track(insertRows(table, lines, options));
  return {
    kind,
    database,
    client,
    command(sql) {
      return track(
        (async () => {
          await client.command({ query: sql });
        })(),
      );
    },
    query<T>(sql: string, params?: ClickHouseQueryParams): Promise<T[]> {
      return track(
        (async () => {
          const rs = await client.query({
            query: sql,
            format: "JSONEachRow",
            ...(params === undefined ? {} : { query_params: { ...params } }),
          });
          return rs.json<T>();
        })(),
      );
    },
    insert(table, rows, options) {
      return insertJsonEachRow(
        table,
        rows.map((r) => JSON.stringify(r)),
        options,
      );
    },
    insertJsonEachRow,
    close() {
      // Closing the embedded engine under a running statement crashes the process, so every
      // statement started before close() settles first (failures included).
      closed ??= (async () => {
        while (inFlight.size > 0) await Promise.allSettled([...inFlight]);
        await client.close();
      })();
      return closed;
    },
  };
}
