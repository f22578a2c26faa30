/**
 * `network_capabilities` → capability snapshots (`raw_network_capabilities`) and the three
 * sibling families `raw_network_capabilities_advertised`, `_model_constraints` and `_prices`
 * (`attribution.md` §1.2–1.5, §1.10; `ingest-and-storage.md` §1.7.5, §3.3).
 *
 * The four parsers are independent and total: any JSON shape yields the rows that can be read,
 * parts that cannot be read are skipped (never an exception), and an event without readable
 * orchestrators yields no rows and no issue.
 *
 * @module
 */
import { z } from "zod";
import {
  field,
  isJsonObject,
  nullableInt,
  nullableLong,
  nullableText,
  text,
  type JsonNode,
  type JsonObject,
} from "../primitives/json.js";
import { normAddr } from "../primitives/strings.js";
import type { AcceptedEvent } from "./accepted-event.js";
import { lookupCapability, type ResolvedCapability } from "./capability-catalog.js";
import { rowsOnly, type ParserOutput } from "./parse-result.js";

// ---------------------------------------------------------------------------------------------
// Shared helpers
// ---------------------------------------------------------------------------------------------

/**
 * The orchestrator objects of a `network_capabilities` `data` node (`attribution.md` §1.4 step
 * 1): an object with at least one key → `[data]`; an array → its elements that are non-empty
 * objects, in array order; anything else (`null`, scalar, `{}`, missing) → `[]`.
 *
 * @category Parsing
 * @example
 * orchestratorEntries({ address: "0xabc" }) // [{ address: "0xabc" }]
 * orchestratorEntries([{}, 1, { address: "0xabc" }]) // [{ address: "0xabc" }]
 * orchestratorEntries("bad-shape") // []
 */
export function orchestratorEntries(data: JsonNode): JsonObject[] {
  if (isJsonObject(data)) return Object.keys(data).length > 0 ? [data] : [];
  if (!Array.isArray(data)) return [];
  return data.filter((el): el is JsonObject => isJsonObject(el) && Object.keys(el).length > 0);
}

const STRICT_INTEGER = /^[+-]?\d+$/;
const INT32_MIN = -2147483648;
const INT32_MAX = 2147483647;

/**
 * `int(c)` of a capability key (`attribution.md` §1.4 step 3): a strict decimal integer with an
 * optional sign and no surrounding whitespace, within int32; otherwise `null`.
 */
function capabilityKeyId(key: string): number | null {
  if (!STRICT_INTEGER.test(key)) return null;
  const n = Number(key) + 0;
  return n >= INT32_MIN && n <= INT32_MAX ? n : null;
}

/** `warm` of a model config: boolean → `1`/`0`, otherwise `nullableInt`. */
function warmFlag(node: JsonNode): number | null {
  if (typeof node === "boolean") return node ? 1 : 0;
  return nullableInt(node);
}

/** Own property of an object, never an inherited one (model ids are arbitrary strings). */
function ownField(obj: JsonObject, key: string): JsonNode {
  return Object.hasOwn(obj, key) ? obj[key] : undefined;
}

/** Fields shared by every row of one orchestrator element. */
interface OrchestratorIdentity {
  readonly event_timestamp: number;
  readonly source_event_id: string;
  readonly orchestrator_address: string;
  readonly local_address: string;
  readonly orch_uri: string;
}

function identityOf(event: AcceptedEvent, orch: JsonObject): OrchestratorIdentity {
  return {
    event_timestamp: event.timestamp,
    source_event_id: event.eventId,
    orchestrator_address: normAddr(text(orch["address"])),
    local_address: normAddr(text(orch["local_address"])),
    orch_uri: text(orch["orch_uri"]),
  };
}

/** Catalog columns of the sibling families. */
function capabilityColumns(c: ResolvedCapability): {
  readonly capability_id: number;
  readonly capability_name: string;
  readonly capability_group: string;
  readonly capability_catalog_version: string;
} {
  return {
    capability_id: c.id,
    capability_name: c.name,
    capability_group: c.group,
    capability_catalog_version: c.catalogVersion,
  };
}

