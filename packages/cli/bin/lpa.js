#!/usr/bin/env node
// Entry point of the `lpa` command. The implementation is the built ESM bundle in ../dist.
import { existsSync } from "node:fs";
import { fileURLToPath } from "node:url";

const entry = new URL("../dist/main.js", import.meta.url);
if (!existsSync(fileURLToPath(entry))) {
  process.stderr.write(
    "lpa: the CLI is not built yet; run `npm run build` at the repository root.\n",
  );
  process.exit(1);
}
const { run } = await import(entry.href);
process.exitCode = await run(process.argv.slice(2));
