import { defineConfig } from "tsup";

export default defineConfig({
  entry: { index: "src/index.ts", fixtures: "src/fixtures.ts" },
  format: ["esm", "cjs"],
  dts: { compilerOptions: { ignoreDeprecations: "6.0", composite: false } },
  sourcemap: true,
  clean: true,
  shims: true,
  target: "node20",
});
