/**
 * Lifecycle signals: the normalized input of every lifecycle operator (`lifecycle.md` §2), and the
 * segment-aligned sample inputs of status and trace events (§5.5).
 *
 * @module
 */
import type { AcceptedEvent } from "../events/accepted-event.js";
import { parseAiStreamEvent, type AiStreamEventRow } from "../events/ai-stream-events.js";
import { parseAiStreamStatus, type AiStreamStatusRow } from "../events/ai-stream-status.js";
import { parseStreamTrace, type StreamTraceRow } from "../events/stream-trace.js";
import { sha256Hex } from "../primitives/sha256.js";
import { isBlank } from "../primitives/strings.js";
import { workflowSessionId } from "./session-id.js";

/**
 * Source family of a signal.
 *
 * @category Lifecycle
 */
export type SignalType = "STREAM_STATUS" | "STREAM_TRACE" | "AI_STREAM_EVENT";

/**
 * The fields every lifecycle signal carries (`lifecycle.md` §2.1), `null` where they do not apply
 * to its family; {@link LifecycleSignal} narrows them per family.
 *
 * @category Lifecycle
 */
export interface SignalBase {
  /** Source family: the discriminant of {@link LifecycleSignal}. */
  readonly signalType: SignalType;
  /** `workflow_session_id` (§3); never blank. */
  readonly workflowSessionId: string;
  /** The time every lifecycle rule uses, epoch ms: envelope time, or a trace's positive `data.timestamp`. */
  readonly signalTimestamp: number;
  /** Envelope timestamp, epoch ms (carried, never used by rules). */
  readonly ingestTimestamp: number;
  /** Raw payload `stream_id` (untrimmed). */
  readonly streamId: string;
  /** Raw payload `request_id` (untrimmed). */
  readonly requestId: string;
  /** Raw payload `pipeline` (a model label upstream); `null` for traces. */
  readonly pipeline: string | null;
  /** Raw payload `pipeline`, kept for the resolver; `null` for traces. */
  readonly pipelineHint: string | null;
  /** Raw payload `pipeline` as model hint; `null` for traces. */
  readonly modelHint: string | null;
  /** Envelope gateway (`""` when absent). */
  readonly gateway: string;
  /** Normalized hot-wallet address from `orchestrator_info`; `null` for AI events. A lookup key only. */
  readonly orchestratorAddress: string | null;
  /** Payload orchestrator URL; `null` for AI events. */
  readonly orchestratorUrl: string | null;
  /** Trace subtype (`data.type`); `null` unless a trace. */
  readonly traceType: string | null;
  /** AI event type (`error`, `params_update`, …); `null` unless an AI event. */
  readonly aiEventType: string | null;
  /** AI event message; `null` unless an AI event. */
  readonly message: string | null;
  /** Status `start_time` (runner clock), epoch ms, or `null`. */
  readonly startTimeMs: number | null;
  /** Status `state`; `null` unless a status. */
  readonly statusState: string | null;
  /** Status output fps (float32); `null` unless a status. */
  readonly statusOutputFps: number | null;
  /** Status `last_error`; `null` when absent or not a status. */
  readonly statusLastError: string | null;
  /** Lineage uid: envelope id when non-blank, else SHA-256 of the received text (§2.3). */
  readonly sourceEventUid: string;
}

/**
 * A `stream_trace` signal: a trace subtype, an orchestrator, no AI-event or status fields.
 *
 * @category Lifecycle
 */
export interface TraceSignal extends SignalBase {
  /** Discriminant. */
  readonly signalType: "STREAM_TRACE";
  /** Trace subtype (`data.type`). */
  readonly traceType: string;
  /** Not an AI event. */
  readonly aiEventType: null;
  /** Not an AI event. */
  readonly message: null;
  /** Not a status. */
  readonly statusState: null;
  /** Not a status. */
  readonly statusOutputFps: null;
  /** Not a status. */
  readonly statusLastError: null;
}

/**
 * An `ai_stream_status` signal: the status fields and an orchestrator, no trace or AI-event
 * fields.
 *
 * @category Lifecycle
 */
export interface StatusSignal extends SignalBase {
  /** Discriminant. */
  readonly signalType: "STREAM_STATUS";
  /** Not a trace. */
  readonly traceType: null;
  /** Not an AI event. */
  readonly aiEventType: null;
  /** Not an AI event. */
  readonly message: null;
}

/**
 * An `ai_stream_events` signal: an event type and message, no trace or status fields.
 *
 * @category Lifecycle
 */
export interface AiEventSignal extends SignalBase {
  /** Discriminant. */
  readonly signalType: "AI_STREAM_EVENT";
  /** Not a trace. */
  readonly traceType: null;
  /** AI event type (`error`, `params_update`, …). */
  readonly aiEventType: string;
  /** Not a status. */
  readonly statusState: null;
  /** Not a status. */
  readonly statusOutputFps: null;
  /** Not a status. */
  readonly statusLastError: null;
}

