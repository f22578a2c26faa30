package io.livepeer.analytics.flink;

import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.stream.Collectors;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;

/**
 * Prints the number of committed records of a topic, read with {@code read_committed} isolation
 * by Kafka's own Java client (what the exactly-once DLQ sink made visible). Usage: {@code
 * CountTopic BOOTSTRAP TOPIC}; prints 0 for a topic that does not exist.
 */
public final class CountTopic {
  private CountTopic() {}

  public static void main(String[] args) {
    Properties p = new Properties();
    p.setProperty(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, args[0]);
    p.setProperty(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed");
    p.setProperty(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, "false");
    long n = 0;
    try (KafkaConsumer<byte[], byte[]> c =
        new KafkaConsumer<>(p, new ByteArrayDeserializer(), new ByteArrayDeserializer())) {
      Map<String, List<org.apache.kafka.common.PartitionInfo>> topics = c.listTopics(Duration.ofSeconds(30));
      if (topics.containsKey(args[1])) {
        List<TopicPartition> parts =
            topics.get(args[1]).stream()
                .map(i -> new TopicPartition(i.topic(), i.partition()))
                .collect(Collectors.toList());
        c.assign(parts);
        c.seekToBeginning(parts);
        Map<TopicPartition, Long> end = c.endOffsets(parts);
        long deadline = System.currentTimeMillis() + 60_000;
        while (parts.stream().anyMatch(tp -> c.position(tp) < end.get(tp))) {
          if (System.currentTimeMillis() > deadline) throw new IllegalStateException("timed out");
          n += c.poll(Duration.ofMillis(200)).count();
        }
      }
    }
    System.out.println(n);
  }
}
