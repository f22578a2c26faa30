package io.livepeer.analytics.flink;

import io.livepeer.analytics.flink.Messages.Incoming;
import io.livepeer.analytics.flink.Messages.LifecycleInput;
import io.livepeer.analytics.flink.Messages.Rejection;
import io.livepeer.analytics.flink.Messages.Result;
import io.livepeer.analytics.flink.Messages.Routed;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import java.util.Properties;
import org.apache.flink.api.common.eventtime.WatermarkStrategy;
import org.apache.flink.api.common.serialization.SimpleStringEncoder;
import org.apache.flink.api.common.typeinfo.TypeInformation;
import org.apache.flink.api.common.typeinfo.Types;
import org.apache.flink.configuration.CheckpointingOptions;
import org.apache.flink.configuration.Configuration;
import org.apache.flink.configuration.RestartStrategyOptions;
import org.apache.flink.configuration.StateRecoveryOptions;
import org.apache.flink.connector.base.DeliveryGuarantee;
import org.apache.flink.connector.file.sink.FileSink;
import org.apache.flink.connector.kafka.sink.KafkaRecordSerializationSchema;
import org.apache.flink.connector.kafka.sink.KafkaSink;
import org.apache.flink.connector.kafka.source.KafkaSource;
import org.apache.flink.connector.kafka.source.enumerator.initializer.OffsetsInitializer;
import org.apache.flink.connector.kafka.source.reader.deserializer.KafkaRecordDeserializationSchema;
import org.apache.flink.core.execution.JobClient;
import org.apache.flink.core.execution.SavepointFormatType;
import org.apache.flink.core.fs.Path;
import org.apache.flink.streaming.api.datastream.DataStream;
import org.apache.flink.streaming.api.datastream.SingleOutputStreamOperator;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
import org.apache.flink.streaming.api.functions.sink.filesystem.rollingpolicies.OnCheckpointRollingPolicy;
import org.apache.flink.util.Collector;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.producer.ProducerRecord;

/**
 * The Flink job: Kafka → route (parallelism 1) → keyBy(dedup key) record stage → event clock
 * (parallelism 1) → keyBy(session) lifecycle stage, every stage calling the sidecar; engine
 * outputs to an exactly-once file sink, DLQ and quarantine envelopes to their Kafka topics.
 * See README.md for the flags.
 */
public final class LpaFlinkJob {
  private LpaFlinkJob() {}

  static final class Args {
    final Map<String, String> values = new HashMap<>();

    Args(String[] argv) {
      for (int i = 0; i < argv.length; i++) {
        String a = argv[i];
        if (!a.startsWith("--")) throw new IllegalArgumentException("unexpected argument " + a);
        if (i + 1 >= argv.length) throw new IllegalArgumentException(a + " needs a value");
        values.put(a.substring(2), argv[++i]);
      }
    }

    String get(String name) {
      String v = values.get(name);
      if (v == null) throw new IllegalArgumentException("--" + name + " is required");
      return v;
    }

    String get(String name, String fallback) {
      return values.getOrDefault(name, fallback);
    }

    long num(String name, long fallback) {
      String v = values.get(name);
      return v == null ? fallback : Long.parseLong(v);
    }
  }

  /**
   * A record value: its text when it is valid UTF-8, else null with the bytes base64 in {@code
   * [1]} (the sidecar decodes them the way the engine does, and keeps them in the DLQ payload).
   */
  static String[] decode(byte[] value) {
    if (value == null) return new String[] {null, null};
    try {
      String text =
          StandardCharsets.UTF_8
              .newDecoder()
              .onMalformedInput(CodingErrorAction.REPORT)
              .onUnmappableCharacter(CodingErrorAction.REPORT)
              .decode(ByteBuffer.wrap(value))
              .toString();
      return new String[] {text, null};
    } catch (CharacterCodingException e) {
      return new String[] {null, java.util.Base64.getEncoder().encodeToString(value)};
    }
  }

  /** An exactly-once file sink of engine outputs under {@code <dir>/<stage>}, chained to its stage. */
  static void outputSink(DataStream<String> stream, String dir, String stage, int parallelism) {
    stream
        .sinkTo(
            FileSink.forRowFormat(new Path(dir, stage), new SimpleStringEncoder<String>("UTF-8"))
                .withRollingPolicy(OnCheckpointRollingPolicy.build())
                .build())
        .uid("outputs-" + stage)
        .name("engine outputs of " + stage)
        .setParallelism(parallelism);
  }

  public static void main(String[] argv) {
    try {
      run(argv);
    } catch (Throwable e) {
      // Flink's threads would keep the JVM alive: a failed run must end the process.
      System.err.println("lpa-flink: the job failed: " + e);
      e.printStackTrace();
      System.exit(1);
    }
  }

  /** Waits until the route operator has numbered {@code records} records or the job ended. */
  static void awaitRouted(JobClient client, long records) throws Exception {
    while (RouteOperator.NEXT_SEQ.get() < records) {
      if (client.getJobStatus().get().isGloballyTerminalState()) return;
      Thread.sleep(20);
    }
  }

