/**
 * The SQL assertion suite (`ingest-and-storage.md` §5, `attribution.md` §7.6): data-driven
 * definitions (a single-row query and an evaluation each) run against the tables and serving views.
 *
 * @module
 */
export {
  ASSERTIONS,
  ASSERTION_NAMES,
  DEFAULT_ASSERTION_THRESHOLDS,
  assertionContext,
  evaluateAssertionRow,
  renderAssertionSql,
  runAssertions,
} from "./run.js";
export type {
  AssertionContext,
  AssertionDefinition,
  AssertionExecutor,
  AssertionFamily,
  AssertionOptions,
  AssertionOutcome,
  AssertionResult,
  AssertionRow,
  AssertionSeverity,
  AssertionStatus,
  AssertionThresholds,
  RateThreshold,
} from "./types.js";
