/**
 * Structural schema of the engine state as persisted in a snapshot: every subtree of
 * {@link EngineState} (dedup store, capability index, lifecycle or correction sessions, signals,
 * samples, retained rows, tombstones), so `restore` can refuse a snapshot whose state would make the
 * next `step` / `advance` throw.
 *
 * Each schema is tied to the TypeScript type it describes: adding, removing or retyping a field of
 * one of those types without updating its schema here fails `tsc`.
 *
 * @module
 */
import { z } from "zod";
import type { Bucket, Candidate, CapabilityIndex } from "../attribution/types.js";
import type {
  CorrectionSession,
  CorrectionState,
  CorrectionTimers,
  EmissionCounters,
  FoldPosition,
  FoldState,
  RetainedRow,
  SessionTimers,
  UnsealedSignal,
} from "../lifecycle/correction.js";
import type { AlignmentState, PendingSample } from "../lifecycle/alignment.js";
import type { Tombstone } from "../lifecycle/fold.js";
import type { LifecycleState, LifecycleTimers, SessionBundle } from "../lifecycle/operator.js";
import type { ParamState } from "../lifecycle/params.js";
import type { SegmentRow, SegmentState } from "../lifecycle/segment.js";
import type { CoverageState } from "../lifecycle/coverage.js";
import type { CapacityAnchor, SessionState } from "../lifecycle/session.js";
import type {
  LifecycleSignal,
  SampleInput,
  StatusSampleInput,
  TraceEdgeInput,
} from "../lifecycle/signal.js";
import type { TimerQueue, TombstoneQueue } from "../lifecycle/timers.js";
import { DEDUP_STATE_VERSION, type DedupState } from "../quality/dedup.js";
import { VERSIONED_TABLES } from "../lifecycle/identity.js";
import type { CoalescedRow, EngineState } from "./engine.js";

// ---------------------------------------------------------------------------------------------
// Type ties: `tied<T>()(schema)` compiles only when the schema's output and `T` are mutually
// assignable and have the same keys (so a new optional field cannot slip through either).
// ---------------------------------------------------------------------------------------------

/** Every key of every member of a union. */
type AllKeys<T> = T extends unknown ? keyof T : never;

/** `unknown` when `T` and `O` agree, else an object naming the disagreement (a compile error). */
type Drift<T, O> = [T] extends [O]
  ? [O] extends [T]
    ? [Exclude<AllKeys<T>, AllKeys<O>> | Exclude<AllKeys<O>, AllKeys<T>>] extends [never]
      ? unknown
      : {
          readonly "schema keys differ from the type's":
            Exclude<AllKeys<T>, AllKeys<O>> | Exclude<AllKeys<O>, AllKeys<T>>;
        }
    : { readonly "the type does not accept the schema's output": O }
  : { readonly "the schema's output does not accept the type": T };

/** Identity on schemas that are in sync with `T` (see {@link Drift}). */
function tied<T>(): <S extends z.ZodType>(schema: S & Drift<T, z.output<S>>) => S {
  return (schema) => schema;
}

// ---------------------------------------------------------------------------------------------
// Leaves.
// ---------------------------------------------------------------------------------------------

/** Epoch ms (or a duration): any finite number — zod rejects `NaN` and `±Infinity`. */
const time = z.number();
const nullableTime = time.nullable();
/** A counter or version: a non-negative safe integer. */
const count = z.number().int().nonnegative();
const nullableString = z.string().nullable();
const zeroOne = z.literal([0, 1]);
const stringSet = z.array(z.string());
/** Opaque row content (`Record<string, unknown>`): a record of JSON values. */
const jsonRecord = z.record(z.string(), z.json() as z.ZodType<unknown>);

const attributionMethod = z.enum([
  "exact_orchestrator_time_match",
  "nearest_prior_snapshot",
  "nearest_snapshot_within_ttl",
  "proxy_address_join",
  "segment_window_join",
  "none",
]);
const attributionSource = z.enum(["direct", "mapped_window", "unattributed"]);

// ---------------------------------------------------------------------------------------------
// Attribution: candidates and the capability index.
// ---------------------------------------------------------------------------------------------

const candidateSchema = tied<Candidate>()(
  z.object({
    snapshotTs: time,
    sourceEventId: z.string(),
    canonicalOrchestratorAddress: z.string(),
    orchestratorUrl: z.string(),
    pipeline: z.string(),
    modelId: z.string(),
    gpuId: nullableString,
    capacityUnits: z.number().nullable(),
  }),
);

