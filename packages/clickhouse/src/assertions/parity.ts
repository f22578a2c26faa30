/**
 * The standard parity pattern with overlap diagnostics (`ingest-and-storage.md` §5.2, design note
 * 001): an expected keyed set from a lower layer (the "rollup" side) against the keyed set of the
 * layer under test (the "view" side).
 *
 * @module
 */

/**
 * A compared measure: integer counts report `total_diff_<name>`, floats `max_abs_diff_<name>`
 * (relative to `max(1, |expected|)`), text `mismatch_<name>`.
 */
export interface ParityMeasure {
  /** Column name on both sides. */
  readonly name: string;
  /** Comparison kind. */
  readonly kind: "count" | "float" | "text";
}

/** Inputs of {@link paritySql}. */
export interface ParitySpec {
  /** Expected side: a `SELECT` returning the key columns and the measures. */
  readonly rollup: string;
  /** Side under test: a `SELECT` returning the same columns. */
  readonly view: string;
  /** Key columns (never NULL on either side: normalize with `ifNull` first). */
  readonly keys: readonly string[];
  /** String key columns whose empty values are counted per side (key completeness). */
  readonly textKeys: readonly string[];
  /** Compared measures. */
  readonly measures: readonly ParityMeasure[];
  /** Tolerance of every difference. */
  readonly tolerance: number;
}

function diffExpr(m: ParityMeasure): string {
  const r = `r.${m.name}`;
  const v = `v.${m.name}`;
  switch (m.kind) {
    case "count":
      return `abs(toFloat64(ifNull(${r}, 0)) - toFloat64(ifNull(${v}, 0)))`;
    case "float":
      return (
        `if(isNull(${r}) != isNull(${v}), inf, ` +
        `ifNull(abs(toFloat64(${r}) - toFloat64(${v})) / greatest(1, abs(toFloat64(${r}))), 0))`
      );
    case "text":
      return `toFloat64(ifNull(toString(${r}), '\\0') != ifNull(toString(${v}), '\\0'))`;
  }
}

function summary(m: ParityMeasure): string {
  const joined = "in_r = 1 AND in_v = 1";
  switch (m.kind) {
    case "count":
      return `sumIf(d_${m.name}, ${joined}) AS total_diff_${m.name}`;
    case "float":
      return `maxIf(d_${m.name}, ${joined}) AS max_abs_diff_${m.name}`;
    case "text":
      return `toUInt64(sumIf(d_${m.name}, ${joined})) AS mismatch_${m.name}`;
  }
}

/**
 * One-row parity query with the §5.2 diagnostics: `rollup_rows`, `view_rows`, `joined_rows`,
 * `rollup_only_keys`, `view_only_keys`, per-measure differences, `mismatched_rows`, the per-side
 * empty-key counts, `failure_mode` (`EMPTY_BOTH` → `NO_OVERLAP_BOTH_NONEMPTY` → `KEY_MISMATCH` →
 * `VALUE_MISMATCH` → `PASS`), `failed_rows` (1 unless `PASS` or `EMPTY_BOTH`) and `checked_rows`.
 */
export function paritySql(spec: ParitySpec): string {
  const tol = String(spec.tolerance);
  const anyDiff =
    spec.measures.length === 0
      ? "0"
      : spec.measures.map((m) => `d_${m.name} > ${tol}`).join(" OR ");
  const empties = spec.textKeys.flatMap((k) => [
    `countIf(in_r = 1 AND ${k} = '') AS rollup_empty_${k}_rows`,
    `countIf(in_v = 1 AND ${k} = '') AS view_empty_${k}_rows`,
  ]);
  const columns = [
    "countIf(in_r = 1) AS rollup_rows",
    "countIf(in_v = 1) AS view_rows",
    "countIf(in_r = 1 AND in_v = 1) AS joined_rows",
    "countIf(in_r = 1 AND in_v = 0) AS rollup_only_keys",
    "countIf(in_r = 0 AND in_v = 1) AS view_only_keys",
    ...spec.measures.map(summary),
    `countIf(in_r = 1 AND in_v = 1 AND (${anyDiff})) AS mismatched_rows`,
    ...empties,
    `multiIf(rollup_rows = 0 AND view_rows = 0, 'EMPTY_BOTH',
        joined_rows = 0 AND rollup_rows > 0 AND view_rows > 0, 'NO_OVERLAP_BOTH_NONEMPTY',
        rollup_only_keys > 0 OR view_only_keys > 0, 'KEY_MISMATCH',
        mismatched_rows > 0, 'VALUE_MISMATCH',
        'PASS') AS failure_mode`,
    "toUInt64(failure_mode NOT IN ('PASS', 'EMPTY_BOTH')) AS failed_rows",
    "rollup_rows + view_rows AS checked_rows",
  ];
  return `WITH
r AS (SELECT *, toUInt8(1) AS _in FROM (
${spec.rollup}
)),
v AS (SELECT *, toUInt8(1) AS _in FROM (
${spec.view}
)),
j AS (
    SELECT
        ${spec.keys.join(", ")},
        ifNull(r._in, 0) AS in_r,
        ifNull(v._in, 0) AS in_v${spec.measures.map((m) => `,\n        ${diffExpr(m)} AS d_${m.name}`).join("")}
    FROM r FULL OUTER JOIN v USING (${spec.keys.join(", ")})
)
SELECT
    ${columns.join(",\n    ")}
FROM j
SETTINGS join_use_nulls = 1`;
}
