/**
 * Arbitraries of `streaming_events` envelopes: valid ones of every family, realistic mutations
 * of any envelope (missing fields, wrong types, string/number swaps, replay flags), and raw
 * record values mixing all of that with garbage text and bytes.
 *
 * @module
 */
import fc from "fast-check";
import type { JsonObject, JsonValue } from "@livepeer-analytics/core/primitives";

/** Epoch ms between 2025-01-01 and 2027-01-01. */
const tsArb = fc.integer({ min: 1_735_689_600_000, max: 1_798_761_600_000 });
const hex40 = fc.stringMatching(/^[0-9a-f]{40}$/);
const addressArb = fc.oneof(
  hex40.map((h) => `0x${h}`),
  hex40.map((h) => `0x${h.toUpperCase()}`),
  fc.constant(""),
);
const urlArb = fc.constantFrom(
  "https://rtav-orch2.xodeapp.xyz:28935",
  "https://rtv.nullworks.xyz:9924",
  "https://ai.nightnode.net:8888",
  "",
);
const idArb = fc.uuid();
const streamIdArb = fc.oneof(
  fc.stringMatching(/^stream-[a-z0-9]{6}-[a-z0-9]{8}$/),
  fc.stringMatching(/^aiJobTesterStream-[0-9]{19}$/),
);
const requestIdArb = fc.stringMatching(/^[0-9a-f]{8}$/);
const modelArb = fc.constantFrom(
  "streamdiffusion-sdxl",
  "streamdiffusion-sdxl-faceid",
  "streamdiffusion-sdxl-v2v",
  "meta-llama/Meta-Llama-3.1-8B-Instruct",
);
const timestampFormArb = (ts: number): fc.Arbitrary<JsonValue> =>
  fc.constantFrom<JsonValue>(String(ts), ts);

/**
 * Options of {@link envelopeArbitrary}.
 *
 * @category Arbitraries
 */
export interface EnvelopeArbitraryOptions {
  /** Restrict to these families. Default: all seven. */
  readonly types?: readonly string[];
}

const orchestratorInfo = fc.record({ address: addressArb, url: urlArb });