const bucketSchema = tied<Bucket>()(
  z.object({
    candidates: z.record(z.string(), candidateSchema),
    highWatermarkTs: nullableTime,
  }),
);

const capabilityIndexSchema = tied<CapabilityIndex>()(
  z.object({
    v: z.literal(1),
    buckets: z.record(z.string(), bucketSchema),
  }),
);

// ---------------------------------------------------------------------------------------------
// Signals and samples.
// ---------------------------------------------------------------------------------------------

const signalFields = {
  workflowSessionId: z.string(),
  signalTimestamp: time,
  ingestTimestamp: time,
  streamId: z.string(),
  requestId: z.string(),
  pipeline: nullableString,
  pipelineHint: nullableString,
  modelHint: nullableString,
  gateway: z.string(),
  orchestratorAddress: nullableString,
  orchestratorUrl: nullableString,
  startTimeMs: nullableTime,
  sourceEventUid: z.string(),
};

const signalSchema = tied<LifecycleSignal>()(
  z.discriminatedUnion("signalType", [
    z.object({
      ...signalFields,
      signalType: z.literal("STREAM_TRACE"),
      traceType: z.string(),
      aiEventType: z.null(),
      message: z.null(),
      statusState: z.null(),
      statusOutputFps: z.null(),
      statusLastError: z.null(),
    }),
    z.object({
      ...signalFields,
      signalType: z.literal("STREAM_STATUS"),
      traceType: z.null(),
      aiEventType: z.null(),
      message: z.null(),
      statusState: nullableString,
      statusOutputFps: z.number().nullable(),
      statusLastError: nullableString,
    }),
    z.object({
      ...signalFields,
      signalType: z.literal("AI_STREAM_EVENT"),
      traceType: z.null(),
      aiEventType: z.string(),
      message: nullableString,
      statusState: z.null(),
      statusOutputFps: z.null(),
      statusLastError: z.null(),
    }),
  ]),
);

const statusSampleSchema = tied<StatusSampleInput>()(
  z.object({
    kind: z.literal("status"),
    workflowSessionId: z.string(),
    sampleTs: time,
    streamId: z.string(),
    requestId: z.string(),
    gateway: z.string(),
    orchestratorUrl: z.string(),
    state: z.string(),
    outputFps: z.number(),
    inputFps: z.number(),
    sourceEventUid: z.string(),
  }),
);

const traceSampleSchema = tied<TraceEdgeInput>()(
  z.object({
    kind: z.literal("trace"),
    workflowSessionId: z.string(),
    edgeTs: time,
    streamId: z.string(),
    requestId: z.string(),
    gateway: z.string(),
    orchestratorUrl: z.string(),
    traceType: z.string(),
    sourceEventUid: z.string(),
  }),
);

const sampleSchema = tied<SampleInput>()(
  z.discriminatedUnion("kind", [statusSampleSchema, traceSampleSchema]),
);

// ---------------------------------------------------------------------------------------------
// Per-session accumulators.
// ---------------------------------------------------------------------------------------------

const capacityAnchorSchema = tied<CapacityAnchor>()(
  z.object({ signalTs: time, units: z.number(), snapshotTs: time }),
);

const sessionStateSchema = tied<SessionState>()(
  z.object({
    v: z.literal(1),
    workflowSessionId: z.string(),
    streamId: z.string(),
    requestId: z.string(),
    pipeline: z.string(),
    workflowId: z.string(),
    gateway: z.string(),
    orchestratorAddress: z.string(),
    orchestratorUrl: z.string(),
    modelId: nullableString,
    gpuId: nullableString,
    attributionMethod,
    attributionConfidence: z.number(),
    sessionStartTs: nullableTime,
    sessionEndTs: nullableTime,
    firstStreamRequestTs: nullableTime,
    firstProcessedTs: nullableTime,
    firstPlayableTs: nullableTime,
    knownStream: z.boolean(),
    startupSuccess: z.boolean(),
    noOrchestratorsAvailable: z.boolean(),
    errorCount: count,
    excusableErrorCount: count,
    explicitSwapCount: count,
    paramsUpdateCount: count,
    eventCount: count,
    version: count,
    statusSampleCount: count,
    statusNonLoadingSampleCount: count,
    statusPositiveOutputSampleCount: count,
    statusErrorSampleCount: count,
    lastErrorOccurred: z.boolean(),
    sourceFirstEventUid: z.string(),
    sourceLastEventUid: z.string(),
    canonicalOrchestratorsSeen: stringSet,
    pipelinesSeen: stringSet,
    modelIdsSeen: stringSet,
    noOrchestratorsErrorSeen: z.boolean(),
    orchestratorAssignedTs: nullableTime,
    streamClosedTs: nullableTime,
    capacityAnchor: capacityAnchorSchema.nullable(),
    firstIngestSentTs: nullableTime,
    firstRunnerProcessedTs: nullableTime,
    firstStartTimeMs: nullableTime,
    attributionOutcome: z.enum([
      "selected",
      "no_lookup_key",
      "no_candidates",
      "ambiguous_canonical",
      "no_compatible_candidate",
      "no_eligible_candidate",
      "",
    ]),
  }),
);

