/**
 * The operator contract shared by every stateful component.
 *
 * @packageDocumentation
 */
export type { Step, Recipe, Operator, OperatorDefinition } from "./operator.js";
export { defineOperator } from "./operator.js";
