/**
 * The Kafka path (`lpa run`'s wiring, in-process library) against `lpa replay --clickhouse`.
 *
 *   npm run bench -- kafka [events=200000] [sessions=2000] [latencySeconds=30] [reps=2]
 *
 * Starts its own single-node broker (`startDevBroker` in a temporary directory; Java 17+ and the
 * cached Kafka jars), then:
 *
 * 1. Sustained throughput. The generated engine file (engine-file.ts) is produced to a
 *    3-partition topic, keyed by `eventKey` (produce rate printed). Then, alternating, `reps`
 *    times each: (a) the pipeline in a child process of this bundle (`startPipeline` with a fresh
 *    group, an engine with `emission: "coalesced"` and the CLI's engine defaults,
 *    `clickHouseOutputSink` over a fresh embedded ClickHouse directory with the schema and views
 *    applied, `rejectionTopicSink`, a directory checkpoint store, the default checkpoint interval)
 *    timed from activation (the "active (epoch 1)" log line) until every produced record has
 *    been stepped (`status.records`), and until `stop({ flush: true })` has flushed the engine,
 *    made every output durable and checkpointed; the group join before activation is reported
 *    separately and there is no idle wait (the child stops as soon as the count is reached).
 *    (b) `lpa replay FILE --clickhouse embedded:<fresh dir> --no-assertions --json` in a child
 *    process (the CLI's `run`, as `bin/lpa.js` calls it, bundled from source like the pipeline),
 *    its own in-process wall time (`wallTimeMs`: ClickHouse open, DDL, replay, final flush) and
 *    spawn-to-exit. Ratios kafka/replay in events/s, target ≥ 0.7. chDB allows one data
 *    directory per process, hence a process per run. Every child's CPU time (user + system, all
 *    threads, from a preloaded module) is reported too: on a shared machine it moves less than
 *    wall time.
 * 2. Latency at a steady 1,000 events/s. A fresh pipeline child on a fresh topic; once it is
 *    active, this process produces the first `latencySeconds × 1000` lines of the same file,
 *    paced in 10 ms ticks, each re-stamped at send time (every time field shifted so the envelope
 *    `timestamp` is the send wall time, so the watermark moves like a live stream). The child
 *    maps every row it hands to the ClickHouse sink to its batch (the sink's `onBatch`, in cut
 *    order per table) and takes the batch's `onInserted` wall time as when its rows became
 *    visible: per event, envelope time (= produce time) → the insert holding the last of its raw
 *    typed rows (`raw_*`, event id and time read from `raw_json`); and per
 *    `fact_stream_status_samples` identity, `sample_ts` (= produce time of its status event) →
 *    the insert of its first version (coalesced emission writes a versioned fact's latest content
 *    when the pipeline advances the watermark). Target: raw p99 ≤ allowed lateness + 2 s.
 *
 * The summary block at the end repeats every figure with the command line. The broker and every
 * temporary directory are removed at the end.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { createHash } from "node:crypto";
import {
  createReadStream,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { createInterface } from "node:readline";
import { processIo, run, type ReplaySummary } from "@livepeer-analytics/cli";
import {
  clickHouseSinkLimitsFromEnv,
  createExecutor,
  generateDdl,
  generateViewDdl,
  parseClickHouseTarget,
  type SinkBatchEvent,
  type SinkInsertedEvent,
} from "@livepeer-analytics/clickhouse";
import {
  createEngine,
  resolveEngineConfig,
  type EngineConfigInput,
  type EngineOutput,
} from "@livepeer-analytics/core/engine";
import { rowIdentity } from "@livepeer-analytics/core/lifecycle";
import { parseSupportedVersions } from "@livepeer-analytics/core/quality";
import {
  clickHouseOutputSink,
  createDirectoryCheckpointStore,
  createKafkaJsClient,
  DEFAULT_DLQ_TOPIC,
  DEFAULT_QUARANTINE_TOPIC,
  eventKey,
  pipelineSettingsFromEnv,
  rejectionTopicSink,
  startDevBroker,
  startPipeline,
  stopDevBroker,
  type KafkaClientPort,
  type KafkaOutgoing,
  type OutputSink,
  type PipelineLog,
  type PipelineStatus,
} from "@livepeer-analytics/kafka";
import { TIME_FIELDS } from "@livepeer-analytics/testing/fixtures";
import { ensureEngineFile } from "./engine-file.js";
import { fmt } from "./replay-child.js";

const RATE = 1_000;
const PARTITIONS = 3;
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));
const s1 = (ms: number): string => (ms / 1000).toFixed(1);

/** Nearest-rank percentiles of a sample, ms. */
interface Dist {
  readonly n: number;
  readonly p50: number;
  readonly p95: number;
  readonly p99: number;
  readonly max: number;
}
function dist(values: number[]): Dist | null {
  if (values.length === 0) return null;
  const v = [...values].sort((a, b) => a - b);
  const at = (q: number): number => v[Math.min(v.length - 1, Math.ceil(q * v.length) - 1)]!;
  return { n: v.length, p50: at(0.5), p95: at(0.95), p99: at(0.99), max: v[v.length - 1]! };
}
const distText = (d: Dist | null): string =>
  d === null
    ? "none"
    : `p50 ${fmt(d.p50)} ms, p95 ${fmt(d.p95)} ms, p99 ${fmt(d.p99)} ms, max ${fmt(d.max)} ms (${fmt(d.n)} samples)`;

