/**
 * Arbitraries of realistic lifecycle input: one session's trace edges in causal order with clock
 * skew between gateway and runner, status samples at about 10 s cadence, AI errors with and
 * without excusable messages, swaps, parameter updates, closes; interleaved sessions; duplicates
 * and bounded reordering.
 *
 * @module
 */
import fc from "fast-check";
import { REAL_HOT_WALLETS } from "../addresses.js";
import type { LifecycleInput } from "@livepeer-analytics/core/lifecycle";
import {
  aiEventSignal,
  statusSample,
  statusSignal,
  traceSample,
  traceSignal,
} from "../builders.js";

/**
 * Options of {@link lifecycleSessionArbitrary}.
 *
 * @category Arbitraries
 */
export interface LifecycleSessionOptions {
  /** Session start range, epoch ms. Default around 2026-01-08. */
  readonly startMin?: number;
  /** Upper bound of the session start, epoch ms. */
  readonly startMax?: number;
  /** Hot wallets to draw from (`""` = none reported). */
  readonly hotWallets?: readonly string[];
  /** Model labels stream events carry in `pipeline`. */
  readonly models?: readonly string[];
  /** Maximum number of status samples. Default 12. */
  readonly maxStatus?: number;
  /** Maximum runner clock skew relative to the gateway, ms (±). Default 2 000. */
  readonly maxSkewMs?: number;
}

const DEFAULT_HOT = [...REAL_HOT_WALLETS, ""];
/**
 * Model labels sessions carry by default.
 *
 * @internal
 */
export const DEFAULT_MODELS: readonly string[] = [
  "streamdiffusion-sdxl",
  "streamdiffusion-sdxl-faceid",
  "streamdiffusion-sdxl-v2v",
];
const URLS = ["https://rtav-orch2.xodeapp.xyz:28935", "https://rtv.nullworks.xyz:9924", ""];
/** A boolean that is true with probability `p` (unbiased, unlike the defaults of numeric arbitraries). */
const chance = (p: number): fc.Arbitrary<boolean> =>
  fc.noBias(fc.integer({ min: 0, max: 999 })).map((x) => x < p * 1000);

const EXCUSABLE = [
  "WHIP disconnected unexpectedly",
  "no orchestrators available within 2s timeout",
  "user disconnected",
];
const FATAL = ["CUDA out of memory", "runner crashed"];

/** One step of a generated session, in generation order (`n`: its rank, for unique ids). */
export type SessionStep =
  | {
      readonly kind: "trace";
      readonly n: number;
      readonly ts: number;
      readonly traceType: string;
      /** `true` when the step reports the orchestrator (hot wallet and URL). */
      readonly withOrchestrator: boolean;
    }
  | {
      readonly kind: "status";
      readonly n: number;
      readonly ts: number;
      readonly state: string;
      /** Output fps (a float32 value). */
      readonly outputFps: number;
      readonly lastError: string | null;
      /** Runner `start_time`, epoch ms (runner clock). */
      readonly startTimeMs: number;
    }
  | {
      readonly kind: "ai";
      readonly n: number;
      readonly ts: number;
      readonly aiEventType: "error" | "params_update";
      readonly message: string;
    };

/**
 * A generated session: who it is and its steps in causal time order (ties keep generation
 * order). Rendered as lifecycle inputs by {@link lifecycleSessionArbitrary} and as telemetry
 * envelopes by `sessionEventsArbitrary`, so both describe the same sessions.
 *
 * @internal
 */
export interface SessionPlan {
  readonly stream: string;
  readonly request: string;
  readonly start: number;
  readonly hot: string;
  readonly url: string;
  readonly model: string;
  readonly gateway: string;
  readonly steps: readonly SessionStep[];
}

/**
 * Generated sessions as {@link SessionPlan}s: trace edges in causal order with runner clock skew,
 * status samples at about 10 s cadence (loading first, degraded now and then), AI errors with and
 * without excusable messages, swaps, parameter updates, closes.
 *
 * @internal
 */
