package io.livepeer.analytics.flink;

import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import io.livepeer.analytics.flink.Messages.Result;
import io.livepeer.analytics.flink.Messages.Routed;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.time.Duration;
import org.apache.flink.api.common.state.StateTtlConfig;
import org.apache.flink.api.common.state.ValueState;
import org.apache.flink.api.common.state.ValueStateDescriptor;
import org.apache.flink.runtime.state.StateInitializationContext;

/**
 * Keyed by dedup key: the record stage ({@code /v1/records}). Each key's dedup slice (the
 * first-seen event time) lives in Flink keyed state; a batch carries several keys, each with its
 * records in stream order. The records' outputs (raw rows, DLQ and quarantine envelopes,
 * counters) go to the sinks here; what the event clock and the lifecycle stage need goes on as a
 * {@link Result}.
 */
public final class RecordStageOperator extends BatchingOperator<Routed, Result> {
  private static final long serialVersionUID = 1L;

  private final long stateTtlMs;
  private transient ValueState<Long> slice;

  /**
   * @param stateTtlMs how long a dedup slice is kept after it was written, processing time (Flink
   *     state TTL): the bound of this stage's state. The job gives the record stage no watermark
   *     (the event clock is downstream of it), so the engine's event-time dedup TTL does not expire
   *     entries here; this TTL does, measured in processing time instead (see README.md).
   */
  public RecordStageOperator(SidecarClient sidecar, int batchSize, long stateTtlMs) {
    super(sidecar, batchSize);
    this.stateTtlMs = stateTtlMs;
  }

  @Override
  public void initializeState(StateInitializationContext context) throws Exception {
    super.initializeState(context);
    ValueStateDescriptor<Long> descriptor = new ValueStateDescriptor<>("dedup-slice", Long.class);
    descriptor.enableTimeToLive(
        StateTtlConfig.newBuilder(Duration.ofMillis(stateTtlMs))
            .setUpdateType(StateTtlConfig.UpdateType.OnCreateAndWrite)
            .setStateVisibility(StateTtlConfig.StateVisibility.NeverReturnExpired)
            .build());
    slice = context.getKeyedStateStore().getState(descriptor);
  }

  static void expect(JsonToken got, JsonToken want) {
    if (got != want) throw new IllegalStateException("sidecar response: expected " + want + ", got " + got);
  }

  @Override
  protected void handle(List<Routed> batch) throws Exception {
    Map<String, List<Routed>> byKey = new LinkedHashMap<>();
    for (Routed r : batch) byKey.computeIfAbsent(r.key, k -> new ArrayList<>()).add(r);
    List<String> keys = new ArrayList<>(byKey.keySet());
    List<Long> slices = new ArrayList<>(keys.size());
    for (String key : keys) {
      setCurrentKey(key);
      slices.add(slice.value());
    }
    byte[] body =
        sidecar.body(
            g -> {
              g.writeArrayFieldStart("items");
              for (int k = 0; k < keys.size(); k++) {
                g.writeStartObject();
                g.writeStringField("key", keys.get(k));
                if (slices.get(k) == null) g.writeNullField("slice");
                else g.writeNumberField("slice", slices.get(k));
                g.writeArrayFieldStart("records");
                for (Routed r : byKey.get(keys.get(k))) {
                  g.writeStartObject();
                  SidecarClient.writeRecord(
                      g, r.value, r.valueBase64, r.topic, r.partition, r.offset, r.now, r.receivedAt);
                  g.writeEndObject();
                }
                g.writeEndArray();
                g.writeEndObject();
              }
              g.writeEndArray();
            });
    byte[] response = sidecar.postRaw("/v1/records", body, SidecarClient.RECORDS_MS);
    // Streamed: outputs and items are copied from the response bytes, no tree is built.
    try (JsonParser p = sidecar.parser(response)) {
      expect(p.nextToken(), JsonToken.START_OBJECT);
      while (p.nextToken() == JsonToken.FIELD_NAME) {
        String field = p.currentName();
        p.nextToken();
        if (!field.equals("items")) {
          p.skipChildren();
          continue;
        }
        expect(p.currentToken(), JsonToken.START_ARRAY);
        int k = 0;
        while (p.nextToken() == JsonToken.START_OBJECT) {
          if (k >= keys.size()) throw new IllegalStateException("sidecar answered more items than asked");
          String key = keys.get(k);
          List<Routed> batchOfKey = byKey.get(key);
          int j = 0;
          while (p.nextToken() == JsonToken.FIELD_NAME) {
            String f = p.currentName();
            JsonToken t = p.nextToken();
            switch (f) {
              case "key":
                if (!p.getText().equals(key))
                  throw new IllegalStateException("sidecar answered items out of order");
                break;
              case "slice":
                {
                  // Written only when it changes: the state TTL counts from the first sighting.
                  Long before = slices.get(k);
                  Long after = t == JsonToken.VALUE_NULL ? null : p.getLongValue();
                  if (!java.util.Objects.equals(before, after)) {
                    setCurrentKey(key);
                    if (after == null) slice.clear();
                    else slice.update(after);
                  }
                }
                break;
              case "results":
                expect(t, JsonToken.START_ARRAY);
                while (p.nextToken() == JsonToken.START_OBJECT) {
                  Result out = new Result();
                  out.seq = batchOfKey.get(j++).seq;
                  while (p.nextToken() == JsonToken.FIELD_NAME) {
                    String rf = p.currentName();
                    JsonToken rt = p.nextToken();
                    switch (rf) {
                      case "outputs":
                        emitOutputs(p, response);
                        break;
                      case "eventTime":
                        out.eventTime = rt == JsonToken.VALUE_NULL ? null : p.getLongValue();
                        break;
                      case "item":
                        out.item = SidecarClient.raw(p, response);
                        break;
                      case "route":
                        out.itemKey = null;
                        if (rt == JsonToken.START_OBJECT) {
                          String kind = null;
                          String routeKey = null;
                          while (p.nextToken() == JsonToken.FIELD_NAME) {
                            String name = p.currentName();
                            p.nextToken();
                            if (name.equals("kind")) kind = p.getText();
                            else if (name.equals("key")) routeKey = p.getText();
                            else p.skipChildren();
                          }
                          if ("key".equals(kind)) out.itemKey = routeKey;
                        }
                        break;
                      default:
                        p.skipChildren();
                    }
                  }
                  emit(out);
                }
                break;
              default:
                p.skipChildren();
            }
          }
          if (j != batchOfKey.size())
            throw new IllegalStateException("sidecar answered " + j + " results for " + batchOfKey.size() + " records");
          k++;
        }
        if (k != keys.size()) throw new IllegalStateException("sidecar answered " + k + " items for " + keys.size());
      }
    }
  }
}
