/**
 * The quality gate: record decode, schema validation, dedup keys and the TTL dedup operator,
 * rejection envelopes, the row guard, replay metadata, counters and configuration.
 *
 * @packageDocumentation
 */
export { FAILURE_CLASSES, FAILURE_STAGES, REJECTION_CODES, REJECT_REASONS } from "./codes.js";
export type {
  FailureClass,
  FailureStage,
  RejectReason,
  RejectRoute,
  RejectionCode,
} from "./codes.js";
export {
  DEFAULT_SUPPORTED_VERSIONS,
  DEFAULT_DEDUP_TTL_MS,
  DEFAULT_DEDUP_MAX_ENTRIES,
  DEFAULT_MAX_RECORD_BYTES,
  DEFAULT_GATE_CONFIG,
  GateConfigSchema,
  resolveGateConfig,
  parseSupportedVersions,
  configIssues,
} from "./config.js";
export type { GateConfig, GateConfigInput, ConfigResult } from "./config.js";
export {
  REJECT_ENVELOPE_SCHEMA_VERSION,
  RejectedEventEnvelopeSchema,
  UNKNOWN_SOURCE,
  rejectAcceptedEvent,
  rejectDuplicateEvent,
  serializeEnvelope,
  toRejectionRow,
} from "./reject-envelope.js";
export type { RejectedEventEnvelope, RejectionRow } from "./reject-envelope.js";
export {
  REPLAY_FIELDS,
  REPLAY_SKIP_REASONS,
  REPLAY_SOURCE_DLQ,
  isReplayField,
  readReplayFlag,
  replayEnvelope,
  withReplayMetadata,
} from "./replay.js";
export type {
  ReplayEnvelopeOptions,
  ReplayEnvelopeResult,
  ReplayMetadataOptions,
  ReplaySkipReason,
  ReplayWindow,
} from "./replay.js";
export { dedupKeyOf, canonicalizeWithoutReplayFields, defaultCanonicalizer } from "./dedup-key.js";
export type { DedupKey, PayloadCanonicalizer } from "./dedup-key.js";
export {
  DEDUP_DIGEST_LENGTH,
  DEDUP_STATE_VERSION,
  DEFAULT_DEDUP_CONFIG,
  createDedupOperator,
  dedupKeyDigest,
  dedupOperator,
  dedupCheck,
  initDedupState,
  upgradeDedupState,
} from "./dedup.js";
export type { DedupConfig, DedupInput, DedupOptions, DedupOutput, DedupState } from "./dedup.js";
export {
  runGate,
  decodeRecord,
  validateEnvelope,
  parseLenientJson,
  rawVersionOf,
  dimensionsOf,
} from "./gate.js";
export type { DecodedRecord, GateOptions, GateResult } from "./gate.js";
export {
  guardRow,
  guardEnvelopeRow,
  rowSizeUpperBound,
  rejectOversizeRecord,
  oversizeRecordOutputs,
} from "./row-guard.js";
export type { RowGuardResult } from "./row-guard.js";
export { COUNTER_NAMES, emptyCounters } from "./counters.js";
export type { CounterName, CounterTotals, MetricsCallback } from "./counters.js";
export {
  QUALITY_STATE_VERSION,
  qualityOperator,
  qualityStepInPlace,
  initQualityState,
  emptyTally,
  tallyOutput,
} from "./pipeline.js";
export type {
  QualityConfig,
  QualityInput,
  QualityOutput,
  QualityScreening,
  QualityState,
  QualityStepHooks,
  ValidationTally,
} from "./pipeline.js";
