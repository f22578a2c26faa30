#!/usr/bin/env node
// Runs consumers and examples against the PACKED TARBALLS of the five packages, not the sources
// (issue 12): `npm pack` of each workspace, then consumer projects in a temporary directory whose
// only @livepeer-analytics dependencies are those tarballs (public dependencies come from the npm
// registry or its cache), and in them:
//
//   (a) an ESM TypeScript consumer (`module: nodenext`, type-checked with the repository's
//       TypeScript, run with node), and the installed `lpa` bin;
//   (b) a CommonJS consumer (`.cts`, `import x = require(...)`, run as `.cjs`);
//   (c) a bundler consumer: esbuild bundles an entry importing `@livepeer-analytics/core/engine`
//       from the installed package, and node runs the bundle;
//   (d) the examples gate-and-dedup, validate-file, engine-service and batch-clickhouse, and the
//       testing package's property test (examples/snippets/testing-package.ts), copied as they
//       are, type-checked and run (this project alone installs `chdb`, which batch-clickhouse
//       needs for embedded ClickHouse); kafka-to-clickhouse is copied and type-checked only (it
//       needs a Kafka broker: its own test runs it against a real one).
//
// Every step checks a real value (sessions, served sessions, counts), and the report holds the
// values and the time of each step. Nothing is built here: build first (`npm run build`; `npm test`
// builds before vitest). Usage: `node scripts/pack-check.mjs [--keep]` (--keep leaves the
// temporary directory). scripts/pack-check.test.ts runs it in the `scripts` vitest project.
import { spawn } from "node:child_process";
import { existsSync, lstatSync, mkdirSync, mkdtempSync, readdirSync, readFileSync } from "node:fs";
import { copyFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { performance } from "node:perf_hooks";
import process from "node:process";
import { fileURLToPath, pathToFileURL, URL } from "node:url";
import { build } from "esbuild";

const ROOT = fileURLToPath(new URL("..", import.meta.url));
const PACKAGES = ["core", "testing", "clickhouse", "kafka", "cli"];
const EXAMPLES = [
  "gate-and-dedup",
  "validate-file",
  "engine-service",
  "batch-clickhouse",
  "testing-property",
];
/** Examples copied and type-checked against the tarballs, not run. */
const TYPECHECKED_ONLY = ["kafka-to-clickhouse"];
/** Where an example's `main.ts` comes from, when not `examples/<name>/main.ts`. */
const SOURCES = { "testing-property": join("snippets", "testing-package.ts") };
const SESSION = "stream-o5s73x-mk5zc8fy|db936fab";
const FIXTURE = "streaming-events-2026-01-08.jsonl";
const TSC = join(ROOT, "node_modules", "typescript", "bin", "tsc");

const readJson = (path) => JSON.parse(readFileSync(path, "utf8"));

/** The environment of child processes, without the npm_* variables of a parent `npm test`. */
function childEnv() {
  const env = {};
  for (const [k, v] of Object.entries(process.env))
    if (!k.toLowerCase().startsWith("npm_") && v !== undefined) env[k] = v;
  return env;
}

/** Runs a command that may fail; resolves with its exit code and output. */
function runFailing(command, args, cwd) {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { cwd, env: childEnv(), stdio: ["ignore", "pipe", "pipe"] });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (d) => (stdout += d));
    child.stderr.on("data", (d) => (stderr += d));
    child.on("error", reject);
    child.on("close", (code) => resolve({ code, stdout, stderr }));
  });
}

/** Runs a command; resolves with its stdout, rejects with its output when it fails. */
async function run(command, args, cwd) {
  const { code, stdout, stderr } = await runFailing(command, args, cwd);
  if (code !== 0)
    throw new Error(
      `${command} ${args.join(" ")} (in ${cwd}) exited with ${code}\n${stdout}\n${stderr}`,
    );
  return stdout;
}

/** The stdout of a node script (or its last line), parsed as JSON. */
async function runNodeJson(args, cwd) {
  const out = (await run(process.execPath, args, cwd)).trim();
  try {
    return JSON.parse(out.startsWith("{\n") ? out : (out.split("\n").pop() ?? ""));
  } catch {
    throw new Error(`node ${args.join(" ")}: expected a JSON line, got:\n${out}`);
  }
}

function check(condition, message, value) {
  if (!condition) throw new Error(`pack check: ${message}: ${JSON.stringify(value)}`);
}

