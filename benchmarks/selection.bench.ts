/**
 * Candidate selection with a full cache: `selectCandidate` over buckets of k candidates per
 * wallet (mixed models, several GPUs and two URLs per wallet, snapshot times spread over 2 h),
 * with realistic selection contexts (random wallet, a model hint among the advertised models,
 * URL and GPU hints sometimes set, signal time inside the range).
 *
 *   npm run bench -- selection [selections=1000000] [wallets=10000] [k=32]
 *
 * Reports, measured in the same run: (a) a bare loop over the same lookups (`bucketOf` plus a
 * `for…in` over the bucket's candidates summing `snapshotTs`), (b) `selectCandidate`, (c) b/a,
 * and heap bytes per cached candidate (heapUsed after `gc()` before and after building the
 * index); each timing is the best of two runs after a warm-up. Then the same for k = 8, 16, 32,
 * 64 (at most 640 000 candidates each, selections/4 selections each) with ns/selection ÷ k,
 * which stays flat when selection is O(k).
 */
import {
  DEFAULT_ATTRIBUTION_CONFIG,
  bucketOf,
  createCapabilityIndex,
  selectCandidate,
  upsertCandidateInPlace,
  type AttributionConfig,
  type CapabilityIndex,
  type SelectionContext,
} from "@livepeer-analytics/core/attribution";
import { prng } from "./generate.js";

const total = Number(process.argv[2] ?? 1_000_000);
const walletCount = Number(process.argv[3] ?? 10_000);
const mainK = Number(process.argv[4] ?? 32);
const SCALING_KS = [8, 16, 32, 64];
const MAX_CANDIDATES = 640_000;
const CONTEXTS = 1 << 17;
const gc = (globalThis as { gc?: () => void }).gc;
const fmt = (n: number): string => Math.round(n).toLocaleString("en-US");

const T0 = 1_767_908_945_298;
const RANGE_MS = 2 * 3_600_000;
const MODELS = [
  { model: "streamdiffusion-sdxl", pipeline: "live-video-to-video" },
  { model: "streamdiffusion-sdxl-faceid", pipeline: "live-video-to-video" },
  { model: "meta-llama/Meta-Llama-3.1-8B-Instruct", pipeline: "llm" },
];
const hex = (n: number, width: number): string => n.toString(16).padStart(width, "0");

interface Wallet {
  readonly key: string;
  readonly urls: readonly string[];
  readonly gpus: readonly string[];
}

interface Built {
  readonly index: CapabilityIndex;
  readonly wallets: readonly Wallet[];
  readonly candidates: number;
  readonly heapBytes: number;
}

const configFor = (k: number): AttributionConfig => ({
  ...DEFAULT_ATTRIBUTION_CONFIG,
  maxCandidatesPerKey: k,
});

/** Builds a full index: `k` candidates under each wallet's hot-wallet key. */
function build(walletsN: number, k: number, seed: number): Built {
  const rand = prng(seed);
  const config = configFor(k);
  // Wallet metadata first, so the heap delta below measures the index alone.
  const wallets: Wallet[] = Array.from({ length: walletsN }, (_, w) => ({
    key: `0x${hex(w + 1, 40)}`,
    urls: [`https://orch-${w}.example:8935`, `https://orch-${w}-b.example:8935`],
    gpus: Array.from(
      { length: 2 + (w % 7) },
      (_, g) => `GPU-${hex(w, 8)}-${hex(g, 4)}-4a5b-8c9d-${hex(w * 31 + g, 12)}`,
    ),
  }));
  gc?.();
  gc?.();
  const before = process.memoryUsage().heapUsed;
  const index = createCapabilityIndex();
  for (let w = 0; w < walletsN; w++) {
    const wallet = wallets[w]!;
    const canonical = `0x${hex(w + 1, 38)}ca`;
    for (let j = 0; j < k; j++) {
      const m = MODELS[j % MODELS.length]!;
      const llm = m.pipeline === "llm";
      upsertCandidateInPlace(
        index,
        wallet.key,
        {
          snapshotTs: T0 + Math.floor(rand() * RANGE_MS),
          // Several GPU rows share one event.
          sourceEventId: `cap-${w}-${Math.floor(j / 4)}`,
          canonicalOrchestratorAddress: canonical,
          orchestratorUrl: wallet.urls[j % wallet.urls.length]!,
          pipeline: m.pipeline,
          modelId: m.model,
          gpuId: llm ? null : wallet.gpus[j % wallet.gpus.length]!,
          capacityUnits: 1,
        },
        null,
        config,
      );
    }
  }
  gc?.();
  gc?.();
  const heapBytes = process.memoryUsage().heapUsed - before;
  let candidates = 0;
  for (const key of Object.keys(index.buckets))
    candidates += Object.keys(index.buckets[key]!.candidates).length;
  return { index, wallets, candidates, heapBytes };
}

interface Contexts {
  readonly keys: string[];
  readonly ctxs: SelectionContext[];
}

/** A pool of realistic contexts (cycled through by the timed loops). */
function contexts(wallets: readonly Wallet[], seed: number): Contexts {
  const rand = prng(seed);
  const keys: string[] = [];
  const ctxs: SelectionContext[] = [];
  for (let i = 0; i < CONTEXTS; i++) {
    const w = wallets[Math.floor(rand() * wallets.length)]!;
    keys.push(w.key);
    ctxs.push({
      // Trace signals of a session without a model yet carry no hint.
      modelHint: rand() < 0.05 ? null : MODELS[Math.floor(rand() * MODELS.length)]!.model,
      urlHint: rand() < 0.5 ? w.urls[Math.floor(rand() * w.urls.length)]! : null,
      gpuHint: rand() < 0.3 ? w.gpus[Math.floor(rand() * w.gpus.length)]! : null,
      signalTs: T0 + Math.floor(rand() * RANGE_MS),
      ttlMs: DEFAULT_ATTRIBUTION_CONFIG.ttlMs,
    });
  }
  return { keys, ctxs };
}