export function sessionPlanArbitrary(
  options: LifecycleSessionOptions = {},
): fc.Arbitrary<SessionPlan> {
  const hot = options.hotWallets ?? DEFAULT_HOT;
  const models = options.models ?? DEFAULT_MODELS;
  return fc
    .record({
      stream: fc.stringMatching(/^stream-[a-z0-9]{6}$/),
      request: fc.stringMatching(/^[0-9a-f]{8}$/),
      start: fc.integer({
        min: options.startMin ?? 1_767_900_000_000,
        max: options.startMax ?? 1_767_990_000_000,
      }),
      hot: fc.constantFrom(...hot),
      url: fc.constantFrom(...URLS),
      model: fc.constantFrom(...models),
      gateway: fc.constantFrom("", "cloud-spe-ai-live-video-tester-fra"),
      skew: fc.integer({ min: -(options.maxSkewMs ?? 2000), max: options.maxSkewMs ?? 2000 }),
      hasRequest: chance(0.9),
      reachProcessed: chance(0.8),
      reachPlayable: chance(0.85),
      noOrchestrators: chance(0.1),
      swap: chance(0.15),
      close: fc.boolean(),
      statusCount: fc.nat(options.maxStatus ?? 12),
      loadingFirst: fc.nat(3),
      errors: fc.array(fc.record({ excusable: fc.boolean(), at: fc.nat(60_000) }), {
        maxLength: 2,
      }),
      params: fc.array(fc.nat(60_000), { maxLength: 2 }),
      gaps: fc.array(fc.integer({ min: 50, max: 3000 }), { minLength: 6, maxLength: 6 }),
    })
    .map((g): SessionPlan => {
      const steps: SessionStep[] = [];
      let n = 0;
      const trace = (traceType: string, ts: number, withOrchestrator: boolean): void => {
        steps.push({ kind: "trace", n: n++, ts, traceType, withOrchestrator });
      };
      let t = g.start;
      if (g.hasRequest) trace("gateway_receive_stream_request", t, false);
      if (g.noOrchestrators) {
        trace("gateway_no_orchestrators_available", t + g.gaps[0]!, false);
      } else {
        t += g.gaps[0]!;
        trace("gateway_send_first_ingest_segment", t, true);
        trace("runner_receive_first_ingest_segment", t + 2 + g.skew, true);
        t += g.gaps[1]!;
        trace("runner_send_first_processed_segment", t + g.skew, true);
        if (g.reachProcessed) {
          t += g.gaps[2]!;
          trace("gateway_receive_first_processed_segment", t, true);
          if (g.reachPlayable) {
            t += g.gaps[3]!;
            trace("gateway_receive_few_processed_segments", t, true);
          }
        }
      }
      let ts = g.start + 10_000;
      for (let i = 0; i < g.statusCount; i++, ts += 10_000 + ((i * 37) % 41) - 20) {
        const loading = i < g.loadingFirst;
        steps.push({
          kind: "status",
          n: n++,
          ts,
          state: loading ? "LOADING" : i % 5 === 4 ? "DEGRADED_INFERENCE" : "ONLINE",
          outputFps: loading ? 0 : Math.fround(15 + ((i * 7) % 10)),
          lastError: i % 7 === 6 ? "Error updating params" : null,
          startTimeMs: g.start + 300 + g.skew,
        });
      }
      if (g.swap) trace("orchestrator_swap", g.start + 25_000, true);
      for (const e of g.errors) {
        const messages = e.excusable ? EXCUSABLE : FATAL;
        const message = messages[e.at % messages.length]!;
        steps.push({ kind: "ai", n: n++, ts: g.start + e.at, aiEventType: "error", message });
      }
      for (const at of g.params)
        steps.push({
          kind: "ai",
          n: n++,
          ts: g.start + at,
          aiEventType: "params_update",
          message: "",
        });
      if (g.close) trace("gateway_ingest_stream_closed", Math.max(ts, t) + g.gaps[5]!, false);
      steps.sort((a, b) => a.ts - b.ts);
      const { stream, request, start, hot, url, model, gateway } = g;
      return { stream, request, start, hot, url, model, gateway, steps };
    });
}

