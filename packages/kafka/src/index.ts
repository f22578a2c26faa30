/**
 * Kafka runtime for `@livepeer-analytics/core`: a swappable consumer/producer port with a
 * `kafkajs` implementation, a checkpointed pipeline (consumer group → engine → sinks) with
 * effectively-once results, the sinks (ClickHouse, JSONL, DLQ and quarantine topics), checkpoint
 * stores (a compacted topic or a directory), the reference's environment variables, and a local
 * single-node broker for development and tests.
 *
 * @module
 */
export type {
  AssignmentMode,
  GroupConsumerOptions,
  GroupConsumerPort,
  GroupHandlers,
  KafkaAdminPort,
  KafkaBatch,
  KafkaClientPort,
  KafkaOutgoing,
  KafkaProducerPort,
  KafkaRecord,
  PartitionOffsets,
  ReadTopicOptions,
  TopicSpec,
} from "./port.js";
export { createKafkaJsClient, type KafkaClientLog, type KafkaJsClientOptions } from "./kafkajs.js";
export {
  initPartitionClock,
  inputFrontier,
  observeEventTime,
  type PartitionClock,
  type PartitionFrontier,
} from "./clock.js";
export {
  createDirectoryCheckpointStore,
  createTopicCheckpointStore,
  decodeCheckpoint,
  DEFAULT_CHECKPOINT_TOPIC,
  encodeCheckpoint,
  type Checkpoint,
  type CheckpointStore,
  type TopicCheckpointStoreOptions,
} from "./checkpoint.js";
export {
  clickHouseOutputSink,
  DEFAULT_DLQ_TOPIC,
  DEFAULT_QUARANTINE_TOPIC,
  jsonlOutputSink,
  rejectionKey,
  rejectionTopicSink,
  type ClickHouseOutputSinkOptions,
  type OutputSink,
  type RejectionTopicSinkOptions,
} from "./sinks.js";
export {
  DEFAULT_CHECKPOINT_INTERVAL_MS,
  DEFAULT_GROUP_ID,
  DEFAULT_INPUT_TOPIC,
  startPipeline,
  type PipelineHandle,
  type PipelineLog,
  type PipelineOptions,
  type PipelineStatus,
} from "./pipeline.js";
export {
  DEFAULT_KAFKA_BOOTSTRAP,
  parseBrokers,
  pipelineSettingsFromEnv,
  replaySettingsFromEnv,
  type KafkaEnv,
  type PipelineEnvSettings,
  type ReplayEnvSettings,
} from "./env.js";
export {
  registerPipelineMetrics,
  startOperationsServer,
  type OperationsServer,
} from "./metrics.js";
export { eventKey } from "./keys.js";
export * from "./dev-broker.js";
export {
  DEFAULT_DLQ_REPLAY_BATCH_SIZE,
  DlqReplayError,
  runDlqReplay,
  type DlqReplayErrorCode,
  type DlqReplayOptions,
  type DlqReplayPartition,
  type DlqReplayReport,
} from "./dlq-replay.js";