const payloads: Record<string, fc.Arbitrary<JsonValue>> = {
  stream_trace: fc.record({
    orchestrator_info: orchestratorInfo,
    pipeline_id: fc.constant(""),
    request_id: requestIdArb,
    stream_id: streamIdArb,
    timestamp: tsArb,
    type: fc.constantFrom(
      "gateway_receive_stream_request",
      "gateway_send_first_ingest_segment",
      "runner_receive_first_ingest_segment",
      "runner_send_first_processed_segment",
      "gateway_receive_first_processed_segment",
      "gateway_receive_few_processed_segments",
      "gateway_ingest_stream_closed",
      "orchestrator_swap",
      "gateway_no_orchestrators_available",
    ),
  }),
  ai_stream_status: fc.record({
    inference_status: fc.record({
      fps: fc.double({ min: 0, max: 60, noNaN: true }),
      last_error: fc.option(
        fc.constantFrom("WHIP disconnected unexpectedly", "CUDA out of memory"),
        { nil: null },
      ),
      last_error_time: fc.option(tsArb, { nil: null }),
      last_params: fc.record({
        height: fc.constantFrom(512, 1024),
        width: fc.constantFrom(512, 1024),
      }),
      last_params_hash: fc.stringMatching(/^[0-9a-f]{32}$/),
      restart_count: fc.nat(5),
    }),
    input_status: fc.record({ fps: fc.double({ min: 0, max: 60, noNaN: true }) }),
    orchestrator_info: orchestratorInfo,
    pipeline: modelArb,
    pipeline_id: fc.constant(""),
    request_id: requestIdArb,
    start_time: tsArb,
    state: fc.constantFrom("ONLINE", "DEGRADED_INFERENCE", "DEGRADED_INPUT", "LOADING"),
    stream_id: streamIdArb,
    timestamp: tsArb,
    type: fc.constant("status"),
  }),
  ai_stream_events: fc.record({
    pipeline: modelArb,
    capability: fc.constant(""),
    stream_id: streamIdArb,
    request_id: requestIdArb,
    message: fc.constantFrom("no orchestrators available", "updated prompt", ""),
    type: fc.constantFrom("error", "params_update"),
  }),
  stream_ingest_metrics: fc.record({
    request_id: requestIdArb,
    stream_id: streamIdArb,
    timestamp: tsArb,
    stats: fc.record({
      conn_quality: fc.constantFrom("good", "bad"),
      peer_conn_stats: fc.record({
        ID: fc.constant("iceTransport"),
        BytesReceived: fc.nat(),
        BytesSent: fc.nat(),
      }),
      track_stats: fc.array(
        fc.record({
          type: fc.constantFrom("video", "audio"),
          jitter: fc.double({ min: 0, max: 50, noNaN: true }),
          packets_lost: fc.nat(10),
          packets_received: fc.nat(10_000),
          packet_loss_pct: fc.double({ min: 0, max: 100, noNaN: true }),
          rtt: fc.double({ min: 0, max: 1, noNaN: true }),
          last_input_ts: fc.double({ min: 0, max: 600, noNaN: true }),
          latency: fc.double({ min: 0, max: 1, noNaN: true }),
        }),
        { maxLength: 3 },
      ),
    }),
  }),
  discovery_results: fc.array(
    fc.record({
      address: addressArb,
      latency_ms: fc.oneof(fc.nat(500).map(String), fc.nat(500)),
      url: urlArb,
    }),
    { minLength: 1, maxLength: 4 },
  ),
  create_new_payment: fc.record({
    capability: fc.constant(""),
    clientIP: fc.constant(""),
    faceValue: fc.bigInt({ min: 1n, max: 10n ** 16n }).map((v) => `${v} WEI`),
    manifestID: fc.constantFrom("35_streamdiffusion-sdxl-faceid", "d05da5dd"),
    numTickets: fc.nat(3).map(String),
    // Every payment field but requestID is required by the gate, so none of them is empty here.
    orchestrator: urlArb.filter((u) => u !== ""),
    price: fc.constant("1635.021 wei/pixel"),
    recipient: addressArb.filter((a) => a !== ""),
    requestID: fc.oneof(requestIdArb, fc.constant("")),
    sender: addressArb.filter((a) => a !== ""),
    sessionID: requestIdArb,
    winProb: fc.constantFrom("0.0009990010", "0.0010000000"),
  }),
  network_capabilities: fc.array(
    fc.record({
      address: addressArb,
      local_address: addressArb,
      orch_uri: urlArb,
      capabilities: fc.record({
        capacities: fc.constant<JsonValue>({ "35": 1 }),
        version: fc.constantFrom("0.8.8", "0.8.9-cd208259"),
        constraints: fc.constant<JsonValue>({
          PerCapability: {
            "35": {
              models: {
                "streamdiffusion-sdxl": { warm: true, runnerVersion: "0.14.1", capacityInUse: 1 },
              },
            },
          },
        }),
      }),
      capabilities_prices: fc.option(
        fc.constant<JsonValue>([
          {
            pricePerUnit: 2149,
            pixelsPerUnit: 1,
            capability: 35,
            constraint: "streamdiffusion-sdxl",
          },
        ]),
        { nil: null },
      ),
      hardware: fc.option(
        fc.array(
          fc.record({
            pipeline: fc.constant("live-video-to-video"),
            model_id: modelArb,
            gpu_info: fc.constant<JsonValue>({
              "0": { id: "GPU-1", name: "NVIDIA GeForce RTX 4090", major: 8, minor: 9 },
            }),
          }),
          { maxLength: 2 },
        ),
        { nil: null },
      ),
    }),
    { maxLength: 3 },
  ),
};

/**
 * Valid envelopes (they pass the quality gate) with realistic payloads of every family.
 *
 * @category Arbitraries
 * @example
 * fc.assert(fc.property(envelopeArbitrary(), (env) => runGate({ value: JSON.stringify(env) }, { now: 0 }).ok));
 */
export function envelopeArbitrary(
  options: EnvelopeArbitraryOptions = {},
): fc.Arbitrary<JsonObject> {
  const types = (options.types ?? Object.keys(payloads)).filter((t) => t in payloads);
  return fc.constantFrom(...types).chain((type) =>
    fc
      .record({
        id: idArb,
        ts: tsArb,
        gateway: fc.constantFrom("", "cloud-spe-ai-live-video-tester-fra"),
        data: payloads[type]!,
      })
      .chain(({ id, ts, gateway, data }) =>
        timestampFormArb(ts).map((timestamp): JsonObject => ({
          id,
          type,
          timestamp,
          gateway,
          data,
        })),
      ),
  );
}

