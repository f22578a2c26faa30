/**
 * Arbitraries of `network_capabilities` telemetry shaped like production payloads
 * (`attribution.md` §1.2, §1.8–1.10): orchestrator objects with mixed-case addresses,
 * hardware-less and GPU-rich orchestrators, partial constraints and prices; whole envelopes; and
 * time-ordered capability streams over a fixed wallet pool with hot wallets shared by two
 * canonical orchestrators, several model families per wallet, refreshes and stale snapshots;
 * plus a reordering helper that makes capability inputs arrive late.
 *
 * @module
 */
import fc from "fast-check";
import type { JsonObject, JsonValue } from "@livepeer-analytics/core/primitives";

// ---------------------------------------------------------------------------------------------
// Vocabulary (values observed in the reference payloads)
// ---------------------------------------------------------------------------------------------

/**
 * Model families advertised by default: two streamdiffusion variants (capability 35,
 * `live-video-to-video`) and one LLM (capability 33, `llm`), the mix seen on real wallets.
 *
 * @category Arbitraries
 */
export const CAPABILITY_MODEL_FAMILIES: readonly string[] = Object.freeze([
  "streamdiffusion-sdxl",
  "streamdiffusion-sdxl-faceid",
  "meta-llama/Meta-Llama-3.1-8B-Instruct",
]);

interface ModelInfo {
  readonly pipeline: string;
  readonly capability: number;
}

const KNOWN_MODELS = new Map<string, ModelInfo>([
  ["streamdiffusion-sdxl", { pipeline: "live-video-to-video", capability: 35 }],
  ["streamdiffusion-sdxl-faceid", { pipeline: "live-video-to-video", capability: 35 }],
  ["streamdiffusion-sdxl-v2v", { pipeline: "live-video-to-video", capability: 35 }],
  ["meta-llama/Meta-Llama-3.1-8B-Instruct", { pipeline: "llm", capability: 33 }],
  ["SG161222/RealVisXL_V4.0_Lightning", { pipeline: "text-to-image", capability: 27 }],
  // BYOC: no PerCapability entry, prices under capability 37 constrained by the pipeline name.
  ["Qwen/Qwen2.5-14B-Instruct-AWQ", { pipeline: "openai-chat-completions", capability: 37 }],
]);
const BYOC = 37;

/** Pipeline and capability of a model; unknown models are treated as live-video models. */
const modelInfo = (model: string): ModelInfo =>
  KNOWN_MODELS.get(model) ?? { pipeline: "live-video-to-video", capability: 35 };

interface GpuModel {
  readonly name: string;
  readonly major: number;
  /** `null`: the `minor` field is absent (RTX 5090 rows). */
  readonly minor: number | null;
  readonly memoryTotal: number;
}

const GPU_MODELS: readonly GpuModel[] = [
  { name: "NVIDIA GeForce RTX 4090", major: 8, minor: 9, memoryTotal: 25_757_220_864 },
  { name: "NVIDIA GeForce RTX 5090", major: 12, minor: null, memoryTotal: 34_190_917_632 },
  { name: "NVIDIA GeForce RTX 3090", major: 8, minor: 6, memoryTotal: 25_447_170_048 },
  { name: "NVIDIA A100-SXM4-80GB", major: 8, minor: 0, memoryTotal: 85_899_345_920 },
  { name: "NVIDIA H100 80GB HBM3", major: 9, minor: 0, memoryTotal: 85_520_809_984 },
];

/** Real orchestrator URIs (two of them are also used by the lifecycle arbitraries). */
const REAL_URIS = [
  "https://rtv.nullworks.xyz:9924",
  "https://rtav-orch2.xodeapp.xyz:28935",
  "https://ai.nightnode.net:8888",
  "https://rtav-orch.xodeapp.xyz:28935",
  "https://stream.speedybird.xyz:18936",
  "https://livepeer-ai.speedybird.xyz:58935",
  "https://livepeer-ai.xodeapp.xyz:18935",
  "https://livepeer-ai.compute-node.xyz:19935",
];
const VERSIONS = ["0.8.8", "0.8.9", "0.8.9-cd208259", "0.8.10"];
const GATEWAYS = ["", "cloud-spe-ai-llm-sea", "cloud-spe-ai-live-video-tester-fra"];
/** Transcoding capability ids advertised next to the AI ones by transcoding-capable nodes. */
const TRANSCODING_CAPABILITIES = [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 14, 15];
const DAY_MS = 86_400_000;
const HOUR_MS = 3_600_000;

