// The runner of the Flink example (`./run`): builds the job if needed, starts a Kafka broker
// (`lpa dev-kafka`), the sidecar (`lpa sidecar`) and the job on a local Flink MiniCluster, produces
// the input, runs the job until every record is consumed, writes the final tables the way
// `lpa replay --out` does (`lpa load`), stops everything it started and exits 0. See README.md.
import { spawn, spawnSync } from "node:child_process";
import { createInterface } from "node:readline";
import {
  createWriteStream,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
  writeFileSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import process from "node:process";
import { clearTimeout, setTimeout } from "node:timers";
import { fileURLToPath, URL } from "node:url";
import { parseArgs } from "node:util";
import { createKafkaJsClient, defaultCacheDir } from "@livepeer-analytics/kafka";

const HERE = fileURLToPath(new URL(".", import.meta.url));
const LPA = fileURLToPath(new URL("../../packages/cli/bin/lpa.js", import.meta.url));
const JOB_JAR = join(HERE, "target", "lpa-flink-sidecar-0.1.0.jar");
const JOB_LIB = join(HERE, "target", "lib");
const BUILT_MARKER = join(HERE, "target", ".lpa-built");
const MAIN_CLASS = "io.livepeer.analytics.flink.LpaFlinkJob";
const COUNT_CLASS = "io.livepeer.analytics.flink.CountTopic";

/** `--add-opens` flags Flink's Kryo serialisation of JDK types needs on Java 17. */
const ADD_OPENS = [
  "java.base/java.lang",
  "java.base/java.net",
  "java.base/java.io",
  "java.base/java.nio",
  "java.base/sun.nio.ch",
  "java.base/java.lang.reflect",
  "java.base/java.text",
  "java.base/java.time",
  "java.base/java.util",
  "java.base/java.util.concurrent",
  "java.base/java.util.concurrent.atomic",
  "java.base/java.util.concurrent.locks",
].map((p) => `--add-opens=${p}=ALL-UNNAMED`);

export const HELP = `Usage: examples/flink-sidecar/run --input FILE... --out DIR [options]

Runs the Flink job of this example over the input files and writes its final tables to --out as
JSONL, the way \`lpa replay --out\` does. Builds the job (Maven) when its sources changed, starts
a Kafka broker (lpa dev-kafka), the sidecar (lpa sidecar) and a local Flink MiniCluster, produces
the input to a one-partition topic, runs the job until every record is consumed (the source is
bounded at the topic's end: every operator flushes, the sinks commit with the final checkpoint), loads the job's output files
(lpa load), stops everything and exits 0. Prints a JSON summary on stdout.

Options:
  --input FILE             input file (repeatable; read like lpa replay's inputs)
  --out DIR                final tables, one JSONL file per table
  --parallelism N          parallelism of the keyed stages (default 2)
  --batch N                records per sidecar call (default 5000)
  --sidecars N             sidecar processes to start (default 1); subtask i of each stage calls
                           sidecar i mod N
  --now MS                 processing time given to the engine for every record (default: each
                           record's broker timestamp, as lpa run); give lpa replay the same --now
                           to compare
  --checkpoint-interval-ms N   (default 2000)
  --preset NAME, --config FILE, --latency-semantics V
                           engine configuration, passed to the sidecar (as lpa replay takes them)
  --fail-after-inputs N    fault test: lifecycle subtask 0 fails once after N inputs and a
                           completed checkpoint; Flink restarts from that checkpoint
  --savepoint-at-records N rescaling test: stop with a savepoint once N records are routed,
                           then resume from it at --restore-parallelism
  --restore-parallelism N  (default: --parallelism)
  --clickhouse TARGET      also load the tables into ClickHouse (lpa load --clickhouse: DDL,
                           the rows, the SQL assertion suite): embedded, embedded:DIR or a URL
  --work DIR               working directory (broker data, checkpoints, job outputs; default a
                           temporary directory, removed at the end unless --keep)
  --keep                   keep the working directory
  --job-timeout-ms N       kill the job and fail when a run of it takes longer (default 1800000)
  -h, --help               show this help
`;

/** Runs a command to completion; throws with its output when it fails. */
function runSync(cmd, args, options = {}) {
  const r = spawnSync(cmd, args, { encoding: "utf8", maxBuffer: 64 * 1024 * 1024, ...options });
  if (r.error !== undefined && r.error.code === "ENOENT")
    throw new Error(
      `${cmd} was not found on PATH: the example needs Java 17+ and Maven 3.8+ (see README.md)`,
    );
  if (r.status !== 0)
    throw new Error(
      `${cmd} ${args.join(" ")} exited ${r.status ?? r.signal}:\n${(r.stderr ?? "").slice(-4000)}${(r.stdout ?? "").slice(-2000)}`,
    );
  return r.stdout;
}

/** Newest modification time below a directory (ms). */
function newestMtime(path) {
  const s = statSync(path);
  if (!s.isDirectory()) return s.mtimeMs;
  let newest = s.mtimeMs;
  for (const e of readdirSync(path)) newest = Math.max(newest, newestMtime(join(path, e)));
  return newest;
}

/** Builds the job with Maven unless the build is newer than its sources. */
export function buildJob(log = () => {}) {
  const sources = Math.max(newestMtime(join(HERE, "src")), statSync(join(HERE, "pom.xml")).mtimeMs);
  if (existsSync(BUILT_MARKER) && statSync(BUILT_MARKER).mtimeMs >= sources && existsSync(JOB_JAR))
    return { built: false };
  const repo = join(defaultCacheDir(), "m2");
  log(`building the Flink job (Maven, local repository ${repo})`);
  const started = Date.now();
  rmSync(JOB_LIB, { recursive: true, force: true });
  runSync("mvn", ["-B", "-q", `-Dmaven.repo.local=${repo}`, "package"], { cwd: HERE });
  writeFileSync(BUILT_MARKER, new Date().toISOString());
  return { built: true, ms: Date.now() - started };
}

/**
 * What a run has started, for the cleanup at its end or on SIGINT/SIGTERM: child processes to
 * kill, the broker's data directory to stop, the working directory to remove.
 */
const running = { children: new Set(), kafkaDir: null, removeWork: null };

/** Stops everything the run started (synchronous: also used from signal handlers). */
function stopEverything() {
  for (const child of running.children) if (child.exitCode === null) child.kill("SIGKILL");
  running.children.clear();
  if (running.kafkaDir !== null)
    spawnSync(process.execPath, [LPA, "dev-kafka", "stop", "--data", running.kafkaDir], {
      stdio: "ignore",
    });
  running.kafkaDir = null;
  if (running.removeWork !== null) rmSync(running.removeWork, { recursive: true, force: true });
  running.removeWork = null;
}

/** Spawns a child that the run's cleanup kills; a failure to start becomes an error event. */
function spawnTracked(cmd, args) {
  const child = spawn(cmd, args, { stdio: ["ignore", "pipe", "pipe"] });
  running.children.add(child);
  child.on("exit", () => running.children.delete(child));
  return child;
}

/**
 * Starts a long-running child and resolves with it once a line of stdout matches `ready`
 * (rejects when it exits, fails to start or is not ready within `timeoutMs`).
 */
function startChild(cmd, args, ready, label, log, timeoutMs = 120_000) {
  return new Promise((resolveStart, rejectStart) => {
    const child = spawnTracked(cmd, args);
    let stderr = "";
    let done = false;
    const fail = (message) => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      child.kill("SIGKILL");
      rejectStart(new Error(`${label} ${message}:\n${stderr}`));
    };
    const timer = setTimeout(() => fail(`was not ready within ${timeoutMs} ms`), timeoutMs);
    child.stderr.on("data", (d) => {
      stderr = (stderr + d.toString()).slice(-8000);
    });
    child.on("error", (error) => fail(`could not start (${error.message})`));
    const lines = createInterface({ input: child.stdout });
    lines.on("line", (line) => {
      if (!done && ready.test(line)) {
        done = true;
        clearTimeout(timer);
        resolveStart({ child, line, stderr: () => stderr });
      } else log(`${label}: ${line}`);
    });
    child.on("exit", (code, signal) => fail(`exited ${code ?? signal} before it was ready`));
  });
}

