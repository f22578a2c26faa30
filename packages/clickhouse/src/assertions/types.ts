/**
 * Types of the SQL assertion suite (`ingest-and-storage.md` §5, `attribution.md` §7.6).
 *
 * @module
 */
import type { ResolvedViewOptions, ViewDdlOptions } from "../views/options.js";

/**
 * Assertion families (design note 000, `ingest-and-storage.md` §5.6, the "ClickHouse adapter" issue).
 *
 * - `grain_uniqueness`: one latest row per identity in every versioned fact; unique keys in every
 *   serving view;
 * - `additive_consistency`: additive fields non-negative, conserved and consistent with their ratios;
 * - `latency_validity`: latencies non-negative, `has_*` flags and null reasons consistent;
 * - `served_unserved`: `served + unserved = known` in sessions and views, failure reasons consistent;
 * - `wrapper_parity`: every `v_api_*` wrapper equals its `v_serving_*` view row for row;
 * - `rollup_parity`: a view against a recomputation from a lower layer (5.2 overlap diagnostics);
 * - `attribution_kpi`: empty-key rates, attributable vs unattributed proportions, pipeline coverage
 *   (`attribution.md` §7.6 thresholds);
 * - `canonical_identity`: facts store canonical orchestrator addresses only, never a hot wallet;
 * - `serving_purity`: the serving views exist and read no raw table (11.19).
 *
 * @category Assertions
 */
export type AssertionFamily =
  | "grain_uniqueness"
  | "additive_consistency"
  | "latency_validity"
  | "served_unserved"
  | "wrapper_parity"
  | "rollup_parity"
  | "attribution_kpi"
  | "canonical_identity"
  | "serving_purity";

/**
 * How bad a violation is: `error` violations fail the suite, `warning` violations only warn, `info`
 * assertions never fail (their diagnostics are informational).
 *
 * @category Assertions
 */
export type AssertionSeverity = "error" | "warning" | "info";

/**
 * Outcome of one assertion. There is no `skip`: an assertion whose population is empty passes
 * vacuously and says so in its message (`checked_rows = 0`).
 *
 * @category Assertions
 */
export type AssertionStatus = "pass" | "fail" | "warn";

/**
 * Result of one assertion.
 *
 * @category Assertions
 */
export interface AssertionResult {
  /** Assertion name (stable, snake_case). */
  readonly name: string;
  /** Family of the assertion. */
  readonly family: AssertionFamily;
  /** Outcome. */
  readonly status: AssertionStatus;
  /** Severity of a violation. */
  readonly severity: AssertionSeverity;
  /** Human-readable outcome, including the vacuous-pass note. */
  readonly message: string;
  /** Every column of the assertion's result row (numbers as numbers, arrays as JSON text). */
  readonly diagnostics: Readonly<Record<string, number | string>>;
}

/**
 * The query seam `runAssertions` needs: run one `SELECT` and return its rows as objects.
 *
 * @category Assertions
 */
export interface AssertionExecutor {
  /** Runs `sql` and returns its rows (`JSONEachRow` objects). */
  query<T>(sql: string): Promise<T[]>;
}

/**
 * A rate threshold pair: warn above `warn`, fail above `fail`.
 *
 * @category Assertions
 */
export interface RateThreshold {
  /** Warn when the rate exceeds this value. */
  readonly warn: number;
  /** Fail when the rate exceeds this value. */
  readonly fail: number;
}

/**
 * Thresholds of the attribution KPIs (`attribution.md` §7.6) and the numeric tolerance of value
 * comparisons (`ingest-and-storage.md` §5.2).
 *
 * @category Assertions
 */
export interface AssertionThresholds {
  /** `empty_key_rate` per table; default warn 0.02, fail 0.05. */
  readonly emptyKeyRate: RateThreshold;
  /** `unattributed_session_rate`; default warn 0.02, fail 0.05. */
  readonly unattributedSessionRate: RateThreshold;
  /** `ambiguous_rate` warning level; default 0.01 (never fails). */
  readonly ambiguousRate: number;
  /** Minimum `pipeline_coverage`; default 0.99 (the reference's readiness SLO). */
  readonly pipelineCoverage: number;
  /** Relative tolerance of float comparisons; default 1e-6. */
  readonly tolerance: number;
}

/**
 * Options of `runAssertions`: the serving-view options the views were generated with (so that
 * recomputations use the same database, eligibility, latency version and ratio clamps), KPI
 * thresholds, and an optional subset of assertion names.
 *
 * @category Assertions
 */
export interface AssertionOptions extends ViewDdlOptions {
  /** Threshold overrides. */
  readonly thresholds?: Partial<AssertionThresholds>;
  /** Run only the assertions with these names (all when omitted). */
  readonly only?: readonly string[];
}

/**
 * What an assertion's SQL and evaluation see.
 *
 * @category Assertions
 */
export interface AssertionContext {
  /** Resolved serving-view options. */
  readonly view: ResolvedViewOptions;
  /** Resolved thresholds. */
  readonly thresholds: AssertionThresholds;
  /** Database-qualified name of a table or view. */
  readonly t: (name: string) => string;
}

/**
 * One result row of an assertion query.
 *
 * @category Assertions
 */
export type AssertionRow = Readonly<Record<string, unknown>>;

/**
 * What an evaluation decides.
 *
 * @category Assertions
 */
export interface AssertionOutcome {
  /** Outcome. */
  readonly status: AssertionStatus;
  /** Human-readable outcome. */
  readonly message: string;
}

/**
 * One data-driven assertion: a single-row SQL query and an evaluation of that row.
 *
 * The query follows the harness contract of `ingest-and-storage.md` §5.1: its first row has a
 * numeric `failed_rows` (0 = no violation); optional `warn_rows` (> 0 = warning) and `checked_rows`
 * (0 = vacuous pass); every other column is a diagnostic.
 *
 * @category Assertions
 */
export interface AssertionDefinition {
  /** Stable snake_case name. */
  readonly name: string;
  /** Family. */
  readonly family: AssertionFamily;
  /** Severity of a violation. */
  readonly severity: AssertionSeverity;
  /** What is checked and what fails it. */
  readonly description: string;
  /** Renders the query. */
  readonly sql: (ctx: AssertionContext) => string;
  /** Evaluates the first result row (`undefined` when the query returned none); default {@link evaluateAssertionRow}. */
  readonly evaluate?: (
    row: AssertionRow | undefined,
    definition: AssertionDefinition,
    ctx: AssertionContext,
  ) => AssertionOutcome;
}
