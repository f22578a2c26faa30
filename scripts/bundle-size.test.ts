// Guards tree-shaking of the published `@livepeer-analytics/core` (issue 12): a user who imports
// one small function must get that function, not the operators, immer and zod around it. Each case
// bundles a one-line entry file with esbuild (minified ESM, platform-neutral) and resolves the
// import through the package name, as a user's bundler would: the package's `exports` map, its
// `import` condition and the built dist/ (`npm test` runs `npm run build` before vitest; run
// `npm run build -w @livepeer-analytics/core` first when running this file alone).
import { existsSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { build } from "esbuild";
import { beforeAll, describe, expect, it } from "vitest";

const ROOT = fileURLToPath(new URL("..", import.meta.url));
const CORE_DIST = "packages/core/dist/";

/** Generous: a bundle takes well under a second, but the CI machine is busy. */
const TIMEOUT_MS = 300_000;

interface Case {
  /** The import specifier, exactly as a user writes it. */
  readonly specifier: string;
  readonly symbol: string;
  /** Largest allowed bundle, bytes of minified output. */
  readonly limit: number;
}

const CASES: readonly Case[] = [
  { specifier: "@livepeer-analytics/core/lifecycle", symbol: "workflowSessionId", limit: 2_000 },
  { specifier: "@livepeer-analytics/core/quality", symbol: "runGate", limit: 40_000 },
  // The root entry re-exports every subpath: with `"sideEffects": false` it must shake as well.
  { specifier: "@livepeer-analytics/core", symbol: "workflowSessionId", limit: 2_000 },
  { specifier: "@livepeer-analytics/core", symbol: "runGate", limit: 40_000 },
];

interface Measured {
  readonly bytes: number;
  /** Input files of the bundle (paths relative to the repository root), largest share first. */
  readonly inputs: readonly { readonly path: string; readonly bytes: number }[];
}

async function bundle({ specifier, symbol }: Case): Promise<Measured> {
  const result = await build({
    stdin: {
      contents: `export { ${symbol} } from "${specifier}";\n`,
      resolveDir: ROOT,
      sourcefile: "entry.mjs",
      loader: "js",
    },
    absWorkingDir: ROOT,
    bundle: true,
    minify: true,
    format: "esm",
    platform: "neutral",
    mainFields: ["module", "main"],
    write: false,
    metafile: true,
    logLevel: "silent",
  });
  const [out] = result.outputFiles;
  const meta = Object.values(result.metafile.outputs)[0];
  if (out === undefined || meta === undefined) throw new Error("esbuild wrote no output");
  const inputs = Object.entries(meta.inputs)
    .map(([path, i]) => ({ path, bytes: i.bytesInOutput }))
    .filter((i) => i.path !== "entry.mjs")
    .sort((a, b) => b.bytes - a.bytes);
  return { bytes: out.contents.byteLength, inputs };
}

describe("bundle size of @livepeer-analytics/core", () => {
  beforeAll(() => {
    if (!existsSync(`${ROOT}${CORE_DIST}index.js`))
      throw new Error(`${CORE_DIST} is missing: run \`npm run build -w @livepeer-analytics/core\``);
  });

  it.each(CASES.map((c) => [c.symbol, c.specifier, c] as const))(
    "bundles %s from %s small",
    { timeout: TIMEOUT_MS },
    async (_symbol, _specifier, c) => {
      const { bytes, inputs } = await bundle(c);
      const top = inputs
        .slice(0, 8)
        .map((i) => `  ${i.bytes} B ${i.path}`)
        .join("\n");
      console.log(
        `bundle size: { ${c.symbol} } from "${c.specifier}": ${bytes} B (limit ${c.limit} B)\n${top}`,
      );
      // Resolved as published (dist/ through the exports map), never through the sources.
      expect(inputs.some((i) => i.path.startsWith(CORE_DIST))).toBe(true);
      expect(inputs.filter((i) => i.path.startsWith("packages/core/src/"))).toEqual([]);
      expect(
        bytes,
        `minified bundle larger than ${c.limit} B; largest inputs:\n${top}`,
      ).toBeLessThanOrEqual(c.limit);
    },
  );
});
