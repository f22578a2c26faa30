/**
 * Stage 5: the oversize-record guard and its recursion rule (`ingest-and-storage.md` §2.9).
 *
 * @module
 */
import type { AcceptedEvent } from "../events/accepted-event.js";
import { utf8ByteLength } from "../primitives/utf8.js";
import { rejectAcceptedEvent, type RejectedEventEnvelope } from "./reject-envelope.js";

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