// ---------------------------------------------------------------------------------------------
// Small arbitraries
// ---------------------------------------------------------------------------------------------

/** A boolean that is true with probability `p` (unbiased). */
const chance = (p: number): fc.Arbitrary<boolean> =>
  fc.noBias(fc.integer({ min: 0, max: 999 })).map((x) => x < p * 1000);

/** A lower-case `0x` + 40 hex address (unbiased, so addresses look random and rarely repeat). */
const addressArb: fc.Arbitrary<string> = fc
  .noBias(fc.stringMatching(/^[0-9a-f]{40}$/))
  .map((h) => `0x${h}`);

const uriArb: fc.Arbitrary<string> = fc.oneof(
  fc.constantFrom(...REAL_URIS),
  fc
    .record({
      host: fc.constantFrom("rtav", "ai", "livepeer-ai", "stream", "orch", "gpu-node"),
      domain: fc.constantFrom("xodeapp.xyz", "nullworks.xyz", "speedybird.xyz", "example.net"),
      n: fc.nat(9),
      port: fc.noBias(fc.integer({ min: 8000, max: 60_000 })),
    })
    .map(({ host, domain, n, port }) => `https://${host}${n === 0 ? "" : n}.${domain}:${port}`),
);

/**
 * Casing of an address in one payload: `-1` lower-case, `-2` upper-case hex digits, otherwise a
 * seed for a mixed (checksum-like) casing.
 */
const casingArb: fc.Arbitrary<number> = fc.oneof(
  { weight: 1, arbitrary: fc.constant(-1) },
  { weight: 1, arbitrary: fc.constant(-2) },
  { weight: 3, arbitrary: fc.noBias(fc.integer({ min: 1, max: 0x3fffffff })) },
);

/** Writes a lower-case address with a casing from {@link casingArb}; the `0x` stays lower-case. */
function applyCasing(address: string, casing: number): string {
  if (casing === -1 || !address.startsWith("0x")) return address;
  const hex = address.slice(2);
  if (casing === -2) return `0x${hex.toUpperCase()}`;
  let out = "0x";
  for (let i = 0; i < hex.length; i++) {
    const ch = hex[i]!;
    out += ch >= "a" && ch <= "f" && ((casing >>> (i % 30)) & 1) === 1 ? ch.toUpperCase() : ch;
  }
  return out;
}

// ---------------------------------------------------------------------------------------------
// Orchestrator specifications (the parts that stay fixed across refreshes)
// ---------------------------------------------------------------------------------------------

interface HardwareSpec {
  readonly model: string;
  readonly gpuIds: readonly string[];
  /** Index into {@link GPU_MODELS}. */
  readonly gpuModel: number;
  /** With no GPUs: `gpu_info: {}` instead of an absent `gpu_info`. */
  readonly emptyGpuInfo: boolean;
}

type HardwareForm = "array" | "null" | "absent" | "empty";
type ConstraintsForm =
  "per_capability" | "per_capability_min_version" | "min_version_only" | "empty";

/** One orchestrator node: identity, advertised models, hardware and pricing. */
interface NodeSpec {
  /** Canonical address, lower-case. */
  readonly address: string;
  /** Hot wallet, lower-case. */
  readonly localAddress: string;
  readonly orchUri: string;
  readonly version: string;
  readonly models: readonly string[];
  readonly hardwareForm: HardwareForm;
  readonly hardware: readonly HardwareSpec[];
  readonly constraints: ConstraintsForm;
  /** Per model: listed under `PerCapability`. */
  readonly configured: readonly boolean[];
  readonly capacityInConfig: boolean;
  readonly nullPrices: boolean;
  readonly missingPricePerUnit: boolean;
  readonly byocPrice: boolean;
  readonly transcoding: boolean;
  readonly bitstring: boolean;
  readonly basePrice: number;
  readonly capacity: number;
}