  static void run(String[] argv) throws Exception {
    Args args = new Args(argv);
    String bootstrap = args.get("bootstrap");
    String topic = args.get("topic");
    String sidecarUrl = args.get("sidecar");
    int parallelism = (int) args.num("parallelism", 2);
    int maxParallelism = (int) args.num("max-parallelism", 128);
    int batch = (int) args.num("batch", 5000);
    String outputs = args.get("outputs");
    String checkpoints = args.get("checkpoints");
    long checkpointMs = args.num("checkpoint-interval-ms", 2000);
    String nowArg = args.get("now", null);
    Long fixedNow = nowArg == null ? null : Long.parseLong(nowArg);
    String dlqTopic = args.get("dlq-topic", "events.dlq.streaming_events.v1");
    String quarantineTopic = args.get("quarantine-topic", "events.quarantine.streaming_events.v1");
    String groupId = args.get("group-id", "lpa-flink");
    boolean bounded = Boolean.parseBoolean(args.get("bounded", "false"));
    long untilRecords = args.num("until-records", 0);
    long savepointAt = args.num("savepoint-at-records", 0);
    String savepoints = args.get("savepoints", checkpoints + "/savepoints");
    String fromSavepoint = args.get("from-savepoint", null);
    long failAfter = args.num("fail-after-inputs", 0);
    String failMarker = args.get("fail-marker", checkpoints + "/injected-failure");
    long retryMs = args.num("sidecar-retry-ms", 60_000);
    long dedupStateTtlMs = args.num("dedup-state-ttl-ms", 86_400_000);

    Configuration conf = new Configuration();
    conf.set(CheckpointingOptions.CHECKPOINTS_DIRECTORY, "file://" + new java.io.File(checkpoints).getAbsolutePath());
    conf.set(CheckpointingOptions.SAVEPOINT_DIRECTORY, "file://" + new java.io.File(savepoints).getAbsolutePath());
    conf.set(RestartStrategyOptions.RESTART_STRATEGY, "fixed-delay");
    conf.set(RestartStrategyOptions.RESTART_STRATEGY_FIXED_DELAY_ATTEMPTS, 3);
    conf.set(RestartStrategyOptions.RESTART_STRATEGY_FIXED_DELAY_DELAY, Duration.ofSeconds(1));
    if (fromSavepoint != null) conf.set(StateRecoveryOptions.SAVEPOINT_PATH, fromSavepoint);
    StreamExecutionEnvironment env = StreamExecutionEnvironment.getExecutionEnvironment(conf);
    env.setParallelism(parallelism);
    env.setMaxParallelism(maxParallelism);
    env.enableCheckpointing(checkpointMs);
    // The operators never keep or change a record after emitting it.
    env.getConfig().enableObjectReuse();

    SidecarClient sidecar = new SidecarClient(sidecarUrl, retryMs, 120_000);

    var sourceBuilder =
        KafkaSource.<Incoming>builder()
            .setBootstrapServers(bootstrap)
            .setTopics(topic)
            .setGroupId(groupId)
            .setStartingOffsets(OffsetsInitializer.earliest())
            .setDeserializer(
                new KafkaRecordDeserializationSchema<Incoming>() {
                  @Override
                  public void deserialize(ConsumerRecord<byte[], byte[]> r, Collector<Incoming> out) {
                    String[] v = decode(r.value());
                    out.collect(
                        new Incoming(v[0], v[1], r.topic(), r.partition(), r.offset(), r.timestamp()));
                  }

                  @Override
                  public TypeInformation<Incoming> getProducedType() {
                    return TypeInformation.of(Incoming.class);
                  }
                })
            ;
    // Bounded: the input ends at the offsets that are the latest when the job starts; then every
    // operator flushes at its end of input and the sinks commit with the final checkpoint. (A job
    // restored from a checkpoint ends there too; one restored from a savepoint does not end with
    // this connector version: the runner ends it with --until-records.)
    if (bounded) sourceBuilder.setBounded(OffsetsInitializer.latest());
    KafkaSource<Incoming> source = sourceBuilder.build();

    SingleOutputStreamOperator<Routed> routed =
        env.fromSource(source, WatermarkStrategy.noWatermarks(), "kafka")
            .uid("kafka-source")
            .setParallelism(1)
            .transform("route", TypeInformation.of(Routed.class), new RouteOperator(sidecar, batch, fixedNow))
            .uid("route")
            .setParallelism(1);

    SingleOutputStreamOperator<Result> records =
        routed
            .keyBy(r -> r.key, Types.STRING)
            .transform("record-stage", TypeInformation.of(Result.class), new RecordStageOperator(sidecar, batch, dedupStateTtlMs))
            .uid("record-stage");

    SingleOutputStreamOperator<LifecycleInput> ordered =
        records
            .global()
            .transform(
                "event-clock",
                TypeInformation.of(LifecycleInput.class),
                new ClockOperator(sidecar, batch, parallelism, maxParallelism))
            .uid("event-clock")
            .setParallelism(1)
            .setMaxParallelism(1);

    SingleOutputStreamOperator<Void> lifecycle =
        ordered
            .keyBy(i -> i.routeKey, Types.STRING)
            .transform("lifecycle", Types.VOID, new LifecycleOperator(sidecar, batch, parallelism, maxParallelism, failAfter, failMarker))
            .uid("lifecycle");

    // One file sink per stage, at the stage's parallelism and chained to it: the outputs are
    // written by the thread that made them instead of crossing the network to a shared sink.
    outputSink(routed.getSideOutput(Messages.OUTPUTS), outputs, "route", 1);
    outputSink(records.getSideOutput(Messages.OUTPUTS), outputs, "record-stage", parallelism);
    outputSink(ordered.getSideOutput(Messages.OUTPUTS), outputs, "event-clock", 1);
    outputSink(lifecycle.getSideOutput(Messages.OUTPUTS), outputs, "lifecycle", parallelism);

    DataStream<Rejection> rejections =
        records
            .getSideOutput(Messages.REJECTIONS)
            .union(
                ordered.getSideOutput(Messages.REJECTIONS),
                lifecycle.getSideOutput(Messages.REJECTIONS));
    Properties producer = new Properties();
    producer.setProperty("transaction.timeout.ms", "600000");
    rejections
        .sinkTo(
            KafkaSink.<Rejection>builder()
                .setBootstrapServers(bootstrap)
                .setKafkaProducerConfig(producer)
                .setDeliveryGuarantee(DeliveryGuarantee.EXACTLY_ONCE)
                .setTransactionalIdPrefix(groupId + "-rejections")
                .setRecordSerializer(
                    (KafkaRecordSerializationSchema<Rejection>)
                        (r, context, timestamp) ->
                            new ProducerRecord<>(
                                r.kind.equals("dlq") ? dlqTopic : quarantineTopic,
                                r.key == null ? null : r.key.getBytes(StandardCharsets.UTF_8),
                                r.envelope.getBytes(StandardCharsets.UTF_8)))
                .build())
        .uid("rejections-kafka-sink")
        .name("DLQ and quarantine topics");

    long started = System.currentTimeMillis();
    JobClient client = env.executeAsync("lpa-flink-sidecar");
    String savepoint = null;
    String stop = "finished";
    if (savepointAt > 0) {
      // Stop with a savepoint once the target is routed (the job can resume from it, at another
      // parallelism too). Without it the job runs until the end of a bounded input.
      awaitRouted(client, savepointAt);
      if (!client.getJobStatus().get().isGloballyTerminalState()) {
        savepoint = client.stopWithSavepoint(false, savepoints, SavepointFormatType.CANONICAL).get();
        stop = "savepoint";
      }
    } else if (untilRecords > 0) {
      // End of input by a draining stop-with-savepoint once every record is routed: every
      // operator flushes, the sinks commit. (A bounded Kafka source restored from a savepoint does
      // not end by itself with this connector version, so a resumed run ends this way.) A failover
      // during the stop fails it: then wait until the restored job has routed everything again.
      while (!client.getJobStatus().get().isGloballyTerminalState()) {
        awaitRouted(client, untilRecords);
        if (client.getJobStatus().get().isGloballyTerminalState()) break;
        try {
          savepoint = client.stopWithSavepoint(true, savepoints, SavepointFormatType.CANONICAL).get();
          stop = "drained";
          break;
        } catch (java.util.concurrent.ExecutionException e) {
          System.err.println("lpa-flink: stop with savepoint failed, retrying: " + e.getCause());
          Thread.sleep(1000);
        }
      }
    }
    client.getJobExecutionResult().get();
    long ended = System.currentTimeMillis();
    long ms = ended - started;
    long first = RouteOperator.FIRST_ROUTED_AT.get();
    long processingMs = first == 0 ? 0 : ended - first;
    long cpuMs =
        ((com.sun.management.OperatingSystemMXBean)
                    java.lang.management.ManagementFactory.getOperatingSystemMXBean())
                .getProcessCpuTime()
            / 1_000_000;
    var summary = sidecar.mapper().createObjectNode();
    summary.put("stop", stop);
    summary.put("records", RouteOperator.NEXT_SEQ.get());
    summary.put("savepoint", savepoint);
    summary.put("ms", ms);
    summary.put("processingMs", processingMs);
    summary.put("cpuMs", cpuMs);
    summary.put("sidecarCalls", SidecarClient.CALLS.get());
    summary.put("sidecarRequestBytes", SidecarClient.BYTES.get());
    var calls = summary.putObject("sidecarMs");
    calls.put("route", SidecarClient.ROUTE_MS.get());
    calls.put("records", SidecarClient.RECORDS_MS.get());
    calls.put("clock", SidecarClient.CLOCK_MS.get());
    calls.put("lifecycle", SidecarClient.LIFECYCLE_MS.get());
    System.out.println(summary.toString());
    System.exit(0);
  }
}