/**
 * Zod schema of an integer produced by `nullableInt`/`nullableLong`: any integral number,
 * including values outside the safe-integer range (range checks belong to the row mapper).
 */
const integral = (): z.ZodNumber =>
  z.number().refine((n) => Number.isInteger(n), { message: "expected an integer" });

// ---------------------------------------------------------------------------------------------
// Snapshots
// ---------------------------------------------------------------------------------------------

/**
 * One capability snapshot row (`attribution.md` §1.3): one orchestrator element × one
 * `hardware` entry × one GPU. It feeds both `raw_network_capabilities` (via
 * {@link toNetworkCapabilitiesRow}) and the attribution cache.
 *
 * @category Capabilities
 */
export interface CapabilitySnapshot {
  /** Envelope timestamp, epoch ms. */
  readonly snapshotTs: number;
  /** Envelope `id` as text (untrimmed); `""` when missing. */
  readonly sourceEventId: string;
  /** `address` normalized (trimmed, lower-case): the on-chain orchestrator identity; `""` when blank. */
  readonly canonicalOrchestratorAddress: string;
  /** `local_address` normalized: the hot/proxy wallet seen in status and trace events; `""` when blank. */
  readonly hotAddress: string;
  /** `orch_uri` as text, not normalized; `""` when missing. */
  readonly orchestratorUrl: string;
  /** `capabilities.version` as text (go-livepeer version); `""` when missing. */
  readonly orchestratorVersion: string;
  /** `hardware[j].pipeline` as text (e.g. `"live-video-to-video"`); `""` when missing. */
  readonly pipeline: string;
  /** `hardware[j].model_id` as text, untrimmed, case kept; `""` when missing. */
  readonly modelId: string;
  /** Capability id from the exact model-config match, else from the selected price; `-1` when unknown. */
  readonly capabilityId: number;
  /** Catalog name of {@link CapabilitySnapshot.capabilityId}; `"unknown"` when not in the catalog. */
  readonly capabilityName: string;
  /** Catalog group of {@link CapabilitySnapshot.capabilityId}; `"unknown"` when not in the catalog. */
  readonly capabilityGroup: string;
  /** Catalog version used for the lookup (`"v1"`). */
  readonly capabilityCatalogVersion: string;
  /** `runnerVersion` of this model's config; `null` when absent or there is no exact config match. */
  readonly runnerVersion: string | null;
  /** `capacity` of this model's config (concurrent sessions); `null` when absent or no config. */
  readonly capacity: number | null;
  /** `capacityInUse` of this model's config (sessions); `null` when absent or no config. */
  readonly capacityInUse: number | null;
  /** `warm` of this model's config as `1`/`0` (booleans) or an integer; `null` when absent or no config. */
  readonly warm: number | null;
  /** `pricePerUnit` of the selected price entry (wei per `pixelsPerUnit`); `null` when absent or no price matched. */
  readonly pricePerUnit: number | null;
  /** `pixelsPerUnit` of the selected price entry; `null` when absent or no price matched. */
  readonly pixelsPerUnit: number | null;
  /** GPU `id` (NVML UUID, an opaque label); `null` when absent or the entry has no GPU. */
  readonly gpuId: string | null;
  /** GPU `name` (e.g. `"NVIDIA GeForce RTX 4090"`); `null` when absent or no GPU. */
  readonly gpuName: string | null;
  /** GPU `memory_total`, bytes; `null` when absent, not an integer, or no GPU. */
  readonly gpuMemoryTotal: number | null;
  /** GPU `memory_free`, bytes; `null` when absent, not an integer, or no GPU. */
  readonly gpuMemoryFree: number | null;
  /** GPU compute-capability `major`; `null` when absent or no GPU. */
  readonly gpuMajor: number | null;
  /** GPU compute-capability `minor`; `null` when absent (e.g. RTX 5090 rows) or no GPU. */
  readonly gpuMinor: number | null;
  /**
   * Capacity of this model in sessions: the config `capacity` when non-null, else
   * `capabilities.capacities[String(capabilityId)]` when `capabilityId >= 0`; `null` otherwise.
   */
  readonly capacityUnits: number | null;
  /** Compact JSON of the orchestrator element the row came from. */
  readonly rawJson: string;
}