/** What changes between two refreshes of the same node. */
interface Variation {
  readonly addressCasing: number;
  readonly localCasing: number;
  readonly inUse: number;
  readonly memoryFree: number;
  readonly warm: JsonValue;
}

const variationArb: fc.Arbitrary<Variation> = fc.record({
  addressCasing: casingArb,
  localCasing: casingArb,
  inUse: fc.nat(3),
  memoryFree: fc.noBias(fc.integer({ min: 0, max: 999 })),
  warm: fc.constantFrom<JsonValue>(true, true, false, 1),
});

/** GPUs of one hardware entry: often one, sometimes none, sometimes 2–4, GPU-rich 5..max. */
function gpuCountArb(maxGpus: number, llm: boolean): fc.Arbitrary<number> {
  if (maxGpus < 1) return fc.constant(0);
  const arbs: fc.WeightedArbitrary<number>[] = [
    { weight: llm ? 8 : 2, arbitrary: fc.constant(0) },
    { weight: 5, arbitrary: fc.constant(1) },
  ];
  if (maxGpus >= 2)
    arbs.push({ weight: 2, arbitrary: fc.integer({ min: 2, max: Math.min(4, maxGpus) }) });
  if (maxGpus >= 5) arbs.push({ weight: 2, arbitrary: fc.integer({ min: 5, max: maxGpus }) });
  return fc.oneof(...arbs);
}

function hardwareEntryArb(model: string, maxGpus: number): fc.Arbitrary<HardwareSpec> {
  return gpuCountArb(maxGpus, modelInfo(model).pipeline === "llm").chain((n) =>
    fc.record({
      model: fc.constant(model),
      gpuIds: fc
        .uniqueArray(fc.noBias(fc.uuid()), { minLength: n, maxLength: n })
        .map((ids) => ids.map((u) => `GPU-${u}`)),
      gpuModel: fc.nat(GPU_MODELS.length - 1),
      emptyGpuInfo: chance(0.3),
    }),
  );
}

interface SpecOptions {
  readonly models: readonly string[];
  readonly maxGpus: number;
  readonly noHardwareProbability: number;
}

function nodeSpecArbitrary(
  identity: fc.Arbitrary<{ readonly address: string; readonly localAddress: string }>,
  o: SpecOptions,
): fc.Arbitrary<NodeSpec> {
  return fc
    .record({
      identity,
      orchUri: uriArb,
      version: fc.constantFrom(...VERSIONS),
      models: fc.subarray([...o.models], { minLength: 1 }),
      noHardware: chance(o.noHardwareProbability),
      missingForm: fc.constantFrom<HardwareForm>("null", "absent", "empty"),
      constraints: fc.constantFrom<ConstraintsForm>(
        "per_capability",
        "per_capability",
        "per_capability_min_version",
        "min_version_only",
        "empty",
      ),
      capacityInConfig: chance(0.4),
      nullPrices: chance(0.25),
      missingPricePerUnit: chance(0.15),
      byocPrice: chance(0.2),
      transcoding: chance(0.5),
      bitstring: chance(0.5),
      basePrice: fc.noBias(fc.integer({ min: 500, max: 5000 })),
      capacity: fc.integer({ min: 1, max: 4 }),
    })
    .chain((b) =>
      fc
        .tuple(
          fc.tuple(
            ...b.models.map((m) =>
              fc.array(hardwareEntryArb(m, o.maxGpus), { minLength: 1, maxLength: 2 }),
            ),
          ),
          fc.array(chance(0.85), { minLength: b.models.length, maxLength: b.models.length }),
        )
        .map(([entries, configured]): NodeSpec => ({
          address: b.identity.address,
          localAddress: b.identity.localAddress,
          orchUri: b.orchUri,
          version: b.version,
          models: b.models,
          hardwareForm: b.noHardware ? b.missingForm : "array",
          hardware: entries.flat(),
          constraints: b.constraints,
          configured,
          capacityInConfig: b.capacityInConfig,
          nullPrices: b.nullPrices,
          missingPricePerUnit: b.missingPricePerUnit,
          byocPrice: b.byocPrice,
          transcoding: b.transcoding,
          bitstring: b.bitstring,
          basePrice: b.basePrice,
          capacity: b.capacity,
        })),
    );
}

