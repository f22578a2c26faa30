/**
 * One record at a time with the pure API, as a Flink sidecar or a serverless function would do:
 * the host keeps the dedup state (plain JSON) and passes it back in with every call.
 */
import {
  runGate,
  dedupCheck,
  initDedupState,
  type DedupState,
} from "@livepeer-analytics/core/quality";

export interface Outcome {
  readonly verdict: string;
  readonly state: DedupState;
}

export function handle(state: DedupState, value: string, now: number): Outcome {
  const gate = runGate({ value, topic: "streaming_events" }, { now });
  if (!gate.ok)
    return {
      verdict: `dlq ${gate.envelope.failure.reason}: ${gate.envelope.failure.details ?? ""}`,
      state,
    };
  const dedup = dedupCheck(state, { key: gate.event.dedupKey, seenAt: gate.event.timestamp, now });
  return {
    verdict: dedup.duplicate ? "quarantine duplicate_event" : `accepted ${gate.event.eventType}`,
    state: dedup.state,
  };
}

export function main(values: readonly string[]): string[] {
  let state = initDedupState();
  const verdicts: string[] = [];
  for (const v of values) {
    // The state survives a round trip through any store (Flink keyed state, a file, Kafka).
    const r = handle(JSON.parse(JSON.stringify(state)) as DedupState, v, 1_710_000_000_000);
    state = r.state;
    verdicts.push(r.verdict);
  }
  return verdicts;
}
