import { join } from "node:path";
import { afterEach, expect, test, vi } from "vitest";
import { createExecutor } from "@livepeer-analytics/clickhouse";
import { createKafkaJsClient, eventKey } from "@livepeer-analytics/kafka";
import { realEventLines } from "@livepeer-analytics/testing/fixtures";
import { useOwnBroker } from "../kafka-broker.js";
import { kafkaPackage } from "./kafka-package.js";

// This file's own broker, in a temporary directory.
const broker = useOwnBroker("snippet-kafka-package");
const dir = broker.dir;

afterEach(() => {
  vi.unstubAllEnvs();
});

test(
  "consumes the real fixture from Kafka into ClickHouse; a rerun resumes from the checkpoint topic",
  { timeout: 300_000 }, // a group join, an idle exit and embedded ClickHouse
  async () => {
    const topic = "snippet-events";
    const bootstrap = broker.bootstrap();
    // Everything the snippet reads from the environment (a variable left unset reads its default).
    vi.stubEnv("QUALITY_KAFKA_BOOTSTRAP", bootstrap);
    vi.stubEnv("QUALITY_INPUT_TOPIC", topic);
    vi.stubEnv("QUALITY_GROUP_ID", "snippet-group");
    vi.stubEnv("QUALITY_DLQ_TOPIC", "");
    vi.stubEnv("QUALITY_QUARANTINE_TOPIC", "");
    const ch = join(dir, "clickhouse");
    vi.stubEnv("CLICKHOUSE_URL", `embedded:${ch}`);

    const client = createKafkaJsClient({ brokers: [bootstrap] });
    const admin = await client.admin();
    await admin.ensureTopics([{ topic, partitions: 3 }]);
    await admin.close();
    const producer = await client.producer();
    await producer.send(
      topic,
      realEventLines().map((value) => ({ key: eventKey(value), value })),
    );
    await producer.close();

    const status = await kafkaPackage(3000);
    expect(status.records).toBe(65);
    expect(status.rejections).toEqual({});
    expect(status.assigned).toEqual([0, 1, 2]);
    expect(status.checkpoints).toBeGreaterThan(0);

    const executor = await createExecutor({
      kind: "embedded",
      path: ch,
      database: "livepeer_analytics",
    });
    try {
      const count = async (table: string): Promise<number> => {
        const [row] = await executor.query<{ n: number | string }>(
          `SELECT count() AS n FROM livepeer_analytics.${table} FINAL`,
        );
        return Number(row?.n);
      };
      expect(await count("fact_workflow_sessions")).toBe(1);
      expect(await count("raw_ai_stream_status")).toBe(17);
      expect(await count("raw_stream_trace_events")).toBe(6);
      expect(await count("raw_stream_ingest_metrics")).toBe(34);
      expect(await count("fact_lifecycle_edge_coverage")).toBe(23);
      expect(await count("fact_stream_status_samples")).toBe(17);
      const identity = await executor.query(
        "SELECT * FROM livepeer_analytics.v_api_session_identity",
      );
      expect(identity).toHaveLength(1);
    } finally {
      await executor.close();
    }

    // Run again: the checkpoint covers every record, so nothing is processed twice.
    const again = await kafkaPackage(3000);
    expect(again.records).toBe(0);
    expect(again.epoch).toBe(2); // restored the first run's checkpoint (epoch 1)
  },
);