// ---------------------------------------------------------------------------------------------
// Building the JSON object
// ---------------------------------------------------------------------------------------------

function gpuObject(id: string, model: GpuModel, freePermille: number): JsonObject {
  const gpu: JsonObject = { id, name: model.name, major: model.major };
  if (model.minor !== null) gpu["minor"] = model.minor;
  gpu["memory_free"] = Math.floor((model.memoryTotal / 1000) * freePermille);
  gpu["memory_total"] = model.memoryTotal;
  return gpu;
}

function buildOrchestrator(spec: NodeSpec, v: Variation): JsonObject {
  // capabilities.capacities and constraints.PerCapability
  const capacities: JsonObject = {};
  if (spec.transcoding) for (const c of TRANSCODING_CAPABILITIES) capacities[String(c)] = 1;
  const perCapability: Record<string, Record<string, JsonObject>> = {};
  spec.models.forEach((model, i) => {
    const cap = modelInfo(model).capability;
    if (cap === BYOC) return;
    capacities[String(cap)] = spec.capacity;
    if (!spec.configured[i]) return;
    const config: JsonObject = { warm: v.warm, runnerVersion: "0.14.1", capacityInUse: v.inUse };
    if (spec.capacityInConfig) config["capacity"] = spec.capacity;
    (perCapability[String(cap)] ??= {})[model] = config;
  });
  const perCapabilityJson: JsonObject = {};
  for (const [cap, models] of Object.entries(perCapability))
    perCapabilityJson[cap] = { models: models as JsonObject };
  let constraints: JsonObject;
  switch (spec.constraints) {
    case "per_capability":
      constraints = { PerCapability: perCapabilityJson };
      break;
    case "per_capability_min_version":
      constraints = { minVersion: "0.8.9", PerCapability: perCapabilityJson };
      break;
    case "min_version_only":
      constraints = { minVersion: "0.8.9" };
      break;
    default:
      constraints = {};
  }
  const capabilities: JsonObject = {};
  if (spec.bitstring) {
    capabilities["bitstring"] = [34_426_871_807];
    capabilities["mandatories"] = [4096];
  }
  capabilities["capacities"] = capacities;
  capabilities["version"] = spec.version;
  capabilities["constraints"] = constraints;

  // capabilities_prices
  let prices: JsonValue = null;
  if (!spec.nullPrices) {
    const list: JsonObject[] = [];
    for (const model of spec.models) {
      const info = modelInfo(model);
      const entry: JsonObject = {};
      if (!(spec.missingPricePerUnit && list.length === 0))
        entry["pricePerUnit"] = info.capability === BYOC ? 2500 : spec.basePrice;
      entry["pixelsPerUnit"] = 1;
      entry["capability"] = info.capability;
      // BYOC prices are constrained by the pipeline name, never by the model id.
      entry["constraint"] = info.capability === BYOC ? info.pipeline : model;
      list.push(entry);
    }
    if (spec.byocPrice)
      list.push({
        pricePerUnit: 2500,
        pixelsPerUnit: 1,
        capability: BYOC,
        constraint: "openai-chat-completions",
      });
    prices = list;
  }

  const obj: JsonObject = {
    address: applyCasing(spec.address, v.addressCasing),
    // A single-node orchestrator writes its one wallet the same way in both fields.
    local_address: applyCasing(
      spec.localAddress,
      spec.localAddress === spec.address ? v.addressCasing : v.localCasing,
    ),
    orch_uri: spec.orchUri,
    capabilities,
    capabilities_prices: prices,
  };
  switch (spec.hardwareForm) {
    case "array":
      obj["hardware"] = spec.hardware.map((h, j) => {
        const entry: JsonObject = { pipeline: modelInfo(h.model).pipeline, model_id: h.model };
        const gpuModel = GPU_MODELS[h.gpuModel]!;
        if (h.gpuIds.length > 0) {
          const info: JsonObject = {};
          h.gpuIds.forEach((id, g) => {
            info[String(g)] = gpuObject(id, gpuModel, (v.memoryFree + 37 * g + 101 * j) % 1000);
          });
          entry["gpu_info"] = info;
        } else if (h.emptyGpuInfo) {
          entry["gpu_info"] = {};
        }
        return entry;
      });
      break;
    case "null":
      obj["hardware"] = null;
      break;
    case "empty":
      obj["hardware"] = [];
      break;
    default:
      break;
  }
  return obj;
}

