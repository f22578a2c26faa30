import { join } from "node:path";
import { expect, test } from "vitest";
import { createKafkaJsClient } from "@livepeer-analytics/kafka";
import { REAL_FIXTURES_DIR } from "@livepeer-analytics/testing/fixtures";
import { useOwnBroker } from "../kafka-broker.js";
import { main, produceFile } from "./main.js";

// This file's own broker (the examples project has no shared one), in a temporary directory.
const { dir, bootstrap } = useOwnBroker("example-kafka-to-clickhouse");

test(
  "the real fixture through Kafka into ClickHouse, then a rerun resumes from the checkpoint",
  { timeout: 300_000 }, // two runs, each with a group join, an idle exit and embedded ClickHouse
  async () => {
    const brokers = [bootstrap()];
    const topic = "streaming_events";
    const fixture = join(REAL_FIXTURES_DIR, "streaming-events-2026-01-08.jsonl");
    expect(await produceFile(brokers, topic, fixture)).toBe(65);

    const admin = await createKafkaJsClient({ brokers }).admin();
    try {
      const offsets = await admin.offsets(topic);
      expect(offsets.map((o) => o.partition).sort()).toEqual([0, 1, 2]);
      expect(offsets.reduce((sum, o) => sum + o.high - o.low, 0)).toBe(65);
    } finally {
      await admin.close();
    }

    const options = {
      brokers,
      topic,
      group: "example-group",
      clickhouseDir: join(dir, "clickhouse"),
      checkpointDir: join(dir, "checkpoints"),
      exitWhenIdleMs: 3000,
    };
    const first = await main(options);
    expect(first.records).toBe(65);
    expect(first.skipped).toBe(0);
    expect(first.stopReason).toMatch(/^idle for 3000 ms/);
    expect(first.rejections).toEqual({});
    expect(first.sessions).toHaveLength(1);
    expect(first.sessions).toMatchInlineSnapshot(`
      [
        {
          "id": "stream-o5s73x-mk5zc8fy|db936fab",
          "orchestrator": "0xd00354656922168815fcd1e51cbddb9e359e3c7f",
        },
      ]
    `);
    expect(first.tables).toMatchInlineSnapshot(`
      {
        "dim_orchestrator_capability_advertised_snapshots": 16,
        "dim_orchestrator_capability_model_constraints": 1,
        "dim_orchestrator_capability_prices": 1,
        "dim_orchestrator_capability_snapshots": 1,
        "fact_lifecycle_edge_coverage": 23,
        "fact_payments": 6,
        "fact_stream_ingest_samples": 34,
        "fact_stream_status_samples": 17,
        "fact_stream_trace_edges": 6,
        "fact_workflow_latency_samples": 1,
        "fact_workflow_session_segments": 1,
        "fact_workflow_sessions": 1,
        "lpa_schema_version": 1,
        "raw_ai_stream_status": 17,
        "raw_discovery_results": 1,
        "raw_network_capabilities": 1,
        "raw_network_capabilities_advertised": 16,
        "raw_network_capabilities_model_constraints": 1,
        "raw_network_capabilities_prices": 1,
        "raw_payment_events": 6,
        "raw_stream_ingest_metrics": 34,
        "raw_stream_trace_events": 6,
      }
    `);

    // Same topic, group and checkpoints: nothing new to process, and the tables are unchanged.
    const second = await main(options);
    expect(second.records).toBe(0);
    expect(second.sessions).toEqual(first.sessions);
    expect(second.tables).toEqual(first.tables);
  },
);
