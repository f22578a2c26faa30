import { describe, it, expect } from "vitest";
import fc from "fast-check";
import { realEventLines } from "@livepeer-analytics/testing/fixtures";
import { runGate } from "../quality/gate.js";
import {
  parseCapabilitySnapshots,
  type CapabilitySnapshot,
} from "../events/network-capabilities.js";
import { compareStrings } from "../primitives/strings.js";
import {
  DEFAULT_ATTRIBUTION_CONFIG,
  REFERENCE_COMPAT_ATTRIBUTION_CONFIG,
  bucketOf,
  candidateKey,
  candidatesOf,
  createCapabilityIndex,
  ingestSnapshotInPlace,
  pruneIndexInPlace,
  retentionMs,
  snapshotLookupKeys,
  snapshotToCandidate,
  upsertCandidateInPlace,
  type EvictedCandidate,
} from "./candidates.js";
import type { AttributionConfig, Candidate, CapabilityIndex } from "./types.js";

const TTL = 86_400_000;
const SD = "streamdiffusion-sdxl";
const LLAMA = "meta-llama/Meta-Llama-3.1-8B-Instruct";
const KEY = "0xhot";

const PRESETS: ReadonlyArray<readonly [string, AttributionConfig]> = [
  ["default", DEFAULT_ATTRIBUTION_CONFIG],
  ["REFERENCE_COMPAT", REFERENCE_COMPAT_ATTRIBUTION_CONFIG],
];

function cand(over: Partial<Candidate> = {}): Candidate {
  return {
    snapshotTs: 10_000,
    sourceEventId: "evt",
    canonicalOrchestratorAddress: "0xorch",
    orchestratorUrl: "https://orch.example",
    pipeline: "live-video-to-video",
    modelId: SD,
    gpuId: null,
    capacityUnits: null,
    ...over,
  };
}

/** Candidates of one bucket, sorted by key. */
function contents(index: CapabilityIndex, key = KEY): Candidate[] {
  return candidatesOf(bucketOf(index, key));
}

/** Snapshots of one `network_capabilities` envelope, through the gate and the parser. */
function snapshotsOf(line: string): CapabilitySnapshot[] {
  const r = runGate({ value: line }, { now: 0 });
  if (!r.ok) throw new Error(r.envelope.failure.reason);
  return parseCapabilitySnapshots(r.event).rows;
}

function capabilityLine(id: string, timestamp: number, data: unknown): string {
  return JSON.stringify({ id, type: "network_capabilities", timestamp, gateway: "", data });
}

const realCapabilityLine = (): string => {
  const line = realEventLines().find(
    (l) => (JSON.parse(l) as { type?: unknown }).type === "network_capabilities",
  );
  if (line === undefined) throw new Error("fixture has no network_capabilities event");
  return line;
};

const jsonClone = <T>(v: T): T => JSON.parse(JSON.stringify(v)) as T;

describe.each(PRESETS)("CapabilityAttributionSelectorTest cache cases (%s)", (_name, preset) => {
  it("enforcesBucketBoundAndPrunesVeryStaleCandidates", () => {
    const config: AttributionConfig = { ...preset, maxCandidatesPerKey: 3 };
    const index = createCapabilityIndex();
    const evicted: EvictedCandidate[] = [];
    const put = (modelId: string, ts: number, ref: number): void => {
      evicted.push(
        ...upsertCandidateInPlace(index, KEY, cand({ modelId, snapshotTs: ts }), ref, config),
      );
    };
    put("old-model", 0, 5 * TTL);
    put("model-a", 5 * TTL - 20, 5 * TTL);
    put("model-b", 5 * TTL - 10, 5 * TTL);
    put("model-c", 5 * TTL, 5 * TTL);
    put("model-d", 5 * TTL + 10, 5 * TTL + 10);
    const got = contents(index);
    expect(got.length).toBeLessThanOrEqual(3);
    expect(got.some((c) => c.modelId === "old-model")).toBe(false);
    expect(got.map((c) => c.modelId).sort()).toEqual(["model-b", "model-c", "model-d"]);
    expect(evicted.map((e) => [e.candidate.modelId, e.reason])).toEqual([
      ["old-model", "prune"],
      ["model-a", "cap"],
    ]);
  });

  it("preservesDistinctCandidatesWithSameModelAndTimestampDifferentSourceEventId", () => {
    const index = createCapabilityIndex();
    upsertCandidateInPlace(
      index,
      KEY,
      cand({ sourceEventId: "evt-a", orchestratorUrl: "https://orch-a.example", gpuId: "GPU-A" }),
      10_000,
      preset,
    );
    upsertCandidateInPlace(
      index,
      KEY,
      cand({ sourceEventId: "evt-b", orchestratorUrl: "https://orch-b.example", gpuId: "GPU-B" }),
      10_000,
      preset,
    );
    expect(contents(index)).toHaveLength(2);
    // Same model, time and URL/GPU: still distinct by source event id alone.
    const index2 = createCapabilityIndex();
    upsertCandidateInPlace(index2, KEY, cand({ sourceEventId: "evt-a" }), null, preset);
    upsertCandidateInPlace(index2, KEY, cand({ sourceEventId: "evt-b" }), null, preset);
    expect(contents(index2)).toHaveLength(2);
  });
});

