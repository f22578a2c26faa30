/**
 * The accepted event: what the quality gate hands to dedup, the parsers and the lifecycle
 * (`ingest-and-storage.md` §2.5).
 *
 * @module
 */
import { z } from "zod";
import type { JsonObject, JsonValue } from "../primitives/json.js";
import type { EventType } from "./families.js";

/**
 * Where a record came from. For files the loader synthesizes one (`topic` = the file name,
 * `offset` = the record's position).
 *
 * @category Events
 */
export interface SourcePointer {
  /** Source topic, or `null` when unknown. */
  readonly topic: string | null;
  /** Source partition; `0` when unknown. */
  readonly partition: number;
  /** Source offset; `0` when unknown. */
  readonly offset: number;
  /** Record timestamp in epoch ms; `0` when unknown. */
  readonly recordTimestamp: number;
}

/**
 * Zod schema of {@link SourcePointer}.
 *
 * @category Events
 */
export const SourcePointerSchema = /* @__PURE__ */ (() =>
  z.object({
    topic: z.string().nullable(),
    partition: z.number().int().nonnegative(),
    offset: z.number().int().nonnegative(),
    recordTimestamp: z.number().int(),
  }))();

/**
 * Routing dimensions extracted from `data` (`ingest-and-storage.md` §2.5). Each is nullable
 * text: `null` when missing, JSON `null`, or when its text form is `""`.
 *
 * @category Events
 */
export interface Dimensions {
  /** `data.orchestrator_info.address` when that is an object with a non-blank address, else `data.orchestrator` (a URL for payments). */
  readonly orchestrator: string | null;
  /** `data.broadcaster` (never present in real data). */
  readonly broadcaster: string | null;
  /** `data.region` (never present in real data). */
  readonly region: string | null;
}

/**
 * How a dedup key was built (`ingest-and-storage.md` §2.6).
 *
 * @category Events
 */
export type DedupStrategy = "event_id" | "payload_hash";

/**
 * An envelope that passed record decoding and schema validation.
 *
 * @category Events
 */
export interface AcceptedEvent {
  /** Root `id` as text; `""` when missing or `null`. */
  readonly eventId: string;
  /** Root `type`, one of the supported families. */
  readonly eventType: EventType;
  /** Schema version (`ingest-and-storage.md` §1.4); `"1"` when absent. */
  readonly eventVersion: string;
  /** Envelope timestamp, epoch milliseconds (producer wall clock at enqueue). */
  readonly timestamp: number;
  /** Root `gateway` as text; `""` when missing. */
  readonly gateway: string;
  /** The received record text, byte for byte; lineage hashes are computed over it. */
  readonly rawJson: string;
  /** Truthiness of root `__replay` (`ingest-and-storage.md` §1.5). */
  readonly replay: boolean;
  /** Transport coordinates of the record. */
  readonly source: SourcePointer;
  /** Routing dimensions. */
  readonly dimensions: Dimensions;
  /** Dedup key (`ingest-and-storage.md` §2.6). */
  readonly dedupKey: string;
  /** How {@link AcceptedEvent.dedupKey} was built. */
  readonly dedupStrategy: DedupStrategy;
  /** The parsed root object. Treat as read-only. */
  readonly root: JsonObject;
  /** `root.data` (may be JSON `null`; the key always exists). */
  readonly data: JsonValue;
}

/**
 * Zod schema of the envelope fields the gate reads, for documentation and for validating
 * hand-built inputs. The gate itself applies the exact reference rules (it does not use this
 * schema): see `validateEnvelope`.
 *
 * @category Events
 */
export const EnvelopeSchema = /* @__PURE__ */ (() =>
  z
    .object({
      id: z.union([z.string(), z.number()]).nullish(),
      type: z.string(),
      timestamp: z.union([z.string().regex(/^\s*\d+\s*$/), z.number()]),
      gateway: z.string().optional(),
      data: z.unknown(),
      version: z.union([z.string(), z.number()]).nullish(),
      __replay: z.unknown().optional(),
      __replay_ts: z.number().optional(),
      __replay_source: z.string().optional(),
      __replay_failure_class: z.string().optional(),
    })
    .loose())();

/**
 * The envelope shape described by {@link EnvelopeSchema}.
 *
 * @category Events
 */
export type Envelope = z.infer<typeof EnvelopeSchema>;
