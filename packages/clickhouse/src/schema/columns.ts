/**
 * The typed catalogue of every table the SDK writes or creates (`ingest-and-storage.md` §3.1–3.5
 * with the SDK layout deviations of §3.1.1): columns with types, defaults and documentation,
 * engines, partitions, sort keys, TTLs and skip indexes. The DDL ({@link generateDdl}) and the
 * row mappers ({@link toClickHouseRow}) are generated from it.
 *
 * @module
 */
import { defineTable as table, type SentColumn, type StorageColumn } from "./contract.js";
import type { SkipIndexDef, TableDef, TableEngine, TtlDef } from "./types.js";

/** `DateTime64(3, 'UTC')`: epoch milliseconds, sent as `yyyy-MM-dd HH:mm:ss.SSS` UTC text. */
const DT64 = "DateTime64(3, 'UTC')";
/** `LowCardinality(String)`. */
const LC = "LowCardinality(String)";
const MS = "UTC, millisecond precision";

/** Options of a sent column. */
interface ColumnOptions {
  readonly default?: string;
}

// Every column builder keeps the column name as a literal type, so that the catalogue can check
// the columns of each table against its engine row type (`contract.ts`).

function col<N extends string>(
  name: N,
  type: string,
  doc: string,
  options: ColumnOptions = {},
): SentColumn<N> {
  return { name, type, nullable: false, doc, ...options };
}

function nul<N extends string>(name: N, type: string, doc: string): SentColumn<N> {
  return { name, type, nullable: true, doc };
}

/** A storage-only column computed by ClickHouse from `expr` (never sent, no row field). */
function computed<N extends string>(
  name: N,
  type: string,
  doc: string,
  expr: string,
): StorageColumn<N> {
  return { name, type, nullable: false, doc, materialized: expr };
}

/** A storage-only column filled by its `DEFAULT` on the server (never sent, no row field). */
function serverFilled<N extends string>(
  name: N,
  type: string,
  doc: string,
  defaultExpr: string,
): StorageColumn<N> {
  return { name, type, nullable: false, doc, default: defaultExpr, omitOnInsert: true };
}

function ts<N extends string>(name: N, doc: string): SentColumn<N> {
  return col(name, DT64, `${doc}; ${MS}; never NULL.`);
}

function nts<N extends string>(name: N, doc: string): SentColumn<N> {
  return nul(name, DT64, `${doc}; ${MS}; NULL when unknown.`);
}

function dateOf<N extends string>(name: N, expr: string, what: string): StorageColumn<N> {
  return computed(
    name,
    "Date",
    `UTC calendar date of ${what}; computed by ClickHouse, never sent.`,
    `toDate(${expr})`,
  );
}

function ingestion(): StorageColumn<"ingestion_timestamp"> {
  return serverFilled(
    "ingestion_timestamp",
    DT64,
    `Server time of the insert (${MS}); filled by ClickHouse (DEFAULT now64(3)), never sent.`,
    "now64(3)",
  );
}

function str<N extends string>(name: N, doc: string): SentColumn<N> {
  return col(name, "String", `${doc}; never NULL (\`""\` when missing).`);
}

function lc<N extends string>(name: N, doc: string): SentColumn<N> {
  return col(name, LC, `${doc}; never NULL (\`""\` when missing).`);
}

function nstr<N extends string>(name: N, doc: string): SentColumn<N> {
  return nul(name, "String", `${doc}; NULL when absent.`);
}

function flag<N extends string>(name: N, doc: string, options: ColumnOptions = {}): SentColumn<N> {
  return col(name, "UInt8", `Flag 0/1: ${doc}.`, options);
}

function bloom(column: string): SkipIndexDef {
  return { name: `idx_${column}_bloom`, expr: column, type: "bloom_filter", granularity: 1 };
}

function ttl(expr: string, days: number): TtlDef {
  return { expr, days };
}

function replacing(version: string | null): TableEngine {
  return { type: "ReplacingMergeTree", version };
}

/**
 * `ReplacingMergeTree` without a version column: the last inserted of two rows with the same sort
 * key wins. Used by every table that is not versioned, whose sort key contains its grain, so a
 * redelivered row (identical but for `ingestion_timestamp`) collapses into the first one.
 */
const REPLACING: TableEngine = replacing(null);

/**
 * Grain of a typed table with one row per event whose `raw_json` is the envelope text: the hash
 * of the envelope text as received (the same text the status/trace `source_event_uid` and the
 * ingest/payment MV `source_event_uid` are computed from, `ingest-and-storage.md` §1.8).
 */
const ENVELOPE_UID = "cityHash64(raw_json)";

/** Columns shared by every typed table: envelope time first, `raw_json` and ingestion time last. */
function typedColumns<M extends SentColumn, X extends StorageColumn = never>(
  middle: readonly M[],
  rawJsonDoc: string,
  extraMaterialized: readonly X[] = [],
) {
  return [
    ts("event_timestamp", "Envelope `timestamp` of the event"),
    dateOf("event_date", "event_timestamp", "`event_timestamp`"),
    ...extraMaterialized,
    ...middle,
    col("raw_json", "String", `${rawJsonDoc}; never NULL.`),
    ingestion(),
  ];
}

const ENVELOPE_TEXT =
  "Full envelope text exactly as received (the SHA-256 input of status/trace uids)";
const ORCH_ELEMENT_TEXT = "Compact JSON of the orchestrator element the row came from";

/** Identity columns shared by the capability sibling tables (`ingest-and-storage.md` §3.3). */
function capabilityIdentity() {
  return [
    str("source_event_id", "Envelope `id` of the `network_capabilities` event"),
    str(
      "orchestrator_address",
      "Canonical orchestrator address (`address`), trimmed and lower-cased",
    ),
    str("local_address", "Hot wallet (`local_address`), trimmed and lower-cased"),
    str("orch_uri", "Orchestrator service URI (`orch_uri`) as sent"),
  ];
}

/**
 * An orchestrator entry of a `network_capabilities` event: its canonical address, hot wallet and
 * URI (one orchestrator may run several entries under one address).
 */
const ORCHESTRATOR_ENTRY = ["orchestrator_address", "local_address", "orch_uri"];

/** Grain of the capability sibling tables: the event, the orchestrator entry, then `sub`. */
function capabilityGrain(...sub: string[]): string[] {
  return [...ORCHESTRATOR_ENTRY, ...sub, "event_timestamp", "source_event_id"];
}

function capabilityCatalogColumns() {
  return [
    col("capability_id", "Int32", "Capability id (catalog key); -1 when unknown; never NULL."),
    lc("capability_name", 'Catalog name of the capability (`"unknown"` outside the catalog)'),
    lc("capability_group", 'Catalog group of the capability (`"unknown"` outside the catalog)'),
    lc("capability_catalog_version", "Version of the capability catalog used (`v1`)"),
  ];
}

/** Latency KPI columns (`lifecycle.md` §6, §8.5). */
function latencyKpis() {
  return [
    nul(
      "prompt_to_first_frame_ms",
      "Float64",
      "Prompt-to-first-frame latency in milliseconds (definition per `edge_semantics_version`); NULL when not derivable (see the null reason).",
    ),
    nul(
      "startup_time_ms",
      "Float64",
      "Startup latency in milliseconds (definition per `edge_semantics_version`); NULL when not derivable.",
    ),
    nul(
      "e2e_latency_ms",
      "Float64",
      "End-to-end latency in milliseconds (definition per `edge_semantics_version`); NULL when not derivable.",
    ),
  ];
}

function nullReasons() {
  const reason = <K extends string>(kpi: K): SentColumn<`${K}_null_reason`> =>
    lc(
      `${kpi}_null_reason`,
      `Why \`${kpi}_ms\` is NULL (\`missing_both_edges\`, \`missing_start_edge\`, \`missing_end_edge\`, \`negative_interval\`); \`""\` when it is set`,
    );
  return [reason("prompt_to_first_frame"), reason("startup_time"), reason("e2e_latency")];
}