// ---------------------------------------------------------------------------------------------
// Orchestrator objects
// ---------------------------------------------------------------------------------------------

/**
 * Options of {@link orchestratorObjectArbitrary}.
 *
 * @category Arbitraries
 */
export interface OrchestratorObjectOptions {
  /** Canonical address (`address`); written with a random casing. Default: a random address. */
  readonly address?: string;
  /** Hot wallet (`local_address`). Default: the address itself in ~45 % of cases, else random. */
  readonly localAddress?: string;
  /** Models the node may advertise (a non-empty subset is drawn). Default {@link CAPABILITY_MODEL_FAMILIES}. */
  readonly models?: readonly string[];
  /** Maximum GPUs of one hardware entry (GPU-rich nodes have 5 or more). Default 8. */
  readonly maxGpus?: number;
  /** Probability that `hardware` is `null`, absent or `[]`. Default 0.2. */
  readonly noHardwareProbability?: number;
}

function specOptions(o: {
  readonly models?: readonly string[] | undefined;
  readonly maxGpus?: number | undefined;
  readonly noHardwareProbability?: number | undefined;
}): SpecOptions {
  return {
    models: o.models !== undefined && o.models.length > 0 ? o.models : CAPABILITY_MODEL_FAMILIES,
    maxGpus: o.maxGpus ?? 8,
    noHardwareProbability: o.noHardwareProbability ?? 0.2,
  };
}

/**
 * One orchestrator object of a `network_capabilities` payload, shaped like the real ones:
 * `address` and `local_address` in random casing (lower, upper or checksum-like; equal for
 * single-node orchestrators), `orch_uri`, `capabilities` (`capacities`, `version`, sometimes
 * `bitstring`/`mandatories`; `constraints` with `PerCapability` model configs, `minVersion` only,
 * or `{}`), `capabilities_prices` (`null`, or entries sometimes without `pricePerUnit`, sometimes
 * with capability 37), and `hardware` (`null`, absent, `[]`, or entries with `gpu_info` holding
 * 0..`maxGpus` GPUs).
 *
 * @category Arbitraries
 * @example
 * fc.sample(orchestratorObjectArbitrary({ maxGpus: 2 }), 1)[0]!["hardware"]
 */
export function orchestratorObjectArbitrary(
  options: OrchestratorObjectOptions = {},
): fc.Arbitrary<JsonObject> {
  const address =
    options.address !== undefined ? fc.constant(options.address.trim().toLowerCase()) : addressArb;
  const identity = fc
    .record({ address, other: addressArb, same: chance(0.45) })
    .map(({ address: a, other, same }) => ({
      address: a,
      localAddress:
        options.localAddress !== undefined
          ? options.localAddress.trim().toLowerCase()
          : same
            ? a
            : other,
    }));
  return fc
    .tuple(nodeSpecArbitrary(identity, specOptions(options)), variationArb)
    .map(([spec, v]) => buildOrchestrator(spec, v));
}

// ---------------------------------------------------------------------------------------------
// Wallet pools
// ---------------------------------------------------------------------------------------------

/**
 * One hot wallet of a generated pool and the canonical orchestrators behind it (all
 * lower-case).
 *
 * @category Arbitraries
 */
export interface CapabilityWallet {
  /** Hot wallet (`local_address`), lower-case. */
  readonly hot: string;
  /** Canonical addresses (`address`) advertised with this hot wallet: one, or two when shared. */
  readonly canonicals: readonly string[];
}

