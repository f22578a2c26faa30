package io.livepeer.analytics.flink;

import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.databind.JsonNode;
import io.livepeer.analytics.flink.Messages.Rejection;
import java.util.ArrayList;
import java.util.List;
import org.apache.flink.streaming.api.operators.AbstractStreamOperator;
import org.apache.flink.streaming.api.operators.BoundedOneInput;
import org.apache.flink.streaming.api.operators.OneInputStreamOperator;
import org.apache.flink.streaming.runtime.streamrecord.StreamRecord;

/**
 * An operator that buffers its input and handles it in batches (one sidecar call per batch).
 * A batch is handled when it is full, before every checkpoint barrier (so nothing buffered is
 * ever part of a checkpoint: the state written after the batch and the outputs emitted for it
 * are on the same side of the barrier) and at the end of input. Latency is therefore bounded by
 * the checkpoint interval on a quiet stream.
 */
public abstract class BatchingOperator<IN, OUT> extends AbstractStreamOperator<OUT>
    implements OneInputStreamOperator<IN, OUT>, BoundedOneInput {
  private static final long serialVersionUID = 1L;

  /** Batch size: elements per sidecar call. */
  protected final int batchSize;
  /** The sidecar client. */
  protected final SidecarClient sidecar;

  private transient List<IN> buffer;
  private transient StreamRecord<String> outputsRecord;

  protected BatchingOperator(SidecarClient sidecar, int batchSize) {
    this.sidecar = sidecar;
    this.batchSize = batchSize;
  }

  @Override
  public void open() throws Exception {
    super.open();
    sidecar.bind(getRuntimeContext().getTaskInfo().getIndexOfThisSubtask());
    buffer = new ArrayList<>(batchSize);
  }

  @Override
  public void processElement(StreamRecord<IN> element) throws Exception {
    accept(element.getValue());
    buffer.add(element.getValue());
    if (buffer.size() >= batchSize) flush();
  }

  /** Called for each element as it arrives (before it is buffered). */
  protected void accept(IN element) throws Exception {}

  @Override
  public void prepareSnapshotPreBarrier(long checkpointId) throws Exception {
    flush();
    super.prepareSnapshotPreBarrier(checkpointId);
  }

  @Override
  public void endInput() throws Exception {
    flush();
    atEnd();
  }

  /** Runs after the last batch at the end of input. */
  protected void atEnd() throws Exception {}

  private void flush() throws Exception {
    if (buffer == null || buffer.isEmpty()) return;
    List<IN> batch = buffer;
    buffer = new ArrayList<>(batchSize);
    handle(batch);
  }

  /** Handles one batch, in arrival order. */
  protected abstract void handle(List<IN> batch) throws Exception;

  /** Emits a record downstream. */
  protected void emit(OUT value) {
    output.collect(new StreamRecord<>(value));
  }

  /**
   * Sends the engine outputs of the JSON array at the parser's current token to the file sink
   * (one line each, copied from the response bytes) and their DLQ and quarantine envelopes to the
   * rejection topics; leaves the parser at the array's end.
   */
  protected void emitOutputs(JsonParser p, byte[] source) throws Exception {
    if (p.currentToken() != JsonToken.START_ARRAY)
      throw new IllegalStateException("outputs: expected an array, got " + p.currentToken());
    StringBuilder lines = null;
    while (p.nextToken() == JsonToken.START_OBJECT) {
      String output = SidecarClient.raw(p, source);
      if (lines == null) lines = new StringBuilder(output.length() * 4);
      else lines.append('\n');
      lines.append(output);
      // Most outputs are rows: only text that mentions a rejection kind is parsed to be sure.
      if (output.contains("\"dlq\"") || output.contains("\"quarantine\"")) {
        String kind = sidecar.mapper().readTree(output).path("kind").asText();
        if (kind.equals("dlq") || kind.equals("quarantine"))
          rejection(kind, sidecar.rawField(output, "envelope"));
      }
    }
    if (lines != null) {
      if (outputsRecord == null) outputsRecord = new StreamRecord<>(null);
      output.collect(Messages.OUTPUTS, outputsRecord.replace(lines.toString()));
    }
  }

  /** A rejection for its topic: the envelope's JSON text as the sidecar wrote it. */
  private void rejection(String kind, String envelope) throws Exception {
    Rejection r = new Rejection();
    r.kind = kind;
    r.key = rejectionKey(sidecar.mapper().readTree(envelope));
    r.envelope = envelope;
    output.collect(Messages.REJECTIONS, new StreamRecord<>(r));
  }

  /** {@link #emitOutputs(JsonParser, byte[])} for outputs already parsed (a JSON array). */
  protected void emitOutputs(JsonNode outputs) throws Exception {
    if (outputs == null || outputs.size() == 0) return;
    byte[] bytes = sidecar.mapper().writeValueAsBytes(outputs);
    try (JsonParser p = sidecar.parser(bytes)) {
      p.nextToken();
      emitOutputs(p, bytes);
    }
  }

  /** The record key of a rejection envelope: its dedup key, else its event id, else none. */
  static String rejectionKey(JsonNode envelope) {
    JsonNode dedup = envelope.get("dedupKey");
    if (dedup != null && dedup.isTextual()) return dedup.asText();
    JsonNode id = envelope.path("identity").get("eventId");
    return id != null && id.isTextual() ? id.asText() : null;
  }

  /** Raw JSON text for a response node (null for JSON null or a missing node). */
  protected String raw(JsonNode node) throws Exception {
    return node == null || node.isNull() ? null : sidecar.mapper().writeValueAsString(node);
  }
}
