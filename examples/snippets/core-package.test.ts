import { expect, it } from "vitest";
import { realEventLines } from "@livepeer-analytics/testing/fixtures";
import { corePackage } from "./core-package.js";

it("steps the engine over a real envelope", () => {
  const line = realEventLines()[0]!; // a stream_trace event
  const { state, outputs } = corePackage(line, 1_800_000_000_000);
  const tables = outputs.flatMap((o) => (o.kind === "row" ? [o.table] : []));
  expect(tables).toContain("raw_stream_trace_events");
  expect(JSON.parse(JSON.stringify(state))).toEqual(state); // plain JSON
});
