import { defineConfig } from "tsup";

/**
 * The public entry points (the `exports` map of package.json); their declarations are bundled
 * into `dist/<entry>.d.ts` / `.d.cts`.
 */
const publicEntries = {
  index: "src/index.ts",
  "primitives/index": "src/primitives/index.ts",
  "events/index": "src/events/index.ts",
  "quality/index": "src/quality/index.ts",
  "operator/index": "src/operator/index.ts",
  "lifecycle/index": "src/lifecycle/index.ts",
  "latency/index": "src/latency/index.ts",
  "attribution/index": "src/attribution/index.ts",
  "engine/index": "src/engine/index.ts",
};

/** The sources: one output module per file (tests excluded). */
const SRC = "src";

/** `require("./x.js")` / `require("../y/z.js")`: a relative import of a sibling output file. */
const RELATIVE_JS_REQUIRE = /\brequire\((["'])(\.{1,2}\/[^"']*?)\.js\1\)/g;

/**
 * One output module per source file (`bundle: false`), ESM and CJS, so that a bundler keeps only
 * the modules a user imports (with `"sideEffects": false`): no shared chunks that drag module-level
 * state of unrelated operators along. esbuild keeps the source's `./x.js` specifiers as they are,
 * which is right for ESM; in the CJS build they are rewritten to the `.cjs` siblings.
 */
export default defineConfig({
  // Every source module is built; the public entry points (checked against package.json by
  // test/structure.test.ts) are `publicEntries` above.
  entry: [`${SRC}/**/*.ts`, `!${SRC}/**/*.test.ts`, `!${SRC}/**/*.test-d.ts`],
  bundle: false,
  format: ["esm", "cjs"],
  dts: {
    entry: publicEntries,
    compilerOptions: { ignoreDeprecations: "6.0", composite: false },
  },
  sourcemap: true,
  clean: true,
  target: "node20",
  plugins: [
    {
      name: "cjs-relative-requires",
      renderChunk(code) {
        if (this.format !== "cjs") return undefined;
        return { code: code.replace(RELATIVE_JS_REQUIRE, "require($1$2.cjs$1)") };
      },
    },
  ],
});
