import { describe, expect, it } from "vitest";
import {
  DEFAULT_ATTRIBUTION_CONFIG,
  REFERENCE_COMPAT_ATTRIBUTION_CONFIG,
} from "../attribution/candidates.js";
import { DEFAULT_RESOLVER_MODE, resolveResolverMode } from "../attribution/resolver.js";
import { resolveEngineConfig } from "../engine/config.js";
import {
  DEFAULT_LIFECYCLE_CONFIG,
  EVICTION_SWEEP_INTERVAL_MS,
  REFERENCE_COMPAT_LIFECYCLE_CONFIG,
} from "./config.js";
import { DEFAULT_CORRECTION_CONFIG } from "./correction.js";

function resolved(input: Parameters<typeof resolveEngineConfig>[0]) {
  const r = resolveEngineConfig(input);
  if (!r.ok) throw new Error(r.error.issues.join("; "));
  return r.config;
}

describe("one definition of each default", () => {
  it("the engine's correction preset resolves to the lifecycle and correction defaults", () => {
    expect(resolved({}).lifecycle).toEqual({
      ...DEFAULT_LIFECYCLE_CONFIG,
      ...DEFAULT_CORRECTION_CONFIG,
    });
  });

  it("the engine's reference-compat preset resolves to the REFERENCE_COMPAT lifecycle config", () => {
    const { lifecycle } = resolved({ preset: "reference-compat" });
    expect(lifecycle).toEqual({
      ...REFERENCE_COMPAT_LIFECYCLE_CONFIG,
      ...DEFAULT_CORRECTION_CONFIG,
    });
    expect(lifecycle.attribution).toEqual(REFERENCE_COMPAT_ATTRIBUTION_CONFIG);
  });

  it("the lifecycle defaults take the attribution and resolver defaults", () => {
    expect(DEFAULT_LIFECYCLE_CONFIG.attribution).toBe(DEFAULT_ATTRIBUTION_CONFIG);
    expect(DEFAULT_LIFECYCLE_CONFIG.resolverMode).toBe(DEFAULT_RESOLVER_MODE);
    expect(resolveResolverMode(undefined)).toBe(DEFAULT_RESOLVER_MODE);
  });

  it("an explicit value still wins over every default", () => {
    const { lifecycle } = resolved({
      ttlMs: 5,
      allowedLatenessMs: 6,
      maxCandidatesPerKey: 7,
      ambiguityScope: "url_narrowed",
      sessionStateTtlMs: 8,
      tombstoneTtlMs: 9,
      initialEmitDelayMs: 10,
      maxUnsealedSignalsPerSession: 11,
      maxRetainedRowsPerSession: 12,
    });
    expect(lifecycle.attribution).toMatchObject({
      ttlMs: 5,
      allowedLatenessMs: 6,
      maxCandidatesPerKey: 7,
      ambiguityScope: "url_narrowed",
    });
    expect(lifecycle).toMatchObject({
      sessionStateTtlMs: 8,
      tombstoneTtlMs: 9,
      initialEmitDelayMs: 10,
      maxUnsealedSignalsPerSession: 11,
      maxRetainedRowsPerSession: 12,
    });
  });

  it("the eviction sweep interval is one minute", () => {
    expect(EVICTION_SWEEP_INTERVAL_MS).toBe(60_000);
  });
});
