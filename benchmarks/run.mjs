#!/usr/bin/env node
// Bundles a benchmark (TypeScript, workspace packages resolved to their source) with esbuild and
// runs it in a fresh Node process with --expose-gc. Usage: node benchmarks/run.mjs <name> [args...]
import { spawnSync } from "node:child_process";
import { mkdirSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import process from "node:process";
import { build } from "esbuild";

const here = dirname(fileURLToPath(import.meta.url));
const [name = "gate", ...args] = process.argv.slice(2);
const outdir = join(here, ".tsc", "bundles");
mkdirSync(outdir, { recursive: true });
const outfile = join(outdir, `${name}.mjs`);
await build({
  entryPoints: [join(here, `${name}.bench.ts`)],
  bundle: true,
  platform: "node",
  format: "esm",
  target: "node20",
  outfile,
  conditions: ["@livepeer-analytics/source"],
  // Fixture paths are resolved relative to the installed package, so it stays external (built dist).
  external: ["fast-check", "@livepeer-analytics/testing/fixtures", "chdb", "chdb/connection"],
  logLevel: "warning",
  banner: {
    js: "import { createRequire } from 'node:module'; const require = createRequire(import.meta.url);",
  },
});
const r = spawnSync(
  process.execPath,
  ["--expose-gc", "--max-old-space-size=4096", outfile, ...args],
  { stdio: "inherit" },
);
process.exit(r.status ?? 1);
