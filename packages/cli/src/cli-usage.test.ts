/**
 * Per-command help, one-line usage errors (exit 2) and warnings about flags without effect.
 */
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { realFixturePath } from "@livepeer-analytics/testing/fixtures";
import { COMMAND_HELP, HELP, run } from "./main.js";
import { memoryIo } from "../test/support.js";

const jsonl = realFixturePath("streaming-events-2026-01-08.jsonl");
const tmp = mkdtempSync(join(tmpdir(), "lpa-usage-"));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

async function lpa(argv: string[]): Promise<{ code: number; out: string; err: string }> {
  const m = memoryIo();
  const code = await run(argv, m.io);
  return { code, out: m.out(), err: m.err() };
}

describe("help", () => {
  it.each(Object.keys(COMMAND_HELP))(
    "lpa help %s and lpa %s --help print that command's help (exit 0)",
    async (command) => {
      const viaHelp = await lpa(["help", command]);
      const viaFlag = await lpa([command, "--help"]);
      expect(viaHelp).toEqual({ code: 0, out: COMMAND_HELP[command], err: "" });
      expect(viaFlag).toEqual(viaHelp);
      expect(viaHelp.out).toMatch(new RegExp(`^Usage: lpa ${command} `));
      expect(viaHelp.out).not.toBe(HELP);
    },
  );

  it("bare lpa is a usage error: the help on stderr, exit 2", async () => {
    expect(await lpa([])).toEqual({ code: 2, out: "", err: HELP });
  });

  it("lpa --version prints the version of the package's package.json", async () => {
    const manifest = JSON.parse(
      readFileSync(new URL("../package.json", import.meta.url), "utf8"),
    ) as { version: string };
    expect(await lpa(["--version"])).toEqual({ code: 0, out: `${manifest.version}\n`, err: "" });
  });

  it("lpa help prints the top-level help; lpa help <unknown> is a one-line usage error", async () => {
    expect(await lpa(["help"])).toEqual({ code: 0, out: HELP, err: "" });
    expect(await lpa(["help", "nope"])).toEqual({
      code: 2,
      out: "",
      err: 'lpa: unknown command "nope" (lpa help lists the commands)\n',
    });
  });
});

describe("usage errors: exit 2, one short line, no usage dump", () => {
  it.each([
    [
      ["replay", jsonl, "--resolver-mode", "x"],
      'lpa: --resolver-mode must be legacy_misnamed or native_correct, got "x"',
    ],
    [["replay", jsonl, "--preset", "x"], "lpa: --preset must be correction or reference-compat"],
    [
      ["replay", jsonl, "--latency-semantics", "v9"],
      "lpa: --latency-semantics must be v1, v2 or both",
    ],
    [
      ["replay", jsonl, "--batch-rows", "many"],
      'lpa: --batch-rows expects a non-negative integer, got "many"',
    ],
    [
      ["replay", jsonl, "--bogus"],
      "lpa: unknown option --bogus (lpa replay --help lists the options)",
    ],
    [["replay", jsonl, "--out"], "lpa: --out needs a value"],
    [["replay", jsonl, "--help=1"], "lpa: --help does not take a value"],
    [
      ["validate", jsonl, "--dedup-ttl", "soon"],
      'lpa: --dedup-ttl expects a non-negative integer number of milliseconds, got "soon"',
    ],
    [
      ["query", "SELECT 1", "--format", "xml"],
      "lpa: --format must be table, vertical, json or jsonl",
    ],
    [["ddl", "--latency-semantics", "v3"], "lpa: --latency-semantics must be v1 or v2"],
    [
      ["run", "--out", "x", "--metrics-port", "70000"],
      "lpa: --metrics-port must be a port number (0 to 65535), got 70000",
    ],
    [["frobnicate"], 'lpa: unknown command "frobnicate" (lpa help lists the commands)'],
  ])("lpa %j", async (argv, line) => {
    const r = await lpa(argv);
    expect(r.code).toBe(2);
    expect(r.err).toBe(`${line}\n`);
    expect(r.out).toBe("");
  });

  it("a valid --resolver-mode is accepted in any case, native included", async () => {
    for (const mode of ["native_correct", "Native", "legacy_misnamed"]) {
      const r = await lpa([
        "replay",
        jsonl,
        "--out",
        join(tmp, `r-${mode}`),
        "--resolver-mode",
        mode,
      ]);
      expect(r.code, r.err).toBe(0);
      expect(r.out).not.toMatch(/unknown resolver mode/);
    }
  });
});

describe("flags without effect: one warning line on stderr, exit code unchanged", () => {
  it("ClickHouse flags without --clickhouse", async () => {
    const r = await lpa([
      "replay",
      jsonl,
      "--out",
      join(tmp, "out1"),
      "--database",
      "x",
      "--strict",
      "--batch-rows",
      "5",
      "--json",
    ]);
    expect(r.code).toBe(0);
    expect(r.err).toBe(
      "lpa replay: warning: --database, --batch-rows, --strict have no effect without --clickhouse\n",
    );
  });

  it("no warning when every flag has an effect", async () => {
    const r = await lpa(["replay", jsonl, "--out", join(tmp, "out2"), "--json"]);
    expect(r.code).toBe(0);
    expect(r.err).toBe("");
  });

  it("ddl --latency-semantics with --tables-only; dlq-replay --now with --dry-run", async () => {
    const ddl = await lpa(["ddl", "--tables-only", "--latency-semantics", "v2"]);
    expect(ddl.code).toBe(0);
    expect(ddl.err).toBe(
      "lpa ddl: warning: --latency-semantics has no effect with --tables-only\n",
    );
    // dlq-replay warns before anything else (here a usage error follows, so nothing connects).
    const dlq = await lpa(["dlq-replay", "--dry-run", "--now", "5", "--batch", "0"]);
    expect(dlq.code).toBe(2);
    expect(dlq.err).toBe(
      "lpa dlq-replay: warning: --batch, --now have no effect with --dry-run\n" +
        "lpa: --batch must be at least 1\n",
    );
  });
});
