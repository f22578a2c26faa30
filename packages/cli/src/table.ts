/**
 * Plain-text tables for terminal output.
 *
 * @module
 */

/**
 * Renders rows as an aligned text table; numeric cells are right-aligned. Numbers get thousands
 * separators (counts) unless `exactNumbers`, which prints them as JavaScript does (query results).
 */
export function formatTable(
  headers: readonly string[],
  rows: readonly (readonly (string | number)[])[],
  exactNumbers = false,
): string {
  const cells = rows.map((r) =>
    r.map((c) =>
      typeof c !== "number" ? c : exactNumbers ? String(c) : c.toLocaleString("en-US"),
    ),
  );
  const widths = headers.map((h, i) =>
    Math.max(h.length, ...cells.map((r) => (r[i] ?? "").length)),
  );
  const numeric = headers.map(
    (_, i) => rows.length > 0 && rows.every((r) => typeof r[i] === "number"),
  );
  const line = (r: readonly string[]): string =>
    r
      .map((c, i) => (numeric[i] ? c.padStart(widths[i]!) : c.padEnd(widths[i]!)))
      .join("  ")
      .trimEnd();
  return [line(headers), line(widths.map((w) => "-".repeat(w))), ...cells.map(line)].join("\n");
}

function cell(value: unknown): string | number {
  if (value === null || value === undefined) return "NULL";
  if (typeof value === "number") return value;
  if (typeof value === "string") return value;
  return JSON.stringify(value);
}

/** Renders query rows in one of the `--format`s. */
export function renderRows(rows: readonly Record<string, unknown>[], format: string): string {
  if (format === "json") return JSON.stringify(rows, null, 2) + "\n";
  if (format === "jsonl") return rows.map((r) => JSON.stringify(r) + "\n").join("");
  const first = rows[0];
  if (first === undefined) return "(0 rows)\n";
  const columns = Object.keys(first);
  if (format === "vertical") {
    const width = Math.max(...columns.map((c) => c.length));
    return (
      rows
        .map(
          (r, i) =>
            `-- row ${i + 1} --\n` +
            columns.map((c) => `${c.padStart(width)}: ${String(cell(r[c]))}`).join("\n"),
        )
        .join("\n") + `\n(${rows.length} row${rows.length === 1 ? "" : "s"})\n`
    );
  }
  return (
    formatTable(
      columns,
      rows.map((r) => columns.map((c) => cell(r[c]))),
      true,
    ) + `\n(${rows.length} row${rows.length === 1 ? "" : "s"})\n`
  );
}