// ---------------------------------------------------------------------------------------------
// Child: one pipeline run

interface ChildOptions {
  readonly mode: "throughput" | "latency";
  readonly bootstrap: string;
  readonly topic: string;
  readonly group: string;
  readonly dir: string;
  /** Throughput: records to process before stopping. */
  readonly expected: number;
}

interface ChildResult {
  readonly schemaMs: number;
  readonly joinMs: number;
  readonly processMs: number;
  readonly durableMs: number;
  /** CPU time of the child (every thread) from activation to the end, ms. */
  readonly activeCpuMs: number;
  readonly stopMs: number;
  readonly records: number;
  readonly checkpoints: number;
  readonly rows: Record<string, number>;
  readonly rejections: Record<string, number>;
  readonly inserted: number;
  readonly batches: number;
  readonly lateness: number;
  readonly raw: Dist | null;
  readonly rawWindows: { readonly fromS: number; readonly p99: number; readonly max: number }[];
  readonly fact: Dist | null;
  readonly rawEvents: number;
}

/** Which rows went into which insert, and when each insert completed (latency mode). */
class InsertTracker {
  private readonly fifo = new Map<
    string,
    { items: ({ id: string; ts: number } | null)[]; head: number }
  >();
  private readonly batches = new Map<number, ({ id: string; ts: number } | null)[]>();
  /** Per event id: envelope time and the completion of the last insert holding one of its raw rows. */
  readonly events = new Map<string, { ts: number; done: number }>();
  /** Per fact identity: its sample time → its first insert completion, ms. */
  readonly facts = new Map<string, number>();
  inserted = 0;
  batchCount = 0;
  private readonly detailed: boolean;
  constructor(detailed: boolean) {
    this.detailed = detailed;
  }

  track(o: EngineOutput): void {
    if (!this.detailed || o.kind !== "row") return;
    let item: { id: string; ts: number } | null = null;
    if (o.table.startsWith("raw_")) {
      const raw = (o.row as { raw_json?: unknown }).raw_json;
      const m =
        typeof raw === "string"
          ? /^\{"id":"([^"]*)","type":"[^"]*","timestamp":"(\d+)"/.exec(raw)
          : null;
      if (m !== null) item = { id: m[1]!, ts: Number(m[2]) };
    } else if (o.table === "fact_stream_status_samples") {
      const r = o.row as { sample_ts: number };
      item = { id: rowIdentity(o.table, o.row) ?? JSON.stringify(o.row), ts: r.sample_ts };
    } else return;
    let q = this.fifo.get(o.table);
    if (q === undefined) this.fifo.set(o.table, (q = { items: [], head: 0 }));
    q.items.push(item);
  }

