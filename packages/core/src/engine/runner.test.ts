// The pure/runner split: a runner that owns its state gives exactly the outputs of the pure
// transitions, and the pure transitions never touch their input (checked with frozen states).
import { describe, expect, it } from "vitest";
import { realEventLines } from "@livepeer-analytics/testing/fixtures";
import type { EngineConfigInput } from "./config.js";
import { createEngine, type EngineOutput, type EngineState } from "./engine.js";
import { createRunner } from "./runner.js";

const NOW = 1_800_000_000_000;
const lines = realEventLines();
const CONFIGS: EngineConfigInput[] = [
  { preset: "correction", emission: "coalesced" },
  { preset: "correction", emission: "final" },
  { preset: "correction", emission: "every-change" },
  { preset: "reference-compat", emission: "coalesced" },
  { preset: "reference-compat", emission: "final" },
];

/** The pure loop: every transition returns a new state; the previous one must stay as it was. */
function pureRun(config: EngineConfigInput): { outputs: EngineOutput[]; states: EngineState[] } {
  const engine = createEngine(config, { freeze: true });
  let state = engine.init();
  const outputs: EngineOutput[] = [];
  const states: EngineState[] = [];
  lines.forEach((value, offset) => {
    const before = JSON.stringify(state);
    const r = engine.step(state, { record: { value, offset }, now: NOW });
    expect(JSON.stringify(state)).toBe(before);
    outputs.push(...r.outputs);
    state = r.state;
    const w = engine.nextWatermark(state);
    if (w !== null) {
      const a = engine.advance(state, w);
      outputs.push(...a.outputs);
      state = a.state;
    }
    states.push(state);
  });
  const f = engine.flush(state);
  outputs.push(...f.outputs);
  states.push(f.state);
  return { outputs, states };
}

describe("createRunner", () => {
  for (const config of CONFIGS) {
    const name = `${config.preset} / ${config.emission}`;

    it(`${name}: push + flush give exactly the pure transitions' outputs`, () => {
      const runner = createRunner(createEngine(config));
      const outputs = lines.flatMap((value, offset) =>
        runner.push({ record: { value, offset }, now: NOW }),
      );
      outputs.push(...runner.flush());
      expect(outputs).toEqual(pureRun(config).outputs);
      expect(runner.state.flushed).toBe(true);
    });
  }

  it("frozen pure states: the state is a tree and a returned state cannot be changed", () => {
    const mid = pureRun({ preset: "correction", emission: "coalesced" }).states[30]!;
    expect(Object.isFrozen(mid)).toBe(true);
    expect(Object.isFrozen(mid.lifecycle)).toBe(true);
    expect(() => {
      (mid as { watermark: number | null }).watermark = 0;
    }).toThrow(TypeError);
    // No object is reachable twice (no aliasing such as current === checkpoint).
    const seen = new Set<object>();
    const walk = (v: unknown): void => {
      if (v === null || typeof v !== "object") return;
      expect(seen.has(v)).toBe(false);
      seen.add(v);
      for (const x of Object.values(v)) walk(x);
    };
    for (const config of CONFIGS)
      for (const s of pureRun(config).states) {
        seen.clear();
        walk(s);
      }
  });

  it("resumes from a snapshot's text with the outputs of an uninterrupted run", () => {
    const engine = createEngine({ emission: "final" });
    const whole = createRunner(engine);
    const expected = lines.flatMap((value, offset) =>
      whole.push({ record: { value, offset }, now: NOW }),
    );
    expected.push(...whole.flush());

    const first = createRunner(engine);
    const outputs = lines
      .slice(0, 40)
      .flatMap((value, offset) => first.push({ record: { value, offset }, now: NOW }));
    const second = createRunner(engine, first.snapshot());
    outputs.push(
      ...lines
        .slice(40)
        .flatMap((value, i) => second.push({ record: { value, offset: 40 + i }, now: NOW })),
    );
    outputs.push(...second.flush());
    expect(outputs).toEqual(expected);
  });

  it("step and advance separately equal push", () => {
    const engine = createEngine();
    const a = createRunner(engine);
    const b = createRunner(engine);
    for (const [offset, value] of lines.entries()) {
      const pushed = a.push({ record: { value, offset }, now: NOW });
      const stepped = b.step({ record: { value, offset }, now: NOW });
      const w = engine.nextWatermark(b.state);
      if (w !== null) stepped.push(...b.advance(w));
      expect(stepped).toEqual(pushed);
    }
    expect(b.flush()).toEqual(a.flush());
  });

  it("refuses a snapshot that does not restore, with the reason", () => {
    expect(() => createRunner(createEngine(), "{}")).toThrow(/not an engine snapshot/);
  });
});

describe("Engine.lastStepEventTime", () => {
  it("is the accepted event time of the last step, null for rejected and duplicate records", () => {
    const engine = createEngine({});
    const runner = createRunner(engine);
    const lines = realEventLines();
    expect(engine.lastStepEventTime()).toBeNull();
    for (const value of lines) {
      runner.step({ record: { value }, now: 0 });
      const parsed = JSON.parse(value) as { timestamp: string };
      expect(engine.lastStepEventTime()).toBe(Number(parsed.timestamp));
    }
    runner.step({ record: { value: lines[0]! }, now: 0 });
    expect(engine.lastStepEventTime()).toBeNull(); // a duplicate
    runner.step({ record: { value: "{not json" }, now: 0 });
    expect(engine.lastStepEventTime()).toBeNull(); // rejected at the gate
    runner.step({ record: { value: lines[1]! }, now: 0 });
    expect(engine.lastStepEventTime()).toBeNull();
  });
});
