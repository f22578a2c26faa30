/**
 * The rejected-event envelope (`ingest-and-storage.md` §2.12) and its ClickHouse row form
 * (§2.13).
 *
 * @module
 */
import { z } from "zod";
import type {
  AcceptedEvent,
  DedupStrategy,
  Dimensions,
  SourcePointer,
} from "../events/accepted-event.js";
import {
  FAILURE_CLASSES,
  FAILURE_STAGES,
  REJECTION_CODES,
  type FailureClass,
  type FailureStage,
  type RejectReason,
} from "./codes.js";

/** Value of `schemaVersion` in every envelope. */
export const REJECT_ENVELOPE_SCHEMA_VERSION = "v1";

/**
 * A DLQ or quarantine envelope. Field order is the serialization order; `null` fields are
 * written as `null`, never omitted.
 *
 * @category Rejections
 */
export interface RejectedEventEnvelope {
  /** Always `"v1"`. */
  readonly schemaVersion: string;
  /** Transport coordinates; partition, offset and record timestamp are `0` when unknown. */
  readonly source: SourcePointer;
  /** Why the input was rejected. */
  readonly failure: {
    readonly stage: FailureStage;
    readonly failureClass: FailureClass;
    readonly reason: RejectReason;
    /** Human-readable detail, or `null`. */
    readonly details: string | null;
  };
  /** Identity of the rejected event, when known. */
  readonly identity: {
    readonly eventId: string | null;
    readonly eventType: string | null;
    readonly eventVersion: string | null;
  };
  /** Routing dimensions, or `null` for record-decode failures. */
  readonly dimensions: Dimensions | null;
  /** The original payload. */
  readonly payload: {
    /** `"json"` for text bodies, `"base64"` for undecodable bytes. */
    readonly encoding: "json" | "base64";
    /** Original record text (or Base64 of the raw bytes), `null` for a null record. */
    readonly body: string | null;
    /** Compact re-serialization of the parsed root (schema failures only), else `null`. */
    readonly canonicalJson: string | null;
  };
  /** Dedup key, set for post-dedup rejections. */
  readonly dedupKey: string | null;
  /** Dedup strategy, set for post-dedup rejections. */
  readonly dedupStrategy: DedupStrategy | null;
  /** Whether the rejected input was a replayed record. */
  readonly replay: boolean;
  /** When the envelope was built, epoch ms: the caller's explicit `now` (never a clock read). */
  readonly ingestionTimestamp: number;
  /** Envelope timestamp of the event when known, epoch ms. */
  readonly eventTimestamp: number | null;
}

const SourceSchema = /* @__PURE__ */ (() =>
  z.object({
    topic: z.string().nullable(),
    partition: z.number().int(),
    offset: z.number().int(),
    recordTimestamp: z.number().int(),
  }))();

/**
 * Zod schema of {@link RejectedEventEnvelope}, e.g. to validate envelopes read back from a DLQ
 * topic before replaying them.
 *
 * @category Rejections
 */
export const RejectedEventEnvelopeSchema: z.ZodType<RejectedEventEnvelope> = /* @__PURE__ */ (() =>
  z.object({
    schemaVersion: z.string(),
    source: SourceSchema,
    failure: z.object({
      stage: z.enum(FAILURE_STAGES),
      failureClass: z.enum(FAILURE_CLASSES),
      reason: z.enum(Object.keys(REJECTION_CODES) as [RejectReason, ...RejectReason[]]),
      details: z.string().nullable(),
    }),
    identity: z.object({
      eventId: z.string().nullable(),
      eventType: z.string().nullable(),
      eventVersion: z.string().nullable(),
    }),
    dimensions: z
      .object({
        orchestrator: z.string().nullable(),
        broadcaster: z.string().nullable(),
        region: z.string().nullable(),
      })
      .nullable(),
    payload: z.object({
      encoding: z.enum(["json", "base64"]),
      body: z.string().nullable(),
      canonicalJson: z.string().nullable(),
    }),
    dedupKey: z.string().nullable(),
    dedupStrategy: z.enum(["event_id", "payload_hash"]).nullable(),
    replay: z.boolean(),
    ingestionTimestamp: z.number().int(),
    eventTimestamp: z.number().int().nullable(),
  }))();

/** Source pointer used when the transport record is unknown. */
export const UNKNOWN_SOURCE: SourcePointer = {
  topic: null,
  partition: 0,
  offset: 0,
  recordTimestamp: 0,
};

function failureOf(reason: RejectReason, details: string | null): RejectedEventEnvelope["failure"] {
  const c = REJECTION_CODES[reason];
  return { stage: c.stage, failureClass: c.failureClass, reason, details };
}

/**
 * The `duplicate_event` quarantine envelope of an accepted event whose dedup key was already seen.
 *
 * @category Rejections
 */
export function rejectDuplicateEvent(event: AcceptedEvent, now: number): RejectedEventEnvelope {
  return rejectAcceptedEvent(
    event,
    "duplicate_event",
    `Duplicate detected for key: ${event.dedupKey}`,
    now,
  );
}

/**
 * Envelope for a rejection that happens after dedup (variant C: duplicate, parse failure, row
 * guard, evicted session), built from the accepted event.
 *
 * @category Rejections
 */
export function rejectAcceptedEvent(
  event: AcceptedEvent,
  reason: RejectReason,
  details: string | null,
  now: number,
): RejectedEventEnvelope {
  return {
    schemaVersion: REJECT_ENVELOPE_SCHEMA_VERSION,
    source: event.source,
    failure: failureOf(reason, details),
    identity: {
      eventId: event.eventId,
      eventType: event.eventType,
      eventVersion: event.eventVersion,
    },
    dimensions: event.dimensions,
    payload: { encoding: "json", body: event.rawJson, canonicalJson: null },
    dedupKey: event.dedupKey,
    dedupStrategy: event.dedupStrategy,
    replay: event.replay,
    ingestionTimestamp: now,
    eventTimestamp: event.timestamp,
  };
}