function attributionMethod() {
  return [
    lc(
      "gpu_attribution_method",
      "How the orchestrator/GPU was attributed (freshness band of the applied capability snapshot, `segment_window_join` or `none`)",
    ),
    col(
      "gpu_attribution_confidence",
      "Float32",
      "Confidence of `gpu_attribution_method` in [0, 1] (float32: 1, 0.9, 0.7, 0.4 or 0); never NULL.",
    ),
  ];
}

function attributionSource(): SentColumn<"attribution_source"> {
  return lc(
    "attribution_source",
    "Reporting label of the attribution: `direct`, `mapped_window` (stale band) or `unattributed` (`attribution.md` §7.4)",
  );
}

function version(doc: string): SentColumn<"version"> {
  return col(
    "version",
    "UInt64",
    `${doc}; readers keep the greatest version per identity; never NULL.`,
  );
}

const SESSION_ID_DOC =
  "Workflow session identity `stream_id|request_id` (trimmed, `_missing_*` fallbacks)";
const CANONICAL_DOC =
  'Canonical orchestrator address (lower-case capability `address`) or `""` when unattributed';

// ---------------------------------------------------------------------------------------------
// Archive and rejection tables (§3.2)
// ---------------------------------------------------------------------------------------------

const rawStreamingEvents = table({
  name: "raw_streaming_events",
  kind: "raw",
  writer: "kafka-connect",
  doc: "Verbatim archive of the input topic written by the Kafka Connect sink (outside the SDK, unfiltered); one row per record (`ingest-and-storage.md` §3.2). A record the connector delivers again after a restart collapses under FINAL.",
  columns: [
    str("id", "Envelope `id`"),
    lc("type", "Envelope `type`"),
    col(
      "timestamp",
      "UInt64",
      "Envelope `timestamp` in epoch milliseconds (digit strings are coerced by the JSON input format); 0 when missing.",
    ),
    str("gateway", "Envelope `gateway`"),
    str("data", "Envelope `data` as JSON text"),
    computed(
      "event_timestamp",
      DT64,
      `\`timestamp\` as a time (${MS}); computed by ClickHouse, never sent.`,
      "fromUnixTimestamp64Milli(toInt64(timestamp), 'UTC')",
    ),
    dateOf("event_date", "event_timestamp", "`event_timestamp`"),
    ingestion(),
  ],
  engine: REPLACING,
  partitionBy: "toYYYYMM(event_date)",
  orderBy: [
    "event_date",
    "type",
    "event_timestamp",
    "timestamp",
    "id",
    "cityHash64(gateway, data)",
  ],
  ttl: ttl("event_date", 90),
  indexes: [bloom("type")],
  // One row per record; a redelivered record (a connector restart) repeats all of it.
  grain: ["type", "timestamp", "id", "cityHash64(gateway, data)"],
});

function rejectionColumns() {
  return [
    lc("schema_version", "Envelope `schemaVersion` (always `v1`)"),
    str("source_topic", "Kafka topic of the rejected record"),
    col("source_partition", "UInt32", "Kafka partition of the record; 0 when unknown; never NULL."),
    col("source_offset", "UInt64", "Kafka offset of the record; 0 when unknown; never NULL."),
    ts(
      "source_record_timestamp",
      "Kafka record timestamp (1970-01-01 00:00:00.000 when the record carried 0)",
    ),
    str("event_id", "Envelope `id` of the rejected event"),
    lc("event_type", "Envelope `type` of the rejected event"),
    nstr("event_version", "Schema version of the event (`version` field)"),
    nts("event_timestamp", "Envelope timestamp of the event"),
    computed(
      "event_date",
      "Date",
      "UTC calendar date of `event_timestamp`, else of `source_record_timestamp`; computed by ClickHouse, never sent.",
      "toDate(ifNull(event_timestamp, source_record_timestamp))",
    ),
    nstr("dedup_key", "Dedup key of the accepted event"),
    nstr("dedup_strategy", "Dedup strategy (`event_id` or `payload_hash`)"),
    flag("replay", "1 when the event was a DLQ replay"),
    lc(
      "failure_stage",
      "Rejecting stage (`DESERIALIZATION`, `SCHEMA_VALIDATION`, `DEDUP`, `PARSE`, …)",
    ),
    lc("failure_class", "Failure class (`SCHEMA_INVALID`, `DUPLICATE`, …)"),
    str("failure_reason", "Reason code (`missing_field`, `duplicate_event`, …)"),
    str("failure_details", "Human-readable detail"),
    nstr("orchestrator", "Orchestrator dimension extracted from the event"),
    nstr("broadcaster", "Broadcaster dimension extracted from the event"),
    nstr("region", "Region dimension extracted from the event"),
    lc("payload_encoding", "Encoding of `payload_body` (`json` or `base64`)"),
    str("payload_body", "Original record value text (or Base64 of the bytes)"),
    nstr("payload_canonical_json", "Compact re-serialization of the parsed root"),
    col(
      "ingestion_timestamp",
      DT64,
      `Time the envelope was built (the engine's explicit \`now\`, ${MS}); sent explicitly, DEFAULT now64(3).`,
      { default: "now64(3)" },
    ),
  ];
}

/** Hash of what a rejection says about its record (one record may get several envelopes). */
const REJECTION_CONTENT = "cityHash64(failure_details, payload_body)";

/**
 * Grain of the DLQ and quarantine tables: the transport coordinates of the record, the rejecting
 * stage and reason, and the hash of the details and the record text (one record can be rejected
 * by several parsers; records without coordinates are told apart by their text).
 */
const REJECTION_GRAIN = [
  "source_topic",
  "source_partition",
  "source_offset",
  "failure_stage",
  "failure_reason",
  REJECTION_CONTENT,
];

/** The DLQ and quarantine tables: one shape, the rows of `toRejectionRow`. */
type RejectionTableName = "raw_streaming_events_dlq" | "raw_streaming_events_quarantine";

function rejectionTable(
  name: RejectionTableName,
  days: number,
  what: string,
): TableDef<RejectionTableName> {
  return table({
    name,
    kind: "rejection",
    writer: "sdk-core",
    doc: `${what}: one row per rejection envelope (\`ingest-and-storage.md\` §2.13).`,
    columns: rejectionColumns(),
    engine: REPLACING,
    partitionBy: "toYYYYMM(event_date)",
    orderBy: ["event_date", "failure_class", "event_type", ...REJECTION_GRAIN],
    ttl: ttl("event_date", days),
    indexes: [bloom("event_id")],
    grain: REJECTION_GRAIN,
  });
}

const dlq = rejectionTable(
  "raw_streaming_events_dlq",
  30,
  "Dead-letter rows (decode, schema, parse and sink-guard failures)",
);
const quarantine = rejectionTable(
  "raw_streaming_events_quarantine",
  7,
  "Quarantine rows (duplicates and signals of evicted sessions)",
);

// ---------------------------------------------------------------------------------------------
// Typed per-family tables (§3.3)
// ---------------------------------------------------------------------------------------------

