// Version-1 correction states (retained rows holding the content they last emitted, unsealed
// signals holding their sample) still restore: `engine.restore` upgrades them, and continuing
// from the upgraded state gives the outputs of an uninterrupted run. The fixture is a snapshot
// taken by the version-1 engine after the first 20 records of the real event log.
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { realEventLines } from "@livepeer-analytics/testing/fixtures";
import { createEngine, type Engine, type EngineState } from "../src/engine/engine.js";
import {
  CORRECTION_STATE_VERSION,
  upgradeCorrectionState,
  type CorrectionState,
} from "../src/lifecycle/correction.js";
import { initCoverageState } from "../src/lifecycle/coverage.js";

const NOW = 1_800_000_000_000;
const CUT = 20;
const lines = realEventLines();
const v1 = readFileSync(
  join(import.meta.dirname, "fixtures", "correction-state-v1.snapshot.json"),
  "utf8",
);

function feed(engine: Engine, state: EngineState, records: readonly string[]): unknown[] {
  const out: unknown[] = [];
  for (const value of records) {
    out.push(...engine.stepInPlace(state, { record: { value }, now: NOW }));
    const w = engine.nextWatermark(state);
    if (w !== null) out.push(...engine.advanceInPlace(state, w));
  }
  return out;
}

describe("version-1 correction state", () => {
  // The fixture's operator emitted at every signal (its versions count every change), as the
  // operator does with `emission: "every-change"`.
  const config = { preset: "correction", emission: "every-change" } as const;

  it("restores (upgraded) and continues with the outputs of an uninterrupted run", () => {
    const engine = createEngine(config);
    const restored = engine.restore(v1);
    if (!restored.ok) throw new Error(restored.error.message);
    const lc = restored.state.lifecycle as CorrectionState;
    expect(lc.v).toBe(CORRECTION_STATE_VERSION);
    const rows = Object.values(lc.sessions).flatMap((cs) => cs.retained);
    expect(rows.length).toBeGreaterThan(0);
    for (const r of rows) {
      expect(r.last === null || /^[A-Za-z0-9_-]{22}$/.test(r.last)).toBe(true);
      if (r.last !== null) expect(r.current).toBeNull();
    }
    // Coverage accumulators (whole session accumulators in version 1) keep their coverage fields.
    for (const cs of Object.values(lc.sessions))
      expect(Object.keys(cs.coverage)).toEqual(Object.keys(initCoverageState()));
    const continued = [...feed(engine, restored.state, lines.slice(CUT))];
    continued.push(...engine.flushInPlace(restored.state));

    const reference = createEngine(config);
    const state = reference.init();
    feed(reference, state, lines.slice(0, CUT));
    const expected = [...feed(reference, state, lines.slice(CUT))];
    expected.push(...reference.flushInPlace(state));
    expect(continued).toEqual(expected);
  });

  it("upgradeCorrectionState is pure and leaves a current state unchanged", () => {
    const doc = JSON.parse(v1) as { state: { lifecycle: unknown } };
    const before = JSON.stringify(doc.state.lifecycle);
    const up = upgradeCorrectionState(doc.state.lifecycle);
    expect(JSON.stringify(doc.state.lifecycle)).toBe(before);
    expect(upgradeCorrectionState(up)).toBe(up);
    expect(upgradeCorrectionState(null)).toBeNull();
  });
});