/** Bytes under `path` (symbolic links not followed). */
function sizeOf(path) {
  const st = lstatSync(path);
  if (!st.isDirectory()) return st.size;
  let total = 0;
  for (const name of readdirSync(path)) total += sizeOf(join(path, name));
  return total;
}

/** The strict compiler options of the repository, for a consumer that emits JavaScript. */
function consumerCompilerOptions() {
  const base = { ...readJson(join(ROOT, "tsconfig.base.json")).compilerOptions };
  // Consumers resolve the published `types`/`import`/`require` conditions, never the sources; the
  // CommonJS consumer writes `import x = require(...)`, which `erasableSyntaxOnly` forbids.
  for (const k of [
    "erasableSyntaxOnly",
    "customConditions",
    "composite",
    "declaration",
    "declarationMap",
    "emitDeclarationOnly",
  ])
    delete base[k];
  // skipLibCheck off: the published declarations (.d.ts, .d.cts) are checked as a strict user sees them.
  return { ...base, rootDir: "src", outDir: "dist", types: ["node"], skipLibCheck: false };
}

function writeProject(dir, name, dependencies) {
  mkdirSync(join(dir, "src"), { recursive: true });
  const rootDev = readJson(join(ROOT, "package.json")).devDependencies;
  writeFileSync(
    join(dir, "package.json"),
    `${JSON.stringify(
      {
        name,
        private: true,
        type: "module",
        dependencies,
        devDependencies: { "@types/node": rootDev["@types/node"] },
      },
      null,
      2,
    )}\n`,
  );
  writeFileSync(
    join(dir, "tsconfig.json"),
    `${JSON.stringify({ compilerOptions: consumerCompilerOptions(), include: ["src"] }, null, 2)}\n`,
  );
}

/** Installs a consumer project and checks that every package came from its tarball, once. */
async function install(dir) {
  await run(
    "npm",
    ["install", "--prefer-offline", "--no-audit", "--no-fund", "--ignore-scripts"],
    dir,
  );
  const lock = readJson(join(dir, "package-lock.json")).packages;
  const copies = Object.keys(lock).filter((k) =>
    /(^|\/)node_modules\/@livepeer-analytics\//.test(k),
  );
  check(
    copies.length === PACKAGES.length &&
      copies.every((k) => !k.includes("/node_modules/", 1) && lock[k].resolved.startsWith("file:")),
    `${dir}: expected one copy of each package, from its tarball`,
    copies.map((k) => [k, lock[k].resolved]),
  );
}

const ESM_CONSUMER = `import {
  collectFinalTables,
  createEngine,
  createRunner,
  type EngineOutput,
} from "@livepeer-analytics/core/engine";
import { runGate } from "@livepeer-analytics/core/quality";
import { generateDdl, TABLE_NAMES } from "@livepeer-analytics/clickhouse";
import { eventKey } from "@livepeer-analytics/kafka";
import { REPORT_SCHEMA_VERSION } from "@livepeer-analytics/cli";
import { realEventLines } from "@livepeer-analytics/testing/fixtures";

const lines = realEventLines();
const runner = createRunner(createEngine());
const outputs: EngineOutput[] = [];
for (const value of lines) outputs.push(...runner.push({ record: { value }, now: 1_800_000_000_000 }));
outputs.push(...runner.flush());
const sessions = collectFinalTables(outputs).tables["fact_workflow_sessions"] ?? [];
const first = lines[0] ?? "";
console.log(
  JSON.stringify({
    records: lines.length,
    sessions: sessions.map((s) => s["workflow_session_id"]),
    served: sessions.map((s) => s["served_session"]),
    gate: runGate({ value: first, topic: "t" }, { now: 0 }).ok,
    ddlStatements: generateDdl().length,
    tables: TABLE_NAMES.length,
    key: eventKey(first),
    reportSchemaVersion: REPORT_SCHEMA_VERSION,
  }),
);
`;

const CJS_CONSUMER = `import engine = require("@livepeer-analytics/core/engine");
import fixtures = require("@livepeer-analytics/testing/fixtures");

const lines = fixtures.realEventLines();
const runner = engine.createRunner(engine.createEngine());
const outputs: engine.EngineOutput[] = [];
for (const value of lines) outputs.push(...runner.push({ record: { value }, now: 1_800_000_000_000 }));
outputs.push(...runner.flush());
const sessions = engine.collectFinalTables(outputs).tables["fact_workflow_sessions"] ?? [];
console.log(
  JSON.stringify({
    resolved: require.resolve("@livepeer-analytics/core/engine"),
    records: lines.length,
    sessions: sessions.map((s) => s["workflow_session_id"]),
    served: sessions.map((s) => s["served_session"]),
  }),
);
`;

