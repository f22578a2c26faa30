/**
 * Applying an attribution to a lifecycle accumulator (`lifecycle.md` §4.6, §5.3, §5.6;
 * `attribution.md` §6.1–6.3, §7.4): the one definition of candidate application and of the
 * identity-only attribution, shared by the session, segment and parameter-update operators. The
 * operators differ only in the URL precedence, which each states with a named
 * {@link UrlPrecedence} from {@link OPERATOR_URL_PRECEDENCE}.
 *
 * @module
 */
import {
  attributionBand,
  PROXY_ADDRESS_JOIN_BAND,
  type AttributionBand,
} from "../attribution/bands.js";
import type { AttributionMethod, Candidate } from "../attribution/types.js";
import { blankToNull, firstNonBlank, isBlank } from "../primitives/strings.js";
import type { LifecycleConfig } from "./config.js";

/**
 * The attribution-owned fields of a lifecycle accumulator (session, segment or parameter-update
 * state), written by {@link applyCandidate} and {@link applyIdentityAttribution}.
 *
 * @category Lifecycle
 */
export interface AttributionTarget {
  /**
   * Canonical address of the last applied candidate (or identity-only attribution) with one, else
   * `""`; never a hot wallet.
   */
  orchestratorAddress: string;
  /** Orchestrator URL or `""` (precedence: {@link UrlPrecedence}). */
  orchestratorUrl: string;
  /** Model id (nullable). */
  modelId: string | null;
  /** GPU UUID (nullable). */
  gpuId: string | null;
  /** Band method of the most recent attribution, or `none`. */
  attributionMethod: AttributionMethod;
  /** Band confidence of that method (float32). */
  attributionConfidence: number;
}

/**
 * Which orchestrator URL an applied candidate leaves on the accumulator:
 *
 * - `accumulator_first`: `firstNonBlank(target.orchestratorUrl, candidate.orchestratorUrl)`: the
 *   URL the accumulator already holds (from its signals) wins; the candidate's URL only fills a
 *   blank one (sessions, `lifecycle.md` §4.6 step 2; parameter updates, §5.6 step 4);
 * - `candidate_first`: `firstNonBlank(candidate.orchestratorUrl, target.orchestratorUrl)`: the
 *   snapshot's URL wins (segments, `lifecycle.md` §5.3 `applySnap`).
 *
 * The difference is the reference's (`attribution.md` §10 open question 8), reproduced on purpose.
 *
 * @category Lifecycle
 */
export type UrlPrecedence = "accumulator_first" | "candidate_first";

/**
 * The {@link UrlPrecedence} of each lifecycle operator, as the specs define it: sessions and
 * parameter updates keep the accumulator's URL (`lifecycle.md` §4.6, §5.6), segments take the
 * snapshot's (`lifecycle.md` §5.3).
 *
 * @category Lifecycle
 */
export const OPERATOR_URL_PRECEDENCE: {
  readonly session: UrlPrecedence;
  readonly segment: UrlPrecedence;
  readonly paramUpdate: UrlPrecedence;
} = Object.freeze({
  session: "accumulator_first",
  segment: "candidate_first",
  paramUpdate: "accumulator_first",
});

/**
 * Applies a selected candidate to an accumulator (`lifecycle.md` §4.6 steps 1–4, §5.3 `applySnap`,
 * §5.6 step 4; `attribution.md` §6.1 step 7):
 *
 * 1. a non-blank canonical address replaces `orchestratorAddress`;
 * 2. `orchestratorUrl` by `urlPrecedence`;
 * 3. method and confidence from the band of `signalTs − candidate.snapshotTs` (`attribution.md`
 *    §5.5);
 * 4. `modelId` / `gpuId` = the candidate's (blank → `null`), in every band unless
 *    `overwriteModelGpuOnStale` is off and the band is `proxy_address_join`.
 *
 * Mutates `target`; returns the band (callers add their own bookkeeping, e.g. the session's
 * change-flag sets and capacity anchor).
 *
 * @category Lifecycle
 */
export function applyCandidate(
  target: AttributionTarget,
  candidate: Candidate,
  signalTs: number,
  config: Pick<LifecycleConfig, "attribution" | "overwriteModelGpuOnStale">,
  urlPrecedence: UrlPrecedence,
): AttributionBand {
  if (!isBlank(candidate.canonicalOrchestratorAddress))
    target.orchestratorAddress = candidate.canonicalOrchestratorAddress;
  target.orchestratorUrl =
    urlPrecedence === "candidate_first"
      ? firstNonBlank(candidate.orchestratorUrl, target.orchestratorUrl)
      : firstNonBlank(target.orchestratorUrl, candidate.orchestratorUrl);
  const band = attributionBand(signalTs, candidate.snapshotTs, config.attribution.ttlMs);
  target.attributionMethod = band.method;
  target.attributionConfidence = band.confidence;
  if (config.overwriteModelGpuOnStale || band.method !== PROXY_ADDRESS_JOIN_BAND.method) {
    target.modelId = blankToNull(candidate.modelId);
    target.gpuId = blankToNull(candidate.gpuId);
  }
  return band;
}

/**
 * Applies an identity-only attribution (`attribution.md` §7.4 rule 2): the canonical address with
 * the {@link PROXY_ADDRESS_JOIN_BAND} (`proxy_address_join`, `fround(0.4)`); URL, model, GPU and
 * pipeline are untouched. Mutates `target`.
 *
 * @category Lifecycle
 */
export function applyIdentityAttribution(
  target: Pick<
    AttributionTarget,
    "orchestratorAddress" | "attributionMethod" | "attributionConfidence"
  >,
  canonical: string,
): void {
  target.orchestratorAddress = canonical;
  target.attributionMethod = PROXY_ADDRESS_JOIN_BAND.method;
  target.attributionConfidence = PROXY_ADDRESS_JOIN_BAND.confidence;
}
