/**
 * The `v_api_*` wrappers: 1:1 projections of the `v_serving_*` views that rename V-B columns to V-C
 * names (`ingest-and-storage.md` §4.4–4.6, §4.8, §4.10, 11.12).
 *
 * @module
 */
import type { ResolvedViewOptions } from "./options.js";
import { qualify } from "./sql.js";
import type { ViewStatement } from "./types.js";

/**
 * One column of a wrapper: the serving-view (V-B) name, the wrapper (V-C) name and its role. `key`
 * columns form the grain; `text` and `number` columns are compared by value in wrapper parity.
 *
 * @category Views
 */
export interface WrapperColumn {
  /** Column of the serving view. */
  readonly from: string;
  /** Column of the wrapper. */
  readonly to: string;
  /** Grain key, text value or numeric value. */
  readonly role: "key" | "text" | "number";
}

/**
 * One `v_api_*` wrapper and the serving view it projects.
 *
 * @category Views
 */
export interface ApiWrapper {
  /** Wrapper view name. */
  readonly name:
    | "v_api_gpu_metrics"
    | "v_api_gpu_metrics_1m"
    | "v_api_network_demand"
    | "v_api_network_demand_by_gpu"
    | "v_api_sla_compliance";
  /** Serving view it wraps. */
  readonly source:
    | "v_serving_gpu_metrics_1h"
    | "v_serving_gpu_metrics_1m"
    | "v_serving_network_demand_1h"
    | "v_serving_network_supply_1h"
    | "v_serving_sla_1h";
  /** Projected columns in wrapper order; serving columns not listed are dropped (V-C). */
  readonly columns: readonly WrapperColumn[];
}

const k = (from: string, to: string = from): WrapperColumn => ({ from, to, role: "key" });
const t = (from: string, to: string = from): WrapperColumn => ({ from, to, role: "text" });
const n = (from: string, to: string = from): WrapperColumn => ({ from, to, role: "number" });

/** Reliability counters with their V-C names (§4.4, §4.5, §4.8). */
const RELIABILITY: readonly WrapperColumn[] = [
  n("known_sessions", "known_sessions_count"),
  n("unexcused_sessions", "startup_unexcused_sessions"),
  n("confirmed_swapped_sessions"),
  n("inferred_orchestrator_change_sessions", "inferred_swap_sessions"),
  n("swapped_sessions", "total_swapped_sessions"),
  n("sessions_with_errors"),
  n("sessions_with_last_error", "sessions_ending_in_error"),
  n("loading_only_sessions"),
  n("zero_output_fps_sessions"),
  n("status_error_samples", "error_status_samples"),
  n("health_signal_count"),
  n("health_expected_signal_count"),
  n("health_completeness_ratio", "health_signal_coverage_ratio"),
];

const GPU_DIMS: readonly WrapperColumn[] = [
  t("gpu_name", "gpu_model_name"),
  n("gpu_memory_total", "gpu_memory_bytes_total"),
  t("runner_version"),
  t("cuda_version"),
];

/** The GPU/SLA key after `window_start` (and `gateway` in the minute view). */
const GPU_KEY: readonly WrapperColumn[] = [
  k("orchestrator_address"),
  k("pipeline", "pipeline_id"),
  k("model_id"),
  k("gpu_id"),
  k("region"),
];

/** GPU dimensions and status-sample performance of the hourly and minute GPU views. */
const GPU_PERF: readonly WrapperColumn[] = [
  ...GPU_DIMS,
  n("avg_output_fps"),
  n("p95_output_fps"),
  n("jitter_coeff_fps", "fps_jitter_coefficient"),
  n("status_samples"),
];

/**
 * Every wrapper with its column mapping, in DDL order.
 *
 * @category Views
 */
