// The dev broker manager against a real Kafka broker (the jars come from the shared cache, see
// scripts/vitest/kafka-broker.ts): lifecycle, data kept across a graceful restart and a kill -9,
// and the guard that never signals a process that is not the data directory's broker.
import { spawn, type ChildProcess } from "node:child_process";
import { randomUUID } from "node:crypto";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Kafka, logLevel } from "kafkajs";
import { afterAll, describe, expect, it } from "vitest";
import {
  devBrokerStatus,
  killDevBroker,
  startDevBroker,
  stopDevBroker,
  type DevBroker,
} from "../src/dev-broker.js";

const SLOW = { timeout: 240_000 };
const dirs: string[] = [];
const children: ChildProcess[] = [];

function freshDir(): string {
  const dir = mkdtempSync(join(tmpdir(), "lpa-kafka-dev-broker-"));
  dirs.push(dir);
  return dir;
}

afterAll(async () => {
  for (const child of children) if (child.exitCode === null) child.kill("SIGKILL");
  for (const dir of dirs) {
    await killDevBroker({ dataDir: dir }).catch(() => undefined);
    rmSync(dir, { recursive: true, force: true });
  }
}, 120_000);

const client = (bootstrap: string): Kafka =>
  new Kafka({ clientId: "lpa-dev-broker-test", brokers: [bootstrap], logLevel: logLevel.NOTHING });

async function produce(bootstrap: string, topic: string, values: readonly string[]): Promise<void> {
  const kafka = client(bootstrap);
  const admin = kafka.admin();
  await admin.connect();
  try {
    await admin.createTopics({ topics: [{ topic, numPartitions: 1 }], waitForLeaders: true });
  } finally {
    await admin.disconnect();
  }
  const producer = kafka.producer();
  await producer.connect();
  try {
    await producer.send({ topic, acks: -1, messages: values.map((value) => ({ value })) });
  } finally {
    await producer.disconnect();
  }
}

/** Reads a topic from the beginning (fresh consumer group) until `count` values arrived. */
async function consume(bootstrap: string, topic: string, count: number): Promise<string[]> {
  const consumer = client(bootstrap).consumer({ groupId: `lpa-test-${randomUUID()}` });
  await consumer.connect();
  const values: string[] = [];
  try {
    await consumer.subscribe({ topic, fromBeginning: true });
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(
        () => reject(new Error(`read ${values.length} of ${count} records of ${topic} in 120 s`)),
        120_000,
      );
      consumer
        .run({
          eachMessage: async ({ message }) => {
            values.push(message.value?.toString("utf8") ?? "");
            if (values.length >= count) {
              clearTimeout(timer);
              resolve();
            }
          },
        })
        .catch(reject);
    });
  } finally {
    await consumer.disconnect();
  }
  return values;
}

describe("dev broker lifecycle", () => {
  const dataDir = freshDir();
  const topic = "dev-broker-roundtrip";
  const records = ["one", "two", "three"];
  let broker: DevBroker;

  it("starts, reports running, and a second start returns the same broker", SLOW, async () => {
    broker = await startDevBroker({ dataDir });
    expect(broker.alreadyRunning).toBe(false);
    expect(broker.bootstrap).toBe(`127.0.0.1:${broker.port}`);
    expect(broker.port).toBeGreaterThan(0);
    expect(broker.controllerPort).not.toBe(broker.port);
    expect(readFileSync(join(dataDir, "broker.log"), "utf8")).toContain("Kafka Server started");

    const status = await devBrokerStatus({ dataDir });
    expect(status).toMatchObject({ running: true, pid: broker.pid, bootstrap: broker.bootstrap });

    const again = await startDevBroker({ dataDir });
    expect(again).toMatchObject({ alreadyRunning: true, pid: broker.pid, port: broker.port });
  });

  it("round-trips records through the broker with kafkajs", SLOW, async () => {
    await produce(broker.bootstrap, topic, records);
    expect(await consume(broker.bootstrap, topic, records.length)).toEqual(records);
  });

  it("stops gracefully, then reports not running", SLOW, async () => {
    const stopped = await stopDevBroker({ dataDir });
    expect(stopped).toMatchObject({ outcome: "stopped", pid: broker.pid });
    expect(await devBrokerStatus({ dataDir })).toMatchObject({ running: false });
    expect(await stopDevBroker({ dataDir })).toMatchObject({ outcome: "not-running" });
  });

  it("restarts on the same data directory with the same port, cluster and data", SLOW, async () => {
    const restarted = await startDevBroker({ dataDir });
    expect(restarted).toMatchObject({
      alreadyRunning: false,
      port: broker.port,
      clusterId: broker.clusterId,
    });
    expect(restarted.pid).not.toBe(broker.pid);
    expect(await consume(restarted.bootstrap, topic, records.length)).toEqual(records);
    broker = restarted;
  });

  it("recovers the data after kill -9", SLOW, async () => {
    expect(await killDevBroker({ dataDir })).toMatchObject({ outcome: "killed", pid: broker.pid });
    expect(await devBrokerStatus({ dataDir })).toMatchObject({ running: false });
    const recovered = await startDevBroker({ dataDir });
    expect(recovered).toMatchObject({ port: broker.port, clusterId: broker.clusterId });
    expect(await consume(recovered.bootstrap, topic, records.length)).toEqual(records);
    expect(await stopDevBroker({ dataDir })).toMatchObject({ outcome: "stopped" });
  });
});

describe("stop never signals another process", () => {
  /** Writes a broker.json whose pid is `pid`, as if a broker had run there before. */
  function fakeState(dataDir: string, pid: number): void {
    const state = {
      pid,
      port: 1,
      controllerPort: 2,
      clusterId: "AAAAAAAAAAAAAAAAAAAAAA",
      startedAt: new Date(0).toISOString(),
      readyAt: new Date(0).toISOString(),
      cmdlineMarker: join(dataDir, "server.properties"),
    };
    writeFileSync(join(dataDir, "broker.json"), JSON.stringify(state));
  }

  const spawnIdle = (args: readonly string[]): ChildProcess => {
    const child = spawn(args[0]!, args.slice(1), { stdio: "ignore" });
    children.push(child);
    return child;
  };

  it.each([
    ["an unrelated process (sleep)", (_dir: string) => ["sleep", "60"]],
    [
      "a kafka.Kafka-looking process of another data directory",
      (dir: string) => [
        process.execPath,
        "-e",
        "setTimeout(() => {}, 60000)",
        "kafka.Kafka",
        join(dir, "..", "elsewhere", "server.properties"),
      ],
    ],
  ])("leaves %s alone", SLOW, async (_name, command) => {
    const dataDir = freshDir();
    const child = spawnIdle(command(dataDir));
    await new Promise<void>((resolve, reject) => {
      child.once("spawn", () => resolve());
      child.once("error", reject);
    });
    const pid = child.pid!;
    fakeState(dataDir, pid);
    expect(await devBrokerStatus({ dataDir })).toMatchObject({ running: false });
    expect(await killDevBroker({ dataDir })).toMatchObject({ outcome: "not-our-process", pid });
    fakeState(dataDir, pid);
    expect(await stopDevBroker({ dataDir, timeoutMs: 1_000 })).toMatchObject({
      outcome: "not-our-process",
      pid,
    });
    await new Promise((r) => setTimeout(r, 300));
    expect(child.exitCode).toBeNull();
    expect(child.signalCode).toBeNull();
    expect(() => process.kill(pid, 0)).not.toThrow();
    child.kill("SIGKILL");
  });
});
