import { describe, expect, it } from "vitest";
import { realEventLines, REAL_SAMPLE_EXPECTED } from "@livepeer-analytics/testing/fixtures";
import { runGate } from "../quality/gate.js";
import type { AcceptedEvent } from "./accepted-event.js";
import { AiStreamStatusRowSchema, parseAiStreamStatus } from "./ai-stream-status.js";
import { AiStreamEventRowSchema, parseAiStreamEvent } from "./ai-stream-events.js";
import { parseCreateNewPayment, PaymentEventRowSchema } from "./create-new-payment.js";
import { DiscoveryResultRowSchema, parseDiscoveryResults } from "./discovery-results.js";
import { parseEvent, type RawTable } from "./parse-event.js";
import { parseStreamIngestMetrics, StreamIngestMetricsRowSchema } from "./stream-ingest-metrics.js";
import { parseStreamTrace, StreamTraceRowSchema } from "./stream-trace.js";

function accept(root: unknown): AcceptedEvent {
  const r = runGate({ value: typeof root === "string" ? root : JSON.stringify(root) }, { now: 0 });
  if (!r.ok) throw new Error(`${r.envelope.failure.reason}: ${r.envelope.failure.details}`);
  return r.event;
}
const one = <R>(out: { rows: R[]; issues: unknown[] }): R => {
  expect(out.issues).toEqual([]);
  expect(out.rows).toHaveLength(1);
  return out.rows[0]!;
};

// flink-jobs/src/test/resources/ai_stream_status.json as given in lifecycle.md §1.3, with the
// last_params block the expected row of ingest-and-storage.md §9.3 implies.
const statusFixture = {
  id: "ae6f98da-5418-43cd-80d5-8d9a9521bb22",
  type: "ai_stream_status",
  timestamp: "1770062064713",
  gateway: "",
  data: {
    inference_status: {
      fps: 23.584042845918553,
      last_error:
        "Error updating params: Cannot change output resolution mid-stream (Current resolution: (512, 512) requested resolution: (1024, 1024)). Output resolution (e.g. upscalers) can only be configured when starting a new stream.",
      last_error_time: 1770057341425,
      last_params: { height: 512, width: 512 },
      last_params_hash: "f2f41bce75e30de92f8c308a6722859b",
      restart_count: 3,
    },
    input_status: { fps: 24.083704770620216 },
    orchestrator_info: {
      address: "0xcdf93b13efcf63f84f2affb01bec48a5c096c69e",
      url: "https://rtv.nullworks.xyz:9924",
    },
    pipeline: "streamdiffusion-sdxl",
    pipeline_id: "",
    request_id: "e66dd3fd",
    start_time: 1770062024704,
    state: "ONLINE",
    stream_id: "stream-0h8yoh-ml5l86hk",
    timestamp: 1770062064705,
    type: "status",
  },
};

