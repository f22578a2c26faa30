/**
 * Quality-gate configuration (`ingest-and-storage.md` §1.4, §2.7, §2.9, §8).
 *
 * @module
 */
import { z } from "zod";
import { jtrim } from "../primitives/strings.js";

/** Default accepted schema versions (`QUALITY_SUPPORTED_VERSIONS`). */
export const DEFAULT_SUPPORTED_VERSIONS: readonly string[] = ["1", "v1"];
/** Default dedup TTL: 24 h in event time, milliseconds. */
export const DEFAULT_DEDUP_TTL_MS = 86_400_000;
/** Default dedup size bound (entries). */
export const DEFAULT_DEDUP_MAX_ENTRIES = 2_000_000;
/** Default maximum serialized row size for the sink row guard, bytes (`CLICKHOUSE_SINK_MAX_RECORD_BYTES`). */
export const DEFAULT_MAX_RECORD_BYTES = 1_000_000;

/**
 * Zod schema of {@link GateConfig}; every field has the spec's default.
 *
 * @category Configuration
 */
export const GateConfigSchema = /* @__PURE__ */ (() =>
  z
    .object({
      /** Accepted schema versions; an empty list disables the version check. */
      supportedVersions: z.array(z.string()).readonly().default(DEFAULT_SUPPORTED_VERSIONS),
      /** Dedup TTL in event-time milliseconds. */
      dedupTtlMs: z.number().int().positive().default(DEFAULT_DEDUP_TTL_MS),
      /** Dedup size bound; the oldest entry is evicted on overflow. */
      dedupMaxEntries: z.number().int().positive().default(DEFAULT_DEDUP_MAX_ENTRIES),
      /** Row-guard limit: serialized rows strictly larger than this many UTF-8 bytes are rejected. */
      maxRecordBytes: z.number().int().positive().default(DEFAULT_MAX_RECORD_BYTES),
    })
    .strict())();

/**
 * Resolved quality-gate configuration.
 *
 * @category Configuration
 */
export interface GateConfig {
  /** Accepted schema versions; an empty list disables the version check. Default `["1", "v1"]`. */
  readonly supportedVersions: readonly string[];
  /** Dedup TTL, event-time milliseconds. Default 86 400 000 (24 h). */
  readonly dedupTtlMs: number;
  /** Dedup size bound (entries). Default 2 000 000. */
  readonly dedupMaxEntries: number;
  /** Row-guard limit in UTF-8 bytes (equal size passes). Default 1 000 000. */
  readonly maxRecordBytes: number;
}

/**
 * Input accepted by {@link resolveGateConfig}: every field optional.
 *
 * @category Configuration
 */
export type GateConfigInput = z.input<typeof GateConfigSchema>;

/**
 * The defaults as a resolved config.
 *
 * @category Configuration
 */
export const DEFAULT_GATE_CONFIG: GateConfig = {
  supportedVersions: DEFAULT_SUPPORTED_VERSIONS,
  dedupTtlMs: DEFAULT_DEDUP_TTL_MS,
  dedupMaxEntries: DEFAULT_DEDUP_MAX_ENTRIES,
  maxRecordBytes: DEFAULT_MAX_RECORD_BYTES,
};

/**
 * Result of a config resolution: errors are values.
 *
 * @category Configuration
 */
export type ConfigResult<C> =
  | { readonly ok: true; readonly value: C }
  | {
      readonly ok: false;
      readonly error: { readonly code: "invalid_config"; readonly issues: readonly string[] };
    };

/**
 * One line per zod issue, `path: message` (`(root)` for the object itself), as reported in
 * `invalid_config` errors of the gate and engine configurations.
 *
 * @category Configuration
 */
export function configIssues(error: z.ZodError): string[] {
  return error.issues.map((i) => `${i.path.join(".") || "(root)"}: ${i.message}`);
}

/**
 * Validates a partial gate config and fills the defaults. Unknown keys are reported as errors.
 *
 * @category Configuration
 * @example
 * const r = resolveGateConfig({ dedupTtlMs: 3_600_000 });
 * if (r.ok) r.value.supportedVersions // ["1", "v1"]
 */
export function resolveGateConfig(input: GateConfigInput = {}): ConfigResult<GateConfig> {
  const parsed = GateConfigSchema.safeParse(input);
  if (!parsed.success) {
    return {
      ok: false,
      error: {
        code: "invalid_config",
        issues: configIssues(parsed.error),
      },
    };
  }
  return { ok: true, value: parsed.data };
}

/**
 * Parses a `QUALITY_SUPPORTED_VERSIONS`-style list (`ingest-and-storage.md` §1.4, §8.1): split on
 * commas, surrounding whitespace trimmed per item, empty items dropped. `undefined` or `""` means
 * "unset" and yields the default; a value made only of whitespace yields the empty list, which
 * disables the version check.
 *
 * @category Configuration
 * @example
 * parseSupportedVersions(" 1 , v1 ") // ["1", "v1"]
 * parseSupportedVersions("   ") // []
 * parseSupportedVersions("") // ["1", "v1"]
 */
export function parseSupportedVersions(value: string | undefined): readonly string[] {
  if (value === undefined || value === "") return DEFAULT_SUPPORTED_VERSIONS;
  return value
    .split(",")
    .map((v) => jtrim(v))
    .filter((v) => v !== "");
}
