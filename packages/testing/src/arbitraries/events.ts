/**
 * Event-level arbitraries: whole telemetry envelopes (the records a Kafka topic or a JSONL file
 * holds) of realistic sessions, with the capability snapshots that attribute them, and the
 * delivery faults of a real source: duplicates, bounded reordering and runner clock skew.
 *
 * @module
 */
import fc from "fast-check";
import type { JsonObject } from "@livepeer-analytics/core/primitives";
import {
  capabilityStreamArbitrary,
  type CapabilityPoolOptions,
  type CapabilityWallet,
} from "./capabilities.js";
import {
  DEFAULT_MODELS,
  sessionPlanArbitrary,
  withBoundedReordering,
  withDuplicates,
  type LifecycleSessionOptions,
  type SessionPlan,
  type SessionStep,
} from "./lifecycle.js";

/**
 * Options of {@link sessionEventsArbitrary}.
 *
 * @category Arbitraries
 */
export interface SessionEventsOptions
  extends
    Omit<LifecycleSessionOptions, "hotWallets" | "startMin" | "startMax">,
    CapabilityPoolOptions {
  /** Maximum number of sessions (at least one is generated). Default 4. */
  readonly maxSessions?: number;
  /** Earliest session start, epoch ms. Default 1 767 900 000 000 (2026-01-08T19:20Z). */
  readonly startMin?: number;
  /** Sessions start within this many ms after `startMin`. Default 120 000. */
  readonly startSpreadMs?: number;
  /**
   * Probability that a session reports no hot wallet (it cannot be attributed). Default 0.1.
   * Every other session uses a hot wallet of the generated capability pool.
   */
  readonly noWalletProbability?: number;
  /** Maximum number of capability events before the sessions. Default 3. */
  readonly maxCapabilityEvents?: number;
  /** Maximum number of re-delivered records (exact copies, later in the stream). Default 5. */
  readonly maxDuplicates?: number;
  /**
   * Reordering window: each record moves at most `reorderWindow − 1` positions from event-time
   * order. Default 4; 1 keeps event-time order.
   */
  readonly reorderWindow?: number;
  /** Add `stream_ingest_metrics` and `create_new_payment` events to sessions. Default `true`. */
  readonly otherFamilies?: boolean;
}

/**
 * Generated telemetry: the wallets behind the capability events, every event once in event-time
 * order, and the records as a source would deliver them.
 *
 * @category Arbitraries
 */
export interface SessionEvents {
  /** The capability pool's hot wallets and their canonical orchestrators (lower-case). */
  readonly wallets: readonly CapabilityWallet[];
  /**
   * Every envelope once, in event-time order (capability snapshots first): what an ideal source
   * would deliver. Ids are unique.
   */
  readonly events: readonly JsonObject[];
  /**
   * The envelopes as JSON text in arrival order: `events` with exact re-deliveries and bounded
   * reordering applied. `records.length − events.length` is the number of re-deliveries.
   */
  readonly records: readonly string[];
}

/** FNV-1a of a string as 8 hex digits (ids only: deterministic, not cryptographic). */
function hex32(s: string): string {
  let h = 0x811c9dc5;
  for (let i = 0; i < s.length; i++) h = Math.imul(h ^ s.charCodeAt(i), 0x01000193) >>> 0;
  return h.toString(16).padStart(8, "0");
}

/** A UUID-shaped id, unique per (session index, step rank, part). */
function eventId(p: SessionPlan, session: number, n: number, part: number): string {
  const s = session.toString(16).padStart(4, "0").slice(-4);
  const tail = (n * 16 + part).toString(16).padStart(12, "0");
  return `${hex32(`${p.stream}|${p.request}|${p.start}`)}-${s}-4000-8000-${tail}`;
}

/** The orchestrator object of a step that reports one (`""` fields otherwise). */
function orchestratorInfo(p: SessionPlan, withOrchestrator: boolean): JsonObject {
  return withOrchestrator ? { address: p.hot, url: p.url } : { address: "", url: "" };
}

/** The envelope of one session step, shaped like production events. */
function stepEnvelope(p: SessionPlan, session: number, step: SessionStep): JsonObject {
  const id = eventId(p, session, step.n, 0);
  const base = { id, timestamp: String(step.ts), gateway: p.gateway };
  if (step.kind === "trace")
    return {
      ...base,
      type: "stream_trace",
      data: {
        orchestrator_info: orchestratorInfo(p, step.withOrchestrator),
        pipeline_id: "",
        request_id: p.request,
        stream_id: p.stream,
        timestamp: step.ts,
        type: step.traceType,
      },
    };
  if (step.kind === "status")
    return {
      ...base,
      type: "ai_stream_status",
      data: {
        inference_status: {
          fps: step.outputFps,
          last_error: step.lastError,
          last_error_time: step.lastError === null ? null : step.ts - 500,
          last_output_time: step.ts - 80,
          last_params: { height: 512, width: 512 },
          restart_count: 0,
        },
        input_status: { fps: Math.fround(20), last_input_time: step.ts - 90 },
        last_status_timestamp: step.startTimeMs,
        orchestrator_info: orchestratorInfo(p, true),
        pipeline: p.model,
        pipeline_id: "",
        request_id: p.request,
        start_time: step.startTimeMs,
        state: step.state,
        stream_id: p.stream,
        timestamp: step.ts,
        type: "status",
      },
    };
  return {
    ...base,
    type: "ai_stream_events",
    data: {
      message: step.message,
      pipeline: p.model,
      pipeline_id: "",
      request_id: p.request,
      stream_id: p.stream,
      timestamp: step.ts,
      type: step.aiEventType,
    },
  };
}