describe("reference prune quirk (attribution.md §9.12)", () => {
  const late = cand({ snapshotTs: 7 * TTL, sourceEventId: "late" });
  const fresh = cand({ snapshotTs: 10 * TTL, sourceEventId: "fresh" });

  it("REFERENCE_COMPAT: a late insert 3·TTL older evicts the newer candidate", () => {
    const index = createCapabilityIndex();
    const config = REFERENCE_COMPAT_ATTRIBUTION_CONFIG;
    expect(upsertCandidateInPlace(index, KEY, fresh, fresh.snapshotTs, config)).toEqual([]);
    const evicted = upsertCandidateInPlace(index, KEY, late, late.snapshotTs, config);
    expect(evicted).toEqual([{ lookupKey: KEY, candidate: fresh, reason: "prune" }]);
    expect(contents(index)).toEqual([late]);
    // Same result with the production path (reference time = the candidate's own time).
    const index2 = createCapabilityIndex();
    upsertCandidateInPlace(index2, KEY, fresh, null, config);
    upsertCandidateInPlace(index2, KEY, late, null, config);
    expect(contents(index2)).toEqual([late]);
  });

  it("default (watermark): the 10·TTL candidate remains, the 7·TTL one is pruned on arrival", () => {
    const index = createCapabilityIndex();
    const config = DEFAULT_ATTRIBUTION_CONFIG;
    upsertCandidateInPlace(index, KEY, fresh, fresh.snapshotTs, config);
    const evicted = upsertCandidateInPlace(index, KEY, late, late.snapshotTs, config);
    expect(evicted).toEqual([{ lookupKey: KEY, candidate: late, reason: "prune" }]);
    expect(contents(index)).toEqual([fresh]);
    expect(bucketOf(index, KEY)?.highWatermarkTs).toBe(10 * TTL);
  });

  it("default: a late capability within retentionMs of the watermark is kept", () => {
    const index = createCapabilityIndex();
    const config = DEFAULT_ATTRIBUTION_CONFIG;
    const W = 10 * TTL;
    upsertCandidateInPlace(index, KEY, fresh, W, config);
    const edge = cand({ snapshotTs: W - retentionMs(config), sourceEventId: "edge" });
    const beyond = cand({ snapshotTs: W - retentionMs(config) - 1, sourceEventId: "beyond" });
    expect(upsertCandidateInPlace(index, KEY, edge, W, config)).toEqual([]);
    expect(upsertCandidateInPlace(index, KEY, beyond, W, config)).toEqual([
      { lookupKey: KEY, candidate: beyond, reason: "prune" },
    ]);
    expect(
      contents(index)
        .map((c) => c.sourceEventId)
        .sort(),
    ).toEqual(["edge", "fresh"]);
  });
});