function baseline(index: CapabilityIndex, c: Contexts, n: number): number {
  const mask = CONTEXTS - 1;
  let sum = 0;
  for (let i = 0; i < n; i++) {
    const bucket = bucketOf(index, c.keys[i & mask]!);
    if (bucket === undefined) continue;
    const cs = bucket.candidates;
    for (const key in cs) sum += cs[key]!.snapshotTs - T0;
  }
  return sum;
}

function selections(index: CapabilityIndex, c: Contexts, n: number, k: number): number {
  const config = configFor(k);
  const mask = CONTEXTS - 1;
  let sink = 0;
  for (let i = 0; i < n; i++) {
    const j = i & mask;
    const o = selectCandidate(bucketOf(index, c.keys[j]!), c.ctxs[j]!, config);
    sink += o.code === "selected" ? o.candidate.snapshotTs - T0 : 1;
  }
  return sink;
}

function outcomes(index: CapabilityIndex, c: Contexts, k: number): string {
  const config = configFor(k);
  const counts = new Map<string, number>();
  for (let j = 0; j < CONTEXTS; j++) {
    const o = selectCandidate(bucketOf(index, c.keys[j]!), c.ctxs[j]!, config);
    const label = o.code === "selected" ? `${o.code}/${o.method}` : o.code;
    counts.set(label, (counts.get(label) ?? 0) + 1);
  }
  return [...counts]
    .sort((a, b) => b[1] - a[1])
    .map(([label, n]) => `${label} ${((100 * n) / CONTEXTS).toFixed(1)}%`)
    .join(", ");
}

/** Best of two timed runs of `n` iterations, after a warm-up of at most 100 000, in ms. */
function best(fn: (n: number) => number, n: number): number {
  fn(Math.min(n, 100_000));
  let ms = Infinity;
  for (let r = 0; r < 2; r++) {
    gc?.();
    const start = process.hrtime.bigint();
    fn(n);
    ms = Math.min(ms, Number(process.hrtime.bigint() - start) / 1e6);
  }
  return ms;
}

interface Measured {
  readonly k: number;
  readonly n: number;
  readonly buildMs: number;
  readonly wallets: number;
  readonly candidates: number;
  readonly heapPerCandidate: number;
  readonly baselineMs: number;
  readonly selectMs: number;
  readonly outcomes: string;
}

function measure(k: number, walletsN: number, n: number): Measured {
  const start = process.hrtime.bigint();
  const built = build(walletsN, k, 1000 + k);
  const buildMs = Number(process.hrtime.bigint() - start) / 1e6;
  const c = contexts(built.wallets, 7);
  const baselineMs = best((m) => baseline(built.index, c, m), n);
  const selectMs = best((m) => selections(built.index, c, m, k), n);
  return {
    k,
    n,
    buildMs,
    wallets: walletsN,
    candidates: built.candidates,
    heapPerCandidate: built.heapBytes / built.candidates,
    baselineMs,
    selectMs,
    outcomes: outcomes(built.index, c, k),
  };
}

// --- main run ---------------------------------------------------------------------------------
const ns = (m: Measured, ms: number): number => (ms * 1e6) / m.n;
const main = measure(mainK, walletCount, total);
console.log(
  `selections ${fmt(total)}, wallets ${fmt(main.wallets)}, k = ${main.k}, cached candidates ${fmt(main.candidates)} (snapshot times over 2 h; index built in ${main.buildMs.toFixed(0)} ms)`,
);
console.log(`outcomes: ${main.outcomes}`);
console.log(
  `(a) bucketOf + for…in sum     ${fmt((total / main.baselineMs) * 1000)} lookups/s (${main.baselineMs.toFixed(0)} ms, ${ns(main, main.baselineMs).toFixed(1)} ns/lookup)`,
);
console.log(
  `(b) selectCandidate           ${fmt((total / main.selectMs) * 1000)} selections/s (${main.selectMs.toFixed(0)} ms, ${ns(main, main.selectMs).toFixed(1)} ns/selection)`,
);
console.log(`(c) ratio b/a (time)          ${(main.selectMs / main.baselineMs).toFixed(2)}`);
console.log(`heap per cached candidate     ${fmt(main.heapPerCandidate)} bytes`);

// --- O(k) -------------------------------------------------------------------------------------
const scalingN = Math.max(1, Math.floor(total / 4));
console.log("");
console.log(
  `O(k): ${fmt(scalingN)} selections per k, at most ${fmt(MAX_CANDIDATES)} candidates (ns per selection / per lookup)`,
);
console.log(
  "   k  wallets  candidates  B/cand  baseline ns  select ns  select ns/k  baseline ns/k  b/a",
);
for (const k of SCALING_KS) {
  const walletsK = Math.min(walletCount, Math.floor(MAX_CANDIDATES / k));
  const m = measure(k, walletsK, scalingN);
  const sel = ns(m, m.selectMs);
  const base = ns(m, m.baselineMs);
  console.log(
    [
      String(k).padStart(4),
      fmt(m.wallets).padStart(8),
      fmt(m.candidates).padStart(11),
      fmt(m.heapPerCandidate).padStart(7),
      base.toFixed(1).padStart(12),
      sel.toFixed(1).padStart(10),
      (sel / k).toFixed(2).padStart(12),
      (base / k).toFixed(2).padStart(14),
      (m.selectMs / m.baselineMs).toFixed(2).padStart(5),
    ].join(" "),
  );
}
