import { readFileSync } from "node:fs";
import { join } from "node:path";
import fc from "fast-check";
import { REAL_FIXTURES_DIR } from "@livepeer-analytics/testing/fixtures";
import { describe, it, expect } from "vitest";
import type { JsonObject, JsonValue } from "../primitives/json.js";
import type { AcceptedEvent } from "./accepted-event.js";
import { parseEvent } from "./parse-event.js";
import {
  CapabilityAdvertisedRowSchema,
  CapabilityModelConstraintRowSchema,
  CapabilityPriceRowSchema,
  CapabilitySnapshotSchema,
  NetworkCapabilitiesRowSchema,
  orchestratorEntries,
  parseCapabilityAdvertised,
  parseCapabilityModelConstraints,
  parseCapabilityPrices,
  parseCapabilitySnapshots,
  toNetworkCapabilitiesRow,
  type CapabilitySnapshot,
} from "./network-capabilities.js";

// ---------------------------------------------------------------------------------------------
// Helpers
// ---------------------------------------------------------------------------------------------

const REAL_FIXTURES = REAL_FIXTURES_DIR;

/** Builds the accepted event the quality gate would hand to the parsers. */
function acceptedEvent(
  root: JsonObject,
  timestamp: number,
  rawJson = JSON.stringify(root),
): AcceptedEvent {
  const eventId = typeof root["id"] === "string" ? root["id"] : "";
  return {
    eventId,
    eventType: "network_capabilities",
    eventVersion: "1",
    timestamp,
    gateway: "",
    rawJson,
    replay: false,
    source: { topic: null, partition: 0, offset: 0, recordTimestamp: 0 },
    dimensions: { orchestrator: null, broadcaster: null, region: null },
    dedupKey: eventId,
    dedupStrategy: "event_id",
    root,
    data: root["data"] ?? null,
  };
}

/** Event whose `data` is `data`, with a fixed id and timestamp. */
function eventWithData(data: JsonValue, id = "evt-1", timestamp = 1770000000000): AcceptedEvent {
  return acceptedEvent(
    { id, type: "network_capabilities", timestamp: String(timestamp), gateway: "", data },
    timestamp,
  );
}

function readJson(file: string): JsonValue {
  return JSON.parse(readFileSync(join(REAL_FIXTURES, file), "utf8")) as JsonValue;
}

/** `orchestrators` of a `getNetworkCapabilities` API response (same shape as an event's `data`). */
function apiOrchestrators(file: string): JsonValue[] {
  const root = readJson(file) as JsonObject;
  return root["orchestrators"] as JsonValue[];
}

function allParsers(event: AcceptedEvent) {
  return {
    snapshots: parseCapabilitySnapshots(event),
    advertised: parseCapabilityAdvertised(event),
    constraints: parseCapabilityModelConstraints(event),
    prices: parseCapabilityPrices(event),
  };
}

/** Runs all four parsers and checks totality: no issues, and every row matches its schema. */
function expectWellFormed(event: AcceptedEvent): ReturnType<typeof allParsers> {
  const out = allParsers(event);
  for (const o of Object.values(out)) expect(o.issues).toEqual([]);
  for (const s of out.snapshots.rows) {
    expect(CapabilitySnapshotSchema.safeParse(s).success).toBe(true);
    expect(NetworkCapabilitiesRowSchema.safeParse(toNetworkCapabilitiesRow(s)).success).toBe(true);
  }
  for (const r of out.advertised.rows)
    expect(CapabilityAdvertisedRowSchema.safeParse(r).success).toBe(true);
  for (const r of out.constraints.rows) {
    expect(CapabilityModelConstraintRowSchema.safeParse(r).success).toBe(true);
  }
  for (const r of out.prices.rows) expect(CapabilityPriceRowSchema.safeParse(r).success).toBe(true);
  return out;
}

const TRANSCODING_CAPACITIES: JsonObject = Object.fromEntries(
  ["0", "1", "2", "3", "4", "5", "6", "7", "8", "9", "10", "11", "12", "14", "26", "35"].map(
    (k) => [k, 1],
  ),
);

// ---------------------------------------------------------------------------------------------
// Fixtures
// ---------------------------------------------------------------------------------------------

/** The only capability event of the 2026-01-08 sample (ingest-and-storage.md §1.7.5). */
function realSampleEvent(): AcceptedEvent {
  const lines = readFileSync(
    join(REAL_FIXTURES, "streaming-events-2026-01-08.jsonl"),
    "utf8",
  ).split("\n");
  const capabilityLines = lines.filter(
    (l) => l.trim() !== "" && (JSON.parse(l) as JsonObject)["type"] === "network_capabilities",
  );
  if (capabilityLines.length !== 1) throw new Error("expected exactly one capability event");
  const line = capabilityLines[0]!;
  const root = JSON.parse(line) as JsonObject;
  return acceptedEvent(root, Number(root["timestamp"]), line);
}

/** attribution.md §1.8 Example A, first orchestrator object (net_caps.json, reconstructed). */
const EXAMPLE_A_FIRST: JsonObject = {
  address: "0x9D61ae5875E89036FBf6059f3116d01a22ACe3C8",
  local_address: "0xcdF93B13EFCf63f84f2afFB01BeC48A5c096C69E",
  orch_uri: "https://rtv.nullworks.xyz:9924",
  capabilities: {
    capacities: TRANSCODING_CAPACITIES,
    version: "0.8.8",
    constraints: {
      PerCapability: {
        "35": {
          models: {
            "streamdiffusion-sdxl": { warm: true, runnerVersion: "0.14.1", capacityInUse: 2 },
          },
        },
      },
    },
  },
  capabilities_prices: [
    { pricePerUnit: 2149, pixelsPerUnit: 1, capability: 35, constraint: "streamdiffusion-sdxl" },
  ],
  hardware: [
    {
      pipeline: "live-video-to-video",
      model_id: "streamdiffusion-sdxl",
      gpu_info: {
        "0": {
          id: "GPU-1e7025d4-a3dd-5371-daec-b666af6ec29c",
          name: "NVIDIA GeForce RTX 4090",
          major: 8,
          minor: 9,
          memory_free: 25176571904,
          memory_total: 25757220864,
        },
      },
    },
    {
      pipeline: "live-video-to-video",
      model_id: "streamdiffusion-sdxl",
      gpu_info: {
        "0": {
          id: "GPU-c391d107-0999-d9be-45a4-b494d6da1ccf",
          name: "NVIDIA GeForce RTX 4090",
          major: 8,
          minor: 9,
          memory_free: 25243746304,
          memory_total: 25757220864,
        },
      },
    },
  ],
};