/**
 * Fields of a variant A/B envelope that the decode and validation stages fill.
 *
 * @internal
 */
export interface EarlyRejectFields {
  readonly source: SourcePointer;
  readonly reason: RejectReason;
  readonly details: string | null;
  readonly identity: RejectedEventEnvelope["identity"];
  readonly dimensions: Dimensions | null;
  readonly payload: RejectedEventEnvelope["payload"];
  readonly replay: boolean;
  readonly eventTimestamp: number | null;
}

/**
 * Builds a record-decode (variant A) or schema-validation (variant B) envelope.
 *
 * @internal
 */
export function earlyReject(f: EarlyRejectFields, now: number): RejectedEventEnvelope {
  return {
    schemaVersion: REJECT_ENVELOPE_SCHEMA_VERSION,
    source: f.source,
    failure: failureOf(f.reason, f.details),
    identity: f.identity,
    dimensions: f.dimensions,
    payload: f.payload,
    dedupKey: null,
    dedupStrategy: null,
    replay: f.replay,
    ingestionTimestamp: now,
    eventTimestamp: f.eventTimestamp,
  };
}

/**
 * Compact JSON of an envelope in the canonical field order (nulls written, not omitted).
 *
 * @category Rejections
 */
export function serializeEnvelope(envelope: RejectedEventEnvelope): string {
  const e = envelope;
  return JSON.stringify({
    schemaVersion: e.schemaVersion,
    source: {
      topic: e.source.topic,
      partition: e.source.partition,
      offset: e.source.offset,
      recordTimestamp: e.source.recordTimestamp,
    },
    failure: {
      stage: e.failure.stage,
      failureClass: e.failure.failureClass,
      reason: e.failure.reason,
      details: e.failure.details,
    },
    identity: {
      eventId: e.identity.eventId,
      eventType: e.identity.eventType,
      eventVersion: e.identity.eventVersion,
    },
    dimensions:
      e.dimensions === null
        ? null
        : {
            orchestrator: e.dimensions.orchestrator,
            broadcaster: e.dimensions.broadcaster,
            region: e.dimensions.region,
          },
    payload: {
      encoding: e.payload.encoding,
      body: e.payload.body,
      canonicalJson: e.payload.canonicalJson,
    },
    dedupKey: e.dedupKey,
    dedupStrategy: e.dedupStrategy,
    replay: e.replay,
    ingestionTimestamp: e.ingestionTimestamp,
    eventTimestamp: e.eventTimestamp,
  });
}

/**
 * One row of `raw_streaming_events_dlq` / `raw_streaming_events_quarantine`
 * (`ingest-and-storage.md` §2.13). Timestamps are epoch ms (the ClickHouse mapper formats them).
 *
 * @category Rejections
 */
export interface RejectionRow {
  readonly schema_version: string;
  readonly source_topic: string;
  readonly source_partition: number;
  readonly source_offset: number;
  /** Epoch ms; `0` renders as 1970-01-01 00:00:00.000. */
  readonly source_record_timestamp: number;
  readonly event_id: string;
  readonly event_type: string;
  readonly event_version: string | null;
  /** Epoch ms or `null`. */
  readonly event_timestamp: number | null;
  readonly dedup_key: string | null;
  readonly dedup_strategy: string | null;
  /** `0`/`1`. */
  readonly replay: number;
  readonly failure_stage: string;
  readonly failure_class: string;
  readonly failure_reason: string;
  readonly failure_details: string;
  readonly orchestrator: string | null;
  readonly broadcaster: string | null;
  readonly region: string | null;
  readonly payload_encoding: string;
  readonly payload_body: string;
  readonly payload_canonical_json: string | null;
  /** Epoch ms, sent explicitly. */
  readonly ingestion_timestamp: number;
}

/**
 * Maps an envelope to its rejection-table row with the §2.13 null handling. Accepts a partial
 * `source` (an envelope read back from Kafka may lack it), in which case the record timestamp
 * falls back to `ingestionTimestamp`.
 *
 * @category Rejections
 */
export function toRejectionRow(
  envelope: Omit<RejectedEventEnvelope, "source"> & { readonly source: SourcePointer | null },
): RejectionRow {
  const e = envelope;
  const s = e.source;
  return {
    schema_version: e.schemaVersion ?? "",
    source_topic: s?.topic ?? "",
    source_partition: s?.partition ?? 0,
    source_offset: s?.offset ?? 0,
    source_record_timestamp: s === null ? e.ingestionTimestamp : (s.recordTimestamp ?? 0),
    event_id: e.identity.eventId ?? "",
    event_type: e.identity.eventType ?? "",
    event_version: e.identity.eventVersion,
    event_timestamp: e.eventTimestamp,
    dedup_key: e.dedupKey,
    dedup_strategy: e.dedupStrategy,
    replay: e.replay ? 1 : 0,
    failure_stage: e.failure.stage ?? "",
    failure_class: e.failure.failureClass ?? "",
    failure_reason: e.failure.reason ?? "",
    failure_details: e.failure.details ?? "",
    orchestrator: e.dimensions?.orchestrator ?? null,
    broadcaster: e.dimensions?.broadcaster ?? null,
    region: e.dimensions?.region ?? null,
    payload_encoding: e.payload.encoding ?? "",
    payload_body: e.payload.body ?? "",
    payload_canonical_json: e.payload.canonicalJson,
    ingestion_timestamp: e.ingestionTimestamp,
  };
}
