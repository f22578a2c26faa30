/**
 * Where to find ClickHouse: target strings for command lines (`embedded`, `embedded:PATH`,
 * `http(s)://…`) and the `CLICKHOUSE_*` environment variables (`ingest-and-storage.md` §8.1).
 *
 * @module
 */
import type { ConfigNotice } from "@livepeer-analytics/core/engine";
import { createEmbeddedExecutor, EMBEDDED_IN_MEMORY_PATH } from "./embedded.js";
import { envValue, type EnvSource } from "./env.js";
import { ClickHouseAdapterError } from "./errors.js";
import type { ClickHouseExecutor } from "./executor.js";
import { createRemoteExecutor } from "./remote.js";

/**
 * Default of `CLICKHOUSE_URL`.
 *
 * @category Configuration
 */
export const DEFAULT_CLICKHOUSE_URL = "http://clickhouse:8123";
/**
 * Database used when neither `CLICKHOUSE_DATABASE` nor the URL names one.
 *
 * @category Configuration
 */
export const DEFAULT_CLICKHOUSE_DATABASE = "livepeer_analytics";
/**
 * Default of `CLICKHOUSE_USER`. There is deliberately no default password (spec decision 66).
 *
 * @category Configuration
 */
export const DEFAULT_CLICKHOUSE_USER = "analytics_user";

/**
 * A ClickHouse server reached over HTTP(S).
 *
 * @category Configuration
 */
export interface RemoteClickHouseTarget {
  /** Discriminant. */
  readonly kind: "remote";
  /** Origin of the server, `scheme://host[:port]` (credentials, path and query removed). */
  readonly url: string;
  /** User name. */
  readonly username: string;
  /** Password; absent when none was configured. */
  readonly password?: string;
  /** Target database. */
  readonly database: string;
}

/**
 * The embedded engine (chDB) in this process.
 *
 * @category Configuration
 */
export interface EmbeddedClickHouseTarget {
  /** Discriminant. */
  readonly kind: "embedded";
  /** Data directory, or `":memory:"` for an ephemeral engine. */
  readonly path: string;
  /** Target database. */
  readonly database: string;
}

/**
 * A parsed ClickHouse target, discriminated by `kind`.
 *
 * @category Configuration
 */
export type ClickHouseTarget = RemoteClickHouseTarget | EmbeddedClickHouseTarget;

/**
 * Explicit values for {@link parseClickHouseTarget}; each takes precedence over what the URL says.
 *
 * @category Configuration
 */
export interface ClickHouseTargetOptions {
  /** User name (default: the URL's user, else `analytics_user`). */
  readonly username?: string;
  /** Password (default: the URL's password, else none). */
  readonly password?: string;
  /** Database (default: the URL's last path segment per §8.1, else `livepeer_analytics`). */
  readonly database?: string;
}

const HTTP_URL = /^https?:\/\//i;
const SCHEME = /^[A-Za-z][A-Za-z0-9+.-]*:\/\//;

/** What the §8.1 rule sees in a URL: the last path segment and whether it may be used. */
interface UrlDatabaseSegment {
  readonly segment: string;
  readonly usable: boolean;
}

function lastPathSegment(url: string): UrlDatabaseSegment | null {
  const rest = url.replace(SCHEME, "");
  const slash = rest.indexOf("/");
  if (slash < 0) return null;
  const afterAuthority = rest.slice(slash);
  const segment = afterAuthority.slice(afterAuthority.lastIndexOf("/") + 1);
  if (segment === "") return null;
  return { segment, usable: !segment.includes("?") && !segment.includes(":") };
}

/**
 * The database named by a ClickHouse URL under the `CLICKHOUSE_DATABASE` derivation rule
 * (`ingest-and-storage.md` §8.1): the last path segment when it exists and contains neither `?`
 * nor `:`; otherwise `null` (the caller then uses `livepeer_analytics`). The segment is taken
 * from the text after the authority, so a URL without a path names no database, and a segment
 * followed by a query string (`/db?x=1`) is not used, as in the reference.
 *
 * @category Configuration
 * @example
 * databaseFromUrl("http://clickhouse:8123") // null
 * databaseFromUrl("http://clickhouse:8123/analytics") // "analytics"
 * databaseFromUrl("http://clickhouse:8123/analytics?compress=1") // null
 */
export function databaseFromUrl(url: string): string | null {
  const s = lastPathSegment(url);
  return s !== null && s.usable ? s.segment : null;
}

function invalidTarget(message: string, cause?: unknown): ClickHouseAdapterError {
  return new ClickHouseAdapterError(
    "LPA_CH_INVALID_TARGET",
    message,
    cause === undefined ? {} : { cause },
  );
}

function decodeUserInfo(part: string): string | undefined {
  if (part === "") return undefined;
  try {
    return decodeURIComponent(part);
  } catch {
    return part;
  }
}

/**
 * `text` with the password of every URL user information (`//user:password@`) masked as `***`, for
 * error messages: a target that fails to parse must not print its credentials.
 * For example `http://u:secret@host:8123/?x` becomes `http://u:***@host:8123/?x`.
 */