describe("EventParsersTest and the §9.3 expected rows", () => {
  it("aiStreamStatusRowMatchesExpectedColumns (ai_stream_status.json)", () => {
    const row = one(parseAiStreamStatus(accept(statusFixture)));
    expect(row).toMatchObject({
      stream_id: "stream-0h8yoh-ml5l86hk",
      request_id: "e66dd3fd",
      orchestrator_address: "0xcdf93b13efcf63f84f2affb01bec48a5c096c69e",
      orchestrator_url: "https://rtv.nullworks.xyz:9924",
      pipeline: "streamdiffusion-sdxl",
      output_fps: Math.fround(23.584042845918553),
      input_fps: Math.fround(24.083704770620216),
      state: "ONLINE",
      restart_count: 3,
      last_error: statusFixture.data.inference_status.last_error,
      last_error_time: 1770057341425,
      prompt_text: null,
      prompt_width: 512,
      prompt_height: 512,
      params_hash: "f2f41bce75e30de92f8c308a6722859b",
      start_time: 1770062024704,
      event_timestamp: 1770062064713,
    });
    expect(row.output_fps).toBeCloseTo(23.584043, 5);
    expect(row.input_fps).toBeCloseTo(24.083705, 5);
    expect(Object.keys(row)).toContain("event_timestamp");
    expect(AiStreamStatusRowSchema.parse(row)).toEqual(row);
  });

  it("stream_trace.json", () => {
    const row = one(
      parseStreamTrace(
        accept({
          id: "fb543250-7376-4de4-9541-42319b83e109",
          type: "stream_trace",
          timestamp: "1770062787846",
          gateway: "",
          data: {
            orchestrator_info: { address: "", url: "" },
            pipeline_id: "",
            request_id: "56bc6b29",
            stream_id: "stream-qkqf2m-ml5lojrb",
            timestamp: 1770062787846,
            type: "gateway_receive_stream_request",
          },
        }),
      ),
    );
    expect(row).toMatchObject({
      trace_type: "gateway_receive_stream_request",
      stream_id: "stream-qkqf2m-ml5lojrb",
      request_id: "56bc6b29",
      orchestrator_address: "",
      orchestrator_url: "",
      data_timestamp: 1770062787846,
    });
  });

  it("discoveryResultsEmitsMultipleEntries (discovery_results.json)", () => {
    const out = parseDiscoveryResults(
      accept({
        id: "8e1a4b12-57e5-41aa-bcf3-20ec51353656",
        type: "discovery_results",
        timestamp: "1770062787000",
        gateway: "",
        data: [
          {
            address: "0xcdf93b13efcf63f84f2affb01bec48a5c096c69e",
            latency_ms: "84",
            url: "https://rtv.nullworks.xyz:9924",
          },
          {
            address: "0xedd45674825cd5a27c4c645014f37b9e402fdcbe",
            latency_ms: "119",
            url: "https://ai.nightnode.net:8888",
          },
        ],
      }),
    );
    expect(out.rows.map((r) => [r.orchestrator_address, r.orchestrator_url, r.latency_ms])).toEqual(
      [
        ["0xcdf93b13efcf63f84f2affb01bec48a5c096c69e", "https://rtv.nullworks.xyz:9924", 84],
        ["0xedd45674825cd5a27c4c645014f37b9e402fdcbe", "https://ai.nightnode.net:8888", 119],
      ],
    );
    const mapped = JSON.parse(JSON.stringify(out.rows[0])) as Record<string, unknown>;
    expect(Object.keys(mapped)).toEqual(
      expect.arrayContaining(["orchestrator_address", "latency_ms"]),
    );
    expect(out.rows[0]!.raw_json).toBe(
      '{"address":"0xcdf93b13efcf63f84f2affb01bec48a5c096c69e","latency_ms":"84","url":"https://rtv.nullworks.xyz:9924"}',
    );
  });

  it("discovery: addresses are not lower-cased; non-numeric latency is 0", () => {
    const out = parseDiscoveryResults(
      accept({
        id: "d",
        type: "discovery_results",
        timestamp: 1,
        data: [{ address: "0xABC", latency_ms: "fast" }, 5],
      }),
    );
    expect(out.rows.map((r) => [r.orchestrator_address, r.latency_ms, r.orchestrator_url])).toEqual(
      [
        ["0xABC", 0, ""],
        ["", 0, ""],
      ],
    );
  });

  it("ai_stream_events (lifecycle.md §1.4 example)", () => {
    const row = one(
      parseAiStreamEvent(
        accept({
          id: "908b1545-d0f1-4db7-a392-8564224236f3",
          type: "ai_stream_events",
          timestamp: 1772052183712,
          gateway: "cloud-spe-ai-live-video-tester-fra",
          data: {
            pipeline: "streamdiffusion-sdxl",
            capability: "",
            stream_id: "aiJobTesterStream-1772052178586381030",
            pipeline_id: "",
            message: "no orchestrators available",
            type: "error",
            request_id: "a06463a9",
          },
        }),
      ),
    );
    expect(row).toMatchObject({
      stream_id: "aiJobTesterStream-1772052178586381030",
      request_id: "a06463a9",
      pipeline: "streamdiffusion-sdxl",
      event_type: "error",
      message: "no orchestrators available",
      capability: "",
      event_timestamp: 1772052183712,
    });
    expect(AiStreamEventRowSchema.parse(row)).toEqual(row);
  });

  it("stream_ingest_metrics: later track of the same type overwrites; numeric text accepted", () => {
    const row = one(
      parseStreamIngestMetrics(
        accept({
          id: "m",
          type: "stream_ingest_metrics",
          timestamp: 1,
          data: {
            stream_id: "s",
            request_id: "r",
            stats: {
              conn_quality: "good",
              peer_conn_stats: { BytesReceived: "477890", BytesSent: 4013 },
              track_stats: [
                { type: "video", jitter: 1, packets_received: 1 },
                { type: "video", jitter: 0.1, packets_received: 413, packets_lost: "2", rtt: 1.0 },
                { type: "data", jitter: 99 },
              ],
            },
          },
        }),
      ),
    );
    expect(row).toMatchObject({
      connection_quality: "good",
      video_jitter: Math.fround(0.1),
      video_packets_received: 413,
      video_packets_lost: 2,
      video_rtt: 1,
      audio_jitter: 0,
      audio_packets_received: 0,
      bytes_received: 477890,
      bytes_sent: 4013,
    });
  });

  it("create_new_payment keeps the producer's text", () => {
    const row = one(
      parseCreateNewPayment(
        accept(
          '{"id":"9c838785-dc30-4725-9769-34cc47792393","type":"create_new_payment","timestamp":"1767908945560","gateway":"","data":{"capability":"","clientIP":"","faceValue":"2402400000000000 WEI","manifestID":"35_streamdiffusion-sdxl-faceid","numTickets":"2","orchestrator":"https://rtav-orch2.xodeapp.xyz:28935","price":"1635.021 wei/pixel","recipient":"0xd00354656922168815Fcd1e51CBddB9e359e3C7F","requestID":"db936fab","sender":"0x5aE4E42dB3671370a0c25AfF451E7482aAEc3D0B","sessionID":"01b55632","winProb":"0.0009990010"}}',
        ),
      ),
    );
    expect(row).toMatchObject({
      request_id: "db936fab",
      session_id: "01b55632",
      manifest_id: "35_streamdiffusion-sdxl-faceid",
      sender: "0x5aE4E42dB3671370a0c25AfF451E7482aAEc3D0B",
      recipient: "0xd00354656922168815Fcd1e51CBddB9e359e3C7F",
      orchestrator: "https://rtav-orch2.xodeapp.xyz:28935",
      face_value: "2402400000000000 WEI",
      price: "1635.021 wei/pixel",
      num_tickets: "2",
      win_prob: "0.0009990010",
      client_ip: "",
      capability: "",
    });
    expect(PaymentEventRowSchema.parse(row)).toEqual(row);
  });

  it("trace data.timestamp falls back to the envelope time only when unparseable", () => {
    const base = {
      id: "t",
      type: "stream_trace",
      timestamp: "1000",
      data: { stream_id: "s", request_id: "r", type: "x" },
    };
    expect(one(parseStreamTrace(accept(base))).data_timestamp).toBe(1000);
    expect(
      one(parseStreamTrace(accept({ ...base, data: { ...base.data, timestamp: "abc" } })))
        .data_timestamp,
    ).toBe(1000);
    expect(
      one(parseStreamTrace(accept({ ...base, data: { ...base.data, timestamp: 0 } })))
        .data_timestamp,
    ).toBe(0);
    expect(
      one(parseStreamTrace(accept({ ...base, data: { ...base.data, timestamp: "1500" } })))
        .data_timestamp,
    ).toBe(1500);
  });
});

