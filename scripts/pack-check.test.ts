// The packed tarballs, not the sources (issue 12): scripts/pack-check.mjs packs the five packages,
// installs them in consumer projects in a temporary directory and runs an ESM TypeScript consumer,
// a CommonJS consumer, an esbuild bundle and the examples against them. It builds nothing: `npm
// test` builds before vitest (run `npm run build` first when running this file alone).
import { expect, test } from "vitest";
import { packCheck } from "./pack-check.mjs";

const SESSION = "stream-o5s73x-mk5zc8fy|db936fab";

test(
  "consumers and examples run against the packed tarballs",
  // Two installs from the npm cache (one with chdb, about 570 MB), two type-checks and eleven
  // runs: about 30 s on an idle 2-core machine, far more on a busy one.
  { timeout: 900_000 },
  async () => {
    const report = await packCheck({ log: (line: string) => console.log(line) });
    console.log(`pack check: ${report.totalMs} ms in all`);
    expect(Object.keys(report.tarballs).sort()).toEqual([
      "@livepeer-analytics/cli",
      "@livepeer-analytics/clickhouse",
      "@livepeer-analytics/core",
      "@livepeer-analytics/kafka",
      "@livepeer-analytics/testing",
    ]);
    // (a) ESM TypeScript, and the installed `lpa` bin.
    expect(report.esm).toMatchObject({ records: 65, sessions: [SESSION], served: [1], gate: true });
    expect(report.lpa).toEqual({ records: 65, accepted: 65, dlq: 0 });
    // (b) CommonJS: the `require` build of core.
    expect(report.cjs.resolved).toMatch(/core[\\/]dist[\\/]engine[\\/]index\.cjs$/);
    expect(report.cjs).toMatchObject({ records: 65, sessions: [SESSION], served: [1] });
    // (c) esbuild bundle of the installed dist/.
    expect(report.bundle).toMatchObject({ fromCoreSrc: 0, sessions: [SESSION], served: [1] });
    // (d) The examples.
    const { examples } = report;
    expect(examples["gate-and-dedup"]).toEqual([
      "accepted stream_ingest_metrics",
      "quarantine duplicate_event",
      expect.stringMatching(/^dlq json_parse_error: /),
    ]);
    expect(examples["validate-file"]).toMatchObject({ input: 65, dlqByReason: {} });
    expect(examples["engine-service"]).toEqual({
      ingest: { records: 65, dlq: 0, quarantine: 0 },
      sessions: [SESSION],
      served: [1],
      dlq: 0,
      quarantine: 0,
    });
    expect(examples["batch-clickhouse"]).toMatchObject({
      records: 65,
      sessions: [{ id: SESSION, orchestrator: "0xd00354656922168815fcd1e51cbddb9e359e3c7f" }],
      demand: { sessions: 1, served: 1, unserved: 0 },
    });
    expect(examples["testing-property"]).toEqual({ passed: true });
  },
);
