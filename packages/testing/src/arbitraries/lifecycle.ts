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
const DEFAULT_MODELS = [
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

/**
 * One generated session as lifecycle inputs (signal plus sample for status and trace events), in
 * causal time order.
 *
 * @category Arbitraries
 */
export function lifecycleSessionArbitrary(
  options: LifecycleSessionOptions = {},
): fc.Arbitrary<LifecycleInput[]> {
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
    .map((g) => {
      const id = `${g.stream}|${g.request}`;
      const out: LifecycleInput[] = [];
      const uidBase = `${g.stream}-${g.request}-${g.start}`;
      let n = 0;
      const uid = (): string => `${uidBase}-${n++}`;
      // The fields a signal and its sample share.
      const who = {
        workflowSessionId: id,
        streamId: g.stream,
        requestId: g.request,
        gateway: g.gateway,
      };
      const trace = (type: string, ts: number, withOrch: boolean): void => {
        const s = traceSignal(type, ts, {
          ...who,
          orchestratorAddress: withOrch ? g.hot : "",
          orchestratorUrl: withOrch ? g.url : "",
          sourceEventUid: uid(),
        });
        const sample = traceSample(type, ts, {
          ...who,
          orchestratorUrl: s.orchestratorUrl ?? "",
          sourceEventUid: `h-${s.sourceEventUid}`,
        });
        out.push({ kind: "signal", signal: s, sample });
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
        const fps = loading ? 0 : Math.fround(15 + ((i * 7) % 10));
        const s = statusSignal(ts, g.model, {
          ...who,
          orchestratorAddress: g.hot,
          orchestratorUrl: g.url,
          startTimeMs: g.start + 300 + g.skew,
          statusState: loading ? "LOADING" : i % 5 === 4 ? "DEGRADED_INFERENCE" : "ONLINE",
          statusOutputFps: fps,
          statusLastError: i % 7 === 6 ? "Error updating params" : null,
          sourceEventUid: uid(),
        });
        out.push({
          kind: "signal",
          signal: s,
          sample: statusSample(ts, {
            ...who,
            orchestratorUrl: g.url,
            state: s.statusState ?? "",
            outputFps: fps,
            inputFps: Math.fround(20),
            sourceEventUid: `h-${s.sourceEventUid}`,
          }),
        });
      }
      if (g.swap) trace("orchestrator_swap", g.start + 25_000, true);
      for (const e of g.errors) {
        const messages = e.excusable ? EXCUSABLE : FATAL;
        const message = messages[e.at % messages.length]!;
        out.push({
          kind: "signal",
          signal: aiEventSignal("error", g.start + e.at, g.model, {
            ...who,
            message,
            sourceEventUid: uid(),
          }),
        });
      }
      for (const at of g.params) {
        out.push({
          kind: "signal",
          signal: aiEventSignal("params_update", g.start + at, g.model, {
            ...who,
            message: "",
            sourceEventUid: uid(),
          }),
        });
      }
      if (g.close) trace("gateway_ingest_stream_closed", Math.max(ts, t) + g.gaps[5]!, false);
      return out.sort((a, b) => inputTime(a) - inputTime(b));
    });
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