/** A session plan as lifecycle inputs (signal plus sample for status and trace steps). */
function planInputs(p: SessionPlan): LifecycleInput[] {
  const uidBase = `${p.stream}-${p.request}-${p.start}`;
  // The fields a signal and its sample share.
  const who = {
    workflowSessionId: `${p.stream}|${p.request}`,
    streamId: p.stream,
    requestId: p.request,
    gateway: p.gateway,
  };
  return p.steps.map((step): LifecycleInput => {
    const uid = `${uidBase}-${step.n}`;
    if (step.kind === "trace") {
      const s = traceSignal(step.traceType, step.ts, {
        ...who,
        orchestratorAddress: step.withOrchestrator ? p.hot : "",
        orchestratorUrl: step.withOrchestrator ? p.url : "",
        sourceEventUid: uid,
      });
      const sample = traceSample(step.traceType, step.ts, {
        ...who,
        orchestratorUrl: s.orchestratorUrl ?? "",
        sourceEventUid: `h-${uid}`,
      });
      return { kind: "signal", signal: s, sample };
    }
    if (step.kind === "status") {
      const s = statusSignal(step.ts, p.model, {
        ...who,
        orchestratorAddress: p.hot,
        orchestratorUrl: p.url,
        startTimeMs: step.startTimeMs,
        statusState: step.state,
        statusOutputFps: step.outputFps,
        statusLastError: step.lastError,
        sourceEventUid: uid,
      });
      const sample = statusSample(step.ts, {
        ...who,
        orchestratorUrl: p.url,
        state: step.state,
        outputFps: step.outputFps,
        inputFps: Math.fround(20),
        sourceEventUid: `h-${uid}`,
      });
      return { kind: "signal", signal: s, sample };
    }
    return {
      kind: "signal",
      signal: aiEventSignal(step.aiEventType, step.ts, p.model, {
        ...who,
        message: step.message,
        sourceEventUid: uid,
      }),
    };
  });
}

/**
 * One generated session as lifecycle inputs (signal plus sample for status and trace events), in
 * causal time order: trace edges with clock skew between gateway and runner, status samples at
 * about 10 s cadence, AI errors with and without excusable messages, swaps, parameter updates,
 * closes. For whole telemetry envelopes of such sessions, see `sessionEventsArbitrary`.
 *
 * @category Arbitraries
 */
export function lifecycleSessionArbitrary(
  options: LifecycleSessionOptions = {},
): fc.Arbitrary<LifecycleInput[]> {
  return sessionPlanArbitrary(options).map(planInputs);
}

/**
 * Time of an input: the signal time, or the earliest snapshot time of a capability input.
 *
 * @category Arbitraries
 */
export function inputTime(input: LifecycleInput): number {
  if (input.kind === "signal") return input.signal.signalTimestamp;
  return input.snapshots.reduce((m, s) => Math.min(m, s.snapshotTs), Number.POSITIVE_INFINITY);
}

/**
 * Options of {@link lifecycleStreamArbitrary}.
 *
 * @category Arbitraries
 */
export interface LifecycleStreamOptions extends LifecycleSessionOptions {
  /** Maximum number of interleaved sessions. Default 4. */
  readonly maxSessions?: number;
}

/**
 * Several sessions interleaved by time.
 *
 * @category Arbitraries
 */
export function lifecycleStreamArbitrary(
  options: LifecycleStreamOptions = {},
): fc.Arbitrary<LifecycleInput[]> {
  return fc
    .array(
      lifecycleSessionArbitrary({
        startMin: 1_767_900_000_000,
        startMax: 1_767_900_120_000,
        ...options,
      }),
      {
        minLength: 1,
        maxLength: options.maxSessions ?? 4,
      },
    )
    .map((sessions) => sessions.flat().sort((a, b) => inputTime(a) - inputTime(b)));
}

/**
 * Re-delivers some inputs (exact duplicates, as an at-least-once source would).
 *
 * @category Arbitraries
 */
export function withDuplicates<T>(inputs: fc.Arbitrary<T[]>, maxDuplicates = 5): fc.Arbitrary<T[]> {
  return inputs.chain((xs) =>
    xs.length === 0
      ? fc.constant(xs)
      : fc
          .array(fc.tuple(fc.nat(xs.length - 1), fc.nat(xs.length)), { maxLength: maxDuplicates })
          .map((dups) => {
            const out = [...xs];
            for (const [from, to] of dups) out.splice(Math.min(to, out.length), 0, xs[from]!);
            return out;
          }),
  );
}

/**
 * Bounded reordering: every element moves at most `window - 1` positions (a shuffle inside
 * consecutive windows).
 *
 * @category Arbitraries
 */
export function withBoundedReordering<T>(inputs: fc.Arbitrary<T[]>, window = 4): fc.Arbitrary<T[]> {
  return inputs.chain((xs) =>
    fc.array(fc.nat(), { minLength: xs.length, maxLength: xs.length }).map((keys) => {
      const out: T[] = [];
      for (let i = 0; i < xs.length; i += window) {
        const chunk = xs.slice(i, i + window).map((x, j) => ({ x, k: keys[i + j]! }));
        chunk.sort((a, b) => a.k - b.k);
        out.push(...chunk.map((c) => c.x));
      }
      return out;
    }),
  );
}
