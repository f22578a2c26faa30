import { describe, it, expect } from "vitest";
import fc from "fast-check";
import { readRealFixture } from "@livepeer-analytics/testing/fixtures";
import { loadContainer } from "../events/containers.js";
import { parseCapabilitySnapshots } from "../events/network-capabilities.js";
import { runGate } from "../quality/gate.js";
import type { TransportRecord } from "../events/transport.js";
import { compareKey, compareStrings, eqModel, isBlank, normAddr } from "../primitives/strings.js";
import { attributionBand, freshnessClass } from "./bands.js";
import {
  DEFAULT_ATTRIBUTION_CONFIG,
  REFERENCE_COMPAT_ATTRIBUTION_CONFIG,
  bucketOf,
  candidateKey,
  candidatesOf,
  createCapabilityIndex,
  ingestSnapshotInPlace,
  upsertCandidateInPlace,
} from "./candidates.js";
import { resolvePipelineModel } from "./resolver.js";
import {
  eligibleSnapshotRange,
  futureReachOf,
  identityFallbackAddress,
  isCompatible,
  isEligibleDelta,
  isEligibleSnapshot,
  priorReachOf,
  select,
  selectCandidate,
} from "./select.js";
import type {
  AttributionConfig,
  Bucket,
  Candidate,
  CapabilityIndex,
  SelectionContext,
  SelectionOutcome,
} from "./types.js";

const TTL = 86_400_000;
const SD = "streamdiffusion-sdxl";
const LLAMA = "meta-llama/Meta-Llama-3.1-8B-Instruct";
const D003 = "0xd00354656922168815fcd1e51cbddb9e359e3c7f";
const GPU_6F1B = "GPU-6f1bacf5-d5be-9cad-aa38-e35f905daebe";
const KEY = "0xhot";

const PRESETS: ReadonlyArray<readonly [string, AttributionConfig]> = [
  ["default", DEFAULT_ATTRIBUTION_CONFIG],
  ["REFERENCE_COMPAT", REFERENCE_COMPAT_ATTRIBUTION_CONFIG],
];

function cand(over: Partial<Candidate> = {}): Candidate {
  return {
    snapshotTs: 10_000,
    sourceEventId: "evt",
    canonicalOrchestratorAddress: D003,
    orchestratorUrl: "",
    pipeline: "live-video-to-video",
    modelId: SD,
    gpuId: null,
    capacityUnits: null,
    ...over,
  };
}

/** A bucket built through the cache (reference time = each candidate's own time). */
function bucketWith(
  cands: readonly Candidate[],
  config: AttributionConfig,
  k = config.maxCandidatesPerKey,
): Bucket | undefined {
  const index = createCapabilityIndex();
  const cfg = { ...config, maxCandidatesPerKey: k };
  for (const c of cands) upsertCandidateInPlace(index, KEY, c, c.snapshotTs, cfg);
  return bucketOf(index, KEY);
}

function ctx(
  modelHint: string | null,
  signalTs: number,
  urlHint: string | null = null,
  gpuHint: string | null = null,
): SelectionContext {
  return { modelHint, urlHint, gpuHint, signalTs, ttlMs: TTL };
}

function indexOfEvent(line: TransportRecord["value"], config: AttributionConfig): CapabilityIndex {
  const r = runGate({ value: line }, { now: 0 });
  if (!r.ok) throw new Error(r.envelope.failure.reason);
  const index = createCapabilityIndex();
  for (const s of parseCapabilitySnapshots(r.event).rows) {
    ingestSnapshotInPlace(index, s, null, config);
  }
  return index;
}

const selected = (o: SelectionOutcome): Candidate => {
  if (o.code !== "selected") throw new Error(`expected a selection, got ${o.code}`);
  return o.candidate;
};

// ---------------------------------------------------------------------------------------------
// attribution.md §9.1
// ---------------------------------------------------------------------------------------------