function gpu(n: number): JsonObject {
  return {
    id: `GPU-0000000${n}-aaaa-bbbb-cccc-dddddddddddd`,
    name: "NVIDIA GeForce RTX 5090",
    major: 12,
    memory_free: 6249054208,
    memory_total: 34190917632,
  };
}

/**
 * Synthetic payload with every feature attribution.md §1.10 lists for
 * `net_caps_prod_parse_failed_20260224.json` (that fixture is not available here).
 */
function prodParseFailedLikeData(): JsonValue[] {
  const legio: JsonObject = {
    address: "0x733DA28B0145fF561868e408D2Ac8565EbE73aab",
    local_address: "0x754372C3aAF682168373A86FA77B9Faa483e3BF8",
    orch_uri: "https://legio.click:8936",
    capabilities: {
      bitstring: [67133439],
      mandatories: [4096],
      capacities: { "0": 1, "1": 1 },
      version: "0.8.9",
      constraints: { minVersion: "0.8.9" },
    },
    capabilities_prices: null,
    hardware: null,
  };
  return [
    // Only minVersion in constraints, null prices and hardware; listed twice (identical objects).
    legio,
    // constraints {} and no capacities.
    {
      address: "0x4bcC9256418B29C482596443FA5C99ae114b3351",
      local_address: "0x4bcC9256418B29C482596443FA5C99ae114b3351",
      orch_uri: "https://98.109.53.48:8935",
      capabilities: { bitstring: [1], version: "0.8.9", constraints: {} },
      capabilities_prices: null,
      hardware: null,
    },
    // BYOC: capability 37 prices (one without pricePerUnit), a five-GPU gpu_info, shared hot wallet.
    {
      address: "0xd00354656922168815Fcd1e51CBddB9e359e3C7F",
      local_address: "0x52CF2968b3DC6016778742D3539449a6597D5954",
      orch_uri: "https://livepeer-ai.xodeapp.xyz:18935",
      capabilities: {
        capacities: { "0": 1, "37": 1 },
        version: "0.8.9-a6b29d7c-dirty",
        constraints: { minVersion: "0.8.9-a6b29d7c-dirty" },
      },
      capabilities_prices: [
        {
          pricePerUnit: 2500,
          pixelsPerUnit: 1,
          capability: 37,
          constraint: "openai-chat-completions",
        },
        { pixelsPerUnit: 1, capability: 37, constraint: "openai-text-embeddings" },
      ],
      hardware: [
        {
          pipeline: "openai-chat-completions",
          model_id: "Qwen/Qwen2.5-14B-Instruct-AWQ",
          gpu_info: { "0": gpu(0), "1": gpu(1), "2": gpu(2), "3": gpu(3), "4": gpu(4) },
        },
      ],
    },
    // Second canonical on the same hot wallet, nothing but identity.
    {
      address: "0x5263E0Ce3a97B634D8828CE4337aD0F70B30B077",
      local_address: "0x52CF2968b3DC6016778742D3539449a6597D5954",
      orch_uri: "https://livepeer-ai.compute-node.xyz:19935",
      capabilities: { version: "0.8.9", constraints: { minVersion: "0.8.9" } },
      capabilities_prices: null,
      hardware: null,
    },
    // Hot wallet of another orchestrator that is also a canonical address in its own right.
    {
      address: "0x5D98F8d269C94B746A5c3C2946634dCfc75E5E60",
      local_address: "0xeA6Eb2033dE0FbECe9445FAe407C596f3fFd81AE",
      orch_uri: "https://47.206.114.82:8927",
      capabilities: {
        capacities: { "0": 1 },
        version: "0.8.9",
        constraints: { minVersion: "0.8.9" },
      },
      capabilities_prices: null,
      hardware: null,
    },
    {
      address: "0xeA6Eb2033dE0FbECe9445FAe407C596f3fFd81AE",
      local_address: "0xeA6Eb2033dE0FbECe9445FAe407C596f3fFd81AE",
      orch_uri: "https://47.206.114.82:8924",
      capabilities: {
        capacities: { "0": 1 },
        version: "0.8.9",
        constraints: { minVersion: "0.8.9" },
      },
      capabilities_prices: null,
      hardware: null,
    },
    // A normal live-video orchestrator.
    {
      ...EXAMPLE_A_FIRST,
      hardware: [(EXAMPLE_A_FIRST["hardware"] as JsonValue[])[0]!],
    },
    legio,
  ];
}

// ---------------------------------------------------------------------------------------------
// Tests
// ---------------------------------------------------------------------------------------------

describe("orchestratorEntries", () => {
  it("wraps a non-empty object and filters arrays to non-empty objects", () => {
    const o = { address: "0xabc" };
    expect(orchestratorEntries(o)).toEqual([o]);
    expect(orchestratorEntries([{}, 1, "x", null, [o], o, { hardware: null }])).toEqual([
      o,
      { hardware: null },
    ]);
  });

  it("yields nothing for empty, scalar and missing data", () => {
    for (const d of [{}, [], null, undefined, "bad-shape", 5, true]) {
      expect(orchestratorEntries(d)).toEqual([]);
    }
  });
});