function redactCredentials(text: string): string {
  return text.replace(/(\/\/[^/?#@:\s]*):[^/?#@\s]*@/g, "$1:***@");
}

function resolveRemote(
  raw: string,
  explicit: ClickHouseTargetOptions,
  notices: ConfigNotice[],
  names: {
    readonly url: string;
    readonly user: string;
    readonly password: string;
    readonly database: string;
  },
): RemoteClickHouseTarget {
  let u: URL;
  try {
    u = new URL(raw);
  } catch (cause) {
    throw invalidTarget(`${names.url}: not a valid URL: ${redactCredentials(raw)}`, cause);
  }
  if ((u.protocol !== "http:" && u.protocol !== "https:") || u.host === "")
    throw invalidTarget(
      `${names.url}: expected http://host[:port] or https://host[:port], got ${redactCredentials(raw)}`,
    );
  if (u.search !== "" || u.hash !== "")
    notices.push({
      code: "ignored_value",
      key: names.url,
      message: `${names.url}: the query string and fragment are ignored`,
    });

  const urlUser = decodeUserInfo(u.username);
  const urlPassword = decodeUserInfo(u.password);
  if (explicit.username !== undefined && urlUser !== undefined && urlUser !== explicit.username)
    notices.push({
      code: "ignored_value",
      key: names.url,
      message: `${names.url}: the user in the URL is ignored because ${names.user} is set`,
    });
  if (explicit.password !== undefined && urlPassword !== undefined)
    notices.push({
      code: "ignored_value",
      key: names.url,
      message: `${names.url}: the password in the URL is ignored because ${names.password} is set`,
    });

  const seg = lastPathSegment(raw);
  let database: string;
  if (explicit.database !== undefined) {
    database = explicit.database;
    if (seg !== null && seg.usable && seg.segment !== explicit.database)
      notices.push({
        code: "ignored_value",
        key: names.url,
        message: `${names.url}: database "${seg.segment}" in the URL is ignored because ${names.database} is set`,
      });
  } else if (seg !== null && seg.usable) {
    database = seg.segment;
  } else {
    database = DEFAULT_CLICKHOUSE_DATABASE;
    if (seg !== null)
      notices.push({
        code: "ignored_value",
        key: names.url,
        message: `${names.url}: last path segment ${JSON.stringify(seg.segment)} contains "?" or ":" and does not name a database; using ${DEFAULT_CLICKHOUSE_DATABASE}`,
      });
  }

  const username = explicit.username ?? urlUser ?? DEFAULT_CLICKHOUSE_USER;
  const password = explicit.password ?? urlPassword;
  return {
    kind: "remote",
    url: `${u.protocol}//${u.host}`,
    username,
    ...(password === undefined ? {} : { password }),
    database,
  };
}

function embeddedPath(spec: string): string | null {
  if (spec === "embedded") return EMBEDDED_IN_MEMORY_PATH;
  if (spec.startsWith("embedded:")) return spec.slice("embedded:".length);
  return null;
}

/**
 * Parses a command-line target:
 *
 * - `embedded` — chDB in memory (nothing persists);
 * - `embedded:PATH` — chDB with its data directory at `PATH`;
 * - `http://…` / `https://…` — a server. User and password come from `options`, else from the
 *   URL's user info, else `analytics_user` and no password; the database from `options`, else the
 *   URL's last path segment under the §8.1 rule ({@link databaseFromUrl}), else
 *   `livepeer_analytics`. Query strings are rejected (they would be silently ignored).
 *
 * Values of the URL that `options` override (user, password, database) are ignored; with
 * `notices`, a notice per ignored value is appended to it.
 *
 * @category Configuration
 * @throws {@link ClickHouseAdapterError} `LPA_CH_INVALID_TARGET` for anything else.
 * @example
 * parseClickHouseTarget("embedded:./lpa-db")
 * // { kind: "embedded", path: "./lpa-db", database: "livepeer_analytics" }
 * parseClickHouseTarget("https://bob:s3cret@ch.example.com:8443/analytics")
 * // { kind: "remote", url: "https://ch.example.com:8443", username: "bob", password: "s3cret", database: "analytics" }
 */
export function parseClickHouseTarget(
  spec: string,
  options: ClickHouseTargetOptions = {},
  notices: ConfigNotice[] = [],
): ClickHouseTarget {
  const path = embeddedPath(spec);
  if (path !== null) {
    if (path === "")
      throw invalidTarget(`ClickHouse target "${redactCredentials(spec)}": the path is empty`);
    return { kind: "embedded", path, database: options.database ?? DEFAULT_CLICKHOUSE_DATABASE };
  }
  if (!HTTP_URL.test(spec))
    throw invalidTarget(
      `ClickHouse target "${redactCredentials(spec)}": expected embedded, embedded:PATH, http://… or https://…`,
    );
  if (spec.includes("?") || spec.includes("#"))
    throw invalidTarget(
      `ClickHouse target "${redactCredentials(spec)}": query strings are not supported`,
    );
  return resolveRemote(spec, options, notices, {
    url: "target",
    user: "the user option",
    password: "the password option",
    database: "the database option",
  });
}

/**
 * A target read from the environment, with notices about values that were ignored.
 *
 * @category Configuration
 */
export interface ClickHouseEnvTarget {
  /** The target. */
  readonly target: ClickHouseTarget;
  /** Ignored or replaced values (report them; they are not errors). */
  readonly notices: readonly ConfigNotice[];
}

/**
 * Reads `CLICKHOUSE_URL`, `CLICKHOUSE_DATABASE`, `CLICKHOUSE_USER` and `CLICKHOUSE_PASSWORD`
 * (`ingest-and-storage.md` §8.1). Empty values count as unset. Defaults: URL
 * `http://clickhouse:8123`; database from the URL's last path segment when it exists and contains
 * neither `?` nor `:`, else `livepeer_analytics`; user `analytics_user`; **no password** (the
 * reference's built-in `analytics_password` is not reproduced, spec decision 66). Explicit
 * variables win over the URL's user info and path, with a notice. As an extension,
 * `CLICKHOUSE_URL=embedded` or `embedded:PATH` selects the embedded engine.
 *
 * @category Configuration
 * @throws {@link ClickHouseAdapterError} `LPA_CH_INVALID_TARGET` when `CLICKHOUSE_URL` is not an
 * http(s) URL or an embedded target.
 * @example
 * clickHouseTargetFromEnv({ CLICKHOUSE_URL: "http://ch:8123/analytics", CLICKHOUSE_PASSWORD: "" })
 * // { target: { kind: "remote", url: "http://ch:8123", username: "analytics_user", database: "analytics" }, notices: [] }
 */
export function clickHouseTargetFromEnv(env: EnvSource): ClickHouseEnvTarget {
  const notices: ConfigNotice[] = [];
  const raw = envValue(env, "CLICKHOUSE_URL") ?? DEFAULT_CLICKHOUSE_URL;
  const username = envValue(env, "CLICKHOUSE_USER");
  const password = envValue(env, "CLICKHOUSE_PASSWORD");
  const database = envValue(env, "CLICKHOUSE_DATABASE");
  const path = embeddedPath(raw);
  if (path !== null) {
    if (path === "")
      throw invalidTarget(`CLICKHOUSE_URL="${redactCredentials(raw)}": the embedded path is empty`);
    for (const [key, value] of [
      ["CLICKHOUSE_USER", username],
      ["CLICKHOUSE_PASSWORD", password],
    ] as const) {
      if (value !== undefined)
        notices.push({
          code: "ignored_value",
          key,
          message: `${key} is ignored by the embedded engine`,
        });
    }
    return {
      target: { kind: "embedded", path, database: database ?? DEFAULT_CLICKHOUSE_DATABASE },
      notices,
    };
  }
  if (!HTTP_URL.test(raw))
    throw invalidTarget(
      `CLICKHOUSE_URL="${redactCredentials(raw)}": expected an http(s) URL, embedded or embedded:PATH`,
    );
  const target = resolveRemote(
    raw,
    {
      ...(username === undefined ? {} : { username }),
      ...(password === undefined ? {} : { password }),
      ...(database === undefined ? {} : { database }),
    },
    notices,
    {
      url: "CLICKHOUSE_URL",
      user: "CLICKHOUSE_USER",
      password: "CLICKHOUSE_PASSWORD",
      database: "CLICKHOUSE_DATABASE",
    },
  );
  return { target, notices };
}

/**
 * Options of {@link createExecutor}.
 *
 * @category Executor
 */
export interface CreateExecutorOptions {
  /** For remote targets: run `CREATE DATABASE IF NOT EXISTS` first. Embedded targets always do. */
  readonly createDatabase?: boolean;
}

/**
 * Opens an executor for a parsed target.
 *
 * @category Executor
 * @example
 * const executor = await createExecutor(parseClickHouseTarget(flags.clickhouse));
 */
export function createExecutor(
  target: ClickHouseTarget,
  options: CreateExecutorOptions = {},
): Promise<ClickHouseExecutor> {
  if (target.kind === "embedded") return createEmbeddedExecutor(target);
  return createRemoteExecutor({
    ...target,
    ...(options.createDatabase === undefined ? {} : { createDatabase: options.createDatabase }),
  });
}

/**
 * An executor opened from the environment, with the target and notices.
 *
 * @category Executor
 */
export interface ClickHouseEnvExecutor extends ClickHouseEnvTarget {
  /** The open executor. */
  readonly executor: ClickHouseExecutor;
}

/**
 * {@link clickHouseTargetFromEnv} followed by {@link createExecutor}.
 *
 * @category Executor
 * @example
 * const { executor, notices } = await executorFromEnv(process.env);
 * for (const n of notices) console.warn(n.message);
 */
export async function executorFromEnv(
  env: EnvSource,
  options: CreateExecutorOptions = {},
): Promise<ClickHouseEnvExecutor> {
  const { target, notices } = clickHouseTargetFromEnv(env);
  const executor = await createExecutor(target, options);
  return { target, notices, executor };
}