const BUNDLE_ENTRY = `import { readFileSync } from "node:fs";
import { collectFinalTables, createEngine, createRunner } from "@livepeer-analytics/core/engine";

const lines = readFileSync(process.argv[2], "utf8").split("\\n").filter((l) => l !== "");
const runner = createRunner(createEngine());
const outputs = [];
for (const value of lines) outputs.push(...runner.push({ record: { value }, now: 1_800_000_000_000 }));
outputs.push(...runner.flush());
const sessions = collectFinalTables(outputs).tables["fact_workflow_sessions"] ?? [];
console.log(
  JSON.stringify({
    records: lines.length,
    sessions: sessions.map((s) => s.workflow_session_id),
    served: sessions.map((s) => s.served_session),
  }),
);
`;

/** A driver per example: calls its `main` (or service) on real input, prints one JSON line. */
const DRIVERS = {
  "gate-and-dedup": `import { main } from "./main.js";

const ok =
  '{"id":"evt-1","type":"stream_ingest_metrics","timestamp":"1710000000000","data":{"stream_id":"s","request_id":"r"}}';
console.log(JSON.stringify(main([ok, ok, "{not json"])));
`,
  "validate-file": `import { readRealFixture } from "@livepeer-analytics/testing/fixtures";
import { main } from "./main.js";

console.log(
  JSON.stringify(main(readRealFixture("event-logs-streaming-events-2026-01-08.json"), 1_800_000_000_000)),
);
`,
  "engine-service": `import { realEventLines } from "@livepeer-analytics/testing/fixtures";
import { startService, type TablesResponse } from "./main.js";

const service = await startService(0);
try {
  const posted = await fetch(\`\${service.url}/events\`, {
    method: "POST",
    body: realEventLines().join("\\n"),
  });
  const ingest: unknown = await posted.json();
  await fetch(\`\${service.url}/flush\`, { method: "POST" });
  const final = (await (await fetch(\`\${service.url}/tables\`)).json()) as TablesResponse;
  const sessions = final.tables["fact_workflow_sessions"] ?? [];
  console.log(
    JSON.stringify({
      ingest,
      sessions: sessions.map((s) => s["workflow_session_id"]),
      served: sessions.map((s) => s["served_session"]),
      dlq: final.dlq,
      quarantine: final.quarantine,
    }),
  );
} finally {
  await service.close();
}
`,
  "testing-property": `import { testingPackage } from "./main.js";

testingPackage(); // fast-check: throws when the property fails
console.log(JSON.stringify({ passed: true }));
`,
  "batch-clickhouse": `import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { realFixturePath } from "@livepeer-analytics/testing/fixtures";
import { main } from "./main.js";

const dir = mkdtempSync(join(tmpdir(), "lpa-pack-check-chdb-"));
try {
  console.log(JSON.stringify(await main(realFixturePath("${FIXTURE}"), dir)));
} finally {
  rmSync(dir, { recursive: true, force: true });
}
`,
};

/**
 * Packs the five packages and runs the consumers and examples against the tarballs. Resolves with
 * the checked values and the time of each step (ms); rejects with the first failure.
 *
 * @param {{ log?: (line: string) => void, keep?: boolean }} [options]
 */