const rawAiStreamStatus = table({
  name: "raw_ai_stream_status",
  kind: "raw",
  writer: "sdk-core",
  doc: "One row per accepted `ai_stream_status` event (`ingest-and-storage.md` §1.7.2, §3.3).",
  columns: typedColumns(
    [
      str("stream_id", "`data.stream_id`"),
      str("request_id", "`data.request_id`"),
      str("gateway", "Envelope `gateway`"),
      str("orchestrator_address", "`data.orchestrator_info.address`, normalized (a hot wallet)"),
      str("orchestrator_url", "`data.orchestrator_info.url`"),
      lc("pipeline", "`data.pipeline` (a model label in real data)"),
      col(
        "output_fps",
        "Float32",
        "Output frames per second (`inference_status.fps`); 0 when missing; never NULL.",
      ),
      col(
        "input_fps",
        "Float32",
        "Input frames per second (`input_status.fps`); 0 when missing; never NULL.",
      ),
      lc("state", "Runner state (`ONLINE`, `DEGRADED_INFERENCE`, `LOADING`, …)"),
      col("restart_count", "UInt32", "Runner restarts (count); 0 when missing; never NULL."),
      nstr("last_error", 'Last runner error text (NULL also for `""`)'),
      nts("last_error_time", "Time of `last_error`"),
      nstr("prompt_text", "Last prompt (NULL also when blank)"),
      col("prompt_width", "UInt16", "Last prompt width in pixels; 0 when missing; never NULL."),
      col("prompt_height", "UInt16", "Last prompt height in pixels; 0 when missing; never NULL."),
      str("params_hash", "`inference_status.last_params_hash`"),
      col(
        "start_time",
        DT64,
        `Runner-side stream start (\`data.start_time\`, ${MS}); not Nullable: a missing or invalid value is sent as NULL and stored as the column default 1970-01-01 00:00:00.000, so readers filter \`> 2000-01-01\`.`,
      ),
    ],
    ENVELOPE_TEXT,
    [
      computed(
        "event_hour",
        "UInt8",
        "UTC hour (0–23) of `event_timestamp`; computed by ClickHouse, never sent.",
        "toHour(event_timestamp)",
      ),
    ],
  ),
  engine: REPLACING,
  partitionBy: "toYYYYMM(event_date)",
  orderBy: [
    "event_date",
    "orchestrator_address",
    "pipeline",
    "stream_id",
    "event_timestamp",
    ENVELOPE_UID,
  ],
  ttl: ttl("event_date", 90),
  indexes: [bloom("orchestrator_address"), bloom("pipeline")],
  grain: [ENVELOPE_UID],
});

function ingestMedia<X extends "video" | "audio">(x: X) {
  return [
    col(
      `${x}_jitter`,
      "Float32",
      `${x} jitter as reported by the ingest (producer units, not converted); 0 when missing; never NULL.`,
    ),
    col(
      `${x}_packets_received`,
      "UInt32",
      `${x} packets received (count); 0 when missing; never NULL.`,
    ),
    col(`${x}_packets_lost`, "UInt32", `${x} packets lost (count); 0 when missing; never NULL.`),
    col(
      `${x}_packet_loss_pct`,
      "Float32",
      `${x} packet loss in percent; 0 when missing; never NULL.`,
    ),
    col(
      `${x}_rtt`,
      "Float32",
      `${x} round-trip time as reported (producer units, not converted); 0 when missing; never NULL.`,
    ),
    col(
      `${x}_last_input_ts`,
      "Float32",
      `${x} last input timestamp as reported (seconds of stream time); 0 when missing; never NULL.`,
    ),
    col(
      `${x}_latency`,
      "Float32",
      `${x} latency as reported (producer units, not converted); 0 when missing; never NULL.`,
    ),
  ];
}

const rawStreamIngestMetrics = table({
  name: "raw_stream_ingest_metrics",
  kind: "raw",
  writer: "sdk-core",
  doc: "One row per accepted `stream_ingest_metrics` event (`ingest-and-storage.md` §1.7.4, §3.3).",
  columns: typedColumns(
    [
      str("stream_id", "`data.stream_id`"),
      str("request_id", "`data.request_id`"),
      lc("connection_quality", "`stats.conn_quality` (e.g. `good`)"),
      ...ingestMedia("video"),
      ...ingestMedia("audio"),
      col(
        "bytes_received",
        "UInt64",
        "Bytes received by the ingest peer connection; 0 when missing; never NULL.",
      ),
      col(
        "bytes_sent",
        "UInt64",
        "Bytes sent by the ingest peer connection; 0 when missing; never NULL.",
      ),
    ],
    ENVELOPE_TEXT,
  ),
  engine: REPLACING,
  partitionBy: "toYYYYMM(event_date)",
  orderBy: ["event_date", "stream_id", "event_timestamp", ENVELOPE_UID],
  ttl: ttl("event_date", 90),
  grain: [ENVELOPE_UID],
});

const rawStreamTraceEvents = table({
  name: "raw_stream_trace_events",
  kind: "raw",
  writer: "sdk-core",
  doc: "One row per accepted `stream_trace` event (`ingest-and-storage.md` §1.7.1, §3.3).",
  columns: typedColumns(
    [
      str("stream_id", "`data.stream_id` (untrimmed)"),
      str("request_id", "`data.request_id` (untrimmed)"),
      str("orchestrator_address", "`data.orchestrator_info.address`, normalized (a hot wallet)"),
      str("orchestrator_url", "`data.orchestrator_info.url`"),
      lc("trace_type", "Trace subtype `data.type` (e.g. `gateway_receive_stream_request`)"),
      ts(
        "data_timestamp",
        "`data.timestamp` on the producing component's clock, else the envelope time",
      ),
    ],
    ENVELOPE_TEXT,
  ),
  engine: REPLACING,
  partitionBy: "toYYYYMM(event_date)",
  orderBy: ["event_date", "request_id", "trace_type", "data_timestamp", ENVELOPE_UID],
  ttl: ttl("event_date", 90),
  indexes: [bloom("request_id")],
  grain: [ENVELOPE_UID],
});

const rawNetworkCapabilities = table({
  name: "raw_network_capabilities",
  kind: "raw",
  writer: "sdk-core",
  doc: "Capability snapshots: one row per orchestrator × hardware entry × GPU of a `network_capabilities` event (`attribution.md` §1.3). `capacity`/`capacity_in_use` are widened to Nullable(Int32) (§3.1.1, 11.17).",
  columns: typedColumns(
    [
      ...capabilityIdentity(),
      nstr("gpu_id", "GPU UUID (an opaque label)"),
      nstr("gpu_name", "GPU model name (e.g. `NVIDIA GeForce RTX 4090`)"),
      nul("gpu_memory_total", "UInt64", "GPU total memory in bytes; NULL when absent."),
      nul("gpu_memory_free", "UInt64", "GPU free memory in bytes; NULL when absent."),
      nul("gpu_major", "UInt8", "GPU compute-capability major; NULL when absent or out of range."),
      nul("gpu_minor", "UInt8", "GPU compute-capability minor; NULL when absent or out of range."),
      str("pipeline", "Hardware entry `pipeline` (e.g. `live-video-to-video`)"),
      str("model_id", "Hardware entry `model_id`"),
      nul("capability_id", "Int32", "Resolved capability id (-1 when unknown); NULL when absent."),
      nstr("capability_name", "Catalog name of the capability"),
      nstr("capability_group", "Catalog group of the capability"),
      nstr("capability_catalog_version", "Capability catalog version (`v1`)"),
      nstr("runner_version", "Runner version of this model's config"),
      nul(
        "capacity",
        "Int32",
        "Configured capacity in concurrent sessions; NULL when absent or out of range.",
      ),
      nul("capacity_in_use", "Int32", "Sessions in use; NULL when absent or out of range."),
      nul("warm", "UInt8", "Warm flag 1/0 of the model config; NULL when absent or out of range."),
      nul(
        "price_per_unit",
        "UInt32",
        "Price per unit in wei; NULL when no price matched or out of range.",
      ),
      nul(
        "pixels_per_unit",
        "UInt32",
        "Pixels per price unit; NULL when no price matched or out of range.",
      ),
      str("orchestrator_version", "go-livepeer version (`capabilities.version`)"),
    ],
    ORCH_ELEMENT_TEXT,
  ),
  engine: replacing("event_timestamp"),
  partitionBy: "toYYYYMM(event_date)",
  orderBy: [
    "orchestrator_address",
    "orch_uri",
    "pipeline",
    "model_id",
    "ifNull(gpu_id, '')",
    "ifNull(capability_id, 0)",
    "event_timestamp",
    "source_event_id",
    "local_address",
  ],
  ttl: ttl("event_date", 90),
  indexes: [bloom("orchestrator_address")],
  grain: [
    ...ORCHESTRATOR_ENTRY,
    "pipeline",
    "model_id",
    "ifNull(gpu_id, '')",
    "event_timestamp",
    "source_event_id",
  ],
});

