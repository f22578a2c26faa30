// Guards the time rules of the suite, so that it keeps passing on a busy 2-core CI machine:
// property tests are sized by their number of runs (fast-check numRuns), never by wall time, and
// every test runs under a generous per-test limit that only catches hangs.
import { readdirSync, readFileSync } from "node:fs";
import { join, sep } from "node:path";
import { fileURLToPath } from "node:url";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import config from "../../vitest.config.ts";

/** The smallest per-test / per-hook limit allowed anywhere, ms (vitest's default is 5 s). */
const FLOOR_MS = 60_000;
const ROOT = fileURLToPath(new URL("../..", import.meta.url));
const SETUP = "./scripts/vitest/setup-fast-check.ts";
/** This file: it names the knobs it forbids, and is no property test. */
const SELF = "scripts/vitest/timeouts.test.ts";
const SKIP = new Set(["node_modules", "dist", ".tsc", "fixtures", "coverage"]);

interface Project {
  readonly name: string;
  readonly include: readonly string[];
  readonly exclude: readonly string[];
  readonly setupFiles: readonly string[];
  readonly testTimeout: number | undefined;
  readonly hookTimeout: number | undefined;
}

const projects: Project[] = (
  (config.test?.projects ?? []) as { test?: Record<string, unknown> }[]
).map(({ test = {} }) => ({
  name: String(test["name"]),
  include: (test["include"] as string[] | undefined) ?? [],
  exclude: (test["exclude"] as string[] | undefined) ?? [],
  setupFiles: [test["setupFiles"] ?? []].flat() as string[],
  testTimeout: test["testTimeout"] as number | undefined,
  hookTimeout: test["hookTimeout"] as number | undefined,
}));

/** A glob of the vitest config (`**`, `*`, `?`) as an anchored regular expression. */
function globToRegExp(glob: string): RegExp {
  let re = "";
  for (let i = 0; i < glob.length; i++) {
    const c = glob[i]!;
    if (glob.startsWith("**/", i)) {
      re += "(?:.*/)?";
      i += 2;
    } else if (glob.startsWith("**", i)) {
      re += ".*";
      i += 1;
    } else if (c === "*") re += "[^/]*";
    else if (c === "?") re += "[^/]";
    else re += c.replace(/[.+^${}()|[\]\\]/g, "\\$&");
  }
  return new RegExp(`^${re}$`);
}