describe("real sample event (ingest-and-storage.md §1.7.5)", () => {
  it("yields 1 snapshot with the listed values", () => {
    const event = realSampleEvent();
    const { snapshots } = expectWellFormed(event);
    expect(snapshots.rows).toHaveLength(1);
    const orch = (event.data as JsonValue[])[0]!;
    expect(snapshots.rows[0]).toEqual({
      snapshotTs: 1767909021590,
      sourceEventId: "e89def1c-7a3c-40aa-a51a-ad490a305112",
      canonicalOrchestratorAddress: "0xd00354656922168815fcd1e51cbddb9e359e3c7f",
      hotAddress: "0x52cf2968b3dc6016778742d3539449a6597d5954",
      orchestratorUrl: "https://rtav-orch2.xodeapp.xyz:28935",
      orchestratorVersion: "0.8.8-3a5678ec-dirty",
      pipeline: "live-video-to-video",
      modelId: "streamdiffusion-sdxl-faceid",
      capabilityId: 35,
      capabilityName: "Live video to video",
      capabilityGroup: "live-video",
      capabilityCatalogVersion: "v1",
      runnerVersion: "0.14.0",
      capacity: null,
      capacityInUse: 1,
      warm: 1,
      pricePerUnit: 1618,
      pixelsPerUnit: 1,
      gpuId: "GPU-a8d13655-197b-2226-d09f-b4b81e07504b",
      gpuName: "NVIDIA GeForce RTX 5090",
      gpuMemoryTotal: 34190917632,
      gpuMemoryFree: 33595981824,
      gpuMajor: 12,
      gpuMinor: null,
      capacityUnits: 1,
      rawJson: JSON.stringify(orch),
    } satisfies CapabilitySnapshot);
  });

  it("maps the snapshot to the raw_network_capabilities columns in table order", () => {
    const event = realSampleEvent();
    const row = toNetworkCapabilitiesRow(parseCapabilitySnapshots(event).rows[0]!);
    expect(Object.keys(row)).toEqual([
      "event_timestamp",
      "source_event_id",
      "orchestrator_address",
      "local_address",
      "orch_uri",
      "gpu_id",
      "gpu_name",
      "gpu_memory_total",
      "gpu_memory_free",
      "gpu_major",
      "gpu_minor",
      "pipeline",
      "model_id",
      "capability_id",
      "capability_name",
      "capability_group",
      "capability_catalog_version",
      "runner_version",
      "capacity",
      "capacity_in_use",
      "warm",
      "price_per_unit",
      "pixels_per_unit",
      "orchestrator_version",
      "raw_json",
    ]);
    expect(row).toMatchObject({
      event_timestamp: 1767909021590,
      source_event_id: "e89def1c-7a3c-40aa-a51a-ad490a305112",
      orchestrator_address: "0xd00354656922168815fcd1e51cbddb9e359e3c7f",
      local_address: "0x52cf2968b3dc6016778742d3539449a6597d5954",
      gpu_minor: null,
      capacity: null,
      capacity_in_use: 1,
      warm: 1,
      price_per_unit: 1618,
      pixels_per_unit: 1,
      capability_id: 35,
      capability_name: "Live video to video",
      capability_group: "live-video",
    });
  });

  it("yields 16 advertised rows, 1 model constraint and 1 price", () => {
    const event = realSampleEvent();
    const { advertised, constraints, prices } = expectWellFormed(event);
    const rawJson = JSON.stringify((event.data as JsonValue[])[0]);
    const identity = {
      event_timestamp: 1767909021590,
      source_event_id: "e89def1c-7a3c-40aa-a51a-ad490a305112",
      orchestrator_address: "0xd00354656922168815fcd1e51cbddb9e359e3c7f",
      local_address: "0x52cf2968b3dc6016778742d3539449a6597d5954",
      orch_uri: "https://rtav-orch2.xodeapp.xyz:28935",
    };

    expect(advertised.rows).toHaveLength(16);
    expect(advertised.rows.map((r) => r.capability_id)).toEqual([
      0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 14, 26, 35,
    ]);
    expect(advertised.rows.every((r) => r.capacity === 1 && r.raw_json === rawJson)).toBe(true);
    expect(advertised.rows[0]).toEqual({
      ...identity,
      capability_id: 0,
      capability_name: "H.264",
      capability_group: "transcoding",
      capability_catalog_version: "v1",
      capacity: 1,
      raw_json: rawJson,
    });
    expect(advertised.rows[15]).toMatchObject({
      capability_id: 35,
      capability_name: "Live video to video",
      capability_group: "live-video",
    });

    expect(constraints.rows).toEqual([
      {
        ...identity,
        capability_id: 35,
        capability_name: "Live video to video",
        capability_group: "live-video",
        capability_catalog_version: "v1",
        model_id: "streamdiffusion-sdxl-faceid",
        runner_version: "0.14.0",
        capacity: null,
        capacity_in_use: 1,
        warm: 1,
        raw_json: rawJson,
      },
    ]);

    expect(prices.rows).toEqual([
      {
        ...identity,
        capability_id: 35,
        capability_name: "Live video to video",
        capability_group: "live-video",
        capability_catalog_version: "v1",
        constraint_name: "streamdiffusion-sdxl-faceid",
        price_per_unit: 1618,
        pixels_per_unit: 1,
        raw_json: rawJson,
      },
    ]);
  });

  it("runs through the parser registry without failures (19 rows)", () => {
    const { rows, failures } = parseEvent(realSampleEvent());
    expect(failures).toEqual([]);
    const count = (t: string): number => rows.filter((r) => r.table === t).length;
    expect(count("raw_network_capabilities")).toBe(1);
    expect(count("raw_network_capabilities_advertised")).toBe(16);
    expect(count("raw_network_capabilities_model_constraints")).toBe(1);
    expect(count("raw_network_capabilities_prices")).toBe(1);
  });
});

