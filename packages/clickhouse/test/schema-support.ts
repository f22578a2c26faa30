/**
 * Test support for the schema and mapper suites: an embedded ClickHouse (chdb) per test file,
 * the §9.2 sample rows, and the engine outputs of the real 2026-01-08 fixture.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createClient, type ClickHouseClient } from "@clickhouse/client";
import { createChdbConnection } from "chdb/connection";
import { createEngine, type EngineConfigInput } from "@livepeer-analytics/core/engine";
import { toRejectionRow } from "@livepeer-analytics/core/quality";
import { realEventLines } from "@livepeer-analytics/testing/fixtures";
import { generateDdl, type DdlOptions } from "../src/schema/ddl.js";
import { toClickHouseRow, type EngineRowByTable } from "../src/mappers/rows.js";
import type { TableName } from "../src/schema/columns.js";

type ClientConnection = NonNullable<NonNullable<Parameters<typeof createClient>[0]>["connection"]>;

/** An embedded ClickHouse living in its own temporary directory. */
export interface Chdb {
  readonly client: ClickHouseClient;
  command(query: string): Promise<void>;
  rows<T = Record<string, unknown>>(query: string): Promise<T[]>;
  insert(table: string, values: readonly object[]): Promise<void>;
  close(): Promise<void>;
}