/**
 * A normalized lifecycle signal (`lifecycle.md` §2.1), discriminated by `signalType`: narrowing
 * on it gives the fields of that family (a trace's `traceType` is a string, an AI event carries
 * no status, …). Every variant has every field of {@link SignalBase}, so all share one plain-JSON
 * shape. Treat as immutable: operators work on their own copy of `pipeline`.
 *
 * @category Lifecycle
 */
export type LifecycleSignal = TraceSignal | StatusSignal | AiEventSignal;

/**
 * Input of the segment-window join for one `ai_stream_status` event (`lifecycle.md` §5.5).
 *
 * @category Lifecycle
 */
export interface StatusSampleInput {
  /** Discriminant. */
  readonly kind: "status";
  /** Session key. */
  readonly workflowSessionId: string;
  /** Matching time: the envelope timestamp, epoch ms. */
  readonly sampleTs: number;
  /** Payload `stream_id`. */
  readonly streamId: string;
  /** Payload `request_id`. */
  readonly requestId: string;
  /** Parsed gateway. */
  readonly gateway: string;
  /** Payload orchestrator URL. */
  readonly orchestratorUrl: string;
  /** Payload `state`. */
  readonly state: string;
  /** Output fps, float32. */
  readonly outputFps: number;
  /** Input fps, float32. */
  readonly inputFps: number;
  /** SHA-256 of the received text, else the signal uid (`ingest-and-storage.md` §1.8). */
  readonly sourceEventUid: string;
}

/**
 * Input of the segment-window join for one `stream_trace` event (`lifecycle.md` §5.5).
 *
 * @category Lifecycle
 */
export interface TraceEdgeInput {
  /** Discriminant. */
  readonly kind: "trace";
  /** Session key. */
  readonly workflowSessionId: string;
  /** Matching time: `data_timestamp > 0 ? data_timestamp : envelope timestamp`, epoch ms. */
  readonly edgeTs: number;
  /** Payload `stream_id`. */
  readonly streamId: string;
  /** Payload `request_id`. */
  readonly requestId: string;
  /** Envelope gateway. */
  readonly gateway: string;
  /** Payload orchestrator URL. */
  readonly orchestratorUrl: string;
  /** Trace subtype. */
  readonly traceType: string;
  /** SHA-256 of the received text, else the signal uid. */
  readonly sourceEventUid: string;
}

/**
 * A status or trace sample.
 *
 * @category Lifecycle
 */
export type SampleInput = StatusSampleInput | TraceEdgeInput;

/**
 * Trace category (`lifecycle.md` §2.4) by prefix: `gateway_`, `orchestrator_`, `runner_`, `app_`,
 * otherwise `other` (also for `null`).
 *
 * @category Lifecycle
 */
export function traceCategory(
  traceType: string | null | undefined,
): "gateway" | "orchestrator" | "runner" | "app" | "other" {
  if (traceType === null || traceType === undefined) return "other";
  if (traceType.startsWith("gateway_")) return "gateway";
  if (traceType.startsWith("orchestrator_")) return "orchestrator";
  if (traceType.startsWith("runner_")) return "runner";
  if (traceType.startsWith("app_")) return "app";
  return "other";
}

/**
 * Lifecycle `source_event_uid` (`lifecycle.md` §2.3): the envelope id if not blank (untrimmed),
 * else the SHA-256 of the received text.
 *
 * @category Lifecycle
 */
export function signalSourceUid(
  eventId: string,
  rawJson: string,
  hash: (s: string) => string = sha256Hex,
): string {
  return isBlank(eventId) ? hash(rawJson) : eventId;
}

/**
 * Status/trace row `source_event_uid` (`ingest-and-storage.md` §1.8): SHA-256 of the received
 * text when it is not blank, else the signal uid.
 *
 * @category Lifecycle
 */
export function sampleSourceUid(
  eventId: string,
  rawJson: string,
  hash: (s: string) => string = sha256Hex,
): string {
  return isBlank(rawJson) ? signalSourceUid(eventId, rawJson, hash) : hash(rawJson);
}

/**
 * What one lifecycle event yields: its signal and, for status and trace events, its sample.
 *
 * @category Lifecycle
 */
export interface LifecycleEventInputs {
  /** The lifecycle signal. */
  readonly signal: LifecycleSignal;
  /** The segment-aligned sample (status and trace events only). */
  readonly sample: SampleInput | null;
}

/**
 * Options of {@link toLifecycleInputs}.
 *
 * @category Lifecycle
 */
