/**
 * Crash and fault tests of `lpa run` against real brokers and real embedded ClickHouse, with the
 * built CLI as child processes:
 *
 * 1. the runner killed with SIGKILL at 5 points chosen by a seeded PRNG (`LPA_CRASH_SEED`), each
 *    followed by a restart with the same arguments; the last run reaches the idle exit and every
 *    table's final content equals `lpa replay`'s of the same events (nothing lost, nothing
 *    duplicated), and the embedded ClickHouse directory survives every kill;
 * 2. a broker of its own restarted gracefully and then killed with SIGKILL while `lpa run`
 *    consumes a live stream; the runner recovers, exits 0 at the idle exit, and the tables equal
 *    `lpa replay`'s of what the topic holds;
 * 3. the checkpoint stores (Kafka topic, directory): newest wins, a half-written save leaves the
 *    previous checkpoint in force, a lower epoch never wins, a truncated file is skipped.
 */
import { readdirSync, readFileSync, rmSync, truncateSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, describe, expect, test } from "vitest";
import {
  createDirectoryCheckpointStore,
  createTopicCheckpointStore,
  encodeCheckpoint,
  eventKey,
  killDevBroker,
  restartDevBroker,
  startDevBroker,
  type Checkpoint,
  type DevBrokerProperties,
} from "../src/index.js";
import { prng } from "@livepeer-analytics/testing/fixtures";
import {
  client,
  createTopic,
  expectSameAsReplay,
  finalTables,
  isRunning,
  prepareTopic,
  produceLines,
  readAll,
  replayTables,
  runArgs,
  sleep,
  spawnLpa,
  tempDir,
  testInput,
  unique,
  waitFor,
  writeInput,
  type LpaProcess,
  type LpaResult,
} from "./support.js";

/** The JSON log lines (`--log-format json`) a run printed so far. */
function logLines(p: LpaProcess | LpaResult): { msg: string; [k: string]: unknown }[] {
  const text = "child" in p ? p.output().stderr : p.stderr;
  const out: { msg: string; [k: string]: unknown }[] = [];
  for (const line of text.split("\n")) {
    if (!line.startsWith("{")) continue;
    try {
      out.push(JSON.parse(line) as { msg: string });
    } catch {
      // a line cut by the kill
    }
  }
  return out;
}

/** The metrics port a run logged, or `null` before it did. */
function metricsPort(p: LpaProcess): number | null {
  for (const l of logLines(p)) {
    const m = /metrics on http:\/\/127\.0\.0\.1:(\d+)\//.exec(l.msg);
    if (m !== null) return Number(m[1]);
  }
  return null;
}

/** `lpa_records_total` and `lpa_checkpoints_total` of a running `lpa run`, or `null`. */
async function scrape(port: number): Promise<{ records: number; checkpoints: number } | null> {
  try {
    const res = await fetch(`http://127.0.0.1:${port}/metrics`, {
      signal: AbortSignal.timeout(2_000),
    });
    const text = await res.text();
    const value = (name: string): number =>
      Number(new RegExp(`^${name} (\\S+)$`, "m").exec(text)?.[1] ?? NaN);
    return { records: value("lpa_records_total"), checkpoints: value("lpa_checkpoints_total") };
  } catch {
    return null;
  }
}

/** The activations a run logged: epoch, restored checkpoint (or none) and start positions. */
function activations(
  p: LpaProcess | LpaResult,
): { epoch: number; restored: string | null; positions: Record<string, number> }[] {
  return logLines(p)
    .filter((l) => l.msg.startsWith("active (epoch"))
    .map((l) => ({
      epoch: l["epoch"] as number,
      restored: /restored checkpoint (\S+)/.exec(l.msg)?.[1] ?? null,
      positions: (l["positions"] ?? {}) as Record<string, number>,
    }));
}

/** `p`'s result, or a failure naming `what` (with the output so far) after `ms`. */
async function within(p: LpaProcess, ms: number, what: string): Promise<LpaResult> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<never>((_, reject) => {
    timer = setTimeout(() => {
      const out = p.output();
      p.child.kill("SIGKILL");
      reject(new Error(`${what} did not end within ${ms} ms\n${out.stdout}\n${out.stderr}`));
    }, ms);
  });
  try {
    return await Promise.race([p.done, late]);
  } finally {
    clearTimeout(timer);
  }
}