const coverageStateSchema = tied<CoverageState>()(
  z.object({
    v: z.literal(1),
    workflowSessionId: z.string(),
    streamId: z.string(),
    requestId: z.string(),
    pipeline: z.string(),
    gateway: z.string(),
    modelId: nullableString,
    version: count,
    knownStream: z.boolean(),
    firstStreamRequestTs: nullableTime,
    firstProcessedTs: nullableTime,
    startupSuccess: z.boolean(),
    firstPlayableTs: nullableTime,
  }),
);

const segmentReason = z.enum(["initial", "orchestrator_change", "stream_closed"]);

const segmentStateSchema = tied<SegmentState>()(
  z.object({
    v: z.literal(1),
    workflowSessionId: z.string(),
    segmentIndex: count,
    openSegment: z.boolean(),
    segmentStartTs: time,
    segmentEndTs: nullableTime,
    gateway: z.string(),
    pipeline: z.string(),
    orchestratorAddress: z.string(),
    orchestratorUrl: z.string(),
    gpuId: nullableString,
    modelId: nullableString,
    attributionMethod,
    attributionConfidence: z.number(),
    reason: segmentReason,
    sourceTraceType: z.string(),
    sourceEventUid: z.string(),
    version: count,
  }),
);

const segmentRowSchema = tied<SegmentRow>()(
  z.object({
    workflow_session_id: z.string(),
    segment_index: count,
    segment_start_ts: time,
    segment_end_ts: nullableTime,
    gateway: z.string(),
    pipeline: z.string(),
    orchestrator_address: z.string(),
    orchestrator_url: z.string(),
    worker_id: nullableString,
    gpu_id: nullableString,
    model_id: nullableString,
    region: nullableString,
    gpu_attribution_method: attributionMethod,
    gpu_attribution_confidence: z.number(),
    reason: segmentReason,
    source_trace_type: z.string(),
    source_event_uid: z.string(),
    version: count,
    attribution_source: attributionSource,
    is_retracted: zeroOne,
  }),
);

const paramStateSchema = tied<ParamState>()(
  z.object({
    v: z.literal(1),
    workflowSessionId: z.string(),
    streamId: z.string(),
    requestId: z.string(),
    pipeline: z.string(),
    gateway: z.string(),
    orchestratorAddress: z.string(),
    orchestratorUrl: z.string(),
    modelId: nullableString,
    gpuId: nullableString,
    attributionMethod,
    attributionConfidence: z.number(),
    version: count,
  }),
);

const pendingSampleSchema = tied<PendingSample>()(
  z.object({ key: z.string(), sample: sampleSchema, enqueuedAt: time }),
);

const alignmentStateSchema = tied<AlignmentState>()(
  z.object({
    segments: z.array(segmentRowSchema.nullable()),
    pending: z.array(pendingSampleSchema),
  }),
);

const tombstoneSchema = tied<Tombstone>()(z.object({ lastVersion: count, evictedAt: time }));

/** A timer heap: `[time, stored key]` pairs (the heap order itself is not checked). */
const timerQueueSchema = tied<TimerQueue>()(z.array(z.tuple([time, z.string()])));

const tombstoneQueueSchema = tied<TombstoneQueue>()(z.array(z.tuple([time], z.string())));

// ---------------------------------------------------------------------------------------------
// Reference-compat lifecycle state.
// ---------------------------------------------------------------------------------------------

