package io.livepeer.analytics.flink;

import com.fasterxml.jackson.databind.JsonNode;
import io.livepeer.analytics.flink.Messages.LifecycleInput;
import io.livepeer.analytics.flink.Messages.Result;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.apache.flink.api.common.state.ListState;
import org.apache.flink.api.common.state.ListStateDescriptor;
import org.apache.flink.runtime.state.KeyGroupRangeAssignment;
import org.apache.flink.runtime.state.StateInitializationContext;
import org.apache.flink.runtime.state.StateSnapshotContext;

/**
 * Parallelism 1: the one event clock. Puts the record stage's results back into stream order
 * (they arrive from every record-stage subtask), feeds their event times to the clock
 * ({@code /v1/clock}), and sends the lifecycle stage its inputs in that order: an item to the
 * subtask of its session key, a broadcast item, every watermark and the end-of-input flush to
 * every subtask. Each lifecycle subtask is reached through one channel, so what it receives keeps
 * this order. A copy meant for subtask {@code s} carries a route key that Flink's keyBy assigns to
 * {@code s} (computed from the job's parallelism and max parallelism).
 */
public final class ClockOperator extends BatchingOperator<Result, LifecycleInput> {
  private static final long serialVersionUID = 1L;

  private final int lifecycleParallelism;
  private final int maxParallelism;

  private transient String clock;
  private transient long nextSeq;
  private transient Map<Long, Result> early;
  private transient String[] subtaskKeys;
  private transient ListState<String> clockState;
  private transient ListState<Long> seqState;
  private transient ListState<Result> earlyState;

  public ClockOperator(
      SidecarClient sidecar, int batchSize, int lifecycleParallelism, int maxParallelism) {
    super(sidecar, batchSize);
    this.lifecycleParallelism = lifecycleParallelism;
    this.maxParallelism = maxParallelism;
  }

  /** A key that Flink's keyBy sends to each subtask of an operator of the given parallelism. */
  static String[] subtaskKeys(int parallelism, int maxParallelism) {
    String[] keys = new String[parallelism];
    int found = 0;
    for (int n = 0; found < parallelism; n++) {
      String key = "lpa-subtask-" + n;
      int s = KeyGroupRangeAssignment.assignKeyToParallelOperator(key, maxParallelism, parallelism);
      if (keys[s] == null) {
        keys[s] = key;
        found++;
      }
    }
    return keys;
  }

  @Override
  public void initializeState(StateInitializationContext context) throws Exception {
    super.initializeState(context);
    var store = context.getOperatorStateStore();
    clockState = store.getListState(new ListStateDescriptor<>("clock", String.class));
    seqState = store.getListState(new ListStateDescriptor<>("next-seq", Long.class));
    earlyState = store.getListState(new ListStateDescriptor<>("early", Result.class));
    clock = null;
    for (String c : clockState.get()) clock = c;
    nextSeq = 0;
    for (Long s : seqState.get()) nextSeq = s;
    early = new HashMap<>();
    for (Result r : earlyState.get()) early.put(r.seq, r);
    subtaskKeys = subtaskKeys(lifecycleParallelism, maxParallelism);
  }

  @Override
  public void snapshotState(StateSnapshotContext context) throws Exception {
    super.snapshotState(context);
    clockState.update(clock == null ? List.of() : List.of(clock));
    seqState.update(List.of(nextSeq));
    earlyState.update(new ArrayList<>(early.values()));
  }

  @Override
  public void processElement(org.apache.flink.streaming.runtime.streamrecord.StreamRecord<Result> element)
      throws Exception {
    Result r = element.getValue();
    early.put(r.seq, r);
    // Release the results that are next in stream order (every record has exactly one result).
    Result next;
    while ((next = early.remove(nextSeq)) != null) {
      nextSeq++;
      super.processElement(new org.apache.flink.streaming.runtime.streamrecord.StreamRecord<>(next));
    }
  }

  @Override
  protected void handle(List<Result> batch) throws Exception {
    JsonNode res = callClock(batch, false);
    clock = raw(res.get("clock"));
    JsonNode watermarks = res.get("watermarks");
    for (int i = 0; i < batch.size(); i++) {
      Result r = batch.get(i);
      if (r.item != null) {
        if (r.itemKey != null) send(r.itemKey, Messages.ITEM, r.itemKey, r.item, null);
        else for (String k : subtaskKeys) send(k, Messages.ITEM, null, r.item, null);
      }
      JsonNode w = watermarks.get(i);
      if (w != null && !w.isNull())
        for (String k : subtaskKeys) send(k, Messages.ADVANCE, null, null, w.asLong());
    }
  }

  @Override
  protected void atEnd() throws Exception {
    if (!early.isEmpty())
      throw new IllegalStateException(
          "end of input with " + early.size() + " results out of order (next " + nextSeq + ")");
    Long newest = null;
    if (clock != null) {
      JsonNode ts = sidecar.mapper().readTree(clock).path("newestEventTs");
      if (ts.size() > 0) newest = ts.get(0).asLong();
    }
    for (String k : subtaskKeys) send(k, Messages.FLUSH, null, null, newest);
    emitOutputs(callClock(List.of(), true).get("outputs"));
  }

  /** {@code /v1/clock} with the event times of a batch of results (and the end of input). */
  private JsonNode callClock(List<Result> batch, boolean flush) throws Exception {
    byte[] body =
        sidecar.body(
            g -> {
              SidecarClient.writeRawField(g, "clock", clock);
              g.writeArrayFieldStart("eventTimes");
              for (Result r : batch) {
                if (r.eventTime == null) g.writeNull();
                else g.writeNumber(r.eventTime);
              }
              g.writeEndArray();
              if (flush) g.writeBooleanField("flush", true);
            });
    return sidecar.post("/v1/clock", body, SidecarClient.CLOCK_MS);
  }

  private void send(String routeKey, int kind, String sessionKey, String item, Long time) {
    LifecycleInput in = new LifecycleInput();
    in.routeKey = routeKey;
    in.kind = kind;
    in.sessionKey = sessionKey;
    in.item = item;
    in.time = time;
    emit(in);
  }
}