/**
 * Zod schema of {@link CapabilitySnapshot}.
 *
 * @category Capabilities
 */
export const CapabilitySnapshotSchema = /* @__PURE__ */ (() =>
  z.object({
    snapshotTs: z.number().int(),
    sourceEventId: z.string(),
    canonicalOrchestratorAddress: z.string(),
    hotAddress: z.string(),
    orchestratorUrl: z.string(),
    orchestratorVersion: z.string(),
    pipeline: z.string(),
    modelId: z.string(),
    capabilityId: integral(),
    capabilityName: z.string(),
    capabilityGroup: z.string(),
    capabilityCatalogVersion: z.string(),
    runnerVersion: z.string().nullable(),
    capacity: integral().nullable(),
    capacityInUse: integral().nullable(),
    warm: integral().nullable(),
    pricePerUnit: integral().nullable(),
    pixelsPerUnit: integral().nullable(),
    gpuId: z.string().nullable(),
    gpuName: z.string().nullable(),
    gpuMemoryTotal: integral().nullable(),
    gpuMemoryFree: integral().nullable(),
    gpuMajor: integral().nullable(),
    gpuMinor: integral().nullable(),
    capacityUnits: integral().nullable(),
    rawJson: z.string(),
  }) satisfies z.ZodType<CapabilitySnapshot>)();

/** Model-config selection result (`attribution.md` §1.4 step 3). */
interface ModelConfig {
  /** The matched config node, or `undefined` when no exact match. */
  readonly config: JsonNode;
  /** `int(c)` of the matching capability key, or `null`. */
  readonly capabilityId: number | null;
}

/**
 * First pass only: the first capability key of `PerCapability` whose `models` object has the
 * exact (case-sensitive) key `modelId`. No fallback to another model.
 */
function selectModelConfig(perCapability: JsonNode, modelId: string): ModelConfig {
  if (!isJsonObject(perCapability) || modelId.length === 0) {
    return { config: undefined, capabilityId: null };
  }
  for (const c of Object.keys(perCapability)) {
    const models = field(perCapability[c], "models");
    if (isJsonObject(models) && Object.hasOwn(models, modelId)) {
      return { config: models[modelId], capabilityId: capabilityKeyId(c) };
    }
  }
  return { config: undefined, capabilityId: null };
}

/**
 * Price selection (`attribution.md` §1.4 step 4): the first object element of `prices` whose
 * capability matches (`capabilityId` null or equal) and whose `constraint` equals `modelId`
 * (any constraint when `modelId` is empty). No fallback to the first entry.
 */
function selectPrice(
  prices: JsonNode,
  capabilityId: number | null,
  modelId: string,
): JsonObject | undefined {
  if (!Array.isArray(prices)) return undefined;
  for (const p of prices) {
    if (!isJsonObject(p)) continue;
    const capabilityOk = capabilityId === null || nullableInt(p["capability"]) === capabilityId;
    const constraintOk = modelId.length === 0 || text(p["constraint"]) === modelId;
    if (capabilityOk && constraintOk) return p;
  }
  return undefined;
}

/**
 * GPU nodes of one hardware entry (`attribution.md` §1.4 step 6): the values of a non-empty
 * `gpu_info` object (JS key order: integer-like keys ascending, then document order), the
 * elements of a non-empty `gpu_info` array, otherwise one `undefined` (one row without GPU).
 */
function gpuNodes(gpuInfo: JsonNode): JsonNode[] {
  if (isJsonObject(gpuInfo)) {
    const keys = Object.keys(gpuInfo);
    if (keys.length > 0) return keys.map((k) => gpuInfo[k]);
  } else if (Array.isArray(gpuInfo) && gpuInfo.length > 0) {
    return gpuInfo;
  }
  return [undefined];
}