/**
 * Options shared by {@link capabilityEventArbitrary} and {@link capabilityStreamArbitrary}.
 *
 * @category Arbitraries
 */
export interface CapabilityPoolOptions {
  /** Maximum number of hot wallets in the pool. Default 4. */
  readonly maxWallets?: number;
  /** Probability that a hot wallet is shared by two canonical orchestrators. Default 0.35. */
  readonly sharedWalletProbability?: number;
  /** Models the orchestrators may advertise. Default {@link CAPABILITY_MODEL_FAMILIES}. */
  readonly models?: readonly string[];
  /** Maximum GPUs of one hardware entry. Default 8. */
  readonly maxGpus?: number;
  /** Probability that a pool orchestrator has no usable hardware. Default 0.1. */
  readonly noHardwareProbability?: number;
  /** Maximum number of extra hardware-less (transcoding-only) orchestrators. Default 2. */
  readonly maxHardwareLessOrchestrators?: number;
}

interface PoolNode {
  readonly spec: NodeSpec;
  /** Canonical orchestrator that stopped refreshing more than 24 h before the range end. */
  readonly stale: boolean;
}

interface Pool {
  readonly wallets: CapabilityWallet[];
  readonly nodes: PoolNode[];
}

function poolArbitrary(o: CapabilityPoolOptions, staleProbability: number): fc.Arbitrary<Pool> {
  const spec = specOptions({
    models: o.models,
    maxGpus: o.maxGpus,
    noHardwareProbability: o.noHardwareProbability ?? 0.1,
  });
  const maxWallets = Math.max(1, o.maxWallets ?? 4);
  const maxNoise = Math.max(0, o.maxHardwareLessOrchestrators ?? 2);
  const walletShape = fc.record({
    shared: chance(o.sharedWalletProbability ?? 0.35),
    selfCanonical: chance(0.4),
    stale: fc.tuple(chance(staleProbability), chance(staleProbability)),
    secondNode: fc.tuple(chance(0.2), chance(0.2)),
  });
  return fc
    .record({
      shapes: fc.array(walletShape, { minLength: 1, maxLength: maxWallets }),
      noise: fc.nat(maxNoise),
    })
    .chain(({ shapes, noise }) =>
      fc
        .uniqueArray(addressArb, {
          minLength: 3 * shapes.length + 2 * noise,
          maxLength: 3 * shapes.length + 2 * noise,
        })
        .chain((addresses) => {
          const wallets: CapabilityWallet[] = [];
          const nodeArbs: fc.Arbitrary<PoolNode>[] = [];
          shapes.forEach((shape, w) => {
            const hot = addresses[3 * w]!;
            const canonicals = shape.shared
              ? [addresses[3 * w + 1]!, addresses[3 * w + 2]!]
              : [shape.selfCanonical ? hot : addresses[3 * w + 1]!];
            wallets.push({ hot, canonicals });
            canonicals.forEach((canonical, c) => {
              // The first wallet's first orchestrator always stays fresh.
              const stale = w + c > 0 && (c === 0 ? shape.stale[0] : shape.stale[1]);
              const nodes = (c === 0 ? shape.secondNode[0] : shape.secondNode[1]) ? 2 : 1;
              for (let n = 0; n < nodes; n++) {
                nodeArbs.push(
                  nodeSpecArbitrary(
                    fc.constant({ address: canonical, localAddress: hot }),
                    spec,
                  ).map((s) => ({ spec: s, stale })),
                );
              }
            });
          });
          for (let k = 0; k < noise; k++) {
            const base = 3 * shapes.length + 2 * k;
            nodeArbs.push(
              nodeSpecArbitrary(
                fc.constant({ address: addresses[base]!, localAddress: addresses[base + 1]! }),
                { ...spec, noHardwareProbability: 1 },
              ).map((s) => ({ spec: s, stale: false })),
            );
          }
          return fc.tuple(...nodeArbs).map((nodes): Pool => ({ wallets, nodes }));
        }),
    );
}

