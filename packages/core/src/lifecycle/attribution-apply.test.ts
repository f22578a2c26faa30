import { describe, expect, it } from "vitest";
import { candidate } from "@livepeer-analytics/testing";
import { PROXY_ADDRESS_JOIN_BAND } from "../attribution/bands.js";
import {
  applyCandidate,
  applyIdentityAttribution,
  OPERATOR_URL_PRECEDENCE,
  type AttributionTarget,
} from "./attribution-apply.js";
import { DEFAULT_LIFECYCLE_CONFIG } from "./config.js";
import { initParamState } from "./params.js";

const TTL = DEFAULT_LIFECYCLE_CONFIG.attribution.ttlMs;

/** A fresh parameter-update accumulator (the smallest state with every attribution field). */
function target(fields: Partial<AttributionTarget> = {}): AttributionTarget {
  return { ...initParamState(), ...fields };
}

const snap = candidate({
  snapshotTs: 10_000,
  canonicalOrchestratorAddress: "0xcanon",
  orchestratorUrl: "https://snap.example",
  modelId: "sd",
  gpuId: "GPU-A",
});

describe("applyCandidate (lifecycle.md §4.6, §5.3, §5.6)", () => {
  it("keeps the accumulator's URL with accumulator_first and takes the snapshot's with candidate_first", () => {
    const a = target({ orchestratorUrl: "https://signal.example" });
    applyCandidate(a, snap, 10_000, DEFAULT_LIFECYCLE_CONFIG, "accumulator_first");
    expect(a.orchestratorUrl).toBe("https://signal.example");
    const c = target({ orchestratorUrl: "https://signal.example" });
    applyCandidate(c, snap, 10_000, DEFAULT_LIFECYCLE_CONFIG, "candidate_first");
    expect(c.orchestratorUrl).toBe("https://snap.example");
  });

  it("fills a blank URL from the snapshot either way and keeps the URL over a blank snapshot URL", () => {
    for (const p of ["accumulator_first", "candidate_first"] as const) {
      const a = target();
      applyCandidate(a, snap, 10_000, DEFAULT_LIFECYCLE_CONFIG, p);
      expect(a.orchestratorUrl).toBe("https://snap.example");
      const b = target({ orchestratorUrl: "https://signal.example" });
      applyCandidate(b, { ...snap, orchestratorUrl: "" }, 10_000, DEFAULT_LIFECYCLE_CONFIG, p);
      expect(b.orchestratorUrl).toBe("https://signal.example");
    }
  });

  it("names the spec precedence of each operator", () => {
    expect(OPERATOR_URL_PRECEDENCE).toEqual({
      session: "accumulator_first",
      segment: "candidate_first",
      paramUpdate: "accumulator_first",
    });
  });

  it("sets address, band, model and GPU, and returns the band", () => {
    const a = target({ orchestratorAddress: "0xold", modelId: "old", gpuId: "GPU-old" });
    const band = applyCandidate(a, snap, 10_500, DEFAULT_LIFECYCLE_CONFIG, "accumulator_first");
    expect(band.method).toBe("nearest_prior_snapshot");
    expect(a).toMatchObject({
      orchestratorAddress: "0xcanon",
      orchestratorUrl: "https://snap.example",
      modelId: "sd",
      gpuId: "GPU-A",
      attributionMethod: "nearest_prior_snapshot",
      attributionConfidence: Math.fround(0.9),
    });
  });

  it("keeps the address when the canonical is blank and clears a model from a blank-model snapshot", () => {
    const a = target({ orchestratorAddress: "0xold", modelId: "old" });
    applyCandidate(
      a,
      { ...snap, canonicalOrchestratorAddress: " ", modelId: "" },
      10_000,
      DEFAULT_LIFECYCLE_CONFIG,
      "candidate_first",
    );
    expect(a.orchestratorAddress).toBe("0xold");
    expect(a.modelId).toBeNull();
  });

  it("leaves model and GPU on a stale band when overwriteModelGpuOnStale is off", () => {
    const stale = 10_000 + TTL + 1;
    const on = target({ modelId: "old", gpuId: "GPU-old" });
    applyCandidate(on, snap, stale, DEFAULT_LIFECYCLE_CONFIG, "accumulator_first");
    expect([on.modelId, on.gpuId, on.attributionMethod]).toEqual([
      "sd",
      "GPU-A",
      "proxy_address_join",
    ]);
    const off = target({ modelId: "old", gpuId: "GPU-old" });
    const config = { ...DEFAULT_LIFECYCLE_CONFIG, overwriteModelGpuOnStale: false };
    applyCandidate(off, snap, stale, config, "accumulator_first");
    expect([off.modelId, off.gpuId, off.orchestratorAddress]).toEqual([
      "old",
      "GPU-old",
      "0xcanon",
    ]);
    expect(off.attributionConfidence).toBe(PROXY_ADDRESS_JOIN_BAND.confidence);
  });
});

describe("applyIdentityAttribution (attribution.md §7.4 rule 2)", () => {
  it("sets the address and the proxy_address_join band only", () => {
    const a = target({ orchestratorUrl: "https://u", modelId: "m", gpuId: "g" });
    applyIdentityAttribution(a, "0xcanon");
    expect(a).toMatchObject({
      orchestratorAddress: "0xcanon",
      orchestratorUrl: "https://u",
      modelId: "m",
      gpuId: "g",
      attributionMethod: "proxy_address_join",
      attributionConfidence: Math.fround(0.4),
    });
  });
});