describe.each(PRESETS)("CapabilityAttributionSelectorTest (%s)", (_name, config) => {
  it("selectsCompatibleCandidateInsteadOfIncompatibleLatest", () => {
    const bucket = bucketWith(
      [
        cand({ modelId: LLAMA, snapshotTs: 1000 }),
        cand({ modelId: SD, snapshotTs: 2000, gpuId: "GPU-1" }),
      ],
      config,
      8,
    );
    const got = select(bucket, ctx(SD, 2500), config);
    expect(got?.modelId).toBe(SD);
    expect(got?.gpuId).toBe("GPU-1");
  });

  it("prefersNearestPriorWithinTtlOverNearestFutureWithinTtl", () => {
    const bucket = bucketWith(
      [
        cand({ snapshotTs: 9000, gpuId: "GPU-prior" }),
        cand({ snapshotTs: 11000, gpuId: "GPU-future" }),
      ],
      config,
    );
    expect(select(bucket, ctx(SD, 10_000), config)?.gpuId).toBe("GPU-prior");
  });

  it("returnsNullWhenNoCompatibleCandidateExists", () => {
    const bucket = bucketWith([cand({ modelId: LLAMA, snapshotTs: 1000 })], config);
    expect(select(bucket, ctx(SD, 2000), config)).toBeNull();
  });

  it("enforcesBucketBoundAndPrunesVeryStaleCandidates", () => {
    const cfg = { ...config, maxCandidatesPerKey: 3 };
    const index = createCapabilityIndex();
    const put = (modelId: string, ts: number, ref: number): void => {
      upsertCandidateInPlace(index, KEY, cand({ modelId, snapshotTs: ts }), ref, cfg);
    };
    put("old-model", 0, 5 * TTL);
    put("model-a", 5 * TTL - 20, 5 * TTL);
    put("model-b", 5 * TTL - 10, 5 * TTL);
    put("model-c", 5 * TTL, 5 * TTL);
    put("model-d", 5 * TTL + 10, 5 * TTL + 10);
    const models = candidatesOf(bucketOf(index, KEY)).map((c) => c.modelId);
    expect(models.length).toBeLessThanOrEqual(3);
    expect(models).not.toContain("old-model");
    expect(models.sort()).toEqual(["model-b", "model-c", "model-d"]);
  });

  it("prodRegression_streamdiffusionSignalMustNotSelectLlamaCandidate", () => {
    const bucket = bucketWith(
      [
        cand({ modelId: SD, snapshotTs: 1739040506612, gpuId: GPU_6F1B }),
        cand({ modelId: LLAMA, snapshotTs: 1739040509903, pipeline: "llm" }),
        cand({ modelId: SD, snapshotTs: 1739040519000, gpuId: GPU_6F1B }),
      ],
      config,
      32,
    );
    const got = select(bucket, ctx(SD, 1739041800304), config);
    expect(got?.modelId).toBe(SD);
    expect(got?.gpuId).toBe(GPU_6F1B);
  });

  it("prodRegression_reproducesPrefixDriftAndValidatesPipelineFallbackFix", () => {
    const bucket = bucketWith(
      [
        cand({ modelId: SD, snapshotTs: 1739040506612, gpuId: GPU_6F1B }),
        cand({ modelId: LLAMA, snapshotTs: 1739040509903, pipeline: "llm" }),
      ],
      config,
    );
    const t = 1739040510000;
    // Drift reproduced: an empty hint accepts the nearest (llama) snapshot.
    expect(select(bucket, ctx("", t), config)?.modelId).toBe(LLAMA);
    // Fix: the pre-selection resolver falls back to the session's model id for a trace signal.
    const pre = resolvePipelineModel(
      "legacy_misnamed",
      { pipeline: null, pipelineHint: null, modelHint: null },
      "live-video-to-video",
      SD,
      null,
    );
    expect(pre.compatibilityModelHint).toBe(SD);
    const got = select(bucket, ctx(pre.compatibilityModelHint, t), config);
    expect(got?.modelId).toBe(SD);
    expect(got?.gpuId).toBe(GPU_6F1B);
  });

  it("prodRegression_incompatibleFreshSnapshotMustNotBeSelected", () => {
    const bucket = bucketWith([cand({ modelId: LLAMA, snapshotTs: 1739040509903 })], config);
    expect(select(bucket, ctx(SD, 1739040510000), config)).toBeNull();
  });

  it("returnsNullWhenCompatibleInTtlCandidatesSpanMultipleCanonicalOrchestrators", () => {
    const bucket = bucketWith(
      [
        cand({ snapshotTs: 10_000, canonicalOrchestratorAddress: "0xcanonical-a", gpuId: "GPU-A" }),
        cand({ snapshotTs: 10_100, canonicalOrchestratorAddress: "0xcanonical-b", gpuId: "GPU-B" }),
      ],
      config,
    );
    expect(select(bucket, ctx(SD, 10_120), config)).toBeNull();
    expect(selectCandidate(bucket, ctx(SD, 10_120), config).code).toBe("ambiguous_canonical");
  });

  it("prefersExactOrchestratorUrlWhenModelAndTimeTie", () => {
    const bucket = bucketWith(
      [
        cand({ orchestratorUrl: "https://orch-a.example" }),
        cand({ orchestratorUrl: "https://orch-b.example" }),
      ],
      config,
    );
    const got = select(bucket, ctx(SD, 10_010, "https://orch-b.example", null), config);
    expect(got?.orchestratorUrl).toBe("https://orch-b.example");
  });

  it("prefersGpuHintWhenUriAndModelTie", () => {
    const url = "https://orch.example";
    const bucket = bucketWith(
      [
        cand({ orchestratorUrl: url, gpuId: "GPU-A" }),
        cand({ orchestratorUrl: url, gpuId: "GPU-B" }),
      ],
      config,
    );
    expect(select(bucket, ctx(SD, 10_020, url, "GPU-A"), config)?.gpuId).toBe("GPU-A");
    expect(select(bucket, ctx(SD, 10_020, url, "GPU-B"), config)?.gpuId).toBe("GPU-B");
  });

  it("preservesDistinctCandidatesWithSameModelAndTimestampDifferentSourceEventId", () => {
    const bucket = bucketWith(
      [
        cand({ sourceEventId: "evt-a", orchestratorUrl: "https://orch-a.example", gpuId: "GPU-A" }),
        cand({ sourceEventId: "evt-b", orchestratorUrl: "https://orch-b.example", gpuId: "GPU-B" }),
      ],
      config,
    );
    expect(candidatesOf(bucket)).toHaveLength(2);
  });
});

// ---------------------------------------------------------------------------------------------
// attribution.md §5.9
// ---------------------------------------------------------------------------------------------

