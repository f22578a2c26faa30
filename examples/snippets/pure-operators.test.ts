import { expect, it } from "vitest";
import { initDedupState } from "@livepeer-analytics/core/quality";
import { realEventLines } from "@livepeer-analytics/testing/fixtures";
import { pureOperators } from "./pure-operators.js";

const NOW = 1_800_000_000_000;

it("gates and dedups a real envelope without touching the input state", () => {
  const line = realEventLines()[0]!;
  const { dedup, gate, check, sessionId } = pureOperators(line, NOW);
  expect(gate.ok).toBe(true);
  expect(check?.duplicate).toBe(false);
  expect(dedup).toEqual(initDedupState()); // input untouched
  expect(check?.state).not.toEqual(dedup); // new state out, holding the key
  expect(JSON.parse(JSON.stringify(check?.state))).toEqual(check?.state); // plain JSON
  expect(sessionId).toBe("stream-1|req-1");
});

it("leaves dedup out when the gate rejects the line", () => {
  const { gate, check } = pureOperators("{not json", NOW);
  expect(gate.ok).toBe(false);
  expect(check).toBeNull();
});