/** CPU time (user + system) of a running process, ms, from /proc (null where there is none). */
function cpuMs(pid) {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    // utime and stime are fields 14 and 15 of the line (clock ticks; 100 per second on Linux).
    return (Number(fields[11]) + Number(fields[12])) * 10;
  } catch {
    return null;
  }
}

/** Waits for a child process to exit; resolves with its exit code. */
function exited(child) {
  return new Promise((r) => {
    if (child.exitCode !== null || child.signalCode !== null) r(child.exitCode ?? 1);
    else {
      child.on("exit", (code) => r(code ?? 1));
      child.on("error", () => r(1));
    }
  });
}

/** Extra JVM options of the job from LPA_FLINK_JAVA_OPTS (e.g. "-Xmx4g"), split at spaces. */
function javaOptions() {
  const text = process.env.LPA_FLINK_JAVA_OPTS ?? "";
  return text.split(/\s+/).filter((s) => s !== "");
}

/** Runs the job once (its whole log in `logFile`); resolves with its JSON summary. */
async function runJob(args, logFile, timeoutMs, log) {
  const child = spawnTracked("java", [
    ...ADD_OPENS,
    ...javaOptions(),
    "-cp",
    `${JOB_JAR}:${JOB_LIB}/*`,
    MAIN_CLASS,
    ...args,
  ]);
  let spawnError = null;
  child.on("error", (error) => (spawnError = error));
  const file = createWriteStream(logFile);
  let stdout = "";
  let stderr = "";
  const counts = { restored: 0, injectedFailures: 0 };
  child.stdout.on("data", (d) => (stdout += d.toString()));
  const lines = createInterface({ input: child.stderr });
  lines.on("line", (line) => {
    file.write(line + "\n");
    if (/^lpa-flink: lifecycle subtask \d+ restored/.test(line)) counts.restored += 1;
    if (/lpa-flink: injected failure/.test(line)) counts.injectedFailures = 1;
    stderr = (stderr + line + "\n").slice(-20000);
    if (line.startsWith("lpa-flink:") || / ERROR /.test(line)) log(`job: ${line}`);
  });
  // A job that does not end is killed (and the run fails) after the time limit.
  let timedOut = false;
  const timer = setTimeout(() => {
    timedOut = true;
    child.kill("SIGKILL");
  }, timeoutMs);
  const code = await exited(child);
  clearTimeout(timer);
  await new Promise((r) => file.end(r));
  if (spawnError !== null)
    throw new Error(
      `java could not be started (${spawnError.message}): the example needs Java 17+`,
    );
  if (timedOut)
    throw new Error(`the Flink job did not end within ${timeoutMs} ms (its log: ${logFile})`);
  if (code !== 0) throw new Error(`the Flink job exited ${code}:\n${stderr.slice(-6000)}`);
  const last = stdout.trim().split("\n").pop() ?? "";
  return { summary: JSON.parse(last), counts };
}