/**
 * Non-lifecycle events of a session: an ingest-metrics sample and, when a known orchestrator was
 * paid (`recipient`, its canonical address, and the session's orchestrator URL), a payment,
 * shortly after the start.
 */
function otherEnvelopes(p: SessionPlan, session: number, recipient: string | null): JsonObject[] {
  const at = (dt: number): number => p.start + dt;
  const events: JsonObject[] = [
    {
      id: eventId(p, session, 0, 1),
      type: "stream_ingest_metrics",
      timestamp: String(at(5_000)),
      gateway: p.gateway,
      data: {
        pipeline_id: "",
        request_id: p.request,
        stream_id: p.stream,
        timestamp: at(5_000),
        stats: {
          conn_quality: "good",
          peer_conn_stats: { ID: "iceTransport", BytesReceived: 477_890, BytesSent: 4_013 },
          track_stats: [
            {
              type: "video",
              jitter: 10.5,
              packets_lost: 0,
              packets_received: 413,
              packet_loss_pct: 0,
              rtt: 0,
              last_input_ts: 4.9,
              last_output_ts: 0,
              latency: 0,
            },
          ],
        },
      },
    },
  ];
  if (recipient === null || p.url === "") return events;
  events.push({
    id: eventId(p, session, 0, 2),
    type: "create_new_payment",
    timestamp: String(at(300)),
    gateway: p.gateway,
    data: {
      capability: "",
      clientIP: "",
      faceValue: "2402400000000000 WEI",
      manifestID: `35_${p.model}`,
      numTickets: "2",
      orchestrator: p.url,
      price: "1635.021 wei/pixel",
      recipient,
      requestID: p.request,
      sender: "0x5ae4e42db3671370a0c25aff451e7482aaec3d0b",
      sessionID: p.request.slice(0, 8),
      winProb: "0.0009990010",
    },
  });
  return events;
}

const timeOf = (e: JsonObject): number => Number(e["timestamp"]);

/**
 * Realistic telemetry envelopes of several interleaved sessions, as records a source delivers:
 *
 * - `network_capabilities` events of a generated wallet pool (shared hot wallets, several models
 *   and GPUs, hardware-less orchestrators) before the sessions, so sessions whose hot wallet and
 *   model match an advertised one are attributed, and the others are not;
 * - per session, `stream_trace` edges in causal order with runner clock skew, `ai_stream_status`
 *   samples (loading, degraded, errors), `ai_stream_events` errors and parameter updates, and
 *   optionally a `stream_ingest_metrics` sample and a `create_new_payment`;
 * - then exact re-deliveries and bounded reordering, as an at-least-once source produces.
 *
 * Every envelope passes the quality gate; ids are unique per event, so re-deliveries are exactly
 * the duplicates the engine's dedup drops.
 *
 * @category Arbitraries
 * @example
 * fc.assert(
 *   fc.property(sessionEventsArbitrary(), ({ events, records }) => {
 *     const engine = createEngine();
 *     const runner = createRunner(engine);
 *     records.forEach((value, i) => runner.push({ record: { value, offset: i }, now: 0 }));
 *     const tables = collectFinalTables(runner.flush()).tables;
 *     // … assert properties of `tables` against `events`
 *   }),
 * );
 */
export function sessionEventsArbitrary(
  options: SessionEventsOptions = {},
): fc.Arbitrary<SessionEvents> {
  const startMin = options.startMin ?? 1_767_900_000_000;
  const startMax = startMin + Math.max(0, options.startSpreadMs ?? 120_000);
  const models = options.models ?? DEFAULT_MODELS;
  const capabilities = capabilityStreamArbitrary({
    ...options,
    models,
    start: startMin - 20 * 60_000,
    end: startMin - 1,
    maxEvents: Math.max(1, options.maxCapabilityEvents ?? 3),
    staleProbability: 0,
  });
  const noWallet = options.noWalletProbability ?? 0.1;
  const events = capabilities.chain((cap) => {
    const hots = cap.wallets.map((w) => w.hot);
    const canonicalOf = new Map(cap.wallets.map((w) => [w.hot, w.canonicals[0]!]));
    const session = fc
      .tuple(
        fc.noBias(fc.integer({ min: 0, max: 999 })).map((x) => x < noWallet * 1000),
        sessionPlanArbitrary({ ...options, models, hotWallets: hots, startMin, startMax }),
      )
      .map(([none, plan]) => (none ? { ...plan, hot: "" } : plan));
    return fc
      .array(session, { minLength: 1, maxLength: Math.max(1, options.maxSessions ?? 4) })
      .map((plans) => {
        const sessionEvents = plans.flatMap((p, i) => [
          ...p.steps.map((step) => stepEnvelope(p, i, step)),
          ...(options.otherFamilies === false
            ? []
            : otherEnvelopes(p, i, canonicalOf.get(p.hot) ?? null)),
        ]);
        // Stable: ties keep generation order.
        sessionEvents.sort((a, b) => timeOf(a) - timeOf(b));
        return { wallets: cap.wallets, events: [...cap.events, ...sessionEvents] };
      });
  });
  return events.chain(({ wallets, events: all }) => {
    const lines = fc.constant(all.map((e) => JSON.stringify(e)));
    const delivered = withBoundedReordering(
      withDuplicates(lines, Math.max(0, options.maxDuplicates ?? 5)),
      Math.max(1, options.reorderWindow ?? 4),
    );
    return delivered.map((records): SessionEvents => ({ wallets, events: all, records }));
  });
}
