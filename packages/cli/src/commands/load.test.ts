/**
 * `lpa load`: engine outputs written as JSONL part files (as a Flink job around `lpa sidecar`
 * writes them) load into exactly what `lpa replay` writes from the same events, into JSONL and
 * into embedded ClickHouse (chDB, one data directory for this file).
 */
import { createHash } from "node:crypto";
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  createEngine,
  createRunner,
  resolveEngineConfig,
  type EngineOutput,
} from "@livepeer-analytics/core/engine";
import { oversizeRecordOutputs } from "@livepeer-analytics/core/quality";
import { realEventLines, realisticEventLines } from "@livepeer-analytics/testing/fixtures";
import { describeInput, forEachInputRecord } from "../io.js";
import { run } from "../main.js";
import { MANIFEST_FILE, type RunManifest } from "../output.js";
import type { ReplaySummary } from "../summary.js";
import { memoryIo } from "../../test/support.js";
import { parseEngineOutputLine } from "./load.js";

const tmp = mkdtempSync(join(tmpdir(), "lpa-load-"));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

/** The `--now` of the replay and of the engine run that writes the part files. */
const NOW = 1_767_909_500_000;
const events = join(tmp, "events.jsonl");
const parts = join(tmp, "flink-out");

async function lpa(args: string[]): Promise<{ code: number; out: string; err: string }> {
  const m = memoryIo();
  const code = await run(args, m.io);
  return { code, out: m.out(), err: m.err() };
}

/** Every `<table>.jsonl` of a directory, each as its sorted lines. */
function tableLines(dir: string): Record<string, string[]> {
  const out: Record<string, string[]> = {};
  for (const f of readdirSync(dir)
    .filter((x) => x.endsWith(".jsonl"))
    .sort()) {
    const text = readFileSync(join(dir, f), "utf8");
    out[f] = text === "" ? [] : text.trimEnd().split("\n").sort();
  }
  return out;
}

beforeAll(async () => {
  writeFileSync(events, [...realEventLines(), ...realisticEventLines(2_000, 20, 11)].join("\n"));
  // The engine as lpa replay runs it: final emission, the same records (read by the same reader),
  // ingestion time --now, receive time the CLI clock; every timer flushed at the end.
  const resolved = resolveEngineConfig({ emission: "final" });
  if (!resolved.ok) throw new Error(resolved.error.issues.join("; "));
  const sha256 = (text: string): string => createHash("sha256").update(text, "utf8").digest("hex");
  const engine = createEngine(resolved.config, { sha256Hex: sha256 });
  const runner = createRunner(engine, engine.init());
  const m = memoryIo();
  const outputs: EngineOutput[] = [];
  await forEachInputRecord(
    [describeInput(events)],
    {
      command: "test",
      io: m.io,
      snapshotTs: undefined,
      maxRecordBytes: engine.config.gate.maxRecordBytes,
      onOversize: (o) => {
        outputs.push(...oversizeRecordOutputs(o, NOW));
      },
    },
    (record) => {
      outputs.push(...runner.push({ record, now: NOW, receivedAt: m.io.clock() }));
    },
  );
  outputs.push(...runner.flush());
  expect(outputs.some((o) => o.kind === "dlq")).toBe(true);
  expect(outputs.some((o) => o.kind === "quarantine")).toBe(true);

  // A FileSink-like tree: buckets of part files, one with blank lines (\r\n ends too), and
  // in-progress files starting with a dot (garbage that must not be read).
  const files = [
    join(parts, "2026-01-08--10", "part-7f3a-0"),
    join(parts, "2026-01-08--10", "part-7f3a-1"),
    join(parts, "2026-01-08--11", "nested", "part-91bc-0"),
    join(parts, "2026-01-08--11", "part-91bc-1"),
  ];
  const per = Math.ceil(outputs.length / files.length);
  files.forEach((file, i) => {
    mkdirSync(join(file, ".."), { recursive: true });
    const lines = outputs.slice(i * per, (i + 1) * per).map((o) => JSON.stringify(o));
    writeFileSync(file, i === 1 ? `\n${lines.join("\r\n")}\r\n\n` : lines.join("\n") + "\n");
  });
  writeFileSync(join(parts, "2026-01-08--11", ".part-91bc-2.inprogress.1f0e"), '{"kind":"ro');
  mkdirSync(join(parts, ".staging"));
  writeFileSync(join(parts, ".staging", "part-0"), "not an output\n");
});

