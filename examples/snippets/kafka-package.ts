/**
 * The snippet of `packages/kafka/README.md`. The `#region docs` lines are the README's code block
 * (`docs.test.ts` checks it); the function around them lets the test end the run once the topic is
 * consumed (`exitWhenIdleMs`) instead of by SIGTERM, and hands back the final status.
 */
// #region docs
import {
  createExecutor,
  generateDdl,
  generateViewDdl,
  parseClickHouseTarget,
} from "@livepeer-analytics/clickhouse";
import { createEngine } from "@livepeer-analytics/core/engine";
import {
  clickHouseOutputSink,
  createKafkaJsClient,
  createTopicCheckpointStore,
  pipelineSettingsFromEnv,
  rejectionTopicSink,
  startPipeline,
} from "@livepeer-analytics/kafka";

// #endregion docs
/** Runs the Kafka README's snippet (brokers, topics and ClickHouse from the environment). */
export async function kafkaPackage(exitWhenIdleMs: number) {
  // #region docs
  // QUALITY_KAFKA_BOOTSTRAP, QUALITY_INPUT_TOPIC, QUALITY_GROUP_ID, QUALITY_DLQ_TOPIC, …
  const { brokers, topic, group, dlqTopic, quarantineTopic } = pipelineSettingsFromEnv(process.env);
  const client = createKafkaJsClient({ brokers });
  const url = process.env["CLICKHOUSE_URL"] ?? "embedded:./lpa-data";
  const executor = await createExecutor(parseClickHouseTarget(url));
  // ttl: false keeps old events (a replay); leave it out to keep the row TTLs.
  for (const sql of [...generateDdl({ ttl: false }), ...generateViewDdl()])
    await executor.command(sql);
  const handle = startPipeline({
    client,
    engine: createEngine({ emission: "coalesced" }),
    createSinks: async () => [
      clickHouseOutputSink(executor),
      rejectionTopicSink(client, { dlqTopic, quarantineTopic }),
    ],
    checkpoints: createTopicCheckpointStore(client, { group, topic }), // or a directory store
    topic,
    group,
    // #endregion docs
    exitWhenIdleMs,
    // #region docs
  });
  const onSigterm = () => void handle.stop().catch(() => undefined);
  process.once("SIGTERM", onSigterm);
  await handle.done;
  const status = await handle.stop(); // the final status; rejects if the pipeline failed
  await executor.close();
  // #endregion docs
  process.off("SIGTERM", onSigterm);
  return status;
}
