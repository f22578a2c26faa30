/**
 * Shared shapes of the typed-row parsers.
 *
 * @module
 */

/**
 * One problem a parser met while reading an event. Parsers are total: a problem never throws,
 * it is returned next to the rows that could be read (`ingest-and-storage.md` §2.8).
 *
 * @category Parsing
 */
export interface ParseIssue {
  /** Stable machine-readable code, e.g. `"not_an_object"`, `"unexpected_exception"`. */
  readonly code: string;
  /** Where in the payload, e.g. `"data[3].hardware"`. */
  readonly path: string;
  /** Human-readable detail. */
  readonly message: string;
}

/**
 * Rows produced by one parser for one event, plus the issues it met.
 *
 * @category Parsing
 */
export interface ParserOutput<R> {
  /** Rows that could be read, in payload order. */
  readonly rows: R[];
  /** Problems met; a non-empty list produces one `PARSE` DLQ envelope for the event. */
  readonly issues: ParseIssue[];
}

/**
 * Wraps a row list without issues.
 *
 * @category Parsing
 */
export function rowsOnly<R>(rows: R[]): ParserOutput<R> {
  return { rows, issues: [] };
}