describe("configuration", () => {
  it("defaults and REFERENCE_COMPAT", () => {
    expect(DEFAULT_ATTRIBUTION_CONFIG).toEqual({
      ttlMs: 86_400_000,
      staleWindowMs: 86_400_000,
      futureReachMs: 600_000,
      allowedLatenessMs: 60_000,
      maxCandidatesPerKey: 32,
      pruning: "watermark",
      ambiguityScope: "reference",
    });
    expect(REFERENCE_COMPAT_ATTRIBUTION_CONFIG).toEqual({
      ...DEFAULT_ATTRIBUTION_CONFIG,
      pruning: "reference",
      staleWindowMs: null,
      futureReachMs: null,
    });
  });

  it("retentionMs", () => {
    expect(retentionMs(DEFAULT_ATTRIBUTION_CONFIG)).toBe(173_460_000);
    expect(retentionMs(REFERENCE_COMPAT_ATTRIBUTION_CONFIG)).toBe(Infinity);
    expect(retentionMs({ ...DEFAULT_ATTRIBUTION_CONFIG, futureReachMs: null })).toBe(Infinity);
  });
});

describe("keys (attribution.md §4.2)", () => {
  it("candidate key: key() of every component, plus the pipeline suffix", () => {
    expect(
      candidateKey(
        cand({
          modelId: " StreamDiffusion-SDXL ",
          canonicalOrchestratorAddress: "0xD003",
          orchestratorUrl: "HTTPS://Orch:1 ",
          gpuId: null,
          snapshotTs: 1770063008615,
          sourceEventId: "EVT-1",
          pipeline: "Live-Video-To-Video",
        }),
      ),
    ).toBe(
      "streamdiffusion-sdxl|0xd003|https://orch:1|__empty__|1770063008615|evt-1|live-video-to-video",
    );
    expect(
      candidateKey(
        cand({
          modelId: "",
          canonicalOrchestratorAddress: "",
          orchestratorUrl: " ",
          gpuId: "GPU-1",
          sourceEventId: "",
          pipeline: "",
        }),
      ),
    ).toBe("__empty__|__empty__|__empty__|gpu-1|10000|__empty__|__empty__");
  });

  it("rows differing only in pipeline are distinct candidates", () => {
    const index = createCapabilityIndex();
    upsertCandidateInPlace(index, KEY, cand({ pipeline: "llm" }), null, DEFAULT_ATTRIBUTION_CONFIG);
    upsertCandidateInPlace(
      index,
      KEY,
      cand({ pipeline: "text-to-image" }),
      null,
      DEFAULT_ATTRIBUTION_CONFIG,
    );
    expect(contents(index)).toHaveLength(2);
  });

  it("equal keys replace (last write wins), without an eviction", () => {
    const index = createCapabilityIndex();
    upsertCandidateInPlace(
      index,
      KEY,
      cand({ capacityUnits: 1 }),
      null,
      DEFAULT_ATTRIBUTION_CONFIG,
    );
    const evicted = upsertCandidateInPlace(
      index,
      KEY,
      cand({ capacityUnits: 2, modelId: ` ${SD.toUpperCase()}` }),
      null,
      DEFAULT_ATTRIBUTION_CONFIG,
    );
    expect(evicted).toEqual([]);
    expect(contents(index)).toEqual([cand({ capacityUnits: 2, modelId: ` ${SD.toUpperCase()}` })]);
  });

  it("lookup keys: hot, then canonical when different; blanks skipped; normalized again", () => {
    expect(
      snapshotLookupKeys({ hotAddress: "0xhot", canonicalOrchestratorAddress: "0xcan" }),
    ).toEqual(["0xhot", "0xcan"]);
    expect(
      snapshotLookupKeys({ hotAddress: "0xsame", canonicalOrchestratorAddress: "0xsame" }),
    ).toEqual(["0xsame"]);
    expect(snapshotLookupKeys({ hotAddress: " ", canonicalOrchestratorAddress: "0xcan" })).toEqual([
      "0xcan",
    ]);
    expect(snapshotLookupKeys({ hotAddress: "0xhot", canonicalOrchestratorAddress: "" })).toEqual([
      "0xhot",
    ]);
    expect(snapshotLookupKeys({ hotAddress: "", canonicalOrchestratorAddress: "\t" })).toEqual([]);
    expect(
      snapshotLookupKeys({ hotAddress: " 0xABC ", canonicalOrchestratorAddress: "0xabc" }),
    ).toEqual(["0xabc"]);
  });
});

