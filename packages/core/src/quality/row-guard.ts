/**
 * Stage 5: the oversize-record guard and its recursion rule (`ingest-and-storage.md` §2.9), and
 * the same limit applied to input records a reader refused to hold whole.
 *
 * @module
 */
import type { AcceptedEvent } from "../events/accepted-event.js";
import type { OversizeRecord } from "../events/containers.js";
import { encodeBase64, utf8ByteLength } from "../primitives/utf8.js";
import type { CounterName } from "./counters.js";
import { earlyReject, rejectAcceptedEvent, type RejectedEventEnvelope } from "./reject-envelope.js";

/**
 * Result of checking a row that derives from an event.
 *
 * @category Row guard
 */
export type RowGuardResult =
  | { readonly ok: true; readonly bytes: number }
  | { readonly ok: false; readonly bytes: number; readonly envelope: RejectedEventEnvelope };

/**
 * Checks a serialized typed or fact row against the limit. A row whose UTF-8 size is strictly
 * greater than `limit` is not written: it yields one `SINK_GUARD` / `RECORD_TOO_LARGE` /
 * `record_too_large` DLQ envelope built from the originating event (variant C).
 *
 * @category Row guard
 * @example
 * guardRow(event, "12345678901", 10, now) // { ok: false, envelope: { failure: { reason: "record_too_large", ... } } }
 */
export function guardRow(
  event: AcceptedEvent,
  serializedRow: string,
  limit: number,
  now: number,
): RowGuardResult {
  const bytes = utf8ByteLength(serializedRow);
  if (bytes <= limit) return { ok: true, bytes };
  return {
    ok: false,
    bytes,
    envelope: rejectAcceptedEvent(
      event,
      "record_too_large",
      `Row size ${bytes} exceeds limit ${limit}`,
      now,
    ),
  };
}

/**
 * An upper bound of the UTF-8 size of `JSON.stringify(row)` (or of any rendering that writes each
 * number or timestamp in at most 32 bytes), computed without serializing: every string code unit
 * is counted as 6 bytes (a `\uXXXX` escape, the worst case). When the bound is within the limit
 * the exact size cannot exceed it, so the guard skips the serialization.
 *
 * @category Row guard
 */
export function rowSizeUpperBound(row: object): number {
  let n = 2;
  const record = row as Record<string, unknown>;
  for (const key in record) {
    if (!Object.prototype.hasOwnProperty.call(record, key)) continue;
    const value = record[key];
    n += 6 * key.length + 4;
    if (typeof value === "string") n += 6 * value.length + 2;
    else if (value === null || typeof value === "number" || typeof value === "boolean") n += 32;
    else return Infinity;
  }
  return n;
}

/**
 * Checks a serialized DLQ/quarantine envelope row. Oversized envelope rows are dropped and must
 * be counted (`quality_gate.sink_guard.oversize_drops`); **no new envelope is produced**, which
 * prevents an oversized failure from causing an endless chain of failures.
 *
 * @category Row guard
 * @returns `true` when the row may be written.
 */
export function guardEnvelopeRow(serializedRow: string, limit: number): boolean {
  return utf8ByteLength(serializedRow) <= limit;
}

/**
 * The `record_too_large` DLQ envelope of an input record over the limit, which a container reader
 * did not hold (see `OversizeRecord`): the source pointer of the record, details
 * `Record size <n> exceeds limit <limit>; payload holds the first <k> bytes`, and as payload the
 * Base64 of those first bytes exactly as received. Stage and class are those of the reason
 * (`SINK_GUARD` / `RECORD_TOO_LARGE`).
 *
 * @category Row guard
 * @example
 * rejectOversizeRecord({ record: { offset: 7, value: prefix }, size: 3e8, limit: 1e6, line: 8, byteOffset: 5120 }, now)
 */
export function rejectOversizeRecord(oversize: OversizeRecord, now: number): RejectedEventEnvelope {
  const r = oversize.record;
  return earlyReject(
    {
      source: {
        topic: r.topic ?? null,
        partition: r.partition ?? 0,
        offset: r.offset ?? 0,
        recordTimestamp: r.recordTimestamp ?? 0,
      },
      reason: "record_too_large",
      details: `Record size ${oversize.size} exceeds limit ${oversize.limit}; payload holds the first ${r.value.length} bytes`,
      identity: { eventId: null, eventType: null, eventVersion: null },
      dimensions: null,
      payload: { encoding: "base64", body: encodeBase64(r.value), canonicalJson: null },
      replay: false,
      eventTimestamp: null,
    },
    now,
  );
}

/**
 * The outputs the quality pipeline and the engine give an input record over the limit, in their
 * order: counters `quality_gate.input` and `quality_gate.dlq`, then the
 * {@link rejectOversizeRecord} envelope. Hosts add them to their output stream in place of the
 * record's step.
 *
 * @category Row guard
 */
export function oversizeRecordOutputs(
  oversize: OversizeRecord,
  now: number,
): (
  | { readonly kind: "counter"; readonly name: CounterName; readonly delta: number }
  | { readonly kind: "dlq"; readonly envelope: RejectedEventEnvelope }
)[] {
  return [
    { kind: "counter", name: "quality_gate.input", delta: 1 },
    { kind: "counter", name: "quality_gate.dlq", delta: 1 },
    { kind: "dlq", envelope: rejectOversizeRecord(oversize, now) },
  ];
}
