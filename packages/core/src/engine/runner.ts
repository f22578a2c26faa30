/**
 * The engine's two faces, in the style of xstate's pure `transition` and its actors: the pure
 * functions of {@link Engine} (`step` / `advance` / `flush` return a new state and the outputs,
 * the input state untouched) and a runner that owns one state and mutates it in place, for the
 * hot path of a host that processes records one after another.
 *
 * @module
 */
import type { Engine, EngineInput, EngineOutput, EngineState } from "./engine.js";

/**
 * A running engine that owns its state: the host hands it records and gets outputs back, and
 * reads the state only through {@link EngineRunner.state} (do not mutate it) or a
 * {@link EngineRunner.snapshot}. Steps mutate the state in place (no copy per record), so a
 * runner is the fast way to drive an engine; the pure functions of {@link Engine} are the way to
 * reason about, test or replay single transitions.
 *
 * @category Engine
 */
export interface EngineRunner {
  /** The engine this runner drives. */
  readonly engine: Engine;
  /** The current state (owned by the runner: read it, snapshot it, never mutate it). */
  readonly state: Readonly<EngineState>;
  /**
   * Processes one record, then moves the watermark when the engine says so
   * ({@link Engine.nextWatermark}); returns the outputs of both, in order. This is the loop body
   * every host writes.
   */
  push(input: EngineInput): EngineOutput[];
  /** Processes one record without moving the watermark (the host moves it with `advance`). */
  step(input: EngineInput): EngineOutput[];
  /** Moves the watermark to `watermark` (epoch ms) and returns what that releases. */
  advance(watermark: number): EngineOutput[];
  /** End of input: seals and finalizes everything; no record may follow. */
  flush(): EngineOutput[];
  /** The state as JSON text ({@link Engine.snapshot}); `createRunner(engine, text)` resumes it. */
  snapshot(): string;
}

/**
 * Creates a runner over `engine`, starting from a fresh state, a state (the runner takes it over:
 * the caller must not use it afterwards) or a snapshot's JSON text. Throws an `Error` with the
 * validation message when a snapshot does not restore.
 *
 * @category Engine
 * @example
 * const runner = createRunner(createEngine({ emission: "final" }));
 * for (const value of lines) write(runner.push({ record: { value }, now: Date.now() }));
 * write(runner.flush());
 */
export function createRunner(engine: Engine, from?: EngineState | string): EngineRunner {
  let state: EngineState;
  if (from === undefined) state = engine.init();
  else if (typeof from === "string") {
    const r = engine.restore(from);
    if (!r.ok) throw new Error(`@livepeer-analytics/core: createRunner: ${r.error.message}`);
    state = r.state;
  } else state = from;
  return {
    engine,
    get state(): Readonly<EngineState> {
      return state;
    },
    push(input) {
      const out = engine.stepInPlace(state, input);
      const w = engine.nextWatermark(state);
      if (w === null) return out;
      const more = engine.advanceInPlace(state, w);
      for (const o of more) out.push(o);
      return out;
    },
    step: (input) => engine.stepInPlace(state, input),
    advance: (watermark) => engine.advanceInPlace(state, watermark),
    flush: () => engine.flushInPlace(state),
    snapshot: () => engine.snapshot(state),
  };
}