/** Where a kill lands. */
type KillPlan =
  | { readonly kind: "startup"; readonly afterMs: number }
  | { readonly kind: "records"; readonly fraction: number }
  | { readonly kind: "after-checkpoint"; readonly delayMs: number };

/**
 * Waits for the point of `plan` in the run `p` (of `total` input records) and kills it with
 * SIGKILL; resolves with what happened (`exited`: the run ended on its own first).
 */
async function killAt(
  p: LpaProcess,
  plan: KillPlan,
  total: number,
): Promise<{ killed: boolean; records: number | null; result: LpaResult }> {
  const started = Date.now();
  let last: { records: number; checkpoints: number } | null = null;
  const hit = async (): Promise<boolean> => {
    if (plan.kind === "startup") return Date.now() - started >= plan.afterMs;
    const port = metricsPort(p);
    if (port === null) return false;
    last = (await scrape(port)) ?? last;
    if (last === null) return false;
    if (plan.kind === "records") {
      const act = activations(p)[0];
      if (act === undefined) return false;
      const done = Object.values(act.positions).reduce((a, b) => a + b, 0);
      return last.records >= Math.floor(plan.fraction * Math.max(0, total - done));
    }
    return last.checkpoints >= 1;
  };
  while (isRunning(p) && !(await hit())) await sleep(25);
  if (plan.kind === "after-checkpoint") await sleep(plan.delayMs);
  const killed = isRunning(p) && p.child.kill("SIGKILL");
  const result = await p.done;
  const records: number | null = (last as { records: number } | null)?.records ?? null;
  return { killed: killed && result.signal === "SIGKILL", records, result };
}

/** Faster recovery of a killed broker (pass on every start). */
const FAST_BROKER: DevBrokerProperties = {
  "broker.session.timeout.ms": 3000,
  "broker.heartbeat.interval.ms": 500,
};
const brokerDirs: string[] = [];
afterAll(async () => {
  for (const dataDir of brokerDirs) {
    await killDevBroker({ dataDir }).catch(() => undefined);
    rmSync(dataDir, { recursive: true, force: true });
  }
}, 120_000);