/**
 * Parses one accepted `network_capabilities` event into capability snapshots
 * (`attribution.md` §1.4): one row per orchestrator × object `hardware` entry × GPU, in that
 * order. Orchestrators without a non-empty `hardware` array produce no snapshot. A row takes
 * model config and price only from an exact match for its own model.
 *
 * @category Parsing
 */
export function parseCapabilitySnapshots(event: AcceptedEvent): ParserOutput<CapabilitySnapshot> {
  const rows: CapabilitySnapshot[] = [];
  for (const orch of orchestratorEntries(event.data)) {
    const hardware = orch["hardware"];
    if (!Array.isArray(hardware) || hardware.length === 0) continue;
    const capabilities = orch["capabilities"];
    const perCapability = field(field(capabilities, "constraints"), "PerCapability");
    const capacities = field(capabilities, "capacities");
    const prices = orch["capabilities_prices"];
    const canonicalOrchestratorAddress = normAddr(text(orch["address"]));
    const hotAddress = normAddr(text(orch["local_address"]));
    const orchestratorUrl = text(orch["orch_uri"]);
    const orchestratorVersion = text(field(capabilities, "version"));
    const rawJson = JSON.stringify(orch);

    for (const hw of hardware) {
      if (!isJsonObject(hw)) continue;
      const pipeline = text(hw["pipeline"]);
      const modelId = text(hw["model_id"]);
      const selected = selectModelConfig(perCapability, modelId);
      const cfg = selected.config;
      let capabilityId = selected.capabilityId;
      const price = selectPrice(prices, capabilityId, modelId);
      if (capabilityId === null && price !== undefined) {
        capabilityId = nullableInt(price["capability"]);
      }
      const capability = lookupCapability(capabilityId);
      const capacity = nullableInt(field(cfg, "capacity"));
      const capacityUnits =
        capacity ??
        (capabilityId !== null && capabilityId >= 0
          ? nullableInt(field(capacities, String(capabilityId)))
          : null);
      const shared = {
        snapshotTs: event.timestamp,
        sourceEventId: event.eventId,
        canonicalOrchestratorAddress,
        hotAddress,
        orchestratorUrl,
        orchestratorVersion,
        pipeline,
        modelId,
        capabilityId: capability.id,
        capabilityName: capability.name,
        capabilityGroup: capability.group,
        capabilityCatalogVersion: capability.catalogVersion,
        runnerVersion: nullableText(field(cfg, "runnerVersion")),
        capacity,
        capacityInUse: nullableInt(field(cfg, "capacityInUse")),
        warm: warmFlag(field(cfg, "warm")),
        pricePerUnit: price === undefined ? null : nullableInt(price["pricePerUnit"]),
        pixelsPerUnit: price === undefined ? null : nullableInt(price["pixelsPerUnit"]),
      };
      for (const gpu of gpuNodes(hw["gpu_info"])) {
        rows.push({
          ...shared,
          gpuId: nullableText(field(gpu, "id")),
          gpuName: nullableText(field(gpu, "name")),
          gpuMemoryTotal: nullableLong(field(gpu, "memory_total")),
          gpuMemoryFree: nullableLong(field(gpu, "memory_free")),
          gpuMajor: nullableInt(field(gpu, "major")),
          gpuMinor: nullableInt(field(gpu, "minor")),
          capacityUnits,
          rawJson,
        });
      }
    }
  }
  return rowsOnly(rows);
}

// ---------------------------------------------------------------------------------------------
// raw_network_capabilities
// ---------------------------------------------------------------------------------------------

/**
 * One row of `raw_network_capabilities` (`ingest-and-storage.md` §3.3), in column order.
 *
 * @category Typed rows
 */
