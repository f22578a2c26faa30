import { defineConfig } from "vitest/config";

const sourceCondition = "@livepeer-analytics/source";
const setupFiles = ["./scripts/vitest/setup-fast-check.ts"];

export default defineConfig({
  resolve: { conditions: [sourceCondition] },
  ssr: { resolve: { conditions: [sourceCondition] } },
  test: {
    projects: [
      {
        extends: true,
        test: {
          name: "core",
          include: ["packages/core/src/**/*.test.ts", "packages/core/test/**/*.test.ts"],
          // A non-UTC zone catches any dependence on local time inside the pure core.
          env: { TZ: "Asia/Kolkata" },
          setupFiles: [...setupFiles, "./scripts/vitest/fail-on-console.ts"],
        },
      },
      {
        extends: true,
        test: {
          name: "testing",
          include: ["packages/testing/src/**/*.test.ts"],
          setupFiles,
        },
      },
      {
        extends: true,
        test: {
          name: "clickhouse",
          include: [
            "packages/clickhouse/src/**/*.test.ts",
            "packages/clickhouse/test/**/*.test.ts",
          ],
          setupFiles,
          testTimeout: 120_000,
          hookTimeout: 120_000,
        },
      },
      {
        extends: true,
        test: {
          name: "cli",
          include: ["packages/cli/src/**/*.test.ts", "packages/cli/test/**/*.test.ts"],
          setupFiles,
          testTimeout: 60_000,
        },
      },
      {
        extends: true,
        test: {
          name: "examples",
          include: ["examples/**/*.test.ts"],
          exclude: ["**/node_modules/**"],
          setupFiles,
        },
      },
    ],
  },
});
