/**
 * Running and rendering the assertion suite.
 *
 * @module
 */
import { resolveViewOptions } from "../views/options.js";
import { qualify } from "../views/sql.js";
import { ASSERTION_DEFINITIONS } from "./definitions.js";
import type {
  AssertionContext,
  AssertionDefinition,
  AssertionExecutor,
  AssertionOptions,
  AssertionOutcome,
  AssertionResult,
  AssertionRow,
  AssertionThresholds,
} from "./types.js";

/**
 * Default KPI thresholds (`attribution.md` §7.6) and comparison tolerance (`ingest-and-storage.md`
 * §5.2).
 *
 * @category Assertions
 */
export const DEFAULT_ASSERTION_THRESHOLDS: AssertionThresholds = {
  emptyKeyRate: { warn: 0.02, fail: 0.05 },
  unattributedSessionRate: { warn: 0.02, fail: 0.05 },
  ambiguousRate: 0.01,
  pipelineCoverage: 0.99,
  tolerance: 1e-6,
};

/**
 * Every assertion of the suite, in run order: grain uniqueness, additive consistency, latency
 * validity, served/unserved, wrapper parity, rollup parity, attribution KPIs, canonical identity,
 * serving purity.
 *
 * @category Assertions
 */
export const ASSERTIONS: readonly AssertionDefinition[] = ASSERTION_DEFINITIONS;

/**
 * Names of every assertion of {@link ASSERTIONS}.
 *
 * @category Assertions
 */
export const ASSERTION_NAMES: readonly string[] = ASSERTIONS.map((a) => a.name);

function finiteThreshold(name: string, value: number): number {
  if (!Number.isFinite(value) || value < 0) {
    throw new RangeError(`threshold ${name} must be a finite number ≥ 0`);
  }
  return value;
}

/**
 * Resolves the options of {@link runAssertions} into the context every assertion's SQL sees.
 *
 * @throws RangeError on invalid view options or thresholds.
 * @category Assertions
 */
export function assertionContext(options: AssertionOptions = {}): AssertionContext {
  const view = resolveViewOptions(options);
  const th = { ...DEFAULT_ASSERTION_THRESHOLDS, ...options.thresholds };
  finiteThreshold("emptyKeyRate.warn", th.emptyKeyRate.warn);
  finiteThreshold("emptyKeyRate.fail", th.emptyKeyRate.fail);
  finiteThreshold("unattributedSessionRate.warn", th.unattributedSessionRate.warn);
  finiteThreshold("unattributedSessionRate.fail", th.unattributedSessionRate.fail);
  finiteThreshold("ambiguousRate", th.ambiguousRate);
  finiteThreshold("pipelineCoverage", th.pipelineCoverage);
  finiteThreshold("tolerance", th.tolerance);
  return { view, thresholds: th, t: (name) => qualify(view, name) };
}

/** A numeric value of a result cell (ClickHouse may send 64-bit integers as strings). */
function numeric(value: unknown): number | null {
  if (typeof value === "number") return value;
  if (typeof value === "bigint") return Number(value);
  if (typeof value === "string" && /^-?\d+(\.\d+)?([eE][-+]?\d+)?$/.test(value))
    return Number(value);
  return null;
}

/** Every cell of a result row as a diagnostic: numbers stay numbers, anything else becomes text. */
function diagnosticsOf(row: AssertionRow | undefined): Record<string, number | string> {
  const out: Record<string, number | string> = {};
  if (row === undefined) return out;
  for (const [key, value] of Object.entries(row)) {
    const n = numeric(value);
    if (n !== null) out[key] = n;
    else if (typeof value === "string") out[key] = value;
    else out[key] = JSON.stringify(value) ?? "null";
  }
  return out;
}

/**
 * The default evaluation of an assertion row (`ingest-and-storage.md` §5.1 contract):
 *
 * - no row, or a missing / non-numeric `failed_rows` → `fail`;
 * - `failed_rows > 0` → `fail` for `error` severity, `warn` for `warning`, `pass` for `info`;
 * - else `warn_rows > 0` → `warn` (`pass` for `info`);
 * - else `pass`, with a "vacuous pass" note when `checked_rows = 0` (the checked table or view is
 *   empty, so the property holds trivially).
 *
 * @category Assertions
 */
