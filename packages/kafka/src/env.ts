/**
 * The reference deployment's environment variables for the Kafka side (`ingest-and-storage.md`
 * §8.1, §8.2), with its parsing rules: an empty value is unset, an integer that does not parse
 * falls back to the default (reported as a notice).
 *
 * @module
 */
import type { ConfigNotice } from "@livepeer-analytics/core/engine";
import { DEFAULT_GROUP_ID, DEFAULT_INPUT_TOPIC } from "./pipeline.js";
import { DEFAULT_DLQ_TOPIC, DEFAULT_QUARANTINE_TOPIC } from "./sinks.js";

/**
 * Environment variables as `process.env` holds them.
 *
 * @category Configuration
 */
export type KafkaEnv = Readonly<Record<string, string | undefined>>;

/**
 * Default brokers when neither a flag nor `QUALITY_KAFKA_BOOTSTRAP` gives them (the reference's).
 *
 * @category Configuration
 */
export const DEFAULT_KAFKA_BOOTSTRAP = "kafka:9092";

/**
 * Kafka settings of the main pipeline read from the environment.
 *
 * @category Configuration
 */
export interface PipelineEnvSettings {
  /** `QUALITY_KAFKA_BOOTSTRAP`, split on commas (default {@link DEFAULT_KAFKA_BOOTSTRAP}). */
  readonly brokers: readonly string[];
  /** `QUALITY_INPUT_TOPIC` (default {@link DEFAULT_INPUT_TOPIC}). */
  readonly topic: string;
  /** `QUALITY_DLQ_TOPIC` (default {@link DEFAULT_DLQ_TOPIC}). */
  readonly dlqTopic: string;
  /** `QUALITY_QUARANTINE_TOPIC` (default {@link DEFAULT_QUARANTINE_TOPIC}). */
  readonly quarantineTopic: string;
  /** `QUALITY_GROUP_ID` (default {@link DEFAULT_GROUP_ID}). */
  readonly group: string;
  /** `QUALITY_DEDUP_TTL_MINUTES` in ms, when set and valid. */
  readonly dedupTtlMs?: number;
  /**
   * `QUALITY_SUPPORTED_VERSIONS` as given (parse it with core's `parseSupportedVersions`), when set;
   * a value of only whitespace disables the version check, as in the reference.
   */
  readonly supportedVersions?: string;
  /** Values that were ignored, with why. */
  readonly notices: readonly ConfigNotice[];
}

const value = (env: KafkaEnv, name: string): string | undefined => {
  const v = env[name];
  return v === undefined || v === "" ? undefined : v;
};

/**
 * Splits a broker list (`host:port,host:port`, whitespace around items ignored, empty items
 * dropped).
 *
 * @category Configuration
 * @example
 * parseBrokers(" a:1, b:2 ,") // ["a:1", "b:2"]
 */
export function parseBrokers(text: string): string[] {
  return text
    .split(",")
    .map((s) => s.trim())
    .filter((s) => s !== "");
}

/**
 * Reads the main pipeline's Kafka variables.
 *
 * @category Configuration
 * @example
 * pipelineSettingsFromEnv({ QUALITY_KAFKA_BOOTSTRAP: "127.0.0.1:9092", QUALITY_DEDUP_TTL_MINUTES: "60" })
 * // { brokers: ["127.0.0.1:9092"], topic: "streaming_events", …, dedupTtlMs: 3600000, notices: [] }
 */
