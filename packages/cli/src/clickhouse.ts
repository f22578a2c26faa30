/**
 * ClickHouse plumbing shared by `lpa replay --clickhouse`, `lpa query` and `lpa ddl`: target
 * resolution (the CLI's `embedded` is the persistent `./lpa-data`), schema application, and an
 * output that streams engine outputs through the batched sink.
 *
 * @module
 */
import { readFileSync } from "node:fs";
import {
  clickHouseTargetFromEnv,
  ClickHouseAdapterError,
  createClickHouseSink,
  createEmbeddedExecutor,
  createRemoteExecutor,
  DEFAULT_SINK_LIMITS,
  generateDdl,
  generateViewDdl,
  isTableName,
  parseClickHouseTarget,
  qualifyTableName,
  quoteIdentifier,
  runAssertions,
  SCHEMA_VERSION,
  VIEW_NAMES,
  toClickHouseRow,
  toStorableRow,
  type AssertionResult,
  type ClickHouseExecutor,
  type ClickHouseSink,
  type ClickHouseTarget,
  type SinkRetryEvent,
  type TableName,
  type TableRow,
} from "@livepeer-analytics/clickhouse";
import { renderRows } from "./table.js";
import { debugging, UsageError } from "./io.js";
import type { RowConsumer } from "./output.js";
import type { AssertionLine } from "./summary.js";
import type { ConfigNotice } from "@livepeer-analytics/core/engine";
import type { MetricsCallback } from "@livepeer-analytics/core/quality";

/** Data directory the CLI's `embedded` target uses, so later `lpa query` runs see the data. */
export const DEFAULT_EMBEDDED_PATH = "./lpa-data";

/** The CLI's default ClickHouse target. */
export const DEFAULT_CLICKHOUSE_TARGET = `embedded:${DEFAULT_EMBEDDED_PATH}`;

/**
 * Parses a `--clickhouse` value. `embedded` means `embedded:./lpa-data` here (the library's
 * in-memory engine is `embedded::memory:`); URLs and `embedded:PATH` follow
 * `parseClickHouseTarget`. Invalid values are usage errors.
 */
export function resolveTarget(
  spec: string,
  database?: string,
  credentials: { readonly username?: string; readonly password?: string } = {},
  notices: string[] = [],
): ClickHouseTarget {
  const text = spec === "embedded" ? DEFAULT_CLICKHOUSE_TARGET : spec;
  try {
    const found: ConfigNotice[] = [];
    const target = parseClickHouseTarget(
      text,
      { ...credentials, ...(database === undefined ? {} : { database }) },
      found,
    );
    // The library names its options generically; here they are the CLI's sources.
    for (const n of found)
      notices.push(
        `--clickhouse: ${n.message
          .replace(/^target: /, "")
          .replace("the user option", "CLICKHOUSE_USER")
          .replace("the password option", "a password (CLICKHOUSE_PASSWORD or --password-file)")
          .replace("the database option", "--database or CLICKHOUSE_DATABASE")}`,
      );
    return target;
  } catch (error) {
    throw new UsageError(`--clickhouse: ${(error as Error).message}`);
  }
}

/** A short human description of a target (no password). */
export function describeTarget(target: ClickHouseTarget): string {
  return target.kind === "embedded"
    ? `embedded ClickHouse at ${target.path}, database ${target.database}`
    : `ClickHouse ${target.url}, database ${target.database}`;
}

/** The ClickHouse flags of a command. */
export interface ClickHouseFlags {
  /** `--clickhouse TARGET`. */
  readonly clickhouse?: string | undefined;
  /** `--database NAME`. */
  readonly database?: string | undefined;
  /** `--password-file FILE`. */
  readonly "password-file"?: string | undefined;
}

/** A target resolved from flags and environment, with what to tell the user about it. */
export interface ResolvedClickHouseTarget {
  /** The target. */
  readonly target: ClickHouseTarget;
  /** Values that were ignored or are risky (one line each, for stderr). */
  readonly notices: readonly string[];
  /** Where the database name came from, for error messages. */
  readonly databaseSource: string;
}

/** Environment variables read by {@link resolveClickHouseTarget}. */
export type ClickHouseEnv = Readonly<Record<string, string | undefined>>;

const envValue = (env: ClickHouseEnv, key: string): string | undefined => {
  const v = env[key];
  return v === undefined || v === "" ? undefined : v;
};

