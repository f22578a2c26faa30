import { defineConfig } from "tsup";

export default defineConfig({
  entry: {
    index: "src/index.ts",
    "primitives/index": "src/primitives/index.ts",
    "events/index": "src/events/index.ts",
    "quality/index": "src/quality/index.ts",
    "operator/index": "src/operator/index.ts",
    "lifecycle/index": "src/lifecycle/index.ts",
    "latency/index": "src/latency/index.ts",
    "attribution/index": "src/attribution/index.ts",
    "engine/index": "src/engine/index.ts",
  },
  format: ["esm", "cjs"],
  dts: { compilerOptions: { ignoreDeprecations: "6.0", composite: false } },
  sourcemap: true,
  clean: true,
  target: "node20",
  treeshake: true,
});
