/**
 * The pipeline/model resolver (`attribution.md` §3): decides, per signal, the canonical
 * `pipeline`, the canonical `model_id` and the model hint used for candidate compatibility, in
 * one of two deployment modes. Pure and total; outputs are never trimmed or case-folded.
 *
 * @module
 */
import { eqIgnoreCase, firstNonBlank, isBlank, jtrim } from "../primitives/strings.js";
import type { Candidate, ResolverMode } from "./types.js";

/**
 * The default resolver mode (`attribution.md` §3.3): `legacy_misnamed`, the reference deployment.
 *
 * @category Attribution
 */
export const DEFAULT_RESOLVER_MODE: ResolverMode = "legacy_misnamed";

/**
 * Parses the resolver mode setting (`attribution.md` §3.3): `lower(jtrim(v))` equal to
 * `"native_correct"` or `"native"` → `"native_correct"`; anything else — absent, `""`,
 * `"legacy_misnamed"` or a typo — → `"legacy_misnamed"` (the default). Never fails.
 *
 * @category Attribution
 * @example
 * resolveResolverMode(" Native ") // "native_correct"
 * resolveResolverMode("nativ") // "legacy_misnamed"
 * resolveResolverMode(undefined) // "legacy_misnamed"
 */
export function resolveResolverMode(value: string | null | undefined): ResolverMode {
  const v = jtrim(value ?? "").toLowerCase();
  return v === "native_correct" || v === "native" ? "native_correct" : DEFAULT_RESOLVER_MODE;
}

/**
 * The signal fields the resolver reads (`attribution.md` §3.2). Status and AI-stream signals set
 * all three to the raw `data.pipeline`; trace signals leave them `null`.
 *
 * @category Attribution
 */
export interface ResolverSignal {
  /** The signal's `pipeline` field (raw; a model label on today's payloads), or `null`. */
  readonly pipeline: string | null;
  /** Pipeline hint (raw), or `null`. */
  readonly pipelineHint: string | null;
  /** Model hint (raw), or `null`. */
  readonly modelHint: string | null;
}

/**
 * Resolver output (`attribution.md` §3.3). Every field is returned unmodified (no trim, no
 * case fold); `""` means "unresolved".
 *
 * @category Attribution
 */
export interface Resolution {
  /** Canonical workflow pipeline (e.g. `"live-video-to-video"`), or `""`. */
  readonly pipeline: string;
  /** Canonical model id (e.g. `"streamdiffusion-sdxl"`), or `""`. */
  readonly modelId: string;
  /** Model hint for the compatibility filter (`attribution.md` §5.2); `""` accepts every candidate. */
  readonly compatibilityModelHint: string;
}

/**
 * Resolves pipeline, model id and compatibility hint (`attribution.md` §3.2–3.3).
 *
 * With `sigPipeHint = firstNonBlank(s.pipelineHint, s.pipeline)`,
 * `sigModelHint = firstNonBlank(s.modelHint, sigPipeHint)` and `snapPipe`/`snapModel` the
 * snapshot's fields (`""` without a snapshot):
 *
 * | Output | `legacy_misnamed` | `native_correct` |
 * |---|---|---|
 * | `pipeline` | `firstNonBlank(snapPipe, existingPipeline)` | `firstNonBlank(s.pipeline, existingPipeline, snapPipe)` |
 * | `modelId` | `firstNonBlank(snapModel, existingModelId, sigModelHint)` | `firstNonBlank(sigModelHint, existingModelId, snapModel)` |
 * | `compatibilityModelHint` | `firstNonBlank(sigModelHint, existingModelId)` | `firstNonBlank(sigModelHint, modelId, existingModelId)` |
 *
 * `null` fields count as blank. Operators call it twice per signal: once with `snap = null`
 * (pre-selection, for the hint) and once with the selected candidate (`attribution.md` §3.4).
 *
 * @category Attribution
 * @example
 * resolvePipelineModel(
 *   "legacy_misnamed",
 *   { pipeline: "streamdiffusion-sdxl", pipelineHint: "streamdiffusion-sdxl", modelHint: "streamdiffusion-sdxl" },
 *   null,
 *   null,
 *   { pipeline: "live-video-to-video", modelId: "streamdiffusion-sdxl" },
 * ) // { pipeline: "live-video-to-video", modelId: "streamdiffusion-sdxl", compatibilityModelHint: "streamdiffusion-sdxl" }
 */
