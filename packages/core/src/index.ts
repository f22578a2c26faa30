/**
 * `@livepeer-analytics/core`: pure, deterministic operators that turn Livepeer streaming
 * telemetry into analytical facts. No I/O, no clock, no randomness: time comes from events or
 * from an explicit watermark / `now` argument, and every piece of state is plain JSON.
 *
 * Subpath entry points keep imports small: `@livepeer-analytics/core/primitives`,
 * `/events`, `/quality`, `/operator`, `/attribution`, `/latency`, `/lifecycle`, `/engine`.
 *
 * @packageDocumentation
 */
export * from "./primitives/index.js";
export * from "./events/index.js";
export * from "./quality/index.js";
export * from "./operator/index.js";
export * from "./attribution/index.js";
export * from "./latency/index.js";
export * from "./lifecycle/index.js";
export * from "./engine/index.js";