const rawCapabilitiesAdvertised = table({
  name: "raw_network_capabilities_advertised",
  kind: "raw",
  writer: "sdk-core",
  doc: "Advertised capacities: one row per `capabilities.capacities` key of each orchestrator (`ingest-and-storage.md` §1.7.5).",
  columns: typedColumns(
    [
      ...capabilityIdentity(),
      ...capabilityCatalogColumns(),
      nul(
        "capacity",
        "Int32",
        "Advertised capacity in concurrent sessions; NULL when not an integer or out of range.",
      ),
    ],
    ORCH_ELEMENT_TEXT,
  ),
  engine: replacing("event_timestamp"),
  partitionBy: "toYYYYMM(event_date)",
  orderBy: [
    "orchestrator_address",
    "capability_id",
    "event_timestamp",
    "source_event_id",
    "local_address",
    "orch_uri",
  ],
  ttl: ttl("event_date", 180),
  grain: capabilityGrain("capability_id"),
});

const rawCapabilitiesModelConstraints = table({
  name: "raw_network_capabilities_model_constraints",
  kind: "raw",
  writer: "sdk-core",
  doc: "Per-capability model configurations: one row per `PerCapability[id].models` entry (`ingest-and-storage.md` §1.7.5).",
  columns: typedColumns(
    [
      ...capabilityIdentity(),
      ...capabilityCatalogColumns(),
      str("model_id", "Model id (the `models` key)"),
      nstr("runner_version", "`runnerVersion` of the model config"),
      nul(
        "capacity",
        "Int32",
        "Configured capacity in concurrent sessions; NULL when absent or out of range.",
      ),
      nul("capacity_in_use", "Int32", "Sessions in use; NULL when absent or out of range."),
      nul("warm", "Int32", "Warm flag 1/0 (or integer); NULL when absent or out of range."),
    ],
    ORCH_ELEMENT_TEXT,
  ),
  engine: replacing("event_timestamp"),
  partitionBy: "toYYYYMM(event_date)",
  orderBy: [
    "orchestrator_address",
    "capability_id",
    "model_id",
    "event_timestamp",
    "source_event_id",
    "local_address",
    "orch_uri",
  ],
  ttl: ttl("event_date", 180),
  grain: capabilityGrain("capability_id", "model_id"),
});

/** The constraint (model) of a price as a sort-key expression (NULL sorts as `""`). */
const PRICE_CONSTRAINT = "ifNull(constraint_name, '')";

const rawCapabilitiesPrices = table({
  name: "raw_network_capabilities_prices",
  kind: "raw",
  writer: "sdk-core",
  doc: "Capability prices: one row per `capabilities_prices` entry, i.e. per orchestrator entry, capability and constraint (model) of an event (`ingest-and-storage.md` §1.7.5). The V-B sort key omitted the constraint, so the prices of two models of one capability collapsed; the SDK key includes it.",
  columns: typedColumns(
    [
      ...capabilityIdentity(),
      ...capabilityCatalogColumns(),
      nstr("constraint_name", "Model id the price applies to (`constraint`)"),
      nul("price_per_unit", "Int32", "Price per unit in wei; NULL when absent or out of range."),
      nul("pixels_per_unit", "Int32", "Pixels per price unit; NULL when absent or out of range."),
    ],
    ORCH_ELEMENT_TEXT,
  ),
  engine: replacing("event_timestamp"),
  partitionBy: "toYYYYMM(event_date)",
  orderBy: [
    "orchestrator_address",
    "capability_id",
    PRICE_CONSTRAINT,
    "event_timestamp",
    "source_event_id",
    "local_address",
    "orch_uri",
  ],
  ttl: ttl("event_date", 180),
  grain: capabilityGrain("capability_id", PRICE_CONSTRAINT),
});

const rawAiStreamEvents = table({
  name: "raw_ai_stream_events",
  kind: "raw",
  writer: "sdk-core",
  doc: "One row per accepted `ai_stream_events` event (`ingest-and-storage.md` §1.7.3).",
  columns: typedColumns(
    [
      str("stream_id", "`data.stream_id`"),
      str("request_id", "`data.request_id`"),
      str("pipeline", "`data.pipeline` (a model label in practice)"),
      lc("event_type", "`data.type` (`error`, `params_update`, or a runner passthrough type)"),
      str("message", "`data.message`"),
      str("capability", "`data.capability`"),
    ],
    ENVELOPE_TEXT,
  ),
  engine: REPLACING,
  partitionBy: "toYYYYMM(event_date)",
  orderBy: ["event_date", "stream_id", "event_timestamp", ENVELOPE_UID],
  ttl: ttl("event_date", 90),
  grain: [ENVELOPE_UID],
});

/** Hash of the array element a discovery row came from. */
const ELEMENT_UID = "cityHash64(raw_json)";

const rawDiscoveryResults = table({
  name: "raw_discovery_results",
  kind: "raw",
  writer: "sdk-core",
  doc: "One row per element of a `discovery_results` event (`ingest-and-storage.md` §1.7.6).",
  columns: typedColumns(
    [
      str("orchestrator_address", "Element `address` as sent (not lower-cased)"),
      str("orchestrator_url", "Element `url`"),
      col(
        "latency_ms",
        "UInt32",
        "Discovery round-trip latency in milliseconds; 0 when missing; never NULL.",
      ),
    ],
    "Compact JSON of the array element",
  ),
  engine: REPLACING,
  partitionBy: "toYYYYMM(event_date)",
  orderBy: ["event_date", "orchestrator_address", "event_timestamp", ELEMENT_UID],
  ttl: ttl("event_date", 30),
  // The row carries no event id: two discovery events of the same millisecond that report a
  // byte-identical element are stored once.
  grain: ["event_timestamp", ELEMENT_UID],
});

const rawPaymentEvents = table({
  name: "raw_payment_events",
  kind: "raw",
  writer: "sdk-core",
  doc: "One row per accepted `create_new_payment` event; amounts kept as the producer's text, unit suffixes included (`ingest-and-storage.md` §1.7.7).",
  columns: typedColumns(
    [
      str("request_id", "`data.requestID` (often empty)"),
      str("session_id", "`data.sessionID`"),
      str("manifest_id", "`data.manifestID`"),
      str("sender", "`data.sender` (broadcaster wallet)"),
      str("recipient", "`data.recipient` (canonical orchestrator wallet)"),
      str("orchestrator", "`data.orchestrator` (an orchestrator URL in real data)"),
      str("face_value", 'Ticket face value text, e.g. `"2400000000000000 WEI"`'),
      str("price", 'Price text, e.g. `"1635.021 wei/pixel"`'),
      str("num_tickets", "`data.numTickets` as text"),
      str("win_prob", "`data.winProb` as text"),
      str("client_ip", "`data.clientIP`"),
      str("capability", "`data.capability`"),
    ],
    ENVELOPE_TEXT,
  ),
  engine: REPLACING,
  partitionBy: "toYYYYMM(event_date)",
  orderBy: ["event_date", "recipient", "orchestrator", "event_timestamp", ENVELOPE_UID],
  ttl: ttl("event_date", 90),
  grain: [ENVELOPE_UID],
});

// ---------------------------------------------------------------------------------------------
// Lifecycle facts (§3.4, SDK layout §3.1.1)
// ---------------------------------------------------------------------------------------------