describe("lpa run crashes", () => {
  test(
    "kill -9 of lpa run at 5 seeded random points, each followed by a restart: final tables equal lpa replay's",
    { timeout: 600_000 },
    async () => {
      const t0 = Date.now();
      const seed = Number(process.env["LPA_CRASH_SEED"] ?? "20261205");
      // A seeded PRNG: the same seed gives the same kill points.
      const rand = prng(seed);
      const dir = tempDir("crash");
      const lines = testInput(20_000);
      const { topic, input } = await prepareTopic({
        dir,
        name: "crash-events",
        lines,
        partitions: 3,
      });

      const chDir = join(dir, "ch-run");
      const args = runArgs({
        topic,
        group: unique("crash-group"),
        clickhouse: chDir,
        checkpointTopic: unique("crash-checkpoints"),
        exitWhenIdleMs: 3000,
        checkpointIntervalMs: 1000,
        // The broker's minimum: a killed member leaves the group after 6 s, not 10.
        sessionTimeoutMs: 6000,
        metrics: true,
        jsonLogs: true,
      });

      // Five kill points: the kinds shuffled, their parameters drawn from the seeded PRNG.
      const kinds: KillPlan["kind"][] = [
        "records",
        "after-checkpoint",
        "startup",
        "records",
        "after-checkpoint",
      ];
      for (let i = kinds.length - 1; i > 0; i--) {
        const j = Math.floor(rand() * (i + 1));
        [kinds[i], kinds[j]] = [kinds[j]!, kinds[i]!];
      }
      const plans: KillPlan[] = kinds.map((kind) =>
        kind === "startup"
          ? { kind, afterMs: 500 + Math.floor(rand() * 4_000) }
          : kind === "records"
            ? { kind, fraction: 0.05 + rand() * 0.85 }
            : { kind, delayMs: Math.floor(rand() * 1_000) },
      );

      const history: {
        plan: KillPlan | null;
        killed: boolean;
        records: number | null;
        ms: number;
        result: LpaResult;
      }[] = [];
      let final: LpaResult | null = null;
      let next = 0;
      for (let attempt = 0; attempt < 12 && final === null; attempt++) {
        const started = Date.now();
        const p = spawnLpa(args);
        const plan = plans[next];
        if (plan === undefined) {
          final = await within(p, 180_000, "the last lpa run");
          history.push({
            plan: null,
            killed: false,
            records: null,
            ms: Date.now() - started,
            result: final,
          });
          break;
        }
        const k = await killAt(p, plan, lines.length);
        history.push({ plan, ...k, ms: Date.now() - started });
        writeFileSync(join(dir, `run-${attempt}.stderr`), k.result.stderr);
        if (k.killed) next += 1;
        // A run that ended on its own before its kill point must have ended cleanly.
        else expect(k.result.code, k.result.stderr).toBe(0);
      }
      const summary = history.map((h) => ({
        plan: h.plan,
        killed: h.killed,
        records: h.records,
        ms: h.ms,
        code: h.result.code,
        activations: activations(h.result).map((a) => `${a.epoch}<-${a.restored ?? "none"}`),
      }));
      console.log(`seed ${seed} (stderr of each run in ${dir}):`, JSON.stringify(summary, null, 1));

      expect(next, JSON.stringify(summary)).toBe(5);
      expect(final, JSON.stringify(summary)).not.toBeNull();
      expect(final!.code, final!.stderr).toBe(0);
      for (const h of history) expect(h.result.stderr).not.toMatch(/internal error|sink failure/);
      const acts = history.flatMap((h) => activations(h.result));
      expect(
        acts.some((a) => a.restored !== null),
        JSON.stringify(summary),
      ).toBe(true);
      const epochs = acts.map((a) => a.epoch);
      for (let i = 1; i < epochs.length; i++)
        expect(epochs[i]).toBeGreaterThanOrEqual(epochs[i - 1]!);
      expect(epochs.at(-1)!).toBeGreaterThan(epochs[0]!);

      const want = await replayTables(input, dir);
      const got = await finalTables(chDir);
      expectSameAsReplay(got, want);
      expect(got.fact_workflow_sessions.length).toBeGreaterThan(100);
      console.log(`kill -9 test: ${Date.now() - t0} ms`);
    },
  );

  test(
    "broker restarted gracefully, then killed with -9, while lpa run consumes a live stream: exit 0 and final tables equal lpa replay's",
    { timeout: 600_000 },
    async () => {
      const t0 = Date.now();
      const dataDir = tempDir("crash-broker", { keep: true });
      brokerDirs.push(dataDir);
      let broker = await startDevBroker({ dataDir, port: 0, properties: FAST_BROKER });
      const bootstrap = broker.bootstrap;
      const dir = tempDir("crash-broker-run");
      const topic = unique("fault-events");
      const lines = testInput(15_000);
      const part1 = lines.slice(0, 3_000);
      const part2 = lines.slice(3_000, 7_000);
      const part3 = lines.slice(7_000);
      const c = client(bootstrap);
      await createTopic(c, topic, 3);
      await produceLines(c, topic, part1);

      const chDir = join(dir, "ch-run");
      const run = spawnLpa(
        runArgs({
          brokers: bootstrap,
          topic,
          group: unique("fault-group"),
          clickhouse: chDir,
          checkpointTopic: unique("fault-checkpoints"),
          exitWhenIdleMs: 5000,
          checkpointIntervalMs: 1000,
          sessionTimeoutMs: 6000,
          metrics: true,
          jsonLogs: true,
        }),
      );
      const records = async (): Promise<number> => {
        const port = metricsPort(run);
        const m = port === null ? null : await scrape(port);
        return m?.records ?? -1;
      };
      const events: string[] = [];
      const note = async (what: string): Promise<void> => {
        events.push(
          `${((Date.now() - t0) / 1000).toFixed(1)} s: ${what} (runner records ${await records()})`,
        );
      };

      // A live stream: part 2 produced in small batches while the runner consumes it.
      const paced = (async () => {
        const producer = await c.producer();
        try {
          for (let i = 0; i < part2.length; i += 200) {
            await producer.send(
              topic,
              part2.slice(i, i + 200).map((value) => ({ key: eventKey(value), value })),
            );
            await sleep(200);
          }
        } finally {
          await producer.close();
        }
      })();
      await waitFor(
        "the runner to consume the live stream",
        async () => !isRunning(run) || (await records()) >= part1.length + 400,
        180_000,
        50,
      );
      expect(isRunning(run), run.output().stderr).toBe(true);
      const atGraceful = await records();
      await note("graceful broker restart begins");
      broker = await restartDevBroker({ dataDir, properties: FAST_BROKER });
      expect(broker.bootstrap).toBe(bootstrap);
      await note(`broker back after a graceful restart (${broker.elapsedMs} ms to start)`);
      await waitFor(
        "the runner to resume after the graceful restart",
        async () => !isRunning(run) || (await records()) > atGraceful,
        180_000,
        100,
      );
      await note("runner resumed");
      await paced;
      await note("live part produced");
      // The rest at once; the broker is killed while the runner works through it.
      await produceLines(c, topic, part3);
      await note("last part produced");
      const before = part1.length + part2.length;
      await waitFor(
        "the runner to start on the last part",
        async () => !isRunning(run) || (await records()) >= before + 300,
        180_000,
        20,
      );
      expect(isRunning(run), run.output().stderr).toBe(true);
      await note("kill -9 of the broker");
      broker = await restartDevBroker({ dataDir, kill: true, properties: FAST_BROKER });
      await note(`broker back after kill -9 (${broker.elapsedMs} ms to start)`);

      // The idle exit comes at most ~5 s + a group rejoin after the broker is back.
      const result = await within(run, 180_000, "lpa run after the broker restarts");
      await note(`runner exited ${result.code}`);
      console.log(events.join("\n"));
      expect(result.code, result.stderr).toBe(0);
      expect(result.stderr).not.toMatch(/internal error|sink failure/);

      // What the topic holds (a producer retry through a restart may have written a record twice).
      const held = await readAll(c, topic);
      const missing = new Map<string, number>();
      for (const l of lines) missing.set(l, (missing.get(l) ?? 0) + 1);
      for (const l of held) missing.set(l, (missing.get(l) ?? 0) - 1);
      expect([...missing.values()].filter((n) => n > 0)).toEqual([]);
      console.log(`topic holds ${held.length} records for ${lines.length} produced`);
      const want = await replayTables(writeInput(dir, held), dir);
      expectSameAsReplay(await finalTables(chDir), want);
      console.log(`broker fault test: ${Date.now() - t0} ms`);
    },
  );
});