/**
 * One mutation of an envelope, as a description plus the mutated root.
 *
 * @category Arbitraries
 */
export interface MutatedEnvelope {
  /** What was changed, for failure messages. */
  readonly mutation: string;
  /** The mutated root (may no longer be an object). */
  readonly value: JsonValue;
}

const clone = (v: JsonObject): JsonObject => JSON.parse(JSON.stringify(v)) as JsonObject;

/**
 * Realistic damage to an envelope: fields removed, nulled, emptied or retyped, timestamps in
 * every accepted and rejected form, replay flags, data replaced by scalars or arrays, unknown
 * types and versions.
 *
 * @category Arbitraries
 */
export function mutatedEnvelopeArbitrary(
  base: fc.Arbitrary<JsonObject>,
): fc.Arbitrary<MutatedEnvelope> {
  const weird = fc.oneof(
    fc.constant<JsonValue>(null),
    fc.constant<JsonValue>(""),
    fc.constant<JsonValue>("   "),
    fc.constant<JsonValue>([]),
    fc.constant<JsonValue>({}),
    fc.integer().map<JsonValue>((n) => n),
    fc.double({ noNaN: true, noDefaultInfinity: true }).map<JsonValue>((n) => n),
    fc.boolean().map<JsonValue>((b) => b),
    fc.string().map<JsonValue>((s) => s),
  );
  return fc
    .tuple(base, fc.nat(), weird, fc.constantFrom("root", "data"))
    .map(([env, pick, value, where]): MutatedEnvelope => {
      const out = clone(env);
      const target =
        where === "data" &&
        out["data"] !== null &&
        typeof out["data"] === "object" &&
        !Array.isArray(out["data"])
          ? (out["data"] as JsonObject)
          : out;
      const keys = Object.keys(target);
      const key = keys.length > 0 ? keys[pick % keys.length]! : "id";
      switch (pick % 6) {
        case 0:
          delete target[key];
          return { mutation: `delete ${where}.${key}`, value: out };
        case 1:
          target[key] = value;
          return { mutation: `set ${where}.${key} = ${JSON.stringify(value)}`, value: out };
        case 2:
          out["__replay"] = value;
          return { mutation: `__replay = ${JSON.stringify(value)}`, value: out };
        case 3:
          out["version"] = value;
          return { mutation: `version = ${JSON.stringify(value)}`, value: out };
        case 4:
          out["type"] = typeof value === "string" ? value : "create_signed_ticket";
          return { mutation: `type = ${JSON.stringify(out["type"])}`, value: out };
        default:
          return { mutation: `root replaced by ${JSON.stringify(value)}`, value };
      }
    });
}

/**
 * Raw record values as a Kafka consumer would see them: valid envelopes, mutated envelopes,
 * arbitrary JSON, truncated JSON, arbitrary text and arbitrary bytes (including invalid UTF-8),
 * and `null` tombstones.
 *
 * @category Arbitraries
 */
export function recordValueArbitrary(): fc.Arbitrary<string | Uint8Array | null> {
  const valid = envelopeArbitrary().map((e) => JSON.stringify(e));
  return fc.oneof(
    { weight: 3, arbitrary: valid },
    {
      weight: 3,
      arbitrary: mutatedEnvelopeArbitrary(envelopeArbitrary()).map((m) => JSON.stringify(m.value)),
    },
    { weight: 1, arbitrary: valid.chain((s) => fc.nat(s.length).map((n) => s.slice(0, n))) },
    { weight: 1, arbitrary: fc.jsonValue().map((v) => JSON.stringify(v)) },
    { weight: 1, arbitrary: fc.string({ unit: "binary" }) },
    { weight: 1, arbitrary: fc.uint8Array({ maxLength: 200 }) },
    { weight: 1, arbitrary: valid.map((s) => s + " trailing") },
    { weight: 1, arbitrary: fc.constant(null) },
  );
}