const factStatusSamples = table({
  name: "fact_stream_status_samples",
  kind: "fact",
  writer: "sdk-lifecycle",
  doc: "One latest row per accepted `ai_stream_status` event, aligned to its covering segment (`lifecycle.md` §5.5, `attribution.md` §7.2). Versioned: corrections are new rows with a higher version (§3.1.1).",
  columns: [
    ts("sample_ts", "Envelope timestamp of the status event"),
    dateOf("sample_date", "sample_ts", "`sample_ts`"),
    str("workflow_session_id", SESSION_ID_DOC),
    str("stream_id", "Payload stream id"),
    str("request_id", "Payload request id"),
    str("gateway", "Envelope gateway"),
    str("orchestrator_address", `${CANONICAL_DOC} (covering segment)`),
    str("orchestrator_url", "Segment URL when attributed, else the status URL"),
    str("pipeline", 'Canonical pipeline of the covering segment when attributed, else `""`'),
    nstr("model_id", "Segment model id when attributed (NULL when unattributed or blank)"),
    nstr("gpu_id", "Segment GPU UUID when attributed (NULL when unattributed or blank)"),
    nstr("region", "Segment region when attributed (NULL today)"),
    lc("state", "Runner state of the status event"),
    col("output_fps", "Float32", "Output frames per second (float32); never NULL."),
    col("input_fps", "Float32", "Input frames per second (float32); never NULL."),
    flag("is_attributed", "1 when a covering segment with a canonical address was found", {
      default: "0",
    }),
    ...attributionMethod(),
    str("source_event_uid", "Lower-case hex SHA-256 of the status `raw_json`"),
    attributionSource(),
    version("Emission counter of this identity (1 on the reference path)"),
    ingestion(),
  ],
  engine: replacing("version"),
  partitionBy: "toYYYYMM(sample_date)",
  orderBy: ["sample_date", "workflow_session_id", "sample_ts", "source_event_uid"],
  ttl: ttl("sample_date", 180),
  identity: ["workflow_session_id", "sample_ts", "source_event_uid"],
});

const factTraceEdges = table({
  name: "fact_stream_trace_edges",
  kind: "fact",
  writer: "sdk-lifecycle",
  doc: "One latest row per accepted `stream_trace` event, aligned to its covering segment (`lifecycle.md` §5.5). Versioned (§3.1.1).",
  columns: [
    ts("edge_ts", "Edge time: `data_timestamp` when positive, else the envelope timestamp"),
    dateOf("edge_date", "edge_ts", "`edge_ts`"),
    str("workflow_session_id", SESSION_ID_DOC),
    str("stream_id", "Payload stream id"),
    str("request_id", "Payload request id"),
    str("gateway", "Envelope gateway"),
    str("orchestrator_address", `${CANONICAL_DOC} (covering segment)`),
    str("orchestrator_url", "Segment URL when attributed, else the trace URL"),
    str("pipeline", 'Canonical pipeline of the covering segment when attributed, else `""`'),
    nstr("model_id", "Segment model id when attributed (NULL when unattributed)"),
    lc("trace_type", "Trace subtype (`data.type`)"),
    lc(
      "trace_category",
      "`gateway`, `orchestrator`, `runner`, `app` or `other` (prefix of `trace_type`)",
    ),
    flag("is_swap_event", "1 iff `trace_type = orchestrator_swap`"),
    flag("is_attributed", "1 when a covering segment with a canonical address was found", {
      default: "0",
    }),
    str("source_event_uid", "Lower-case hex SHA-256 of the trace `raw_json`"),
    attributionSource(),
    version("Emission counter of this identity (1 on the reference path)"),
    ingestion(),
  ],
  engine: replacing("version"),
  partitionBy: "toYYYYMM(edge_date)",
  orderBy: ["edge_date", "workflow_session_id", "edge_ts", "source_event_uid"],
  ttl: ttl("edge_date", 180),
  identity: ["workflow_session_id", "edge_ts", "source_event_uid"],
});

const factSessions = table({
  name: "fact_workflow_sessions",
  kind: "fact",
  writer: "sdk-lifecycle",
  doc: "One row per workflow-session revision (`lifecycle.md` §4.11, §8). SDK sort key = identity (§3.1.1).",
  columns: [
    str("workflow_session_id", SESSION_ID_DOC),
    lc("workflow_type", "Workflow type (always `ai_live_video_stream`)"),
    str(
      "workflow_id",
      "Workflow id frozen at the first signal (canonical pipeline, else `ai_live_video_stream`)",
    ),
    str("stream_id", "First non-blank raw stream id"),
    str("request_id", "First non-blank raw request id"),
    str("session_id", 'Always `""`'),
    str("pipeline", 'Canonical pipeline, or `""`'),
    str("gateway", "First non-blank envelope gateway"),
    str("orchestrator_address", CANONICAL_DOC),
    str("orchestrator_url", "Last non-blank signal URL, else the applied snapshot URL"),
    nstr("model_id", "Attributed model id"),
    nstr("gpu_id", "Attributed GPU UUID"),
    nstr("region", "Region (always NULL today)"),
    flag("has_model_change", "1 iff more than one distinct model id was seen", { default: "0" }),
    flag("has_pipeline_change", "1 iff more than one distinct pipeline was seen", { default: "0" }),
    ...attributionMethod(),
    ts("session_start_ts", "Earliest signal time (or runner `start_time`)"),
    nts("session_end_ts", "Latest signal time"),
    flag("known_stream", "1 iff a `gateway_receive_stream_request` edge was seen"),
    flag("startup_success", "1 iff a playable edge was seen"),
    flag("startup_excused", "known, not successful, every failure excusable"),
    flag("startup_unexcused", "known, not successful, not excused"),
    col(
      "confirmed_swap_count",
      "UInt16",
      "Number of `orchestrator_swap` traces (count); never NULL.",
    ),
    col(
      "inferred_orchestrator_change_count",
      "UInt16",
      "Distinct canonical orchestrators minus one, at least 0 (count); never NULL.",
    ),
    col("swap_count", "UInt16", "Alias of `confirmed_swap_count` (count); never NULL."),
    col("error_count", "UInt32", "AI-event errors (count); never NULL."),
    col(
      "excusable_error_count",
      "UInt32",
      "AI-event errors with an excusable message (count); never NULL.",
    ),
    flag("last_error_occurred", "1 iff a status sample carried a non-blank `last_error`", {
      default: "0",
    }),
    flag("loading_only_session", "status samples exist and all were `LOADING`", { default: "0" }),
    flag("zero_output_fps_session", "status samples exist and none had output fps > 0", {
      default: "0",
    }),
    col("status_sample_count", "UInt32", "Status samples (count); never NULL.", { default: "0" }),
    col(
      "status_error_sample_count",
      "UInt32",
      "Status samples with a non-blank `last_error` (count); never NULL.",
      {
        default: "0",
      },
    ),
    col("health_signal_count", "UInt32", "Observed health signals, 0–3 (count); never NULL.", {
      default: "0",
    }),
    col(
      "health_expected_signal_count",
      "UInt32",
      "Expected health signals: 3 for known streams, else 0; never NULL.",
      {
        default: "0",
      },
    ),
    col(
      "health_completeness_ratio",
      "Float32",
      "`health_signal_count / health_expected_signal_count` (float32), 1 when nothing is expected; never NULL.",
      { default: "1" },
    ),
    nts("first_stream_request_ts", "Request edge time"),
    nts("first_processed_ts", "First processed-segment edge time"),
    nts("first_playable_ts", "Playable edge time"),
    col("event_count", "UInt32", "Signals applied (count); never NULL."),
    version(
      "Revision of the session (signals applied in reference-compat, emission counter in correction mode)",
    ),
    str("source_first_event_uid", "First signal uid in processing order"),
    str("source_last_event_uid", "Last signal uid in processing order"),
    flag("served_session", "known stream that produced sustained output (`lifecycle.md` §8.2)"),
    flag("unserved_session", "known stream that did not (`known_stream - served_session`)"),
    lc(
      "service_failure_reason",
      'Why an unserved session failed (`lifecycle.md` §8.2); `""` unless unserved',
    ),
    nts("orchestrator_assigned_ts", "Earliest gateway-clock evidence of an attached orchestrator"),
    nts("stream_closed_ts", "Earliest `gateway_ingest_stream_closed` edge"),
    col(
      "served_duration_ms",
      "UInt64",
      "Served time in milliseconds (0 unless served); never NULL.",
    ),
    col(
      "active_duration_ms",
      "UInt64",
      "Demand end minus demand start in milliseconds, at least 0; never NULL.",
    ),
    nul(
      "capacity_units_at_start",
      "Int32",
      "Capacity units (concurrent sessions) of the earliest attribution that had them; NULL when unknown or out of range.",
    ),
    nts("capacity_snapshot_ts", "Snapshot time of that attribution"),
    attributionSource(),
    lc(
      "attribution_outcome",
      "Outcome code of the last selection attempt of the latest signal (`attribution.md` §5.7)",
    ),
    ingestion(),
  ],
  engine: replacing("version"),
  partitionBy: "toYYYYMM(toDate(session_start_ts))",
  orderBy: ["workflow_session_id"],
  ttl: ttl("toDate(session_start_ts)", 180),
  identity: ["workflow_session_id"],
});

