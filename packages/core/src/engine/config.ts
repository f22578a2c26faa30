/**
 * Engine configuration: one flat, zod-validated object with the specs' defaults and the two
 * presets (`correction`, the default, and `reference-compat`). Unknown keys and ignored values are
 * reported, never silently dropped.
 *
 * @module
 */
import { z } from "zod";
import {
  DEFAULT_ATTRIBUTION_CONFIG,
  REFERENCE_COMPAT_ATTRIBUTION_CONFIG,
} from "../attribution/candidates.js";
import { DEFAULT_RESOLVER_MODE, resolveResolverMode } from "../attribution/resolver.js";
import type { AttributionConfig } from "../attribution/types.js";
import {
  DEFAULT_CORRECTION_CONFIG,
  type CorrectionOperatorConfig,
} from "../lifecycle/correction.js";
import { DEFAULT_LIFECYCLE_CONFIG, type LifecycleConfig } from "../lifecycle/config.js";
import { configIssues, DEFAULT_GATE_CONFIG, type GateConfig } from "../quality/config.js";

/**
 * Engine presets (`attribution.md` §7.2).
 *
 * @category Engine
 */
export type EnginePreset = "correction" | "reference-compat";

/**
 * Default {@link EngineConfig.maxFutureSkewMs}: 15 minutes.
 *
 * @category Engine
 */
export const DEFAULT_MAX_FUTURE_SKEW_MS = 900_000;

/**
 * Default {@link EngineConfig.frontierQuorum}.
 *
 * @category Engine
 */
export const DEFAULT_FRONTIER_QUORUM = 2;

/**
 * How the engine emits rows of versioned tables (see `docs/engine.md`, "Emission"):
 *
 * - `coalesced` (default): each changed identity is emitted at most once between two
 *   `advance` / `flush` calls, with its latest content (for live sinks that show progress);
 * - `every-change`: every new version is emitted by the transition that made it;
 * - `final`: each identity is emitted once, when it can no longer change — a sample, edge or
 *   parameter row when it is sealed, a session's session / latency / serving / segment rows when
 *   the session is evicted or at `flush` (for batch jobs: no reader-side reduction needed). In
 *   `reference-compat` rows are held in the state until `flush`. Rows of sessions still open when
 *   a run stops without `flush` come out in the run that continues from its snapshot.
 *
 * Final tables (max `version` per identity) have the same content in every mode; `version`
 * numbers count emissions, so they are smaller with `coalesced` and `final` in correction mode.
 *
 * @category Engine
 */
export type EmissionMode = "coalesced" | "every-change" | "final";

const versionList = z.array(z.enum(["v1", "v2"])).min(1);
const nullableWindow = z.number().int().nonnegative().nullable();

const engineConfigShape = {
  preset: z.enum(["correction", "reference-compat"]).optional(),
  correction: z.boolean().optional(),
  supportedVersions: z.array(z.string()).optional(),
  dedupTtlMs: z.number().int().positive().optional(),
  dedupMaxEntries: z.number().int().positive().optional(),
  maxRecordBytes: z.number().int().positive().optional(),
  resolverMode: z.string().optional(),
  ttlMs: z.number().int().positive().optional(),
  staleWindowMs: nullableWindow.optional(),
  futureReachMs: nullableWindow.optional(),
  allowedLatenessMs: z.number().int().nonnegative().optional(),
  maxCandidatesPerKey: z.number().int().optional(),
  pruning: z.enum(["watermark", "reference"]).optional(),
  ambiguityScope: z.enum(["reference", "url_narrowed"]).optional(),
  overwriteModelGpuOnStale: z.boolean().optional(),
  identityOnlyFallback: z.boolean().optional(),
  servingIncludesMappedWindow: z.boolean().optional(),
  edgeSemanticsVersions: versionList.optional(),
  servingEdgeSemanticsVersion: z.enum(["v1", "v2"]).optional(),
  emitServingFact: z.boolean().optional(),
  initialEmitDelayMs: z.number().int().nonnegative().optional(),
  sessionStateTtlMs: z.number().int().positive().optional(),
  tombstoneTtlMs: z.number().int().positive().optional(),
  maxUnsealedSignalsPerSession: z.number().int().positive().optional(),
  maxRetainedRowsPerSession: z.number().int().positive().optional(),
  emitRawRows: z.boolean().optional(),
  emitCoverage: z.boolean().optional(),
  advanceGranularityMs: z.number().int().nonnegative().optional(),
  maxFutureSkewMs: z.number().int().nonnegative().optional(),
  frontierQuorum: z.number().int().min(1).max(16).optional(),
  emission: z.enum(["coalesced", "every-change", "final"]).optional(),
};

