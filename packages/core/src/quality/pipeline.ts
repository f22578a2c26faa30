/**
 * Stages 1–5 of the quality gate composed as one operator: decode → validate → dedup → parse →
 * row guard (`ingest-and-storage.md` §2.1). Every input ends in exactly one of: accepted (with
 * its typed rows), DLQ, or quarantine; parse and guard failures add DLQ envelopes next to the
 * accepted event's good rows.
 *
 * @module
 */
import type { AcceptedEvent } from "../events/accepted-event.js";
import { parseEvent, type RawRow, type RawTable } from "../events/parse-event.js";
import type { TransportRecord } from "../events/transport.js";
import { defineOperator, type Operator } from "../operator/operator.js";
import type { DedupStrategy } from "../events/accepted-event.js";
import { DEFAULT_GATE_CONFIG, type GateConfig } from "./config.js";
import type { CounterName } from "./counters.js";
import type { PayloadCanonicalizer } from "./dedup-key.js";
import { dedupOperator, initDedupState, type DedupState } from "./dedup.js";
import { runGate } from "./gate.js";
import {
  rejectAcceptedEvent,
  rejectDuplicateEvent,
  type RejectedEventEnvelope,
} from "./reject-envelope.js";
import { guardRow, rowSizeUpperBound } from "./row-guard.js";

const defaultSerializeRow = (r: RawRow): string => JSON.stringify(r.row);

/** Current version of {@link QualityState}. */
export const QUALITY_STATE_VERSION = 1;

/**
 * State of the quality pipeline: the dedup store. Plain JSON.
 *
 * @category Quality gate
 */
export interface QualityState {
  /** State schema version. */
  readonly v: typeof QUALITY_STATE_VERSION;
  /** Dedup store. */
  readonly dedup: DedupState;
}

/**
 * Configuration of the quality pipeline.
 *
 * @category Quality gate
 */
export interface QualityConfig extends GateConfig {
  /** Payload-hash canonicalizer for id-less events. Default `JSON.stringify`. */
  readonly canonicalize?: PayloadCanonicalizer;
  /** Serializes a typed row for the size check. Default `JSON.stringify` of the row. */
  readonly serializeRow?: (row: RawRow) => string;
}

/**
 * One input of the quality pipeline.
 *
 * @category Quality gate
 */
export interface QualityInput {
  /** The transport record. */
  readonly record: TransportRecord;
  /** Epoch ms stamped on envelopes built for this record (explicit; core reads no clock). */
  readonly now: number;
}

/**
 * Outputs of the quality pipeline, tagged by kind.
 *
 * @category Quality gate
 */
export type QualityOutput =
  | { readonly kind: "accepted"; readonly event: AcceptedEvent }
  | {
      readonly kind: "row";
      readonly table: RawTable;
      readonly row: RawRow["row"];
      readonly event: AcceptedEvent;
    }
  | { readonly kind: "dlq"; readonly envelope: RejectedEventEnvelope }
  | { readonly kind: "quarantine"; readonly envelope: RejectedEventEnvelope }
  | { readonly kind: "counter"; readonly name: CounterName; readonly delta: number };

/**
 * A fresh quality state.
 *
 * @category Quality gate
 */
export function initQualityState(
  config: Pick<GateConfig, "dedupTtlMs"> = DEFAULT_GATE_CONFIG,
): QualityState {
  return { v: QUALITY_STATE_VERSION, dedup: initDedupState({ ttlMs: config.dedupTtlMs }) };
}

function dedupConfigOf(config: QualityConfig): { ttlMs: number; maxEntries: number } {
  return { ttlMs: config.dedupTtlMs, maxEntries: config.dedupMaxEntries };
}

/**
 * The quality-pipeline operator. `step` processes one record; `advance(W)` moves the dedup
 * watermark (TTL expiry is measured against it; before the first watermark nothing expires).
 *
 * @category Quality gate
 */
