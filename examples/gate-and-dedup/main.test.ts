import { expect, it } from "vitest";
import { main } from "./main.js";

it("routes each record to accepted, DLQ or quarantine", () => {
  const ok =
    '{"id":"evt-1","type":"stream_ingest_metrics","timestamp":"1710000000000","data":{"stream_id":"s","request_id":"r"}}';
  expect(main([ok, ok, "{not json", '{"type":"job_gateway","timestamp":1,"data":{}}'])).toEqual([
    "accepted stream_ingest_metrics",
    "quarantine duplicate_event",
    expect.stringMatching(/^dlq json_parse_error: /),
    "dlq unsupported_event_type: Unsupported event type: job_gateway",
  ]);
});
