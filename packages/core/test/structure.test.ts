// Structural guards: shared helpers are defined once (the SDK port of the reference's
// RefactorDriftGuardTest, ingest-and-storage.md §9.1), and every subpath entry point is listed
// consistently in package.json exports, the tsup build and the typedoc entry points.
import { readdirSync, readFileSync, statSync } from "node:fs";
import { join, relative } from "node:path";
import { describe, expect, it } from "vitest";

const root = join(import.meta.dirname, "..");
const repo = join(root, "..", "..");

function sources(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    if (name === "node_modules" || name === "dist" || name === ".tsc") return [];
    const p = join(dir, name);
    if (statSync(p).isDirectory()) return sources(p);
    return p.endsWith(".ts") && !p.endsWith(".test.ts") ? [p] : [];
  });
}

const SHARED_HELPERS = [
  "isBlank",
  "jtrim",
  "firstNonBlank",
  "blankToNull",
  "normAddr",
  "compareKey",
  "text",
  "nullableText",
  "nullableInt",
  "tsMillis",
  "sha256Hex",
  "utf8ByteLength",
  "encodeBase64",
  "dimensionsOf",
  "rawVersionOf",
  "dedupKeyOf",
  "lookupCapability",
  "orchestratorEntries",
  "describeParseError",
  "configIssues",
  "rejectDuplicateEvent",
  "lookupSignalAttribution",
];

describe("shared helpers exist once (RefactorDriftGuardTest)", () => {
  const files = [...sources(join(repo, "packages")).filter((f) => f.includes("/src/"))];
  it.each(SHARED_HELPERS)("%s has exactly one definition across all packages", (name) => {
    // Module-level definitions (a local variable that happens to share the name is not a helper).
    const pattern = new RegExp(
      `^(?:export\\s+)?(?:function\\s+${name}\\s*[<(]|(?:const|let)\\s+${name}\\s*[:=])`,
      "m",
    );
    const hits = files
      .filter((f) => pattern.test(readFileSync(f, "utf8")))
      .map((f) => relative(repo, f));
    expect(hits).toHaveLength(1);
  });
});

describe("entry points are consistent", () => {
  for (const pkg of ["core", "testing"]) {
    it(`${pkg}: exports, tsup entries and typedoc entry points list the same subpaths`, () => {
      const dir = join(repo, "packages", pkg);
      const manifest = JSON.parse(readFileSync(join(dir, "package.json"), "utf8")) as {
        exports: Record<string, null | string | Record<string, unknown>>;
      };
      const fromExports = Object.entries(manifest.exports)
        .filter(([, v]) => v !== null && typeof v === "object")
        .map(([, v]) =>
          (v as Record<string, string>)["@livepeer-analytics/source"]!.replace(/^\.\//, ""),
        )
        .sort();
      const typedoc = (
        JSON.parse(readFileSync(join(dir, "typedoc.json"), "utf8")) as { entryPoints: string[] }
      ).entryPoints.sort();
      // The API site documents each symbol once, under its subpath: a root entry that only
      // re-exports the subpaths is left out of typedoc (it is still a tsup entry and an export).
      const rootIndex = "src/index.ts";
      const reexportsOnly =
        pkg === "core" &&
        readFileSync(join(dir, rootIndex), "utf8")
          .split("\n")
          .every(
            (l) =>
              !/^\s*(export|import)\b/.test(l) ||
              /^export \* from "\.\/[a-z]+\/index\.js";$/.test(l),
          );
      const typedocExpected = reexportsOnly
        ? fromExports.filter((e) => e !== rootIndex)
        : fromExports;
      const tsup = readFileSync(join(dir, "tsup.config.ts"), "utf8");
      const tsupEntries = [...tsup.matchAll(/"(src\/[^"]+\.ts)"/g)].map((m) => m[1]!).sort();
      expect(typedoc).toEqual(typedocExpected);
      expect(tsupEntries).toEqual(fromExports);
      for (const [key, v] of Object.entries(manifest.exports)) {
        if (v === null || typeof v !== "object") continue;
        const src = (v as Record<string, string>)["@livepeer-analytics/source"]!;
        const dist = (v as { import: { default: string } }).import.default;
        expect(dist, key).toBe(src.replace("./src/", "./dist/").replace(/\.ts$/, ".js"));
      }
    });
  }
});