export function pipelineSettingsFromEnv(env: KafkaEnv): PipelineEnvSettings {
  const notices: ConfigNotice[] = [];
  let dedupTtlMs: number | undefined;
  const ttl = value(env, "QUALITY_DEDUP_TTL_MINUTES");
  if (ttl !== undefined) {
    const n = /^\s*\d+\s*$/.test(ttl) ? Number(ttl.trim()) : NaN;
    if (Number.isSafeInteger(n) && n >= 1) dedupTtlMs = n * 60_000;
    else
      notices.push({
        code: "ignored_value",
        key: "QUALITY_DEDUP_TTL_MINUTES",
        message: `QUALITY_DEDUP_TTL_MINUTES=${JSON.stringify(ttl)} is not a positive integer; using the default`,
      });
  }
  const supported = env["QUALITY_SUPPORTED_VERSIONS"];
  return {
    brokers: parseBrokers(value(env, "QUALITY_KAFKA_BOOTSTRAP") ?? DEFAULT_KAFKA_BOOTSTRAP),
    topic: value(env, "QUALITY_INPUT_TOPIC") ?? DEFAULT_INPUT_TOPIC,
    dlqTopic: value(env, "QUALITY_DLQ_TOPIC") ?? DEFAULT_DLQ_TOPIC,
    quarantineTopic: value(env, "QUALITY_QUARANTINE_TOPIC") ?? DEFAULT_QUARANTINE_TOPIC,
    group: value(env, "QUALITY_GROUP_ID") ?? DEFAULT_GROUP_ID,
    ...(dedupTtlMs === undefined ? {} : { dedupTtlMs }),
    ...(supported === undefined || supported === "" ? {} : { supportedVersions: supported }),
    notices,
  };
}

/**
 * Settings of the DLQ replay job read from the environment.
 *
 * @category Configuration
 */
export interface ReplayEnvSettings {
  /** `REPLAY_KAFKA_BOOTSTRAP` → `QUALITY_KAFKA_BOOTSTRAP` → {@link DEFAULT_KAFKA_BOOTSTRAP}. */
  readonly brokers: readonly string[];
  /** `REPLAY_DLQ_TOPIC` → `QUALITY_DLQ_TOPIC` → {@link DEFAULT_DLQ_TOPIC}. */
  readonly fromTopic: string;
  /** `REPLAY_OUTPUT_TOPIC` → `QUALITY_INPUT_TOPIC` → {@link DEFAULT_INPUT_TOPIC}. */
  readonly toTopic: string;
  /** `REPLAY_START_EPOCH_MS` (inclusive), when set and numeric. */
  readonly start?: number;
  /** `REPLAY_END_EPOCH_MS` (inclusive, as the reference's code), when set and numeric. */
  readonly end?: number;
  /** Values that were ignored, with why. */
  readonly notices: readonly ConfigNotice[];
}

/**
 * Reads the DLQ replay job's variables (`ingest-and-storage.md` §8.2). A bound that is not an
 * integer is no bound, as in the reference, and reported.
 *
 * @category Configuration
 */
export function replaySettingsFromEnv(env: KafkaEnv): ReplayEnvSettings {
  const notices: ConfigNotice[] = [];
  const bound = (name: string): number | undefined => {
    const raw = value(env, name);
    if (raw === undefined) return undefined;
    const n = /^\s*-?\d+\s*$/.test(raw) ? Number(raw.trim()) : NaN;
    if (Number.isSafeInteger(n)) return n;
    notices.push({
      code: "ignored_value",
      key: name,
      message: `${name}=${JSON.stringify(raw)} is not an integer; no bound`,
    });
    return undefined;
  };
  const start = bound("REPLAY_START_EPOCH_MS");
  const end = bound("REPLAY_END_EPOCH_MS");
  return {
    brokers: parseBrokers(
      value(env, "REPLAY_KAFKA_BOOTSTRAP") ??
        value(env, "QUALITY_KAFKA_BOOTSTRAP") ??
        DEFAULT_KAFKA_BOOTSTRAP,
    ),
    fromTopic:
      value(env, "REPLAY_DLQ_TOPIC") ?? value(env, "QUALITY_DLQ_TOPIC") ?? DEFAULT_DLQ_TOPIC,
    toTopic:
      value(env, "REPLAY_OUTPUT_TOPIC") ?? value(env, "QUALITY_INPUT_TOPIC") ?? DEFAULT_INPUT_TOPIC,
    ...(start === undefined ? {} : { start }),
    ...(end === undefined ? {} : { end }),
    notices,
  };
}
