/**
 * `@livepeer-analytics/testing`: fast-check arbitraries of realistic Livepeer telemetry, for
 * property-testing `@livepeer-analytics/core` and code built on it.
 *
 * Node-only golden fixtures live in the `@livepeer-analytics/testing/fixtures` subpath.
 *
 * @packageDocumentation
 */
export {
  envelopeArbitrary,
  mutatedEnvelopeArbitrary,
  recordValueArbitrary,
} from "./arbitraries/envelopes.js";
export type { EnvelopeArbitraryOptions, MutatedEnvelope } from "./arbitraries/envelopes.js";
export { REAL_CANONICAL_ADDRESSES, REAL_HOT_WALLETS } from "./addresses.js";
export {
  traceSignal,
  statusSignal,
  aiEventSignal,
  candidate,
  capabilitySnapshot,
  statusSample,
  traceSample,
} from "./builders.js";
export type { SignalOverrides } from "./builders.js";
export {
  lifecycleSessionArbitrary,
  lifecycleStreamArbitrary,
  withDuplicates,
  withBoundedReordering,
  inputTime,
} from "./arbitraries/lifecycle.js";
export type { LifecycleSessionOptions, LifecycleStreamOptions } from "./arbitraries/lifecycle.js";
export { sessionEventsArbitrary } from "./arbitraries/events.js";
export type { SessionEventsOptions, SessionEvents } from "./arbitraries/events.js";
export {
  CAPABILITY_MODEL_FAMILIES,
  orchestratorObjectArbitrary,
  capabilityEventArbitrary,
  capabilityStreamArbitrary,
  withLateCapabilities,
} from "./arbitraries/capabilities.js";
export type {
  OrchestratorObjectOptions,
  CapabilityPoolOptions,
  CapabilityEventOptions,
  CapabilityStreamOptions,
  CapabilityStream,
  CapabilityWallet,
} from "./arbitraries/capabilities.js";
