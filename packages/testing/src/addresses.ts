/**
 * Orchestrator addresses seen in the real 2026-01-08 capture, for tests and arbitraries.
 *
 * @module
 */

/**
 * Hot-wallet (local) addresses of two orchestrators of the capture, lower-case: the lookup keys
 * lifecycle signals carry.
 *
 * @category Fixtures
 */
export const REAL_HOT_WALLETS: readonly string[] = [
  "0x52cf2968b3dc6016778742d3539449a6597d5954",
  "0xcdf93b13efcf63f84f2affb01bec48a5c096c69e",
];

/**
 * Canonical (on-chain) orchestrator addresses of the capture, lower-case: what capability
 * snapshots map hot wallets to. The first is the orchestrator that served the real session.
 *
 * @category Fixtures
 */
export const REAL_CANONICAL_ADDRESSES: readonly string[] = [
  "0xd00354656922168815fcd1e51cbddb9e359e3c7f",
  "0x9d61ae5875e89036fbf6059f3116d01a22ace3c8",
  "0x5263e0ce3a97b634d8828ce4337ad0f70b30b077",
];
