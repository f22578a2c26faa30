/**
 * Output identities (`spec/README.md`, "Output tables"): the key whose latest row (max `version`)
 * is the fact, per versioned table.
 *
 * @module
 */

/**
 * Tables whose rows are versioned revisions of an identity.
 *
 * @category Lifecycle
 */
export const VERSIONED_TABLES = [
  "fact_workflow_sessions",
  "fact_workflow_session_segments",
  "fact_workflow_param_updates",
  "fact_stream_status_samples",
  "fact_stream_trace_edges",
  "fact_workflow_latency_samples",
  "fact_workflow_session_serving",
  "fact_lifecycle_edge_coverage",
] as const;

/**
 * A versioned table.
 *
 * @category Lifecycle
 */
export type VersionedTable = (typeof VERSIONED_TABLES)[number];

const VERSIONED: ReadonlySet<string> = new Set(VERSIONED_TABLES);

/**
 * `true` when rows of `table` are revisions of an identity (readers keep the max `version`).
 *
 * @category Lifecycle
 */
export function isVersionedTable(table: string): table is VersionedTable {
  return VERSIONED.has(table);
}

/**
 * The identity of a row of a versioned table (a string key), or `null` for append-only tables.
 *
 * @category Lifecycle
 * @example
 * rowIdentity("fact_workflow_session_segments", { workflow_session_id: "s|r", segment_index: 0 }) // "s|r\u00000"
 */
export function rowIdentity(table: string, row: object): string | null {
  const r = row as Record<string, unknown>;
  const id = String(r["workflow_session_id"]);
  const sep = "\u0000";
  switch (table) {
    case "fact_workflow_sessions":
    case "fact_workflow_session_serving":
      return id;
    case "fact_workflow_session_segments":
      return id + sep + String(r["segment_index"]);
    case "fact_workflow_param_updates":
      return id + sep + String(r["source_event_uid"]);
    case "fact_workflow_latency_samples":
      return id + sep + String(r["edge_semantics_version"]);
    case "fact_stream_status_samples":
      return id + sep + String(r["sample_ts"]) + sep + String(r["source_event_uid"]);
    case "fact_stream_trace_edges":
      return id + sep + String(r["edge_ts"]) + sep + String(r["source_event_uid"]);
    case "fact_lifecycle_edge_coverage":
      return id + sep + String(r["signal_ts"]) + sep + String(r["source_event_uid"]);
    default:
      return null;
  }
}
