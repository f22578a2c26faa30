/**
 * The remote executor: a ClickHouse server over HTTP(S) through `@clickhouse/client`.
 *
 * @module
 */
import { createClient, type ClickHouseLogLevel } from "@clickhouse/client";
import { ClickHouseAdapterError } from "./errors.js";
import { executorOverClient, quoteIdentifier, type ClickHouseExecutor } from "./executor.js";

/**
 * Options of {@link createRemoteExecutor}.
 *
 * @category Executor
 */
export interface RemoteExecutorOptions {
  /**
   * Server endpoint, e.g. `http://clickhouse:8123`. Only the origin (scheme, host, port) is used;
   * credentials and database come from the other options (use `parseClickHouseTarget` to derive
   * them from a full URL).
   */
  readonly url: string;
  /** User name. */
  readonly username: string;
  /** Password; absent means none (there is no built-in password). */
  readonly password?: string;
  /** Database that unqualified table names resolve to. */
  readonly database: string;
  /** Run `CREATE DATABASE IF NOT EXISTS` first (needs the privilege). Default `false`. */
  readonly createDatabase?: boolean;
  /** Client request timeout, ms. Default: the client's (30 000). */
  readonly requestTimeoutMs?: number;
  /** Maximum open sockets of the client. Default: the client's (10). */
  readonly maxOpenConnections?: number;
  /** Log level of the client's own logger (it logs failed requests at `ERROR`). Default: the client's. */
  readonly logLevel?: ClickHouseLogLevel;
}

/**
 * The origin (`scheme://host[:port]`) of an `http(s)` URL.
 *
 * @internal
 */
export function httpOrigin(url: string): string {
  let u: URL;
  try {
    u = new URL(url);
  } catch (cause) {
    throw new ClickHouseAdapterError("LPA_CH_INVALID_TARGET", `Invalid ClickHouse URL: ${url}`, {
      cause,
    });
  }
  if (u.protocol !== "http:" && u.protocol !== "https:")
    throw new ClickHouseAdapterError(
      "LPA_CH_INVALID_TARGET",
      `ClickHouse URL must use http or https, got ${u.protocol}`,
    );
  return `${u.protocol}//${u.host}`;
}

/**
 * Connects to a ClickHouse server over HTTP(S). No request is sent unless `createDatabase` is set
 * (the client connects lazily).
 *
 * @category Executor
 * @example
 * const executor = await createRemoteExecutor({
 *   url: "http://clickhouse:8123",
 *   username: "analytics_user",
 *   password: process.env["CLICKHOUSE_PASSWORD"] ?? "",
 *   database: "livepeer_analytics",
 * });
 */
export async function createRemoteExecutor(
  options: RemoteExecutorOptions,
): Promise<ClickHouseExecutor> {
  const url = httpOrigin(options.url);
  const base = {
    url,
    username: options.username,
    ...(options.password === undefined ? {} : { password: options.password }),
    ...(options.requestTimeoutMs === undefined
      ? {}
      : { request_timeout: options.requestTimeoutMs }),
    ...(options.maxOpenConnections === undefined
      ? {}
      : { max_open_connections: options.maxOpenConnections }),
    ...(options.logLevel === undefined ? {} : { log: { level: options.logLevel } }),
  };
  if (options.createDatabase === true) {
    // The target database may not exist yet, so this statement runs without it.
    const bootstrap = createClient(base);
    try {
      await bootstrap.command({
        query: `CREATE DATABASE IF NOT EXISTS ${quoteIdentifier(options.database)}`,
      });
    } finally {
      await bootstrap.close();
    }
  }
  const client = createClient({ ...base, database: options.database });
  return executorOverClient(client, "remote", options.database);
}
