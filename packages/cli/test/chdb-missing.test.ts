/**
 * `chdb` is an optional peer of the CLI: `--clickhouse embedded` without it must end with one
 * line that names the install command. The child process gets a Node module-resolution hook
 * (`--import`, `module.register`) that makes `chdb` unresolvable, so the installed chdb stays.
 */
import { existsSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { realFixturePath } from "@livepeer-analytics/testing/fixtures";
import { buildCli, killRunning, runLpa, type BuiltCli } from "./child.js";

const dir = mkdtempSync(join(tmpdir(), "lpa-cli-nochdb-"));
let cli: BuiltCli;

beforeAll(async () => {
  writeFileSync(
    join(dir, "hide-chdb.mjs"),
    [
      "export async function resolve(specifier, context, next) {",
      '  if (specifier === "chdb" || specifier.startsWith("chdb/")) {',
      "    const error = new Error(`Cannot find package 'chdb' imported from ${context.parentURL}`);",
      '    error.code = "ERR_MODULE_NOT_FOUND";',
      "    throw error;",
      "  }",
      "  return next(specifier, context);",
      "}",
      "",
    ].join("\n"),
  );
  writeFileSync(
    join(dir, "register.mjs"),
    'import { register } from "node:module";\nregister("./hide-chdb.mjs", import.meta.url);\n',
  );
  cli = await buildCli();
});

afterAll(() => {
  killRunning();
  cli?.dispose();
  rmSync(dir, { recursive: true, force: true });
});

describe("--clickhouse embedded without chdb", () => {
  it("fails with exit code 1 and one line naming npm install chdb", async () => {
    const data = join(dir, "lpa-data");
    const r = await runLpa(
      cli,
      [
        "replay",
        realFixturePath("streaming-events-2026-01-08.jsonl"),
        "--clickhouse",
        `embedded:${data}`,
      ],
      { NODE_OPTIONS: `--import="${join(dir, "register.mjs")}"`, LPA_DEBUG: "" },
    );
    expect(r.code, r.err).toBe(1);
    const lines = r.err.trimEnd().split("\n");
    expect(lines.at(-1)).toBe(
      'lpa: Embedded ClickHouse needs the optional package "chdb" (>= 3.4), which is not installed: npm install chdb',
    );
    expect(r.err).not.toMatch(/internal error|\n\s+at /);
    expect(existsSync(data)).toBe(false);
  });
});
