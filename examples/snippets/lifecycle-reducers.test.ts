import { expect, it } from "vitest";
import type { AcceptedEvent } from "@livepeer-analytics/core/events";
import { runGate } from "@livepeer-analytics/core/quality";
import { realEventLines } from "@livepeer-analytics/testing/fixtures";
import { lifecycleReducers } from "./lifecycle-reducers.js";

it("folds the real session's lifecycle events into facts", () => {
  const events: AcceptedEvent[] = [];
  for (const value of realEventLines()) {
    const gate = runGate({ value }, { now: 1_800_000_000_000 });
    if (gate.ok) events.push(gate.event);
  }
  const last = Math.max(...events.map((e) => e.timestamp));
  const { state, outputs } = lifecycleReducers(events, last);
  const rows = outputs.flatMap((o) => (o.kind === "row" ? [o] : []));
  const sessions = new Set(
    rows.flatMap((o) => (o.table === "fact_workflow_sessions" ? [o.row.workflow_session_id] : [])),
  );
  expect([...sessions]).toEqual(["stream-o5s73x-mk5zc8fy|db936fab"]);
  const tables = new Set(rows.map((o) => o.table));
  for (const t of ["fact_workflow_session_segments", "fact_stream_status_samples"])
    expect(tables).toContain(t);
  expect(JSON.parse(JSON.stringify(state))).toEqual(state); // plain JSON
});
