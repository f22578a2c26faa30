/**
 * The one ClickHouse the test suites open: {@link openTestDb}.
 *
 * - Default: an embedded ClickHouse (chdb) in a fresh temporary directory named after `prefix`,
 *   removed by `close()`.
 * - Remote mode, when `CLICKHOUSE_URL` is set to an http(s) URL (`embedded…` values keep the
 *   default): the server `clickHouseTargetFromEnv(process.env)` names (its url, user and
 *   password; its database is not used, the suites qualify every name).
 *   The suites create fixed database names (`lpa_fixes`, …), so to keep runs repeatable `command()`
 *   notices each `CREATE DATABASE IF NOT EXISTS <name>` (the first statement of the generated DDL),
 *   drops that database (`DROP DATABASE IF EXISTS`) before creating it the first time, so that
 *   leftovers of an earlier run do not leak in, and `close()` drops every such database again.
 *   Anything else in those databases on that server is lost: point it at a scratch server.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createClient, type ClickHouseClient } from "@clickhouse/client";
import { createChdbConnection } from "chdb/connection";
import { envValue } from "../src/executor/env.js";
import { clickHouseTargetFromEnv } from "../src/executor/target.js";

/** A ClickHouse for one test file, embedded or remote. */
export interface TestDb {
  /** The underlying client. */
  readonly client: ClickHouseClient;
  /** Runs a statement. */
  command(query: string): Promise<void>;
  /** Runs a query and returns its rows. */
  rows<T = Record<string, unknown>>(query: string): Promise<T[]>;
  /** The same as {@link TestDb.rows}: makes the database an executor for `runAssertions`. */
  query<T = Record<string, unknown>>(sql: string): Promise<T[]>;
  /** Inserts `JSONEachRow` objects (an empty array sends nothing). */
  insert(table: string, values: readonly object[]): Promise<void>;
  /** Closes the client and removes the directory (embedded) or the created databases (remote). */
  close(): Promise<void>;
}

/** The connection type `createClient` accepts (chdb ships its own copy of the client types). */
type ClientConnection = NonNullable<NonNullable<Parameters<typeof createClient>[0]>["connection"]>;

const CREATE_DATABASE = /^\s*CREATE\s+DATABASE\s+IF\s+NOT\s+EXISTS\s+(`[^`]+`|\w+)/i;

/**
 * Opens the test ClickHouse: the server `CLICKHOUSE_URL` names when it is an http(s) URL, else chdb
 * on a fresh `<prefix>*` temporary directory.
 */
export function openTestDb(prefix: string): TestDb {
  const target =
    envValue(process.env, "CLICKHOUSE_URL") === undefined
      ? undefined
      : clickHouseTargetFromEnv(process.env).target;
  let client: ClickHouseClient;
  let dir: string | undefined;
  if (target?.kind === "remote") {
    const { url, username, password } = target;
    client = createClient({ url, username, ...(password === undefined ? {} : { password }) });
  } else {
    dir = mkdtempSync(join(tmpdir(), prefix));
    const connection = createChdbConnection({ path: dir }) as unknown as ClientConnection;
    client = createClient({ connection });
  }
  const remote = dir === undefined;
  /** Databases created through `command()` in remote mode, dropped by `close()`. */
  const created = new Set<string>();
  const drop = (name: string): Promise<unknown> =>
    client.command({ query: `DROP DATABASE IF EXISTS ${name}` });
  const rows = async <T>(query: string): Promise<T[]> => {
    const r = await client.query({ query, format: "JSONEachRow" });
    return r.json<T>();
  };
  return {
    client,
    command: async (query) => {
      const name = remote ? CREATE_DATABASE.exec(query)?.[1] : undefined;
      if (name !== undefined && !created.has(name)) {
        created.add(name);
        await drop(name);
      }
      await client.command({ query });
    },
    rows,
    query: rows,
    insert: async (table, values) => {
      if (values.length === 0) return;
      await client.insert({ table, values: values as object[], format: "JSONEachRow" });
    },
    close: async () => {
      try {
        for (const name of created) await drop(name);
      } finally {
        await client.close();
        if (dir !== undefined) rmSync(dir, { recursive: true, force: true });
      }
    },
  };
}
