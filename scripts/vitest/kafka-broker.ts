// Global setup of the `kafka` vitest project: one real single-node Kafka broker (KRaft) for the
// whole run, in a fresh temporary data directory on a free port, from the jars of the shared cache
// (LPA_CACHE_DIR, else ~/.cache/livepeer-analytics; fetched with Maven on first use). Tests read
// its address with `inject("kafkaBrokers")` (typing: packages/kafka/test/broker-context.ts).
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { TestProject } from "vitest/node";
import { startDevBroker, stopDevBroker } from "../../packages/kafka/src/dev-broker.js";

export default async function setup({ provide }: TestProject): Promise<() => Promise<void>> {
  const dataDir = mkdtempSync(join(tmpdir(), "lpa-kafka-vitest-"));
  const log = (line: string): void => void process.stderr.write(`[kafka-broker] ${line}\n`);
  try {
    const broker = await startDevBroker({ dataDir, port: 0, log });
    provide("kafkaBrokers", broker.bootstrap);
    provide("kafkaDataDir", dataDir);
  } catch (error) {
    await stopDevBroker({ dataDir }).catch(() => undefined);
    rmSync(dataDir, { recursive: true, force: true });
    throw error;
  }
  return async () => {
    try {
      await stopDevBroker({ dataDir });
    } finally {
      rmSync(dataDir, { recursive: true, force: true });
    }
  };
}
