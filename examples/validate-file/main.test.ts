import { expect, it } from "vitest";
import { readRealFixture } from "@livepeer-analytics/testing/fixtures";
import { main } from "./main.js";

it("validates the real event log: 65 accepted, nothing rejected", () => {
  const tally = main(
    readRealFixture("event-logs-streaming-events-2026-01-08.json"),
    1_800_000_000_000,
  );
  expect(tally).toMatchInlineSnapshot(`
    {
      "acceptedByType": {
        "ai_stream_status": 17,
        "create_new_payment": 6,
        "discovery_results": 1,
        "network_capabilities": 1,
        "stream_ingest_metrics": 34,
        "stream_trace": 6,
      },
      "dedupStrategies": {
        "event_id": 65,
        "payload_hash": 0,
      },
      "dlqByReason": {},
      "input": 65,
      "quarantineByReason": {},
      "rowsByTable": {
        "raw_ai_stream_status": 17,
        "raw_discovery_results": 1,
        "raw_network_capabilities": 1,
        "raw_network_capabilities_advertised": 16,
        "raw_network_capabilities_model_constraints": 1,
        "raw_network_capabilities_prices": 1,
        "raw_payment_events": 6,
        "raw_stream_ingest_metrics": 34,
        "raw_stream_trace_events": 6,
      },
    }
  `);
});
