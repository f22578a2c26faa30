/**
 * Lifecycle operators: signals, session identity, the session / segment / parameter-update
 * reducers, coverage diagnostics, served/unserved classification, the segment-window join of
 * status samples and trace edges, and the composed lifecycle operator.
 *
 * @packageDocumentation
 */
export { workflowSessionId } from "./session-id.js";
export { toLifecycleInputs, traceCategory, signalSourceUid, sampleSourceUid } from "./signal.js";
export type {
  SignalType,
  LifecycleSignal,
  SignalBase,
  TraceSignal,
  StatusSignal,
  AiEventSignal,
  StatusSampleInput,
  TraceEdgeInput,
  SampleInput,
  LifecycleEventInputs,
  ToLifecycleInputsOptions,
} from "./signal.js";
export { DEFAULT_LIFECYCLE_CONFIG, REFERENCE_COMPAT_LIFECYCLE_CONFIG } from "./config.js";
export {
  OPERATOR_URL_PRECEDENCE,
  applyCandidate,
  applyIdentityAttribution,
} from "./attribution-apply.js";
export type { AttributionTarget, UrlPrecedence } from "./attribution-apply.js";
export type { LifecycleConfig, EdgeSemanticsVersion } from "./config.js";
export {
  SESSION_STATE_VERSION,
  TRACE,
  WORKFLOW_TYPE,
  EXCUSABLE_ERROR_SUBSTRINGS,
  initSessionState,
  applySignal,
  applySignalCore,
  applyAttribution,
  lookupAttribution,
  lookupSignalAttribution,
  identityFallbackFor,
  applyIdentityOnly,
  createSelectionMemo,
  lookupKeyOf,
  sessionApply,
  classifyStartup,
  classifyServed,
  toSessionRow,
  isExcusableError,
  addToSet,
} from "./session.js";
export type {
  SessionState,
  SessionRow,
  CapacityAnchor,
  ServiceFailureReason,
  SelectionMemo,
  SignalCoreField,
  SignalCoreState,
} from "./session.js";
export {
  SEGMENT_STATE_VERSION,
  initSegmentState,
  segmentApply,
  segmentTransition,
  toSegmentRow,
} from "./segment.js";
export type { SegmentState, SegmentRow, SegmentReason } from "./segment.js";
export {
  PARAM_STATE_VERSION,
  initParamState,
  paramApply,
  isParamsUpdate,
  toParamUpdateRow,
} from "./params.js";
export type { ParamState, ParamUpdateRow } from "./params.js";
export {
  COVERAGE_STATE_VERSION,
  initCoverageState,
  coverageApply,
  toCoverageRow,
  unmatchedReason,
} from "./coverage.js";
export type { CoverageState, CoverageRow, UnmatchedReason } from "./coverage.js";
export {
  initAlignmentState,
  alignSample,
  alignNewSample,
  alignSegmentRow,
  alignAdvance,
  coveringSegment,
  pendingKey,
  sampleTime,
} from "./alignment.js";
export type {
  AlignmentState,
  AlignedRow,
  PendingSample,
  SegmentAlignedColumns,
  StatusSampleRow,
  TraceEdgeRow,
} from "./alignment.js";
export { toServingRow } from "./serving.js";
export type { ServingRow } from "./serving.js";
export type { FactRow, FactRowByTable } from "./rows.js";
export { SUSPICIOUS_TIMESTAMP_BEFORE, initSessionAccumulators, foldSignal } from "./fold.js";
export type {
  LifecycleInput,
  LifecycleOutput,
  LifecycleEmit,
  Tombstone,
  SessionAccumulators,
  FoldStepRows,
} from "./fold.js";
export {
  LIFECYCLE_STATE_VERSION,
  LIFECYCLE_DEFAULTS,
  lifecycleOperator,
  initLifecycleState,
  initSessionBundle,
  applySignalToBundle,
  upgradeLifecycleState,
} from "./operator.js";
export type { LifecycleState, SessionBundle, LifecycleTimers } from "./operator.js";
export type { TimerEntry, TimerQueue, TombstoneQueue } from "./timers.js";
export {
  CORRECTION_STATE_VERSION,
  DEFAULT_CORRECTION_CONFIG,
  correctionOperator,
  initCorrectionState,
  flushCorrection,
  foldPosition,
  compareFoldPositions,
  hasBucket,
  upgradeCorrectionState,
} from "./correction.js";
export type {
  CorrectionConfig,
  CorrectionOperatorConfig,
  FoldRowEmission,
  CorrectionState,
  CorrectionSession,
  FoldPosition,
  FoldState,
  UnsealedSignal,
  RetainedRow,
  RetainedTable,
  EmissionCounters,
  CorrectionTimers,
  SessionTimers,
} from "./correction.js";
export {
  BACKFILL_EPOCH_STRIDE,
  MAX_BACKFILL_EPOCH,
  backfillCapabilityRange,
  runBackfill,
} from "./backfill.js";
export type { BackfillOptions, BackfillError, BackfillResult } from "./backfill.js";
export { computeQualityKpis, hasOrchestratorEvidence } from "./kpis.js";
export type { GuaranteeCounterKpis, KpiInput, KpiStatus, KpiValue, QualityKpis } from "./kpis.js";
export { VERSIONED_TABLES, isVersionedTable, rowIdentity } from "./identity.js";
export type { VersionedTable } from "./identity.js";