  readonly onBatch = (e: SinkBatchEvent): void => {
    if (!this.detailed || e.attempt !== 1) return;
    const q = this.fifo.get(e.table);
    if (q === undefined) return;
    this.batches.set(e.sequence, q.items.slice(q.head, q.head + e.rows));
    q.head += e.rows;
    if (q.head > 65_536) {
      q.items.splice(0, q.head);
      q.head = 0;
    }
  };

  readonly onInserted = (e: SinkInsertedEvent): void => {
    this.inserted += e.rows;
    this.batchCount += 1;
    const items = this.batches.get(e.sequence);
    if (items === undefined) return;
    this.batches.delete(e.sequence);
    const now = Date.now();
    const fact = e.table === "fact_stream_status_samples";
    for (const it of items) {
      if (it === null) continue;
      if (fact) {
        if (!this.facts.has(it.id)) this.facts.set(it.id, now - it.ts);
      } else {
        const prev = this.events.get(it.id);
        if (prev === undefined) this.events.set(it.id, { ts: it.ts, done: now });
        else prev.done = Math.max(prev.done, now);
      }
    }
  };
}

/** A client whose group consumer reports after each batch was handled. */
function watchBatches(client: KafkaClientPort, after: () => void): KafkaClientPort {
  return {
    brokers: client.brokers,
    producer: () => client.producer(),
    admin: () => client.admin(),
    readTopic: (topic, options) => client.readTopic(topic, options),
    groupConsumer: (options) => {
      const c = client.groupConsumer(options);
      return {
        start: (h) =>
          c.start({
            onAssigned: (p) => h.onAssigned(p),
            onBatch: async (b) => {
              const next = await h.onBatch(b);
              after();
              return next;
            },
          }),
        seek: (p, at) => c.seek(p, at),
        pause: () => c.pause(),
        resume: () => c.resume(),
        commit: (offsets) => c.commit(offsets),
        close: () => c.close(),
      };
    },
  };
}