export async function packCheck({ log = () => undefined, keep = false } = {}) {
  const started = performance.now();
  const timings = {};
  const step = async (name, fn) => {
    const t0 = performance.now();
    const result = await fn();
    timings[name] = Math.round(performance.now() - t0);
    log(`pack check: ${name}: ${timings[name]} ms`);
    return result;
  };
  for (const p of PACKAGES)
    check(
      existsSync(join(ROOT, "packages", p, "dist")),
      `packages/${p}/dist is missing: run \`npm run build\` first`,
      p,
    );

  const tmp = mkdtempSync(join(tmpdir(), "lpa-pack-check-"));
  log(`pack check: working in ${tmp}`);
  try {
    // 1. The tarballs, exactly as `npm publish` would upload them (no lifecycle scripts: no build).
    const tarballDir = join(tmp, "tarballs");
    mkdirSync(tarballDir);
    const packed = await step("npm pack", async () => {
      const args = ["pack", "--json", "--ignore-scripts", "--pack-destination", tarballDir];
      for (const p of PACKAGES) args.push("--workspace", `@livepeer-analytics/${p}`);
      const out = await run("npm", args, ROOT);
      return JSON.parse(out.slice(out.indexOf("[")));
    });
    check(packed.length === PACKAGES.length, "npm pack: one tarball per package", packed.length);
    const tarballs = {};
    const tarballInfo = {};
    for (const t of packed) {
      const files = t.files.map((f) => f.path);
      check(
        files.some((f) => f.startsWith("dist/")) && !files.some((f) => f.endsWith(".test.ts")),
        `${t.name}: dist/ packed, tests left out`,
        files.filter((f) => f.endsWith(".test.ts")),
      );
      tarballs[t.name] = `file:${join(tarballDir, t.filename)}`;
      tarballInfo[t.name] = { file: t.filename, size: t.size, files: t.entryCount };
    }

    // 2. The library consumers (a), (b), (c): the five tarballs, no chdb.
    const libs = join(tmp, "consumer");
    writeProject(libs, "lpa-pack-check-consumer", tarballs);
    writeFileSync(join(libs, "src", "esm.ts"), ESM_CONSUMER);
    writeFileSync(join(libs, "src", "cjs.cts"), CJS_CONSUMER);
    writeFileSync(join(libs, "bundle-entry.mjs"), BUNDLE_ENTRY);
    await step("install consumer (tarballs, no chdb)", () => install(libs));
    check(!existsSync(join(libs, "node_modules", "chdb")), "chdb stays out of the consumer", libs);
    await step("tsc consumer (esm.ts, cjs.cts)", () =>
      run(process.execPath, [TSC, "-p", "."], libs),
    );

    const esm = await step("(a) run ESM consumer", () => runNodeJson(["dist/esm.js"], libs));
    check(
      esm.records === 65 &&
        esm.sessions.join() === SESSION &&
        esm.served.join() === "1" &&
        esm.gate === true &&
        esm.ddlStatements > 0 &&
        esm.tables > 0 &&
        typeof esm.key === "string",
      "(a) ESM consumer",
      esm,
    );
    const fixture = join(
      libs,
      "node_modules",
      "@livepeer-analytics",
      "testing",
      "fixtures",
      "real",
    );
    const lpa = await step("(a) run installed lpa bin", () =>
      runNodeJson(
        [join(libs, "node_modules", ".bin", "lpa"), "validate", join(fixture, FIXTURE), "--json"],
        libs,
      ).then((r) => ({ records: r.events.read, accepted: r.events.accepted, dlq: r.events.dlq })),
    );
    check(lpa.records === 65 && lpa.accepted === 65 && lpa.dlq === 0, "(a) lpa validate", lpa);
    const lpaBin = join(libs, "node_modules", ".bin", "lpa");
    const version = (await run(process.execPath, [lpaBin, "--version"], libs)).trim();
    const cliVersion = readJson(join(ROOT, "packages", "cli", "package.json")).version;
    check(version === cliVersion, "(a) lpa --version is the packed package's version", version);
    // chdb is an optional peer, not installed here: the embedded target says how to add it.
    const noChdb = await runFailing(
      process.execPath,
      [lpaBin, "replay", join(fixture, FIXTURE), "--clickhouse", "embedded:./no-chdb-data"],
      libs,
    );
    // (the target line, then one error line naming the install; no stack trace)
    const noChdbLines = noChdb.stderr.trimEnd().split("\n");
    check(
      noChdb.code === 1 &&
        noChdbLines.length <= 2 &&
        noChdbLines[noChdbLines.length - 1].includes("npm install chdb"),
      "(a) lpa replay --clickhouse embedded without chdb: an error line naming the install",
      noChdb,
    );

    const cjsSource = readFileSync(join(libs, "dist", "cjs.cjs"), "utf8");
    check(
      cjsSource.includes('require("@livepeer-analytics/core/engine")'),
      "(b) the CommonJS consumer compiles to require()",
      cjsSource.slice(0, 300),
    );
    const cjs = await step("(b) run CommonJS consumer", () => runNodeJson(["dist/cjs.cjs"], libs));
    check(
      cjs.resolved.endsWith(join("core", "dist", "engine", "index.cjs")) &&
        cjs.records === 65 &&
        cjs.sessions.join() === SESSION &&
        cjs.served.join() === "1",
      "(b) CommonJS consumer",
      cjs,
    );

    const bundle = await step("(c) esbuild bundle", async () => {
      const result = await build({
        entryPoints: [join(libs, "bundle-entry.mjs")],
        absWorkingDir: libs,
        bundle: true,
        platform: "node",
        format: "esm",
        outfile: join(libs, "bundle.mjs"),
        metafile: true,
        logLevel: "silent",
      });
      const inputs = Object.keys(result.metafile.inputs);
      return {
        bytes: Object.values(result.metafile.outputs)[0]?.bytes ?? 0,
        fromCoreDist: inputs.filter((i) =>
          i.startsWith("node_modules/@livepeer-analytics/core/dist/"),
        ).length,
        fromCoreSrc: inputs.filter((i) => i.includes("@livepeer-analytics/core/src/")).length,
      };
    });
    check(bundle.fromCoreDist > 0 && bundle.fromCoreSrc === 0, "(c) bundled from dist/", bundle);
    const bundled = await step("(c) run bundle", () =>
      runNodeJson(["bundle.mjs", join(fixture, FIXTURE)], libs),
    );
    check(
      bundled.records === 65 &&
        bundled.sessions.join() === SESSION &&
        bundled.served.join() === "1",
      "(c) bundle",
      bundled,
    );

    // 3. The examples (d), copied as they are: the tarballs and chdb (batch-clickhouse).
    const ex = join(tmp, "examples");
    const chdbSpec = readJson(join(ROOT, "package.json")).devDependencies["chdb"];
    writeProject(ex, "lpa-pack-check-examples", { ...tarballs, chdb: chdbSpec });
    for (const name of [...EXAMPLES, ...TYPECHECKED_ONLY]) {
      mkdirSync(join(ex, "src", name));
      const source = join(ROOT, "examples", SOURCES[name] ?? join(name, "main.ts"));
      copyFileSync(source, join(ex, "src", name, "main.ts"));
      if (DRIVERS[name] !== undefined)
        writeFileSync(join(ex, "src", name, "run.ts"), DRIVERS[name]);
    }
    await step("install examples (tarballs and chdb)", () => install(ex));
    const chdbBytes = ["chdb", "@chdb"]
      .map((d) => join(ex, "node_modules", d))
      .filter((d) => existsSync(d))
      .reduce((sum, d) => sum + sizeOf(d), 0);
    await step("tsc examples", () => run(process.execPath, [TSC, "-p", "."], ex));
    const examples = {};
    for (const name of EXAMPLES)
      examples[name] = await step(`(d) run ${name}`, () =>
        runNodeJson([join("dist", name, "run.js")], ex),
      );

    const gate = examples["gate-and-dedup"];
    check(
      gate.length === 3 &&
        gate[0] === "accepted stream_ingest_metrics" &&
        gate[1] === "quarantine duplicate_event" &&
        gate[2].startsWith("dlq json_parse_error: "),
      "(d) gate-and-dedup",
      gate,
    );
    const tally = examples["validate-file"];
    check(
      tally.input === 65 &&
        Object.values(tally.acceptedByType).reduce((a, b) => a + b, 0) === 65 &&
        Object.keys(tally.dlqByReason).length === 0 &&
        tally.rowsByTable["raw_stream_ingest_metrics"] === 34,
      "(d) validate-file",
      tally,
    );
    const service = examples["engine-service"];
    check(
      service.ingest.records === 65 &&
        service.sessions.join() === SESSION &&
        service.served.join() === "1" &&
        service.dlq === 0 &&
        service.quarantine === 0,
      "(d) engine-service",
      service,
    );
    check(examples["testing-property"].passed === true, "(d) testing-property", examples);
    for (const name of TYPECHECKED_ONLY)
      check(existsSync(join(ex, "dist", name, "main.js")), `(d) ${name} type-checked`, name);
    const batch = examples["batch-clickhouse"];
    check(
      batch.records === 65 &&
        batch.sessions.map((s) => s.id).join() === SESSION &&
        batch.demand.served === 1 &&
        batch.inserted["fact_workflow_sessions"] === 1,
      "(d) batch-clickhouse",
      batch,
    );

    return {
      tarballs: tarballInfo,
      esm,
      lpa,
      cjs,
      bundle: { ...bundle, ...bundled },
      examples,
      chdbBytes,
      timings,
      totalMs: Math.round(performance.now() - started),
    };
  } finally {
    if (keep) log(`pack check: kept ${tmp}`);
    else rmSync(tmp, { recursive: true, force: true });
  }
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  try {
    const report = await packCheck({
      log: (line) => process.stderr.write(`${line}\n`),
      keep: process.argv.includes("--keep"),
    });
    process.stdout.write(`${JSON.stringify(report, null, 2)}\n`);
  } catch (error) {
    process.stderr.write(`${error instanceof Error ? error.message : String(error)}\n`);
    process.exitCode = 1;
  }
}