describe("attribution.md §1.8 Example A (first orchestrator)", () => {
  const event = acceptedEvent(
    {
      id: "bcca7b6c-e09e-4567-a34a-2c4f5200a8e8",
      type: "network_capabilities",
      timestamp: "1770063008615",
      gateway: "",
      data: [EXAMPLE_A_FIRST],
    },
    1770063008615,
  );

  it("yields rows 1-2 of the table", () => {
    const { snapshots, advertised, constraints, prices } = expectWellFormed(event);
    expect(snapshots.rows).toHaveLength(2);
    const common = {
      snapshotTs: 1770063008615,
      sourceEventId: "bcca7b6c-e09e-4567-a34a-2c4f5200a8e8",
      canonicalOrchestratorAddress: "0x9d61ae5875e89036fbf6059f3116d01a22ace3c8",
      hotAddress: "0xcdf93b13efcf63f84f2affb01bec48a5c096c69e",
      orchestratorUrl: "https://rtv.nullworks.xyz:9924",
      orchestratorVersion: "0.8.8",
      pipeline: "live-video-to-video",
      modelId: "streamdiffusion-sdxl",
      capabilityId: 35,
      capabilityName: "Live video to video",
      capabilityGroup: "live-video",
      capabilityCatalogVersion: "v1",
      runnerVersion: "0.14.1",
      capacity: null,
      capacityInUse: 2,
      warm: 1,
      pricePerUnit: 2149,
      pixelsPerUnit: 1,
      capacityUnits: 1,
      gpuName: "NVIDIA GeForce RTX 4090",
      gpuMajor: 8,
      gpuMinor: 9,
    };
    expect(snapshots.rows[0]).toMatchObject({
      ...common,
      gpuId: "GPU-1e7025d4-a3dd-5371-daec-b666af6ec29c",
      gpuMemoryFree: 25176571904,
      gpuMemoryTotal: 25757220864,
    });
    expect(snapshots.rows[1]).toMatchObject({
      ...common,
      gpuId: "GPU-c391d107-0999-d9be-45a4-b494d6da1ccf",
      gpuMemoryFree: 25243746304,
      gpuMemoryTotal: 25757220864,
    });
    expect(advertised.rows).toHaveLength(16);
    expect(advertised.rows.some((r) => r.capability_group === "transcoding")).toBe(true);
    expect(constraints.rows.map((r) => r.model_id)).toEqual(["streamdiffusion-sdxl"]);
    expect(prices.rows.map((r) => r.price_per_unit)).toEqual([2149]);
  });
});

describe("attribution.md §1.9 Example B (getNetworkCapabilities.json)", () => {
  const event = eventWithData(apiOrchestrators("getNetworkCapabilities.json"));

  it("yields one llm row without GPU for 0xdef1…", () => {
    const { snapshots } = expectWellFormed(event);
    const rows = snapshots.rows.filter(
      (r) => r.canonicalOrchestratorAddress === "0xdef1c70578b2b5e8589a42e26980687fc5153079",
    );
    expect(rows).toHaveLength(1);
    expect(rows[0]).toMatchObject({
      hotAddress: "0xa2868a9e9c0f880a4c3ef1930764d54e645ae389",
      orchestratorUrl: "https://livepeer-ai.speedybird.xyz:58935",
      pipeline: "llm",
      modelId: "meta-llama/Meta-Llama-3.1-8B-Instruct",
      capabilityId: 33,
      capabilityName: "Llm",
      capabilityGroup: "inference",
      capacity: 35968,
      capacityUnits: 35968,
      warm: 1,
      pricePerUnit: 56909258,
      pixelsPerUnit: 1,
      gpuId: null,
      gpuName: null,
      gpuMemoryTotal: null,
      gpuMemoryFree: null,
      gpuMajor: null,
      gpuMinor: null,
    });
  });

  it("lists hot wallet 0x52cf… under two canonical orchestrators, both llama without GPU", () => {
    const rows = parseCapabilitySnapshots(event).rows.filter(
      (r) => r.hotAddress === "0x52cf2968b3dc6016778742d3539449a6597d5954",
    );
    expect(
      rows.map((r) => [
        r.canonicalOrchestratorAddress,
        r.orchestratorUrl,
        r.pipeline,
        r.modelId,
        r.gpuId,
      ]),
    ).toEqual([
      [
        "0xd00354656922168815fcd1e51cbddb9e359e3c7f",
        "https://livepeer-ai.xodeapp.xyz:18935",
        "llm",
        "meta-llama/Meta-Llama-3.1-8B-Instruct",
        null,
      ],
      [
        "0x5263e0ce3a97b634d8828ce4337ad0f70b30b077",
        "https://livepeer-ai.compute-node.xyz:19935",
        "llm",
        "meta-llama/Meta-Llama-3.1-8B-Instruct",
        null,
      ],
    ]);
    // 0x5263…'s matching price is its 6th entry, not A[0] (capability 34, 4768371).
    expect(rows[1]).toMatchObject({ capabilityId: 33, pricePerUnit: 56909258 });
  });

  it("produces no snapshot for orchestrators whose hardware is null", () => {
    const rows = parseCapabilitySnapshots(event).rows;
    expect(
      rows.some(
        (r) => r.canonicalOrchestratorAddress === "0x2cc8aec211fdc372c0f7e4d1add1675733381328",
      ),
    ).toBe(false);
    const advertised = parseCapabilityAdvertised(event).rows;
    expect(
      advertised.some(
        (r) => r.orchestrator_address === "0x2cc8aec211fdc372c0f7e4d1add1675733381328",
      ),
    ).toBe(true);
  });
});

