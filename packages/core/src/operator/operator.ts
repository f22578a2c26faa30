/**
 * The operator contract: a record of pure functions over plain-JSON state, with each transition
 * written once as an immer recipe (architecture rule 3).
 *
 * @module
 */
import { Immer, type Draft } from "immer";

const immer = new Immer({ autoFreeze: false });

/**
 * What a transition returns: the next state and the outputs it produced. Outputs are data; the
 * operator never performs them.
 *
 * @category Operators
 */
export interface Step<S, O> {
  /** Next state (a new object on the pure path; the same object on the in-place path). */
  readonly state: S;
  /** Outputs, in emission order. */
  readonly outputs: readonly O[];
}

/**
 * An immer recipe: mutates `draft` and reports outputs through `emit`.
 *
 * @category Operators
 */
export type Recipe<S, I, O, C> = (
  draft: Draft<S> | S,
  input: I,
  config: C,
  emit: (output: O) => void,
) => void;

/**
 * A pure operator (xstate's `ActorLogic` / Flink's `KeyedProcessFunction` without the runtime).
 *
 * - `step` / `advance` are pure: they return a new state and never touch their input.
 * - `stepInPlace` / `advanceInPlace` apply the same recipe directly to a state the caller owns
 *   (the engine's hot path). Both paths agree by construction; a property test checks it.
 *
 * @category Operators
 */
export interface Operator<S, I, O, C> {
  /** Operator name (`"dedup"`, `"session"`, …). */
  readonly name: string;
  /** Initial state for a config. */
  init(config: C): S;
  /** Pure transition for one input. */
  step(state: S, input: I, config: C): Step<S, O>;
  /** Pure timer transition for a watermark (epoch ms): TTLs, eviction, finalisation. */
  advance(state: S, watermark: number, config: C): Step<S, O>;
  /** In-place transition on a caller-owned state; returns the outputs. */
  stepInPlace(state: S, input: I, config: C): O[];
  /** In-place timer transition on a caller-owned state; returns the outputs. */
  advanceInPlace(state: S, watermark: number, config: C): O[];
}

/**
 * Definition of an operator: its name, initial state and the two recipes.
 *
 * @category Operators
 */
export interface OperatorDefinition<S, I, O, C> {
  readonly name: string;
  readonly init: (config: C) => S;
  readonly step: Recipe<S, I, O, C>;
  readonly advance: Recipe<S, number, O, C>;
}

/**
 * Builds an {@link Operator} from its recipes: the pure API wraps each recipe with immer's
 * `produce`; the in-place API calls it directly.
 *
 * @category Operators
 */
/* @__NO_SIDE_EFFECTS__ */
export function defineOperator<S, I, O, C>(
  def: OperatorDefinition<S, I, O, C>,
): Operator<S, I, O, C> {
  const pure =
    <X>(recipe: Recipe<S, X, O, C>) =>
    (state: S, input: X, config: C): Step<S, O> => {
      const outputs: O[] = [];
      const next = immer.produce(state, (draft: Draft<S>) => {
        recipe(draft, input, config, (o) => outputs.push(o));
      }) as S;
      return { state: next, outputs };
    };
  const inPlace =
    <X>(recipe: Recipe<S, X, O, C>) =>
    (state: S, input: X, config: C): O[] => {
      const outputs: O[] = [];
      recipe(state, input, config, (o) => outputs.push(o));
      return outputs;
    };
  return {
    name: def.name,
    init: def.init,
    step: pure(def.step),
    advance: pure(def.advance),
    stepInPlace: inPlace(def.step),
    advanceInPlace: inPlace(def.advance),
  };
}