describe("the real 2026-01-08 event log (ingest-and-storage.md §10.3)", () => {
  const events = realEventLines().map((l) => accept(l));

  it("every parser output satisfies its row schema and raw_json is the received line", () => {
    const schemas: Partial<Record<RawTable, { parse: (x: unknown) => unknown }>> = {
      raw_stream_trace_events: StreamTraceRowSchema,
      raw_ai_stream_status: AiStreamStatusRowSchema,
      raw_stream_ingest_metrics: StreamIngestMetricsRowSchema,
      raw_discovery_results: DiscoveryResultRowSchema,
      raw_payment_events: PaymentEventRowSchema,
    };
    const counts: Record<string, number> = {};
    for (const e of events) {
      const parsed = parseEvent(e);
      expect(parsed.failures).toEqual([]);
      for (const r of parsed.rows) {
        counts[r.table] = (counts[r.table] ?? 0) + 1;
        schemas[r.table]?.parse(r.row);
        if (
          r.table !== "raw_discovery_results" &&
          !r.table.startsWith("raw_network_capabilities")
        ) {
          expect((r.row as { raw_json: string }).raw_json).toBe(e.rawJson);
        }
      }
    }
    expect(counts).toEqual(REAL_SAMPLE_EXPECTED.rowsByTable);
  });

  it("status samples: 16 ONLINE + 1 DEGRADED_INFERENCE at 1767909075626, start_time everywhere", () => {
    const rows = events
      .filter((e) => e.eventType === "ai_stream_status")
      .map((e) => one(parseAiStreamStatus(e)));
    expect(rows.filter((r) => r.state === "ONLINE")).toHaveLength(16);
    const degraded = rows.find((r) => r.state === "DEGRADED_INFERENCE")!;
    expect(degraded.event_timestamp).toBe(1767909075626);
    expect(degraded.output_fps).toBeCloseTo(9.79, 2);
    expect(new Set(rows.map((r) => r.start_time))).toEqual(new Set([1767908945607]));
    expect(new Set(rows.map((r) => r.pipeline))).toEqual(new Set(["streamdiffusion-sdxl-faceid"]));
    expect(rows.every((r) => r.last_error === null && r.restart_count === 0)).toBe(true);
  });

  it("trace sequence and data timestamps", () => {
    const rows = events
      .filter((e) => e.eventType === "stream_trace")
      .map((e) => one(parseStreamTrace(e)));
    expect(rows.map((r) => [r.trace_type, r.data_timestamp])).toEqual([
      ["gateway_receive_stream_request", 1767908945298],
      ["gateway_send_first_ingest_segment", 1767908947583],
      ["runner_receive_first_ingest_segment", 1767908947585],
      ["runner_send_first_processed_segment", 1767908947688],
      ["gateway_receive_first_processed_segment", 1767908947953],
      ["gateway_receive_few_processed_segments", 1767908952042],
    ]);
    expect(rows[0]!.orchestrator_address).toBe("");
    expect(rows[1]!.orchestrator_address).toBe("0x52cf2968b3dc6016778742d3539449a6597d5954");
  });

  it("discovery: 0x52cf…5954 at 77 ms; payments: requestID only on the first", () => {
    const d = events
      .filter((e) => e.eventType === "discovery_results")
      .flatMap((e) => parseDiscoveryResults(e).rows);
    expect(d.map((r) => [r.orchestrator_address, r.latency_ms])).toEqual([
      ["0x52cf2968b3dc6016778742d3539449a6597d5954", 77],
    ]);
    const p = events
      .filter((e) => e.eventType === "create_new_payment")
      .map((e) => one(parseCreateNewPayment(e)));
    expect(p.map((r) => r.request_id)).toEqual(["db936fab", "", "", "", "", ""]);
    expect(p.map((r) => r.face_value)).toEqual([
      "2402400000000000 WEI",
      "2402400000000000 WEI",
      "2400000000000000 WEI",
      "2400000000000000 WEI",
      "2400000000000000 WEI",
      "2400000000000000 WEI",
    ]);
  });

  it("ingest metrics: 34 rows, all conn_quality good, first at 1767908950608", () => {
    const rows = events
      .filter((e) => e.eventType === "stream_ingest_metrics")
      .map((e) => one(parseStreamIngestMetrics(e)));
    expect(rows).toHaveLength(34);
    expect(rows.every((r) => r.connection_quality === "good")).toBe(true);
    expect(rows[0]).toMatchObject({
      event_timestamp: 1767908950608,
      bytes_received: 477890,
      bytes_sent: 4013,
      video_packets_received: 413,
    });
  });
});
