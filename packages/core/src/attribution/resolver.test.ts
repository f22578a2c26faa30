import { describe, it, expect } from "vitest";
import fc from "fast-check";
import { eqIgnoreCase, isBlank } from "../primitives/strings.js";
import {
  canonicalPipeline,
  resolvePipelineModel,
  resolveResolverMode,
  type ResolverSignal,
} from "./resolver.js";

const SD = "streamdiffusion-sdxl";
const LLAMA = "meta-llama/Meta-Llama-3.1-8B-Instruct";
const REALVIS = "SG161222/RealVisXL_V4.0_Lightning";
const V2V = "live-video-to-video";

const statusSignal = (p: string): ResolverSignal => ({
  pipeline: p,
  pipelineHint: p,
  modelHint: p,
});
const TRACE: ResolverSignal = { pipeline: null, pipelineHint: null, modelHint: null };

describe("PipelineModelResolverTest (attribution.md §9.2)", () => {
  it("legacyModeUsesCapabilityPipelineAndModel", () => {
    const r = resolvePipelineModel(
      "legacy_misnamed",
      { pipeline: null, pipelineHint: SD, modelHint: SD },
      "",
      "",
      { pipeline: V2V, modelId: SD },
    );
    expect(r).toEqual({ pipeline: V2V, modelId: SD, compatibilityModelHint: SD });
  });

  it("nativeModePrefersSignalPipelineButUsesHintForModelCompatibility", () => {
    const r = resolvePipelineModel(
      "native_correct",
      { pipeline: "text-to-image", pipelineHint: null, modelHint: REALVIS },
      "",
      "",
      { pipeline: V2V, modelId: SD },
    );
    expect(r).toEqual({
      pipeline: "text-to-image",
      modelId: REALVIS,
      compatibilityModelHint: REALVIS,
    });
  });
});

describe("resolver truth table (attribution.md §3.6)", () => {
  it("row 1: legacy, status sd, no existing, snapshot live-video-to-video/sd", () => {
    expect(
      resolvePipelineModel("legacy_misnamed", statusSignal(SD), "", "", {
        pipeline: V2V,
        modelId: SD,
      }),
    ).toEqual({ pipeline: V2V, modelId: SD, compatibilityModelHint: SD });
  });

  it("row 2: legacy, status streamdiffusion-sdxl-v2v, no existing, no snapshot", () => {
    const v2v = "streamdiffusion-sdxl-v2v";
    expect(resolvePipelineModel("legacy_misnamed", statusSignal(v2v), "", "", null)).toEqual({
      pipeline: "",
      modelId: v2v,
      compatibilityModelHint: v2v,
    });
  });

  it("row 3: legacy, trace, existing live-video-to-video/sd, no snapshot", () => {
    expect(resolvePipelineModel("legacy_misnamed", TRACE, V2V, SD, null)).toEqual({
      pipeline: V2V,
      modelId: SD,
      compatibilityModelHint: SD,
    });
  });

  it("row 4: legacy, trace, no existing, no snapshot (no compatibility filter)", () => {
    expect(resolvePipelineModel("legacy_misnamed", TRACE, "", "", null)).toEqual({
      pipeline: "",
      modelId: "",
      compatibilityModelHint: "",
    });
    expect(resolvePipelineModel("legacy_misnamed", TRACE, null, null, null)).toEqual({
      pipeline: "",
      modelId: "",
      compatibilityModelHint: "",
    });
  });

  it("row 5: legacy, status sd, no existing, snapshot llm/llama", () => {
    expect(
      resolvePipelineModel("legacy_misnamed", statusSignal(SD), "", "", {
        pipeline: "llm",
        modelId: LLAMA,
      }),
    ).toEqual({ pipeline: "llm", modelId: LLAMA, compatibilityModelHint: SD });
  });

  it("row 6: native, text-to-image / unset / RealVisXL, snapshot live-video-to-video/sd", () => {
    expect(
      resolvePipelineModel(
        "native_correct",
        { pipeline: "text-to-image", pipelineHint: null, modelHint: REALVIS },
        "",
        "",
        { pipeline: V2V, modelId: SD },
      ),
    ).toEqual({ pipeline: "text-to-image", modelId: REALVIS, compatibilityModelHint: REALVIS });
  });

  it("row 7: native, text-to-image ×3, any snapshot", () => {
    const expected = {
      pipeline: "text-to-image",
      modelId: "text-to-image",
      compatibilityModelHint: "text-to-image",
    };
    const s = statusSignal("text-to-image");
    expect(resolvePipelineModel("native_correct", s, "", "", null)).toEqual(expected);
    expect(
      resolvePipelineModel("native_correct", s, "", "", { pipeline: V2V, modelId: SD }),
    ).toEqual(expected);
    expect(
      resolvePipelineModel("native_correct", s, "", "", { pipeline: "llm", modelId: LLAMA }),
    ).toEqual(expected);
  });
});