describe("attribution.md §1.9 Example B (BYOC payload)", () => {
  const event = eventWithData(apiOrchestrators("getNetworkCapabilities-ai-batch-byoc.json"));

  // §9.12 "BYOC price fallback"
  it("gives the three 0xd003… rows no price and capability -1 unknown", () => {
    const { snapshots } = expectWellFormed(event);
    const rows = snapshots.rows.filter(
      (r) => r.canonicalOrchestratorAddress === "0xd00354656922168815fcd1e51cbddb9e359e3c7f",
    );
    expect(rows.map((r) => [r.hotAddress, r.pipeline, r.modelId, r.gpuId])).toEqual([
      [
        "0x52cf2968b3dc6016778742d3539449a6597d5954",
        "openai-chat-completions",
        "Qwen/Qwen2.5-14B-Instruct-AWQ",
        "GPU-a8d13655-197b-2226-d09f-b4b81e07504b",
      ],
      [
        "0x52cf2968b3dc6016778742d3539449a6597d5954",
        "openai-text-embeddings",
        "nomic-embed-text:latest",
        "GPU-a8d13655-197b-2226-d09f-b4b81e07504b",
      ],
      [
        "0x52cf2968b3dc6016778742d3539449a6597d5954",
        "openai-image-generation",
        "black-forest-labs/FLUX.1-dev",
        "GPU-8dd4adce-2e38-1064-92c7-757f7de30934",
      ],
    ]);
    for (const r of rows) {
      expect(r).toMatchObject({
        pricePerUnit: null,
        pixelsPerUnit: null,
        capabilityId: -1,
        capabilityName: "unknown",
        capabilityGroup: "unknown",
        capabilityCatalogVersion: "v1",
        runnerVersion: null,
        capacity: null,
        capacityInUse: null,
        warm: null,
        capacityUnits: null,
      });
    }
  });

  it("still stores the capability 37 prices of 0xd003… as price rows", () => {
    const prices = parseCapabilityPrices(event).rows.filter(
      (r) => r.orchestrator_address === "0xd00354656922168815fcd1e51cbddb9e359e3c7f",
    );
    expect(
      prices.map((r) => [r.capability_id, r.capability_name, r.constraint_name, r.price_per_unit]),
    ).toEqual([
      [37, "unknown", "openai-chat-completions", 2500],
      [37, "unknown", "openai-text-embeddings", 1000],
      [37, "unknown", "openai-image-generation", 5000],
    ]);
  });

  it("yields one row per GPU for 0xb120a72a… with per-model config and price", () => {
    const rows = parseCapabilitySnapshots(event).rows.filter(
      (r) => r.canonicalOrchestratorAddress === "0xb120a72a9264e90092e8197c0fabd210c18bc5be",
    );
    // attribution.md §1.9 says 22; the stored fixture has 12 hardware entries with
    // 2+1+1+1+5+3+5+1+1+1+1+1 = 23 GPUs (23 distinct ids), and §1.4 yields one row per GPU.
    expect(rows).toHaveLength(23);
    expect(new Set(rows.map((r) => r.gpuId)).size).toBe(23);
    expect(rows.slice(0, 2).map((r) => r.gpuId)).toEqual([
      "GPU-fe541325-2e1d-d211-5284-5955e0804226",
      "GPU-fde7f69f-d39a-34eb-1aa3-85acbef0e957",
    ]);
    for (const r of rows.filter((x) => x.modelId === "streamdiffusion-sdxl-v2v")) {
      // Own config; no price entry for this model → no price (reference: the first price, 2287).
      expect(r).toMatchObject({
        capabilityId: 35,
        runnerVersion: "0.14.1",
        capacity: 9,
        capacityInUse: 4,
        warm: 1,
        pricePerUnit: null,
        capacityUnits: 9,
      });
    }
    for (const r of rows.filter((x) => x.modelId === "streamdiffusion-sdxl")) {
      expect(r).toMatchObject({
        capabilityId: 35,
        runnerVersion: null,
        capacity: null,
        capacityInUse: 2,
        pricePerUnit: 2287,
        capacityUnits: 31,
      });
    }
  });
});

