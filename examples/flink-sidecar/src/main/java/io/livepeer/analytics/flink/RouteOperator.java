package io.livepeer.analytics.flink;

import com.fasterxml.jackson.databind.JsonNode;
import io.livepeer.analytics.flink.Messages.Incoming;
import io.livepeer.analytics.flink.Messages.Routed;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;
import org.apache.flink.api.common.state.ListState;
import org.apache.flink.api.common.state.ListStateDescriptor;
import org.apache.flink.runtime.state.StateInitializationContext;
import org.apache.flink.runtime.state.StateSnapshotContext;

/**
 * Parallelism 1, right after the source: numbers the records (the stream order every later stage
 * keeps) and asks the sidecar for each record's dedup key ({@code /v1/route}), the key of the
 * record stage's keyBy.
 */
public final class RouteOperator extends BatchingOperator<Incoming, Routed> {
  private static final long serialVersionUID = 1L;

  /** Records numbered so far (restored with the state): the job's progress, read by its main thread. */
  public static final AtomicLong NEXT_SEQ = new AtomicLong();

  /** Wall time the first batch of this JVM was routed, epoch ms (0: none yet). */
  public static final AtomicLong FIRST_ROUTED_AT = new AtomicLong();

  private final Long fixedNow;
  private transient long nextSeq;
  private transient ListState<Long> seqState;

  /**
   * @param fixedNow processing time given to the engine for every record (reproducible runs), or
   *     null for each record's broker timestamp
   */
  public RouteOperator(SidecarClient sidecar, int batchSize, Long fixedNow) {
    super(sidecar, batchSize);
    this.fixedNow = fixedNow;
  }

  /**
   * The processing time given to the engine for a record: {@code --now} when given, else the
   * record's broker timestamp (as {@code lpa run} does), so that a record processed again after a
   * restore gets the same outputs.
   */
  private long nowOf(Incoming r) {
    return fixedNow != null ? fixedNow : r.timestamp;
  }

  @Override
  public void initializeState(StateInitializationContext context) throws Exception {
    super.initializeState(context);
    seqState =
        context
            .getOperatorStateStore()
            .getListState(new ListStateDescriptor<>("next-seq", Long.class));
    nextSeq = 0;
    for (Long s : seqState.get()) nextSeq = Math.max(nextSeq, s);
    NEXT_SEQ.set(nextSeq);
  }

  @Override
  public void snapshotState(StateSnapshotContext context) throws Exception {
    super.snapshotState(context);
    seqState.update(List.of(nextSeq));
  }

  @Override
  protected void handle(List<Incoming> batch) throws Exception {
    FIRST_ROUTED_AT.compareAndSet(0, System.currentTimeMillis());
    byte[] body =
        sidecar.body(
            g -> {
              g.writeArrayFieldStart("records");
              for (Incoming r : batch) {
                g.writeStartObject();
                SidecarClient.writeRecord(
                    g, r.value, r.valueBase64, r.topic, r.partition, r.offset, nowOf(r), r.timestamp);
                g.writeEndObject();
              }
              g.writeEndArray();
            });
    JsonNode routes = sidecar.post("/v1/route", body, SidecarClient.ROUTE_MS).get("routes");
    for (int i = 0; i < batch.size(); i++) {
      Incoming r = batch.get(i);
      JsonNode route = routes.get(i);
      Routed out = new Routed();
      out.seq = nextSeq++;
      // A rejected record touches no state: any key will do; spread them over the subtasks.
      out.key =
          route.path("kind").asText().equals("key")
              ? route.get("key").asText()
              : "any-" + (out.seq % 1024);
      out.value = r.value;
      out.valueBase64 = r.valueBase64;
      out.offset = r.offset;
      out.topic = r.topic;
      out.partition = r.partition;
      out.now = nowOf(r);
      out.receivedAt = r.timestamp;
      emit(out);
    }
    NEXT_SEQ.set(nextSeq);
  }
}