const factSegments = table({
  name: "fact_workflow_session_segments",
  kind: "fact",
  writer: "sdk-lifecycle",
  doc: "One row per segment revision: a span of a session served by one canonical orchestrator (`lifecycle.md` §5.4). SDK sort key = identity; retraction rows carry `is_retracted = 1` (§3.1.1).",
  columns: [
    str("workflow_session_id", SESSION_ID_DOC),
    col("segment_index", "UInt16", "0-based, contiguous segment number; never NULL."),
    ts("segment_start_ts", "Time of the first signal of the segment"),
    nts("segment_end_ts", "Close time (NULL while open)"),
    str("gateway", "Gateway"),
    str("pipeline", "Segment pipeline"),
    str("orchestrator_address", CANONICAL_DOC),
    str("orchestrator_url", "Orchestrator URL (snapshot URL wins over the signal URL)"),
    nstr("worker_id", "Worker id (always NULL)"),
    nstr("gpu_id", "Attributed GPU UUID"),
    nstr("model_id", "Attributed model id"),
    nstr("region", "Region (always NULL today)"),
    ...attributionMethod(),
    lc("reason", "Why the segment started: `initial`, `orchestrator_change` or `stream_closed`"),
    lc("source_trace_type", "Last non-blank trace type"),
    str("source_event_uid", "Last non-blank signal uid"),
    version("Session-wide segment row counter"),
    attributionSource(),
    flag("is_retracted", "1 on a retraction row: readers drop this segment identity", {
      default: "0",
    }),
    ingestion(),
  ],
  engine: replacing("version"),
  partitionBy: "toYYYYMM(toDate(segment_start_ts))",
  orderBy: ["workflow_session_id", "segment_index"],
  ttl: ttl("toDate(segment_start_ts)", 180),
  identity: ["workflow_session_id", "segment_index"],
});

const factParamUpdates = table({
  name: "fact_workflow_param_updates",
  kind: "fact",
  writer: "sdk-lifecycle",
  doc: "One row per parameter-update marker revision (`lifecycle.md` §5.6).",
  columns: [
    ts("update_ts", "Signal time of the update"),
    dateOf("update_date", "update_ts", "`update_ts`"),
    str("workflow_session_id", SESSION_ID_DOC),
    str("stream_id", "First non-blank stream id"),
    str("request_id", "First non-blank request id"),
    str("pipeline", "First resolved pipeline (first write wins)"),
    str("gateway", "First non-blank gateway"),
    str("orchestrator_address", CANONICAL_DOC),
    str("orchestrator_url", "First non-blank URL, else the snapshot URL"),
    nstr("model_id", "Attributed model id"),
    nstr("gpu_id", "Attributed GPU UUID"),
    ...attributionMethod(),
    lc("update_type", "Always `params_update`"),
    str("message", 'Event message (usually `""`)'),
    str("source_event_uid", "Signal uid of the update event"),
    version("Accumulator version after this signal (gaps are normal)"),
    attributionSource(),
    ingestion(),
  ],
  engine: replacing("version"),
  partitionBy: "toYYYYMM(update_date)",
  orderBy: ["update_date", "workflow_session_id", "update_ts", "source_event_uid"],
  ttl: ttl("update_date", 180),
  identity: ["workflow_session_id", "source_event_uid"],
});

const factCoverage = table({
  name: "fact_lifecycle_edge_coverage",
  kind: "diagnostic",
  writer: "sdk-lifecycle",
  doc: "One row per lifecycle signal: which startup edges a session has seen so far (`lifecycle.md` §7).",
  columns: [
    ts("signal_ts", "Signal time"),
    dateOf("signal_date", "signal_ts", "`signal_ts`"),
    str("workflow_session_id", SESSION_ID_DOC),
    str("stream_id", "First non-blank raw stream id"),
    str("request_id", "First non-blank raw request id"),
    str("pipeline", "First non-blank raw payload pipeline (a model label in legacy data)"),
    nstr("model_id", "First non-blank model hint"),
    str("gateway", "First non-blank gateway"),
    str("orchestrator_address", 'Always `""` (coverage never attributes)'),
    lc("trace_type", 'Trace type of the signal (`""` for status and AI signals)'),
    str("source_event_uid", "Signal uid"),
    flag("known_stream", "1 iff a request edge was seen"),
    flag("has_first_processed_edge", "1 iff a first-processed edge was seen"),
    flag("has_first_playable_edge", "1 iff a playable edge was seen"),
    flag("startup_edge_matched", "known and a first-processed edge"),
    flag("playable_edge_matched", "known and a playable edge"),
    flag("is_terminal_signal", "1 for a `gateway_ingest_stream_closed` trace"),
    lc(
      "unmatched_reason",
      'Why the edges are incomplete (`lifecycle.md` §7); `""` when both are matched',
    ),
    version("Coverage accumulator version (signals applied)"),
    ingestion(),
  ],
  engine: replacing("version"),
  partitionBy: "toYYYYMM(signal_date)",
  orderBy: ["signal_date", "workflow_session_id", "signal_ts", "source_event_uid"],
  ttl: ttl("signal_date", 180),
  identity: ["workflow_session_id", "signal_ts", "source_event_uid"],
});

const factLatency = table({
  name: "fact_workflow_latency_samples",
  kind: "fact",
  writer: "sdk-lifecycle",
  doc: "One row per emitted session revision and configured `edge_semantics_version` (`lifecycle.md` §6, §8.5). SDK sort key = identity, so v1 and v2 rows never collapse (§3.1.1).",
  columns: [
    ts("sample_ts", "The session start (`session_start_ts` of the same session revision)"),
    dateOf("sample_date", "sample_ts", "`sample_ts`"),
    str("workflow_session_id", SESSION_ID_DOC),
    str("stream_id", "Copied from the session row"),
    str("request_id", "Copied from the session row"),
    str("gateway", "Copied from the session row"),
    str("orchestrator_address", CANONICAL_DOC),
    str("pipeline", "Copied from the session row"),
    nstr("model_id", "Copied from the session row"),
    nstr("gpu_id", "Copied from the session row"),
    nstr("region", "Copied from the session row (always NULL today)"),
    ...latencyKpis(),
    flag("has_prompt_to_first_frame", "1 iff `prompt_to_first_frame_ms` is not NULL"),
    flag("has_startup_time", "1 iff `startup_time_ms` is not NULL"),
    flag("has_e2e_latency", "1 iff `e2e_latency_ms` is not NULL"),
    lc(
      "edge_semantics_version",
      "Latency definition: `v1` (reference code) or `v2` (edge-spec document)",
    ),
    version("The session row's version"),
    ...nullReasons(),
    ...attributionMethod(),
    ingestion(),
  ],
  engine: replacing("version"),
  partitionBy: "toYYYYMM(sample_date)",
  orderBy: ["workflow_session_id", "edge_semantics_version"],
  ttl: ttl("sample_date", 180),
  identity: ["workflow_session_id", "edge_semantics_version"],
});