/** Per-event draws: which nodes are listed, their variations and the envelope's details. */
interface EventDraw {
  readonly include: readonly boolean[];
  readonly variations: readonly Variation[];
  readonly single: boolean;
  readonly duplicate: boolean;
  readonly id: string;
  readonly numericTimestamp: boolean;
  readonly gateway: string;
}

function eventDrawArb(nodes: number): fc.Arbitrary<EventDraw> {
  return fc.record({
    include: fc.array(chance(0.85), { minLength: nodes, maxLength: nodes }),
    variations: fc.array(variationArb, { minLength: nodes, maxLength: nodes }),
    single: chance(0.3),
    duplicate: chance(0.1),
    id: fc.noBias(fc.uuid()),
    numericTimestamp: fc.boolean(),
    gateway: fc.constantFrom(...GATEWAYS),
  });
}

/** The envelope listing the alive, drawn nodes at time `ts`. */
function buildEvent(
  nodes: readonly PoolNode[],
  draw: EventDraw,
  ts: number,
  alive: (n: PoolNode) => boolean,
): JsonObject {
  const objects: JsonObject[] = [];
  nodes.forEach((n, i) => {
    if (draw.include[i] && alive(n)) objects.push(buildOrchestrator(n.spec, draw.variations[i]!));
  });
  // Production payloads occasionally list one orchestrator object twice.
  if (draw.duplicate && objects.length > 0)
    objects.push(JSON.parse(JSON.stringify(objects[0])) as JsonObject);
  const data: JsonValue = draw.single && objects.length === 1 ? objects[0]! : objects;
  return {
    id: draw.id,
    type: "network_capabilities",
    timestamp: draw.numericTimestamp ? ts : String(ts),
    gateway: draw.gateway,
    data,
  };
}

// ---------------------------------------------------------------------------------------------
// Events and streams
// ---------------------------------------------------------------------------------------------

/**
 * Options of {@link capabilityEventArbitrary}.
 *
 * @category Arbitraries
 */
export interface CapabilityEventOptions extends CapabilityPoolOptions {
  /** Earliest envelope timestamp, epoch ms. Default 1 767 800 000 000 (2026-01-07). */
  readonly tsMin?: number;
  /** Latest envelope timestamp, epoch ms. Default 1 768 000 000 000 (2026-01-09). */
  readonly tsMax?: number;
}

/**
 * A full `network_capabilities` envelope `{id, type, timestamp, gateway, data}` that passes the
 * quality gate: `timestamp` as a number or a digit string, `data` an array of orchestrator
 * objects drawn from a small wallet pool (so one event can list a hot wallet under two canonical
 * orchestrators, several models per wallet, GPU-rich and hardware-less orchestrators, and a
 * duplicated object), occasionally a single object, occasionally empty.
 *
 * @category Arbitraries
 * @example
 * fc.assert(fc.property(capabilityEventArbitrary(), (env) => runGate({ value: JSON.stringify(env) }, { now: 0 }).ok));
 */
export function capabilityEventArbitrary(
  options: CapabilityEventOptions = {},
): fc.Arbitrary<JsonObject> {
  const tsMin = options.tsMin ?? 1_767_800_000_000;
  const tsMax = Math.max(tsMin, options.tsMax ?? 1_768_000_000_000);
  return poolArbitrary(options, 0).chain((pool) =>
    fc
      .tuple(fc.noBias(fc.integer({ min: tsMin, max: tsMax })), eventDrawArb(pool.nodes.length))
      .map(([ts, draw]) => buildEvent(pool.nodes, draw, ts, () => true)),
  );
}

/**
 * Options of {@link capabilityStreamArbitrary}.
 *
 * @category Arbitraries
 */
export interface CapabilityStreamOptions extends CapabilityPoolOptions {
  /**
   * End of the time range, epoch ms. Default 1 767 900 600 000: ten minutes after the sessions
   * of `lifecycleStreamArbitrary` start, so streams and sessions overlap.
   */
  readonly end?: number;
  /** Start of the time range, epoch ms. Default `end` − 30 h. */
  readonly start?: number;
  /** Maximum number of events. Default 8. */
  readonly maxEvents?: number;
  /** Probability that a canonical orchestrator is stale (last seen > 24 h before `end`). Default 0.25. */
  readonly staleProbability?: number;
}