describe("snapshot ingest and dual keying (attribution.md §1.6)", () => {
  const orch = (address: string, local: string, model = SD): Record<string, unknown> => ({
    address,
    local_address: local,
    orch_uri: "https://orch.example:8935",
    hardware: [
      { pipeline: "live-video-to-video", model_id: model, gpu_info: { "0": { id: "GPU-X" } } },
    ],
  });

  it("keys a snapshot under its hot and its canonical address", () => {
    const [snap] = snapshotsOf(capabilityLine("e1", 1000, [orch("0xCAN", "0xHOT")]));
    const index = createCapabilityIndex();
    expect(ingestSnapshotInPlace(index, snap!, null, DEFAULT_ATTRIBUTION_CONFIG)).toEqual([]);
    expect(Object.keys(index.buckets).sort()).toEqual(["0xcan", "0xhot"]);
    expect(contents(index, "0xhot")).toEqual([snapshotToCandidate(snap!)]);
    expect(contents(index, "0xcan")).toEqual([snapshotToCandidate(snap!)]);
  });

  it("one bucket when hot = canonical; canonical only when hot is blank; nothing when both blank", () => {
    const index = createCapabilityIndex();
    for (const s of snapshotsOf(
      capabilityLine("e1", 1000, [orch("0xSAME", "0xsame"), orch("0xonly", " "), orch("", "")]),
    )) {
      ingestSnapshotInPlace(index, s, null, DEFAULT_ATTRIBUTION_CONFIG);
    }
    expect(Object.keys(index.buckets).sort()).toEqual(["0xonly", "0xsame"]);
  });

  it("hostile addresses are ordinary keys", () => {
    const index = createCapabilityIndex();
    for (const s of snapshotsOf(capabilityLine("e1", 1000, [orch("__proto__", "constructor")]))) {
      ingestSnapshotInPlace(index, s, null, DEFAULT_ATTRIBUTION_CONFIG);
    }
    expect(contents(index, "__proto__")).toHaveLength(1);
    expect(contents(index, "constructor")).toHaveLength(1);
    expect(bucketOf(index, "toString")).toBeUndefined();
    expect(Object.getPrototypeOf(index.buckets)).toBe(Object.prototype);
    expect(jsonClone(index)).toEqual(index);
  });

  it("reference mode uses the snapshot's own time as reference, ignoring the watermark", () => {
    const index = createCapabilityIndex();
    const config = REFERENCE_COMPAT_ATTRIBUTION_CONFIG;
    const [fresh] = snapshotsOf(capabilityLine("fresh", 10 * TTL, [orch("0xcan", "0xhot")]));
    const [late] = snapshotsOf(capabilityLine("late", 7 * TTL, [orch("0xcan", "0xhot")]));
    ingestSnapshotInPlace(index, fresh!, 123, config);
    const evicted = ingestSnapshotInPlace(index, late!, 10 * TTL, config);
    expect(evicted.map((e) => [e.lookupKey, e.candidate.sourceEventId])).toEqual([
      ["0xhot", "fresh"],
      ["0xcan", "fresh"],
    ]);
    expect(contents(index, "0xhot").map((c) => c.sourceEventId)).toEqual(["late"]);
  });

  it("the real capability event of streaming-events-2026-01-08.jsonl", () => {
    const snaps = snapshotsOf(realCapabilityLine());
    expect(snaps).toHaveLength(1);
    const index = createCapabilityIndex();
    for (const s of snaps) ingestSnapshotInPlace(index, s, null, DEFAULT_ATTRIBUTION_CONFIG);
    const expected: Candidate = {
      snapshotTs: 1767909021590,
      sourceEventId: "e89def1c-7a3c-40aa-a51a-ad490a305112",
      canonicalOrchestratorAddress: "0xd00354656922168815fcd1e51cbddb9e359e3c7f",
      orchestratorUrl: "https://rtav-orch2.xodeapp.xyz:28935",
      pipeline: "live-video-to-video",
      modelId: "streamdiffusion-sdxl-faceid",
      gpuId: "GPU-a8d13655-197b-2226-d09f-b4b81e07504b",
      capacityUnits: 1,
    };
    expect(Object.keys(index.buckets).sort()).toEqual([
      "0x52cf2968b3dc6016778742d3539449a6597d5954",
      "0xd00354656922168815fcd1e51cbddb9e359e3c7f",
    ]);
    expect(contents(index, "0x52cf2968b3dc6016778742d3539449a6597d5954")).toEqual([expected]);
    expect(contents(index, "0xd00354656922168815fcd1e51cbddb9e359e3c7f")).toEqual([expected]);

    // Idempotent re-ingest (same keys), and the index is plain JSON.
    const before = jsonClone(index);
    for (const s of snapshotsOf(realCapabilityLine())) {
      expect(ingestSnapshotInPlace(index, s, null, DEFAULT_ATTRIBUTION_CONFIG)).toEqual([]);
    }
    expect(jsonClone(index)).toEqual(before);
  });
});