describe("resolver details", () => {
  it("returns values unmodified (no trim, no case fold) and treats blanks as absent", () => {
    const r = resolvePipelineModel(
      "legacy_misnamed",
      { pipeline: " \t", pipelineHint: null, modelHint: "  Model-X " },
      null,
      null,
      { pipeline: " Live-Video-To-Video ", modelId: "\n" },
    );
    expect(r).toEqual({
      pipeline: " Live-Video-To-Video ",
      modelId: "  Model-X ",
      compatibilityModelHint: "  Model-X ",
    });
  });

  it("native mode: signal pipeline, then existing, then snapshot pipeline; hint falls back to the model", () => {
    const r = resolvePipelineModel("native_correct", TRACE, null, null, {
      pipeline: V2V,
      modelId: SD,
    });
    expect(r).toEqual({ pipeline: V2V, modelId: SD, compatibilityModelHint: SD });
    const r2 = resolvePipelineModel("native_correct", TRACE, "text-to-image", LLAMA, {
      pipeline: V2V,
      modelId: SD,
    });
    expect(r2).toEqual({
      pipeline: "text-to-image",
      modelId: LLAMA,
      compatibilityModelHint: LLAMA,
    });
  });

  it("pipelineHint feeds the model hint when modelHint is blank", () => {
    const r = resolvePipelineModel(
      "legacy_misnamed",
      { pipeline: "p", pipelineHint: "hint", modelHint: " " },
      null,
      "existing-model",
      null,
    );
    expect(r).toEqual({ pipeline: "", modelId: "existing-model", compatibilityModelHint: "hint" });
  });

  it("legacy: the snapshot pipeline/model win over existing values", () => {
    const r = resolvePipelineModel("legacy_misnamed", TRACE, "old-pipe", "old-model", {
      pipeline: V2V,
      modelId: SD,
    });
    expect(r).toEqual({ pipeline: V2V, modelId: SD, compatibilityModelHint: "old-model" });
  });
});

describe("resolveResolverMode (attribution.md §3.3)", () => {
  it("native_correct and native (trimmed, any case) select native mode", () => {
    for (const v of ["native_correct", "native", " NATIVE ", "\tNative_Correct\n"]) {
      expect(resolveResolverMode(v)).toBe("native_correct");
    }
  });

  it("anything else, including absent and typos, is legacy_misnamed", () => {
    for (const v of [
      undefined,
      null,
      "",
      "  ",
      "legacy_misnamed",
      "legacy",
      "nativ",
      "native-correct",
      "\u00a0native",
    ]) {
      expect(resolveResolverMode(v)).toBe("legacy_misnamed");
    }
  });
});

describe("canonicalPipeline (attribution.md §3.5)", () => {
  it("hides a model label that leaked into the pipeline field", () => {
    expect(canonicalPipeline(SD, SD)).toBe("");
    expect(canonicalPipeline("StreamDiffusion-SDXL", SD)).toBe("");
    expect(canonicalPipeline(V2V, SD)).toBe(V2V);
  });

  it("blank inputs", () => {
    expect(canonicalPipeline(null, SD)).toBe("");
    expect(canonicalPipeline("  ", SD)).toBe("");
    expect(canonicalPipeline(V2V, null)).toBe(V2V);
    expect(canonicalPipeline(V2V, " ")).toBe(V2V);
    expect(canonicalPipeline(undefined, undefined)).toBe("");
  });

  it("compares without trimming and returns the pipeline unmodified", () => {
    expect(canonicalPipeline(" sd ", "sd")).toBe(" sd ");
    expect(canonicalPipeline(" SD ", " sd ")).toBe("");
  });

  it("property (§8 item 19): never equal case-insensitively to a non-blank model", () => {
    const piece = fc.constantFrom(SD, "SD", "Sd", " sd", "llm", V2V, "", " ", "\t", "ß", "SS");
    const value = fc.oneof(
      fc.constantFrom(null, undefined),
      piece,
      fc.tuple(piece, piece).map(([a, b]) => a + b),
      fc.string(),
    );
    fc.assert(
      fc.property(value, value, (p, m) => {
        const out = canonicalPipeline(p, m);
        if (!isBlank(m)) expect(eqIgnoreCase(out, m)).toBe(false);
        expect(out === "" || out === p).toBe(true);
      }),
    );
  });
});