const factServing = table({
  name: "fact_workflow_session_serving",
  kind: "fact",
  writer: "sdk-lifecycle",
  doc: "Compact serving fact, emitted only with `emitServingFact`: one row per session revision, projecting the session row and its serving-version latency row (`lifecycle.md` §8.6).",
  columns: [
    str("workflow_session_id", SESSION_ID_DOC),
    version("The session row's version"),
    ts("session_start_ts", "Session start"),
    nts("session_end_ts", "Latest signal time"),
    nts("stream_closed_ts", "Earliest close edge"),
    str("gateway", "Gateway"),
    str("orchestrator_address", CANONICAL_DOC),
    str("pipeline", 'Canonical pipeline, or `""`'),
    nstr("model_id", "Attributed model id"),
    nstr("gpu_id", "Attributed GPU UUID"),
    nstr("region", "Region (always NULL today)"),
    ...attributionMethod(),
    flag("known_stream", "1 iff a request edge was seen"),
    flag("startup_success", "1 iff a playable edge was seen"),
    flag("startup_excused", "known, not successful, every failure excusable"),
    flag("startup_unexcused", "known, not successful, not excused"),
    flag("served_session", "known stream that produced sustained output"),
    flag("unserved_session", "known stream that did not"),
    lc("service_failure_reason", 'Why an unserved session failed; `""` unless unserved'),
    col(
      "confirmed_swap_count",
      "UInt16",
      "Number of `orchestrator_swap` traces (count); never NULL.",
    ),
    col(
      "inferred_orchestrator_change_count",
      "UInt16",
      "Distinct canonical orchestrators minus one (count); never NULL.",
    ),
    flag("loading_only_session", "status samples exist and all were `LOADING`"),
    flag("zero_output_fps_session", "status samples exist and none had output fps > 0"),
    col(
      "health_completeness_ratio",
      "Float32",
      "Observed / expected health signals (float32), 1 when nothing is expected; never NULL.",
    ),
    nts("orchestrator_assigned_ts", "Earliest gateway-clock evidence of an attached orchestrator"),
    col("served_duration_ms", "UInt64", "Served time in milliseconds; never NULL."),
    col("active_duration_ms", "UInt64", "Demand duration in milliseconds; never NULL."),
    nul(
      "capacity_units_at_start",
      "Int32",
      "Capacity units at the earliest attribution; NULL when unknown or out of range.",
    ),
    nts("capacity_snapshot_ts", "Snapshot time of that attribution"),
    ...latencyKpis(),
    ...nullReasons(),
    lc("edge_semantics_version", "Latency definition of the KPIs (`servingEdgeSemanticsVersion`)"),
    attributionSource(),
    ingestion(),
  ],
  engine: replacing("version"),
  partitionBy: "toYYYYMM(toDate(session_start_ts))",
  orderBy: ["workflow_session_id"],
  ttl: ttl("toDate(session_start_ts)", 180),
  identity: ["workflow_session_id"],
});

// ---------------------------------------------------------------------------------------------
// Rows produced inside ClickHouse (§3.5)
// ---------------------------------------------------------------------------------------------

const factIngestSamples = table({
  name: "fact_stream_ingest_samples",
  kind: "mv_target",
  writer: "clickhouse-mv",
  doc: "One row per `raw_stream_ingest_metrics` row, filled by `mv_stream_ingest_metrics_to_fact_stream_ingest_samples` (`ingest-and-storage.md` §3.5). The view fires on every insert, redeliveries included; the sort key ends with `source_event_uid`, so a redelivered row collapses under FINAL.",
  columns: [
    ts("sample_ts", "Envelope timestamp of the ingest event"),
    dateOf("sample_date", "sample_ts", "`sample_ts`"),
    str(
      "workflow_session_id",
      `${SESSION_ID_DOC}; \`toString(cityHash64(raw_json))\` when both ids are blank`,
    ),
    str("stream_id", "Copied"),
    str("request_id", "Copied"),
    lc("connection_quality", "Copied (e.g. `good`)"),
    col("video_jitter", "Float32", "Copied video jitter (producer units); never NULL."),
    col("audio_jitter", "Float32", "Copied audio jitter (producer units); never NULL."),
    col("video_latency", "Float32", "Copied video latency (producer units); never NULL."),
    col("audio_latency", "Float32", "Copied audio latency (producer units); never NULL."),
    col("bytes_received", "UInt64", "Copied byte count; never NULL."),
    col("bytes_sent", "UInt64", "Copied byte count; never NULL."),
    str("source_event_uid", "`toString(cityHash64(raw_json))` of the typed row"),
  ],
  engine: REPLACING,
  partitionBy: "toYYYYMM(sample_date)",
  orderBy: ["sample_date", "workflow_session_id", "sample_ts", "source_event_uid"],
  ttl: ttl("sample_date", 90),
  grain: ["source_event_uid"],
});

const factPayments = table({
  name: "fact_payments",
  kind: "mv_target",
  writer: "clickhouse-mv",
  doc: "One row per `raw_payment_events` row with the face value parsed to wei, filled by `mv_payment_events_to_fact_payments` (`ingest-and-storage.md` §3.5, 11.7). The sort key ends with `source_event_uid`, so a redelivered payment collapses under FINAL (the serving views read it FINAL).",
  columns: [
    ts("payment_ts", "Envelope timestamp of the payment event"),
    dateOf("payment_date", "payment_ts", "`payment_ts`"),
    str("request_id", "Copied `requestID` (often empty)"),
    str("session_id", "Copied `sessionID`"),
    str("manifest_id", "Copied `manifestID`"),
    str("sender", "Copied broadcaster wallet"),
    str("recipient", "Copied canonical orchestrator wallet"),
    str("face_value", "Copied face value text"),
    str("orchestrator_url", "The payment's `orchestrator` field (a URL)"),
    nul(
      "face_value_wei",
      "UInt256",
      "Face value in wei: the digits of `face_value` after trimming and removing one trailing case-insensitive `wei` suffix; NULL for any other text (another unit, a decimal point, empty).",
    ),
    str("source_event_uid", "`toString(cityHash64(raw_json))` of the typed row"),
  ],
  engine: REPLACING,
  partitionBy: "toYYYYMM(payment_date)",
  orderBy: ["payment_date", "request_id", "payment_ts", "source_event_uid"],
  ttl: ttl("payment_date", 90),
  grain: ["source_event_uid"],
});

/**
 * Grain of a capability dimension: the grain of its source table (`capabilityGrain`) under the
 * dimension's column names.
 */
function dimGrain(...sub: string[]): string[] {
  return [
    "orchestrator_address",
    "orchestrator_proxy_address",
    "orchestrator_url",
    ...sub,
    "snapshot_ts",
    "source_event_uid",
  ];
}

/** Sort key of a capability dimension: the V-B key, then the rest of its grain. */
function dimOrderBy(...sub: string[]): string[] {
  return [
    "orchestrator_address",
    ...sub,
    "snapshot_ts",
    "source_event_uid",
    "orchestrator_proxy_address",
    "orchestrator_url",
  ];
}

function dimIdentity() {
  return [
    ts("snapshot_ts", "Envelope timestamp of the capability event"),
    dateOf("snapshot_date", "snapshot_ts", "`snapshot_ts`"),
    str("orchestrator_address", "Canonical orchestrator address, lower-cased"),
    str("orchestrator_proxy_address", "Hot wallet (`local_address`), lower-cased"),
    str("orchestrator_url", "Orchestrator URI (`orch_uri`)"),
  ];
}

