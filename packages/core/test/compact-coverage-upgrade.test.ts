// Snapshots saved while a session's coverage accumulator was a whole session accumulator (the
// reference-compat lifecycle state of version 1, the correction state of version 2) still
// restore: `engine.restore` upgrades them to exactly the state the current engine holds at the
// same point, and the run continues with the outputs of an uninterrupted run. The fixture holds
// one snapshot per preset and emission mode, taken by the engine before the change after the
// first 6 records of the real event log (the stream known, its processed and playable edges still
// to come); the correction snapshots are in the version-2 form (the last emitted session row kept
// whole, as that version held it).
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { realEventLines } from "@livepeer-analytics/testing/fixtures";
import {
  createEngine,
  type Engine,
  type EngineOutput,
  type EngineState,
} from "../src/engine/engine.js";
import { CORRECTION_STATE_VERSION, type CorrectionState } from "../src/lifecycle/correction.js";
import { initCoverageState } from "../src/lifecycle/coverage.js";
import {
  LIFECYCLE_STATE_VERSION,
  upgradeLifecycleState,
  type LifecycleState,
} from "../src/lifecycle/operator.js";

const NOW = 1_800_000_000_000;
const CUT = 6;
const lines = realEventLines();
const snapshots = JSON.parse(
  readFileSync(
    join(import.meta.dirname, "fixtures", "state-before-compact-coverage.snapshots.json"),
    "utf8",
  ),
) as Record<string, { state: { lifecycle: { v: number; sessions: Record<string, Bundle> } } }>;

interface Bundle {
  coverage: Record<string, unknown>;
}

function feed(engine: Engine, state: EngineState, from: number, to: number): EngineOutput[] {
  const out: EngineOutput[] = [];
  for (let i = from; i < to; i++) {
    out.push(
      ...engine.stepInPlace(state, { record: { value: lines[i]!, offset: i + 1 }, now: NOW }),
    );
    const w = engine.nextWatermark(state);
    if (w !== null) out.push(...engine.advanceInPlace(state, w));
  }
  return out;
}

const coverageKeys = Object.keys(initCoverageState());

describe("snapshots saved with whole coverage accumulators", () => {
  for (const preset of ["reference-compat", "correction"] as const) {
    for (const emission of ["every-change", "coalesced", "final"] as const) {
      it(`${preset}, ${emission}: restore upgrades the state to the current one at the same point; the run continues identically`, () => {
        const old = snapshots[`${preset}/${emission}`]!;
        // The fixture is in the old form: whole session accumulators as coverage.
        expect(old.state.lifecycle.v).toBe(preset === "correction" ? 2 : 1);
        const oldSessions = Object.values(old.state.lifecycle.sessions);
        expect(oldSessions.length).toBeGreaterThan(0);
        for (const b of oldSessions) {
          expect(b.coverage).toHaveProperty("pipelinesSeen");
          expect(b.coverage).toMatchObject({ knownStream: true, firstPlayableTs: null });
        }

        const engine = createEngine({ preset, emission });
        const restored = engine.restore(JSON.stringify(old));
        if (!restored.ok) throw new Error(restored.error.message);
        const lc = restored.state.lifecycle as LifecycleState | CorrectionState;
        expect(lc.v).toBe(
          preset === "correction" ? CORRECTION_STATE_VERSION : LIFECYCLE_STATE_VERSION,
        );
        for (const b of Object.values(lc.sessions))
          expect(Object.keys(b.coverage)).toEqual(coverageKeys);

        // The current engine at the same point holds the same state, to the byte.
        const reference = engine.init();
        feed(engine, reference, 0, CUT);
        expect(restored.state).toEqual(reference);
        expect(engine.snapshot(restored.state)).toBe(engine.snapshot(reference));

        const rest = (state: EngineState): EngineOutput[] => [
          ...feed(engine, state, CUT, lines.length),
          ...engine.flushInPlace(state),
        ];
        const expected = rest(reference);
        const coverageRows = expected.filter(
          (o) => o.kind === "row" && o.table === "fact_lifecycle_edge_coverage",
        );
        expect(coverageRows.length).toBeGreaterThan(0);
        // The edges still to come reach the upgraded accumulator.
        expect(coverageRows.at(-1)).toMatchObject({
          row: { known_stream: 1, has_first_processed_edge: 1, has_first_playable_edge: 1 },
        });
        expect(rest(restored.state)).toEqual(expected);
      });
    }
  }
});

describe("upgradeLifecycleState", () => {
  const v1 = snapshots["reference-compat/every-change"]!.state.lifecycle;

  it("is pure, and leaves a current state, null and malformed values unchanged", () => {
    const before = JSON.stringify(v1);
    const up = upgradeLifecycleState(v1) as LifecycleState;
    expect(JSON.stringify(v1)).toBe(before);
    expect(up.v).toBe(LIFECYCLE_STATE_VERSION);
    expect(upgradeLifecycleState(up)).toBe(up);
    expect(upgradeLifecycleState(null)).toBeNull();
    const noSessions = { ...v1, sessions: [] };
    expect(upgradeLifecycleState(noSessions)).toBe(noSessions);
    // A later version (not known here) is left for validation to refuse.
    const later = { ...v1, v: 3 };
    expect(upgradeLifecycleState(later)).toBe(later);
  });

  it("carries malformed bundles over as they are, and never sets a prototype from a key", () => {
    const state = JSON.parse(
      '{"v":1,"sessions":{"__proto__":{"coverage":{"v":1,"version":2,"errorCount":1}},"a":7,"b":{"x":1}}}',
    ) as unknown;
    const up = upgradeLifecycleState(state) as { sessions: Record<string, unknown> };
    expect(Object.getPrototypeOf(up.sessions)).toBe(Object.prototype);
    expect(Object.hasOwn(up.sessions, "__proto__")).toBe(true);
    expect(up.sessions["__proto__"]).toEqual({ coverage: { v: 1, version: 2 } });
    expect(up.sessions["a"]).toBe(7);
    expect(up.sessions["b"]).toEqual({ x: 1 });
  });
});