/**
 * Reads `--password-file`: the file's text without one trailing line end (`\n` or `\r\n`).
 * A password given this way (or in `CLICKHOUSE_PASSWORD`) is not visible in the process list.
 */
export function readPasswordFile(path: string): string {
  try {
    return readFileSync(path, "utf8").replace(/\r?\n$/, "");
  } catch (error) {
    const e = error as NodeJS.ErrnoException;
    // An I/O error (exit code 1) that names the option.
    throw Object.assign(new Error(`--password-file ${path}: ${e.message}`, { cause: error }), {
      code: e.code ?? "ERR_LPA_PASSWORD_FILE",
    });
  }
}

/**
 * The ClickHouse target of a command from its flags and the environment, or `null` when there is
 * none (no `--clickhouse`, no `CLICKHOUSE_URL` and no `fallback`).
 *
 * - Target: `--clickhouse`, else `CLICKHOUSE_URL` when `useUrlFromEnv` (`lpa query`, `lpa run`),
 *   else `fallback`. `embedded` is `embedded:./lpa-data`.
 * - Database: `--database`, else `CLICKHOUSE_DATABASE`, else the URL's last path segment, else
 *   `livepeer_analytics`.
 * - User: `CLICKHOUSE_USER`, else the URL's user, else `analytics_user`.
 * - Password: `--password-file`, else `CLICKHOUSE_PASSWORD`, else the URL's password (with a
 *   notice: a password in a command line is visible to other users through `ps`).
 *
 * Invalid targets are usage errors.
 */
export function resolveClickHouseTarget(
  flags: ClickHouseFlags,
  env: ClickHouseEnv,
  options: { readonly useUrlFromEnv: boolean; readonly fallback: string | null },
): ResolvedClickHouseTarget | null {
  const notices: string[] = [];
  const envUrl = options.useUrlFromEnv ? envValue(env, "CLICKHOUSE_URL") : undefined;
  const envDatabase = envValue(env, "CLICKHOUSE_DATABASE");
  const passwordFile = flags["password-file"];
  // The file is read only for a remote target: with none, or an embedded one, it has no effect.
  const passwordFor = (remote: boolean): string | undefined =>
    passwordFile !== undefined && remote
      ? readPasswordFile(passwordFile)
      : envValue(env, "CLICKHOUSE_PASSWORD");
  const databaseSource =
    flags.database !== undefined
      ? "--database"
      : envDatabase !== undefined
        ? "CLICKHOUSE_DATABASE"
        : flags.clickhouse === undefined && envUrl !== undefined
          ? "the database of CLICKHOUSE_URL"
          : "the database of --clickhouse";
  let target: ClickHouseTarget;
  if (flags.clickhouse === undefined && envUrl !== undefined) {
    // The library's reading of the CLICKHOUSE_* variables (with its notices), then the flags.
    try {
      const fromEnv = clickHouseTargetFromEnv(env);
      notices.push(...fromEnv.notices.map((n) => n.message));
      target = fromEnv.target;
    } catch (error) {
      throw new UsageError((error as Error).message);
    }
    if (flags.database !== undefined) target = { ...target, database: flags.database };
    if (passwordFile !== undefined && target.kind === "remote")
      target = { ...target, password: passwordFor(true)! };
  } else {
    const spec = flags.clickhouse ?? options.fallback;
    if (spec === null) return null;
    const username = envValue(env, "CLICKHOUSE_USER");
    const database = flags.database ?? envDatabase;
    const password = passwordFor(!/^embedded(:|$)/.test(spec));
    target = resolveTarget(
      spec,
      database,
      {
        ...(username === undefined ? {} : { username }),
        ...(password === undefined ? {} : { password }),
      },
      notices,
    );
    if (target.kind === "remote" && /^[a-z]+:\/\/[^/@]*:[^/@]*@/i.test(spec))
      notices.push(
        "the password in the --clickhouse URL is visible to other users (ps); use CLICKHOUSE_PASSWORD or --password-file",
      );
  }
  if (passwordFile !== undefined && target.kind === "embedded")
    notices.push("--password-file has no effect with an embedded target");
  return { target, notices, databaseSource };
}

/**
 * Opens an executor for a target. The database is created first only with `createDatabase` (the
 * commands that apply the DDL); `lpa query` sends nothing but its statement, so a read-only user
 * can run it. The HTTP client's own logging is off (every failure reaches the user once, as the
 * command's error line); `LPA_DEBUG=1` turns it back on.
 */
