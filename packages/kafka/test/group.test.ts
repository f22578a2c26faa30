/**
 * Two `lpa run` processes in one consumer group ("single-active"): one holds every partition, the
 * other is a hot standby holding none. `kill -9` of the active member mid-stream: the standby
 * takes over after the session timeout, restores the last checkpoint (from the checkpoint topic)
 * and finishes the input. Each member writes its own JSONL directory (embedded ClickHouse cannot be
 * shared by two processes); both directories are loaded into one embedded ClickHouse and the final
 * tables (FINAL: the highest version per identity, where the activation epoch is in the high bits
 * of `version`) are compared with `lpa replay` of the same events.
 */
import { join } from "node:path";
import { describe, expect, test } from "vitest";
import {
  expectCleanExit,
  expectSameAsReplay,
  finalTables,
  httpGet,
  killAll,
  loadJsonlDirs,
  metricsPort,
  metricValue,
  prepareTopic,
  produceLines,
  replayTables,
  runArgs,
  sleep,
  spawnLpa,
  tempDir,
  testInput,
  unique,
  waitFor,
  waitForMetricsPort,
  type LpaProcess,
  type RunOptions,
} from "./support.js";

/** Session timeout of both members (the `lpa run` default). */
const SESSION_TIMEOUT_MS = 10_000;

/**
 * `lpa run` arguments of a group member on `topic` in `group`: its JSONL written to `DIR/OUT`, a
 * checkpoint every second, metrics on a free port; `more` adds the test's checkpoint store and
 * other flags.
 */
function memberArgs(
  test: { readonly dir: string; readonly topic: string; readonly group: string },
  out: string,
  more: Omit<RunOptions, "topic" | "group" | "out">,
): string[] {
  return runArgs({
    topic: test.topic,
    group: test.group,
    out: join(test.dir, out),
    checkpointIntervalMs: 1000,
    metrics: true,
    ...more,
  });
}

/** The Prometheus text a member serves on `port`. */
const scrape = async (port: number): Promise<string> => (await httpGet(port, "/metrics")).body;

/**
 * The final tables of what both members wrote (`DIR/out-a`, `DIR/out-b`), loaded into the
 * embedded ClickHouse `DIR/ch-run`; `tolerateTornTail` names the members killed with SIGKILL.
 */
async function membersTables(
  dir: string,
  options: { readonly tolerateTornTail?: readonly string[] } = {},
): Promise<Awaited<ReturnType<typeof finalTables>>> {
  await loadJsonlDirs(join(dir, "ch-run"), [join(dir, "out-a"), join(dir, "out-b")], {
    tolerateTornTail: (options.tolerateTornTail ?? []).map((out) => join(dir, out)),
  });
  return finalTables(join(dir, "ch-run"));
}