const sessionBundleSchema = tied<SessionBundle>()(
  z.object({
    session: sessionStateSchema,
    segment: segmentStateSchema,
    params: paramStateSchema,
    coverage: coverageStateSchema,
    alignment: alignmentStateSchema,
  }),
);

const lifecycleTimersSchema = tied<LifecycleTimers>()(
  z.object({
    evict: timerQueueSchema,
    tombstones: tombstoneQueueSchema,
    candidatesFrom: nullableTime,
  }),
);

const lifecycleStateSchema = tied<LifecycleState>()(
  z.object({
    // Version-1 states (whole coverage accumulators) are upgraded by `restore` before this check.
    v: z.literal(2),
    index: capabilityIndexSchema,
    watermark: nullableTime,
    sessions: z.record(z.string(), sessionBundleSchema),
    tombstones: z.record(z.string(), tombstoneSchema),
    pendingSessions: z.record(z.string(), z.literal(1)),
    lastSweepWatermark: nullableTime,
    timers: lifecycleTimersSchema.exactOptional(),
  }),
);

// ---------------------------------------------------------------------------------------------
// Correction state.
// ---------------------------------------------------------------------------------------------

const foldPositionSchema = tied<FoldPosition>()(
  z.object({ ts: time, rank: z.number().int().min(0).max(2), uid: z.string() }),
);

const foldStateSchema = tied<FoldState>()(
  z.object({
    session: sessionStateSchema,
    segment: segmentStateSchema,
    params: paramStateSchema,
    segments: z.array(segmentRowSchema),
  }),
);

const unsealedSignalSchema = tied<UnsealedSignal>()(z.object({ signal: signalSchema }));

const retainedRowSchema = tied<RetainedRow>()(
  z.object({
    table: z.enum([
      "fact_stream_status_samples",
      "fact_stream_trace_edges",
      "fact_workflow_param_updates",
    ]),
    position: foldPositionSchema,
    signal: signalSchema.nullable(),
    sample: sampleSchema.nullable(),
    enqueuedAt: time,
    current: jsonRecord.nullable(),
    last: z.string().nullable(),
  }),
);

const emissionCountersSchema = tied<EmissionCounters>()(
  z.object({ sessions: count, segments: count, params: count, status: count, trace: count }),
);

const sessionTimersSchema = tied<SessionTimers>()(
  z.object({
    order: count,
    seal: nullableTime,
    pending: nullableTime,
    evict: nullableTime,
  }),
);

const correctionTimersSchema = tied<CorrectionTimers>()(
  z.object({
    seal: timerQueueSchema,
    pending: timerQueueSchema,
    evict: timerQueueSchema,
    tombstones: tombstoneQueueSchema,
    nextOrder: count,
    held: count,
    candidatesFrom: nullableTime,
  }),
);

const correctionSessionSchema = tied<CorrectionSession>()(
  z.object({
    checkpoint: foldStateSchema,
    checkpointPosition: foldPositionSchema.nullable(),
    current: foldStateSchema.nullable(),
    unsealed: z.array(unsealedSignalSchema),
    retained: z.array(retainedRowSchema),
    pendingRows: count,
    lookupKeys: stringSet,
    counters: emissionCountersSchema,
    // Digest of the last emitted session row's content (records of older states are upgraded
    // before validation).
    lastSession: z.string().nullable(),
    lastSegments: z.array(jsonRecord.nullable()),
    coverage: coverageStateSchema,
    due: sessionTimersSchema.exactOptional(),
    dirty: z.literal(true).exactOptional(),
  }),
);

const correctionStateSchema = tied<CorrectionState>()(
  z.object({
    v: z.literal(3),
    index: capabilityIndexSchema,
    watermark: nullableTime,
    sessions: z.record(z.string(), correctionSessionSchema),
    keyIndex: z.record(z.string(), stringSet),
    tombstones: z.record(z.string(), tombstoneSchema),
    lastSweepWatermark: nullableTime,
    timers: correctionTimersSchema.exactOptional(),
    dirty: z.array(z.string()).exactOptional(),
  }),
);

// ---------------------------------------------------------------------------------------------
// Dedup and the engine state.
// ---------------------------------------------------------------------------------------------

