import { describe, expect, it } from "vitest";
import fc from "fast-check";
import {
  envelopeArbitrary,
  mutatedEnvelopeArbitrary,
  recordValueArbitrary,
} from "@livepeer-analytics/testing";
import { realEventLines } from "@livepeer-analytics/testing/fixtures";
import type { JsonObject } from "../primitives/json.js";
import { REJECTION_CODES } from "./codes.js";
import { DEFAULT_GATE_CONFIG } from "./config.js";
import { runGate } from "./gate.js";
import { initQualityState, qualityOperator, type QualityOutput } from "./pipeline.js";
import { RejectedEventEnvelopeSchema } from "./reject-envelope.js";

/** Primary verdict of one record: exactly one of accepted / dlq / quarantine. */
function verdicts(outputs: readonly QualityOutput[]): string[] {
  const primary: string[] = [];
  for (const o of outputs) {
    if (o.kind === "accepted") primary.push("accepted");
    else if (o.kind === "quarantine") primary.push(`quarantine:${o.envelope.failure.reason}`);
    else if (
      o.kind === "dlq" &&
      o.envelope.failure.stage !== "PARSE" &&
      o.envelope.failure.stage !== "SINK_GUARD"
    ) {
      primary.push(`dlq:${o.envelope.failure.reason}`);
    }
  }
  return primary;
}

function checkEnvelopes(outputs: readonly QualityOutput[]): void {
  for (const o of outputs) {
    if (o.kind === "dlq" || o.kind === "quarantine") {
      RejectedEventEnvelopeSchema.parse(o.envelope);
      const code = REJECTION_CODES[o.envelope.failure.reason];
      expect(code.route).toBe(o.kind);
      expect(o.envelope.failure.stage).toBe(code.stage);
      expect(o.envelope.failure.failureClass).toBe(code.failureClass);
    }
  }
}

const realRoots = realEventLines().map((l) => JSON.parse(l) as JsonObject);

describe("the gate is total (properties)", () => {
  it("never throws on arbitrary JSON values, strings and bytes; one verdict per record with a reason", () => {
    const inputs = fc.oneof(
      recordValueArbitrary(),
      fc.jsonValue().map((v) => JSON.stringify(v)),
      fc.string(),
      fc.string({ unit: "grapheme" }),
    );
    fc.assert(
      fc.property(fc.array(inputs, { maxLength: 8 }), (values) => {
        const state = initQualityState();
        values.forEach((value, i) => {
          const out = qualityOperator.stepInPlace(
            state,
            { record: { value, offset: i }, now: 1 },
            DEFAULT_GATE_CONFIG,
          );
          expect(verdicts(out)).toHaveLength(1);
          checkEnvelopes(out);
        });
      }),
    );
  });

  it("valid generated envelopes of every family are accepted", () => {
    fc.assert(
      fc.property(envelopeArbitrary(), (env) => {
        const r = runGate({ value: JSON.stringify(env) }, { now: 0 });
        expect(
          r.ok ? "accepted" : `${r.envelope.failure.reason}: ${r.envelope.failure.details}`,
        ).toBe("accepted");
      }),
    );
  });

  it("mutated real envelopes never crash and always end with exactly one verdict", () => {
    fc.assert(
      fc.property(mutatedEnvelopeArbitrary(fc.constantFrom(...realRoots)), (m) => {
        const state = initQualityState();
        const out = qualityOperator.stepInPlace(
          state,
          { record: { value: JSON.stringify(m.value) }, now: 1 },
          DEFAULT_GATE_CONFIG,
        );
        expect(verdicts(out), m.mutation).toHaveLength(1);
        checkEnvelopes(out);
      }),
    );
  });

  it("duplicates: the second identical record is quarantined, with the same dedup key", () => {
    fc.assert(
      fc.property(envelopeArbitrary(), (env) => {
        const state = initQualityState();
        const value = JSON.stringify(env);
        const first = qualityOperator.stepInPlace(
          state,
          { record: { value }, now: 1 },
          DEFAULT_GATE_CONFIG,
        );
        const second = qualityOperator.stepInPlace(
          state,
          { record: { value }, now: 2 },
          DEFAULT_GATE_CONFIG,
        );
        expect(verdicts(first)).toEqual(["accepted"]);
        expect(verdicts(second)).toEqual(["quarantine:duplicate_event"]);
      }),
    );
  });
});
