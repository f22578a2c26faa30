/**
 * The counter vocabulary shared by the gate and the engine (`ingest-and-storage.md` §2.14), and
 * the callback interface through which they are reported (no global registry).
 *
 * @module
 */

/**
 * Every counter name.
 *
 * @category Observability
 */
export const COUNTER_NAMES = [
  "quality_gate.input",
  "quality_gate.accepted",
  "quality_gate.dlq",
  "quality_gate.dedup.duplicates",
  "quality_gate.dedup.accepted",
  "quality_gate.sink_guard.oversize_drops",
  "dedup_evictions",
  "out_of_range_values",
  "suspicious_timestamp_unit",
  "duplicate_signals",
  "late_events",
  "late_capabilities",
  "forced_seals",
  "relevant_evictions",
  "session_state_evicted",
  "event_time_outliers",
] as const;

/**
 * A counter name.
 *
 * @category Observability
 */
export type CounterName = (typeof COUNTER_NAMES)[number];

/**
 * Receives counter increments. Hosts bridge it to Prometheus, OpenTelemetry, logs, …
 *
 * @category Observability
 */
export type MetricsCallback = (name: CounterName, delta: number) => void;

/**
 * Counter totals as a plain record (every name present, starting at 0).
 *
 * @category Observability
 */
export type CounterTotals = { [K in CounterName]: number };

/**
 * A zeroed {@link CounterTotals}.
 *
 * @category Observability
 */
export function emptyCounters(): CounterTotals {
  const out = {} as CounterTotals;
  for (const n of COUNTER_NAMES) out[n] = 0;
  return out;
}
