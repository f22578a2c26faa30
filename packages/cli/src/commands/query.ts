/**
 * `lpa query` and `lpa ddl`: read ClickHouse (embedded by default) and print the SDK's DDL.
 *
 * @module
 */
import { parseArgs } from "node:util";
import { isPlainIdentifier, renderDdl, renderViewDdl } from "@livepeer-analytics/clickhouse";
import {
  DEFAULT_CLICKHOUSE_TARGET,
  openExecutor,
  reachingClickHouse,
  resolveClickHouseTarget,
} from "../clickhouse.js";
import { givenFlags, warnNoEffect } from "../args.js";
import { UsageError } from "../io.js";
import type { CliIo } from "../main.js";
import { renderRows } from "../table.js";

/**
 * Checks a ClickHouse database name up front: the SDK's DDL takes plain identifiers (letters,
 * digits and `_`, not starting with a digit). A usage error names the option it came from.
 */
export function checkDatabaseName(name: string, source = "--database"): void {
  if (!isPlainIdentifier(name))
    throw new UsageError(
      `${source} ${JSON.stringify(name)} is not a ClickHouse database name (letters, digits and _, not starting with a digit)`,
    );
}

/** Help text of `lpa query`. */
export const QUERY_HELP = `Usage: lpa query [options] "SQL"

Runs one SQL statement against ClickHouse and prints its rows. Unqualified table names resolve to
the SDK database, so "SELECT * FROM v_api_sla_compliance" works after "lpa replay --clickhouse".
Nothing else is sent (no CREATE DATABASE): a read-only user can query.

Options (flags win over the environment variables in brackets):
  --clickhouse TARGET   embedded (./lpa-data, the default) | embedded:PATH | http(s)://...
                        [CLICKHOUSE_URL; user CLICKHOUSE_USER, password CLICKHOUSE_PASSWORD]
  --database NAME       database (default livepeer_analytics) [CLICKHOUSE_DATABASE]
  --password-file FILE  read the password from FILE (one line; not visible in ps)
  --format F            table (default) | vertical | json | jsonl
  -h, --help            show this help
`;

/** Help text of `lpa ddl`. */
export const DDL_HELP = `Usage: lpa ddl [options]

Prints the SDK's ClickHouse DDL: every table, materialized view and serving view, in the order they
must be applied. Every statement is idempotent (IF NOT EXISTS / CREATE OR REPLACE VIEW).

Options:
  --database NAME       database (default livepeer_analytics) [CLICKHOUSE_DATABASE]
  --no-ttl              omit the row TTLs (for loading old captures)
  --tables-only         omit the serving views
  --latency-semantics V latency definition the serving views read: v1 (default) | v2
  -h, --help            show this help
`;

/** Runs `lpa query`; returns the exit code. */
export async function queryCommand(argv: readonly string[], io: CliIo): Promise<number> {
  const { values, positionals } = parseArgs({
    args: [...argv],
    allowPositionals: true,
    strict: true,
    options: {
      clickhouse: { type: "string" },
      database: { type: "string" },
      "password-file": { type: "string" },
      format: { type: "string", default: "table" },
      help: { type: "boolean", short: "h", default: false },
    },
  });
  if (values.help) {
    io.stdout.write(QUERY_HELP);
    return 0;
  }
  if (positionals.length !== 1) throw new UsageError("lpa query needs exactly one SQL argument");
  if (!["table", "vertical", "json", "jsonl"].includes(values.format))
    throw new UsageError("--format must be table, vertical, json or jsonl");
  const resolved = resolveClickHouseTarget(values, process.env, {
    useUrlFromEnv: true,
    fallback: DEFAULT_CLICKHOUSE_TARGET,
  })!;
  const { target } = resolved;
  checkDatabaseName(target.database, resolved.databaseSource);
  for (const n of resolved.notices) io.stderr.write(`lpa query: warning: ${n}\n`);
  // Read-only: the database is not created, no DDL is sent.
  const executor = await reachingClickHouse(target, () =>
    openExecutor(target, { createDatabase: false }),
  );
  try {
    const rows = await reachingClickHouse(target, () =>
      executor.query<Record<string, unknown>>(positionals[0]!),
    );
    io.stdout.write(renderRows(rows, values.format));
  } finally {
    await executor.close();
  }
  return 0;
}

/** Runs `lpa ddl`; returns the exit code. */
export function ddlCommand(argv: readonly string[], io: CliIo): number {
  const { values } = parseArgs({
    args: [...argv],
    allowPositionals: false,
    strict: true,
    options: {
      database: { type: "string" },
      "no-ttl": { type: "boolean", default: false },
      "tables-only": { type: "boolean", default: false },
      "latency-semantics": { type: "string" },
      help: { type: "boolean", short: "h", default: false },
    },
  });
  if (values.help) {
    io.stdout.write(DDL_HELP);
    return 0;
  }
  if (values["tables-only"])
    warnNoEffect(io.stderr, "ddl", givenFlags(values, ["latency-semantics"]), "with --tables-only");
  const semantics = values["latency-semantics"] ?? "v1";
  if (semantics !== "v1" && semantics !== "v2")
    throw new UsageError("--latency-semantics must be v1 or v2");
  // The database as every ClickHouse command takes it: --database, else CLICKHOUSE_DATABASE.
  const name = values.database ?? (process.env["CLICKHOUSE_DATABASE"] || undefined);
  if (name !== undefined) checkDatabaseName(name);
  const database = name === undefined ? {} : { database: name };
  let text: string;
  try {
    text = renderDdl({ ...database, ttl: !values["no-ttl"] });
    if (!values["tables-only"]) {
      text += "\n" + renderViewDdl({ ...database, servingEdgeSemanticsVersion: semantics });
    }
  } catch (error) {
    throw new UsageError((error as Error).message);
  }
  io.stdout.write(text);
  return 0;
}