/**
 * Engine configuration input: every field optional; the preset decides the defaults of the
 * fields it owns (see `docs/engine.md` for the table of defaults).
 *
 * @category Engine
 */
export interface EngineConfigInput {
  /** `correction` (default) or `reference-compat`. */
  readonly preset?: EnginePreset;
  /** Overrides the preset's correction switch. */
  readonly correction?: boolean;
  /** Accepted schema versions; `[]` disables the check. */
  readonly supportedVersions?: string[];
  /** Dedup TTL, event-time ms. */
  readonly dedupTtlMs?: number;
  /** Dedup size bound. */
  readonly dedupMaxEntries?: number;
  /** Row-guard limit, UTF-8 bytes. */
  readonly maxRecordBytes?: number;
  /** `legacy_misnamed` (default) or `native_correct` / `native`; anything else is reported and ignored. */
  readonly resolverMode?: string;
  /** Freshness TTL, ms. */
  readonly ttlMs?: number;
  /** Stale eligibility window, ms; `null` = unbounded. */
  readonly staleWindowMs?: number | null;
  /** Future eligibility window and sealing delay, ms; `null` = unbounded. */
  readonly futureReachMs?: number | null;
  /** Allowed lateness behind the newest event, ms. */
  readonly allowedLatenessMs?: number;
  /** Candidate cap per lookup key (values < 1 act as 1). */
  readonly maxCandidatesPerKey?: number;
  /** `watermark` or `reference` pruning. */
  readonly pruning?: "watermark" | "reference";
  /** `reference` or `url_narrowed` ambiguity scope. */
  readonly ambiguityScope?: "reference" | "url_narrowed";
  /** Stale-band snapshots overwrite model and GPU. */
  readonly overwriteModelGpuOnStale?: boolean;
  /** Identity-only fallback after incompatible / ineligible selections. */
  readonly identityOnlyFallback?: boolean;
  /** Serving eligibility includes `mapped_window`. */
  readonly servingIncludesMappedWindow?: boolean;
  /** Latency definitions emitted, in order. */
  readonly edgeSemanticsVersions?: ("v1" | "v2")[];
  /** Latency definition served (must be emitted). */
  readonly servingEdgeSemanticsVersion?: "v1" | "v2";
  /** Emit `fact_workflow_session_serving`. */
  readonly emitServingFact?: boolean;
  /** Wait before a first unattributed status/trace row, ms. */
  readonly initialEmitDelayMs?: number;
  /** Idle session state TTL, ms. */
  readonly sessionStateTtlMs?: number;
  /** Tombstone TTL, ms. */
  readonly tombstoneTtlMs?: number;
  /** Correction cap on unsealed signals per session. */
  readonly maxUnsealedSignalsPerSession?: number;
  /** Correction cap on retained rows per session. */
  readonly maxRetainedRowsPerSession?: number;
  /** Emit raw typed rows. */
  readonly emitRawRows?: boolean;
  /** Emit coverage diagnostics. */
  readonly emitCoverage?: boolean;
  /** Minimum watermark step of `nextWatermark`, ms. */
  readonly advanceGranularityMs?: number;
  /**
   * How far an event time may lie ahead of the host's receive time (`EngineInput.receivedAt`)
   * before the event is quarantined as `event_time_in_future`, ms. Default 900 000 (15 min).
   */
  readonly maxFutureSkewMs?: number;
  /**
   * How many accepted events must reach an event time before the frontier (and so the watermark)
   * may move there; 1 follows the newest event. Default 2 (1 to 16).
   */
  readonly frontierQuorum?: number;
  /**
   * `coalesced` (default): each changed identity at most once per `advance` / `flush`;
   * `every-change`: every version at once; `final`: each identity once, when it can no longer
   * change. See {@link EmissionMode}.
   */
  readonly emission?: EmissionMode;
}

/**
 * Zod schema of {@link EngineConfigInput}.
 *
 * @category Engine
 */
export const EngineConfigSchema: z.ZodType<EngineConfigInput> = z.object(
  engineConfigShape,
) as unknown as z.ZodType<EngineConfigInput>;

