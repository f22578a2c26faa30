package io.livepeer.analytics.flink;

import org.apache.flink.util.OutputTag;

/** The records that flow between the job's operators (Flink POJOs: public fields, no-arg constructors). */
public final class Messages {
  private Messages() {}

  /** Engine outputs (one {@code EngineOutput} JSON per line, several lines per element) for the file sink. */
  public static final OutputTag<String> OUTPUTS = new OutputTag<String>("engine-outputs") {};

  /** DLQ and quarantine envelopes for their Kafka topics. */
  public static final OutputTag<Rejection> REJECTIONS = new OutputTag<Rejection>("rejections") {};

  /** A Kafka record as the source reads it. */
  public static class Incoming {
    /** The value as UTF-8 text, or null for a record without a value or one that is not UTF-8. */
    public String value;
    /** The value's bytes, base64, when they are not valid UTF-8 (the engine decodes them). */
    public String valueBase64;
    /** Source offset. */
    public long offset;
    /** Broker timestamp, epoch ms. */
    public long timestamp;
    /** Source topic. */
    public String topic;
    /** Source partition. */
    public int partition;

    public Incoming() {}

    public Incoming(
        String value, String valueBase64, String topic, int partition, long offset, long timestamp) {
      this.value = value;
      this.valueBase64 = valueBase64;
      this.topic = topic;
      this.partition = partition;
      this.offset = offset;
      this.timestamp = timestamp;
    }
  }

  /** A record with its stream position and the key of its dedup state. */
  public static class Routed {
    /** Position in the stream (0, 1, 2, … with no gap): the order the engine's stages keep. */
    public long seq;
    /** Dedup key digest, or {@code any-…} for a record the gate rejects (it touches no state). */
    public String key;
    /** See {@link Incoming#value}. */
    public String value;
    /** See {@link Incoming#valueBase64}. */
    public String valueBase64;
    /** See {@link Incoming#offset}. */
    public long offset;
    /** See {@link Incoming#topic}. */
    public String topic;
    /** See {@link Incoming#partition}. */
    public int partition;
    /** Processing time given to the engine, epoch ms. */
    public long now;
    /** Broker timestamp, epoch ms: the receive time and the record timestamp of the engine. */
    public long receivedAt;
  }

  /** What the record stage returns for one record, for the event clock. */
  public static class Result {
    /** See {@link Routed#seq}. */
    public long seq;
    /** Accepted event time, or null. */
    public Long eventTime;
    /** The lifecycle item (JSON), or null. */
    public String item;
    /** The item's {@code workflow_session_id} key, or null for a broadcast item. */
    public String itemKey;
  }

  /** Kinds of {@link LifecycleInput}. */
  public static final int ITEM = 0;
  /** See {@link #ITEM}. */
  public static final int ADVANCE = 1;
  /** See {@link #ITEM}. */
  public static final int FLUSH = 2;

  /** One input of the lifecycle stage, addressed to the subtask that owns {@code routeKey}. */
  public static class LifecycleInput {
    /** The keyBy key: a session's key, or a key that lands on one chosen subtask (broadcasts). */
    public String routeKey;
    /** {@link #ITEM}, {@link #ADVANCE} or {@link #FLUSH}. */
    public int kind;
    /** The item's session key (null: a broadcast item, an advance or a flush). */
    public String sessionKey;
    /** The item (JSON) for {@link #ITEM}. */
    public String item;
    /** The watermark ({@link #ADVANCE}) or newest event time ({@link #FLUSH}); null: none. */
    public Long time;
  }

  /** A rejection envelope for the DLQ or quarantine topic. */
  public static class Rejection {
    /** "dlq" or "quarantine". */
    public String kind;
    /** Record key (dedup key, else event id), or null. */
    public String key;
    /** The envelope JSON. */
    public String envelope;
  }
}