export interface NetworkCapabilitiesRow {
  /** Envelope timestamp, epoch ms. */
  readonly event_timestamp: number;
  /** Envelope `id` as text; `""` when missing. */
  readonly source_event_id: string;
  /** Canonical orchestrator address (`address`), normalized; `""` when blank. */
  readonly orchestrator_address: string;
  /** Hot wallet (`local_address`), normalized; `""` when blank. */
  readonly local_address: string;
  /** `orch_uri` as text; `""` when missing. */
  readonly orch_uri: string;
  /** GPU UUID; `null` when absent or no GPU. */
  readonly gpu_id: string | null;
  /** GPU name; `null` when absent or no GPU. */
  readonly gpu_name: string | null;
  /** GPU total memory, bytes (`UInt64`); `null` when absent or no GPU. */
  readonly gpu_memory_total: number | null;
  /** GPU free memory, bytes (`UInt64`); `null` when absent or no GPU. */
  readonly gpu_memory_free: number | null;
  /** GPU compute-capability major (`UInt8`); `null` when absent or no GPU. */
  readonly gpu_major: number | null;
  /** GPU compute-capability minor (`UInt8`); `null` when absent or no GPU. */
  readonly gpu_minor: number | null;
  /** `hardware[j].pipeline` as text; `""` when missing. */
  readonly pipeline: string;
  /** `hardware[j].model_id` as text; `""` when missing. */
  readonly model_id: string;
  /** Resolved capability id (`Int32`): `-1` when unknown. Never `null` as produced by the parser. */
  readonly capability_id: number | null;
  /** Catalog name; `"unknown"` outside the catalog. Never `null` as produced by the parser. */
  readonly capability_name: string | null;
  /** Catalog group; `"unknown"` outside the catalog. Never `null` as produced by the parser. */
  readonly capability_group: string | null;
  /** Catalog version (`"v1"`). Never `null` as produced by the parser. */
  readonly capability_catalog_version: string | null;
  /** Runner version of this model's config; `null` when absent or no config. */
  readonly runner_version: string | null;
  /** Config capacity, sessions; `null` when absent or no config. */
  readonly capacity: number | null;
  /** Config capacity in use, sessions; `null` when absent or no config. */
  readonly capacity_in_use: number | null;
  /** Config warm flag `1`/`0` (or integer); `null` when absent or no config. */
  readonly warm: number | null;
  /** Selected price per unit (`UInt32`, wei); `null` when absent or no price matched. */
  readonly price_per_unit: number | null;
  /** Selected pixels per unit (`UInt32`); `null` when absent or no price matched. */
  readonly pixels_per_unit: number | null;
  /** `capabilities.version` as text; `""` when missing. */
  readonly orchestrator_version: string;
  /** Compact JSON of the orchestrator element. */
  readonly raw_json: string;
}

/**
 * Zod schema of {@link NetworkCapabilitiesRow}.
 *
 * @category Typed rows
 */
export const NetworkCapabilitiesRowSchema = /* @__PURE__ */ (() =>
  z.object({
    event_timestamp: z.number().int(),
    source_event_id: z.string(),
    orchestrator_address: z.string(),
    local_address: z.string(),
    orch_uri: z.string(),
    gpu_id: z.string().nullable(),
    gpu_name: z.string().nullable(),
    gpu_memory_total: integral().nullable(),
    gpu_memory_free: integral().nullable(),
    gpu_major: integral().nullable(),
    gpu_minor: integral().nullable(),
    pipeline: z.string(),
    model_id: z.string(),
    capability_id: integral().nullable(),
    capability_name: z.string().nullable(),
    capability_group: z.string().nullable(),
    capability_catalog_version: z.string().nullable(),
    runner_version: z.string().nullable(),
    capacity: integral().nullable(),
    capacity_in_use: integral().nullable(),
    warm: integral().nullable(),
    price_per_unit: integral().nullable(),
    pixels_per_unit: integral().nullable(),
    orchestrator_version: z.string(),
    raw_json: z.string(),
  }) satisfies z.ZodType<NetworkCapabilitiesRow>)();