/** Opens chdb on a fresh `lpa-ch-*` temporary directory. */
export function openChdb(): Chdb {
  const dir = mkdtempSync(join(tmpdir(), "lpa-ch-"));
  // chdb's connection is typed against @clickhouse/client-common, the client bundles its own copy.
  const connection = createChdbConnection({ path: dir }) as unknown as ClientConnection;
  const client = createClient({ connection });
  return {
    client,
    command: async (query) => {
      await client.command({ query });
    },
    rows: async <T>(query: string) => {
      const r = await client.query({ query, format: "JSONEachRow" });
      return r.json<T>();
    },
    insert: async (table, values) => {
      if (values.length === 0) return;
      await client.insert({ table, values: values as object[], format: "JSONEachRow" });
    },
    close: async () => {
      await client.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** Applies every statement of the generated DDL. */
export async function applyDdl(db: Chdb, options: DdlOptions): Promise<void> {
  for (const query of generateDdl(options)) await db.command(query);
}

/** Inserts engine rows (mapped) into `database.table`. */
export async function insertRows(
  db: Chdb,
  database: string,
  table: TableName,
  rows: readonly object[],
): Promise<void> {
  await db.insert(
    `${database}.${table}`,
    rows.map((r) => toClickHouseRow(table, r as never)),
  );
}

/** Sample rows of `ingest-and-storage.md` §9.2 (`ClickHouseSchemaSyncTest`), one per SDK table. */
export const SPEC_ROWS: { readonly [T in keyof EngineRowByTable]: EngineRowByTable[T] } = {
  raw_ai_stream_status: {
    event_timestamp: 1710000000000,
    stream_id: "s1",
    request_id: "r1",
    gateway: "gw",
    orchestrator_address: "0xabc",
    orchestrator_url: "https://orch",
    pipeline: "pipe",
    state: "running",
    output_fps: 30,
    input_fps: 30,
    restart_count: 0,
    last_error: null,
    last_error_time: null,
    prompt_text: null,
    prompt_width: 0,
    prompt_height: 0,
    params_hash: "h",
    start_time: 1710000000000,
    raw_json: '{"id":"status-1"}',
  },
  raw_stream_ingest_metrics: {
    event_timestamp: 1710000000000,
    stream_id: "s1",
    request_id: "r1",
    connection_quality: "good",
    video_jitter: 0.1,
    video_packets_received: 1,
    video_packets_lost: 0,
    video_packet_loss_pct: 0,
    video_rtt: 1.0,
    video_last_input_ts: 0,
    video_latency: 0,
    audio_jitter: 0.1,
    audio_packets_received: 1,
    audio_packets_lost: 0,
    audio_packet_loss_pct: 0,
    audio_rtt: 1.0,
    audio_last_input_ts: 0,
    audio_latency: 0,
    bytes_received: 1,
    bytes_sent: 1,
    raw_json: '{"id":"ingest-1"}',
  },
  raw_stream_trace_events: {
    event_timestamp: 1710000000000,
    stream_id: "s1",
    request_id: "r1",
    orchestrator_address: "",
    orchestrator_url: "",
    trace_type: "gateway_receive_stream_request",
    data_timestamp: 1710000000000,
    raw_json: '{"id":"trace-1"}',
  },
  raw_network_capabilities: {
    event_timestamp: 1710000000000,
    source_event_id: "e1",
    orchestrator_address: "0xabc",
    local_address: "0xdef",
    orch_uri: "https://orch",
    gpu_id: "GPU-1",
    gpu_name: "NVIDIA GeForce RTX 4090",
    gpu_memory_total: 25_757_220_864,
    gpu_memory_free: 20_000_000_000,
    gpu_major: 8,
    gpu_minor: 9,
    pipeline: "live-video-to-video",
    model_id: "streamdiffusion-sdxl",
    capability_id: 35,
    capability_name: "Live video to video",
    capability_group: "live-video",
    capability_catalog_version: "v1",
    runner_version: "0.14.1",
    capacity: 1,
    capacity_in_use: 1,
    warm: 1,
    price_per_unit: 1,
    pixels_per_unit: 1,
    orchestrator_version: "0.1",
    raw_json: '{"address":"0xabc"}',
  },
  raw_network_capabilities_advertised: {
    event_timestamp: 1710000000000,
    source_event_id: "e1",
    orchestrator_address: "0xabc",
    local_address: "0xdef",
    orch_uri: "https://orch",
    capability_id: 35,
    capability_name: "Live video to video",
    capability_group: "live-video",
    capability_catalog_version: "v1",
    capacity: 1,
    raw_json: '{"address":"0xabc"}',
  },
  raw_network_capabilities_model_constraints: {
    event_timestamp: 1710000000000,
    source_event_id: "e1",
    orchestrator_address: "0xabc",
    local_address: "0xdef",
    orch_uri: "https://orch",
    capability_id: 35,
    capability_name: "Live video to video",
    capability_group: "live-video",
    capability_catalog_version: "v1",
    model_id: "streamdiffusion-sdxl",
    runner_version: "0.14.1",
    capacity: 1,
    capacity_in_use: 0,
    warm: 1,
    raw_json: '{"address":"0xabc"}',
  },
  raw_network_capabilities_prices: {
    event_timestamp: 1710000000000,
    source_event_id: "e1",
    orchestrator_address: "0xabc",
    local_address: "0xdef",
    orch_uri: "https://orch",
    capability_id: 35,
    capability_name: "Live video to video",
    capability_group: "live-video",
    capability_catalog_version: "v1",
    constraint_name: "streamdiffusion-sdxl",
    price_per_unit: 2149,
    pixels_per_unit: 1,
    raw_json: '{"address":"0xabc"}',
  },
  raw_ai_stream_events: {
    event_timestamp: 1710000000000,
    stream_id: "s1",
    request_id: "r1",
    pipeline: "pipe",
    event_type: "error",
    message: "msg",
    capability: "cap",
    raw_json: '{"id":"ai-1"}',
  },
  raw_discovery_results: {
    event_timestamp: 1710000000000,
    orchestrator_address: "0xabc",
    orchestrator_url: "https://orch",
    latency_ms: 1,
    raw_json: '{"address":"0xabc"}',
  },
  raw_payment_events: {
    event_timestamp: 1710000000000,
    request_id: "r1",
    session_id: "sess",
    manifest_id: "manifest",
    sender: "0xsender",
    recipient: "0xrecipient",
    orchestrator: "https://orch",
    face_value: "1000 WEI",
    price: "1 wei/pixel",
    num_tickets: "1",
    win_prob: "0.5",
    client_ip: "127.0.0.1",
    capability: "cap",
    raw_json: '{"id":"pay-1"}',
  },
  fact_workflow_sessions: {
    workflow_session_id: "stream|request",
    workflow_type: "ai_live_video_stream",
    workflow_id: "live-video-to-video",
    stream_id: "stream",
    request_id: "request",
    session_id: "",
    pipeline: "live-video-to-video",
    gateway: "gw",
    orchestrator_address: "0xabc",
    orchestrator_url: "https://orch",
    model_id: "streamdiffusion-sdxl",
    gpu_id: "GPU-1",
    region: null,
    has_model_change: 0,
    has_pipeline_change: 0,
    gpu_attribution_method: "nearest_prior_snapshot",
    gpu_attribution_confidence: Math.fround(0.9),
    session_start_ts: 1710000000000,
    session_end_ts: 1710000005000,
    known_stream: 1,
    startup_success: 1,
    startup_excused: 0,
    startup_unexcused: 0,
    confirmed_swap_count: 0,
    inferred_orchestrator_change_count: 0,
    swap_count: 0,
    error_count: 0,
    excusable_error_count: 0,
    last_error_occurred: 0,
    loading_only_session: 0,
    zero_output_fps_session: 0,
    status_sample_count: 1,
    status_error_sample_count: 0,
    health_signal_count: 3,
    health_expected_signal_count: 3,
    health_completeness_ratio: 1,
    first_stream_request_ts: 1710000000000,
    first_processed_ts: 1710000002000,
    first_playable_ts: 1710000003000,
    event_count: 5,
    version: 5,
    source_first_event_uid: "e1",
    source_last_event_uid: "e2",
    served_session: 1,
    unserved_session: 0,
    service_failure_reason: "",
    orchestrator_assigned_ts: 1710000000000,
    stream_closed_ts: null,
    served_duration_ms: 2000,
    active_duration_ms: 5000,
    capacity_units_at_start: 1,
    capacity_snapshot_ts: 1709999990000,
    attribution_source: "direct",
    attribution_outcome: "selected",
  },
  fact_workflow_session_segments: {
    workflow_session_id: "stream|request",
    segment_index: 1,
    segment_start_ts: 1710000003000,
    segment_end_ts: null,
    gateway: "gw",
    pipeline: "live-video-to-video",
    orchestrator_address: "0xabc",
    orchestrator_url: "https://orch",
    worker_id: null,
    gpu_id: "GPU-1",
    model_id: "streamdiffusion-sdxl",
    region: null,
    gpu_attribution_method: "nearest_prior_snapshot",
    gpu_attribution_confidence: Math.fround(0.9),
    reason: "orchestrator_change",
    source_trace_type: "orchestrator_swap",
    source_event_uid: "e2",
    version: 2,
    attribution_source: "direct",
    is_retracted: 0,
  },
  fact_workflow_param_updates: {
    update_ts: 1710000004000,
    workflow_session_id: "stream|request",
    stream_id: "stream",
    request_id: "request",
    pipeline: "live-video-to-video",
    gateway: "gw",
    orchestrator_address: "0xabc",
    orchestrator_url: "https://orch",
    model_id: "streamdiffusion-sdxl",
    gpu_id: "GPU-1",
    gpu_attribution_method: "nearest_prior_snapshot",
    gpu_attribution_confidence: Math.fround(0.9),
    update_type: "params_update",
    message: "updated prompt",
    source_event_uid: "e3",
    version: 3,
    attribution_source: "direct",
  },
  fact_lifecycle_edge_coverage: {
    signal_ts: 1710000003000,
    workflow_session_id: "stream|request",
    stream_id: "stream",
    request_id: "request",
    pipeline: "streamdiffusion-sdxl",
    gateway: "gw",
    orchestrator_address: "",
    model_id: "streamdiffusion-sdxl",
    trace_type: "gateway_receive_few_processed_segments",
    source_event_uid: "e4",
    known_stream: 1,
    has_first_processed_edge: 1,
    has_first_playable_edge: 1,
    startup_edge_matched: 1,
    playable_edge_matched: 1,
    is_terminal_signal: 0,
    unmatched_reason: "",
    version: 4,
  },
  fact_workflow_latency_samples: {
    sample_ts: 1710000000000,
    workflow_session_id: "stream|request",
    stream_id: "stream",
    request_id: "request",
    gateway: "gw",
    orchestrator_address: "0xabc",
    pipeline: "live-video-to-video",
    model_id: "streamdiffusion-sdxl",
    gpu_id: "GPU-1",
    region: null,
    prompt_to_first_frame_ms: 120,
    startup_time_ms: 3500,
    e2e_latency_ms: 3900,
    has_prompt_to_first_frame: 1,
    has_startup_time: 1,
    has_e2e_latency: 1,
    edge_semantics_version: "v1",
    version: 5,
    prompt_to_first_frame_null_reason: "",
    startup_time_null_reason: "",
    e2e_latency_null_reason: "",
    gpu_attribution_method: "nearest_prior_snapshot",
    gpu_attribution_confidence: Math.fround(0.9),
  },
  fact_workflow_session_serving: {
    workflow_session_id: "stream|request",
    version: 5,
    session_start_ts: 1710000000000,
    session_end_ts: 1710000005000,
    stream_closed_ts: null,
    gateway: "gw",
    orchestrator_address: "0xabc",
    pipeline: "live-video-to-video",
    model_id: "streamdiffusion-sdxl",
    gpu_id: "GPU-1",
    region: null,
    gpu_attribution_method: "nearest_prior_snapshot",
    gpu_attribution_confidence: Math.fround(0.9),
    known_stream: 1,
    startup_success: 1,
    startup_excused: 0,
    startup_unexcused: 0,
    served_session: 1,
    unserved_session: 0,
    service_failure_reason: "",
    confirmed_swap_count: 0,
    inferred_orchestrator_change_count: 0,
    loading_only_session: 0,
    zero_output_fps_session: 0,
    health_completeness_ratio: 1,
    orchestrator_assigned_ts: 1710000000000,
    served_duration_ms: 2000,
    active_duration_ms: 5000,
    capacity_units_at_start: 1,
    capacity_snapshot_ts: 1709999990000,
    attribution_source: "direct",
    prompt_to_first_frame_ms: 120,
    startup_time_ms: 3500,
    e2e_latency_ms: 3900,
    prompt_to_first_frame_null_reason: "",
    startup_time_null_reason: "",
    e2e_latency_null_reason: "",
    edge_semantics_version: "v1",
  },
  fact_stream_status_samples: {
    sample_ts: 1710000000000,
    workflow_session_id: "s1|r1",
    stream_id: "s1",
    request_id: "r1",
    gateway: "gw",
    orchestrator_address: "0xabc",
    orchestrator_url: "https://orch",
    pipeline: "live-video-to-video",
    model_id: "streamdiffusion-sdxl",
    gpu_id: "GPU-1",
    region: null,
    state: "ONLINE",
    output_fps: Math.fround(29.97),
    input_fps: 30,
    gpu_attribution_method: "segment_window_join",
    gpu_attribution_confidence: 1,
    is_attributed: 1,
    source_event_uid: "2cf24dba5fb0a30e26e83b2ac5b9e29e1b161e5c1fa7425e73043362938b9824",
    attribution_source: "direct",
    version: 1,
  },
  fact_stream_trace_edges: {
    edge_ts: 1710000000000,
    workflow_session_id: "s1|r1",
    stream_id: "s1",
    request_id: "r1",
    gateway: "gw",
    orchestrator_address: "",
    orchestrator_url: "",
    pipeline: "",
    model_id: null,
    trace_type: "gateway_receive_stream_request",
    trace_category: "gateway",
    is_swap_event: 0,
    is_attributed: 0,
    source_event_uid: "d91637ef270f0a2a05a2acf5b912051a1dbb9e23f714e0cda0cc4811ef880c95",
    attribution_source: "unattributed",
    version: 1,
  },
  raw_streaming_events_dlq: toRejectionRow({
    schemaVersion: "v1",
    source: { topic: "t", partition: 0, offset: 1, recordTimestamp: 1710000000000 },
    failure: {
      stage: "PARSE",
      failureClass: "PARSING_FAILED",
      reason: "parse_exception",
      details: "details",
    },
    identity: { eventId: "e", eventType: "t", eventVersion: "1" },
    dimensions: null,
    payload: { encoding: "json", body: "{}", canonicalJson: null },
    dedupKey: "e",
    dedupStrategy: "event_id",
    replay: false,
    ingestionTimestamp: 1710000000123,
    eventTimestamp: 1710000000000,
  }),
  raw_streaming_events_quarantine: toRejectionRow({
    schemaVersion: "v1",
    source: { topic: "t", partition: 0, offset: 1, recordTimestamp: 1710000000000 },
    failure: {
      stage: "PARSE",
      failureClass: "PARSING_FAILED",
      reason: "parse_exception",
      details: "details",
    },
    identity: { eventId: "e", eventType: "t", eventVersion: "1" },
    dimensions: null,
    payload: { encoding: "json", body: "{}", canonicalJson: null },
    dedupKey: "e",
    dedupStrategy: "event_id",
    replay: false,
    ingestionTimestamp: 1710000000123,
    eventTimestamp: 1710000000000,
  }),
};

/** `now` stamped on envelopes of the real-fixture replay (2026-01-08 21:53:20.000 UTC). */
export const REPLAY_NOW = 1767909200000;

/** Every row the engine emitted for one replay, per table (all versions, emission order). */
export type RowsByTable = Map<TableName, Record<string, unknown>[]>;

/**
 * Replays the real fixture through `createEngine(config)`: the 65 lines, the same 65 lines again
 * (quarantined duplicates), one undecodable line (a DLQ envelope), then `flush`. DLQ and
 * quarantine envelopes are mapped with `toRejectionRow`.
 */
export function replayRealFixture(config: EngineConfigInput = {}): RowsByTable {
  const engine = createEngine(config);
  const state = engine.init();
  const lines = realEventLines();
  const outputs = [
    ...lines.flatMap((value) => engine.stepInPlace(state, { record: { value }, now: 0 })),
    ...lines.flatMap((value) => engine.stepInPlace(state, { record: { value }, now: REPLAY_NOW })),
    ...engine.stepInPlace(state, { record: { value: "{not json" }, now: REPLAY_NOW }),
    ...engine.flushInPlace(state),
  ];
  const out: RowsByTable = new Map();
  const push = (table: TableName, row: object): void => {
    let list = out.get(table);
    if (list === undefined) out.set(table, (list = []));
    list.push(row as Record<string, unknown>);
  };
  for (const o of outputs) {
    if (o.kind === "row") push(o.table, o.row);
    else if (o.kind === "dlq") push("raw_streaming_events_dlq", toRejectionRow(o.envelope));
    else if (o.kind === "quarantine")
      push("raw_streaming_events_quarantine", toRejectionRow(o.envelope));
  }
  return out;
}
