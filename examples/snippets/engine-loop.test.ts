import { mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { PassThrough, Readable } from "node:stream";
import { afterAll, afterEach, expect, it, vi } from "vitest";
import { processIo, run } from "@livepeer-analytics/cli";
import { collectFinalTables, type EngineOutput } from "@livepeer-analytics/core/engine";
import type { RejectedEventEnvelope } from "@livepeer-analytics/core/quality";
import { realEventLines } from "@livepeer-analytics/testing/fixtures";
import { engineLoop } from "./engine-loop.js";

const NOW = 1_800_000_000_000;
const LINES = realEventLines();
const tmp = mkdtempSync(join(tmpdir(), "lpa-snippet-engine-loop-"));

afterEach(() => {
  vi.useRealTimers();
});
afterAll(() => {
  rmSync(tmp, { recursive: true, force: true });
});

/** Runs the README loop; the snippet's `Date.now()` is pinned to `NOW`. */
function readmeLoop(lines: readonly string[]): {
  tables: Record<string, Record<string, unknown>[]>;
  rejects: RejectedEventEnvelope[];
} {
  vi.useFakeTimers({ toFake: ["Date"], now: NOW });
  const outputs: EngineOutput[] = [];
  const rejects: RejectedEventEnvelope[] = [];
  engineLoop(lines, {
    sink: { write: (table, row) => outputs.push({ kind: "row", table, row } as EngineOutput) },
    rejects: { write: (envelope) => rejects.push(envelope) },
  });
  vi.useRealTimers();
  return { tables: collectFinalTables(outputs).tables, rejects };
}

/**
 * Final tables of `lpa replay` over the same lines (on stdin) and configuration: the CLI writes
 * one JSONL file per table with the latest version of every row.
 */
async function cliTables(lines: readonly string[]): Promise<Record<string, object[]>> {
  const dir = mkdtempSync(join(tmp, "out-"));
  const stdout = new PassThrough().resume();
  const stderr = new PassThrough().resume();
  const stdin = Readable.from([Buffer.from(lines.join("\n") + "\n")]);
  const io = { ...processIo(), stdout, stderr, stdin, clock: () => NOW };
  const args = ["--out", dir, "--preset", "correction", "--latency-semantics", "both", "--json"];
  expect(await run(["replay", "-", ...args], io)).toBe(0);
  const tables: Record<string, object[]> = {};
  for (const file of readdirSync(dir).filter((f) => f.endsWith(".jsonl"))) {
    const text = readFileSync(join(dir, file), "utf8").trimEnd();
    if (text !== "")
      tables[file.replace(/\.jsonl$/, "")] = text.split("\n").map((l) => JSON.parse(l));
  }
  return tables;
}

/**
 * Tables compared as sets of rows, `version` aside: the loop runs the default coalesced emission
 * and the CLI emits each row once, when final, so versions count different numbers of emissions
 * and rows come out in another order.
 */
function canonical(tables: Record<string, object[]>): Record<string, string[]> {
  return Object.fromEntries(
    Object.entries(tables).map(([t, rows]) => [
      t,
      rows.map((r) => JSON.stringify({ ...r, version: undefined })).sort(),
    ]),
  );
}

it("ends with the CLI's final tables on every prefix of the real session", async () => {
  // A file can end anywhere: on most prefixes of this session the end-of-input flush still
  // finalizes rows, so a loop that drops the flush's outputs loses them here.
  for (let n = 1; n <= LINES.length; n++) {
    const lines = LINES.slice(0, n);
    const loop = readmeLoop(lines);
    expect(loop.rejects).toEqual([]);
    expect(canonical(loop.tables), `first ${n} lines`).toEqual(canonical(await cliTables(lines)));
  }
});

it("writes rejects to the rejects sink with their reason codes", () => {
  const { rejects, tables } = readmeLoop([LINES[0]!, LINES[0]!, "{not json"]);
  expect(rejects.map((r) => r.failure.reason)).toEqual(["duplicate_event", "json_parse_error"]);
  expect(tables["raw_stream_trace_events"]).toHaveLength(1);
});