describe("worked examples (attribution.md §5.9)", () => {
  const config = DEFAULT_ATTRIBUTION_CONFIG;

  it("mixed-model wallet", () => {
    const bucket = bucketWith(
      [
        cand({ modelId: SD, snapshotTs: 1739040506612, gpuId: GPU_6F1B }),
        cand({ modelId: LLAMA, snapshotTs: 1739040509903, pipeline: "llm" }),
        cand({ modelId: SD, snapshotTs: 1739040519000, gpuId: GPU_6F1B }),
      ],
      config,
    );
    const o = selectCandidate(bucket, ctx(SD, 1739041800304), config, KEY);
    expect(o).toEqual({
      code: "selected",
      candidate: cand({ modelId: SD, snapshotTs: 1739040519000, gpuId: GPU_6F1B }),
      freshnessClass: 1,
      method: "nearest_prior_snapshot",
      confidence: Math.fround(0.9),
    });
    expect(1739041800304 - selected(o).snapshotTs).toBe(1_281_304);
  });

  it("empty hint", () => {
    const bucket = bucketWith(
      [
        cand({ modelId: SD, snapshotTs: 1739040506612 }),
        cand({ modelId: LLAMA, snapshotTs: 1739040509903 }),
      ],
      config,
    );
    const o = selectCandidate(bucket, ctx("", 1739040510000), config);
    expect(selected(o).modelId).toBe(LLAMA);
    expect(1739040510000 - selected(o).snapshotTs).toBe(97);
  });

  it("fresh but incompatible", () => {
    const bucket = bucketWith([cand({ modelId: LLAMA, snapshotTs: 1739040509903 })], config);
    expect(selectCandidate(bucket, ctx(SD, 1739040510000), config).code).toBe(
      "no_compatible_candidate",
    );
  });

  it("two canonicals", () => {
    const bucket = bucketWith(
      [
        cand({ snapshotTs: 10_000, canonicalOrchestratorAddress: "0xcanonical-a" }),
        cand({ snapshotTs: 10_100, canonicalOrchestratorAddress: "0xcanonical-b" }),
      ],
      config,
    );
    expect(selectCandidate(bucket, ctx(SD, 10_120), config).code).toBe("ambiguous_canonical");
  });

  it("URL tie-break", () => {
    const bucket = bucketWith(
      [
        cand({ orchestratorUrl: "https://orch-a.example" }),
        cand({ orchestratorUrl: "https://orch-b.example" }),
      ],
      config,
    );
    const o = selectCandidate(bucket, ctx(SD, 10_010, "https://orch-b.example"), config);
    expect(selected(o).orchestratorUrl).toBe("https://orch-b.example");
    expect(o).toMatchObject({ freshnessClass: 1, method: "nearest_prior_snapshot" });
  });
});

// ---------------------------------------------------------------------------------------------
// attribution.md §9.12 (selection rows)
// ---------------------------------------------------------------------------------------------

