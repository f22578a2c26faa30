/**
 * Pins the shape (key set and value types) of the `--json` documents of `lpa replay` and
 * `lpa validate`: a change here is a change of `REPORT_SCHEMA_VERSION` or an added field, and
 * docs/cli.md must follow.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { COUNTER_NAMES } from "@livepeer-analytics/core/quality";
import { run } from "./main.js";
import { REPORT_SCHEMA_VERSION } from "./summary.js";
import { memoryIo, writeMixedInput } from "../test/support.js";

const tmp = mkdtempSync(join(tmpdir(), "lpa-json-shape-"));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));
const mixed = writeMixedInput(tmp);

/** Paths (dot-separated, `*` for any key) whose objects are maps with free keys. */
type Maps = ReadonlySet<string>;

/**
 * The shape of a JSON value: `"number"`, `"string"`, `"boolean"`, `"null"`, `[shape of items]`,
 * `"string[]"` for an array of strings (empty included), an object of shapes, or for a map `{ "*": shape of its values }` (all values the same shape).
 */
function shape(value: unknown, maps: Maps, path = ""): unknown {
  if (value === null) return "null";
  if (Array.isArray(value)) {
    if (value.every((v) => typeof v === "string")) return "string[]";
    const items = [...new Set(value.map((v) => JSON.stringify(shape(v, maps, `${path}[]`))))];
    return items.map((s) => JSON.parse(s) as unknown);
  }
  if (typeof value === "object") {
    const entries = Object.entries(value as Record<string, unknown>);
    if (maps.has(path)) {
      const values = [
        ...new Set(entries.map(([, v]) => JSON.stringify(shape(v, maps, `${path}.*`)))),
      ];
      expect(values.length, `${path}: values of one shape`).toBeLessThanOrEqual(1);
      return { "*": values.length === 0 ? "empty" : (JSON.parse(values[0]!) as unknown) };
    }
    return Object.fromEntries(
      entries.map(([k, v]) => [k, shape(v, maps, path === "" ? k : `${path}.${k}`)]),
    );
  }
  return typeof value;
}

async function json(argv: string[]): Promise<Record<string, unknown>> {
  const m = memoryIo();
  expect(await run(argv, m.io), m.err()).toBe(0);
  return JSON.parse(m.out()) as Record<string, unknown>;
}

const counts = {
  read: "number",
  accepted: "number",
  gateDlq: "number",
  duplicates: "number",
  futureEventTime: "number",
  afterAcceptance: { dlq: "number", quarantine: "number" },
  dlq: "number",
  quarantine: "number",
};
const inputs = [
  {
    name: "string",
    format: "string",
    records: "number",
    skippedBlank: "number",
    notes: "string[]",
  },
];
const numberMap = { "*": "number" };

describe("--json shapes (schemaVersion 1)", () => {
  it("lpa replay --json", async () => {
    const doc = await json(["replay", mixed, "--out", join(tmp, "out"), "--json"]);
    expect(doc["schemaVersion"]).toBe(REPORT_SCHEMA_VERSION);
    const maps = new Set([
      "dlqByReason",
      "quarantineByReason",
      "sessions.unservedByReason",
      "attribution.byMethod",
      "attribution.bySource",
      "latency",
      "latency.*",
      "tables",
      "counters",
    ]);
    expect(shape(doc, maps)).toEqual({
      schemaVersion: "number",
      inputs,
      events: counts,
      dlqByReason: numberMap,
      quarantineByReason: numberMap,
      sessions: {
        total: "number",
        known: "number",
        served: "number",
        unserved: "number",
        unservedByReason: { "*": "empty" },
      },
      attribution: { byMethod: numberMap, bySource: numberMap },
      latency: { "*": { "*": { n: "number", p50: "number", p95: "number" } } },
      corrections: "null",
      tables: { "*": { rows: "number", emitted: "number" } },
      counters: numberMap,
      notices: "string[]",
      mode: "string",
      flushed: "boolean",
      outDir: "string",
      clickhouse: "null",
      wallTimeMs: "number",
      eventsPerSecond: "number",
    });
    // Stable keys: every counter of the vocabulary and every configured latency version.
    expect(Object.keys(doc["counters"] as object)).toEqual(
      expect.arrayContaining([...COUNTER_NAMES]),
    );
    expect(doc["counters"]).toMatchObject({ "quality_gate.input": 71, forced_seals: 0 });
    const both = await json([
      "replay",
      mixed,
      "--out",
      join(tmp, "out-both"),
      "--latency-semantics",
      "both",
      "--all-versions",
      "--json",
    ]);
    expect(Object.keys(both["latency"] as object)).toEqual(["v1", "v2"]);
    expect(typeof both["corrections"]).toBe("number");
  });

  it("lpa validate --json", async () => {
    const doc = await json(["validate", mixed, "--json"]);
    expect(doc["schemaVersion"]).toBe(REPORT_SCHEMA_VERSION);
    const maps = new Set([
      "acceptedByType",
      "rowsByTable",
      "dlqByReason",
      "quarantineByReason",
      "dedupStrategies",
    ]);
    const config = shape(doc["config"], new Set());
    expect(shape(doc, maps)).toEqual({
      schemaVersion: "number",
      inputs,
      events: counts,
      records: "number",
      accepted: "number",
      gateDlq: "number",
      duplicates: "number",
      afterAcceptance: { dlq: "number", quarantine: "number" },
      dlq: "number",
      quarantine: "number",
      acceptedByType: numberMap,
      rowsByTable: numberMap,
      dlqByReason: numberMap,
      quarantineByReason: numberMap,
      dedupStrategies: numberMap,
      config: expect.any(Object) as unknown, // core's GateConfig, see below
      wallTimeMs: "number",
      eventsPerSecond: "number",
    });
    expect(config).toMatchObject({ dedupTtlMs: "number", maxRecordBytes: "number" });
  });

  it("the same input gives the same event counts, under the same names, in both", async () => {
    const replay = await json(["replay", mixed, "--out", join(tmp, "out-same"), "--json"]);
    const validate = await json(["validate", mixed, "--json"]);
    expect(validate["events"]).toEqual(replay["events"]);
    expect(validate["dlqByReason"]).toEqual(replay["dlqByReason"]);
    expect(validate["quarantineByReason"]).toEqual(replay["quarantineByReason"]);
    // The deprecated top-level names of validate mirror `events`.
    const e = validate["events"] as Record<string, unknown>;
    expect([validate["records"], validate["accepted"], validate["dlq"]]).toEqual([
      e["read"],
      e["accepted"],
      e["dlq"],
    ]);
    expect((replay["inputs"] as unknown[]).map((i) => ({ ...(i as object), notes: [] }))).toEqual(
      (validate["inputs"] as unknown[]).map((i) => ({ ...(i as object), notes: [] })),
    );
  });
});
