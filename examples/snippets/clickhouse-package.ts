/**
 * The snippet of `packages/clickhouse/README.md`. The `#region docs` lines are the README's code
 * block (`docs.test.ts` checks it); the function around them hands the results and the executor to
 * the caller, who closes it.
 */
// #region docs
import {
  createClickHouseSink,
  createExecutor,
  generateDdl,
  generateViewDdl,
  parseClickHouseTarget,
  runAssertions,
  toClickHouseRow,
  type TableName,
} from "@livepeer-analytics/clickhouse";

// #endregion docs
import type { EngineOutput } from "@livepeer-analytics/core/engine";

/** Runs the ClickHouse README's snippet, writing `engineOutputs` where the comment says so. */
export async function clickhousePackage(engineOutputs: readonly EngineOutput[]) {
  // #region docs
  const url = process.env["CLICKHOUSE_URL"] ?? "embedded:./lpa-data";
  const executor = await createExecutor(parseClickHouseTarget(url));
  for (const sql of [...generateDdl(), ...generateViewDdl()]) await executor.command(sql);
  const sink = createClickHouseSink(executor, {
    toRow: (table, row) => toClickHouseRow(table as TableName, row as never),
  });
  // for each engine output: await sink.writeOutput(output); then await sink.flush() before committing offsets
  // #endregion docs
  for (const output of engineOutputs) await sink.writeOutput(output);
  await sink.flush();
  // #region docs
  const results = await runAssertions(executor);
  // #endregion docs
  await sink.close();
  return { executor, results };
}