describe("cap and pruning (attribution.md §4.4)", () => {
  it("cap evicts the smallest snapshotTs, ties by the smallest candidate key", () => {
    const config: AttributionConfig = { ...DEFAULT_ATTRIBUTION_CONFIG, maxCandidatesPerKey: 2 };
    const index = createCapabilityIndex();
    const b = cand({ gpuId: "GPU-B", snapshotTs: 100 });
    const a = cand({ gpuId: "GPU-A", snapshotTs: 100 });
    const c = cand({ gpuId: "GPU-C", snapshotTs: 100 });
    upsertCandidateInPlace(index, KEY, b, null, config);
    upsertCandidateInPlace(index, KEY, c, null, config);
    expect(upsertCandidateInPlace(index, KEY, a, null, config)).toEqual([
      { lookupKey: KEY, candidate: a, reason: "cap" },
    ]);
    const newer = cand({ gpuId: "GPU-0", snapshotTs: 101 });
    expect(upsertCandidateInPlace(index, KEY, newer, null, config)).toEqual([
      { lookupKey: KEY, candidate: b, reason: "cap" },
    ]);
    expect(contents(index)).toEqual(
      [c, newer].sort((x, y) => compareStrings(candidateKey(x), candidateKey(y))),
    );
  });

  it("values of k below 1 act as 1", () => {
    for (const k of [0, -5, Number.NaN]) {
      const config: AttributionConfig = { ...DEFAULT_ATTRIBUTION_CONFIG, maxCandidatesPerKey: k };
      const index = createCapabilityIndex();
      upsertCandidateInPlace(index, KEY, cand({ snapshotTs: 2 }), null, config);
      upsertCandidateInPlace(index, KEY, cand({ snapshotTs: 1 }), null, config);
      expect(contents(index).map((c) => c.snapshotTs)).toEqual([2]);
    }
  });

  it("watermark mode: no watermark yet means no pruning", () => {
    const index = createCapabilityIndex();
    upsertCandidateInPlace(
      index,
      KEY,
      cand({ snapshotTs: 10 * TTL }),
      null,
      DEFAULT_ATTRIBUTION_CONFIG,
    );
    upsertCandidateInPlace(index, KEY, cand({ snapshotTs: 0 }), null, DEFAULT_ATTRIBUTION_CONFIG);
    expect(contents(index)).toHaveLength(2);
    expect(bucketOf(index, KEY)?.highWatermarkTs).toBeNull();
  });

  it("a candidate pruned on arrival into a new bucket leaves no empty bucket", () => {
    const index = createCapabilityIndex();
    const evicted = upsertCandidateInPlace(
      index,
      KEY,
      cand({ snapshotTs: 0 }),
      10 * TTL,
      DEFAULT_ATTRIBUTION_CONFIG,
    );
    expect(evicted).toHaveLength(1);
    expect(bucketOf(index, KEY)).toBeUndefined();
  });

  it("pruneIndexInPlace prunes every bucket, raises the watermark and deletes emptied buckets", () => {
    const config = DEFAULT_ATTRIBUTION_CONFIG;
    const index = createCapabilityIndex();
    upsertCandidateInPlace(index, "0xa", cand({ snapshotTs: 1000 }), null, config);
    upsertCandidateInPlace(index, "0xb", cand({ snapshotTs: 1000 }), null, config);
    upsertCandidateInPlace(index, "0xb", cand({ snapshotTs: 5 * TTL }), null, config);
    const W = 5 * TTL;
    const evicted = pruneIndexInPlace(index, W, config);
    expect(evicted.map((e) => [e.lookupKey, e.candidate.snapshotTs, e.reason])).toEqual([
      ["0xa", 1000, "prune"],
      ["0xb", 1000, "prune"],
    ]);
    expect(bucketOf(index, "0xa")).toBeUndefined();
    expect(contents(index, "0xb").map((c) => c.snapshotTs)).toEqual([5 * TTL]);
    expect(bucketOf(index, "0xb")?.highWatermarkTs).toBe(W);
    // A lower watermark never lowers the bucket's high watermark.
    pruneIndexInPlace(index, W - 1, config);
    expect(bucketOf(index, "0xb")?.highWatermarkTs).toBe(W);
  });

  it("pruneIndexInPlace is a no-op in reference mode", () => {
    const config = REFERENCE_COMPAT_ATTRIBUTION_CONFIG;
    const index = createCapabilityIndex();
    upsertCandidateInPlace(index, KEY, cand({ snapshotTs: 0 }), null, config);
    const before = jsonClone(index);
    expect(pruneIndexInPlace(index, 100 * TTL, config)).toEqual([]);
    expect(index).toEqual(before);
  });
});

