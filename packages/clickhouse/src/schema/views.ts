/**
 * Materialized views that fill the ClickHouse-owned tables and the plain views created with the
 * tables (`ingest-and-storage.md` §3.5). The serving views (`agg_stream_performance_1m`,
 * `v_serving_*`, `v_api_*`, §4) are defined elsewhere in this package.
 *
 * @module
 */
import type { MaterializedViewDef, ProjectionDef, ViewDef } from "./types.js";

/** A ClickHouse regular-expression literal for "code units ≤ U+0020" (JVM whitespace). */
const JVM_WS = String.raw`[\\x00-\\x20]`;

/**
 * SQL for `jtrim(expr)`: removes leading and trailing characters ≤ U+0020, the JVM `trim()` notion
 * of whitespace used by every SDK string rule (`lifecycle.md` §0.2).
 *
 * @category Schema
 * @example
 * sqlJtrim("src.stream_id") // "replaceRegexpAll(src.stream_id, '^[\\x00-\\x20]+|[\\x00-\\x20]+$', '')"
 */
export function sqlJtrim(expr: string): string {
  return `replaceRegexpAll(${expr}, '^${JVM_WS}+|${JVM_WS}+$', '')`;
}

/** 2^256 − 1, the largest `UInt256`, as decimal digits (78 of them). */
const UINT256_MAX =
  "115792089237316195423570985008687907853269984665640564039457584007913129639935";

/**
 * SQL for `parseWei(expr)` [SDK-DECISION, `ingest-and-storage.md` §3.5, 11.7] as a
 * `Nullable(UInt256)`: `jtrim`, then remove one trailing case-insensitive `wei` suffix and the
 * whitespace before it; the rest must be one or more ASCII digits that fit `UInt256`, which gives
 * that exact integer; anything else (another unit, a decimal point, empty text, overflow) gives
 * NULL. Example: `"2402400000000000 WEI"` → 2402400000000000.
 *
 * @category Schema
 */
export function sqlParseWei(expr: string): string {
  const digits = `replaceRegexpOne(${sqlJtrim(expr)}, '${JVM_WS}*(?i:wei)$', '')`;
  const significant = `replaceRegexpOne(${digits}, '^0+', '')`;
  const fits =
    `(length(${significant}) < 78 OR ` +
    `(length(${significant}) = 78 AND ${significant} <= '${UINT256_MAX}'))`;
  return `if(match(${digits}, '^[0-9]+$') AND ${fits}, toUInt256OrNull(${digits}), CAST(NULL, 'Nullable(UInt256)'))`;
}

/**
 * SQL for the `workflow_session_id` of an ingest row inside ClickHouse (`ingest-and-storage.md`
 * §1.8): the `lifecycle.md` §3 branches on the trimmed ids, with `toString(cityHash64(raw_json))`
 * as the last resort (the MV cannot see the envelope id; decision 70).
 */
function sqlSessionId(stream: string, request: string, rawJson: string): string {
  const s = sqlJtrim(stream);
  const r = sqlJtrim(request);
  return (
    `multiIf(${s} != '' AND ${r} != '', concat(${s}, '|', ${r}), ` +
    `${s} != '', concat(${s}, '|_missing_request'), ` +
    `${r} != '', concat('_missing_stream|', ${r}), ` +
    `toString(cityHash64(${rawJson})))`
  );
}

function copy(...columns: string[]): ProjectionDef[] {
  return columns.map((c) => ({ column: c, expr: `src.${c}` }));
}

function p(column: string, expr: string): ProjectionDef {
  return { column, expr };
}

/** Identity projections shared by the four capability dimension MVs. */
function dimIdentity(): ProjectionDef[] {
  return [
    p("snapshot_ts", "src.event_timestamp"),
    p("orchestrator_address", "lower(src.orchestrator_address)"),
    p("orchestrator_proxy_address", "lower(src.local_address)"),
    p("orchestrator_url", "src.orch_uri"),
  ];
}

/**
 * Every materialized view, in creation order. Each one fires on inserts into `source` and
 * appends the projected rows to `target`.
 *
 * @category Schema
 */