async function childMain(o: ChildOptions): Promise<void> {
  const t0 = performance.now();
  const env = process.env;
  // The engine as `lpa run` builds it without flags: environment, then coalesced emission.
  const settings = pipelineSettingsFromEnv(env);
  const input: Record<string, unknown> = {};
  if (settings.dedupTtlMs !== undefined) input["dedupTtlMs"] = settings.dedupTtlMs;
  if (settings.supportedVersions !== undefined)
    input["supportedVersions"] = [...parseSupportedVersions(settings.supportedVersions)];
  input["emission"] = "coalesced";
  const resolved = resolveEngineConfig(input as EngineConfigInput);
  if (!resolved.ok) throw new Error(resolved.error.issues.join("; "));
  const config = resolved.config;
  const engine = createEngine(config, {
    sha256Hex: (text) => createHash("sha256").update(text, "utf8").digest("hex"),
  });
  const executor = await createExecutor(parseClickHouseTarget(`embedded:${join(o.dir, "db")}`), {
    createDatabase: true,
  });
  for (const sql of [
    ...generateDdl({ database: executor.database, ttl: false }),
    ...generateViewDdl({
      database: executor.database,
      servingEdgeSemanticsVersion: config.lifecycle.servingEdgeSemanticsVersion,
    }),
  ])
    await executor.command(sql);
  const schemaMs = performance.now() - t0;

  const base = createKafkaJsClient({ brokers: [o.bootstrap], clientId: `lpa-run-${o.group}` });
  const admin = await base.admin();
  await admin.ensureTopics([{ topic: DEFAULT_DLQ_TOPIC }, { topic: DEFAULT_QUARANTINE_TOPIC }]);
  await admin.close();

  const tracker = new InsertTracker(o.mode === "latency");
  const limits = clickHouseSinkLimitsFromEnv(env).limits;
  let handle: ReturnType<typeof startPipeline> | null = null;
  let activatedAt: number | null = null;
  let activeCpu: NodeJS.CpuUsage | null = null;
  let processedAt: number | null = null;
  let stopRequested: Promise<PipelineStatus> | null = null;
  const client = watchBatches(base, () => {
    if (o.mode !== "throughput" || handle === null || processedAt !== null) return;
    if (handle.status.records >= o.expected) {
      processedAt = performance.now();
      stopRequested = handle.stop({ flush: true, reason: "every record processed" });
    }
  });
  const log = (e: PipelineLog): void => {
    if (e.message.startsWith("active (")) {
      if (activatedAt === null) {
        activatedAt = performance.now();
        activeCpu = process.cpuUsage();
      }
      if (o.mode === "latency") process.stdout.write("ACTIVE\n");
    }
    if (e.level === "warn" || e.level === "error")
      process.stderr.write(`[pipeline] ${e.level}: ${e.message}\n`);
  };
  const createSinks = async (): Promise<OutputSink[]> => {
    const ch = clickHouseOutputSink(executor, {
      ...limits,
      onBatch: tracker.onBatch,
      onInserted: tracker.onInserted,
    });
    const tracked: OutputSink = {
      name: ch.name,
      write: (out) => {
        tracker.track(out);
        return ch.write(out);
      },
      flush: () => ch.flush(),
      close: () => ch.close(),
    };
    return [tracked, rejectionTopicSink(base)];
  };
  const startedAt = performance.now();
  handle = startPipeline({
    client,
    engine,
    createSinks,
    checkpoints: createDirectoryCheckpointStore(join(o.dir, "checkpoints"), {
      group: o.group,
      topic: o.topic,
    }),
    topic: o.topic,
    group: o.group,
    log,
  });
  let stopAt = 0;
  if (o.mode === "latency") {
    // The parent writes "stop" on stdin once its producer has finished.
    await new Promise<void>((resolve) => {
      const rl = createInterface({ input: process.stdin });
      rl.on("line", (l) => {
        if (l.trim() === "stop") {
          rl.close();
          resolve();
        }
      });
    });
    stopAt = performance.now();
    await handle.stop({ reason: "stopped by the bench" });
  }
  const status = await handle.done;
  if (stopRequested !== null) await stopRequested;
  const end = performance.now();
  const cpu = process.cpuUsage(activeCpu ?? undefined);
  await executor.close();
  if (activatedAt === null) throw new Error("the pipeline never became active");

  // Latency mode: per event, produce (envelope) time → its last raw row visible.
  const lat: { ts: number; ms: number }[] = [];
  for (const e of tracker.events.values()) lat.push({ ts: e.ts, ms: e.done - e.ts });
  lat.sort((a, b) => a.ts - b.ts);
  const windows: ChildResult["rawWindows"] = [];
  if (lat.length > 0) {
    const first = lat[0]!.ts;
    const byWindow = new Map<number, number[]>();
    for (const l of lat) {
      const w = Math.floor((l.ts - first) / 5_000);
      let arr = byWindow.get(w);
      if (arr === undefined) byWindow.set(w, (arr = []));
      arr.push(l.ms);
    }
    for (const [w, arr] of [...byWindow].sort((a, b) => a[0] - b[0])) {
      const d = dist(arr)!;
      windows.push({ fromS: w * 5, p99: d.p99, max: d.max });
    }
  }
  const result: ChildResult = {
    schemaMs,
    joinMs: activatedAt - startedAt,
    processMs: (processedAt ?? stopAt) - activatedAt,
    durableMs: end - activatedAt,
    activeCpuMs: (cpu.user + cpu.system) / 1000,
    stopMs: end - (processedAt ?? stopAt),
    records: status.records,
    checkpoints: status.checkpoints,
    rows: status.rows,
    rejections: status.rejections,
    inserted: tracker.inserted,
    batches: tracker.batchCount,
    lateness: config.lifecycle.attribution.allowedLatenessMs,
    raw: dist(lat.map((l) => l.ms)),
    rawWindows: windows,
    fact: dist([...tracker.facts.values()]),
    rawEvents: tracker.events.size,
  };
  process.stdout.write(`RESULT ${JSON.stringify(result)}\n`);
  // stdin (and the client's sockets) would keep the process alive; stdout is a pipe (synchronous).
  process.exit(0);
}

// ---------------------------------------------------------------------------------------------
// Parent

/**
 * A module preloaded into every child (`--import`) that writes the process's CPU time (user +
 * system, every thread: chDB inserts included) to `LPA_BENCH_CPU_FILE` at exit, in µs.
 */