// ---------------------------------------------------------------------------------------------
// Properties (attribution.md §8 items 5–8)
// ---------------------------------------------------------------------------------------------

const SMALL: AttributionConfig = {
  ttlMs: 100,
  staleWindowMs: 50,
  futureReachMs: 20,
  allowedLatenessMs: 10,
  maxCandidatesPerKey: 10_000,
  pruning: "watermark",
  ambiguityScope: "reference",
};

const arbCandidate = (ts: fc.Arbitrary<number>): fc.Arbitrary<Candidate> =>
  fc.record({
    snapshotTs: ts,
    sourceEventId: fc.constantFrom("e1", "E1", "e2", ""),
    canonicalOrchestratorAddress: fc.constantFrom("0xa", "0xb", ""),
    orchestratorUrl: fc.constantFrom("https://a", "https://b", ""),
    pipeline: fc.constantFrom("live-video-to-video", "llm"),
    modelId: fc.constantFrom(SD, LLAMA, "", " Streamdiffusion-SDXL"),
    gpuId: fc.constantFrom("GPU-A", "GPU-B", null),
    capacityUnits: fc.constantFrom(null, 1),
  });

const arbConfig: fc.Arbitrary<AttributionConfig> = fc.record({
  ttlMs: fc.constantFrom(50, 100),
  staleWindowMs: fc.constantFrom(null, 0, 50),
  futureReachMs: fc.constantFrom(null, 0, 20),
  allowedLatenessMs: fc.constantFrom(0, 10),
  maxCandidatesPerKey: fc.integer({ min: -1, max: 6 }),
  pruning: fc.constantFrom("watermark" as const, "reference" as const),
  ambiguityScope: fc.constant("reference" as const),
});

const arbOps = fc.array(
  fc.record({
    key: fc.constantFrom("0xa", "0xb", "__proto__"),
    cand: arbCandidate(fc.integer({ min: 0, max: 1000 })),
    ref: fc.option(fc.integer({ min: 0, max: 1200 }), { nil: null }),
  }),
  { maxLength: 40 },
);

