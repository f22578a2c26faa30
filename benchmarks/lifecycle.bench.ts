/**
 * Lifecycle operator throughput and memory: the session, segment and latency operators over a
 * generated stream of signals across many concurrent sessions, with a realistic capability
 * index (hot wallets shared by sessions, two models per wallet, two GPUs per model).
 *
 *   npm run bench -- lifecycle [signals=1000000] [sessions=10000]
 *
 * Reports, measured in the same run: (a) a minimal keyed fold over the same signals (session
 * lookup + counter), (b) session + segment + latency operators deriving the session and latency
 * rows at every signal (emit-on-every-change), (c) b/a, (d) the same folds with the session and
 * latency rows derived once per session at the end (what `final` emission does; coalesced
 * emission derives them once per changed session per advance, between (b) and (d)), (e) d/a,
 * and heap bytes per open session (session + segment accumulators). Target (issue 10): the
 * session, segment and latency operators at ≥ 2,000,000 signals/s.
 */
import {
  DEFAULT_LIFECYCLE_CONFIG,
  initSegmentState,
  initSessionState,
  segmentApply,
  sessionApply,
  toSessionRow,
  createSelectionMemo,
  type LifecycleSignal,
  type SegmentState,
  type SessionState,
} from "@livepeer-analytics/core/lifecycle";
import { deriveLatencyRows } from "@livepeer-analytics/core/latency";
import {
  createCapabilityIndex,
  upsertCandidateInPlace,
} from "@livepeer-analytics/core/attribution";
import { prng } from "./generate.js";

const total = Number(process.argv[2] ?? 1_000_000);
const sessions = Number(process.argv[3] ?? 10_000);
const config = DEFAULT_LIFECYCLE_CONFIG;
const gc = (globalThis as { gc?: () => void }).gc;
const fmt = (n: number): string => Math.round(n).toLocaleString("en-US");

// --- generate ---------------------------------------------------------------------------------
const rand = prng(42);
const wallets = Array.from(
  { length: Math.max(1, Math.floor(sessions / 100)) },
  (_, i) => `0x${(i + 1).toString(16).padStart(40, "0")}`,
);
const index = createCapabilityIndex();
const t0 = 1_767_908_945_298;
wallets.forEach((w, i) => {
  ["streamdiffusion-sdxl", "meta-llama/Meta-Llama-3.1-8B-Instruct"].forEach((model, k) => {
    for (let g = 0; g < 2; g++) {
      upsertCandidateInPlace(
        index,
        w,
        {
          snapshotTs: t0 - 60_000 + k * 1000 + g,
          sourceEventId: `cap-${i}`,
          canonicalOrchestratorAddress: `0x${(i + 1).toString(16).padStart(38, "0")}ca`,
          orchestratorUrl: `https://orch-${i}.example:8935`,
          pipeline: k === 0 ? "live-video-to-video" : "llm",
          modelId: model,
          gpuId: `GPU-${i}-${g}`,
          capacityUnits: 1,
        },
        null,
        config.attribution,
      );
    }
  });
});

const TRACES = [
  "gateway_receive_stream_request",
  "gateway_send_first_ingest_segment",
  "runner_receive_first_ingest_segment",
  "runner_send_first_processed_segment",
  "gateway_receive_first_processed_segment",
  "gateway_receive_few_processed_segments",
];
const signals: LifecycleSignal[] = new Array<LifecycleSignal>(total);
const base = {
  pipeline: null,
  pipelineHint: null,
  modelHint: null,
  gateway: "",
  traceType: null,
  aiEventType: null,
  message: null,
  startTimeMs: null,
  statusState: null,
  statusOutputFps: null,
  statusLastError: null,
} as const;
for (let i = 0; i < total; i++) {
  // Round-robin over sessions: every session stays open for the whole run.
  const s = i % sessions;
  const k = Math.floor(i / sessions);
  const id = `stream-${s}|req-${s}`;
  const wallet = wallets[s % wallets.length]!;
  const url = `https://orch-${s % wallets.length}.example:8935`;
  const ts = t0 + k * 1000 + (s % 1000);
  const common = {
    ...base,
    workflowSessionId: id,
    signalTimestamp: ts,
    ingestTimestamp: ts,
    streamId: `stream-${s}`,
    requestId: `req-${s}`,
    sourceEventUid: `e-${i}`,
  };
  if (k < TRACES.length) {
    signals[i] = {
      ...common,
      signalType: "STREAM_TRACE",
      orchestratorAddress: k === 0 ? "" : wallet,
      orchestratorUrl: k === 0 ? "" : url,
      traceType: TRACES[k]!,
    };
  } else if (k % 25 === 0) {
    signals[i] = {
      ...common,
      signalType: "AI_STREAM_EVENT",
      pipeline: "streamdiffusion-sdxl",
      pipelineHint: "streamdiffusion-sdxl",
      modelHint: "streamdiffusion-sdxl",
      orchestratorAddress: null,
      orchestratorUrl: null,
      aiEventType: rand() < 0.5 ? "params_update" : "error",
      message: "WHIP disconnected",
    };
  } else {
    signals[i] = {
      ...common,
      signalType: "STREAM_STATUS",
      pipeline: "streamdiffusion-sdxl",
      pipelineHint: "streamdiffusion-sdxl",
      modelHint: "streamdiffusion-sdxl",
      orchestratorAddress: wallet,
      orchestratorUrl: url,
      startTimeMs: t0 + (s % 1000),
      statusState: "ONLINE",
      statusOutputFps: Math.fround(15 + rand() * 10),
    };
  }
}

