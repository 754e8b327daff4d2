package io.density.support;

import io.netty.handler.codec.mqtt.MqttQoS;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.json.JsonObject;
import io.vertx.mqtt.MqttClient;
import io.vertx.mqtt.MqttClientOptions;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;

/**
 * A consumer of the egress topics on the real Mosquitto (127.0.0.1:1883): subscribes to a filter
 * and keeps every message, by topic, with whether it came as retained. {@link #clearRetained}
 * removes the retained messages a test left at the broker.
 */
public final class MqttWatcher implements AutoCloseable {
  /** One message as received. */
  public record Received(String topic, JsonObject body, boolean retained) {}

  private final Vertx vertx = Vertx.vertx();
  private final MqttClient client;
  private final List<Received> received = new CopyOnWriteArrayList<>();
  private final Map<String, Received> last = new ConcurrentHashMap<>();

  public MqttWatcher(String filter) {
    client =
        MqttClient.create(
            vertx,
            new MqttClientOptions()
                .setClientId("watcher-" + UUID.randomUUID())
                .setCleanSession(true)
                .setMaxMessageSize(1 << 20));
    client.publishHandler(
        m -> {
          if (m.payload().length() == 0) {
            return; // a retained message cleared
          }
          Received r = new Received(m.topicName(), m.payload().toJsonObject(), m.isRetain());
          received.add(r);
          last.put(m.topicName(), r);
        });
    client.connect(1883, "127.0.0.1").await();
    client.subscribe(filter, MqttQoS.AT_LEAST_ONCE.value()).await();
  }

  /** Every message so far, in arrival order. */
  public List<Received> received() {
    return List.copyOf(received);
  }

  /** The last message of each topic. */
  public Map<String, Received> last() {
    return Map.copyOf(last);
  }

  /** Publishes an empty retained message to each topic seen: the broker forgets them. */
  public void clearRetained() {
    for (String topic : last.keySet()) {
      client.publish(topic, Buffer.buffer(), MqttQoS.AT_LEAST_ONCE, false, true).await();
    }
  }

  @Override
  public void close() {
    if (client.isConnected()) {
      client.disconnect().await();
    }
    vertx.close().await();
  }
}