function writeCpuPreload(tmp: string): string {
  const path = join(tmp, "cpu-preload.mjs");
  writeFileSync(
    path,
    [
      'import { writeFileSync } from "node:fs";',
      'process.on("exit", () => {',
      "  const path = process.env.LPA_BENCH_CPU_FILE;",
      "  const u = process.cpuUsage();",
      "  if (path) writeFileSync(path, String(u.user + u.system));",
      "});",
      "",
    ].join("\n"),
  );
  return path;
}

/** Runs a child to its end; resolves with its stdout, wall time and CPU time. */
function runChild(
  preload: string,
  args: readonly string[],
  onLine?: (line: string, child: ChildProcess) => void,
): Promise<{ stdout: string; wallMs: number; cpuMs: number }> {
  const t0 = performance.now();
  const cpuFile = join(dirname(preload), `cpu-${process.hrtime.bigint()}.txt`);
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ["--import", preload, ...args], {
      stdio: ["pipe", "pipe", "inherit"],
      env: { ...process.env, LPA_BENCH_CPU_FILE: cpuFile },
    });
    let out = "";
    let carry = "";
    child.stdout!.on("data", (b: Buffer) => {
      const text = b.toString("utf8");
      out += text;
      if (onLine === undefined) return;
      const lines = (carry + text).split("\n");
      carry = lines.pop()!;
      for (const l of lines) onLine(l, child);
    });
    child.on("error", reject);
    child.on("close", (code) => {
      if (code !== 0)
        reject(new Error(`${args.join(" ")} exited with ${code}:\n${out.slice(-4000)}`));
      else {
        const wallMs = performance.now() - t0;
        const cpuMs = existsSync(cpuFile) ? Number(readFileSync(cpuFile, "utf8")) / 1000 : NaN;
        resolve({ stdout: out, wallMs, cpuMs });
      }
    });
  });
}

const resultOf = (stdout: string): ChildResult => {
  const line = stdout.split("\n").find((l) => l.startsWith("RESULT "));
  if (line === undefined) throw new Error(`the child printed no result:\n${stdout.slice(-4000)}`);
  return JSON.parse(line.slice("RESULT ".length)) as ChildResult;
};

const childArgs = (o: ChildOptions): string[] => [
  "--expose-gc",
  "--max-old-space-size=4096",
  process.argv[1]!,
  "--child",
  JSON.stringify(o),
];

async function readLines(file: string, limit: number): Promise<string[]> {
  const lines: string[] = [];
  const rl = createInterface({ input: createReadStream(file), crlfDelay: Infinity });
  for await (const l of rl) {
    if (l.length === 0) continue;
    lines.push(l);
    if (lines.length >= limit) break;
  }
  rl.close();
  return lines;
}

/** Every time field of a line shifted so that its envelope `timestamp` is `now`. */
function restamp(line: string, now: number): string {
  const m = /"timestamp":"(\d{13})"/.exec(line);
  if (m === null) return line;
  const delta = now - Number(m[1]);
  return line.replace(TIME_FIELDS, (x, _k, v: string) => x.replace(v, String(Number(v) + delta)));
}

const rawRows = (rows: Readonly<Record<string, number>>): number =>
  Object.entries(rows)
    .filter(([t]) => t.startsWith("raw_") && !t.startsWith("raw_streaming_events_"))
    .reduce((a, [, n]) => a + n, 0);