describe("ingest-and-storage.md §9.3 newest-revision cases", () => {
  it("handles single-object data: all four parsers non-empty, a price row with 2750", () => {
    const single: JsonObject = {
      address: "0xB120A72a9264E90092e8197c0faBd210C18BC5Be",
      local_address: "0xB120A72a9264E90092e8197c0faBd210C18BC5Be",
      orch_uri: "https://orch.example:8935",
      capabilities: {
        capacities: { "35": 2 },
        version: "0.8.9",
        constraints: {
          PerCapability: {
            "35": { models: { "streamdiffusion-sdxl": { warm: true, capacity: 2 } } },
          },
        },
      },
      capabilities_prices: [
        {
          pricePerUnit: 2750,
          pixelsPerUnit: 1,
          capability: 35,
          constraint: "streamdiffusion-sdxl",
        },
      ],
      hardware: [
        {
          pipeline: "live-video-to-video",
          model_id: "streamdiffusion-sdxl",
          gpu_info: { "0": gpu(1) },
        },
      ],
    };
    const out = expectWellFormed(eventWithData(single));
    expect(out.snapshots.rows).toHaveLength(1);
    expect(out.advertised.rows).toHaveLength(1);
    expect(out.constraints.rows).toHaveLength(1);
    expect(out.prices.rows.map((r) => r.price_per_unit)).toEqual([2750]);
    expect(out.snapshots.rows[0]).toMatchObject({
      pricePerUnit: 2750,
      capacity: 2,
      capacityUnits: 2,
    });
  });

  it("handles data: [] (all four empty, no issues)", () => {
    const out = allParsers(eventWithData([]));
    for (const o of Object.values(out)) expect(o).toEqual({ rows: [], issues: [] });
  });

  it("yields nothing for null, scalar and {} data", () => {
    for (const d of [null, "bad-shape", 7, {}, [null, 1, {}]] as JsonValue[]) {
      const out = allParsers(eventWithData(d));
      for (const o of Object.values(out)) expect(o).toEqual({ rows: [], issues: [] });
    }
  });

  it("tolerates a production-like payload (§1.10): all four non-empty, none throws", () => {
    const data = prodParseFailedLikeData();
    const event = acceptedEvent(
      {
        id: "a0b048eb-cb94-4639-8f9f-f283a22a154d",
        type: "network_capabilities",
        timestamp: "1771936670203",
        gateway: "cloud-spe-ai-llm-sea",
        data,
      },
      1771936670203,
    );
    const out = expectWellFormed(event);

    // 5 GPU rows of the BYOC entry + 1 live-video row; null-hardware orchestrators add none.
    expect(out.snapshots.rows).toHaveLength(6);
    const byoc = out.snapshots.rows.filter((r) => r.pipeline === "openai-chat-completions");
    expect(byoc.map((r) => r.gpuId)).toEqual([0, 1, 2, 3, 4].map((n) => gpu(n)["id"]));
    expect(byoc.every((r) => r.capabilityId === -1 && r.pricePerUnit === null)).toBe(true);
    expect(out.snapshots.rows[5]).toMatchObject({ capabilityId: 35, pricePerUnit: 2149 });

    // Advertised: legio 2 (twice), d003 2, 5d98 1, ea6e 1, Example A 16.
    expect(out.advertised.rows).toHaveLength(2 + 2 + 1 + 1 + 16 + 2);
    expect(out.advertised.rows.find((r) => r.capability_id === 37)).toMatchObject({
      capability_name: "unknown",
      capability_group: "unknown",
    });
    expect(
      out.advertised.rows.filter(
        (r) => r.orchestrator_address === "0x733da28b0145ff561868e408d2ac8565ebe73aab",
      ),
    ).toHaveLength(4);

    expect(out.constraints.rows.map((r) => r.model_id)).toEqual(["streamdiffusion-sdxl"]);

    expect(
      out.prices.rows.map((r) => [
        r.capability_id,
        r.capability_name,
        r.price_per_unit,
        r.pixels_per_unit,
      ]),
    ).toEqual([
      [37, "unknown", 2500, 1],
      [37, "unknown", null, 1],
      [35, "Live video to video", 2149, 1],
    ]);

    const { failures } = parseEvent(event);
    expect(failures).toEqual([]);
  });
});