export const API_WRAPPERS: readonly ApiWrapper[] = [
  {
    name: "v_api_gpu_metrics",
    source: "v_serving_gpu_metrics_1h",
    columns: [
      k("window_start"),
      ...GPU_KEY,
      ...GPU_PERF,
      n("prompt_to_first_frame_ms", "avg_prompt_to_first_frame_ms"),
      n("startup_time_ms", "avg_startup_latency_ms"),
      n("e2e_latency_ms", "avg_e2e_latency_ms"),
      n("p95_prompt_to_first_frame_ms", "p95_prompt_to_first_frame_latency_ms"),
      n("p95_startup_time_ms", "p95_startup_latency_ms"),
      n("p95_e2e_latency_ms"),
      n("valid_prompt_to_first_frame_count", "prompt_to_first_frame_sample_count"),
      n("valid_startup_time_count", "startup_latency_sample_count"),
      n("valid_e2e_latency_count", "e2e_latency_sample_count"),
      n("known_sessions", "known_sessions_count"),
      n("startup_success_sessions"),
      n("excused_sessions", "startup_excused_sessions"),
      ...RELIABILITY.slice(1),
      n("failure_rate", "startup_unexcused_rate"),
      n("swap_rate"),
    ],
  },
  {
    name: "v_api_gpu_metrics_1m",
    source: "v_serving_gpu_metrics_1m",
    columns: [
      k("window_start"),
      k("gateway"),
      ...GPU_KEY,
      ...GPU_PERF,
      n("total_sessions", "sessions_count"),
    ],
  },
  {
    name: "v_api_network_demand",
    source: "v_serving_network_demand_1h",
    columns: [
      k("window_start"),
      k("gateway"),
      k("region"),
      k("pipeline", "pipeline_id"),
      k("model_id"),
      n("total_sessions", "sessions_count"),
      n("total_minutes"),
      n("avg_output_fps"),
      n("known_sessions", "known_sessions_count"),
      n("served_sessions"),
      n("unserved_sessions"),
      n("total_demand_sessions"),
      ...RELIABILITY.slice(1),
      n("startup_success_ratio", "startup_success_rate"),
      n("success_ratio", "effective_success_rate"),
      n("fee_payment_eth", "ticket_face_value_eth"),
    ],
  },
  {
    name: "v_api_network_demand_by_gpu",
    source: "v_serving_network_supply_1h",
    columns: [
      k("window_start"),
      k("gateway"),
      k("orchestrator_address"),
      k("region"),
      k("pipeline", "pipeline_id"),
      k("model_id"),
      k("gpu_id"),
      t("gpu_type", "gpu_model_name"),
      n("total_sessions", "sessions_count"),
      n("used_inference_minutes"),
      n("available_capacity_minutes", "advertised_capacity_minutes"),
      n("capacity_rate", "advertised_capacity_utilization_rate"),
      n("known_sessions", "known_sessions_count"),
      n("served_sessions"),
      n("unserved_sessions"),
      n("total_demand_sessions"),
      ...RELIABILITY.slice(1),
      n("fee_payment_eth", "ticket_face_value_eth"),
    ],
  },
  {
    name: "v_api_sla_compliance",
    source: "v_serving_sla_1h",
    columns: [
      k("window_start"),
      ...GPU_KEY,
      n("known_sessions", "known_sessions_count"),
      n("startup_success_sessions"),
      n("excused_sessions", "startup_excused_sessions"),
      ...RELIABILITY.slice(1),
      n("startup_success_ratio", "startup_success_rate"),
      n("success_ratio", "effective_success_rate"),
      n("no_swap_ratio", "no_swap_rate"),
      n("sla_score"),
    ],
  },
];

/** Statements of the wrappers. */
export function wrapperStatements(o: ResolvedViewOptions): ViewStatement[] {
  return API_WRAPPERS.map((w) => ({
    name: w.name,
    sql: `-- Thin 1:1 API wrapper of ${w.source}: V-C column names, no logic (ingest-and-storage.md 4.10).
SELECT
    ${w.columns.map((c) => (c.from === c.to ? c.from : `${c.from} AS ${c.to}`)).join(",\n    ")}
FROM ${qualify(o, w.source)}`,
  }));
}
