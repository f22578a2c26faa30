/**
 * A Kafka broker of a test file's own, for the examples that need one (the examples project has
 * no shared broker, unlike the `kafka` project). Not a test file itself: the examples project
 * runs only the files named `*.test.ts`.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll } from "vitest";
import { startDevBroker, stopDevBroker } from "@livepeer-analytics/kafka";

/** The broker of {@link useOwnBroker} and the calling file's temporary directory. */
export interface OwnBroker {
  /** A temporary directory of the test file (the broker's data is in `DIR/broker`). */
  readonly dir: string;
  /** The broker's bootstrap address, `127.0.0.1:PORT` (once `beforeAll` has run). */
  bootstrap(): string;
}

/**
 * Registers `beforeAll` and `afterAll` hooks of the calling test file that start a single-node
 * broker on a free port in a new temporary directory `lpa-PREFIX-XXXXXX`, and stop it and remove
 * the directory at the end. A broker that failed to start is stopped before the error is rethrown.
 */
export function useOwnBroker(prefix: string): OwnBroker {
  const dir = mkdtempSync(join(tmpdir(), `lpa-${prefix}-`));
  const brokerDir = join(dir, "broker");
  let bootstrap = "";

  beforeAll(async () => {
    try {
      bootstrap = (await startDevBroker({ dataDir: brokerDir, port: 0 })).bootstrap;
    } catch (error) {
      await stopDevBroker({ dataDir: brokerDir }).catch(() => undefined);
      throw error;
    }
  }, 180_000); // a JVM start on a busy machine

  afterAll(async () => {
    try {
      await stopDevBroker({ dataDir: brokerDir });
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }, 90_000);

  return { dir, bootstrap: () => bootstrap };
}