export const MATERIALIZED_VIEWS: readonly MaterializedViewDef[] = [
  {
    name: "mv_stream_ingest_metrics_to_fact_stream_ingest_samples",
    source: "raw_stream_ingest_metrics",
    target: "fact_stream_ingest_samples",
    doc: "One ingest sample per typed ingest row (`ingest-and-storage.md` §3.5).",
    projections: [
      p("sample_ts", "src.event_timestamp"),
      p("workflow_session_id", sqlSessionId("src.stream_id", "src.request_id", "src.raw_json")),
      ...copy(
        "stream_id",
        "request_id",
        "connection_quality",
        "video_jitter",
        "audio_jitter",
        "video_latency",
        "audio_latency",
        "bytes_received",
        "bytes_sent",
      ),
      p("source_event_uid", "toString(cityHash64(src.raw_json))"),
    ],
  },
  {
    name: "mv_payment_events_to_fact_payments",
    source: "raw_payment_events",
    target: "fact_payments",
    doc: "One payment per typed payment row with `face_value` parsed to wei (`ingest-and-storage.md` §3.5, 11.7).",
    projections: [
      p("payment_ts", "src.event_timestamp"),
      ...copy("request_id", "session_id", "manifest_id", "sender", "recipient", "face_value"),
      p("orchestrator_url", "src.orchestrator"),
      p("face_value_wei", sqlParseWei("src.face_value")),
      p("source_event_uid", "toString(cityHash64(src.raw_json))"),
    ],
  },
  {
    name: "mv_network_capabilities_to_dim_orchestrator_capability_snapshots",
    source: "raw_network_capabilities",
    target: "dim_orchestrator_capability_snapshots",
    doc: "Capability snapshot dimension (`ingest-and-storage.md` §3.5).",
    projections: [
      ...dimIdentity(),
      ...copy("pipeline", "model_id"),
      p("capability_id", "ifNull(src.capability_id, 0)"),
      p("capability_name", "ifNull(src.capability_name, 'unknown')"),
      p("capability_group", "ifNull(src.capability_group, 'unknown')"),
      ...copy("gpu_id", "gpu_name", "gpu_memory_total", "gpu_major", "gpu_minor", "runner_version"),
      p("region", "CAST(NULL, 'Nullable(String)')"),
      p("source_event_uid", "src.source_event_id"),
    ],
  },
  {
    name: "mv_network_capabilities_advertised_to_dim_orchestrator_capability_advertised_snapshots",
    source: "raw_network_capabilities_advertised",
    target: "dim_orchestrator_capability_advertised_snapshots",
    doc: "Advertised-capacity dimension (`ingest-and-storage.md` §3.5).",
    projections: [
      ...dimIdentity(),
      ...copy(
        "capability_id",
        "capability_name",
        "capability_group",
        "capability_catalog_version",
        "capacity",
      ),
      p("source_event_uid", "src.source_event_id"),
    ],
  },
  {
    name: "mv_network_capabilities_model_constraints_to_dim_orchestrator_capability_model_constraints",
    source: "raw_network_capabilities_model_constraints",
    target: "dim_orchestrator_capability_model_constraints",
    doc: "Per-model capacity dimension; `warm` narrowed to Nullable(UInt8), NULL outside 0–255 (`ingest-and-storage.md` §3.5).",
    projections: [
      ...dimIdentity(),
      ...copy(
        "capability_id",
        "capability_name",
        "capability_group",
        "capability_catalog_version",
        "model_id",
        "runner_version",
        "capacity",
        "capacity_in_use",
      ),
      p(
        "warm",
        "if(src.warm >= 0 AND src.warm <= 255, CAST(src.warm, 'Nullable(UInt8)'), CAST(NULL, 'Nullable(UInt8)'))",
      ),
      p("source_event_uid", "src.source_event_id"),
    ],
  },
  {
    name: "mv_network_capabilities_prices_to_dim_orchestrator_capability_prices",
    source: "raw_network_capabilities_prices",
    target: "dim_orchestrator_capability_prices",
    doc: "Capability price dimension (`ingest-and-storage.md` §3.5).",
    projections: [
      ...dimIdentity(),
      ...copy(
        "capability_id",
        "capability_name",
        "capability_group",
        "capability_catalog_version",
        "constraint_name",
        "price_per_unit",
        "pixels_per_unit",
      ),
      p("source_event_uid", "src.source_event_id"),
    ],
  },
];

/** Attributes of `dim_orchestrator_capability_current` taken from the latest snapshot. */
const CURRENT_ATTRIBUTES = [
  "orchestrator_proxy_address",
  "orchestrator_url",
  "capability_name",
  "capability_group",
  "gpu_name",
  "gpu_memory_total",
  "gpu_major",
  "gpu_minor",
  "runner_version",
  "region",
  "source_event_uid",
] as const;

/** Grouping keys of `dim_orchestrator_capability_current`. */
const CURRENT_KEYS = [
  "orchestrator_address",
  "pipeline",
  "model_id",
  "capability_id",
  "gpu_id",
] as const;

/**
 * Plain views created with the tables, in creation order.
 *
 * @category Schema
 */
export const VIEWS: readonly ViewDef[] = [
  {
    name: "dim_orchestrator_capability_current",
    doc: "Latest capability attributes per (orchestrator_address, pipeline, model_id, capability_id, gpu_id): every other attribute is the value of the snapshot with the greatest `snapshot_ts` (`argMax`, NULL values included), plus `latest_snapshot_ts = max(snapshot_ts)` (`ingest-and-storage.md` §3.5).",
    reads: ["dim_orchestrator_capability_snapshots"],
    query: (qualify) => {
      const select = [
        ...CURRENT_KEYS.map((k) => `s.${k} AS ${k}`),
        // argMax skips NULL arguments; wrapping the value in a tuple keeps the latest snapshot's
        // value even when it is NULL.
        ...CURRENT_ATTRIBUTES.map(
          (a) => `tupleElement(argMax(tuple(s.${a}), s.snapshot_ts), 1) AS ${a}`,
        ),
        "max(s.snapshot_ts) AS latest_snapshot_ts",
      ];
      return (
        `SELECT\n    ${select.join(",\n    ")}\n` +
        `FROM ${qualify("dim_orchestrator_capability_snapshots")} AS s\n` +
        `GROUP BY ${CURRENT_KEYS.map((k) => `s.${k}`).join(", ")}`
      );
    },
  },
];