const dedupStateSchema = tied<DedupState>()(
  z.object({
    // Version-1 states (full keys) are upgraded by `restore` before this check.
    v: z.literal(DEDUP_STATE_VERSION),
    seen: z.record(z.string(), time),
    size: count,
    buckets: z.record(z.string(), stringSet),
    bucketMs: z.number().positive(),
    sortedBucket: nullableString,
    watermark: nullableTime,
    bucketOrder: stringSet.exactOptional(),
  }),
);

const coalescedRowSchema = tied<CoalescedRow>()(
  z.object({ table: z.enum(VERSIONED_TABLES), row: jsonRecord }),
);

/** Fields of {@link EngineState} that do not depend on the mode. */
const engineStateShape = {
  // `ENGINE_STATE_VERSION` (not imported: `engine.ts` imports this module); the type tie below
  // fails when the two differ.
  v: z.literal(2),
  dedup: dedupStateSchema,
  frontier: nullableTime,
  newestEventTs: z.array(time),
  watermark: nullableTime,
  flushed: z.boolean(),
  coalesced: z.record(z.string(), coalescedRowSchema).exactOptional(),
};

/** Either mode; only its type tie matters (the mode-specific schemas below narrow it). */
const engineStateSchema = tied<EngineState>()(
  z.object({
    ...engineStateShape,
    mode: z.enum(["correction", "reference-compat"]),
    lifecycle: z.union([lifecycleStateSchema, correctionStateSchema]),
  }),
);

const engineStateByMode = {
  correction: engineStateSchema.extend({
    mode: z.literal("correction"),
    lifecycle: correctionStateSchema,
  }),
  "reference-compat": engineStateSchema.extend({
    mode: z.literal("reference-compat"),
    lifecycle: lifecycleStateSchema,
  }),
} as const;

// ---------------------------------------------------------------------------------------------
// Validation and issue formatting.
// ---------------------------------------------------------------------------------------------

/** Issues listed at most; more are summarized in one extra line. */
const MAX_ISSUES = 10;
const IDENTIFIER = /^[A-Za-z_$][A-Za-z0-9_$]*$/;

/**
 * Result of {@link validateEngineStateShape}: `ok`, or the problems as values.
 *
 * @category Engine
 */
export type EngineStateShapeResult =
  | { readonly ok: true }
  | {
      readonly ok: false;
      /**
       * At most ten problems, each `path: what is wrong` with a JSON path rooted at `state`
       * (record keys in brackets: `state.lifecycle.sessions["abc"].unsealed: expected array,
       * received string`), then `… and N more issues` when there were more.
       */
      readonly issues: readonly string[];
    };

/** `schema` without its nullable / optional wrappers. */
function unwrapSchema(schema: z.ZodType | undefined): z.ZodType | undefined {
  let s = schema;
  while (
    s instanceof z.ZodNullable ||
    s instanceof z.ZodOptional ||
    s instanceof z.ZodExactOptional
  )
    s = s.unwrap() as z.ZodType;
  return s;
}

/** The schema one step down `key` from `schema`, or `undefined` when it cannot be followed. */
function childSchema(schema: z.ZodType | undefined, key: PropertyKey): z.ZodType | undefined {
  const s = unwrapSchema(schema);
  if (s instanceof z.ZodArray) return s.element as z.ZodType;
  if (s instanceof z.ZodRecord) return s.valueType as z.ZodType;
  if (s instanceof z.ZodObject) return (s.shape as Record<string, z.ZodType>)[String(key)];
  if (s instanceof z.ZodUnion) {
    for (const o of s.options as readonly z.ZodType[]) {
      const c = childSchema(o, key);
      if (c !== undefined) return c;
    }
  }
  return undefined;
}

/** `true` when `schema` (unwrapped) is a record, whose keys are data, not field names. */
function isRecordSchema(schema: z.ZodType | undefined): boolean {
  return unwrapSchema(schema) instanceof z.ZodRecord;
}

/**
 * JSON path of an issue, rooted at `state` (fields as `.name`, record keys and odd names as
 * `["k"]`), and the schema found at that path (`undefined` when it cannot be followed).
 */
function locate(
  root: z.ZodType,
  path: readonly PropertyKey[],
): { readonly text: string; readonly schema: z.ZodType | undefined } {
  let out = "state";
  let schema: z.ZodType | undefined = root;
  for (const seg of path) {
    if (typeof seg === "number") out += `[${seg}]`;
    else {
      const key = String(seg);
      out +=
        !isRecordSchema(schema) && IDENTIFIER.test(key) ? `.${key}` : `[${JSON.stringify(key)}]`;
    }
    schema = childSchema(schema, seg);
  }
  return { text: out, schema };
}

