package io.livepeer.analytics.flink;

import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import io.livepeer.analytics.flink.Messages.LifecycleInput;
import java.io.File;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.apache.flink.api.common.state.CheckpointListener;
import org.apache.flink.api.common.state.ListState;
import org.apache.flink.api.common.state.ListStateDescriptor;
import org.apache.flink.api.common.state.ValueState;
import org.apache.flink.api.common.state.ValueStateDescriptor;
import org.apache.flink.runtime.state.StateInitializationContext;
import org.apache.flink.runtime.state.StateSnapshotContext;
import org.apache.flink.runtime.state.VoidNamespace;

/**
 * Keyed by {@code workflow_session_id}: the lifecycle stage ({@code /v1/lifecycle}). Each
 * session's slice lives in Flink keyed state; the shared state (capability index, watermarks) is
 * the same on every subtask at the same point of the stream and is kept as union list state (on
 * restore, at any parallelism, every subtask takes one copy). A batch carries the keys of its
 * items; with a broadcast item or the flush, every key this subtask holds state for; with
 * watermarks up to W, the keys whose slice is due at W (the {@code dueAt} the sidecar returned
 * with the slice, kept next to it). Subtask 0 is the primary (it emits what a broadcast makes
 * once).
 */
public final class LifecycleOperator extends BatchingOperator<LifecycleInput, Void>
    implements CheckpointListener {
  private static final long serialVersionUID = 1L;

  private static final String SLICE = "session-slice";
  private static final String DUE = "session-due-at";

  private final int parallelism;
  private final int maxParallelism;
  private final long failAfterInputs;
  private final String failMarker;

  private transient ValueState<String> slice;
  /** The slice's due time (dueAt): absent when no advance alone can change it. */
  private transient ValueState<Long> dueAt;
  private transient ListState<String> sharedState;
  private transient String shared;
  private transient long inputs;
  private transient boolean checkpointed;

  /**
   * @param failAfterInputs fault injection for tests: subtask 0 fails once, after this many inputs
   *     and a completed checkpoint, if {@code failMarker} does not exist yet (it is created first);
   *     0 disables
   */
  public LifecycleOperator(
      SidecarClient sidecar,
      int batchSize,
      int parallelism,
      int maxParallelism,
      long failAfterInputs,
      String failMarker) {
    super(sidecar, batchSize);
    this.parallelism = parallelism;
    this.maxParallelism = maxParallelism;
    this.failAfterInputs = failAfterInputs;
    this.failMarker = failMarker;
  }

  @Override
  public void initializeState(StateInitializationContext context) throws Exception {
    super.initializeState(context);
    slice = context.getKeyedStateStore().getState(new ValueStateDescriptor<>(SLICE, String.class));
    dueAt = context.getKeyedStateStore().getState(new ValueStateDescriptor<>(DUE, Long.class));
    sharedState =
        context.getOperatorStateStore().getUnionListState(new ListStateDescriptor<>("shared", String.class));
    shared = null;
    for (String s : sharedState.get()) shared = s; // every copy is the same
    if (context.isRestored())
      System.err.println(
          "lpa-flink: lifecycle subtask "
              + getRuntimeContext().getTaskInfo().getIndexOfThisSubtask()
              + " restored (shared state "
              + (shared == null ? "empty" : shared.length() + " chars")
              + ")");
  }

  @Override
  public void open() throws Exception {
    super.open();
    // The event clock addresses each subtask by a key computed from these two numbers: a
    // scheduler that runs this stage otherwise would lose or repeat broadcasts silently.
    var info = getRuntimeContext().getTaskInfo();
    if (info.getNumberOfParallelSubtasks() != parallelism
        || info.getMaxNumberOfParallelSubtasks() != maxParallelism)
      throw new IllegalStateException(
          "lifecycle stage runs at parallelism "
              + info.getNumberOfParallelSubtasks()
              + " / max "
              + info.getMaxNumberOfParallelSubtasks()
              + ", the event clock addresses "
              + parallelism
              + " / "
              + maxParallelism);
  }

  @Override
  public void snapshotState(StateSnapshotContext context) throws Exception {
    super.snapshotState(context);
    sharedState.update(shared == null ? List.of() : List.of(shared));
  }

  @Override
  public void notifyCheckpointComplete(long checkpointId) throws Exception {
    super.notifyCheckpointComplete(checkpointId);
    checkpointed = true;
    maybeFail();
  }

  @Override
  protected void accept(LifecycleInput in) throws Exception {
    inputs++;
    maybeFail();
  }

  /**
   * The fault drill: fails subtask 0 once (the marker file makes it once per run, across
   * restarts) at the first input or completed checkpoint after {@code failAfterInputs} inputs and
   * a completed checkpoint, so that Flink restores it from that checkpoint.
   */
  private void maybeFail() throws Exception {
    if (failAfterInputs > 0
        && inputs >= failAfterInputs
        && checkpointed
        && getRuntimeContext().getTaskInfo().getIndexOfThisSubtask() == 0
        && new File(failMarker).createNewFile())
      throw new RuntimeException("lpa-flink: injected failure after " + inputs + " lifecycle inputs");
  }

  @Override
  protected void handle(List<LifecycleInput> batch) throws Exception {
    Set<String> keys = new LinkedHashSet<>();
    boolean global = false;
    long advanceTo = Long.MIN_VALUE;
    for (LifecycleInput in : batch) {
      if (in.kind == Messages.ITEM && in.sessionKey != null) keys.add(in.sessionKey);
      else if (in.kind == Messages.ADVANCE) advanceTo = Math.max(advanceTo, in.time);
      else global = true;
    }
    org.apache.flink.runtime.state.KeyedStateBackend<String> backend = getKeyedStateBackend();
    if (global) {
      // A broadcast item or the flush reaches every session this subtask holds.
      try (Stream<String> all = backend.getKeys(SLICE, VoidNamespace.INSTANCE)) {
        keys.addAll(all.collect(Collectors.toList()));
      }
    } else if (advanceTo != Long.MIN_VALUE) {
      // An advance to W reaches the sessions due at W (the sidecar's dueAt of each slice).
      List<String> withDue;
      try (Stream<String> all = backend.getKeys(DUE, VoidNamespace.INSTANCE)) {
        withDue = all.collect(Collectors.toList());
      }
      for (String key : withDue) {
        setCurrentKey(key);
        Long due = dueAt.value();
        if (due != null && due <= advanceTo) keys.add(key);
      }
    }
    List<String> keyList = new ArrayList<>(keys);
    List<String> slices = new ArrayList<>(keyList.size());
    for (String key : keyList) {
      setCurrentKey(key);
      slices.add(slice.value());
    }
    boolean primary = getRuntimeContext().getTaskInfo().getIndexOfThisSubtask() == 0;
    byte[] body =
        sidecar.body(
            g -> {
              SidecarClient.writeRawField(g, "shared", shared);
              g.writeBooleanField("primary", primary);
              g.writeArrayFieldStart("items");
              for (int k = 0; k < keyList.size(); k++) {
                g.writeStartObject();
                g.writeStringField("key", keyList.get(k));
                SidecarClient.writeRawField(g, "slice", slices.get(k));
                g.writeEndObject();
              }
              g.writeEndArray();
              g.writeArrayFieldStart("inputs");
              for (LifecycleInput in : batch) {
                g.writeStartObject();
                if (in.kind == Messages.ITEM) {
                  g.writeFieldName("item");
                  g.writeRawValue(in.item);
                } else if (in.kind == Messages.ADVANCE) g.writeNumberField("advance", in.time);
                else {
                  g.writeObjectFieldStart("flush");
                  if (in.time == null) g.writeNullField("newestEventTime");
                  else g.writeNumberField("newestEventTime", in.time);
                  g.writeEndObject();
                }
                g.writeEndObject();
              }
              g.writeEndArray();
            });
    byte[] response = sidecar.postRaw("/v1/lifecycle", body, SidecarClient.LIFECYCLE_MS);
    // Streamed: the shared state, the slices and the outputs are copied from the response bytes.
    try (JsonParser p = sidecar.parser(response)) {
      RecordStageOperator.expect(p.nextToken(), JsonToken.START_OBJECT);
      while (p.nextToken() == JsonToken.FIELD_NAME) {
        String field = p.currentName();
        JsonToken t = p.nextToken();
        switch (field) {
          case "shared":
            if (t != JsonToken.VALUE_NULL) shared = SidecarClient.raw(p, response);
            break;
          case "items":
            RecordStageOperator.expect(t, JsonToken.START_ARRAY);
            while (p.nextToken() == JsonToken.START_OBJECT) {
              String key = null;
              String value = null;
              Long due = null;
              while (p.nextToken() == JsonToken.FIELD_NAME) {
                String f = p.currentName();
                JsonToken ft = p.nextToken();
                if (f.equals("key")) key = p.getText();
                else if (f.equals("slice")) value = SidecarClient.raw(p, response);
                else if (f.equals("dueAt")) due = ft == JsonToken.VALUE_NULL ? null : p.getLongValue();
                else p.skipChildren();
              }
              setCurrentKey(key);
              if (value == null) slice.clear();
              else slice.update(value);
              if (value == null || due == null) dueAt.clear();
              else dueAt.update(due);
            }
            break;
          case "outputs":
            emitOutputs(p, response);
            break;
          default:
            p.skipChildren();
        }
      }
    }
  }
}
