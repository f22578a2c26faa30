import { defineConfig } from "tsup";

export default defineConfig({
  entry: { index: "src/index.ts" },
  format: ["esm"],
  dts: { compilerOptions: { ignoreDeprecations: "6.0", composite: false } },
  sourcemap: true,
  clean: true,
  target: "node20",
  external: ["chdb", "chdb/connection"],
});