/** The value at `path` in `root` (own properties only), or `undefined`. */
function valueAt(root: unknown, path: readonly PropertyKey[]): unknown {
  let v = root;
  for (const seg of path) {
    if (typeof v !== "object" || v === null || !Object.hasOwn(v, seg)) return undefined;
    v = (v as Record<PropertyKey, unknown>)[seg];
  }
  return v;
}

/** What a value is, in the words of the issues (`array`, `null`, `NaN`, `string`, …). */
function kindOf(v: unknown): string {
  if (v === null) return "null";
  if (Array.isArray(v)) return "array";
  if (typeof v === "number" && !Number.isFinite(v)) return String(v);
  return typeof v;
}

/** A short rendering of a scalar for a message; the kind of anything else. */
function show(v: unknown): string {
  return typeof v === "string" || typeof v === "number" || typeof v === "boolean"
    ? JSON.stringify(v)
    : kindOf(v);
}

/** What went wrong at the issue's path (independent of zod's locale for the common cases). */
function describeIssue(issue: z.core.$ZodIssue, value: unknown, nullable: boolean): string {
  switch (issue.code) {
    case "invalid_type": {
      const expected = nullable ? `${issue.expected} or null` : issue.expected;
      return value === undefined
        ? `missing (expected ${expected})`
        : `expected ${expected}, received ${
            // A number that failed the integer check is shown.
            issue.expected === "int" ? show(value) : kindOf(value)
          }`;
    }
    case "invalid_value":
      return `expected ${issue.values.map((x) => JSON.stringify(x)).join(" | ")}, received ${show(value)}`;
    case "too_small":
    case "too_big": {
      const [op, bound] =
        issue.code === "too_small"
          ? [issue.inclusive === false ? ">" : ">=", issue.minimum]
          : [issue.inclusive === false ? "<" : "<=", issue.maximum];
      return Array.isArray(value)
        ? `expected ${op} ${String(bound)} items, received ${value.length}`
        : `expected ${op} ${String(bound)}, received ${show(value)}`;
    }
    default:
      return `${issue.message} (received ${show(value)})`;
  }
}

/**
 * Checks that a parsed snapshot `state` has the full structure of an {@link EngineState} of the
 * given mode: every field of the dedup store, the capability index and the lifecycle state
 * (`reference-compat`: session bundles with their session, segment, parameter, coverage and
 * alignment accumulators; `correction`: correction sessions with their folds, unsealed signals,
 * retained rows, emission counters, the key index and tombstones) present with the declared type —
 * nullable fields may be `null`, epoch times and counters must be finite numbers (counters
 * non-negative integers), enumerations must hold one of their values. Unknown extra fields are
 * ignored. Opaque emitted row content (retained rows, last emitted segment rows, rows held by
 * coalesced emission) is only required to be records of JSON values; the last emitted session row
 * is kept as a digest string.
 *
 * Pure; it never throws. Semantic invariants between fields (sorted sets, `size` equal to the
 * number of dedup entries, …) are not checked.
 *
 * @category Engine
 * @example
 * const r = validateEngineStateShape(JSON.parse(snapshot).state, "correction");
 * if (!r.ok) console.error(r.issues.join("\n"));
 */
export function validateEngineStateShape(
  state: unknown,
  mode: "correction" | "reference-compat",
): EngineStateShapeResult {
  const schema = engineStateByMode[mode];
  let r: ReturnType<typeof schema.safeParse>;
  try {
    r = schema.safeParse(state);
  } catch (error) {
    // E.g. opaque row content nested deeper than the stack allows.
    return {
      ok: false,
      issues: [`state: not validated: ${error instanceof Error ? error.message : String(error)}`],
    };
  }
  if (r.success) return { ok: true };
  const all = r.error.issues;
  const issues = all.slice(0, MAX_ISSUES).map((i) => {
    const at = locate(schema, i.path);
    const nullable = at.schema instanceof z.ZodNullable;
    return `${at.text}: ${describeIssue(i, valueAt(state, i.path), nullable)}`;
  });
  if (all.length > MAX_ISSUES) issues.push(`… and ${all.length - MAX_ISSUES} more issues`);
  return { ok: false, issues };
}
