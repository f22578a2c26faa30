/**
 * Options of the serving-layer DDL and their resolution (`ingest-and-storage.md` §4, `attribution.md`
 * §7.4).
 *
 * @module
 */
import { DEFAULT_DATABASE } from "../schema/ddl.js";

/**
 * Weights of the three SLA components (`ingest-and-storage.md` §4.8). The reference weights are
 * `0.4 / 0.2 / 0.4`.
 *
 * @category Views
 */
export interface SlaWeights {
  /** Weight of `1 − unexcused / known` (startup). */
  readonly startup: number;
  /** Weight of `1 − swapped / known` (no swap). */
  readonly noSwap: number;
  /** Weight of `1 − (loading-only or zero-output) / known` (output). */
  readonly output: number;
}

/**
 * Options of {@link generateViewDdl}. Every option has the SDK default of the specification.
 *
 * @category Views
 */
export interface ViewDdlOptions {
  /** Database that holds the tables and receives the views; default `livepeer_analytics` (as `generateDdl`). */
  readonly database?: string;
  /** Latency definition the serving views read (`lifecycle.md` §6.3); default `"v1"`. */
  readonly servingEdgeSemanticsVersion?: "v1" | "v2";
  /**
   * Serving eligibility (`attribution.md` §7.4 rule 1). `true` (default): attributed rows of both
   * `direct` and `mapped_window` sources, the reference population. `false`: `direct` rows only.
   */
  readonly servingIncludesMappedWindow?: boolean;
  /**
   * Clamp the health ratio and every reported ratio to `[0, 1]` so that `sla_score ∈ [0, 100]`
   * (default `true`, `ingest-and-storage.md` §4.8, 11.11). `false` reproduces the reference formulas
   * for parity tests.
   */
  readonly capHealthRatio?: boolean;
  /**
   * Fee computation (`ingest-and-storage.md` §4.5, 11.7): `"strip-units"` (default) sums the parsed
   * `fact_payments.face_value_wei`; `"strict-reference"` reproduces the reference
   * `toFloat64OrZero(face_value)` (0 for `"N WEI"` text).
   */
  readonly feeParsing?: "strip-units" | "strict-reference";
  /** SLA component weights; default `{ startup: 0.4, noSwap: 0.2, output: 0.4 }`. */
  readonly slaWeights?: SlaWeights;
  /** Multiply the SLA score by the health ratio `H` (default `true`, the V-B formula). */
  readonly slaHealthMultiplier?: boolean;
  /** Minimum status samples of a `v_api_jitter_5m` bucket; default `10` (V-B; V-C uses `5`). */
  readonly jitterMinSamples?: number;
}

/**
 * {@link ViewDdlOptions} with every default applied.
 *
 * @category Views
 */
export interface ResolvedViewOptions {
  /** Database of the tables and views. */
  readonly database: string;
  /** Latency definition read by the serving views. */
  readonly servingEdgeSemanticsVersion: "v1" | "v2";
  /** Serving eligibility includes `mapped_window` rows. */
  readonly servingIncludesMappedWindow: boolean;
  /** Ratios clamped to `[0, 1]`. */
  readonly capHealthRatio: boolean;
  /** Fee computation. */
  readonly feeParsing: "strip-units" | "strict-reference";
  /** SLA component weights. */
  readonly slaWeights: SlaWeights;
  /** SLA score multiplied by the health ratio. */
  readonly slaHealthMultiplier: boolean;
  /** Minimum samples of a jitter bucket. */
  readonly jitterMinSamples: number;
}

const DEFAULT_SLA_WEIGHTS: SlaWeights = { startup: 0.4, noSwap: 0.2, output: 0.4 };

/**
 * Applies the defaults of {@link ViewDdlOptions} and validates the values.
 *
 * @throws RangeError on an invalid database name, a non-finite or negative weight, or a negative or
 *   fractional `jitterMinSamples`.
 * @category Views
 */
export function resolveViewOptions(options: ViewDdlOptions = {}): ResolvedViewOptions {
  const database = options.database ?? DEFAULT_DATABASE;
  if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(database)) {
    throw new RangeError(`invalid database name: ${JSON.stringify(database)}`);
  }
  const slaWeights = options.slaWeights ?? DEFAULT_SLA_WEIGHTS;
  for (const [name, w] of Object.entries(slaWeights)) {
    if (typeof w !== "number" || !Number.isFinite(w) || w < 0) {
      throw new RangeError(`slaWeights.${name} must be a finite number ≥ 0`);
    }
  }
  const jitterMinSamples = options.jitterMinSamples ?? 10;
  if (!Number.isSafeInteger(jitterMinSamples) || jitterMinSamples < 0) {
    throw new RangeError("jitterMinSamples must be a non-negative integer");
  }
  const version = options.servingEdgeSemanticsVersion ?? "v1";
  if (version !== "v1" && version !== "v2") {
    throw new RangeError(`servingEdgeSemanticsVersion must be "v1" or "v2"`);
  }
  const feeParsing = options.feeParsing ?? "strip-units";
  if (feeParsing !== "strip-units" && feeParsing !== "strict-reference") {
    throw new RangeError(`feeParsing must be "strip-units" or "strict-reference"`);
  }
  return {
    database,
    servingEdgeSemanticsVersion: version,
    servingIncludesMappedWindow: options.servingIncludesMappedWindow ?? true,
    capHealthRatio: options.capHealthRatio ?? true,
    feeParsing,
    slaWeights,
    slaHealthMultiplier: options.slaHealthMultiplier ?? true,
    jitterMinSamples,
  };
}