describe("checkpoint stores", () => {
  /** A checkpoint whose engine snapshot is about `bytes` long (distinct per epoch and seq). */
  const checkpoint = (epoch: number, seq: number, bytes = 5_500): Checkpoint => ({
    group: "g",
    topic: "t",
    epoch,
    seq,
    owner: `owner-${epoch}`,
    createdAt: 1_700_000_000_000 + epoch * 1_000 + seq,
    positions: { "0": epoch * 100 + seq, "1": 7 },
    clock: { partitions: {} } as unknown as Checkpoint["clock"],
    sinks: { jsonl: { t: epoch * 10 + seq } },
    engine: JSON.stringify({ epoch, seq, pad: `${epoch}.${seq}:`.repeat(bytes / 4) }),
  });
  const id = (c: Checkpoint | null): string | null => (c === null ? null : `${c.epoch}.${c.seq}`);

  test(
    "Kafka topic store: many chunks, newest wins, half-written saves and lower epochs do not",
    {
      timeout: 120_000,
    },
    async () => {
      const c = client();
      const checkpointTopic = unique("cp-unit");
      const options = { group: "g", topic: "t", checkpointTopic, chunkBytes: 1_000 };
      const store = createTopicCheckpointStore(c, options);
      const fresh = () => createTopicCheckpointStore(c, options);
      try {
        expect(await store.load()).toBeNull();
        const first = checkpoint(1, 1);
        expect(encodeCheckpoint(first).length).toBeGreaterThan(5_000); // at least 6 chunks
        await store.save(first);
        await store.save(checkpoint(1, 2));
        const loaded = await fresh().load();
        expect(loaded).toEqual(checkpoint(1, 2));

        // A save that crashed before its head: its chunks are written, the head never is.
        const producer = await c.producer();
        try {
          const payload = encodeCheckpoint(checkpoint(1, 3));
          for (let i = 0; i * 1_000 < payload.length; i++)
            await producer.send(checkpointTopic, [
              { key: `g/t/1.3.owner-1/${i}`, value: payload.subarray(i * 1_000, (i + 1) * 1_000) },
            ]);
          // And a newer epoch's head whose chunks never all landed (the last one is missing).
          const p2 = encodeCheckpoint(checkpoint(2, 1));
          const keys: string[] = [];
          for (let i = 0; i * 1_000 < p2.length; i++) keys.push(`g/t/2.1.owner-2/${i}`);
          for (const [i, key] of keys.slice(0, -1).entries())
            await producer.send(checkpointTopic, [
              { key, value: p2.subarray(i * 1_000, (i + 1) * 1_000) },
            ]);
          const { createHash } = await import("node:crypto");
          await producer.send(checkpointTopic, [
            {
              key: "g/t/head/2.owner-2",
              value: JSON.stringify({
                epoch: 2,
                seq: 1,
                owner: "owner-2",
                chunks: keys,
                bytes: p2.length,
                sha256: createHash("sha256").update(p2).digest("hex"),
              }),
            },
          ]);
        } finally {
          await producer.close();
        }
        expect(id(await fresh().load())).toBe("1.2");

        // A newer activation saves epoch 3; a fenced runner of epoch 2 saves after it: 3 stays.
        const newer = fresh();
        expect(id(await newer.load())).toBe("1.2");
        const fenced = fresh();
        expect(id(await fenced.load())).toBe("1.2");
        await newer.save(checkpoint(3, 1));
        await fenced.save(checkpoint(2, 5));
        expect(await fresh().load()).toEqual(checkpoint(3, 1));
        await newer.save(checkpoint(3, 2));
        await fenced.save(checkpoint(2, 6));
        expect(await fresh().load()).toEqual(checkpoint(3, 2));
        // Other groups' checkpoints on the same topic are invisible.
        const other = createTopicCheckpointStore(c, { ...options, group: "other" });
        expect(await other.load()).toBeNull();
        await other.close();
        await newer.close();
        await fenced.close();
      } finally {
        await store.close();
      }
    },
  );

  test(
    "directory store: newest wins, lower epochs do not, a truncated file is skipped",
    {
      timeout: 60_000,
    },
    async () => {
      const dir = tempDir("cp-dir");
      const store = createDirectoryCheckpointStore(dir, { group: "g", topic: "t" });
      expect(await store.load()).toBeNull();
      await store.save(checkpoint(1, 1));
      await store.save(checkpoint(1, 2));
      expect(await store.load()).toEqual(checkpoint(1, 2));
      expect(readdirSync(dir)).toEqual([
        expect.stringMatching(/^checkpoint-[0-9a-f]{12}-1-2\.lpa$/),
      ]);

      // Another group saving into the same directory deletes none of this group's files.
      const other = createDirectoryCheckpointStore(dir, { group: "g2", topic: "t" });
      await other.save({ ...checkpoint(7, 7), group: "g2" });
      expect(await store.load()).toEqual(checkpoint(1, 2));
      expect(id(await other.load())).toBe("7.7");

      // A fenced runner of an older epoch saves after a newer one: the newer stays in force.
      await store.save(checkpoint(3, 1));
      await store.save(checkpoint(2, 9));
      expect(await store.load()).toEqual(checkpoint(3, 1));

      // A newer file cut short (header only, or in the middle of the engine snapshot) is skipped.
      const cut = (epoch: number, seq: number, at: (bytes: Buffer) => number): void => {
        const bytes = encodeCheckpoint(checkpoint(epoch, seq));
        const name = join(dir, `checkpoint-${epoch}-${seq}.lpa`);
        writeFileSync(name, bytes);
        truncateSync(name, at(bytes));
        expect(readFileSync(name).length).toBeLessThan(bytes.length);
      };
      cut(4, 1, (b) => b.indexOf(10) - 5);
      expect(id(await store.load())).toBe("3.1");
      cut(4, 2, (b) => Math.floor(b.length / 2));
      expect(id(await store.load())).toBe("3.1");
      // A snapshot damaged in place (same length, one byte changed) is skipped too.
      const damaged = encodeCheckpoint(checkpoint(4, 3));
      damaged[damaged.length - 3] = damaged[damaged.length - 3]! ^ 1;
      writeFileSync(join(dir, "checkpoint-4-3.lpa"), damaged);
      expect(id(await store.load())).toBe("3.1");
      // A checkpoint written before the integrity fields existed (no engineBytes/engineSha256) loads.
      const { engine, ...header } = checkpoint(5, 1);
      writeFileSync(
        join(dir, "checkpoint-5-1.lpa"),
        JSON.stringify({ format: "livepeer-analytics/kafka-checkpoint", v: 1, ...header }) +
          "\n" +
          engine,
      );
      expect(await store.load()).toEqual(checkpoint(5, 1));
      // A file of another group is ignored.
      writeFileSync(
        join(dir, "checkpoint-9-9.lpa"),
        encodeCheckpoint({ ...checkpoint(9, 9), group: "other" }),
      );
      expect(id(await store.load())).toBe("5.1");
      await store.close();
    },
  );
});