const dimSnapshots = table({
  name: "dim_orchestrator_capability_snapshots",
  kind: "dimension",
  writer: "clickhouse-mv",
  doc: "Capability snapshot dimension filled from `raw_network_capabilities` (`ingest-and-storage.md` §3.5).",
  columns: [
    ...dimIdentity(),
    str("pipeline", "Hardware entry pipeline"),
    str("model_id", "Hardware entry model id"),
    col("capability_id", "Int32", "Capability id; 0 when the typed row had NULL; never NULL."),
    lc("capability_name", "Capability name (`unknown` when the typed row had NULL)"),
    lc("capability_group", "Capability group (`unknown` when the typed row had NULL)"),
    nstr("gpu_id", "GPU UUID"),
    nstr("gpu_name", "GPU model name"),
    nul("gpu_memory_total", "UInt64", "GPU total memory in bytes; NULL when absent."),
    nul("gpu_major", "UInt8", "GPU compute-capability major; NULL when absent."),
    nul("gpu_minor", "UInt8", "GPU compute-capability minor; NULL when absent."),
    nstr("runner_version", "Runner version of the model config"),
    nstr("region", "Region (always NULL)"),
    str("source_event_uid", "Envelope id of the capability event (`source_event_id`)"),
  ],
  engine: replacing("snapshot_ts"),
  partitionBy: "toYYYYMM(snapshot_date)",
  orderBy: [
    "orchestrator_address",
    "pipeline",
    "model_id",
    "capability_id",
    "ifNull(gpu_id, '')",
    "snapshot_ts",
    "source_event_uid",
    "orchestrator_proxy_address",
    "orchestrator_url",
  ],
  ttl: ttl("snapshot_date", 365),
  grain: dimGrain("pipeline", "model_id", "ifNull(gpu_id, '')"),
});

function dimCatalog() {
  return [
    col("capability_id", "Int32", "Capability id; never NULL."),
    lc("capability_name", "Catalog name of the capability"),
    lc("capability_group", "Catalog group of the capability"),
    lc("capability_catalog_version", "Capability catalog version (`v1`)"),
  ];
}

const dimAdvertised = table({
  name: "dim_orchestrator_capability_advertised_snapshots",
  kind: "dimension",
  writer: "clickhouse-mv",
  doc: "Advertised-capacity dimension filled from `raw_network_capabilities_advertised` (`ingest-and-storage.md` §3.5).",
  columns: [
    ...dimIdentity(),
    ...dimCatalog(),
    nul("capacity", "Int32", "Advertised capacity in concurrent sessions; NULL when absent."),
    str("source_event_uid", "Envelope id of the capability event (`source_event_id`)"),
  ],
  engine: replacing("snapshot_ts"),
  partitionBy: "toYYYYMM(snapshot_date)",
  orderBy: dimOrderBy("capability_id"),
  ttl: ttl("snapshot_date", 365),
  grain: dimGrain("capability_id"),
});

const dimModelConstraints = table({
  name: "dim_orchestrator_capability_model_constraints",
  kind: "dimension",
  writer: "clickhouse-mv",
  doc: "Per-model capacity dimension filled from `raw_network_capabilities_model_constraints` (`ingest-and-storage.md` §3.5).",
  columns: [
    ...dimIdentity(),
    ...dimCatalog(),
    str("model_id", "Model id"),
    nstr("runner_version", "Runner version"),
    nul("capacity", "Int32", "Configured capacity in concurrent sessions; NULL when absent."),
    nul("capacity_in_use", "Int32", "Sessions in use; NULL when absent."),
    nul("warm", "UInt8", "Warm flag 1/0; NULL when absent or outside 0–255."),
    str("source_event_uid", "Envelope id of the capability event (`source_event_id`)"),
  ],
  engine: replacing("snapshot_ts"),
  partitionBy: "toYYYYMM(snapshot_date)",
  orderBy: dimOrderBy("capability_id", "model_id"),
  ttl: ttl("snapshot_date", 365),
  grain: dimGrain("capability_id", "model_id"),
});

const dimPrices = table({
  name: "dim_orchestrator_capability_prices",
  kind: "dimension",
  writer: "clickhouse-mv",
  doc: "Capability price dimension filled from `raw_network_capabilities_prices` (`ingest-and-storage.md` §3.5).",
  columns: [
    ...dimIdentity(),
    ...dimCatalog(),
    nstr("constraint_name", "Model id the price applies to"),
    nul("price_per_unit", "Int32", "Price per unit in wei; NULL when absent."),
    nul("pixels_per_unit", "Int32", "Pixels per price unit; NULL when absent."),
    str("source_event_uid", "Envelope id of the capability event (`source_event_id`)"),
  ],
  engine: replacing("snapshot_ts"),
  partitionBy: "toYYYYMM(snapshot_date)",
  orderBy: dimOrderBy("capability_id", PRICE_CONSTRAINT),
  ttl: ttl("snapshot_date", 365),
  grain: dimGrain("capability_id", PRICE_CONSTRAINT),
});

const schemaVersionTable = table({
  name: "lpa_schema_version",
  kind: "metadata",
  writer: "sdk-ddl",
  doc: "Schema versions applied by the DDL bootstrap: one row per (version, checksum), inserted only when absent.",
  columns: [
    col("schema_version", "UInt32", "Schema version (`SCHEMA_VERSION`); never NULL."),
    str("checksum", "Lower-case hex SHA-256 of the DDL statements of that version"),
    serverFilled(
      "applied_at",
      DT64,
      `Server time of the first application (${MS}); DEFAULT now64(3).`,
      "now64(3)",
    ),
  ],
  engine: REPLACING,
  partitionBy: null,
  orderBy: ["schema_version", "checksum"],
  ttl: null,
  grain: ["schema_version", "checksum"],
});

/**
 * Every table name of the catalogue, in DDL order.
 *
 * @category Schema
 */
export const TABLE_NAMES = [
  "raw_streaming_events",
  "raw_streaming_events_dlq",
  "raw_streaming_events_quarantine",
  "raw_ai_stream_status",
  "raw_stream_ingest_metrics",
  "raw_stream_trace_events",
  "raw_network_capabilities",
  "raw_network_capabilities_advertised",
  "raw_network_capabilities_model_constraints",
  "raw_network_capabilities_prices",
  "raw_ai_stream_events",
  "raw_discovery_results",
  "raw_payment_events",
  "fact_stream_status_samples",
  "fact_stream_trace_edges",
  "fact_workflow_sessions",
  "fact_workflow_session_segments",
  "fact_workflow_param_updates",
  "fact_lifecycle_edge_coverage",
  "fact_workflow_latency_samples",
  "fact_workflow_session_serving",
  "fact_stream_ingest_samples",
  "fact_payments",
  "dim_orchestrator_capability_snapshots",
  "dim_orchestrator_capability_advertised_snapshots",
  "dim_orchestrator_capability_model_constraints",
  "dim_orchestrator_capability_prices",
  "lpa_schema_version",
] as const;

/**
 * A table of the catalogue.
 *
 * @category Schema
 */
export type TableName = (typeof TABLE_NAMES)[number];

/**
 * The catalogue: every table the SDK writes or creates, in DDL order (the same order as
 * {@link TABLE_NAMES}).
 *
 * @category Schema
 */
export const TABLES: readonly TableDef<TableName>[] = [
  rawStreamingEvents,
  dlq,
  quarantine,
  rawAiStreamStatus,
  rawStreamIngestMetrics,
  rawStreamTraceEvents,
  rawNetworkCapabilities,
  rawCapabilitiesAdvertised,
  rawCapabilitiesModelConstraints,
  rawCapabilitiesPrices,
  rawAiStreamEvents,
  rawDiscoveryResults,
  rawPaymentEvents,
  factStatusSamples,
  factTraceEdges,
  factSessions,
  factSegments,
  factParamUpdates,
  factCoverage,
  factLatency,
  factServing,
  factIngestSamples,
  factPayments,
  dimSnapshots,
  dimAdvertised,
  dimModelConstraints,
  dimPrices,
  schemaVersionTable,
];

const BY_NAME: ReadonlyMap<string, TableDef<TableName>> = new Map(TABLES.map((t) => [t.name, t]));

/**
 * `true` when `name` is a table of the catalogue.
 *
 * @category Schema
 */
export function isTableName(name: string): name is TableName {
  return BY_NAME.has(name);
}

/**
 * The catalogue entry of a table.
 *
 * @category Schema
 * @throws RangeError for a name outside the catalogue.
 */
export function getTable(name: TableName): TableDef<TableName> {
  const t = BY_NAME.get(name);
  if (t === undefined) throw new RangeError(`unknown ClickHouse table: ${String(name)}`);
  return t;
}