export interface ToLifecycleInputsOptions {
  /** Compute sample uids (SHA-256 of the text). Default `true`; turn off when samples are not joined. */
  readonly samples?: boolean;
  /** The event's typed row when already parsed (avoids parsing it twice); must match the event's family. */
  readonly row?: StreamTraceRow | AiStreamStatusRow | AiStreamEventRow;
  /**
   * Lower-case hex SHA-256 of a string's UTF-8 bytes. Default: the pure implementation of
   * `primitives`; a host may pass a native one (same results, faster).
   */
  readonly sha256Hex?: (s: string) => string;
}

/**
 * Normalizes one accepted event into its lifecycle signal (and sample), following the mapping of
 * `lifecycle.md` §2.2. Returns `null` for families that are not lifecycle input.
 *
 * @category Lifecycle
 */
export function toLifecycleInputs(
  event: AcceptedEvent,
  options: ToLifecycleInputsOptions = {},
): LifecycleEventInputs | null {
  const withSamples = options.samples ?? true;
  const hash = options.sha256Hex ?? sha256Hex;
  const uid = signalSourceUid(event.eventId, event.rawJson, hash);
  switch (event.eventType) {
    case "stream_trace": {
      const row = (options.row as StreamTraceRow | undefined) ?? parseStreamTrace(event).rows[0]!;
      const ts = row.data_timestamp > 0 ? row.data_timestamp : event.timestamp;
      const id = workflowSessionId(row.stream_id, row.request_id, event.eventId);
      return {
        signal: {
          signalType: "STREAM_TRACE",
          workflowSessionId: id,
          signalTimestamp: ts,
          ingestTimestamp: event.timestamp,
          streamId: row.stream_id,
          requestId: row.request_id,
          pipeline: null,
          pipelineHint: null,
          modelHint: null,
          gateway: event.gateway,
          orchestratorAddress: row.orchestrator_address,
          orchestratorUrl: row.orchestrator_url,
          traceType: row.trace_type,
          aiEventType: null,
          message: null,
          startTimeMs: null,
          statusState: null,
          statusOutputFps: null,
          statusLastError: null,
          sourceEventUid: uid,
        },
        sample: withSamples
          ? {
              kind: "trace",
              workflowSessionId: id,
              edgeTs: ts,
              streamId: row.stream_id,
              requestId: row.request_id,
              gateway: event.gateway,
              orchestratorUrl: row.orchestrator_url,
              traceType: row.trace_type,
              sourceEventUid: sampleSourceUid(event.eventId, event.rawJson, hash),
            }
          : null,
      };
    }
    case "ai_stream_status": {
      const row =
        (options.row as AiStreamStatusRow | undefined) ?? parseAiStreamStatus(event).rows[0]!;
      const id = workflowSessionId(row.stream_id, row.request_id, event.eventId);
      return {
        signal: {
          signalType: "STREAM_STATUS",
          workflowSessionId: id,
          signalTimestamp: event.timestamp,
          ingestTimestamp: event.timestamp,
          streamId: row.stream_id,
          requestId: row.request_id,
          pipeline: row.pipeline,
          pipelineHint: row.pipeline,
          modelHint: row.pipeline,
          gateway: event.gateway,
          orchestratorAddress: row.orchestrator_address,
          orchestratorUrl: row.orchestrator_url,
          traceType: null,
          aiEventType: null,
          message: null,
          startTimeMs: row.start_time,
          statusState: row.state,
          statusOutputFps: row.output_fps,
          statusLastError: row.last_error,
          sourceEventUid: uid,
        },
        sample: withSamples
          ? {
              kind: "status",
              workflowSessionId: id,
              sampleTs: event.timestamp,
              streamId: row.stream_id,
              requestId: row.request_id,
              gateway: row.gateway,
              orchestratorUrl: row.orchestrator_url,
              state: row.state,
              outputFps: row.output_fps,
              inputFps: row.input_fps,
              sourceEventUid: sampleSourceUid(event.eventId, event.rawJson, hash),
            }
          : null,
      };
    }
    case "ai_stream_events": {
      const row =
        (options.row as AiStreamEventRow | undefined) ?? parseAiStreamEvent(event).rows[0]!;
      return {
        signal: {
          signalType: "AI_STREAM_EVENT",
          workflowSessionId: workflowSessionId(row.stream_id, row.request_id, event.eventId),
          signalTimestamp: event.timestamp,
          ingestTimestamp: event.timestamp,
          streamId: row.stream_id,
          requestId: row.request_id,
          pipeline: row.pipeline,
          pipelineHint: row.pipeline,
          modelHint: row.pipeline,
          gateway: event.gateway,
          orchestratorAddress: null,
          orchestratorUrl: null,
          traceType: null,
          aiEventType: row.event_type,
          message: row.message,
          startTimeMs: null,
          statusState: null,
          statusOutputFps: null,
          statusLastError: null,
          sourceEventUid: uid,
        },
        sample: null,
      };
    }
    default:
      return null;
  }
}
