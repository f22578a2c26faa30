/**
 * Internal shape of a generated view.
 *
 * @module
 */

/** One view: its unqualified name and the `SELECT` body (SQL comments allowed). */
export interface ViewStatement {
  /** Unqualified view name. */
  readonly name: string;
  /** Body of `CREATE OR REPLACE VIEW <name> AS <sql>`. */
  readonly sql: string;
}