export function evaluateAssertionRow(
  row: AssertionRow | undefined,
  definition: AssertionDefinition,
): AssertionOutcome {
  if (row === undefined) {
    return { status: "fail", message: "the assertion query returned no row" };
  }
  const failed = numeric(row["failed_rows"]);
  if (failed === null) {
    return { status: "fail", message: "the assertion query returned no numeric failed_rows" };
  }
  const warnRows = numeric(row["warn_rows"]) ?? 0;
  const checked = numeric(row["checked_rows"]);
  const mode = typeof row["failure_mode"] === "string" ? ` (${row["failure_mode"]})` : "";
  if (failed > 0) {
    const text = `failed_rows = ${String(failed)}${mode}: ${definition.description}`;
    if (definition.severity === "error") return { status: "fail", message: text };
    if (definition.severity === "warning") return { status: "warn", message: text };
    return { status: "pass", message: `informational: ${text}` };
  }
  if (warnRows > 0) {
    const text = `above the warning threshold: ${definition.description}`;
    return definition.severity === "info"
      ? { status: "pass", message: `informational: ${text}` }
      : { status: "warn", message: text };
  }
  if (checked === 0) {
    return {
      status: "pass",
      message: "vacuous pass: nothing to check (the checked tables or views are empty)",
    };
  }
  return {
    status: "pass",
    message: checked === null ? "ok" : `ok (${String(checked)} checked)`,
  };
}

/**
 * Runs the assertion suite against a database that holds the tables of `generateDdl` and the views
 * of `generateViewDdl` (created with the same options). Every assertion runs, in {@link ASSERTIONS}
 * order, even after failures; a query error is a `fail` with the error text in `message` and
 * `diagnostics.error`.
 *
 * @param executor - runs one `SELECT` and returns its rows.
 * @param options - the view options the views were generated with, thresholds, an optional subset.
 * @returns one result per assertion run.
 * @throws RangeError on invalid options or an unknown name in `only`.
 * @category Assertions
 * @example
 * const results = await runAssertions({ query: (sql) => client.query({ query: sql, format: "JSONEachRow" }).then((r) => r.json()) });
 * const failed = results.filter((r) => r.status === "fail");
 */
export async function runAssertions(
  executor: AssertionExecutor,
  options: AssertionOptions = {},
): Promise<AssertionResult[]> {
  const ctx = assertionContext(options);
  const only = options.only;
  if (only !== undefined) {
    const unknown = only.filter((n) => !ASSERTION_NAMES.includes(n));
    if (unknown.length > 0) throw new RangeError(`unknown assertions: ${unknown.join(", ")}`);
  }
  const selected =
    only === undefined ? ASSERTIONS : ASSERTIONS.filter((a) => only.includes(a.name));
  const results: AssertionResult[] = [];
  for (const definition of selected) {
    const base = {
      name: definition.name,
      family: definition.family,
      severity: definition.severity,
    };
    try {
      const rows = await executor.query<AssertionRow>(definition.sql(ctx));
      const row = rows[0];
      const outcome = (definition.evaluate ?? evaluateAssertionRow)(row, definition, ctx);
      results.push({ ...base, ...outcome, diagnostics: diagnosticsOf(row) });
    } catch (error) {
      const text = error instanceof Error ? error.message : String(error);
      results.push({
        ...base,
        status: "fail",
        message: `the assertion query failed: ${text}`,
        diagnostics: { error: text },
      });
    }
  }
  return results;
}

/**
 * The suite as one SQL file in the harness format of `ingest-and-storage.md` §5.1: each test starts
 * with `-- TEST: <name>`, followed by its description as comment lines and its query terminated by
 * `;`. A test passes when the first row's `failed_rows` is 0.
 *
 * @category Assertions
 */
export function renderAssertionSql(options: AssertionOptions = {}): string {
  const ctx = assertionContext(options);
  return (
    ASSERTIONS.map(
      (a) => `-- TEST: ${a.name}\n-- [${a.family}, ${a.severity}] ${a.description}\n${a.sql(ctx)};`,
    ).join("\n\n") + "\n"
  );
}