/**
 * Resolved engine configuration: every knob with its value.
 *
 * @category Engine
 */
export interface EngineConfig {
  /** Preset the defaults came from. */
  readonly preset: EnginePreset;
  /** `true`: event-time folds with versioned corrections (default); `false`: arrival order (`REFERENCE_COMPAT`). */
  readonly correction: boolean;
  /** Quality-gate settings. */
  readonly gate: GateConfig;
  /** Lifecycle and attribution settings (with the correction limits). */
  readonly lifecycle: CorrectionOperatorConfig;
  /** Serving eligibility includes `mapped_window` rows (default `true`; read by serving views). */
  readonly servingIncludesMappedWindow: boolean;
  /** Emit the raw typed rows (`raw_*` tables). Default `true`. */
  readonly emitRawRows: boolean;
  /** Emit `fact_lifecycle_edge_coverage`. Default `true`. */
  readonly emitCoverage: boolean;
  /** Hosts advance the watermark only when it moved at least this much (ms). Default 1 000. */
  readonly advanceGranularityMs: number;
  /**
   * Plausibility bound of event times against the host's receive time, ms (default 900 000): an
   * event stamped more than this ahead of `EngineInput.receivedAt` is quarantined as
   * `event_time_in_future`. Applies only to inputs that carry `receivedAt`.
   */
  readonly maxFutureSkewMs: number;
  /**
   * Number of accepted events that must reach an event time before the event-time frontier moves
   * there (default 2): one event with a wrong clock can never move the watermark.
   */
  readonly frontierQuorum: number;
  /**
   * Emission of versioned rows (default `coalesced`): held in the state and emitted once per
   * identity at the next `advance` / `flush`, or `every-change` (each version at once).
   */
  readonly emission: EmissionMode;
}

/**
 * A configuration problem or notice.
 *
 * @category Engine
 */
export interface ConfigNotice {
  /** `unknown_key`: not a configuration field; `ignored_value`: a value that was replaced. */
  readonly code: "unknown_key" | "ignored_value";
  /** The key. */
  readonly key: string;
  /** Human-readable detail. */
  readonly message: string;
}

/**
 * Result of {@link resolveEngineConfig}.
 *
 * @category Engine
 */
export type EngineConfigResult =
  | { readonly ok: true; readonly config: EngineConfig; readonly notices: readonly ConfigNotice[] }
  | {
      readonly ok: false;
      readonly error: { readonly code: "invalid_config"; readonly issues: readonly string[] };
    };

/**
 * The attribution defaults of each preset (`attribution.md` §7.2): the preset-owned fields
 * (`pruning`, `staleWindowMs`, `futureReachMs`) and every other attribution default, all taken from
 * {@link DEFAULT_ATTRIBUTION_CONFIG} / {@link REFERENCE_COMPAT_ATTRIBUTION_CONFIG}.
 */
const PRESET_ATTRIBUTION: { readonly [P in EnginePreset]: AttributionConfig } = {
  correction: DEFAULT_ATTRIBUTION_CONFIG,
  "reference-compat": REFERENCE_COMPAT_ATTRIBUTION_CONFIG,
};

/**
 * Validates a configuration input, applies the preset and the defaults, and reports unknown keys
 * and ignored values as notices.
 *
 * @category Engine
 * @example
 * const r = resolveEngineConfig({ preset: "reference-compat", edgeSemanticsVersions: ["v1", "v2"] });
 * if (r.ok) r.config.correction // false
 */
