// @ts-check
import js from "@eslint/js";
import tseslint from "typescript-eslint";

const pureCoreRules = {
  "no-restricted-imports": [
    "error",
    {
      patterns: [
        {
          group: [
            "node:*",
            "fs",
            "fs/*",
            "path",
            "os",
            "child_process",
            "crypto",
            "stream",
            "zlib",
            "url",
          ],
          message: "core is I/O-free: no Node modules.",
        },
        {
          group: ["@clickhouse/*", "@platformatic/*", "kafkajs", "chdb", "chdb/*"],
          message: "core must not depend on adapters.",
        },
        { group: ["@livepeer-analytics/*"], message: "core must not import sibling packages." },
      ],
    },
  ],
  "no-restricted-globals": [
    "error",
    { name: "process", message: "core reads no environment." },
    { name: "Buffer", message: "use the primitives' UTF-8/Base64 helpers." },
    { name: "setTimeout", message: "time comes from events and watermarks." },
    { name: "setInterval", message: "time comes from events and watermarks." },
    { name: "fetch", message: "core is I/O-free." },
    { name: "performance", message: "core reads no clock." },
  ],
  "no-restricted-properties": [
    "error",
    {
      object: "Date",
      property: "now",
      message: "core reads no clock: take an explicit now/watermark.",
    },
    { object: "Math", property: "random", message: "core is deterministic." },
    { object: "crypto", property: "randomUUID", message: "core is deterministic." },
    { object: "console", message: "core does not log." },
  ],
  "no-restricted-syntax": [
    "error",
    {
      selector: "NewExpression[callee.name='Date'][arguments.length=0]",
      message: "core reads no clock.",
    },
  ],
};

export default tseslint.config(
  {
    ignores: [
      "**/node_modules/**",
      "**/dist/**",
      "**/.tsc/**",
      "docs/api/**",
      "coverage/**",
      "packages/cli/bin/**",
    ],
  },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    rules: {
      "@typescript-eslint/no-unused-vars": [
        "error",
        { argsIgnorePattern: "^_", varsIgnorePattern: "^_", caughtErrors: "none" },
      ],
      "@typescript-eslint/consistent-type-imports": ["error", { fixStyle: "inline-type-imports" }],
    },
  },
  {
    // Tests feed control characters and imprecise literals to the primitives on purpose.
    files: ["**/*.test.ts"],
    rules: { "no-control-regex": "off", "no-loss-of-precision": "off" },
  },
  {
    files: ["packages/core/src/**/*.ts"],
    ignores: ["packages/core/src/**/*.test.ts"],
    rules: pureCoreRules,
  },
);