/**
 * Number of committed records in a topic, read with read_committed isolation by Kafka's Java
 * client (the job's CountTopic; 0 when the topic does not exist).
 */
function countRecords(bootstrap, topic) {
  const out = runSync("java", ["-cp", `${JOB_JAR}:${JOB_LIB}/*`, COUNT_CLASS, bootstrap, topic]);
  return Number(out.trim().split("\n").pop());
}

/** The end offset of partition 0 of a topic (its record count when nothing was deleted). */
async function endOffset(bootstrap, topic) {
  const admin = await createKafkaJsClient({
    brokers: [bootstrap],
    clientId: "lpa-flink-run",
  }).admin();
  try {
    const partitions = await admin.offsets(topic);
    return partitions.reduce((n, p) => n + p.high, 0);
  } finally {
    await admin.close();
  }
}

/** Parses the options; returns null after printing help. */
export function parseOptions(argv) {
  const { values } = parseArgs({
    args: argv,
    strict: true,
    options: {
      input: { type: "string", multiple: true },
      out: { type: "string" },
      parallelism: { type: "string", default: "2" },
      sidecars: { type: "string", default: "1" },
      batch: { type: "string", default: "5000" },
      now: { type: "string" },
      "checkpoint-interval-ms": { type: "string", default: "2000" },
      preset: { type: "string" },
      config: { type: "string" },
      "latency-semantics": { type: "string" },
      "fail-after-inputs": { type: "string" },
      "savepoint-at-records": { type: "string" },
      "restore-parallelism": { type: "string" },
      work: { type: "string" },
      clickhouse: { type: "string" },
      keep: { type: "boolean", default: false },
      "job-timeout-ms": { type: "string", default: "1800000" },
      help: { type: "boolean", short: "h", default: false },
    },
  });
  if (values.help) return null;
  if (values.input === undefined || values.input.length === 0)
    throw new Error("--input FILE is required (repeatable)");
  if (values.out === undefined) throw new Error("--out DIR is required");
  const int = (name, min) => {
    const v = values[name];
    if (v === undefined) return undefined;
    if (!/^\d+$/.test(v) || Number(v) < min)
      throw new Error(`--${name} expects an integer ≥ ${min}`);
    return Number(v);
  };
  return {
    inputs: values.input.map((f) => resolve(f)),
    out: resolve(values.out),
    parallelism: int("parallelism", 1),
    sidecars: int("sidecars", 1),
    batch: int("batch", 1),
    now: int("now", 0),
    checkpointMs: int("checkpoint-interval-ms", 100),
    engineFlags: [
      ...(values.preset === undefined ? [] : ["--preset", values.preset]),
      ...(values.config === undefined ? [] : ["--config", resolve(values.config)]),
      ...(values["latency-semantics"] === undefined
        ? []
        : ["--latency-semantics", values["latency-semantics"]]),
    ],
    failAfterInputs: int("fail-after-inputs", 1),
    savepointAt: int("savepoint-at-records", 1),
    restoreParallelism: int("restore-parallelism", 1),
    work: values.work === undefined ? null : resolve(values.work),
    clickhouse: values.clickhouse ?? null,
    keep: values.keep,
    jobTimeoutMs: int("job-timeout-ms", 1000),
  };
}

