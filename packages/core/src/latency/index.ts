/**
 * Latency KPIs: `v1` (reference code) and `v2` (edge-spec document), with null reasons.
 *
 * @packageDocumentation
 */
export { deriveInterval, deriveLatencyKpis, deriveLatencyRows, toLatencyRow } from "./derive.js";
export type {
  DerivedInterval,
  LatencyEdges,
  LatencyKpis,
  LatencyNullReason,
  LatencyRow,
  LatencySemanticsVersion,
  LatencySessionColumns,
} from "./derive.js";
