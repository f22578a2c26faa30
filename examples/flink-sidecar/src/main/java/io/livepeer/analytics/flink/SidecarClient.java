package io.livepeer.analytics.flink;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.Serializable;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The job's client of the sidecar (protocol 1, see docs/sidecar.md). Calls are side-effect free,
 * so a call that fails on the way (connection refused while the sidecar restarts, a 5xx, a
 * timeout) is retried as a whole until {@code retryMs} has passed; then the task fails and Flink
 * restarts it from the last checkpoint. A 4xx answer is a bug in the job or a mismatched sidecar:
 * the task fails at once with the problem's detail.
 */
public final class SidecarClient implements Serializable {
  private static final long serialVersionUID = 1L;

  /** The protocol version this job speaks. */
  public static final int PROTOCOL = 1;

  /** Milliseconds spent in sidecar calls by this JVM, per path (for the run's report). */
  public static final AtomicLong ROUTE_MS = new AtomicLong();
  /** See {@link #ROUTE_MS}. */
  public static final AtomicLong RECORDS_MS = new AtomicLong();
  /** See {@link #ROUTE_MS}. */
  public static final AtomicLong CLOCK_MS = new AtomicLong();
  /** See {@link #ROUTE_MS}. */
  public static final AtomicLong LIFECYCLE_MS = new AtomicLong();
  /** Calls made by this JVM. */
  public static final AtomicLong CALLS = new AtomicLong();
  /** Request bytes sent by this JVM. */
  public static final AtomicLong BYTES = new AtomicLong();

  private final String[] urls;
  private String baseUrl;
  private final long retryMs;
  private final long timeoutMs;
  private transient HttpClient http;
  private transient ObjectMapper mapper;
  private transient JsonFactory factory;

  /**
   * @param urls the sidecars' addresses, comma-separated (e.g. {@code http://127.0.0.1:8787}); a
   *     subtask calls the one of its index modulo their number ({@link #bind})
   * @param retryMs how long a failing call is retried before the task fails
   * @param timeoutMs response timeout of one attempt
   */
  public SidecarClient(String urls, long retryMs, long timeoutMs) {
    this.urls = urls.split(",");
    for (int i = 0; i < this.urls.length; i++) {
      String u = this.urls[i].trim();
      this.urls[i] = u.endsWith("/") ? u.substring(0, u.length() - 1) : u;
    }
    this.baseUrl = this.urls[0];
    this.retryMs = retryMs;
    this.timeoutMs = timeoutMs;
  }

  /** Chooses the sidecar of a subtask: the one of its index modulo the number of sidecars. */
  public void bind(int subtaskIndex) {
    baseUrl = urls[subtaskIndex % urls.length];
  }

  private void init() {
    if (http == null) {
      http =
          HttpClient.newBuilder()
              .version(HttpClient.Version.HTTP_1_1)
              .connectTimeout(Duration.ofSeconds(5))
              .build();
      mapper = new ObjectMapper();
      factory = mapper.getFactory();
    }
  }

  /** The shared JSON mapper. */
  public ObjectMapper mapper() {
    init();
    return mapper;
  }

  /** Writes one request body. */
  public interface BodyWriter {
    /** Writes the body's fields (the object's braces and {@code protocol} are written around). */
    void write(JsonGenerator g) throws IOException;
  }

  /** A request body: {@code {"protocol":1, ...fields}}. */
  public byte[] body(BodyWriter fields) throws IOException {
    init();
    ByteArrayOutputStream bytes = new ByteArrayOutputStream(64 * 1024);
    try (JsonGenerator g = factory.createGenerator(bytes)) {
      g.writeStartObject();
      g.writeNumberField("protocol", PROTOCOL);
      fields.write(g);
      g.writeEndObject();
    }
    return bytes.toByteArray();
  }

  /**
   * Writes one protocol {@code Record}'s fields: the value, its Kafka coordinates (copied into
   * DLQ and quarantine envelopes), the processing time and the broker timestamp (the engine's
   * receive time and record timestamp).
   */
  public static void writeRecord(
      JsonGenerator g,
      String value,
      String valueBase64,
      String topic,
      int partition,
      long offset,
      long now,
      long timestamp)
      throws IOException {
    g.writeStringField("value", value);
    if (valueBase64 != null) g.writeStringField("valueBase64", valueBase64);
    g.writeStringField("topic", topic);
    g.writeNumberField("partition", partition);
    g.writeNumberField("offset", offset);
    g.writeNumberField("recordTimestamp", timestamp);
    g.writeNumberField("now", now);
    g.writeNumberField("receivedAt", timestamp);
  }