describe("lpa load", () => {
  it(
    "writes the same table files, lines and summary as lpa replay of the same events",
    { timeout: 120_000 },
    async () => {
      const a = join(tmp, "load-out");
      const b = join(tmp, "replay-out");
      const loaded = await lpa(["load", parts, "--out", a, "--json"]);
      expect(loaded.code, loaded.err).toBe(0);
      const replayed = await lpa(["replay", events, "--now", String(NOW), "--out", b, "--json"]);
      expect(replayed.code, replayed.err).toBe(0);

      const la = tableLines(a);
      const lb = tableLines(b);
      expect(Object.keys(la)).toEqual(Object.keys(lb));
      expect(Object.keys(la).length).toBeGreaterThan(10);
      for (const name of Object.keys(lb)) expect(la[name], name).toEqual(lb[name]);
      // The same manifest (tables and row counts; no state, flushed), each naming its writer.
      const ma = JSON.parse(readFileSync(join(a, MANIFEST_FILE), "utf8")) as RunManifest;
      const mb = JSON.parse(readFileSync(join(b, MANIFEST_FILE), "utf8")) as RunManifest;
      expect(ma.writer).toBe("lpa load");
      expect(mb.writer).toBe("lpa replay");
      expect({ ...ma, writer: null }).toEqual({ ...mb, writer: null });

      const sa = JSON.parse(loaded.out) as ReplaySummary;
      const sb = JSON.parse(replayed.out) as ReplaySummary;
      expect(sa.schemaVersion).toBe(sb.schemaVersion);
      for (const key of [
        "events",
        "dlqByReason",
        "quarantineByReason",
        "sessions",
        "attribution",
        "latency",
        "tables",
        "counters",
        "corrections",
        "mode",
        "flushed",
      ] as const)
        expect(sa[key], key).toEqual(sb[key]);
      // Four part files in sorted order; the dot files are not read; blank lines are counted.
      expect(sa.inputs.map((i) => i.name.slice(parts.length + 1))).toEqual([
        "2026-01-08--10/part-7f3a-0",
        "2026-01-08--10/part-7f3a-1",
        "2026-01-08--11/nested/part-91bc-0",
        "2026-01-08--11/part-91bc-1",
      ]);
      expect(sa.inputs[1]!.skippedBlank).toBe(2);
      expect(sa.inputs[1]!.notes).toEqual(["2 blank line(s) skipped"]);
      expect(sa.outDir).toBe(a);
      expect(sa.clickhouse).toBeNull();

      // The human summary renders too.
      const text = await lpa(["load", parts, "--out", join(tmp, "load-text")]);
      expect(text.code, text.err).toBe(0);
      expect(text.out).toMatch(/^table +final rows +emitted$/m);
    },
  );

  it("fails naming file:line on a corrupt line and writes nothing", async () => {
    const dir = join(tmp, "corrupt");
    mkdirSync(join(dir, "b"), { recursive: true });
    const good = readFileSync(join(parts, "2026-01-08--10", "part-7f3a-0"), "utf8");
    writeFileSync(join(dir, "a-part-0"), good);
    const lines = good.split("\n").slice(0, 2);
    const bad = join(dir, "b", "part-1");
    writeFileSync(bad, [...lines, '{"kind":"row","table":"fact_nope","row":{}}', ""].join("\n"));
    const out = join(tmp, "corrupt-out");
    const r = await lpa(["load", dir, "--out", out]);
    expect(r.code).toBe(2);
    expect(r.err).toBe(`lpa: ${bad}:3: not an engine output: unknown table "fact_nope"\n`);
    expect(r.out).toBe("");
    expect(existsSync(out)).toBe(false);

    // An existing --out keeps its previous outputs.
    writeFileSync(bad, [...lines, "{not json", ""].join("\n"));
    mkdirSync(out);
    writeFileSync(join(out, "previous.jsonl"), "{}\n");
    const again = await lpa(["load", join(dir, "a-part-0"), bad, "--out", out]);
    expect(again.code).toBe(2);
    expect(again.err).toMatch(
      new RegExp(`^lpa: ${bad.replace(/[.\\]/g, "\\$&")}:3: not an engine output: not JSON`),
    );
    expect(readdirSync(out)).toEqual(["previous.jsonl"]);
  });

  it("usage: inputs, engine flags, flags without effect", async () => {
    expect(await lpa(["load"])).toEqual({
      code: 2,
      out: "",
      err: "lpa: lpa load needs at least one file or directory of engine outputs\n",
    });
    const empty = join(tmp, "empty");
    mkdirSync(join(empty, ".hidden"), { recursive: true });
    writeFileSync(join(empty, ".part-0.inprogress"), "{}\n");
    expect((await lpa(["load", empty])).err).toBe(
      `lpa: no files to load in ${empty} (dot files are skipped)\n`,
    );
    expect((await lpa(["load", parts, "--lateness", "5"])).err).toBe(
      "lpa: unknown option --lateness (lpa load --help lists the options)\n",
    );
    const r = await lpa(["load", parts, "--out", join(tmp, "warn-out"), "--strict", "--json"]);
    expect(r.code).toBe(0);
    expect(r.err).toBe("lpa load: warning: --strict has no effect without --clickhouse\n");
  });

  it("checks each kind of output", () => {
    const reason = (line: string): string | null => {
      const p = parseEngineOutputLine(line);
      return p.ok ? null : p.reason;
    };
    expect(reason('{"kind":"counter","name":"late_events","delta":2}')).toBeNull();
    expect(reason('{"kind":"counter","name":"nope","delta":2}')).toBe('unknown counter "nope"');
    expect(reason('{"kind":"counter","name":"late_events","delta":"2"}')).toMatch(/integer/);
    expect(reason('{"kind":"row","table":"raw_streaming_events","row":[]}')).toMatch(
      /object "row"/,
    );
    expect(reason('{"kind":"row","table":"raw_streaming_events_dlq","row":{}}')).toMatch(
      /unknown table/,
    );
    expect(reason('{"kind":"dlq","envelope":{"schemaVersion":"v1"}}')).toMatch(
      /^invalid dlq envelope: envelope\.source: /,
    );
    expect(reason('{"kind":"row","table":"fact_workflow_sessions","row":{"x":1}}')).toBe(
      'fact_workflow_sessions has no column "x"',
    );
    expect(
      reason('{"kind":"row","table":"fact_workflow_sessions","row":{"workflow_session_id":"s"}}'),
    ).toBe('a fact_workflow_sessions row needs a numeric "version"');
    expect(reason('{"kind":"watermark"}')).toMatch(/"kind" must be/);
    expect(reason("[1]")).toBe("not a JSON object");
  });

  it(
    "--clickhouse embedded:PATH loads the outputs and the assertions pass",
    { timeout: 120_000 },
    async () => {
      const target = `embedded:${join(tmp, "db")}`;
      const r = await lpa(["load", parts, "--clickhouse", target, "--reset-database", "--json"]);
      expect(r.code, r.err).toBe(0);
      const s = JSON.parse(r.out) as ReplaySummary;
      expect(s.outDir).toBeNull();
      const ch = s.clickhouse!;
      expect(ch.retries).toBe(0);
      // Every row of the JSONL output went in.
      const manifest = JSON.parse(readFileSync(join(tmp, "replay-out", MANIFEST_FILE), "utf8")) as {
        tables: Record<string, number>;
      };
      expect(ch.inserted).toEqual(manifest.tables);
      expect(ch.assertions).not.toBeNull();
      expect(ch.assertions!.length).toBeGreaterThan(0);
      const failed = ch.assertions!.filter((a) => !a.passed);
      expect(failed, JSON.stringify(failed)).toEqual([]);
      expect(ch.views["v_api_network_demand"]).toBeGreaterThan(0);
    },
  );
});
