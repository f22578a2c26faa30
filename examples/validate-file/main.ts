/**
 * Validate a telemetry file with the pure quality pipeline: load any supported container,
 * run each record through gate → dedup → parse → row guard, and count the outcomes.
 *
 * The pipeline state (the dedup store) is plain JSON, so a batch job could persist it between
 * files with JSON.stringify and continue later.
 */
import { loadContainer } from "@livepeer-analytics/core/events";
import {
  DEFAULT_GATE_CONFIG,
  emptyTally,
  initQualityState,
  qualityOperator,
  tallyOutput,
  type ValidationTally,
} from "@livepeer-analytics/core/quality";

export function main(fileText: string, now: number): ValidationTally {
  const { records } = loadContainer(fileText, { topic: "example" });
  const state = initQualityState(DEFAULT_GATE_CONFIG);
  const tally = emptyTally();
  let watermark = Number.NEGATIVE_INFINITY;
  for (const record of records) {
    for (const output of qualityOperator.stepInPlace(state, { record, now }, DEFAULT_GATE_CONFIG)) {
      tallyOutput(tally, output);
      if (output.kind === "accepted") watermark = Math.max(watermark, output.event.timestamp);
    }
    // Dedup expiry follows event time through the watermark.
    if (Number.isFinite(watermark))
      qualityOperator.advanceInPlace(state, watermark, DEFAULT_GATE_CONFIG);
  }
  return tally;
}
