// A snapshot taken under one emission mode resumes under another (a `final` batch run continued by
// a `coalesced` live runner, or the reverse): the restored state is adapted to the new mode, and
// the final tables are those of an uninterrupted every-change run.
import { describe, expect, it } from "vitest";
import { realEventLines } from "@livepeer-analytics/testing/fixtures";
import type { EmissionMode } from "./config.js";
import { createEngine, type EngineOutput } from "./engine.js";
import { collectFinalTables } from "./results.js";
import { validateEngineStateShape } from "./snapshot-schema.js";

const NOW = 1_800_000_000_000;
const lines = realEventLines();
const MODES: EmissionMode[] = ["coalesced", "final", "every-change"];

/** Final tables without versions or retraction rows, as sorted JSON per table. */
function finals(outputs: readonly EngineOutput[]): Record<string, string[]> {
  const t = collectFinalTables(outputs).tables;
  return Object.fromEntries(
    Object.entries(t).map(([name, rows]) => [
      name,
      (rows as Record<string, unknown>[])
        .filter((r) => r["is_retracted"] !== 1)
        .map((r) => JSON.stringify({ ...r, version: undefined }))
        .sort(),
    ]),
  );
}

function run(modes: readonly [EmissionMode, EmissionMode], cut: number): EngineOutput[] {
  const first = createEngine({ emission: modes[0] });
  let state = first.init();
  const out: EngineOutput[] = [];
  const feed = (engine: typeof first, from: number, to: number): void => {
    for (let i = from; i < to; i++) {
      out.push(...engine.stepInPlace(state, { record: { value: lines[i]!, offset: i }, now: NOW }));
      const w = engine.nextWatermark(state);
      if (w !== null) out.push(...engine.advanceInPlace(state, w));
    }
  };
  feed(first, 0, cut);
  const second = createEngine({ emission: modes[1] });
  const restored = second.restore(first.snapshot(state));
  if (!restored.ok) throw new Error(restored.error.message);
  state = restored.state;
  expect(validateEngineStateShape(state, "correction")).toEqual({ ok: true });
  feed(second, cut, lines.length);
  out.push(...second.flushInPlace(state));
  expect(validateEngineStateShape(state, "correction")).toEqual({ ok: true });
  return out;
}

describe("resuming a snapshot under another emission mode", () => {
  const whole = createEngine({ emission: "every-change" });
  const state = whole.init();
  const expected: EngineOutput[] = [];
  lines.forEach((value, offset) => {
    expected.push(...whole.stepInPlace(state, { record: { value, offset }, now: NOW }));
    const w = whole.nextWatermark(state);
    if (w !== null) expected.push(...whole.advanceInPlace(state, w));
  });
  expected.push(...whole.flushInPlace(state));

  for (const a of MODES)
    for (const b of MODES) {
      if (a === b) continue;
      it(`${a} → ${b}: the final tables of an uninterrupted run, at every cut`, () => {
        // Every 4th record, and the whole log (restore, then flush only: nothing else would make
        // the rows of a session a `final` run never published come out).
        const cuts = [
          ...Array.from({ length: Math.ceil((lines.length - 1) / 4) }, (_, k) => 1 + 4 * k),
          lines.length,
        ];
        for (const cut of cuts) {
          const out = run([a, b], cut);
          expect(finals(out), `cut ${cut}`).toEqual(finals(expected));
          // Nothing is emitted as an empty row.
          for (const o of out)
            if (o.kind === "row") expect(Object.keys(o.row).length).toBeGreaterThan(2);
        }
      });
    }
});
