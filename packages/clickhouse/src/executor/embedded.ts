/**
 * The embedded executor: ClickHouse in-process through chDB (`chdb/connection`), loaded lazily
 * because `chdb` is an optional peer dependency.
 *
 * @module
 */
import { createClient } from "@clickhouse/client";
import { ClickHouseAdapterError } from "./errors.js";
import { executorOverClient, quoteIdentifier, type ClickHouseExecutor } from "./executor.js";

/**
 * Path that selects chDB's ephemeral in-memory engine instead of a data directory.
 *
 * @category Executor
 */
export const EMBEDDED_IN_MEMORY_PATH = ":memory:";

/**
 * Options of {@link createEmbeddedExecutor}.
 *
 * @category Executor
 */
export interface EmbeddedExecutorOptions {
  /**
   * Data directory of the embedded engine, or {@link EMBEDDED_IN_MEMORY_PATH}. chDB allows one
   * data directory per process at a time: every embedded executor open at the same time must use
   * the same path.
   */
  readonly path: string;
  /** Database to create (if needed) and use for unqualified names. */
  readonly database: string;
}

/** The part of `chdb/connection` this module uses. */
interface ChdbConnectionModule {
  createChdbConnection(options: { path?: string }): unknown;
}

type ClientConnection = NonNullable<NonNullable<Parameters<typeof createClient>[0]>["connection"]>;

function isConnectionModule(value: unknown): value is ChdbConnectionModule {
  return (
    typeof value === "object" &&
    value !== null &&
    typeof (value as { createChdbConnection?: unknown }).createChdbConnection === "function"
  );
}

/**
 * Loads `chdb/connection` through `importer` (a dynamic `import()` by default) and maps any
 * failure to `LPA_CH_EMBEDDED_UNAVAILABLE`.
 *
 * @internal
 */
export async function loadChdbConnectionModule(
  importer: () => Promise<unknown> = () => import("chdb/connection"),
): Promise<ChdbConnectionModule> {
  let mod: unknown;
  try {
    mod = await importer();
  } catch (cause) {
    const code = (cause as { code?: unknown } | null)?.code;
    const missing = code === "ERR_MODULE_NOT_FOUND" || code === "MODULE_NOT_FOUND";
    const detail = cause instanceof Error ? cause.message : String(cause);
    // chdb itself is absent (the usual case: it is an optional peer, never installed by default):
    // one line with the install command. Anything else missing keeps Node's message.
    const chdbAbsent = missing && /Cannot find (?:package|module) 'chdb(?:\/[^']*)?'/.test(detail);
    throw new ClickHouseAdapterError(
      "LPA_CH_EMBEDDED_UNAVAILABLE",
      chdbAbsent
        ? 'Embedded ClickHouse needs the optional package "chdb" (>= 3.4), which is not installed: npm install chdb'
        : missing
          ? `Embedded ClickHouse needs the optional package "chdb" (npm install chdb), which could not be resolved: ${detail}`
          : `The optional peer dependency "chdb" could not be loaded: ${detail}`,
      { cause },
    );
  }
  if (isConnectionModule(mod)) return mod;
  const fallback = (mod as { default?: unknown } | null)?.default;
  if (isConnectionModule(fallback)) return fallback;
  throw new ClickHouseAdapterError(
    "LPA_CH_EMBEDDED_UNAVAILABLE",
    'The installed "chdb" package has no "chdb/connection" createChdbConnection export (chdb >= 3.4 is required)',
  );
}

/**
 * Opens the embedded engine with an explicit module loader (tests inject failing loaders).
 *
 * @internal
 */
export async function openEmbeddedExecutor(
  options: EmbeddedExecutorOptions,
  importer?: () => Promise<unknown>,
): Promise<ClickHouseExecutor> {
  const mod = await loadChdbConnectionModule(importer);
  let connection: unknown;
  try {
    connection = mod.createChdbConnection({ path: options.path });
  } catch (cause) {
    throw new ClickHouseAdapterError(
      "LPA_CH_EMBEDDED_OPEN_FAILED",
      `Cannot open the embedded ClickHouse engine at ${options.path}: ${cause instanceof Error ? cause.message : String(cause)}`,
      { cause, details: { path: options.path } },
    );
  }
  const client = createClient({ connection: connection as ClientConnection });
  try {
    const db = quoteIdentifier(options.database);
    await client.command({ query: `CREATE DATABASE IF NOT EXISTS ${db}` });
    // The session keeps the current database, so unqualified names resolve to it.
    await client.command({ query: `USE ${db}` });
  } catch (cause) {
    await client.close();
    throw new ClickHouseAdapterError(
      "LPA_CH_EMBEDDED_OPEN_FAILED",
      `Cannot prepare database ${options.database} in the embedded engine: ${cause instanceof Error ? cause.message : String(cause)}`,
      { cause, details: { path: options.path, database: options.database } },
    );
  }
  return executorOverClient(client, "embedded", options.database);
}

/**
 * Opens ClickHouse in-process through chDB and creates `database` if needed. `chdb` is loaded with
 * a dynamic `import()` only when this is called; when it is missing the promise rejects with a
 * `ClickHouseAdapterError` of code `LPA_CH_EMBEDDED_UNAVAILABLE`.
 *
 * @category Executor
 * @example
 * const executor = await createEmbeddedExecutor({ path: "./lpa-chdb", database: "livepeer_analytics" });
 * await executor.command("CREATE TABLE t (id UInt32) ENGINE = MergeTree ORDER BY id");
 * await executor.insert("t", [{ id: 1 }]);
 * await executor.query<{ n: number }>("SELECT count() AS n FROM t"); // [{ n: 1 }]
 * await executor.close();
 */
export function createEmbeddedExecutor(
  options: EmbeddedExecutorOptions,
): Promise<ClickHouseExecutor> {
  return openEmbeddedExecutor(options);
}
