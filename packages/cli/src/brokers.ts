/**
 * Where the Kafka commands find their brokers: `--brokers`, else the environment, else the
 * broker `lpa dev-kafka start` runs from `./lpa-kafka`, else the reference's `kafka:9092`.
 *
 * @module
 */
import {
  createKafkaJsClient,
  DEFAULT_KAFKA_BOOTSTRAP,
  devBrokerStatus,
  parseBrokers,
} from "@livepeer-analytics/kafka";
import { UsageError } from "./io.js";

/**
 * The bootstrap brokers of a Kafka command and where they came from. `env` lists the variables
 * consulted, in order (e.g. `REPLAY_KAFKA_BOOTSTRAP`, `QUALITY_KAFKA_BOOTSTRAP`).
 */
export async function resolveBrokers(
  flag: string | undefined,
  env: Readonly<Record<string, string | undefined>>,
  variables: readonly string[] = ["QUALITY_KAFKA_BOOTSTRAP"],
): Promise<{ readonly brokers: string[]; readonly source: string }> {
  if (flag !== undefined) {
    const brokers = parseBrokers(flag);
    if (brokers.length === 0) throw new UsageError("--brokers is empty");
    return { brokers, source: "--brokers" };
  }
  for (const name of variables) {
    const value = env[name];
    if (value !== undefined && value !== "") {
      const brokers = parseBrokers(value);
      if (brokers.length === 0) throw new UsageError(`${name} lists no broker`);
      return { brokers, source: name };
    }
  }
  const dev = await devBrokerStatus().catch(() => null);
  if (dev?.running === true && dev.bootstrap !== undefined)
    return { brokers: [dev.bootstrap], source: `the lpa dev-kafka broker of ${dev.dataDir}` };
  return { brokers: parseBrokers(DEFAULT_KAFKA_BOOTSTRAP), source: "the default" };
}

/** Kafka could not be reached (exit code 1, one line). */
export class KafkaUnreachableError extends Error {
  /** Marks the error as a known failure for the CLI's error printer. */
  readonly code = "LPA_KAFKA_UNREACHABLE";
}

/**
 * Checks that the brokers answer (metadata request), retrying for at most `withinMs`, so that a
 * wrong address fails in seconds with one clear line instead of after the client's long retries.
 */
export async function checkBrokers(brokers: readonly string[], withinMs = 15_000): Promise<void> {
  const probe = createKafkaJsClient({ brokers, clientId: "lpa-probe", retryForMs: withinMs });
  try {
    const admin = await probe.admin();
    await admin.close();
  } catch (error) {
    throw new KafkaUnreachableError(
      `cannot reach Kafka at ${brokers.join(",")} within ${Math.round(withinMs / 1000)} s: ${String((error as Error)?.message ?? error)}`,
    );
  }
}

let kafkaWarningsFiltered = false;

/**
 * kafkajs 2.2.4 sets a negative timer on Node ≥ 24, which prints a `TimeoutNegativeWarning` (the
 * timer fires at once, as on earlier Node versions, so nothing is wrong). The Kafka commands drop
 * that one warning so that stderr stays readable and `--log-format json` stays JSON; every other
 * warning is printed as usual.
 */
export function dropKafkaClientTimerWarning(): void {
  if (kafkaWarningsFiltered) return;
  kafkaWarningsFiltered = true;
  const emit = process.emitWarning.bind(process) as (...args: unknown[]) => void;
  process.emitWarning = ((warning: unknown, ...rest: unknown[]): void => {
    const name =
      warning instanceof Error
        ? warning.name
        : typeof rest[0] === "string"
          ? rest[0]
          : (rest[0] as { type?: string } | undefined)?.type;
    if (name === "TimeoutNegativeWarning") return;
    emit(warning, ...rest);
  }) as typeof process.emitWarning;
}