export function resolveEngineConfig(
  input: EngineConfigInput | Record<string, unknown> = {},
): EngineConfigResult {
  const notices: ConfigNotice[] = [];
  const known = new Set(Object.keys(engineConfigShape));
  for (const key of Object.keys(input)) {
    if (!known.has(key))
      notices.push({
        code: "unknown_key",
        key,
        message: `unknown configuration key "${key}" was ignored`,
      });
  }
  const parsed = EngineConfigSchema.safeParse(input);
  if (!parsed.success) {
    return {
      ok: false,
      error: {
        code: "invalid_config",
        issues: configIssues(parsed.error),
      },
    };
  }
  const c = parsed.data;
  const preset: EnginePreset =
    c.preset ?? (c.correction === false ? "reference-compat" : "correction");
  const p = PRESET_ATTRIBUTION[preset];
  const resolverMode = resolveResolverMode(c.resolverMode);
  if (
    c.resolverMode !== undefined &&
    !["legacy_misnamed", "native_correct", "native"].includes(c.resolverMode.trim().toLowerCase())
  ) {
    notices.push({
      code: "ignored_value",
      key: "resolverMode",
      message: `unknown resolver mode "${c.resolverMode}"; using ${DEFAULT_RESOLVER_MODE}`,
    });
  }
  let k = c.maxCandidatesPerKey ?? p.maxCandidatesPerKey;
  if (k < 1) {
    notices.push({
      code: "ignored_value",
      key: "maxCandidatesPerKey",
      message: `maxCandidatesPerKey ${k} < 1 acts as 1`,
    });
    k = 1;
  }
  const versions = c.edgeSemanticsVersions ?? [...DEFAULT_LIFECYCLE_CONFIG.edgeSemanticsVersions];
  let serving =
    c.servingEdgeSemanticsVersion ?? DEFAULT_LIFECYCLE_CONFIG.servingEdgeSemanticsVersion;
  if (!versions.includes(serving)) {
    notices.push({
      code: "ignored_value",
      key: "servingEdgeSemanticsVersion",
      message: `"${serving}" is not in edgeSemanticsVersions; using "${versions[0]!}"`,
    });
    serving = versions[0]!;
  }
  const attribution: AttributionConfig = {
    ttlMs: c.ttlMs ?? p.ttlMs,
    staleWindowMs: c.staleWindowMs === undefined ? p.staleWindowMs : c.staleWindowMs,
    futureReachMs: c.futureReachMs === undefined ? p.futureReachMs : c.futureReachMs,
    allowedLatenessMs: c.allowedLatenessMs ?? p.allowedLatenessMs,
    maxCandidatesPerKey: k,
    pruning: c.pruning ?? p.pruning,
    ambiguityScope: c.ambiguityScope ?? p.ambiguityScope,
  };
  const d = DEFAULT_LIFECYCLE_CONFIG;
  const lifecycle: LifecycleConfig = {
    resolverMode,
    attribution,
    overwriteModelGpuOnStale: c.overwriteModelGpuOnStale ?? d.overwriteModelGpuOnStale,
    identityOnlyFallback: c.identityOnlyFallback ?? d.identityOnlyFallback,
    edgeSemanticsVersions: versions,
    servingEdgeSemanticsVersion: serving,
    emitServingFact: c.emitServingFact ?? d.emitServingFact,
    initialEmitDelayMs: c.initialEmitDelayMs ?? d.initialEmitDelayMs,
    sessionStateTtlMs: c.sessionStateTtlMs ?? d.sessionStateTtlMs,
    tombstoneTtlMs: c.tombstoneTtlMs ?? d.tombstoneTtlMs,
  };
  return {
    ok: true,
    notices,
    config: {
      preset,
      correction: c.correction ?? preset === "correction",
      gate: {
        supportedVersions: c.supportedVersions ?? DEFAULT_GATE_CONFIG.supportedVersions,
        dedupTtlMs: c.dedupTtlMs ?? DEFAULT_GATE_CONFIG.dedupTtlMs,
        dedupMaxEntries: c.dedupMaxEntries ?? DEFAULT_GATE_CONFIG.dedupMaxEntries,
        maxRecordBytes: c.maxRecordBytes ?? DEFAULT_GATE_CONFIG.maxRecordBytes,
      },
      lifecycle: {
        ...lifecycle,
        maxUnsealedSignalsPerSession:
          c.maxUnsealedSignalsPerSession ?? DEFAULT_CORRECTION_CONFIG.maxUnsealedSignalsPerSession,
        maxRetainedRowsPerSession:
          c.maxRetainedRowsPerSession ?? DEFAULT_CORRECTION_CONFIG.maxRetainedRowsPerSession,
      },
      servingIncludesMappedWindow: c.servingIncludesMappedWindow ?? true,
      emitRawRows: c.emitRawRows ?? true,
      emitCoverage: c.emitCoverage ?? true,
      advanceGranularityMs: c.advanceGranularityMs ?? 1000,
      maxFutureSkewMs: c.maxFutureSkewMs ?? DEFAULT_MAX_FUTURE_SKEW_MS,
      frontierQuorum: c.frontierQuorum ?? DEFAULT_FRONTIER_QUORUM,
      emission: c.emission ?? "coalesced",
    },
  };
}