/**
 * Maps a snapshot to its `raw_network_capabilities` row (column order of the table).
 *
 * @category Typed rows
 */
export function toNetworkCapabilitiesRow(s: CapabilitySnapshot): NetworkCapabilitiesRow {
  return {
    event_timestamp: s.snapshotTs,
    source_event_id: s.sourceEventId,
    orchestrator_address: s.canonicalOrchestratorAddress,
    local_address: s.hotAddress,
    orch_uri: s.orchestratorUrl,
    gpu_id: s.gpuId,
    gpu_name: s.gpuName,
    gpu_memory_total: s.gpuMemoryTotal,
    gpu_memory_free: s.gpuMemoryFree,
    gpu_major: s.gpuMajor,
    gpu_minor: s.gpuMinor,
    pipeline: s.pipeline,
    model_id: s.modelId,
    capability_id: s.capabilityId,
    capability_name: s.capabilityName,
    capability_group: s.capabilityGroup,
    capability_catalog_version: s.capabilityCatalogVersion,
    runner_version: s.runnerVersion,
    capacity: s.capacity,
    capacity_in_use: s.capacityInUse,
    warm: s.warm,
    price_per_unit: s.pricePerUnit,
    pixels_per_unit: s.pixelsPerUnit,
    orchestrator_version: s.orchestratorVersion,
    raw_json: s.rawJson,
  };
}

// ---------------------------------------------------------------------------------------------
// raw_network_capabilities_advertised
// ---------------------------------------------------------------------------------------------

/**
 * One row of `raw_network_capabilities_advertised`: one integer key of
 * `capabilities.capacities` of one orchestrator element.
 *
 * @category Typed rows
 */
export interface CapabilityAdvertisedRow {
  /** Envelope timestamp, epoch ms. */
  readonly event_timestamp: number;
  /** Envelope `id` as text; `""` when missing. */
  readonly source_event_id: string;
  /** Canonical orchestrator address (`address`), normalized; `""` when blank. */
  readonly orchestrator_address: string;
  /** Hot wallet (`local_address`), normalized; `""` when blank. */
  readonly local_address: string;
  /** `orch_uri` as text; `""` when missing. */
  readonly orch_uri: string;
  /** Capability id (the `capacities` key, int32). */
  readonly capability_id: number;
  /** Catalog name; `"unknown"` outside the catalog. */
  readonly capability_name: string;
  /** Catalog group; `"unknown"` outside the catalog. */
  readonly capability_group: string;
  /** Catalog version (`"v1"`). */
  readonly capability_catalog_version: string;
  /** Advertised capacity (the `capacities` value, sessions); `null` when not an integer. */
  readonly capacity: number | null;
  /** Compact JSON of the orchestrator element. */
  readonly raw_json: string;
}

/**
 * Zod schema of {@link CapabilityAdvertisedRow}.
 *
 * @category Typed rows
 */
export const CapabilityAdvertisedRowSchema = /* @__PURE__ */ (() =>
  z.object({
    event_timestamp: z.number().int(),
    source_event_id: z.string(),
    orchestrator_address: z.string(),
    local_address: z.string(),
    orch_uri: z.string(),
    capability_id: integral(),
    capability_name: z.string(),
    capability_group: z.string(),
    capability_catalog_version: z.string(),
    capacity: integral().nullable(),
    raw_json: z.string(),
  }) satisfies z.ZodType<CapabilityAdvertisedRow>)();

/**
 * Parses one accepted `network_capabilities` event into advertised-capability rows: one per key
 * of `capabilities.capacities` that is a strict int32 decimal, in key order.
 *
 * @category Parsing
 */
