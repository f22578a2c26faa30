/**
 * The snippet of `docs/clickhouse.md`: the engine's outputs into ClickHouse, then the assertion
 * suite. The `#region docs` lines are the guide's code block (`docs.test.ts` checks it); the
 * function around them supplies `lines` and hands the executor to the caller, who closes it.
 */
// #region docs
import { createEngine, type EngineOutput } from "@livepeer-analytics/core/engine";
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

/** Runs the ClickHouse guide's snippet over `lines` (one envelope per line). */
export async function clickhouseGuide(lines: Iterable<string>) {
  // #region docs
  const target = process.env["CLICKHOUSE_URL"] ?? "embedded:./lpa-data";
  const executor = await createExecutor(parseClickHouseTarget(target));
  for (const sql of [...generateDdl({ ttl: false }), ...generateViewDdl()])
    await executor.command(sql);

  const sink = createClickHouseSink(executor, {
    toRow: (table, row) => toClickHouseRow(table as TableName, row as never),
  });
  const engine = createEngine({ preset: "correction" });
  const state = engine.init();
  const write = async (outputs: readonly EngineOutput[]): Promise<void> => {
    for (const o of outputs) await sink.writeOutput(o);
  };
  for (const value of lines) {
    await write(engine.stepInPlace(state, { record: { value }, now: Date.now() }));
    const w = engine.nextWatermark(state);
    if (w !== null) await write(engine.advanceInPlace(state, w));
  }
  await write(engine.flushInPlace(state)); // end of input
  await sink.flush(); // durable: commit consumer offsets after this
  for (const r of await runAssertions(executor)) console.log(r.status, r.name, r.diagnostics);
  // #endregion docs
  await sink.close();
  return executor;
}