describe("attribution.md §1.4 SDK decisions", () => {
  // §9.12 "no cross-model fallback"
  it("never borrows another model's config or price", () => {
    const event = eventWithData([
      {
        address: "0xAAA",
        local_address: "0xBBB",
        orch_uri: "https://orch:1",
        capabilities: {
          capacities: { "35": 1 },
          constraints: {
            PerCapability: {
              "35": {
                models: {
                  "streamdiffusion-sdxl": { runnerVersion: "0.14.1", capacity: 2, warm: true },
                },
              },
            },
          },
        },
        capabilities_prices: [
          { pricePerUnit: 2149, capability: 35, constraint: "streamdiffusion-sdxl" },
        ],
        hardware: [{ pipeline: "live-video-to-video", model_id: "streamdiffusion-sdxl-v2v" }],
      },
    ]);
    const rows = parseCapabilitySnapshots(event).rows;
    expect(rows).toHaveLength(1);
    expect(rows[0]).toMatchObject({
      pipeline: "live-video-to-video",
      modelId: "streamdiffusion-sdxl-v2v",
      runnerVersion: null,
      capacity: null,
      capacityInUse: null,
      warm: null,
      pricePerUnit: null,
      pixelsPerUnit: null,
      capabilityId: -1,
      capabilityName: "unknown",
      capabilityGroup: "unknown",
      capacityUnits: null,
      gpuId: null,
    });
  });

  it("matches model keys case-sensitively and untrimmed", () => {
    const orch = (modelId: string): JsonObject => ({
      address: "0xAAA",
      capabilities: {
        constraints: { PerCapability: { "35": { models: { "sd-model": { capacity: 3 } } } } },
      },
      capabilities_prices: [{ pricePerUnit: 10, capability: 35, constraint: "sd-model" }],
      hardware: [{ pipeline: "p", model_id: modelId }],
    });
    const rows = parseCapabilitySnapshots(
      eventWithData([orch("SD-Model"), orch(" sd-model"), orch("sd-model")]),
    ).rows;
    expect(rows.map((r) => [r.capabilityId, r.capacity, r.pricePerUnit])).toEqual([
      [-1, null, null],
      [-1, null, null],
      [35, 3, 10],
    ]);
  });

  it("takes the first capability key in JS order when a model is listed under several", () => {
    const data = JSON.parse(
      `[{"address":"0xA","capabilities":{"constraints":{"PerCapability":{
        "35":{"models":{"m":{"capacity":5}}},"27":{"models":{"m":{"capacity":7}}}}}},
        "hardware":[{"pipeline":"p","model_id":"m"}]}]`,
    ) as JsonValue;
    const rows = parseCapabilitySnapshots(eventWithData(data)).rows;
    expect(rows.map((r) => [r.capabilityId, r.capabilityName, r.capacity])).toEqual([
      [27, "Text to image", 7],
    ]);
  });

  it("reads capability keys with the strict int32 rule and falls back to the price's capability", () => {
    const orch = (key: string): JsonObject => ({
      address: "0xA",
      capabilities: {
        capacities: { "35": 4, "36": 8 },
        constraints: { PerCapability: { [key]: { models: { m: { warm: false } } } } },
      },
      capabilities_prices: [
        { pricePerUnit: 1, capability: 27, constraint: "other" },
        { pricePerUnit: 2, capability: "36", constraint: "m" },
      ],
      hardware: [{ pipeline: "p", model_id: "m" }],
    });
    const rows = parseCapabilitySnapshots(
      eventWithData([orch("35"), orch("+35"), orch(" 35"), orch("abc"), orch("99999999999")]),
    ).rows;
    expect(rows.map((r) => [r.capabilityId, r.warm, r.pricePerUnit, r.capacityUnits])).toEqual([
      // integer keys: capability 35 from the key; the only price for "m" is capability 36 → no price
      [35, 0, null, 4],
      [35, 0, null, 4],
      // non-integer keys: the config still applies, the capability comes from the matching price
      [36, 0, 2, 8],
      [36, 0, 2, 8],
      [36, 0, 2, 8],
    ]);
    expect(rows[2]).toMatchObject({
      capabilityName: "Text to speech",
      capabilityGroup: "inference",
    });
  });

  it("selects a price by capability only when the hardware entry has no model id", () => {
    const rows = parseCapabilitySnapshots(
      eventWithData({
        address: "0xA",
        capabilities: { capacities: { "27": 3 } },
        capabilities_prices: [
          null,
          "x",
          { pricePerUnit: 9, pixelsPerUnit: 2, capability: 27, constraint: "any" },
        ],
        hardware: [{ pipeline: "text-to-image" }],
      }),
    ).rows;
    expect(
      rows.map((r) => [
        r.modelId,
        r.capabilityId,
        r.pricePerUnit,
        r.pixelsPerUnit,
        r.capacityUnits,
      ]),
    ).toEqual([["", 27, 9, 2, 3]]);
  });

  it("skips non-object hardware entries and orchestrators without a hardware array", () => {
    const base = { address: "0xA", capabilities: { capacities: { "0": 1 } } };
    const event = eventWithData([
      { ...base, hardware: [null, "x", 5, [], true, { pipeline: "llm", model_id: "m" }] },
      { ...base, hardware: {} },
      { ...base, hardware: [] },
      { ...base, hardware: null },
      { ...base },
    ]);
    const out = expectWellFormed(event);
    expect(out.snapshots.rows.map((r) => [r.pipeline, r.modelId])).toEqual([["llm", "m"]]);
    expect(out.advertised.rows).toHaveLength(5);
  });

  it("accepts gpu_info arrays (one row per element) and orders object keys integer-first", () => {
    const data = JSON.parse(
      `{"address":"0xA","hardware":[
        {"pipeline":"p","model_id":"arr","gpu_info":[{"id":"g-a"},{"id":"g-b","major":"8"},null]},
        {"pipeline":"p","model_id":"obj","gpu_info":{"10":{"id":"g10"},"x":{"id":"gx"},"2":{"id":"g2"},"1":{"id":"g1"}}},
        {"pipeline":"p","model_id":"empty-arr","gpu_info":[]},
        {"pipeline":"p","model_id":"empty-obj","gpu_info":{}},
        {"pipeline":"p","model_id":"scalar","gpu_info":"GPU-1"}]}`,
    ) as JsonValue;
    const rows = expectWellFormed(eventWithData(data)).snapshots.rows;
    expect(rows.map((r) => [r.modelId, r.gpuId, r.gpuMajor])).toEqual([
      ["arr", "g-a", null],
      ["arr", "g-b", 8],
      ["arr", null, null],
      ["obj", "g1", null],
      ["obj", "g2", null],
      ["obj", "g10", null],
      ["obj", "gx", null],
      ["empty-arr", null, null],
      ["empty-obj", null, null],
      ["scalar", null, null],
    ]);
  });

  it("derives warm, capacityUnits and GPU fields with the nullable coercions", () => {
    const rows = parseCapabilitySnapshots(
      eventWithData({
        address: " 0xAbC ",
        local_address: "  ",
        capabilities: {
          capacities: { "35": "6" },
          constraints: {
            PerCapability: {
              "35": {
                models: {
                  a: { warm: 1 },
                  b: { warm: "0", capacity: 3 },
                  c: { warm: "yes", capacity: "x" },
                },
              },
            },
          },
        },
        hardware: [
          {
            pipeline: "p",
            model_id: "a",
            gpu_info: { "0": { id: 5, memory_total: "25757220864", minor: 9.7 } },
          },
          { pipeline: "p", model_id: "b" },
          { pipeline: "p", model_id: "c" },
        ],
      }),
    ).rows;
    expect(rows.map((r) => [r.warm, r.capacity, r.capacityUnits])).toEqual([
      [1, null, 6],
      [0, 3, 3],
      [null, null, 6],
    ]);
    expect(rows[0]).toMatchObject({
      canonicalOrchestratorAddress: "0xabc",
      hotAddress: "",
      orchestratorUrl: "",
      orchestratorVersion: "",
      gpuId: "5",
      gpuMemoryTotal: 25757220864,
      gpuMinor: 9,
    });
  });

  it("only emits sibling rows for integer keys and object price entries", () => {
    const out = expectWellFormed(
      eventWithData({
        address: "0xA",
        capabilities: {
          capacities: { "-1": 1, "+5": "2", abc: 1, "99999999999": 1, "7": null },
          constraints: {
            PerCapability: {
              x: { models: { m: {} } },
              "33": { models: { llama: { runnerVersion: "" }, other: 5 } },
              "27": { models: [] },
              "28": null,
            },
          },
        },
        capabilities_prices: [null, 3, { capability: "bad", constraint: null }],
      }),
    );
    expect(
      out.advertised.rows.map((r) => [r.capability_id, r.capability_name, r.capacity]),
    ).toEqual([
      [7, "H264 Baseline profile", null],
      [-1, "unknown", 1],
      [5, "Storage S3", 2],
    ]);
    expect(
      out.constraints.rows.map((r) => [r.capability_id, r.model_id, r.runner_version, r.warm]),
    ).toEqual([
      [33, "llama", null, null],
      [33, "other", null, null],
    ]);
    expect(
      out.prices.rows.map((r) => [r.capability_id, r.constraint_name, r.price_per_unit]),
    ).toEqual([[-1, null, null]]);
    expect(out.snapshots.rows).toEqual([]);
  });
});

