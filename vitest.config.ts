import { defineConfig } from "vitest/config";

const sourceCondition = "@livepeer-analytics/source";
const setupFiles = ["./scripts/vitest/setup-fast-check.ts"];
/**
 * Per-test (and per-hook) time limit of every project. Property tests are sized by their number of
 * runs (fast-check `numRuns`, see scripts/vitest/setup-fast-check.ts), never by wall time: this
 * limit only catches a hang, so it is generous enough for the suite on a busy 2-core machine
 * (vitest's 5 s default is not). scripts/vitest/timeouts.test.ts keeps it that way.
 */
const timeouts = { testTimeout: 120_000, hookTimeout: 120_000 };

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
          ...timeouts,
        },
      },
      {
        extends: true,
        test: {
          name: "testing",
          include: ["packages/testing/src/**/*.test.ts"],
          setupFiles,
          ...timeouts,
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
          ...timeouts,
        },
      },
      {
        extends: true,
        test: {
          name: "kafka",
          include: ["packages/kafka/src/**/*.test.ts", "packages/kafka/test/**/*.test.ts"],
          // One real broker for the whole project (tests that restart a broker start their own).
          globalSetup: ["./scripts/vitest/kafka-broker.ts"],
          // Files run one at a time: each spawns brokers, runners and embedded ClickHouse.
          fileParallelism: false,
          setupFiles,
          ...timeouts,
        },
      },
      {
        extends: true,
        test: {
          name: "cli",
          include: ["packages/cli/src/**/*.test.ts", "packages/cli/test/**/*.test.ts"],
          setupFiles,
          ...timeouts,
        },
      },
      {
        extends: true,
        test: {
          name: "examples",
          include: ["examples/**/*.test.ts"],
          exclude: ["**/node_modules/**"],
          setupFiles,
          ...timeouts,
        },
      },
      {
        extends: true,
        test: {
          name: "scripts",
          include: ["scripts/**/*.test.ts"],
          setupFiles,
          ...timeouts,
        },
      },
    ],
  },
});