export function openExecutor(
  target: ClickHouseTarget,
  options: { readonly createDatabase: boolean } = { createDatabase: true },
): Promise<ClickHouseExecutor> {
  if (target.kind === "embedded") return createEmbeddedExecutor(target);
  const debug = debugging();
  return createRemoteExecutor({
    ...target,
    createDatabase: options.createDatabase,
    // 127: the client's OFF level; 3: WARN (its default).
    logLevel: debug ? 3 : 127,
  });
}

/** A ClickHouse server that cannot be reached (exit code 1, one line). */
export class ClickHouseUnreachableError extends Error {
  override readonly name = "ClickHouseUnreachableError";
  /** Error code, so the entry point reports it as an I/O error. */
  readonly code = "LPA_CH_UNREACHABLE";
}

/**
 * Runs `fn`; a failure to reach the server of `target` becomes a one-line
 * {@link ClickHouseUnreachableError}, other errors pass unchanged.
 */
export async function reachingClickHouse<T>(
  target: ClickHouseTarget,
  fn: () => Promise<T>,
): Promise<T> {
  try {
    return await fn();
  } catch (error) {
    const line = connectionFailure(target, error);
    throw line === null ? error : new ClickHouseUnreachableError(line, { cause: error });
  }
}

/**
 * One line for a failure to reach a ClickHouse server (connection refused, unknown host, timeout),
 * or `null` for any other error.
 */
export function connectionFailure(target: ClickHouseTarget, error: unknown): string | null {
  if (target.kind !== "remote") return null;
  const code = (error as { code?: unknown } | null)?.code;
  const reasons: Record<string, string> = {
    ECONNREFUSED: "connection refused",
    ENOTFOUND: "host not found",
    EAI_AGAIN: "host name lookup failed",
    ECONNRESET: "connection reset",
    ETIMEDOUT: "timed out",
    EHOSTUNREACH: "host unreachable",
    ENETUNREACH: "network unreachable",
  };
  if (typeof code !== "string" || reasons[code] === undefined) {
    if (error instanceof Error && /^Timeout error/i.test(error.message))
      return `cannot reach ClickHouse at ${target.url}: timed out`;
    return null;
  }
  return `cannot reach ClickHouse at ${target.url}: ${reasons[code]} (${code})`;
}

/** Options of {@link applySchema}. */
export interface ApplySchemaOptions {
  /** Drop the database first. */
  readonly reset: boolean;
  /** Keep the row TTLs (off for replays of old captures, which a TTL would delete). */
  readonly ttl: boolean;
  /** Latency definition the serving views read. */
  readonly servingEdgeSemanticsVersion: "v1" | "v2";
}

/**
 * Schema versions recorded in `lpa_schema_version` of the executor's database (none when the
 * table does not exist).
 */
async function recordedSchemaVersions(executor: ClickHouseExecutor): Promise<number[]> {
  const table = qualifyTableName(executor.database, "lpa_schema_version");
  const exists = await executor.query<{ result: number | string }>(`EXISTS TABLE ${table}`);
  if (Number(exists[0]?.result ?? 0) === 0) return [];
  const rows = await executor.query<{ v: number | string }>(
    `SELECT DISTINCT schema_version AS v FROM ${table}`,
  );
  return rows.map((r) => Number(r.v));
}

/**
 * Applies the table DDL and the serving views; returns the number of statements run.
 *
 * @throws ClickHouseAdapterError `LPA_CH_INVALID_TARGET` (without `reset`) when the database was
 * created by an older schema version: `CREATE TABLE IF NOT EXISTS` would keep its old tables, whose
 * sort keys do not collapse a rerun (the documented crash recovery would double-count).
 */
