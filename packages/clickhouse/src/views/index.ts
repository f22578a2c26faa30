/**
 * The serving layer (`ingest-and-storage.md` §4): building blocks, `agg_stream_performance_1m`, the
 * `v_serving_*` views with the business logic and V-B column names, and the `v_api_*` views (thin
 * wrappers with V-C names, plus the jitter and diagnostic views).
 *
 * @module
 */
import { blockStatements } from "./blocks.js";
import { demandStatements } from "./demand.js";
import { gpuStatements } from "./gpu.js";
import { resolveViewOptions, type ViewDdlOptions } from "./options.js";
import { slaStatements } from "./sla.js";
import { qualify } from "./sql.js";
import type { ViewStatement } from "./types.js";
import { wrapperStatements } from "./wrappers.js";

export { resolveViewOptions } from "./options.js";
export type { ResolvedViewOptions, SlaWeights, ViewDdlOptions } from "./options.js";
export { API_WRAPPERS } from "./wrappers.js";
export type { ApiWrapper, WrapperColumn } from "./wrappers.js";

/**
 * Every view {@link generateViewDdl} creates, in creation (dependency) order.
 *
 * @category Views
 */
export const VIEW_NAMES = [
  "latest_sessions",
  "latest_segments",
  "latest_status",
  "latest_trace_edges",
  "latest_latency",
  "agg_stream_performance_1m",
  "status_session_hours",
  "status_tail_artifact_session_hours",
  "serving_status_samples",
  "v_serving_gpu_metrics_1h",
  "v_serving_gpu_metrics_1m",
  "v_api_jitter_5m",
  "v_serving_network_demand_1h",
  "v_serving_network_supply_1h",
  "v_serving_sla_1h",
  "v_health_rollup_freshness",
  "v_api_session_identity",
  "v_api_gpu_metrics",
  "v_api_gpu_metrics_1m",
  "v_api_network_demand",
  "v_api_network_demand_by_gpu",
  "v_api_sla_compliance",
] as const;

/**
 * A view created by {@link generateViewDdl}.
 *
 * @category Views
 */
export type ViewName = (typeof VIEW_NAMES)[number];

/**
 * One-line description of every view (for docs and `lpa ddl`).
 *
 * @category Views
 */
export const VIEW_DESCRIPTIONS: Readonly<Record<ViewName, string>> = {
  latest_sessions:
    "Building block: latest revision of every session, argMax(col, version) per workflow_session_id.",
  latest_segments:
    "Building block: latest revision per (workflow_session_id, segment_index), retracted segments dropped.",
  latest_status: "Building block: latest status sample per key (fact_stream_status_samples FINAL).",
  latest_trace_edges: "Building block: latest trace edge per key (fact_stream_trace_edges FINAL).",
  latest_latency:
    "Building block: latest latency row per session of the serving latency definition (servingEdgeSemanticsVersion).",
  agg_stream_performance_1m:
    "Per-minute performance states over latest attributed status rows, grouped by all seven keys (a view, not an AggregatingMergeTree).",
  status_session_hours:
    "Building block: attributed status samples per (hour, session, key) with fps/running-state counts.",
  status_tail_artifact_session_hours:
    "Building block: session-hours that are terminal-tail artifacts (excluded from GPU and SLA views).",
  serving_status_samples:
    "Building block: serving-eligible latest status samples with normalized keys, minus tail session-hours.",
  v_serving_gpu_metrics_1h:
    "GPU performance, latency and reliability per (hour, orchestrator, pipeline, model, GPU, region); V-B names.",
  v_serving_gpu_metrics_1m:
    "GPU performance per (minute, gateway, orchestrator, pipeline, model, GPU, region); V-B names.",
  v_api_jitter_5m:
    "FPS jitter per 5-minute bucket and GPU key, buckets with too few samples dropped.",
  v_serving_network_demand_1h:
    "Network demand per (hour, gateway, region, pipeline, model): session-minutes, served/unserved, fees; V-B names.",
  v_serving_network_supply_1h:
    "Network supply per (hour, gateway, orchestrator, region, pipeline, model, GPU): minutes, capacity, reliability, fees; V-B names.",
  v_serving_sla_1h:
    "SLA per status hour and (orchestrator, pipeline, model, GPU, region): ratios and a score in [0, 100]; V-B names.",
  v_health_rollup_freshness:
    "Latest status-sample and session-start times with their lag behind now.",
  v_api_session_identity:
    "Latest identity (orchestrator, stream, request, times, version) per session.",
  v_api_gpu_metrics: "API wrapper of v_serving_gpu_metrics_1h with V-C column names.",
  v_api_gpu_metrics_1m: "API wrapper of v_serving_gpu_metrics_1m with V-C column names.",
  v_api_network_demand: "API wrapper of v_serving_network_demand_1h with V-C column names.",
  v_api_network_demand_by_gpu: "API wrapper of v_serving_network_supply_1h with V-C column names.",
  v_api_sla_compliance: "API wrapper of v_serving_sla_1h with V-C column names.",
};

function allStatements(options: ViewDdlOptions | undefined): {
  readonly database: string;
  readonly statements: ViewStatement[];
} {
  const o = resolveViewOptions(options);
  const statements = [
    ...blockStatements(o),
    ...gpuStatements(o),
    ...demandStatements(o),
    ...slaStatements(o),
    ...wrapperStatements(o),
  ];
  const names = statements.map((s) => s.name);
  if (names.join(",") !== VIEW_NAMES.join(",")) {
    throw new Error(`view statements out of sync with VIEW_NAMES: ${names.join(", ")}`);
  }
  return {
    database: o.database,
    statements: statements.map((s) => ({
      name: s.name,
      sql: `CREATE OR REPLACE VIEW ${qualify(o, s.name)} AS\n${s.sql}`,
    })),
  };
}

/**
 * The idempotent DDL of the serving layer: one `CREATE OR REPLACE VIEW` statement per entry of
 * {@link VIEW_NAMES}, in that (dependency) order. Run it after the table DDL of `generateDdl`; running
 * it again replaces every view in place.
 *
 * Bug fixes of the specification applied here (each is documented in a SQL comment next to it):
 * `agg_stream_performance_1m` is a view over latest rows (no sort-key collapse, no version over-count,
 * 11.8/11.9); minutes are session-minutes (11.10); fees are parsed `"N WEI"` amounts from
 * `fact_payments` and no view reads a raw payment table (11.7, 11.19); SLA ratios and score are
 * bounded (11.11); GPU keys are `nullIf`-normalized and tail artifacts are removed per session-hour
 * (11.13); demand views sum the served/unserved session flags (decision 46).
 *
 * @param options - database, serving latency definition, serving eligibility and scoring options.
 * @returns one statement per view, without a trailing `;`.
 * @throws RangeError on invalid options (see {@link resolveViewOptions}).
 * @category Views
 * @example
 * for (const sql of generateViewDdl({ database: "livepeer_analytics" })) {
 *   await client.command({ query: sql });
 * }
 */
export function generateViewDdl(options?: ViewDdlOptions): string[] {
  return allStatements(options).statements.map((s) => s.sql);
}

/**
 * The serving-layer DDL as one script: a description comment before each statement, statements
 * separated by `;` and a blank line.
 *
 * @category Views
 */
export function renderViewDdl(options?: ViewDdlOptions): string {
  return (
    allStatements(options)
      .statements.map((s) => `-- ${s.name}: ${VIEW_DESCRIPTIONS[s.name as ViewName]}\n${s.sql};`)
      .join("\n\n") + "\n"
  );
}