async function parentMain(): Promise<void> {
  const argv = process.argv.slice(2);
  const [events = 200_000, sessions = 2_000, latencySeconds = 30, reps = 2] = argv.map(Number);
  const command = `npm run bench -- kafka ${[events, sessions, latencySeconds, reps].join(" ")}`;
  const startedAt = new Date();
  const file = await ensureEngineFile(events, sessions);
  const tmp = mkdtempSync(join(tmpdir(), "lpa-kafka-bench-"));
  const brokerDir = join(tmp, "broker");
  const say = (line: string): void => console.log(line);
  let broker: Awaited<ReturnType<typeof startDevBroker>> | null = null;
  try {
    const tb = performance.now();
    broker = await startDevBroker({ dataDir: brokerDir, port: 0 });
    console.log(`broker ${broker.bootstrap} ready in ${s1(performance.now() - tb)} s`);
    const client = createKafkaJsClient({ brokers: [broker.bootstrap], clientId: "lpa-bench" });
    const admin = await client.admin();
    const topic = "bench_throughput";
    const liveTopic = "bench_latency";
    await admin.ensureTopics([
      { topic, partitions: PARTITIONS },
      { topic: liveTopic, partitions: PARTITIONS },
    ]);
    await admin.close();

    // ---- produce the file
    const lines = await readLines(file, events);
    const producer = await client.producer();
    const t0 = performance.now();
    const inFlight = new Set<Promise<void>>();
    for (let i = 0; i < lines.length; i += 1_000) {
      const batch: KafkaOutgoing[] = lines
        .slice(i, i + 1_000)
        .map((value) => ({ key: eventKey(value), value }));
      const p: Promise<void> = producer.send(topic, batch).then(() => void inFlight.delete(p));
      inFlight.add(p);
      if (inFlight.size >= 4) await Promise.race(inFlight);
    }
    await Promise.all(inFlight);
    const produceMs = performance.now() - t0;
    const produced = lines.length;
    console.log(
      `produced ${fmt(produced)} events to ${topic} (${PARTITIONS} partitions) in ${s1(produceMs)} s: ${fmt((produced / produceMs) * 1000)} events/s`,
    );

    // ---- throughput, alternating
    const preload = writeCpuPreload(tmp);
    const kafkaRuns: { r: ChildResult; wallMs: number; cpuMs: number }[] = [];
    const replayRuns: { s: ReplaySummary; wallMs: number; cpuMs: number }[] = [];
    for (let rep = 1; rep <= reps; rep++) {
      const dir = join(tmp, `kafka-${rep}`);
      mkdirSync(dir, { recursive: true });
      process.stderr.write(`kafka run ${rep}: pipeline child, group bench-${rep}\n`);
      const k = await runChild(
        preload,
        childArgs({
          mode: "throughput",
          bootstrap: broker.bootstrap,
          topic,
          group: `bench-${rep}`,
          dir,
          expected: produced,
        }),
      );
      rmSync(dir, { recursive: true, force: true });
      const r = resultOf(k.stdout);
      kafkaRuns.push({ r, wallMs: k.wallMs, cpuMs: k.cpuMs });
      console.log(
        `(a${rep}) kafka pipeline: join ${s1(r.joinMs)} s; activation → all ${fmt(r.records)} processed ${s1(r.processMs)} s (${fmt((produced / r.processMs) * 1000)} events/s); → flushed+durable ${s1(r.durableMs)} s (${fmt((produced / r.durableMs) * 1000)} events/s); ${r.checkpoints} checkpoints, ${fmt(r.inserted)} rows in ${fmt(r.batches)} inserts; child spawn→exit ${s1(k.wallMs)} s, CPU ${s1(k.cpuMs)} s (${s1(r.activeCpuMs)} s from activation)`,
      );

      const db = join(tmp, `replay-${rep}`);
      const rargs = ["replay", file, "--clickhouse", `embedded:${db}`, "--no-assertions", "--json"];
      process.stderr.write(`replay run ${rep}: lpa ${rargs.join(" ")} (child process)\n`);
      const rp = await runChild(preload, [process.argv[1]!, "--lpa", ...rargs]);
      rmSync(db, { recursive: true, force: true });
      const s = JSON.parse(rp.stdout) as ReplaySummary;
      replayRuns.push({ s, wallMs: rp.wallMs, cpuMs: rp.cpuMs });
      const inserted = Object.values(s.clickhouse?.inserted ?? {}).reduce((a, b) => a + b, 0);
      console.log(
        `(b${rep}) lpa replay --clickhouse: ${s1(s.wallTimeMs)} s in-process (${fmt((s.events.read / s.wallTimeMs) * 1000)} events/s), ${s1(rp.wallMs)} s spawn→exit (${fmt((s.events.read / rp.wallMs) * 1000)} events/s), ${fmt(inserted)} rows in ${fmt(s.clickhouse?.batches ?? 0)} inserts, CPU ${s1(rp.cpuMs)} s`,
      );
      if (s.events.read !== produced)
        console.log(`  warning: replay read ${s.events.read} events, ${produced} were produced`);
      const kr = rawRows(r.rows);
      const rr = rawRows(s.clickhouse?.inserted ?? {});
      if (kr !== rr) console.log(`  note: raw typed rows differ: kafka ${kr}, replay ${rr}`);
    }

    // ---- latency at a steady rate
    const liveCount = Math.min(lines.length, latencySeconds * RATE);
    const live = lines.slice(0, liveCount);
    const liveDir = join(tmp, "kafka-live");
    mkdirSync(liveDir, { recursive: true });
    let pacing = { sent: 0, ms: 0, maxSendMs: 0, lateTicks: 0 };
    process.stderr.write(`latency run: ${fmt(liveCount)} events at ${RATE}/s to ${liveTopic}\n`);
    const lk = await runChild(
      preload,
      childArgs({
        mode: "latency",
        bootstrap: broker.bootstrap,
        topic: liveTopic,
        group: "bench-live",
        dir: liveDir,
        expected: liveCount,
      }),
      (line, child) => {
        if (line !== "ACTIVE") return;
        void (async () => {
          const start = Date.now();
          let sent = 0;
          let maxSendMs = 0;
          let lateTicks = 0;
          const pending = new Set<Promise<void>>();
          while (sent < liveCount) {
            const now = Date.now();
            const due = Math.min(liveCount, Math.floor(((now - start) * RATE) / 1000));
            if (due - sent > RATE / 10) lateTicks += 1; // > 100 ms behind schedule
            if (due > sent) {
              const batch = live
                .slice(sent, due)
                .map((l) => restamp(l, now))
                .map((value) => ({ key: eventKey(value), value }));
              sent = due;
              const p: Promise<void> = producer.send(liveTopic, batch).then(() => {
                maxSendMs = Math.max(maxSendMs, Date.now() - now);
                pending.delete(p);
              });
              pending.add(p);
            }
            await sleep(10);
          }
          await Promise.all(pending);
          pacing = { sent, ms: Date.now() - start, maxSendMs, lateTicks };
          // Let the last raw rows reach ClickHouse (sink batches wait ≤ 1 s), then stop.
          await sleep(5_000);
          child.stdin!.write("stop\n");
          // A child that does not end within a minute is stopped (its result is then missing).
          setTimeout(() => child.kill(), 60_000).unref();
        })();
      },
    );
    rmSync(liveDir, { recursive: true, force: true });
    const L = resultOf(lk.stdout);
    await producer.close();

    // ---- summary
    const kRates = kafkaRuns.map(({ r }) => (produced / r.processMs) * 1000);
    const kDurable = kafkaRuns.map(({ r }) => (produced / r.durableMs) * 1000);
    const rRates = replayRuns.map(({ s }) => (s.events.read / s.wallTimeMs) * 1000);
    const rSpawn = replayRuns.map(({ s, wallMs }) => (s.events.read / wallMs) * 1000);
    const ratios = kRates.map((k, i) => k / rRates[i]!);
    const ratiosDurable = kDurable.map((k, i) => k / rRates[i]!);
    const list = (xs: number[]): string => xs.map(fmt).join(" / ");
    const spread = (xs: number[]): string =>
      `${(((Math.max(...xs) - Math.min(...xs)) / Math.min(...xs)) * 100).toFixed(0)} %`;
    const budget = L.lateness + 2_000;
    console.log("");
    console.log("================ summary ================");
    say(`command: ${command}`);
    say(`started ${startedAt.toISOString()}, finished ${new Date().toISOString()}`);
    say(`file: ${file} (${fmt(produced)} events, ${fmt(sessions)} sessions)`);
    say(`broker: dev broker ${broker.bootstrap}, topic ${topic} with ${PARTITIONS} partitions`);
    say(
      `produce: ${fmt((produced / produceMs) * 1000)} events/s (${s1(produceMs)} s, batches of 1,000, ≤ 4 in flight)`,
    );
    say(`throughput, ${reps} alternating pairs (run 1 / run 2 / …; spread = (max − min) / min):`);
    say(
      `  kafka group join before activation      ${kafkaRuns.map(({ r }) => s1(r.joinMs)).join(" / ")} s (excluded)`,
    );
    say(
      `  kafka activation → all processed        ${list(kRates)} events/s (spread ${spread(kRates)})`,
    );
    say(
      `  kafka activation → flushed + durable    ${list(kDurable)} events/s (spread ${spread(kDurable)})`,
    );
    say(
      `  replay --clickhouse (in-process wall)   ${list(rRates)} events/s (spread ${spread(rRates)})`,
    );
    say(`  replay --clickhouse (spawn → exit)      ${list(rSpawn)} events/s`);
    say(
      `  ratio kafka/replay (processed)          ${ratios.map((x) => x.toFixed(3)).join(" / ")} (target ≥ 0.7: ${ratios.every((x) => x >= 0.7) ? "met" : ratios.some((x) => x >= 0.7) ? "mixed" : "NOT met"})`,
    );
    say(
      `  ratio kafka/replay (durable)            ${ratiosDurable.map((x) => x.toFixed(3)).join(" / ")}`,
    );
    const kCpu = kafkaRuns.map(({ cpuMs }) => (produced / cpuMs) * 1000);
    const kCpuActive = kafkaRuns.map(({ r }) => (produced / r.activeCpuMs) * 1000);
    const rCpu = replayRuns.map(({ s, cpuMs }) => (s.events.read / cpuMs) * 1000);
    say(`  CPU time (whole child process, all threads; the broker's excluded):`);
    say(
      `    kafka child        ${kafkaRuns.map(({ cpuMs }) => s1(cpuMs)).join(" / ")} s → ${list(kCpu)} events per CPU-s (from activation: ${list(kCpuActive)})`,
    );
    say(
      `    replay             ${replayRuns.map(({ cpuMs }) => s1(cpuMs)).join(" / ")} s → ${list(rCpu)} events per CPU-s`,
    );
    say(
      `    ratio kafka/replay ${kCpu.map((k, i) => (k / rCpu[i]!).toFixed(3)).join(" / ")} (whole processes; less sensitive to other load than wall time)`,
    );
    say(
      `latency at ${RATE} events/s for ${latencySeconds} s (${fmt(pacing.sent)} events sent in ${s1(pacing.ms)} s, slowest send ack ${fmt(pacing.maxSendMs)} ms, ${pacing.lateTicks} ticks > 100 ms behind), join ${s1(L.joinMs)} s:`,
    );
    say(`  produce → raw rows inserted   ${distText(L.raw)} over ${fmt(L.rawEvents)} events`);
    say(
      `  target p99 ≤ lateness ${fmt(L.lateness)} + 2,000 = ${fmt(budget)} ms: ${L.raw === null ? "not measured" : L.raw.p99 <= budget ? "met" : "NOT met"}`,
    );
    say(
      `  raw p99 / max per 5 s of produce time: ${L.rawWindows.map((w) => `${w.fromS}s ${fmt(w.p99)}/${fmt(w.max)}`).join(", ")}`,
    );
    say(`  produce → fact_stream_status_samples first visible   ${distText(L.fact)}`);
    say(`  checkpoints during the run ${L.checkpoints}`);
  } finally {
    if (broker !== null) {
      const r = await stopDevBroker({ dataDir: brokerDir });
      console.log(`broker: ${r.outcome}`);
    }
    rmSync(tmp, { recursive: true, force: true });
  }
}

if (process.argv[2] === "--child") await childMain(JSON.parse(process.argv[3]!) as ChildOptions);
else if (process.argv[2] === "--lpa") {
  // The baseline: the CLI's own entry (`run`, as bin/lpa.js calls it), bundled from source like
  // the pipeline, so both sides run the same code (and a concurrent `npm run build` cannot break it).
  const code = await run(process.argv.slice(3), processIo());
  process.exit(code);
} else await parentMain();