// ---------------------------------------------------------------------------------------------
// Properties
// ---------------------------------------------------------------------------------------------

type Path = ReadonlyArray<string | number>;

function allPaths(node: JsonValue, prefix: Path = [], out: Path[] = []): Path[] {
  out.push(prefix);
  if (Array.isArray(node)) node.forEach((v, i) => allPaths(v, [...prefix, i], out));
  else if (node !== null && typeof node === "object") {
    for (const k of Object.keys(node)) allPaths(node[k]!, [...prefix, k], out);
  }
  return out;
}

/** Replaces (or, with `value === undefined`, deletes) the node at `path`; the root is replaced. */
function mutate(root: JsonValue, path: Path, value: JsonValue | undefined): JsonValue {
  if (path.length === 0) return value ?? null;
  let parent = root as unknown as Record<string | number, JsonValue>;
  for (const step of path.slice(0, -1))
    parent = parent[step] as unknown as Record<string | number, JsonValue>;
  const last = path[path.length - 1]!;
  if (value === undefined && !Array.isArray(parent)) delete parent[last];
  else parent[last] = value ?? null;
  return root;
}

const REAL_PAYLOADS: readonly JsonValue[] = [
  (realSampleEvent().data as JsonValue[])[0]!,
  realSampleEvent().data,
  EXAMPLE_A_FIRST,
  prodParseFailedLikeData(),
  ...apiOrchestrators("getNetworkCapabilities.json").filter((o) =>
    Array.isArray((o as JsonObject)["hardware"]),
  ),
  ...apiOrchestrators("getNetworkCapabilities-ai-batch-byoc.json").filter((o) =>
    Array.isArray((o as JsonObject)["hardware"]),
  ),
];

function checkTotal(data: JsonValue): void {
  const event = eventWithData(data);
  const out = expectWellFormed(event);
  // raw_json of every row is the compact JSON of one of the orchestrator elements.
  const elements = new Set(orchestratorEntries(data).map((o) => JSON.stringify(o)));
  const rawJsons = [
    ...out.snapshots.rows.map((r) => r.rawJson),
    ...out.advertised.rows.map((r) => r.raw_json),
    ...out.constraints.rows.map((r) => r.raw_json),
    ...out.prices.rows.map((r) => r.raw_json),
  ];
  for (const raw of rawJsons) expect(elements.has(raw)).toBe(true);
  expect(parseEvent(event).failures).toEqual([]);
}

describe("properties", () => {
  it("all four parsers are total on arbitrary JSON data", () => {
    fc.assert(
      fc.property(fc.jsonValue(), (data) => {
        checkTotal(data as JsonValue);
      }),
    );
  });

  it("all four parsers are total on arbitrary orchestrator-shaped data", () => {
    const orchestrator = fc.record(
      {
        address: fc.jsonValue(),
        local_address: fc.jsonValue(),
        capabilities: fc.record(
          {
            capacities: fc.dictionary(
              fc.oneof(fc.integer().map(String), fc.string()),
              fc.jsonValue(),
            ),
            constraints: fc.record(
              {
                PerCapability: fc.dictionary(
                  fc.oneof(fc.integer({ min: -1, max: 40 }).map(String), fc.string()),
                  fc.record({
                    models: fc.dictionary(fc.constantFrom("m", "M", "x", ""), fc.jsonValue()),
                  }),
                ),
              },
              { requiredKeys: [] },
            ),
          },
          { requiredKeys: [] },
        ),
        capabilities_prices: fc.oneof(
          fc.constant(null),
          fc.array(
            fc.record(
              {
                capability: fc.oneof(fc.integer({ min: -1, max: 40 }), fc.jsonValue()),
                constraint: fc.oneof(fc.constantFrom("m", "M", "x", ""), fc.jsonValue()),
                pricePerUnit: fc.jsonValue(),
                pixelsPerUnit: fc.jsonValue(),
              },
              { requiredKeys: [] },
            ),
          ),
        ),
        hardware: fc.oneof(
          fc.jsonValue(),
          fc.array(
            fc.oneof(
              fc.jsonValue(),
              fc.record({
                pipeline: fc.jsonValue(),
                model_id: fc.oneof(fc.constantFrom("m", "M", "x", ""), fc.jsonValue()),
                gpu_info: fc.oneof(
                  fc.jsonValue(),
                  fc.array(fc.jsonValue()),
                  fc.dictionary(fc.string(), fc.jsonValue()),
                ),
              }),
            ),
          ),
        ),
      },
      { requiredKeys: [] },
    );
    fc.assert(
      fc.property(fc.oneof(orchestrator, fc.array(orchestrator, { maxLength: 4 })), (data) => {
        checkTotal(data as JsonValue);
      }),
    );
  });

  it("all four parsers are total on mutated real payloads", () => {
    const edit = fc.tuple(fc.nat(), fc.option(fc.jsonValue({ maxDepth: 3 }), { nil: undefined }));
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: REAL_PAYLOADS.length - 1 }),
        fc.array(edit, { minLength: 1, maxLength: 6 }),
        (which, edits) => {
          let data: JsonValue = structuredClone(REAL_PAYLOADS[which] as JsonValue);
          for (const [index, value] of edits) {
            const paths = allPaths(data);
            data = mutate(data, paths[index % paths.length]!, value as JsonValue | undefined);
          }
          checkTotal(data);
        },
      ),
    );
  });
});