export async function applySchema(
  executor: ClickHouseExecutor,
  options: ApplySchemaOptions,
): Promise<number> {
  const database = executor.database;
  // The table DDL starts with CREATE DATABASE IF NOT EXISTS, which recreates a dropped database.
  if (options.reset) await executor.command(`DROP DATABASE IF EXISTS ${quoteIdentifier(database)}`);
  else {
    const older = (await recordedSchemaVersions(executor)).filter((v) => v < SCHEMA_VERSION);
    if (older.length > 0)
      throw new ClickHouseAdapterError(
        "LPA_CH_INVALID_TARGET",
        `database ${database} was created by schema version ${Math.min(...older)} (this lpa writes version ${SCHEMA_VERSION}, whose tables are idempotent under reruns); use --reset-database to recreate it (its data is dropped) or --database NAME for a new one`,
        { details: { database, schemaVersion: Math.min(...older) } },
      );
  }
  const statements = [
    ...generateDdl({ database, ttl: options.ttl }),
    ...generateViewDdl({
      database,
      servingEdgeSemanticsVersion: options.servingEdgeSemanticsVersion,
    }),
  ];
  for (const sql of statements) await executor.command(sql);
  return statements.length;
}

/**
 * The storage policy for values that do not fit their ClickHouse column, applied to a row before
 * it goes to the JSONL output and to ClickHouse, so that both hold the same values: NULL for a
 * Nullable column, else the column default (see `toStorableRow`), counted as `out_of_range_values`
 * through `metrics`. Rows of tables outside the catalogue pass unchanged.
 */
export function storableRow(table: string, row: object, metrics: MetricsCallback): object {
  return isTableName(table) ? toStorableRow(table, row as TableRow<TableName>, metrics) : row;
}

/** Rows per insert of `lpa replay --clickhouse` (a bulk load; the streaming default is 1 000). */
export const DEFAULT_REPLAY_BATCH_ROWS = 10_000;

/**
 * One line about a retried insert: table, rows, attempt, delay and the first line of the error.
 *
 * @example
 * retryLine({ table: "raw_x", sequence: 3, rows: 500, attempt: 1, delayMs: 200, error: new Error("boom") })
 * // "ClickHouse insert into raw_x (500 rows) failed: boom; retry 1 in 200 ms"
 */
export function retryLine(e: SinkRetryEvent): string {
  const message = e.error instanceof Error ? e.error.message : String(e.error);
  const first = message.split("\n")[0]!.trim();
  const short = first.length > 200 ? `${first.slice(0, 200)}…` : first;
  return `ClickHouse insert into ${e.table} (${e.rows} rows) failed: ${short}; retry ${e.attempt} in ${e.delayMs} ms`;
}

/** What {@link ClickHouseOutput.finish} reports. */
export interface ClickHouseOutputStats {
  /** Rows inserted per table. */
  readonly tables: Readonly<Record<string, number>>;
  /** Rows the sink could not write (oversized without an origin), per table. */
  readonly dropped: Readonly<Record<string, number>>;
  /** Insert batches sent. */
  readonly batches: number;
  /** Retries performed. */
  readonly retries: number;
}

/**
 * Writes rows into ClickHouse through the batched sink. Plugged into the replay's output writer as
 * its row consumer, so it receives what the JSONL output would hold: final rows of versioned facts
 * (or every version with `--all-versions`), append-only rows and rejection rows as they come.
 */
export class ClickHouseOutput implements RowConsumer {
  private readonly sink: ClickHouseSink;
  private readonly inserted = new Map<string, number>();
  private readonly dropped = new Map<string, number>();
  private batches = 0;
  private retries = 0;
  /** The first failed write (the sink's fatal insert failure), surfaced by the next call. */
  private failure: unknown = null;

  /**
   * @param batchRows - rows per insert; a replay is a bulk load, so the CLI's default
   * ({@link DEFAULT_REPLAY_BATCH_ROWS}) is larger than the streaming sink's 1 000, with batch bytes
   * raised to 32 MiB and the buffer to 4 batches.
   */
  constructor(
    executor: ClickHouseExecutor,
    batchRows: number = DEFAULT_REPLAY_BATCH_ROWS,
    onRetryLine?: (line: string) => void,
  ) {
    this.sink = createClickHouseSink(executor, {
      maxBatchSize: batchRows,
      maxBatchBytes: Math.max(DEFAULT_SINK_LIMITS.maxBatchBytes, 32 * 1024 * 1024),
      maxBuffered: Math.max(DEFAULT_SINK_LIMITS.maxBuffered, 4 * batchRows),
      toRow: (table, row) =>
        isTableName(table) ? toClickHouseRow(table, row as TableRow<TableName>) : row,
      onInserted: (e) => {
        this.batches += 1;
        this.inserted.set(e.table, (this.inserted.get(e.table) ?? 0) + e.rows);
      },
      onRetry: (e) => {
        this.retries += 1;
        onRetryLine?.(retryLine(e));
      },
      onDrop: (e) => {
        this.dropped.set(e.table, (this.dropped.get(e.table) ?? 0) + 1);
      },
    });
  }

