/**
 * The engine-configuration flags shared by the commands that run the engine (`lpa replay`,
 * `lpa run`): their `parseArgs` options, their help lines, and their translation into engine
 * configuration keys.
 *
 * @module
 */
import { readFileSync } from "node:fs";
import type { EmissionMode } from "@livepeer-analytics/core/engine";
import { parseSupportedVersions } from "@livepeer-analytics/core/quality";
import { parseMs, UsageError } from "./io.js";

/** `parseArgs` options of the engine flags. */
export const ENGINE_FLAG_OPTIONS = {
  preset: { type: "string" },
  "latency-semantics": { type: "string" },
  "resolver-mode": { type: "string" },
  lateness: { type: "string" },
  "dedup-ttl": { type: "string" },
  "supported-versions": { type: "string" },
  "serving-fact": { type: "boolean", default: false },
  config: { type: "string" },
} as const;

/** Values `--resolver-mode` accepts (any case; `native` is short for `native_correct`). */
const RESOLVER_MODES: readonly string[] = ["legacy_misnamed", "native_correct", "native"];

/** Help lines of the engine flags. */
export const ENGINE_FLAGS_HELP = `  --preset NAME              correction (default) | reference-compat
  --latency-semantics V      v1 (default) | v2 | both
  --resolver-mode MODE       legacy_misnamed (default) | native_correct
  --lateness MS              allowed lateness behind the newest event (default 60000)
  --dedup-ttl MS             dedup TTL in event time (default 86400000)
  --supported-versions LIST  accepted schema versions (default "1,v1")
  --serving-fact             also emit fact_workflow_session_serving
  --config FILE              JSON file with engine configuration keys
`;

/** Parsed values of the engine flags. */
export interface EngineFlagValues {
  readonly preset?: string | undefined;
  readonly "latency-semantics"?: string | undefined;
  readonly "resolver-mode"?: string | undefined;
  readonly lateness?: string | undefined;
  readonly "dedup-ttl"?: string | undefined;
  readonly "supported-versions"?: string | undefined;
  readonly "serving-fact"?: boolean | undefined;
  readonly config?: string | undefined;
}

/**
 * Engine configuration keys from the flags: `--config` first, then each flag over it. Invalid
 * values are usage errors; the result still goes through `resolveEngineConfig`.
 */
export function engineInputFromFlags(values: EngineFlagValues): Record<string, unknown> {
  const input: Record<string, unknown> = {};
  if (values.config !== undefined) {
    let parsed: unknown;
    try {
      parsed = JSON.parse(readFileSync(values.config, "utf8"));
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== undefined) throw error;
      throw new UsageError(`--config ${values.config} is not valid JSON`);
    }
    if (typeof parsed !== "object" || parsed === null || Array.isArray(parsed))
      throw new UsageError("--config must hold a JSON object");
    Object.assign(input, parsed);
  }
  if (values.preset !== undefined) {
    if (values.preset !== "correction" && values.preset !== "reference-compat")
      throw new UsageError(`--preset must be correction or reference-compat`);
    input["preset"] = values.preset;
  }
  const semantics = values["latency-semantics"];
  if (semantics !== undefined) {
    const map: Record<string, string[]> = { v1: ["v1"], v2: ["v2"], both: ["v1", "v2"] };
    if (map[semantics] === undefined)
      throw new UsageError("--latency-semantics must be v1, v2 or both");
    input["edgeSemanticsVersions"] = map[semantics];
    input["servingEdgeSemanticsVersion"] = map[semantics]![0];
  }
  const resolverMode = values["resolver-mode"];
  if (resolverMode !== undefined) {
    // The configuration key forgives typos (with a notice); a flag is a usage error instead.
    if (!RESOLVER_MODES.includes(resolverMode.trim().toLowerCase()))
      throw new UsageError(
        `--resolver-mode must be legacy_misnamed or native_correct, got ${JSON.stringify(resolverMode)}`,
      );
    input["resolverMode"] = resolverMode;
  }
  const lateness = parseMs("--lateness", values.lateness);
  if (lateness !== undefined) input["allowedLatenessMs"] = lateness;
  const ttl = parseMs("--dedup-ttl", values["dedup-ttl"]);
  if (ttl !== undefined) input["dedupTtlMs"] = ttl;
  if (values["supported-versions"] !== undefined)
    input["supportedVersions"] = [...parseSupportedVersions(values["supported-versions"])];
  if (values["serving-fact"] === true) input["emitServingFact"] = true;
  return input;
}

/** Values of `--emission` (the engine's `emission` modes). */
const EMISSION_MODES: readonly EmissionMode[] = ["coalesced", "every-change", "final"];

/** The value of `--emission`, checked (`undefined` when the flag is absent). */
export function parseEmission(value: string | undefined): EmissionMode | undefined {
  if (value === undefined) return undefined;
  if (!(EMISSION_MODES as readonly string[]).includes(value))
    throw new UsageError(
      `--emission must be coalesced, every-change or final, got ${JSON.stringify(value)}`,
    );
  return value as EmissionMode;
}