describe("cache properties (attribution.md §8)", () => {
  it("item 5: after every upsert a bucket holds at most max(1, k) candidates", () => {
    fc.assert(
      fc.property(arbConfig, arbOps, (config, ops) => {
        const index = createCapabilityIndex();
        const cap = Math.max(1, config.maxCandidatesPerKey);
        for (const op of ops) {
          upsertCandidateInPlace(index, op.key, op.cand, op.ref, config);
          for (const key of ["0xa", "0xb", "__proto__"]) {
            expect(contents(index, key).length).toBeLessThanOrEqual(cap);
          }
        }
      }),
    );
  });

  it("item 6: upserting the same candidate twice equals upserting it once", () => {
    fc.assert(
      fc.property(arbConfig, arbOps, fc.nat(), (config, ops, pick) => {
        fc.pre(ops.length > 0);
        const i = pick % ops.length;
        const once = createCapabilityIndex();
        const twice = createCapabilityIndex();
        ops.forEach((op, j) => {
          upsertCandidateInPlace(once, op.key, op.cand, op.ref, config);
          upsertCandidateInPlace(twice, op.key, op.cand, op.ref, config);
          if (j === i) {
            // The repeat can only remove the repeated candidate itself (pruned or capped again).
            for (const e of upsertCandidateInPlace(twice, op.key, op.cand, op.ref, config)) {
              expect(e.candidate).toBe(op.cand);
            }
          }
        });
        expect(jsonClone(twice)).toEqual(jsonClone(once));
      }),
    );
  });

  it("item 7: with watermark pruning and no cap overflow, content depends only on the set and the final W", () => {
    const arbRun = (cs: Candidate[], finalW: number) =>
      fc.record({
        order: fc.shuffledSubarray(cs, { minLength: cs.length, maxLength: cs.length }),
        marks: fc
          .array(fc.integer({ min: -300, max: finalW }), {
            minLength: cs.length,
            maxLength: cs.length,
          })
          .map((ws) => ws.sort((a, b) => a - b)),
        nulls: fc.nat({ max: cs.length }),
        pruneAtEnd: fc.boolean(),
      });
    fc.assert(
      fc.property(
        fc
          .tuple(
            fc.uniqueArray(arbCandidate(fc.integer({ min: 0, max: 1000 })), {
              selector: candidateKey,
              minLength: 1,
              maxLength: 25,
            }),
            fc.integer({ min: 0, max: 1300 }),
          )
          .chain(([cs, finalW]) =>
            fc.tuple(fc.constant(cs), fc.constant(finalW), arbRun(cs, finalW), arbRun(cs, finalW)),
          ),
        ([cs, finalW, runA, runB]) => {
          const play = (run: {
            order: Candidate[];
            marks: number[];
            nulls: number;
            pruneAtEnd: boolean;
          }): CapabilityIndex => {
            const index = createCapabilityIndex();
            run.order.forEach((c, i) => {
              const last = i === run.order.length - 1;
              const w = last && !run.pruneAtEnd ? finalW : i < run.nulls ? null : run.marks[i]!;
              upsertCandidateInPlace(index, KEY, c, w, SMALL);
            });
            if (run.pruneAtEnd) pruneIndexInPlace(index, finalW, SMALL);
            return index;
          };
          const a = contents(play(runA));
          const b = contents(play(runB));
          const horizon = finalW - retentionMs(SMALL);
          const expected = cs
            .filter((c) => c.snapshotTs >= horizon)
            .sort((x, y) => compareStrings(candidateKey(x), candidateKey(y)));
          expect(a).toEqual(expected);
          expect(b).toEqual(expected);
        },
      ),
    );
  });

  it("item 8: nothing with snapshotTs ≥ W − retentionMs is pruned; late old capabilities never remove newer ones", () => {
    const arbStep = fc.oneof(
      fc.record({
        kind: fc.constant("insert" as const),
        cand: arbCandidate(fc.integer({ min: -400, max: 1500 })),
        advance: fc.integer({ min: 0, max: 120 }),
      }),
      fc.record({ kind: fc.constant("prune" as const), advance: fc.integer({ min: 0, max: 200 }) }),
    );
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: 500 }),
        fc.array(arbStep, { maxLength: 40 }),
        (w0, steps) => {
          const retention = retentionMs(SMALL);
          const index = createCapabilityIndex();
          const model = new Map<string, Candidate>();
          let w = w0;
          for (const step of steps) {
            w += step.advance;
            const evicted =
              step.kind === "insert"
                ? upsertCandidateInPlace(index, KEY, step.cand, w, SMALL)
                : pruneIndexInPlace(index, w, SMALL);
            if (step.kind === "insert") model.set(candidateKey(step.cand), step.cand);
            for (const e of evicted) {
              expect(e.reason).toBe("prune");
              expect(e.candidate.snapshotTs).toBeLessThan(w - retention);
            }
            for (const [k, c] of model) if (c.snapshotTs < w - retention) model.delete(k);
            const expected = [...model.entries()]
              .sort(([x], [y]) => compareStrings(x, y))
              .map(([, c]) => c);
            expect(contents(index)).toEqual(expected);
          }
        },
      ),
    );
  });
});