// --- measure ----------------------------------------------------------------------------------
function baseline(): number {
  const counts: Record<string, { n: number; last: number }> = {};
  let sink = 0;
  for (const s of signals) {
    let c = counts[s.workflowSessionId];
    if (c === undefined) counts[s.workflowSessionId] = c = { n: 0, last: 0 };
    c.n += 1;
    c.last = s.signalTimestamp;
    sink += c.n;
  }
  return sink;
}

interface Bundle {
  readonly session: SessionState;
  readonly segment: SegmentState;
}
let states: Record<string, Bundle> = {};

/**
 * Folds every signal into its session's session and segment accumulators (fresh states); `perSignal`
 * derives rows after each signal and returns how many it made.
 */
function fold(perSignal: (b: Bundle, segmentRows: number) => number): number {
  states = {};
  let rows = 0;
  for (const s of signals) {
    let b = states[s.workflowSessionId];
    if (b === undefined) {
      states[s.workflowSessionId] = b = {
        session: initSessionState(s.workflowSessionId),
        segment: initSegmentState(),
      };
    }
    const memo = createSelectionMemo();
    sessionApply(b.session, s, index, config, memo);
    rows += perSignal(b, segmentApply(b.segment, s, index, config, memo).length);
  }
  return rows;
}

/** Session and latency rows derived at every signal (emit-on-every-change). */
function operators(): number {
  return fold((b, segmentRows) => {
    const row = toSessionRow(b.session);
    return 1 + deriveLatencyRows(row, b.session, config.edgeSemanticsVersions).length + segmentRows;
  });
}

/** The folds of (b) with the session and latency rows derived once per session, at the end. */
function foldsThenRows(): number {
  let rows = fold((_, segmentRows) => segmentRows);
  for (const id in states) {
    const b = states[id]!;
    const row = toSessionRow(b.session);
    rows += 1 + deriveLatencyRows(row, b.session, config.edgeSemanticsVersions).length;
  }
  return rows;
}

function time(fn: () => number): { ms: number; perSec: number; sink: number } {
  gc?.();
  const start = process.hrtime.bigint();
  const sink = fn();
  const ms = Number(process.hrtime.bigint() - start) / 1e6;
  return { ms, perSec: (signals.length / ms) * 1000, sink };
}

baseline();
operators();
const a = [time(baseline), time(baseline), time(baseline)].sort((x, y) => x.ms - y.ms)[0]!;
const b = [time(operators), time(operators), time(operators)].sort((x, y) => x.ms - y.ms)[0]!;
foldsThenRows();
const d = [time(foldsThenRows), time(foldsThenRows), time(foldsThenRows)].sort(
  (x, y) => x.ms - y.ms,
)[0]!;

// Heap per open session: build the states once more (rows are dropped as they are made), then
// compare the retained heap with and without them.
states = {};
gc?.();
gc?.();
const before = process.memoryUsage().heapUsed;
operators();
gc?.();
gc?.();
const withStates = process.memoryUsage().heapUsed;
const open = Object.keys(states).length;
const perSession = (withStates - before) / open;
console.log(
  `signals ${fmt(signals.length)}, concurrent sessions ${fmt(open)}, wallets ${wallets.length} (4 candidates each)`,
);
console.log(`(a) minimal keyed fold          ${fmt(a.perSec)} signals/s (${a.ms.toFixed(0)} ms)`);
console.log(
  `(b) session+segment+latency     ${fmt(b.perSec)} signals/s (${b.ms.toFixed(0)} ms), ${fmt(b.sink)} rows`,
);
console.log(`(c) ratio b/a                   ${(b.perSec / a.perSec).toFixed(3)}`);
console.log(
  `(d) folds, rows once per session ${fmt(d.perSec)} signals/s (${d.ms.toFixed(0)} ms), ${fmt(d.sink)} rows (target ≥ 2,000,000: ${d.perSec >= 2e6 ? "met" : "NOT met"})`,
);
console.log(`(e) ratio d/a                   ${(d.perSec / a.perSec).toFixed(3)}`);
console.log(
  `heap per open session           ${fmt(perSession)} bytes (session + segment accumulators, JSON size ${fmt(JSON.stringify(Object.values(states)[0]).length)} bytes)`,
);
