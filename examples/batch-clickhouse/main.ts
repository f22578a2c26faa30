/**
 * A batch job into ClickHouse with the package API: read a JSONL file of envelopes, run it through
 * the engine to the end of input, write every output (rows, DLQ and quarantine envelopes) into an
 * embedded ClickHouse (chdb) through the batched sink, then read the result back from the serving
 * views.
 *
 * Run as a script: `node examples/batch-clickhouse/main.ts FILE.jsonl [DATA_DIR]` (see README.md).
 */
import { createHash } from "node:crypto";
import { readFileSync } from "node:fs";
import { pathToFileURL } from "node:url";
import {
  createClickHouseSink,
  createExecutor,
  generateDdl,
  generateViewDdl,
  toClickHouseRow,
  type TableName,
} from "@livepeer-analytics/clickhouse";
import { createEngine, createRunner } from "@livepeer-analytics/core/engine";

const DATABASE = "livepeer_analytics";

export interface BatchSummary {
  /** Lines read from the file. */
  readonly records: number;
  /** Rows the sink inserted, per table. */
  readonly inserted: Record<string, number>;
  /** `v_api_session_identity`: one row per session. */
  readonly sessions: { readonly id: string; readonly orchestrator: string }[];
  /** `v_api_network_demand`: sessions, served and unserved, summed over its hours. */
  readonly demand: {
    readonly sessions: number;
    readonly served: number;
    readonly unserved: number;
  };
}

/** Runs `file` (JSONL) through the engine into an embedded ClickHouse stored in `dataDir`. */
export async function main(file: string, dataDir: string): Promise<BatchSummary> {
  const lines = readFileSync(file, "utf8")
    .split("\n")
    .filter((line) => line.trim() !== "");
  const engine = createEngine(
    // Final emission: one row per identity, written once, at the end of input.
    { emission: "final" },
    { sha256Hex: (s) => createHash("sha256").update(s, "utf8").digest("hex") },
  );
  const runner = createRunner(engine);

  const executor = await createExecutor({ kind: "embedded", path: dataDir, database: DATABASE });
  try {
    // Tables without row TTLs (old events are kept), then the serving views over them.
    for (const sql of [
      ...generateDdl({ database: DATABASE, ttl: false }),
      ...generateViewDdl({
        database: DATABASE,
        servingEdgeSemanticsVersion: engine.config.lifecycle.servingEdgeSemanticsVersion,
      }),
    ])
      await executor.command(sql);

    const sink = createClickHouseSink(executor, {
      toRow: (table, row) => toClickHouseRow(table as TableName, row as never),
    });
    const now = Date.now();
    for (const value of lines)
      for (const output of runner.push({ record: { value, topic: file }, now }))
        await sink.writeOutput(output);
    for (const output of runner.flush()) await sink.writeOutput(output);
    await sink.close(); // flushes every batch
    const inserted: Record<string, number> = {};
    for (const [table, stats] of Object.entries(sink.stats().tables).sort(([a], [b]) =>
      a.localeCompare(b),
    ))
      inserted[table] = stats.insertedRows;

    const sessions = await executor.query<{
      workflow_session_id: string;
      orchestrator_address: string;
    }>(
      `SELECT workflow_session_id, orchestrator_address FROM ${DATABASE}.v_api_session_identity ORDER BY workflow_session_id`,
    );
    const [demand] = await executor.query<{
      sessions: number | string;
      served: number | string;
      unserved: number | string;
    }>(
      `SELECT sum(sessions_count) AS sessions, sum(served_sessions) AS served, sum(unserved_sessions) AS unserved FROM ${DATABASE}.v_api_network_demand`,
    );
    return {
      records: lines.length,
      inserted,
      sessions: sessions.map((s) => ({
        id: s.workflow_session_id,
        orchestrator: s.orchestrator_address,
      })),
      demand: {
        sessions: Number(demand?.sessions ?? 0),
        served: Number(demand?.served ?? 0),
        unserved: Number(demand?.unserved ?? 0),
      },
    };
  } finally {
    await executor.close();
  }
}

// As a script: `node main.ts FILE.jsonl [DATA_DIR]` prints the summary.
if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const [file, dataDir = "batch-clickhouse-data"] = process.argv.slice(2);
  if (file === undefined) {
    process.stderr.write("usage: node main.ts FILE.jsonl [DATA_DIR]\n");
    process.exit(2);
  }
  process.stdout.write(`${JSON.stringify(await main(file, dataDir), null, 2)}\n`);
}
