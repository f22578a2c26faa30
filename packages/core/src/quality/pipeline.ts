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
import {
  dedupOperator,
  initDedupState,
  type DedupConfig,
  type DedupInput,
  type DedupOutput,
  type DedupState,
} from "./dedup.js";
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
  /**
   * `false`: typed rows are emitted without the row-size guard (stage 5), for a host that does
   * not store them (the engine with `emitRawRows: false`). Default `true`.
   */
  readonly guardRows?: boolean;
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
 * A host's decision to quarantine an accepted event before dedup (see
 * {@link QualityStepHooks.screen}): the counter to increment and the envelope.
 *
 * @category Quality gate
 */
export interface QualityScreening {
  /** Counter incremented by one for the decision. */
  readonly counter: CounterName;
  /** The quarantine envelope. */
  readonly envelope: RejectedEventEnvelope;
}

/**
 * What a host composing the pipeline adds between its stages (the engine uses both).
 *
 * @category Quality gate
 */
export interface QualityStepHooks {
  /**
   * Called for an event the gate accepted, before dedup: a {@link QualityScreening} quarantines
   * it (no dedup entry, no rows), `null` lets it through.
   */
  readonly screen?: (event: AcceptedEvent) => QualityScreening | null;
  /** Receives the typed rows of an accepted, deduplicated event before the row guard. */
  readonly parsed?: (rows: readonly RawRow[], event: AcceptedEvent) => void;
  /**
   * The dedup operator to use: one from `createDedupOperator({ sha256Hex })` with a native
   * SHA-256 (same digests, faster for long keys). Default {@link dedupOperator}.
   */
  readonly dedup?: Operator<DedupState, DedupInput, DedupOutput, DedupConfig>;
}

/**
 * One record through stages 1–5 (decode → validate → dedup → parse → row guard), **mutating**
 * `state.dedup`; outputs go to `emit` in order. The step of {@link qualityOperator}, exported so
 * that a host can compose the pipeline with its own stages ({@link QualityStepHooks}) instead of
 * re-implementing it.
 *
 * @category Quality gate
 */
export function qualityStepInPlace(
  state: { readonly dedup: DedupState },
  input: QualityInput,
  config: QualityConfig,
  emit: (o: QualityOutput) => void,
  hooks: QualityStepHooks = {},
): void {
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
  const screened = hooks.screen?.(event) ?? null;
  if (screened !== null) {
    count(screened.counter);
    emit({ kind: "quarantine", envelope: screened.envelope });
    return;
  }
  const verdicts = (hooks.dedup ?? dedupOperator).stepInPlace(
    state.dedup,
    { key: event.dedupKey, seenAt: event.timestamp },
    dedupConfigOf(config),
  );
  let duplicate = false;
  for (const v of verdicts) {
    if (v.type === "verdict") duplicate = v.duplicate;
    else if (v.type === "evicted") count("dedup_evictions");
  }
  if (duplicate) {
    count("quality_gate.dedup.duplicates");
    emit({ kind: "quarantine", envelope: rejectDuplicateEvent(event, input.now) });
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
  hooks.parsed?.(parsed.rows, event);
  for (const r of parsed.rows) {
    // Flat rows far below the limit (the norm) are not serialized just to be measured.
    if (
      config.guardRows === false ||
      (config.serializeRow === undefined && rowSizeUpperBound(r.row) <= config.maxRecordBytes)
    ) {
      emit({ kind: "row", table: r.table, row: r.row, event });
      continue;
    }
    const serialized = (config.serializeRow ?? defaultSerializeRow)(r);
    const guard = guardRow(event, serialized, config.maxRecordBytes, input.now);
    if (guard.ok) emit({ kind: "row", table: r.table, row: r.row, event });
    else emit({ kind: "dlq", envelope: guard.envelope });
  }
}

/**
 * The quality-pipeline operator. `step` processes one record ({@link qualityStepInPlace});
 * `advance(W)` moves the dedup watermark (TTL expiry is measured against it; before the first
 * watermark nothing expires).
 *
 * @category Quality gate
 */
export const qualityOperator: Operator<QualityState, QualityInput, QualityOutput, QualityConfig> =
  /* @__PURE__ */ defineOperator<QualityState, QualityInput, QualityOutput, QualityConfig>({
    name: "quality",
    init: (config) => initQualityState(config),
    step: (draft, input, config, emit) =>
      qualityStepInPlace(draft as QualityState, input, config, emit),
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