/** Example A's first orchestrator (attribution.md §1.8), as a network_capabilities envelope. */
const EXAMPLE_A_TS = 1770063008615;
const EXAMPLE_A_LINE = JSON.stringify({
  id: "bcca7b6c-e09e-4567-a34a-2c4f5200a8e8",
  type: "network_capabilities",
  timestamp: String(EXAMPLE_A_TS),
  gateway: "",
  data: [
    {
      address: "0x9D61ae5875E89036FBf6059f3116d01a22ACe3C8",
      local_address: "0xcdF93B13EFCf63f84f2afFB01BeC48A5c096C69E",
      orch_uri: "https://rtv.nullworks.xyz:9924",
      capabilities: {
        capacities: { "0": 1, "35": 1 },
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
        {
          pricePerUnit: 2149,
          pixelsPerUnit: 1,
          capability: 35,
          constraint: "streamdiffusion-sdxl",
        },
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
    },
  ],
});
const NULLWORKS = "https://rtv.nullworks.xyz:9924";
const HOT_CDF9 = "0xcdf93b13efcf63f84f2affb01bec48a5c096c69e";
const CANON_9D61 = "0x9d61ae5875e89036fbf6059f3116d01a22ace3c8";
const GPU_1E70 = "GPU-1e7025d4-a3dd-5371-daec-b666af6ec29c";

describe("SDK selection cases (attribution.md §9.12)", () => {
  it("ambiguity on real shared wallet", () => {
    const ts = 1_770_000_000_000;
    const loaded = loadContainer(readRealFixture("getNetworkCapabilities.json"), {
      snapshotTimestamp: ts,
    });
    const index = indexOfEvent(loaded.records[0]!.value, DEFAULT_ATTRIBUTION_CONFIG);
    const hot = "0x52cf2968b3dc6016778742d3539449a6597d5954";
    const bucket = bucketOf(index, hot);
    expect(new Set(candidatesOf(bucket).map((c) => c.canonicalOrchestratorAddress))).toEqual(
      new Set([D003, "0x5263e0ce3a97b634d8828ce4337ad0f70b30b077"]),
    );
    const context = ctx(LLAMA, ts + 5_000);
    expect(select(bucket, context, DEFAULT_ATTRIBUTION_CONFIG)).toBeNull();
    expect(selectCandidate(bucket, context, DEFAULT_ATTRIBUTION_CONFIG, hot).code).toBe(
      "ambiguous_canonical",
    );
    // Same outcome under the reference preset; the URL hint does not narrow the reference scope.
    const withUrl = ctx(LLAMA, ts, "https://livepeer-ai.xodeapp.xyz:18935");
    expect(selectCandidate(bucket, withUrl, REFERENCE_COMPAT_ATTRIBUTION_CONFIG).code).toBe(
      "ambiguous_canonical",
    );
    // The optional url_narrowed scope resolves it.
    const narrowed: AttributionConfig = {
      ...DEFAULT_ATTRIBUTION_CONFIG,
      ambiguityScope: "url_narrowed",
    };
    const o = selectCandidate(bucket, withUrl, narrowed, hot);
    expect(selected(o).canonicalOrchestratorAddress).toBe(D003);
    expect(o).toMatchObject({ method: "exact_orchestrator_time_match", confidence: 1 });
    // Lookup by canonical address is unambiguous.
    expect(select(bucketOf(index, D003), context, DEFAULT_ATTRIBUTION_CONFIG)?.modelId).toBe(LLAMA);
  });

  it("multi-GPU tie", () => {
    for (const config of [DEFAULT_ATTRIBUTION_CONFIG, REFERENCE_COMPAT_ATTRIBUTION_CONFIG]) {
      const index = indexOfEvent(EXAMPLE_A_LINE, config);
      expect(Object.keys(index.buckets).sort()).toEqual([HOT_CDF9, CANON_9D61].sort());
      expect(candidatesOf(bucketOf(index, HOT_CDF9))).toHaveLength(2);
      for (const key of [HOT_CDF9, CANON_9D61]) {
        const o = selectCandidate(
          bucketOf(index, key),
          ctx(SD, EXAMPLE_A_TS, NULLWORKS),
          config,
          key,
        );
        expect(o).toEqual({
          code: "selected",
          candidate: {
            snapshotTs: EXAMPLE_A_TS,
            sourceEventId: "bcca7b6c-e09e-4567-a34a-2c4f5200a8e8",
            canonicalOrchestratorAddress: CANON_9D61,
            orchestratorUrl: NULLWORKS,
            pipeline: "live-video-to-video",
            modelId: SD,
            gpuId: GPU_1E70,
            capacityUnits: 1,
          },
          freshnessClass: 0,
          method: "exact_orchestrator_time_match",
          confidence: 1,
        });
      }
    }
  });

  it("future reach", () => {
    const signalTs = 1770062064713;
    expect(EXAMPLE_A_TS - signalTs).toBe(943_902);
    const context = ctx(SD, signalTs, NULLWORKS);
    const def = indexOfEvent(EXAMPLE_A_LINE, DEFAULT_ATTRIBUTION_CONFIG);
    expect(
      selectCandidate(bucketOf(def, HOT_CDF9), context, DEFAULT_ATTRIBUTION_CONFIG, HOT_CDF9).code,
    ).toBe("no_eligible_candidate");

    const unbounded: AttributionConfig = { ...DEFAULT_ATTRIBUTION_CONFIG, futureReachMs: null };
    const o = selectCandidate(bucketOf(def, HOT_CDF9), context, unbounded, HOT_CDF9);
    expect(selected(o).gpuId).toBe(GPU_1E70);
    expect(o).toMatchObject({
      freshnessClass: 2,
      method: "nearest_snapshot_within_ttl",
      confidence: Math.fround(0.7),
    });
    const ref = indexOfEvent(EXAMPLE_A_LINE, REFERENCE_COMPAT_ATTRIBUTION_CONFIG);
    expect(
      select(bucketOf(ref, HOT_CDF9), context, REFERENCE_COMPAT_ATTRIBUTION_CONFIG)?.gpuId,
    ).toBe(GPU_1E70);
  });
});

// ---------------------------------------------------------------------------------------------
// attribution.md §5.2–5.7 details
// ---------------------------------------------------------------------------------------------

describe("outcome codes (attribution.md §5.7)", () => {
  const config = DEFAULT_ATTRIBUTION_CONFIG;
  const one = bucketWith([cand({ snapshotTs: 10_000 })], config);

  it("no_lookup_key takes precedence over everything", () => {
    expect(selectCandidate(one, ctx(SD, 10_000), config, "")).toEqual({ code: "no_lookup_key" });
    expect(selectCandidate(undefined, ctx(SD, 10_000), config, "")).toEqual({
      code: "no_lookup_key",
    });
    expect(selectCandidate(one, ctx(SD, 10_000), config, KEY).code).toBe("selected");
  });

  it("no_candidates: no bucket or an empty bucket", () => {
    expect(selectCandidate(undefined, ctx(SD, 10_000), config, KEY)).toEqual({
      code: "no_candidates",
    });
    expect(selectCandidate({ candidates: {}, highWatermarkTs: null }, ctx(SD, 1), config)).toEqual({
      code: "no_candidates",
    });
    expect(select(undefined, ctx(SD, 1), config)).toBeNull();
  });

  it("ambiguous_canonical precedes no_compatible/no_eligible and uses normalized canonicals", () => {
    const bucket = bucketWith(
      [
        cand({ canonicalOrchestratorAddress: "0xA" }),
        cand({ canonicalOrchestratorAddress: " 0xa ", gpuId: "GPU-2" }),
        cand({ canonicalOrchestratorAddress: "0xb", modelId: LLAMA }),
      ],
      config,
    );
    // 0xA and " 0xa " are one identity; the llama candidate is not compatible with the sd hint.
    expect(selectCandidate(bucket, ctx(SD, 10_000), config).code).toBe("selected");
    expect(selectCandidate(bucket, ctx("", 10_000), config).code).toBe("ambiguous_canonical");
  });

  it("blank canonicals never make a selection ambiguous", () => {
    const bucket = bucketWith(
      [
        cand({ canonicalOrchestratorAddress: "" }),
        cand({ canonicalOrchestratorAddress: "0xb", gpuId: "G" }),
      ],
      config,
    );
    expect(selectCandidate(bucket, ctx(SD, 10_000), config).code).toBe("selected");
  });

  it("no_compatible_candidate", () => {
    expect(selectCandidate(one, ctx(LLAMA, 10_000), config)).toEqual({
      code: "no_compatible_candidate",
    });
  });

  it("no_eligible_candidate: beyond the stale window or the future reach", () => {
    const staleBound = TTL + (config.staleWindowMs ?? 0);
    expect(selectCandidate(one, ctx(SD, 10_000 + staleBound), config).code).toBe("selected");
    expect(selectCandidate(one, ctx(SD, 10_000 + staleBound + 1), config)).toEqual({
      code: "no_eligible_candidate",
    });
    const reach = config.futureReachMs ?? 0;
    expect(selectCandidate(one, ctx(SD, 10_000 - reach), config).code).toBe("selected");
    expect(selectCandidate(one, ctx(SD, 10_000 - reach - 1), config).code).toBe(
      "no_eligible_candidate",
    );
    // REFERENCE_COMPAT: unbounded windows.
    const ref = REFERENCE_COMPAT_ATTRIBUTION_CONFIG;
    expect(selectCandidate(one, ctx(SD, 10_000 + 10 * TTL), ref)).toMatchObject({
      code: "selected",
      freshnessClass: 3,
      method: "proxy_address_join",
      confidence: Math.fround(0.4),
    });
    expect(selectCandidate(one, ctx(SD, 10_000 - 10 * TTL), ref)).toMatchObject({
      code: "selected",
      freshnessClass: 4,
      method: "proxy_address_join",
    });
  });

  it("selected: stale prior within the stale window is proxy_address_join", () => {
    expect(selectCandidate(one, ctx(SD, 10_000 + TTL + 1), config)).toEqual({
      code: "selected",
      candidate: cand({ snapshotTs: 10_000 }),
      freshnessClass: 3,
      method: "proxy_address_join",
      confidence: Math.fround(0.4),
    });
  });

  it("ineligible or out-of-TTL candidates never make a selection ambiguous", () => {
    const bucket = bucketWith(
      [
        cand({ snapshotTs: 10_000, canonicalOrchestratorAddress: "0xa" }),
        // future beyond futureReachMs (ineligible by default)
        cand({ snapshotTs: 10_000 + 700_000, canonicalOrchestratorAddress: "0xb" }),
        // stale prior (eligible, but |Δ| > ttl)
        cand({ snapshotTs: 10_000 - TTL - 5, canonicalOrchestratorAddress: "0xc" }),
      ],
      config,
    );
    const o = selectCandidate(bucket, ctx(SD, 10_000), config);
    expect(selected(o).canonicalOrchestratorAddress).toBe("0xa");
    // With unbounded reach the future candidate is within TTL and the selection becomes ambiguous.
    expect(selectCandidate(bucket, ctx(SD, 10_000), REFERENCE_COMPAT_ATTRIBUTION_CONFIG).code).toBe(
      "ambiguous_canonical",
    );
  });
});

describe("ranking (attribution.md §5.4)", () => {
  const config = REFERENCE_COMPAT_ATTRIBUTION_CONFIG;

  it("URL agreement outranks freshness", () => {
    const t = 200 * 3_600_000;
    const old = cand({
      snapshotTs: t - 30 * 3_600_000,
      orchestratorUrl: "https://a",
      gpuId: "GPU-OLD",
    });
    const exact = cand({ snapshotTs: t, orchestratorUrl: "https://b" });
    const bucket = bucketOfAll([old, exact]);
    expect(selectCandidate(bucket, ctx(SD, t, " HTTPS://A "), config)).toMatchObject({
      code: "selected",
      candidate: old,
      freshnessClass: 3,
    });
    expect(select(bucket, ctx(SD, t), config)).toEqual(exact);
  });

  it("GPU agreement outranks freshness but not URL agreement", () => {
    const a = cand({ snapshotTs: 9_000, orchestratorUrl: "https://a", gpuId: "GPU-1" });
    const b = cand({ snapshotTs: 10_000, orchestratorUrl: "https://b", gpuId: "GPU-2" });
    const bucket = bucketOfAll([a, b]);
    expect(select(bucket, ctx(SD, 10_000, null, "gpu-1"), config)).toEqual(a);
    expect(select(bucket, ctx(SD, 10_000, "https://b", "GPU-1"), config)).toEqual(b);
  });

  it("an exact model match beats a fresher blank-model candidate", () => {
    const blank = cand({ snapshotTs: 10_000, modelId: " " });
    const exact = cand({ snapshotTs: 1_000, modelId: "StreamDiffusion-SDXL " });
    const bucket = bucketOfAll([blank, exact]);
    expect(select(bucket, ctx(SD, 10_000), config)).toEqual(exact);
    // With a blank hint both rank 1: freshness decides.
    expect(select(bucket, ctx(null, 10_000), config)).toEqual(blank);
  });

  it("prior beats future at equal |Δ|; then nearest; stale prior beats stale future", () => {
    const prior = cand({ snapshotTs: 9_000, gpuId: "P" });
    const future = cand({ snapshotTs: 11_000, gpuId: "F" });
    expect(select(bucketOfAll([future, prior]), ctx(SD, 10_000), config)).toEqual(prior);
    const near = cand({ snapshotTs: 9_500, gpuId: "N" });
    expect(select(bucketOfAll([prior, near]), ctx(SD, 10_000), config)).toEqual(near);
    const stalePrior = cand({ snapshotTs: 10_000 - 3 * TTL, gpuId: "SP" });
    const staleFuture = cand({ snapshotTs: 10_000 + TTL + 1, gpuId: "SF" });
    expect(select(bucketOfAll([staleFuture, stalePrior]), ctx(SD, 10_000), config)).toEqual(
      stalePrior,
    );
  });

  it("final tie-breaks: key(model), key(url), key(gpu), candidate key", () => {
    const x = cand({ modelId: "b-model", gpuId: "GPU-Z" });
    const y = cand({ modelId: "a-model", gpuId: "GPU-Z" });
    expect(select(bucketOfAll([x, y]), ctx("", 10_000), config)).toEqual(y);
    const u1 = cand({ orchestratorUrl: "https://b" });
    const u2 = cand({ orchestratorUrl: "https://A" });
    expect(select(bucketOfAll([u1, u2]), ctx(SD, 10_000), config)).toEqual(u2);
    const g1 = cand({ gpuId: "GPU-c391d107" });
    const g2 = cand({ gpuId: "GPU-1e7025d4" });
    expect(select(bucketOfAll([g1, g2]), ctx(SD, 10_000), config)).toEqual(g2);
    const e1 = cand({ sourceEventId: "evt-b" });
    const e2 = cand({ sourceEventId: "evt-a" });
    expect(select(bucketOfAll([e1, e2]), ctx(SD, 10_000), config)).toEqual(e2);
    const p1 = cand({ pipeline: "llm" });
    const p2 = cand({ pipeline: "live-video-to-video" });
    expect(select(bucketOfAll([p1, p2]), ctx(SD, 10_000), config)).toEqual(p2);
  });
});

describe("url_narrowed ambiguity scope (attribution.md §5.3)", () => {
  const narrowed: AttributionConfig = {
    ...DEFAULT_ATTRIBUTION_CONFIG,
    ambiguityScope: "url_narrowed",
  };
  const a = cand({ canonicalOrchestratorAddress: "0xa", orchestratorUrl: "https://a.example" });
  const b = cand({ canonicalOrchestratorAddress: "0xb", orchestratorUrl: "https://b.example" });
  const b2 = cand({
    canonicalOrchestratorAddress: "0xc",
    orchestratorUrl: "https://B.example ",
    gpuId: "G",
  });

  it("a matching URL narrows the canonical set", () => {
    const bucket = bucketWith([a, b], narrowed);
    expect(select(bucket, ctx(SD, 10_000, "https://b.example"), narrowed)).toEqual(b);
    expect(
      selectCandidate(bucket, ctx(SD, 10_000, "https://b.example"), DEFAULT_ATTRIBUTION_CONFIG)
        .code,
    ).toBe("ambiguous_canonical");
  });

  it("no matching URL, or a blank URL hint, falls back to the full set", () => {
    const bucket = bucketWith([a, b], narrowed);
    expect(selectCandidate(bucket, ctx(SD, 10_000, "https://c.example"), narrowed).code).toBe(
      "ambiguous_canonical",
    );
    expect(selectCandidate(bucket, ctx(SD, 10_000, " "), narrowed).code).toBe(
      "ambiguous_canonical",
    );
  });

  it("two canonicals behind the same URL stay ambiguous", () => {
    const bucket = bucketWith([a, b, b2], narrowed);
    expect(selectCandidate(bucket, ctx(SD, 10_000, "https://b.example"), narrowed).code).toBe(
      "ambiguous_canonical",
    );
  });

  it("URL matches outside the TTL do not narrow", () => {
    const staleB = cand({ ...b, snapshotTs: 10_000 - TTL - 1 });
    const bucket = bucketWith(
      [a, staleB, cand({ canonicalOrchestratorAddress: "0xd", gpuId: "X" })],
      narrowed,
    );
    expect(selectCandidate(bucket, ctx(SD, 10_000, "https://b.example"), narrowed).code).toBe(
      "ambiguous_canonical",
    );
  });
});

describe("isCompatible (attribution.md §5.2)", () => {
  it("blank hint or blank model accepts; otherwise trim + case-insensitive equality", () => {
    expect(isCompatible("", { modelId: LLAMA })).toBe(true);
    expect(isCompatible(null, { modelId: LLAMA })).toBe(true);
    expect(isCompatible(SD, { modelId: " \t" })).toBe(true);
    expect(isCompatible(SD, { modelId: " StreamDiffusion-SDXL\n" })).toBe(true);
    expect(isCompatible(SD, { modelId: "streamdiffusion-sdxl-v2v" })).toBe(false);
    expect(isCompatible("text-to-image", { modelId: SD })).toBe(false);
    expect(isCompatible("\u00a0", { modelId: SD })).toBe(false);
  });
});

// ---------------------------------------------------------------------------------------------
// Properties (attribution.md §8 items 9–15)
// ---------------------------------------------------------------------------------------------

const T = 1_000_000;
const P_TTL = 1000;
const OFFSETS = [
  0, 1, -1, 200, -200, 201, -201, 1000, -1000, 1001, -1001, 1500, -1500, 1501, -1501,
];
const MODELS = [SD, " StreamDiffusion-SDXL", LLAMA, "", " ", "streamdiffusion-sdxl-v2v"];

const arbCandidate: fc.Arbitrary<Candidate> = fc.record({
  snapshotTs: fc
    .oneof(fc.constantFrom(...OFFSETS), fc.integer({ min: -2500, max: 2500 }))
    .map((o) => T - o),
  sourceEventId: fc.constantFrom("e1", "e2"),
  canonicalOrchestratorAddress: fc.constantFrom("0xa", "0xb", "0xc", "", "0XA "),
  orchestratorUrl: fc.constantFrom("https://a", "https://B", ""),
  pipeline: fc.constantFrom("llm", "live-video-to-video"),
  modelId: fc.constantFrom(...MODELS),
  gpuId: fc.constantFrom("GPU-A", "gpu-a", "GPU-B", null),
  capacityUnits: fc.constant(null),
});

const arbContext: fc.Arbitrary<SelectionContext> = fc.record({
  modelHint: fc.constantFrom(SD, LLAMA, "", null, "other-model"),
  urlHint: fc.constantFrom("https://a", "HTTPS://b ", "", null),
  gpuHint: fc.constantFrom("GPU-A", "GPU-B", "", null),
  signalTs: fc.constant(T),
  ttlMs: fc.constant(P_TTL),
});

const arbConfig: fc.Arbitrary<AttributionConfig> = fc.record({
  ttlMs: fc.constant(P_TTL),
  staleWindowMs: fc.constantFrom(null, 500),
  futureReachMs: fc.constantFrom(null, 200, 2000),
  allowedLatenessMs: fc.constant(0),
  maxCandidatesPerKey: fc.constant(10_000),
  pruning: fc.constant("watermark" as const),
  ambiguityScope: fc.constantFrom("reference" as const, "url_narrowed" as const),
});

const arbCandidates = fc.uniqueArray(arbCandidate, { selector: candidateKey, maxLength: 12 });

/** Bucket of `cands` in insertion order, nothing pruned or capped. */
function bucketOfAll(cands: readonly Candidate[]): Bucket | undefined {
  const index = createCapabilityIndex();
  const cfg = { ...DEFAULT_ATTRIBUTION_CONFIG, maxCandidatesPerKey: 10_000 };
  for (const c of cands) upsertCandidateInPlace(index, KEY, c, null, cfg);
  return bucketOf(index, KEY);
}

function eligibleFor(c: Candidate, context: SelectionContext, config: AttributionConfig): boolean {
  const d = context.signalTs - c.snapshotTs;
  if (d > 0) return config.staleWindowMs === null || d <= context.ttlMs + config.staleWindowMs;
  if (d < 0) return config.futureReachMs === null || -d <= config.futureReachMs;
  return true;
}

const modelRank = (c: Candidate, context: SelectionContext): number =>
  !isBlank(context.modelHint) && !isBlank(c.modelId) && eqModel(context.modelHint, c.modelId)
    ? 0
    : 1;

/** A brute-force oracle of §5.2–5.7, written as directly as the spec reads. */
function oracle(
  cands: readonly Candidate[],
  context: SelectionContext,
  config: AttributionConfig,
): SelectionOutcome {
  if (cands.length === 0) return { code: "no_candidates" };
  const compatible = cands.filter((c) => isCompatible(context.modelHint, c));
  const pool = compatible.filter((c) => eligibleFor(c, context, config));
  let inTtl = pool.filter((c) => Math.abs(context.signalTs - c.snapshotTs) <= context.ttlMs);
  if (config.ambiguityScope === "url_narrowed" && !isBlank(context.urlHint)) {
    const matching = inTtl.filter(
      (c) => compareKey(c.orchestratorUrl) === compareKey(context.urlHint),
    );
    if (matching.length > 0) inTtl = matching;
  }
  const canonicals = new Set(
    inTtl.map((c) => normAddr(c.canonicalOrchestratorAddress)).filter((a) => a !== ""),
  );
  if (canonicals.size > 1) return { code: "ambiguous_canonical" };
  if (compatible.length === 0) return { code: "no_compatible_candidate" };
  if (pool.length === 0) return { code: "no_eligible_candidate" };
  const tuple = (c: Candidate): Array<number | string> => [
    modelRank(c, context),
    !isBlank(context.urlHint) && compareKey(context.urlHint) === compareKey(c.orchestratorUrl)
      ? 0
      : 1,
    !isBlank(context.gpuHint) && compareKey(context.gpuHint) === compareKey(c.gpuId) ? 0 : 1,
    freshnessClass(context.signalTs, c.snapshotTs, context.ttlMs),
    Math.abs(context.signalTs - c.snapshotTs),
    -c.snapshotTs,
    compareKey(c.modelId),
    compareKey(c.orchestratorUrl),
    compareKey(c.gpuId),
    candidateKey(c),
  ];
  const cmp = (a: Candidate, b: Candidate): number => {
    const ta = tuple(a);
    const tb = tuple(b);
    for (let i = 0; i < ta.length; i++) {
      const x = ta[i]!;
      const y = tb[i]!;
      const d = typeof x === "number" ? x - (y as number) : compareStrings(x, y as string);
      if (d !== 0) return d;
    }
    return 0;
  };
  const best = [...pool].sort(cmp)[0]!;
  const band = attributionBand(context.signalTs, best.snapshotTs, context.ttlMs);
  return {
    code: "selected",
    candidate: best,
    freshnessClass: freshnessClass(context.signalTs, best.snapshotTs, context.ttlMs),
    method: band.method,
    confidence: band.confidence,
  };
}

describe("selection properties (attribution.md §8)", () => {
  it("agrees with a brute-force oracle of §5.2–5.7", () => {
    fc.assert(
      fc.property(arbCandidates, arbContext, arbConfig, (cands, context, config) => {
        expect(selectCandidate(bucketOfAll(cands), context, config, KEY)).toEqual(
          oracle(cands, context, config),
        );
      }),
    );
  });

  it("item 9: the result is null or a member of the bucket, compatible and eligible", () => {
    fc.assert(
      fc.property(arbCandidates, arbContext, arbConfig, (cands, context, config) => {
        const bucket = bucketOfAll(cands);
        const got = select(bucket, context, config);
        if (got === null) return;
        expect(candidatesOf(bucket)).toContain(got);
        expect(isCompatible(context.modelHint, got)).toBe(true);
        expect(eligibleFor(got, context, config)).toBe(true);
      }),
    );
  });

  it("item 10: adding incompatible candidates never changes the result", () => {
    fc.assert(
      fc.property(
        arbCandidates,
        arbCandidates,
        arbContext.filter((c) => !isBlank(c.modelHint)),
        arbConfig,
        (base, extra, context, config) => {
          const incompatible = extra.filter((c) => !isCompatible(context.modelHint, c));
          const before = selectCandidate(bucketOfAll(base), context, config);
          const after = selectCandidate(bucketOfAll([...base, ...incompatible]), context, config);
          expect(select(bucketOfAll([...incompatible, ...base]), context, config)).toEqual(
            before.code === "selected" ? before.candidate : null,
          );
          if (base.length > 0) expect(after).toEqual(before);
        },
      ),
    );
  });

  it("item 11: compatible, eligible in-TTL candidates with two canonicals → null (reference scope)", () => {
    fc.assert(
      fc.property(arbCandidates, arbContext, arbConfig, (cands, context, cfg) => {
        const config: AttributionConfig = { ...cfg, ambiguityScope: "reference" };
        const canonicals = new Set(
          cands
            .filter(
              (c) =>
                isCompatible(context.modelHint, c) &&
                eligibleFor(c, context, config) &&
                Math.abs(context.signalTs - c.snapshotTs) <= context.ttlMs,
            )
            .map((c) => normAddr(c.canonicalOrchestratorAddress))
            .filter((a) => a !== ""),
        );
        if (canonicals.size > 1) {
          expect(select(bucketOfAll(cands), context, config)).toBeNull();
          expect(selectCandidate(bucketOfAll(cands), context, config).code).toBe(
            "ambiguous_canonical",
          );
        }
      }),
    );
  });

  it("item 12: the result does not depend on insertion order", () => {
    fc.assert(
      fc.property(
        arbCandidates.chain((cs) =>
          fc.tuple(
            fc.constant(cs),
            fc.shuffledSubarray(cs, { minLength: cs.length, maxLength: cs.length }),
          ),
        ),
        arbContext,
        arbConfig,
        ([a, b], context, config) => {
          expect(selectCandidate(bucketOfAll(b), context, config)).toEqual(
            selectCandidate(bucketOfAll(a), context, config),
          );
        },
      ),
    );
  });

  it("item 13: an eligible exact model match means the result's model matches the hint", () => {
    fc.assert(
      fc.property(
        arbCandidates,
        arbContext.filter((c) => !isBlank(c.modelHint)),
        arbConfig,
        (cands, context, config) => {
          const exists = cands.some(
            (c) =>
              !isBlank(c.modelId) &&
              eqModel(context.modelHint, c.modelId) &&
              eligibleFor(c, context, config),
          );
          const got = select(bucketOfAll(cands), context, config);
          if (exists && got !== null) expect(eqModel(got.modelId, context.modelHint)).toBe(true);
        },
      ),
    );
  });

  it("item 14: blank URL/GPU hints and one canonical → minimal freshness class, then minimal |Δ|", () => {
    fc.assert(
      fc.property(arbCandidates, arbContext, arbConfig, (raw, context0, config) => {
        const context = { ...context0, urlHint: null, gpuHint: "" };
        const cands = raw.map((c) => ({ ...c, canonicalOrchestratorAddress: "0xsingle" }));
        const pool = cands.filter(
          (c) => isCompatible(context.modelHint, c) && eligibleFor(c, context, config),
        );
        const got = select(bucketOfAll(cands), context, config);
        if (pool.length === 0) {
          expect(got).toBeNull();
          return;
        }
        expect(got).not.toBeNull();
        // Position 1 (model match) precedes freshness: compare within the winner's model rank.
        const rank = Math.min(...pool.map((c) => modelRank(c, context)));
        const peers = pool.filter((c) => modelRank(c, context) === rank);
        const cls = (c: Candidate): number => freshnessClass(T, c.snapshotTs, context.ttlMs);
        const minClass = Math.min(...peers.map(cls));
        const minAbs = Math.min(
          ...peers.filter((c) => cls(c) === minClass).map((c) => Math.abs(T - c.snapshotTs)),
        );
        expect(modelRank(got!, context)).toBe(rank);
        expect(cls(got!)).toBe(minClass);
        expect(Math.abs(T - got!.snapshotTs)).toBe(minAbs);
      }),
    );
  });

  it("item 15: (method, confidence) is one of the §5.5 pairs and follows Δ exactly", () => {
    const pairs = new Set([
      `exact_orchestrator_time_match:${1}`,
      `nearest_prior_snapshot:${Math.fround(0.9)}`,
      `nearest_snapshot_within_ttl:${Math.fround(0.7)}`,
      `proxy_address_join:${Math.fround(0.4)}`,
      `segment_window_join:${1}`,
      `none:${0}`,
    ]);
    fc.assert(
      fc.property(arbCandidates, arbContext, arbConfig, (cands, context, config) => {
        const o = selectCandidate(bucketOfAll(cands), context, config);
        if (o.code !== "selected") return;
        expect(pairs.has(`${o.method}:${o.confidence}`)).toBe(true);
        const d = T - o.candidate.snapshotTs;
        const expected =
          d === 0
            ? "exact_orchestrator_time_match"
            : Math.abs(d) > P_TTL
              ? "proxy_address_join"
              : d > 0
                ? "nearest_prior_snapshot"
                : "nearest_snapshot_within_ttl";
        expect(o.method).toBe(expected);
        expect(o.freshnessClass).toBe(freshnessClass(T, o.candidate.snapshotTs, P_TTL));
      }),
    );
  });
});

describe("eligibility window (attribution.md §5.6)", () => {
  const bounded = { ttlMs: 1000, staleWindowMs: 500, futureReachMs: 100 };
  const unbounded = { ttlMs: 1000, staleWindowMs: null, futureReachMs: null };

  it("reaches: ttlMs + staleWindowMs prior, futureReachMs future, null = unbounded", () => {
    expect(priorReachOf(bounded)).toBe(1500);
    expect(priorReachOf(bounded, 10)).toBe(510);
    expect(futureReachOf(bounded)).toBe(100);
    expect(priorReachOf(unbounded)).toBe(Infinity);
    expect(futureReachOf(unbounded)).toBe(Infinity);
  });

  it("bounds are inclusive on both sides; Δ = 0 is always eligible", () => {
    expect(isEligibleSnapshot(11_500, 10_000, bounded)).toBe(true);
    expect(isEligibleSnapshot(11_501, 10_000, bounded)).toBe(false);
    expect(isEligibleSnapshot(9_900, 10_000, bounded)).toBe(true);
    expect(isEligibleSnapshot(9_899, 10_000, bounded)).toBe(false);
    expect(isEligibleDelta(0, 0, 0)).toBe(true);
    expect(isEligibleSnapshot(1e15, 0, unbounded)).toBe(true);
    expect(isEligibleSnapshot(0, 1e15, unbounded)).toBe(true);
  });

  it("the snapshot range covers exactly the snapshots eligible for some signal in the range", () => {
    expect(eligibleSnapshotRange(10_000, 20_000, bounded)).toEqual({ from: 8500, to: 20_100 });
    expect(eligibleSnapshotRange(10_000, 20_000, unbounded)).toEqual({
      from: -Infinity,
      to: Infinity,
    });
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: 5000 }),
        fc.integer({ min: -3000, max: 8000 }),
        (t, snap) => {
          const r = eligibleSnapshotRange(t, t, bounded);
          expect(isEligibleSnapshot(t, snap, bounded)).toBe(snap >= r.from && snap <= r.to);
        },
      ),
    );
  });

  it("identityFallbackAddress and selectCandidate use the same window", () => {
    fc.assert(
      fc.property(fc.integer({ min: -3000, max: 3000 }), (d) => {
        const c = cand({ snapshotTs: 10_000 - d });
        const bucket = bucketOfAll([c]);
        const config = { ...DEFAULT_ATTRIBUTION_CONFIG, ...bounded };
        const ctx = { modelHint: SD, urlHint: null, gpuHint: null, signalTs: 10_000, ttlMs: 1000 };
        const eligible = isEligibleSnapshot(10_000, c.snapshotTs, config);
        expect(selectCandidate(bucket, ctx, config).code === "selected").toBe(eligible);
        expect(identityFallbackAddress(bucket, 10_000, config) === D003).toBe(eligible);
      }),
    );
  });
});