/** Runs the whole example; resolves with its summary. */
export async function runExample(options, log = (line) => process.stderr.write(`${line}\n`)) {
  const work = options.work ?? mkdtempSync(join(tmpdir(), "lpa-flink-"));
  mkdirSync(work, { recursive: true });
  const kafkaDir = join(work, "kafka");
  const outputs = join(work, "job-outputs");
  const checkpoints = join(work, "checkpoints");
  rmSync(outputs, { recursive: true, force: true });
  rmSync(checkpoints, { recursive: true, force: true });
  const started = Date.now();
  const summary = { parallelism: options.parallelism, batch: options.batch, phases: [] };
  const sidecars = [];
  if (options.work === null && !options.keep) running.removeWork = work;
  try {
    const build = buildJob(log);
    summary.build = build;
    log("starting Kafka (lpa dev-kafka)");
    running.kafkaDir = kafkaDir; // stopped at the end even when the start fails half-way
    const bootstrap = runSync(process.execPath, [LPA, "dev-kafka", "start", "--data", kafkaDir])
      .trim()
      .split("\n")
      .pop();
    const topic = `lpa-flink-input-${Date.now()}`;
    log(`producing ${options.inputs.length} input file(s) to ${topic}`);
    const produced = runSync(process.execPath, [
      LPA,
      "produce",
      "--brokers",
      bootstrap,
      "--topic",
      topic,
      "--partitions",
      "1",
      ...options.inputs,
    ]);
    // What the job must read: the topic's end offset (one partition, no transactions).
    const records = await endOffset(bootstrap, topic);
    const skipped = /; (\d+) records over/.exec(produced);
    if (skipped !== null) {
      summary.notProduced = Number(skipped[1]);
      log(
        `warning: ${skipped[1]} records over the broker's record size were not produced (lpa replay would put them in the DLQ)`,
      );
    }
    if (options.savepointAt !== undefined && options.savepointAt + 2 * options.batch > records)
      throw new Error(
        `--savepoint-at-records ${options.savepointAt} must leave two batches (2 × --batch ${options.batch}) before the end of the input (${records} records)`,
      );
    summary.topic = topic;
    summary.records = records;
    log(`${records} records produced; starting ${options.sidecars} sidecar(s) (lpa sidecar)`);
    for (let i = 0; i < options.sidecars; i++)
      sidecars.push(
        await startChild(
          process.execPath,
          [
            LPA,
            "sidecar",
            "--port",
            "0",
            "--max-batch-records",
            String(Math.max(10_000, options.batch * 4)),
            "--max-body-bytes",
            String(512 * 1024 * 1024),
            // Each row once, when it can no longer change: what lpa replay writes.
            "--emission",
            "final",
            ...options.engineFlags,
          ],
          /^http:\/\//,
          `sidecar ${i}`,
          log,
        ),
      );
    const sidecarUrl = sidecars.map((s) => s.line.trim()).join(",");
    const common = [
      "--bootstrap",
      bootstrap,
      "--topic",
      topic,
      "--group-id",
      `lpa-flink-${Date.now()}`,
      "--dlq-topic",
      `${topic}.dlq`,
      "--quarantine-topic",
      `${topic}.quarantine`,
      "--sidecar",
      sidecarUrl,
      "--batch",
      String(options.batch),
      "--outputs",
      outputs,
      "--checkpoints",
      checkpoints,
      "--checkpoint-interval-ms",
      String(options.checkpointMs),
      "--bounded",
      "true",
      ...(options.now === undefined ? [] : ["--now", String(options.now)]),
    ];
    const jobStarted = Date.now();
    let from = null;
    if (options.savepointAt !== undefined) {
      log(
        `job at parallelism ${options.parallelism} until a savepoint at record ${options.savepointAt}`,
      );
      const first = await runJob(
        [
          ...common,
          "--parallelism",
          String(options.parallelism),
          "--savepoint-at-records",
          String(options.savepointAt),
        ],
        join(work, "job-1.log"),
        options.jobTimeoutMs,
        log,
      );
      summary.phases.push(first.summary);
      from = first.summary.savepoint;
      if (from === null) throw new Error("the job ended before the savepoint was taken");
    }
    const parallelism =
      from === null ? options.parallelism : (options.restoreParallelism ?? options.parallelism);
    log(
      `job at parallelism ${parallelism}${from === null ? "" : ` from ${from}`} until record ${records}`,
    );
    const last = await runJob(
      [
        ...common,
        "--parallelism",
        String(parallelism),
        // A resumed job ends by a draining stop once every record is routed (a bounded source
        // restored from a savepoint does not end by itself with this Kafka connector).
        ...(from === null ? [] : ["--from-savepoint", from, "--until-records", String(records)]),
        ...(options.failAfterInputs === undefined
          ? []
          : ["--fail-after-inputs", String(options.failAfterInputs)]),
      ],
      join(work, from === null ? "job.log" : "job-2.log"),
      options.jobTimeoutMs,
      log,
    );
    summary.phases.push(last.summary);
    summary.restored = last.counts.restored;
    summary.injectedFailures = last.counts.injectedFailures;
    summary.jobMs = Date.now() - jobStarted;
    summary.eventsPerSecond = Math.round(records / (summary.jobMs / 1000));
    // What the exactly-once Kafka sink committed (read with read_committed isolation).
    summary.rejectionTopics = {
      dlq: countRecords(bootstrap, `${topic}.dlq`),
      quarantine: countRecords(bootstrap, `${topic}.quarantine`),
    };
    log(
      `loading the job's outputs (lpa load)${options.clickhouse === null ? "" : ` into ${options.clickhouse} too`}`,
    );
    const loaded = JSON.parse(
      runSync(process.execPath, [
        LPA,
        "load",
        "--out",
        options.out,
        ...(options.clickhouse === null
          ? []
          : ["--clickhouse", options.clickhouse, ...options.engineFlags]),
        "--json",
        outputs,
      ]),
    );
    if (loaded.clickhouse !== null) {
      const assertions = loaded.clickhouse.assertions ?? [];
      summary.clickhouse = {
        target: loaded.clickhouse.target,
        inserted: Object.values(loaded.clickhouse.inserted).reduce((a, b) => a + b, 0),
        assertionsPassed: assertions.filter((a) => a.passed).length,
        assertionsFailed: assertions.filter((a) => !a.passed).map((a) => a.name),
      };
    }
    summary.out = options.out;
    summary.tables = Object.fromEntries(
      readdirSync(options.out)
        .filter((f) => f.endsWith(".jsonl"))
        .sort()
        .map((f) => [
          f.slice(0, -".jsonl".length),
          readFileSync(join(options.out, f), "utf8")
            .split("\n")
            .filter((l) => l !== "").length,
        ]),
    );
    summary.ms = Date.now() - started;
    return summary;
  } finally {
    if (sidecars.length > 0) {
      const cpu = sidecars.map((s) => cpuMs(s.child.pid));
      summary.sidecarCpuMs = cpu.includes(null) ? null : cpu.reduce((a, b) => a + b, 0);
    }
    for (const s of sidecars) s.child.kill("SIGTERM");
    for (const s of sidecars) await exited(s.child);
    stopEverything();
  }
}

if (process.argv[1] !== undefined && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  for (const [signal, code] of [
    ["SIGINT", 130],
    ["SIGTERM", 143],
  ])
    process.on(signal, () => {
      process.stderr.write(`run: ${signal}: stopping what the run started\n`);
      stopEverything();
      process.exit(code);
    });
  try {
    const options = parseOptions(process.argv.slice(2));
    if (options === null) process.stdout.write(HELP);
    else process.stdout.write(`${JSON.stringify(await runExample(options))}\n`);
  } catch (error) {
    process.stderr.write(`run: ${error instanceof Error ? error.message : String(error)}\n`);
    process.exitCode = 1;
  }
}