export function resolvePipelineModel(
  mode: ResolverMode,
  s: ResolverSignal,
  existingPipeline: string | null,
  existingModelId: string | null,
  snap: Pick<Candidate, "pipeline" | "modelId"> | null,
): Resolution {
  const modelId = resolvedModelOf(mode, s, existingModelId, snap);
  return {
    pipeline: resolvedPipelineOf(mode, s, existingPipeline, snap),
    modelId,
    compatibilityModelHint:
      mode === "native_correct"
        ? firstNonBlank(signalModelHint(s), modelId, existingModelId)
        : compatibilityHintOf(s, existingModelId),
  };
}

/** `sigModelHint = firstNonBlank(s.modelHint, firstNonBlank(s.pipelineHint, s.pipeline))`. */
function signalModelHint(s: ResolverSignal): string {
  return firstNonBlank(s.modelHint, s.pipelineHint, s.pipeline);
}

/**
 * The pre-selection compatibility hint (`attribution.md` §3.4 step 1): the `compatibilityModelHint`
 * of a resolution without a snapshot, which is `firstNonBlank(sigModelHint, existingModelId)` in
 * both modes. Allocation-free form of `resolvePipelineModel(mode, s, p, m, null).compatibilityModelHint`.
 *
 * @category Attribution
 */
export function compatibilityHintOf(s: ResolverSignal, existingModelId: string | null): string {
  return firstNonBlank(s.modelHint, s.pipelineHint, s.pipeline, existingModelId);
}

/**
 * The `pipeline` output of {@link resolvePipelineModel}, without allocating a resolution.
 *
 * @category Attribution
 */
export function resolvedPipelineOf(
  mode: ResolverMode,
  s: ResolverSignal,
  existingPipeline: string | null,
  snap: Pick<Candidate, "pipeline"> | null,
): string {
  const snapPipe = snap === null ? "" : snap.pipeline;
  return mode === "native_correct"
    ? firstNonBlank(s.pipeline, existingPipeline, snapPipe)
    : firstNonBlank(snapPipe, existingPipeline);
}

/**
 * The `modelId` output of {@link resolvePipelineModel}, without allocating a resolution.
 *
 * @category Attribution
 */
export function resolvedModelOf(
  mode: ResolverMode,
  s: ResolverSignal,
  existingModelId: string | null,
  snap: Pick<Candidate, "modelId"> | null,
): string {
  const snapModel = snap === null ? "" : snap.modelId;
  return mode === "native_correct"
    ? firstNonBlank(signalModelHint(s), existingModelId, snapModel)
    : firstNonBlank(snapModel, existingModelId, s.modelHint, s.pipelineHint, s.pipeline);
}

/**
 * Serving projection of a pipeline (`attribution.md` §3.5): `p' = firstNonBlank(p)`,
 * `m' = firstNonBlank(m)`; `""` when both are non-blank and equal case-insensitively (a model
 * label leaked into the pipeline field), else `p'` unmodified.
 *
 * @category Attribution
 * @example
 * canonicalPipeline("streamdiffusion-sdxl", "StreamDiffusion-SDXL") // ""
 * canonicalPipeline("live-video-to-video", "streamdiffusion-sdxl") // "live-video-to-video"
 * canonicalPipeline(null, "streamdiffusion-sdxl") // ""
 */
export function canonicalPipeline(
  p: string | null | undefined,
  m: string | null | undefined,
): string {
  const pp = firstNonBlank(p);
  const mm = firstNonBlank(m);
  if (!isBlank(pp) && !isBlank(mm) && eqIgnoreCase(pp, mm)) return "";
  return pp;
}
