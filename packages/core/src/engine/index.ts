/**
 * The composed engine: `createEngine(config)` with `step` / `advance` / `flush`, snapshots, and
 * the zod-validated configuration with its presets; `createPartitionedEngine(config)` runs the
 * same topology as keyed partitions (scale-out).
 *
 * @packageDocumentation
 */
export {
  DEFAULT_FRONTIER_QUORUM,
  DEFAULT_MAX_FUTURE_SKEW_MS,
  EngineConfigSchema,
  resolveEngineConfig,
} from "./config.js";
export type {
  ConfigNotice,
  EngineConfig,
  EngineConfigInput,
  EngineConfigResult,
  EmissionMode,
  EnginePreset,
} from "./config.js";
export {
  ENGINE_STATE_VERSION,
  EngineConfigError,
  EngineUsageError,
  createEngine,
  eventTimeFrontier,
} from "./engine.js";
export type {
  CoalescedRow,
  Engine,
  EngineInput,
  EngineOptions,
  EngineOutput,
  EngineState,
  EngineStep,
  FactTable,
  OutputTable,
  RestoreResult,
} from "./engine.js";
export {
  assembleState,
  assembleStateInPlace,
  clockOf,
  createPartitionedEngine,
  mergeStates,
  sliceState,
  sliceStateInPlace,
  splitState,
} from "./partition.js";
export type {
  EventClock,
  ItemRoute,
  LifecycleItem,
  PartitionedEngine,
  RecordRoute,
  RecordStageResult,
  SessionSlice,
  StateSlices,
} from "./partition.js";
export { createRunner } from "./runner.js";
export type { EngineRunner } from "./runner.js";
export { collectFinalTables, canonicalFinalTables } from "./results.js";
export { validateEngineStateShape } from "./snapshot-schema.js";
export type { EngineStateShapeResult } from "./snapshot-schema.js";
export type { FinalTables, CanonicalFinalTables } from "./results.js";