  /** Writes a field whose value is JSON text held as a string, or null. */
  public static void writeRawField(JsonGenerator g, String name, String json) throws IOException {
    if (json == null) g.writeNullField(name);
    else {
      g.writeFieldName(name);
      g.writeRawValue(json);
    }
  }

  /** POSTs a body to a path and returns the parsed 200 response. */
  public JsonNode post(String path, byte[] body, AtomicLong timer) throws Exception {
    return mapper().readTree(postRaw(path, body, timer));
  }

  /** A streaming parser over a response body (see {@link #raw}). */
  public JsonParser parser(byte[] response) throws IOException {
    init();
    return factory.createParser(response);
  }

  /**
   * The JSON text of the object or array at the parser's current token (a null token gives
   * null), copied from the response bytes without building a tree; leaves the parser at the
   * value's last token.
   */
  public static String raw(JsonParser p, byte[] source) throws IOException {
    JsonToken t = p.currentToken();
    if (t == JsonToken.VALUE_NULL) return null;
    if (t != JsonToken.START_OBJECT && t != JsonToken.START_ARRAY)
      throw new IOException("expected an object or an array, got " + t);
    int start = (int) p.currentTokenLocation().getByteOffset();
    p.skipChildren();
    int end = (int) p.currentLocation().getByteOffset();
    return new String(source, start, end - start, StandardCharsets.UTF_8);
  }

  /**
   * The JSON text of a top-level field's object value in an object's JSON text, copied as it is
   * (not re-serialised), or null when the field is absent or not an object.
   */
  public String rawField(String json, String field) throws IOException {
    init();
    try (JsonParser p = factory.createParser(json)) {
      if (p.nextToken() != JsonToken.START_OBJECT) return null;
      while (p.nextToken() == JsonToken.FIELD_NAME) {
        String name = p.currentName();
        JsonToken t = p.nextToken();
        if (name.equals(field) && t == JsonToken.START_OBJECT) {
          int start = (int) p.currentTokenLocation().getCharOffset();
          p.skipChildren();
          int end = (int) p.currentLocation().getCharOffset();
          return json.substring(start, end);
        }
        p.skipChildren();
      }
      return null;
    }
  }

  /** POSTs a body to a path and returns the 200 response's bytes. */
  public byte[] postRaw(String path, byte[] body, AtomicLong timer) throws Exception {
    init();
    long started = System.nanoTime();
    long deadline = System.currentTimeMillis() + retryMs;
    long backoff = 100;
    CALLS.incrementAndGet();
    BYTES.addAndGet(body.length);
    while (true) {
      String failure;
      try {
        HttpRequest request =
            HttpRequest.newBuilder(URI.create(baseUrl + path))
                .timeout(Duration.ofMillis(timeoutMs))
                .header("content-type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofByteArray(body))
                .build();
        HttpResponse<byte[]> response = http.send(request, HttpResponse.BodyHandlers.ofByteArray());
        int status = response.statusCode();
        if (status == 200) {
          timer.addAndGet((System.nanoTime() - started) / 1_000_000);
          return response.body();
        }
        String text = new String(response.body(), StandardCharsets.UTF_8);
        // Retried: a timeout, too many requests, and a sidecar that is not there (a proxy's 502,
        // 503, 504). Anything else (a 4xx, a 500 from the engine) would fail the same way again.
        if (status != 408 && status != 429 && status != 502 && status != 503 && status != 504)
          throw new IllegalStateException(
              "sidecar " + path + " answered " + status + ": " + abbreviate(text));
        failure = status + " " + abbreviate(text);
      } catch (IOException e) {
        failure = e.toString();
      }
      if (System.currentTimeMillis() + backoff > deadline)
        throw new IOException(
            "sidecar " + baseUrl + path + " failed for " + retryMs + " ms; last: " + failure);
      Thread.sleep(backoff);
      backoff = Math.min(backoff * 2, 2_000);
    }
  }

  private static String abbreviate(String s) {
    return s.length() > 500 ? s.substring(0, 500) + "…" : s;
  }
}