export const qualityOperator: Operator<QualityState, QualityInput, QualityOutput, QualityConfig> =
  defineOperator<QualityState, QualityInput, QualityOutput, QualityConfig>({
    name: "quality",
    init: (config) => initQualityState(config),
    step: (draft, input, config, emit) => {
      const state = draft as QualityState;
      const count = (name: CounterName): void => emit({ kind: "counter", name, delta: 1 });
      count("quality_gate.input");
      const gate = runGate(input.record, {
        now: input.now,
        supportedVersions: config.supportedVersions,
        ...(config.canonicalize ? { canonicalize: config.canonicalize } : {}),
      });
      if (!gate.ok) {
        count("quality_gate.dlq");
        emit({ kind: "dlq", envelope: gate.envelope });
        return;
      }
      count("quality_gate.accepted");
      const event = gate.event;
      const verdicts = dedupOperator.stepInPlace(
        state.dedup,
        { key: event.dedupKey, seenAt: event.timestamp },
        dedupConfigOf(config),
      );
      let duplicate = false;
      for (const v of verdicts) {
        if (v.type === "verdict") duplicate = v.duplicate;
        else if (v.type === "evicted") emit({ kind: "counter", name: "dedup_evictions", delta: 1 });
      }
      if (duplicate) {
        count("quality_gate.dedup.duplicates");
        emit({
          kind: "quarantine",
          envelope: rejectDuplicateEvent(event, input.now),
        });
        return;
      }
      count("quality_gate.dedup.accepted");
      emit({ kind: "accepted", event });
      const parsed = parseEvent(event);
      for (const f of parsed.failures) {
        emit({
          kind: "dlq",
          envelope: rejectAcceptedEvent(event, "parse_exception", f.details, input.now),
        });
      }
      for (const r of parsed.rows) {
        // Flat rows far below the limit (the norm) are not serialized just to be measured.
        if (
          config.serializeRow === undefined &&
          rowSizeUpperBound(r.row) <= config.maxRecordBytes
        ) {
          emit({ kind: "row", table: r.table, row: r.row, event });
          continue;
        }
        const serialized = (config.serializeRow ?? defaultSerializeRow)(r);
        const guard = guardRow(event, serialized, config.maxRecordBytes, input.now);
        if (guard.ok) emit({ kind: "row", table: r.table, row: r.row, event });
        else emit({ kind: "dlq", envelope: guard.envelope });
      }
    },
    advance: (draft, watermark, config) => {
      const state = draft as QualityState;
      dedupOperator.advanceInPlace(state.dedup, watermark, dedupConfigOf(config));
    },
  });

/**
 * Per-outcome tallies of a validation run (what `lpa validate` prints).
 *
 * @category Quality gate
 */
export interface ValidationTally {
  /** Records read. */
  input: number;
  /** Accepted events (passed dedup) per event type. */
  readonly acceptedByType: Record<string, number>;
  /** Typed rows per raw table. */
  readonly rowsByTable: Record<string, number>;
  /** DLQ envelopes per reason. */
  readonly dlqByReason: Record<string, number>;
  /** Quarantine envelopes per reason. */
  readonly quarantineByReason: Record<string, number>;
  /** Dedup strategies of accepted events. */
  readonly dedupStrategies: Record<DedupStrategy, number>;
}

/**
 * An empty {@link ValidationTally}.
 *
 * @category Quality gate
 */
export function emptyTally(): ValidationTally {
  return {
    input: 0,
    acceptedByType: {},
    rowsByTable: {},
    dlqByReason: {},
    quarantineByReason: {},
    dedupStrategies: { event_id: 0, payload_hash: 0 },
  };
}

const bump = (record: Record<string, number>, key: string): void => {
  record[key] = (record[key] ?? 0) + 1;
};

/**
 * Adds one output to a tally (mutates `tally`; it is caller-owned scratch, not operator state).
 *
 * @category Quality gate
 */
export function tallyOutput(tally: ValidationTally, output: QualityOutput): void {
  switch (output.kind) {
    case "accepted":
      bump(tally.acceptedByType, output.event.eventType);
      tally.dedupStrategies[output.event.dedupStrategy] += 1;
      return;
    case "row":
      bump(tally.rowsByTable, output.table);
      return;
    case "dlq":
      bump(tally.dlqByReason, output.envelope.failure.reason);
      return;
    case "quarantine":
      bump(tally.quarantineByReason, output.envelope.failure.reason);
      return;
    case "counter":
      if (output.name === "quality_gate.input") tally.input += 1;
      return;
  }
}
