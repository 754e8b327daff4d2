package io.density.load;

import static io.density.load.LoadMain.fmt;

import io.netty.handler.codec.mqtt.MqttQoS;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.json.JsonObject;
import io.vertx.mqtt.MqttClient;
import io.vertx.mqtt.MqttClientOptions;
import java.net.URI;
import java.time.Instant;
import java.util.Set;

/**
 * Publishes synthetic datapoints to an MQTT broker as a gateway would, with QoS 1 and a bounded
 * number of messages awaiting the broker's acknowledgement, and reports the rate. The server's MQTT
 * ingest takes them from there; its DPU totals say what it counted.
 */
final class MqttPublish {
  static final String USAGE =
      """
      usage: java -jar density-load.jar mqtt [options]

        --broker URL        the broker (default mqtt://127.0.0.1:1883)
        --topic T           the topic to publish to (default density/datapoints/load)
        --datapoints N      datapoints to publish (default 100000)
        --batch N           datapoints per message, as a JSON array, 1..10000 (default 100)
        --dpus N            DPUs dpu-0..dpu-(N-1) they come from (default 1000)
        --in-flight N       messages awaiting the broker's acknowledgement at most (default 100)

      Every datapoint is distinct (a millisecond apart, two days back). Exit: 0 when every
      message was acknowledged by the broker, 1 otherwise, 2 wrong options.
      """;

  static int run(String[] args) {
    Options o =
        Options.parse(
            args, Set.of("broker", "topic", "datapoints", "batch", "dpus", "in-flight"), Set.of());
    URI broker = URI.create(o.string("broker", "mqtt://127.0.0.1:1883"));
    if (!"mqtt".equals(broker.getScheme()) || broker.getHost() == null) {
      throw new IllegalArgumentException("--broker must be mqtt://host[:port]");
    }
    String topic = o.string("topic", "density/datapoints/load");
    int total = o.integer("datapoints", 100_000, 1, 100_000_000);
    int batch = o.integer("batch", 100, 1, 10_000);
    int dpus = o.integer("dpus", 1000, 1, 1_000_000);
    int window = o.integer("in-flight", 100, 1, 10_000);
    Vertx vertx = Vertx.vertx();
    try {
      MqttClient client =
          MqttClient.create(
              vertx,
              new MqttClientOptions()
                  .setClientId("density-load-" + System.nanoTime())
                  .setMaxInflightQueue(window));
      long first = (Instant.now().toEpochMilli() - 2 * 86_400_000L);
      int messages = (total + batch - 1) / batch;
      long[] sent = {0};
      long[] acked = {0};
      long started = System.nanoTime();
      Promise<Void> done = Promise.promise();
      Runnable[] fill = new Runnable[1];
      fill[0] =
          () -> {
            while (sent[0] < messages && sent[0] - acked[0] < window) {
              long m = sent[0]++;
              StringBuilder json = new StringBuilder(batch * 90).append('[');
              for (long n = m * batch; n < Math.min(total, (m + 1) * batch); n++) {
                if (n > m * batch) {
                  json.append(',');
                }
                json.append(
                    new JsonObject()
                        .put("dpu_id", "dpu-" + n % dpus)
                        .put("direction", n % 3 == 0 ? -1 : 1)
                        .put("timestamp", Instant.ofEpochMilli(first + n).toString())
                        .encode());
              }
              client
                  .publish(
                      topic,
                      Buffer.buffer(json.append(']').toString()),
                      MqttQoS.AT_LEAST_ONCE,
                      false,
                      false)
                  .onFailure(done::tryFail);
            }
          };
      client.publishCompletionHandler(
          id -> {
            acked[0]++;
            if (acked[0] == messages) {
              done.tryComplete();
            } else {
              fill[0].run();
            }
          });
      client
          .connect(broker.getPort() < 0 ? 1883 : broker.getPort(), broker.getHost())
          .onSuccess(ack -> fill[0].run())
          .onFailure(done::tryFail);
      try {
        done.future().await();
      } catch (RuntimeException e) {
        System.err.println("mqtt: " + e.getMessage());
        return 1;
      }
      double seconds = (System.nanoTime() - started) / 1e9;
      client.disconnect().await();
      System.out.printf(
          "published %d datapoints in %d messages in %s s: %s messages/s, %s datapoints/s%n",
          total, messages, fmt(seconds), fmt(messages / seconds), fmt(total / seconds));
      System.out.println(
          "RESULT "
              + new JsonObject()
                  .put("tool", "mqtt")
                  .put("datapoints", total)
                  .put("messages", messages)
                  .put("seconds", seconds)
                  .put("messages_per_s", messages / seconds)
                  .put("datapoints_per_s", total / seconds)
                  .encode());
      return 0;
    } finally {
      vertx.close().await();
    }
  }
}