  /** Rows inserted so far, over every table (for the progress line). */
  get insertedRows(): number {
    let rows = 0;
    for (const n of this.inserted.values()) rows += n;
    return rows;
  }

  /**
   * Buffers one row; resolves once buffered (late only when the sink's buffer is full). The
   * returned promise is handled at creation; once an insert has failed, this throws that
   * `ClickHouseAdapterError` (`LPA_CH_INSERT_FAILED`) instead, so the replay stops at the next row.
   */
  row(table: string, row: object): Promise<void> {
    if (this.failure !== null) throw this.failure;
    const p = this.sink.write(table, row);
    p.catch((error: unknown) => {
      this.failure ??= error;
    });
    return p;
  }

  /**
   * Flushes (durable on return) and closes the sink. Rejects with the insert failure, if any, once
   * no insert is running (the executor may then be closed).
   */
  async finish(): Promise<ClickHouseOutputStats> {
    if (this.failure !== null) {
      await this.sink.close().catch(() => undefined);
      throw this.failure;
    }
    await this.sink.flush();
    await this.sink.close();
    const sorted = (m: Map<string, number>): Record<string, number> =>
      Object.fromEntries([...m].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
    return {
      tables: sorted(this.inserted),
      dropped: sorted(this.dropped),
      batches: this.batches,
      retries: this.retries,
    };
  }
}

/** Runs the SQL assertion suite with the serving options the views were created with. */
export async function runSuite(
  executor: ClickHouseExecutor,
  servingEdgeSemanticsVersion: "v1" | "v2",
): Promise<readonly AssertionResult[]> {
  const report = await runAssertions(executor, {
    database: executor.database,
    servingEdgeSemanticsVersion,
  });
  return report;
}

/** Diagnostics shown in the one-line summary of a passing assertion (when present). */
const HEADLINE_DIAGNOSTICS = [
  "checked_rows",
  "failed_rows",
  "warn_rows",
  "rate",
  "coverage",
  "rollup_rows",
  "view_rows",
  "joined_rows",
  "failure_mode",
];

/** One printable line per assertion result (every diagnostic is kept for `--json`). */
export function summarizeAssertion(r: AssertionResult): AssertionLine {
  const show = (k: string, v: number | string): string =>
    `${k}=${typeof v === "number" ? formatNumber(v) : v}`;
  const headline = HEADLINE_DIAGNOSTICS.filter((k) => r.diagnostics[k] !== undefined).map((k) =>
    show(k, r.diagnostics[k]!),
  );
  return {
    name: r.name,
    family: r.family,
    status: r.status,
    passed: r.status !== "fail",
    detail: r.status === "pass" ? headline.join(" ") : r.message,
    diagnostics: r.diagnostics,
  };
}

function formatNumber(v: number): string {
  return Number.isInteger(v) ? String(v) : String(Math.round(v * 1e6) / 1e6);
}

/** The `v_api_*` views, in creation order. */
const API_VIEWS = VIEW_NAMES.filter((v) => v.startsWith("v_api_"));

/** Row count of every `v_api_*` view. */
export async function viewRowCounts(executor: ClickHouseExecutor): Promise<Record<string, number>> {
  const out: Record<string, number> = {};
  for (const name of API_VIEWS) {
    const rows = await executor.query<{ n: string | number }>(
      `SELECT count() AS n FROM ${quoteIdentifier(executor.database)}.${quoteIdentifier(name)}`,
    );
    out[name] = Number(rows[0]?.n ?? 0);
  }
  return out;
}

/** Up to `limit` rows of every `v_api_*` view, as vertical records (for `--show-views`). */
export async function renderApiViews(executor: ClickHouseExecutor, limit: number): Promise<string> {
  const parts: string[] = [];
  for (const name of API_VIEWS) {
    const rows = await executor.query<Record<string, unknown>>(
      `SELECT * FROM ${quoteIdentifier(executor.database)}.${quoteIdentifier(name)} LIMIT ${limit}`,
    );
    parts.push(`\n== ${name} (first ${limit} rows) ==\n${renderRows(rows, "vertical")}`);
  }
  return parts.join("");
}