const matches = (globs: readonly string[], file: string): boolean =>
  globs.some((g) => globToRegExp(g.replace(/^\.\//, "")).test(file));

/** Test files under `dir` (repository-relative, `/`-separated). */
function testFiles(dir: string): string[] {
  const out: string[] = [];
  for (const entry of readdirSync(join(ROOT, dir), { withFileTypes: true })) {
    const path = `${dir}/${entry.name}`;
    if (entry.isDirectory()) {
      if (!SKIP.has(entry.name)) out.push(...testFiles(path));
    } else if (entry.name.endsWith(".test.ts")) out.push(path);
  }
  return out;
}

/** A property test uses fast-check: `fc.assert` / `fc.property` / `fc.sample`, or imports it. */
const isPropertyTest = (text: string): boolean =>
  /\bfc\.(assert|property|asyncProperty|check|sample)\s*\(/.test(text) ||
  /from\s+["']fast-check["']/.test(text);

/**
 * Explicit time limits written in a test file, ms: a trailing `}, N);` argument of `it` /
 * `describe`, `{ timeout: N }`, `testTimeout` / `hookTimeout: N`, and fast-check's wall-time knobs
 * (`interruptAfterTimeLimit`, `skipAllAfterTimeLimit`), which count as a limit of 0 (never allowed).
 */
function explicitLimits(text: string): { readonly what: string; readonly ms: number }[] {
  const found: { what: string; ms: number }[] = [];
  const num = (s: string): number => Number(s.replace(/_/g, ""));
  for (const m of text.matchAll(/^\s*\}\s*,\s*([\d_]+)\s*\)/gm))
    found.push({ what: m[0].trim(), ms: num(m[1]!) });
  for (const m of text.matchAll(/\b(timeout|testTimeout|hookTimeout)\s*:\s*([\d_]+)/g))
    found.push({ what: m[0], ms: num(m[2]!) });
  for (const m of text.matchAll(/\b(interruptAfterTimeLimit|skipAllAfterTimeLimit)\b/g))
    found.push({ what: m[0], ms: 0 });
  return found;
}

const allTests = ["packages", "examples", "scripts"]
  .flatMap(testFiles)
  .map((f) => f.split(sep).join("/"));
const propertyTests = allTests.filter(
  (f) => f !== SELF && isPropertyTest(readFileSync(join(ROOT, f), "utf8")),
);

describe("time limits of the suite", () => {
  it("finds the property tests", () => {
    expect(propertyTests.length).toBeGreaterThan(20);
    expect(propertyTests).toContain("packages/core/src/attribution/attribution.prop.test.ts");
  });

  it.each(projects.map((p) => [p.name, p] as const))(
    "project %s gives every test and hook at least the floor",
    (_name, p) => {
      expect(p.testTimeout, "testTimeout").toBeGreaterThanOrEqual(FLOOR_MS);
      expect(p.hookTimeout, "hookTimeout").toBeGreaterThanOrEqual(FLOOR_MS);
    },
  );

  it("runs every property test in exactly one project, with the shared fast-check setup", () => {
    const problems: string[] = [];
    for (const file of propertyTests) {
      const owners = projects.filter((p) => matches(p.include, file) && !matches(p.exclude, file));
      if (owners.length !== 1)
        problems.push(`${file}: in ${owners.length} projects (${owners.map((p) => p.name)})`);
      for (const p of owners)
        if (!p.setupFiles.includes(SETUP)) problems.push(`${file}: ${p.name} lacks ${SETUP}`);
    }
    expect(problems).toEqual([]);
  });

  it("has no property test lowering the limit or sizing itself by wall time", () => {
    const problems = propertyTests.flatMap((file) =>
      explicitLimits(readFileSync(join(ROOT, file), "utf8"))
        .filter((l) => l.ms < FLOOR_MS)
        .map((l) => `${file}: ${l.what}`),
    );
    expect(problems).toEqual([]);
  });

  it("sizes fast-check runs by count in the shared configuration", () => {
    const global = fc.readConfigureGlobal();
    expect(global.numRuns).toBeGreaterThanOrEqual(1);
    expect(Number.isInteger(global.seed)).toBe(true);
    expect(global.interruptAfterTimeLimit).toBeUndefined();
    expect(global.skipAllAfterTimeLimit).toBeUndefined();
    expect(global.timeout).toBeUndefined();
    const setup = readFileSync(join(ROOT, SETUP), "utf8").replace(/^\s*\/\/.*$/gm, "");
    expect(explicitLimits(setup)).toEqual([]);
  });

  it("recognizes the limits it looks for", () => {
    const text = [
      'it("a", () => {',
      "}, 5_000);",
      'it("b", { timeout: 2000 }, () => {});',
      "fc.assert(p, { interruptAfterTimeLimit: 20_000 });",
      "expect(num({}, 4)).toBe(4);",
      "  }, 120_000);",
    ].join("\n");
    expect(explicitLimits(text).map((l) => l.ms)).toEqual([5000, 120_000, 2000, 0]);
    expect(globToRegExp("packages/core/src/**/*.test.ts").test("packages/core/src/a.test.ts")).toBe(
      true,
    );
    expect(globToRegExp("**/node_modules/**").test("examples/node_modules/x/y.test.ts")).toBe(true);
    expect(globToRegExp("examples/**/*.test.ts").test("examples/a/b/c.test.ts")).toBe(true);
    expect(globToRegExp("packages/cli/src/**/*.test.ts").test("packages/core/src/a.test.ts")).toBe(
      false,
    );
  });
});
