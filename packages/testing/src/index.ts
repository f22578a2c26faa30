/**
 * `@livepeer-analytics/testing`: fast-check arbitraries of realistic Livepeer telemetry and
 * invariant helpers, for testing `@livepeer-analytics/core` and code built on it.
 *
 * Node-only golden fixtures live in the `@livepeer-analytics/testing/fixtures` subpath.
 *
 * @packageDocumentation
 */
export {};