/**
 * A generated capability stream: the wallet pool and its events in time order.
 *
 * @category Arbitraries
 */
export interface CapabilityStream {
  /** The pool's hot wallets with their canonical orchestrators (lower-case). */
  readonly wallets: readonly CapabilityWallet[];
  /** `network_capabilities` envelopes sorted by timestamp (ties keep generation order). */
  readonly events: JsonObject[];
}

/**
 * A time-ordered list of `network_capabilities` events over `[start, end]` for a fixed pool of
 * hot wallets: some hot wallets are shared by two canonical orchestrators, some canonical
 * orchestrators equal their hot wallet (single-node), some run two nodes (two URIs), wallets
 * advertise several model families, every event re-lists (refreshes) the pool with new
 * casing, capacity in use and free memory, and stale orchestrators appear only in events older
 * than 24 h relative to `end`. About half of the event times fall in the last hour of the range.
 * Hardware-less orchestrators outside the pool are listed too (they yield no snapshots).
 *
 * @category Arbitraries
 */
export function capabilityStreamArbitrary(
  options: CapabilityStreamOptions = {},
): fc.Arbitrary<CapabilityStream> {
  const end = options.end ?? 1_767_900_600_000;
  const start = Math.min(end, options.start ?? end - 30 * HOUR_MS);
  const staleCut = end - DAY_MS;
  const maxEvents = Math.max(1, options.maxEvents ?? 8);
  const timeArb = fc.oneof(
    fc.noBias(fc.integer({ min: start, max: end })),
    fc.noBias(fc.integer({ min: Math.max(start, end - HOUR_MS), max: end })),
  );
  return poolArbitrary(options, options.staleProbability ?? 0.25).chain((pool) => {
    const hasStale = staleCut > start && pool.nodes.some((n) => n.stale);
    const times = fc
      .tuple(
        fc.array(timeArb, { minLength: 1, maxLength: maxEvents }),
        hasStale
          ? fc.noBias(fc.integer({ min: start, max: staleCut - 1 })).map((t) => [t])
          : fc.constant<number[]>([]),
      )
      .map(([a, b]) => [...a, ...b].sort((x, y) => x - y));
    return times.chain((ts) =>
      fc
        .array(eventDrawArb(pool.nodes.length), { minLength: ts.length, maxLength: ts.length })
        .map((draws): CapabilityStream => ({
          wallets: pool.wallets,
          events: ts.map((t, i) =>
            buildEvent(pool.nodes, draws[i]!, t, (n) => !n.stale || t < staleCut),
          ),
        })),
    );
  });
}

/**
 * Delays some items relative to the others: every item with `isLate(item)` gets a random delay
 * in `[0, maxDelayMs]` added to `timeOf(item)`, and the list is ordered by that effective time
 * (ties keep input order). Items that are not late keep their relative order. Use it to make
 * capability inputs arrive after the signals that need them.
 *
 * @category Arbitraries
 * @example
 * withLateCapabilities(fc.constant(inputs), inputTime, (i) => i.kind === "capability", 60_000)
 */
export function withLateCapabilities<T>(
  items: fc.Arbitrary<T[]>,
  timeOf: (t: T) => number,
  isLate: (t: T) => boolean,
  maxDelayMs: number,
): fc.Arbitrary<T[]> {
  const max = Math.max(0, Math.floor(maxDelayMs));
  return items.chain((xs) =>
    fc
      .array(fc.noBias(fc.integer({ min: 0, max })), {
        minLength: xs.length,
        maxLength: xs.length,
      })
      .map((delays) =>
        xs
          .map((x, i) => ({ x, i, k: timeOf(x) + (isLate(x) ? delays[i]! : 0) }))
          .sort((a, b) => a.k - b.k || a.i - b.i)
          .map((e) => e.x),
      ),
  );
}
