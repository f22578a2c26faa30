import { afterAll, expect, test } from "vitest";
import { realEventLines } from "@livepeer-analytics/testing/fixtures";
import { startService, type TablesResponse } from "./main.js";

const service = await startService(0);
afterAll(() => service.close());

async function post(path: string, body: string): Promise<unknown> {
  const res = await fetch(`${service.url}${path}`, { method: "POST", body });
  expect(res.status).toBe(200);
  return res.json();
}

async function tables(): Promise<TablesResponse> {
  return (await (await fetch(`${service.url}/tables`)).json()) as TablesResponse;
}

test("the real fixture over HTTP: JSONL and a JSON array, then the final tables", async () => {
  const lines = realEventLines();
  // The first 40 lines as JSONL, the rest as a JSON array, then one line again (a duplicate).
  expect(await post("/events", lines.slice(0, 40).join("\n"))).toEqual({
    records: 40,
    dlq: 0,
    quarantine: 0,
  });
  const array = `[${lines.slice(40).join(",")}]`;
  expect(await post("/events", array)).toEqual({ records: 25, dlq: 0, quarantine: 0 });
  expect(await post("/events", `${lines[0]!}\n{not json\n`)).toEqual({
    records: 2,
    dlq: 1,
    quarantine: 1,
  });

  // Raw rows are out already; the session row comes once the input ends.
  const before = await tables();
  expect(before.tables["raw_stream_ingest_metrics"]).toHaveLength(34);
  expect(before.tables["fact_workflow_sessions"]).toBeUndefined();
  expect(await post("/flush", "")).toEqual({ flushed: true });

  const after = await tables();
  expect(after.dlq).toBe(1);
  expect(after.quarantine).toBe(1);
  const sessions = after.tables["fact_workflow_sessions"] ?? [];
  expect(sessions).toHaveLength(1);
  expect(sessions[0]).toMatchObject({
    workflow_session_id: "stream-o5s73x-mk5zc8fy|db936fab",
    served_session: 1,
    unserved_session: 0,
  });
  expect(after.tables["fact_stream_status_samples"]).toHaveLength(17);

  // No event after the end of input.
  const late = await fetch(`${service.url}/events`, { method: "POST", body: lines[1]! });
  expect(late.status).toBe(409);
});