export function parseCapabilityAdvertised(
  event: AcceptedEvent,
): ParserOutput<CapabilityAdvertisedRow> {
  const rows: CapabilityAdvertisedRow[] = [];
  for (const orch of orchestratorEntries(event.data)) {
    const capacities = field(orch["capabilities"], "capacities");
    if (!isJsonObject(capacities)) continue;
    const identity = identityOf(event, orch);
    const rawJson = JSON.stringify(orch);
    for (const key of Object.keys(capacities)) {
      const id = capabilityKeyId(key);
      if (id === null) continue;
      rows.push({
        ...identity,
        ...capabilityColumns(lookupCapability(id)),
        capacity: nullableInt(capacities[key]),
        raw_json: rawJson,
      });
    }
  }
  return rowsOnly(rows);
}

// ---------------------------------------------------------------------------------------------
// raw_network_capabilities_model_constraints
// ---------------------------------------------------------------------------------------------

/**
 * One row of `raw_network_capabilities_model_constraints`: one model under one integer
 * capability key of `capabilities.constraints.PerCapability`.
 *
 * @category Typed rows
 */
export interface CapabilityModelConstraintRow {
  /** Envelope timestamp, epoch ms. */
  readonly event_timestamp: number;
  /** Envelope `id` as text; `""` when missing. */
  readonly source_event_id: string;
  /** Canonical orchestrator address (`address`), normalized; `""` when blank. */
  readonly orchestrator_address: string;
  /** Hot wallet (`local_address`), normalized; `""` when blank. */
  readonly local_address: string;
  /** `orch_uri` as text; `""` when missing. */
  readonly orch_uri: string;
  /** Capability id (the `PerCapability` key, int32). */
  readonly capability_id: number;
  /** Catalog name; `"unknown"` outside the catalog. */
  readonly capability_name: string;
  /** Catalog group; `"unknown"` outside the catalog. */
  readonly capability_group: string;
  /** Catalog version (`"v1"`). */
  readonly capability_catalog_version: string;
  /** The `models` key (model id), as written. */
  readonly model_id: string;
  /** `runnerVersion` of the config; `null` when absent. */
  readonly runner_version: string | null;
  /** `capacity` of the config, sessions; `null` when absent or not an integer. */
  readonly capacity: number | null;
  /** `capacityInUse` of the config, sessions; `null` when absent or not an integer. */
  readonly capacity_in_use: number | null;
  /** `warm` of the config as `1`/`0` (booleans) or an integer; `null` when absent. */
  readonly warm: number | null;
  /** Compact JSON of the orchestrator element. */
  readonly raw_json: string;
}

/**
 * Zod schema of {@link CapabilityModelConstraintRow}.
 *
 * @category Typed rows
 */
export const CapabilityModelConstraintRowSchema = /* @__PURE__ */ (() =>
  z.object({
    event_timestamp: z.number().int(),
    source_event_id: z.string(),
    orchestrator_address: z.string(),
    local_address: z.string(),
    orch_uri: z.string(),
    capability_id: integral(),
    capability_name: z.string(),
    capability_group: z.string(),
    capability_catalog_version: z.string(),
    model_id: z.string(),
    runner_version: z.string().nullable(),
    capacity: integral().nullable(),
    capacity_in_use: integral().nullable(),
    warm: integral().nullable(),
    raw_json: z.string(),
  }) satisfies z.ZodType<CapabilityModelConstraintRow>)();

/**
 * Parses one accepted `network_capabilities` event into model-constraint rows: one per
 * (strict int32 key `c` of `PerCapability`) × (key of `PerCapability[c].models`), in key order.
 *
 * @category Parsing
 */
export function parseCapabilityModelConstraints(
  event: AcceptedEvent,
): ParserOutput<CapabilityModelConstraintRow> {
  const rows: CapabilityModelConstraintRow[] = [];
  for (const orch of orchestratorEntries(event.data)) {
    const perCapability = field(field(orch["capabilities"], "constraints"), "PerCapability");
    if (!isJsonObject(perCapability)) continue;
    const identity = identityOf(event, orch);
    const rawJson = JSON.stringify(orch);
    for (const key of Object.keys(perCapability)) {
      const id = capabilityKeyId(key);
      const models = field(perCapability[key], "models");
      if (id === null || !isJsonObject(models)) continue;
      const capability = capabilityColumns(lookupCapability(id));
      for (const modelId of Object.keys(models)) {
        const cfg = ownField(models, modelId);
        rows.push({
          ...identity,
          ...capability,
          model_id: modelId,
          runner_version: nullableText(field(cfg, "runnerVersion")),
          capacity: nullableInt(field(cfg, "capacity")),
          capacity_in_use: nullableInt(field(cfg, "capacityInUse")),
          warm: warmFlag(field(cfg, "warm")),
          raw_json: rawJson,
        });
      }
    }
  }
  return rowsOnly(rows);
}

