import { readFileSync } from "node:fs";
import { join } from "node:path";
import { REAL_FIXTURES_DIR } from "@livepeer-analytics/testing/fixtures";
import { describe, it, expect } from "vitest";
import {
  CAPABILITY_CATALOG,
  CAPABILITY_CATALOG_GENERATED_AT,
  CAPABILITY_CATALOG_VERSION,
  lookupCapability,
} from "./capability-catalog.js";

const REAL_FIXTURES = REAL_FIXTURES_DIR;

function capabilityNames(file: string): Record<string, string> {
  const parsed = JSON.parse(readFileSync(join(REAL_FIXTURES, file), "utf8")) as {
    capabilities_names: Record<string, string>;
  };
  return parsed.capabilities_names;
}

describe("capability catalog v1", () => {
  it("has the v1 metadata", () => {
    expect(CAPABILITY_CATALOG_VERSION).toBe("v1");
    expect(CAPABILITY_CATALOG_GENERATED_AT).toBe("2026-02-13T00:00:00Z");
  });

  it("lists ids 0-36 exactly once, in ascending order", () => {
    expect(CAPABILITY_CATALOG.map((e) => e.id)).toEqual(Array.from({ length: 37 }, (_, i) => i));
  });

  it("assigns the groups of attribution.md §1.7", () => {
    const byGroup = (group: string): number[] =>
      CAPABILITY_CATALOG.filter((e) => e.group === group).map((e) => e.id);
    expect(byGroup("storage")).toEqual([4, 5, 6]);
    expect(byGroup("auth")).toEqual([12]);
    expect(byGroup("deprecated")).toEqual([13]);
    expect(byGroup("live-video")).toEqual([35]);
    expect(byGroup("inference")).toEqual([27, 28, 29, 30, 31, 32, 33, 34, 36]);
    expect(byGroup("transcoding")).toEqual([
      0, 1, 2, 3, 7, 8, 9, 10, 11, 14, 15, 16, 17, 18, 19, 20, 21, 22, 23, 24, 25, 26,
    ]);
  });

  it("uses the names the network API reports for every shared id", () => {
    for (const file of [
      "getNetworkCapabilities.json",
      "getNetworkCapabilities-ai-batch-byoc.json",
    ]) {
      const names = capabilityNames(file);
      for (const e of CAPABILITY_CATALOG) {
        if (e.id === 13) {
          // Scene classification is deprecated and no longer reported by the API.
          expect(names["13"]).toBeUndefined();
          continue;
        }
        expect(names[String(e.id)], `id ${e.id}`).toBe(e.name);
      }
    }
    expect(capabilityNames("getNetworkCapabilities-ai-batch-byoc.json")["37"]).toBe("byoc");
  });

  // attribution.md §9.9 loadDefaultCatalogResolvesKnownAndUnknownCapabilities
  it("resolves known and unknown capabilities (§9.9)", () => {
    expect(lookupCapability(35)).toEqual({
      id: 35,
      name: "Live video to video",
      group: "live-video",
      catalogVersion: "v1",
    });
    expect(lookupCapability(9999)).toEqual({
      id: 9999,
      name: "unknown",
      group: "unknown",
      catalogVersion: "v1",
    });
  });

  it("resolves null to -1 and ids outside the catalog (37 byoc, negatives) to unknown", () => {
    expect(lookupCapability(null)).toEqual({
      id: -1,
      name: "unknown",
      group: "unknown",
      catalogVersion: "v1",
    });
    expect(lookupCapability(37)).toEqual({
      id: 37,
      name: "unknown",
      group: "unknown",
      catalogVersion: "v1",
    });
    expect(lookupCapability(-2)).toMatchObject({ id: -2, name: "unknown", group: "unknown" });
    expect(lookupCapability(33)).toMatchObject({ id: 33, name: "Llm", group: "inference" });
    expect(lookupCapability(0)).toMatchObject({ id: 0, name: "H.264", group: "transcoding" });
    expect(lookupCapability(13)).toMatchObject({
      name: "Scene classification",
      group: "deprecated",
    });
  });

  it("is immutable", () => {
    expect(Object.isFrozen(CAPABILITY_CATALOG)).toBe(true);
    expect(CAPABILITY_CATALOG.every((e) => Object.isFrozen(e))).toBe(true);
  });
});