describe("lpa run: two members in one group", () => {
  test(
    "one active, one standby; kill -9 of the active: the standby takes over and the final tables equal lpa replay's",
    { timeout: 360_000 },
    async () => {
      const dir = tempDir("group");
      const group = unique("group-group");
      const lines = testInput(16_000);
      const half = Math.floor(lines.length / 2);
      const { c, topic, input } = await prepareTopic({
        dir,
        name: "group-events",
        lines,
        partitions: 3,
        produce: lines.slice(0, half),
      });

      const args = (out: string, exitWhenIdleMs?: number): string[] =>
        memberArgs({ dir, topic, group }, out, {
          checkpointTopic: `${topic}-checkpoints`,
          sessionTimeoutMs: SESSION_TIMEOUT_MS,
          exitWhenIdleMs,
        });
      const procs: LpaProcess[] = [];
      try {
        // A starts first and becomes active; B joins afterwards and must stay a standby. Only B
        // has --exit-when-idle (a standby never exits on idleness: it holds no partition).
        const a = spawnLpa(args("out-a"));
        procs.push(a);
        await waitFor("member A to be active", () => /active \(epoch 1\)/.test(a.output().stderr));
        const b = spawnLpa(args("out-b", 4000));
        procs.push(b);
        const portB = await waitForMetricsPort("member B's metrics endpoint", b);
        const portA = metricsPort(a.output().stderr)!;

        // A consumes the first half and checkpoints it; B joined the group and holds nothing.
        await waitFor(
          "A to consume the first half and checkpoint",
          async () => {
            const m = await scrape(portA);
            return (
              (metricValue(m, "lpa_records_total") ?? 0) >= half &&
              (metricValue(m, "lpa_checkpoints_total") ?? 0) >= 1 &&
              [0, 1, 2].every(
                (p) => metricValue(m, "lpa_consumer_lag", { partition: String(p) }) === 0,
              )
            );
          },
          120_000,
          250,
        );
        // Let B's join and the rebalance it causes settle (sticky: A keeps the partitions).
        await sleep(3_000);
        const ma = await scrape(portA);
        const mb = await scrape(portB);
        expect(metricValue(ma, "lpa_active")).toBe(1);
        expect(metricValue(mb, "lpa_active")).toBe(0);
        expect(metricValue(mb, "lpa_epoch")).toBe(0);
        // A standby holds no partition, so it reports no lag series.
        expect(mb).not.toMatch(/^lpa_consumer_lag\{/m);
        expect((await httpGet(portA, "/readyz")).body.trim()).toBe("active");
        expect(await httpGet(portB, "/readyz")).toEqual({ status: 200, body: "standby\n" });
        expect(b.output().stderr).not.toMatch(/active \(epoch/);
        expect(a.output().stderr).not.toMatch(/inactive/);

        // The second half arrives; A is killed while it is working through it.
        const producing = produceLines(c, topic, lines.slice(half));
        await waitFor(
          "A to be in the middle of the second half",
          async () => (metricValue(await scrape(portA), "lpa_records_total") ?? 0) > half + 500,
          120_000,
          50,
        );
        const beforeKill = await scrape(portA);
        const killedAt = Date.now();
        a.child.kill("SIGKILL");
        await a.done;
        await producing;

        await waitFor(
          "B to take over",
          () => /active \(epoch \d+\)/.test(b.output().stderr),
          SESSION_TIMEOUT_MS + 60_000,
          50,
        );
        const takeoverMs = Date.now() - killedAt;
        const restored = /active \(epoch (\d+)\): (.*)/.exec(b.output().stderr);
        const recordsA = metricValue(beforeKill, "lpa_records_total");
        const checkpointsA = metricValue(beforeKill, "lpa_checkpoints_total");
        console.log(
          `group takeover: ${takeoverMs} ms after kill -9 (session timeout ${SESSION_TIMEOUT_MS} ms); ` +
            `A had processed ${recordsA} of ${lines.length} records, ${checkpointsA} checkpoints; B: ${restored?.[0]}`,
        );
        // The standby notices the dead member after the session timeout (plus a margin for a
        // rebalance and the restore on a busy machine), never before it.
        expect(takeoverMs).toBeGreaterThanOrEqual(SESSION_TIMEOUT_MS - 2_000);
        expect(takeoverMs).toBeLessThan(SESSION_TIMEOUT_MS + 30_000);
        expect(restored?.[2]).toMatch(/^restored checkpoint 1\.\d+/);

        const rb = await b.done;
        expectCleanExit(rb);
        const summary = /records (\d+) \(skipped as already processed: (\d+)\), epoch (\d+)/.exec(
          rb.stdout,
        );
        expect(summary, rb.stdout).not.toBeNull();
        expect(Number(summary![3])).toBe(2);
        // B processed everything after A's last checkpoint, and nothing before it.
        expect(Number(summary![1])).toBeGreaterThanOrEqual(lines.length - (recordsA ?? 0));
        expect(Number(summary![1])).toBeLessThanOrEqual(lines.length - half);

        const want = await replayTables(input, dir);
        const got = await membersTables(dir, { tolerateTornTail: ["out-a"] });
        expectSameAsReplay(got, want);
        expect(got.fact_workflow_sessions.length).toBeGreaterThan(100);
      } finally {
        killAll(procs);
      }
    },
  );
  test(
    "graceful hand-overs A → B → A, each member with its own --out directory: the union of the directories equals lpa replay",
    { timeout: 300_000 },
    async () => {
      const dir = tempDir("handover");
      const group = unique("handover-group");
      const lines = testInput(6_000);
      const third = Math.floor(lines.length / 3);
      const parts = [lines.slice(0, third), lines.slice(third, 2 * third), lines.slice(2 * third)];
      // Nothing produced yet: each third arrives when the test needs it.
      const { c, topic, input } = await prepareTopic({
        dir,
        name: "handover-events",
        lines,
        partitions: 2,
        produce: [],
      });
      const args = (out: string, exitWhenIdleMs?: number): string[] =>
        memberArgs({ dir, topic, group }, out, {
          checkpointDir: join(dir, "checkpoints"),
          exitWhenIdleMs,
        });
      const procs: LpaProcess[] = [];
      const records = async (p: LpaProcess): Promise<number> => {
        const port = metricsPort(p.output().stderr);
        if (port === null) return -1;
        const m = await scrape(port);
        const lag = [0, 1].map((x) => metricValue(m, "lpa_consumer_lag", { partition: String(x) }));
        return lag.every((x) => x === 0) ? (metricValue(m, "lpa_records_total") ?? 0) : -1;
      };
      try {
        // A (directory a) processes the first third.
        await produceLines(c, topic, parts[0]!);
        const a = spawnLpa(args("out-a"));
        procs.push(a);
        await waitFor("A to process the first third", async () => (await records(a)) >= third);
        // B joins as a standby; A stops (SIGTERM: final checkpoint, leaves the group); B takes over.
        const b = spawnLpa(args("out-b"));
        procs.push(b);
        await waitForMetricsPort("B's metrics endpoint", b);
        await sleep(2_000);
        expect(b.output().stderr).not.toMatch(/active \(epoch/);
        let t0 = Date.now();
        a.child.kill("SIGTERM");
        const ra = await a.done;
        expect(ra.code, ra.stderr).toBe(0);
        await waitFor("B to take over", () => /active \(epoch 2\)/.test(b.output().stderr));
        const handoverAB = Date.now() - t0;
        // B processes the second third; A comes back (same directory a) as a standby.
        await produceLines(c, topic, parts[1]!);
        await waitFor("B to process the second third", async () => (await records(b)) >= third);
        const a2 = spawnLpa(args("out-a", 3000));
        procs.push(a2);
        await waitForMetricsPort("A's metrics endpoint", a2);
        await sleep(2_000);
        expect(a2.output().stderr).not.toMatch(/active \(epoch/);
        // The last third arrives (before the hand-over: A exits once idle and caught up); B stops;
        // A takes over again (restoring B's checkpoint into directory a) and finishes.
        await produceLines(c, topic, parts[2]!);
        t0 = Date.now();
        b.child.kill("SIGTERM");
        const rb = await b.done;
        expect(rb.code, rb.stderr).toBe(0);
        await waitFor("A to take over", () => /active \(epoch 3\)/.test(a2.output().stderr));
        const handoverBA = Date.now() - t0;
        console.log(`graceful hand-over A→B ${handoverAB} ms, B→A ${handoverBA} ms`);
        const ra2 = await a2.done;
        expectCleanExit(ra2);
        // Clean leaves: the standby takes over well within the session timeout.
        expect(handoverAB).toBeLessThan(SESSION_TIMEOUT_MS);
        expect(handoverBA).toBeLessThan(SESSION_TIMEOUT_MS);

        const want = await replayTables(input, dir);
        expectSameAsReplay(await membersTables(dir), want);
      } finally {
        killAll(procs);
      }
    },
  );
  test(
    "a paused active member (SIGSTOP past the session timeout) is replaced and fenced: after SIGCONT one member is active and the final tables equal lpa replay's",
    { timeout: 300_000 },
    async () => {
      const dir = tempDir("zombie");
      const group = unique("zombie-group");
      const lines = testInput(8_000);
      const half = Math.floor(lines.length / 2);
      const { c, topic, input } = await prepareTopic({
        dir,
        name: "zombie-events",
        lines,
        partitions: 2,
        produce: lines.slice(0, half),
      });
      const args = (out: string): string[] =>
        memberArgs({ dir, topic, group }, out, {
          checkpointTopic: `${topic}-checkpoints`,
          sessionTimeoutMs: SESSION_TIMEOUT_MS,
          exitWhenIdleMs: 15000,
        });
      const procs: LpaProcess[] = [];
      const scrapeOf = (p: LpaProcess): Promise<string> => scrape(metricsPort(p.output().stderr)!);
      try {
        const a = spawnLpa(args("out-a"));
        procs.push(a);
        await waitForMetricsPort("A's metrics endpoint", a);
        await waitFor(
          "A to process the first half",
          async () => (metricValue(await scrapeOf(a), "lpa_records_total") ?? 0) >= half,
        );
        const b = spawnLpa(args("out-b"));
        procs.push(b);
        await waitForMetricsPort("B's metrics endpoint", b);
        await sleep(2_000);
        expect(metricValue(await scrapeOf(b), "lpa_active")).toBe(0);

        const producing = produceLines(c, topic, lines.slice(half));
        await waitFor(
          "A to be in the middle of the second half",
          async () => (metricValue(await scrapeOf(a), "lpa_records_total") ?? 0) > half + 300,
          120_000,
          50,
        );
        const stoppedAt = Date.now();
        a.child.kill("SIGSTOP");
        await producing;
        await waitFor(
          "B to take over from the paused A",
          () => /active \(epoch 2\)/.test(b.output().stderr),
          SESSION_TIMEOUT_MS + 60_000,
          50,
        );
        const takeoverMs = Date.now() - stoppedAt;
        a.child.kill("SIGCONT");

        // A finds out that it lost the partitions (or, when the group gives them back to it, it
        // restores B's newer checkpoint: epoch 3); in the end exactly one member is active.
        await waitFor(
          "A to learn it is no longer active",
          () => /inactive: /.test(a.output().stderr),
          60_000,
        ).catch((error: unknown) => {
          console.log(`A stderr:\n${a.output().stderr}\nB stderr:\n${b.output().stderr}`);
          throw error;
        });
        await sleep(3_000);
        const ma = await scrapeOf(a);
        const mb = await scrapeOf(b);
        if (metricValue(ma, "lpa_active") === 1) expect(metricValue(ma, "lpa_epoch")).toBe(3);
        const activeCount =
          (metricValue(ma, "lpa_active") ?? 0) + (metricValue(mb, "lpa_active") ?? 0);
        const staleLag = metricValue(ma, "lpa_active") === 0 && /^lpa_consumer_lag\{/m.test(ma);
        console.log(
          `zombie: B took over ${takeoverMs} ms after SIGSTOP of A; after SIGCONT lpa_active A=${metricValue(ma, "lpa_active")} B=${metricValue(mb, "lpa_active")}; ` +
            `standby A still reports lag series: ${staleLag}`,
        );
        expect(activeCount).toBe(1);
        // The member that lost the partitions reports no (frozen) lag series any more.
        expect(staleLag).toBe(false);

        // The standby leaves (SIGTERM: it holds nothing, so it writes nothing); the active member
        // reads the rest and finishes (idle exit: engine flushed).
        const [active, standby] = metricValue(ma, "lpa_active") === 1 ? [a, b] : [b, a];
        standby.child.kill("SIGTERM");
        const rs = await standby.done;
        expect(rs.code, rs.stderr).toBe(0);
        expect(rs.stdout).toMatch(/stopped by SIGTERM/);
        const ra = await active.done;
        expect(ra.code, ra.stderr).toBe(0);
        expect(ra.stdout).toMatch(/idle for 15000 ms/);

        const want = await replayTables(input, dir);
        expectSameAsReplay(await membersTables(dir), want);
      } finally {
        killAll(procs);
      }
    },
  );
});