// ---------------------------------------------------------------------------------------------
// raw_network_capabilities_prices
// ---------------------------------------------------------------------------------------------

/**
 * One row of `raw_network_capabilities_prices`: one element of `capabilities_prices`.
 *
 * @category Typed rows
 */
export interface CapabilityPriceRow {
  /** Envelope timestamp, epoch ms. */
  readonly event_timestamp: number;
  /** Envelope `id` as text; `""` when missing. */
  readonly source_event_id: string;
  /** Canonical orchestrator address (`address`), normalized; `""` when blank. */
  readonly orchestrator_address: string;
  /** Hot wallet (`local_address`), normalized; `""` when blank. */
  readonly local_address: string;
  /** `orch_uri` as text; `""` when missing. */
  readonly orch_uri: string;
  /** `capability` of the price entry; `-1` when absent or not an integer. */
  readonly capability_id: number;
  /** Catalog name; `"unknown"` outside the catalog. */
  readonly capability_name: string;
  /** Catalog group; `"unknown"` outside the catalog. */
  readonly capability_group: string;
  /** Catalog version (`"v1"`). */
  readonly capability_catalog_version: string;
  /** `constraint` (the model id the price applies to); `null` when absent. */
  readonly constraint_name: string | null;
  /** `pricePerUnit` (wei per `pixels_per_unit`); `null` when absent or not an integer. */
  readonly price_per_unit: number | null;
  /** `pixelsPerUnit`; `null` when absent or not an integer. */
  readonly pixels_per_unit: number | null;
  /** Compact JSON of the orchestrator element. */
  readonly raw_json: string;
}

/**
 * Zod schema of {@link CapabilityPriceRow}.
 *
 * @category Typed rows
 */
export const CapabilityPriceRowSchema = /* @__PURE__ */ (() =>
  z.object({
    event_timestamp: z.number().int(),
    source_event_id: z.string(),
    orchestrator_address: z.string(),
    local_address: z.string(),
    orch_uri: z.string(),
    capability_id: integral(),
    capability_name: z.string(),
    capability_group: z.string(),
    capability_catalog_version: z.string(),
    constraint_name: z.string().nullable(),
    price_per_unit: integral().nullable(),
    pixels_per_unit: integral().nullable(),
    raw_json: z.string(),
  }) satisfies z.ZodType<CapabilityPriceRow>)();

/**
 * Parses one accepted `network_capabilities` event into price rows: one per object element of
 * `capabilities_prices` (`null`, absent or non-array → none), in array order.
 *
 * @category Parsing
 */
export function parseCapabilityPrices(event: AcceptedEvent): ParserOutput<CapabilityPriceRow> {
  const rows: CapabilityPriceRow[] = [];
  for (const orch of orchestratorEntries(event.data)) {
    const prices = orch["capabilities_prices"];
    if (!Array.isArray(prices)) continue;
    const identity = identityOf(event, orch);
    const rawJson = JSON.stringify(orch);
    for (const p of prices) {
      if (!isJsonObject(p)) continue;
      rows.push({
        ...identity,
        ...capabilityColumns(lookupCapability(nullableInt(p["capability"]))),
        constraint_name: nullableText(p["constraint"]),
        price_per_unit: nullableInt(p["pricePerUnit"]),
        pixels_per_unit: nullableInt(p["pixelsPerUnit"]),
        raw_json: rawJson,
      });
    }
  }
  return rowsOnly(rows);
}
