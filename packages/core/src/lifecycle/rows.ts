/**
 * The row contract of the lifecycle facts: which row type each fact table receives. The row types
 * themselves are defined once, next to the reducers that build them; the lifecycle outputs and the
 * ClickHouse catalogue (`@livepeer-analytics/clickhouse`, which type-checks one column per row
 * field) are both derived from this map.
 *
 * @module
 */
import type { LatencyRow } from "../latency/derive.js";
import type { StatusSampleRow, TraceEdgeRow } from "./alignment.js";
import type { CoverageRow } from "./coverage.js";
import type { ParamUpdateRow } from "./params.js";
import type { SegmentRow } from "./segment.js";
import type { ServingRow } from "./serving.js";
import type { SessionRow } from "./session.js";

/**
 * Row type of each lifecycle fact table.
 *
 * @category Lifecycle
 */
export interface FactRowByTable {
  /** Session revisions (`lifecycle.md` §4.11). */
  fact_workflow_sessions: SessionRow;
  /** Latency rows, one per session revision and edge semantics version (§6). */
  fact_workflow_latency_samples: LatencyRow;
  /** Segment revisions and retractions (§5.4). */
  fact_workflow_session_segments: SegmentRow;
  /** Parameter-update revisions (§5.6). */
  fact_workflow_param_updates: ParamUpdateRow;
  /** Edge-coverage diagnostics (§7). */
  fact_lifecycle_edge_coverage: CoverageRow;
  /** Compact serving rows, with `emitServingFact` (§8.6). */
  fact_workflow_session_serving: ServingRow;
  /** Segment-aligned status samples (§5.5). */
  fact_stream_status_samples: StatusSampleRow;
  /** Segment-aligned trace edges (§5.5). */
  fact_stream_trace_edges: TraceEdgeRow;
}

/**
 * A fact row tagged with its table: one member per entry of {@link FactRowByTable}.
 *
 * @category Lifecycle
 */
export type FactRow = {
  [T in keyof FactRowByTable]: { readonly table: T; readonly row: FactRowByTable[T] };
}[keyof FactRowByTable];
