package io.density;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.density.dev.SeedBuilding;
import io.density.support.Await;
import io.density.support.ContractModel;
import io.density.support.CountAssertions;
import io.density.support.TestServer;
import io.netty.handler.codec.mqtt.MqttQoS;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.mqtt.MqttClient;
import io.vertx.mqtt.MqttClientOptions;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

/**
 * MQTT ingest through the real Mosquitto on 127.0.0.1:1883, each test on topics of its own: the
 * same counts as over HTTP, messages that wait at the broker while the server is down, and rejected
 * items republished with why.
 */
@DisplayName("MQTT ingest")
class MqttTest {
  private static final Instant DAY = Instant.parse("2024-09-02T00:00:00Z");

  private final String base = "density-test/" + UUID.randomUUID() + "/";
  private final Vertx vertx = Vertx.vertx();
  private TestServer server;
  private MqttClient publisher;

  @BeforeEach
  void start() {
    publisher =
        MqttClient.create(
            vertx,
            new MqttClientOptions()
                .setClientId("publisher-" + UUID.randomUUID())
                .setMaxInflightQueue(1000));
    try {
      publisher.connect(1883, "127.0.0.1").await();
    } catch (RuntimeException e) {
      throw new AssertionError(
          "the MQTT tests need a broker on 127.0.0.1:1883 (.ci/run starts Mosquitto): " + e, e);
    }
    server = new TestServer();
    server.config =
        server
            .config
            .with("mqtt", "url", "mqtt://127.0.0.1:1883")
            .with("mqtt", "topic", base + "datapoints/#")
            .with("mqtt", "rejectedTopic", base + "rejected")
            .with("mqtt", "clientId", "density-" + UUID.randomUUID());
    server.start();
    server.provisionSeedBuilding();
  }

  @AfterEach
  void stop() {
    publisher.disconnect().await();
    String session = server.config.mqtt().clientId();
    server.close();
    // The server's persistent session is dropped from the broker with the test.
    MqttClient cleaner =
        MqttClient.create(
            vertx, new MqttClientOptions().setClientId(session).setCleanSession(true));
    cleaner.connect(1883, "127.0.0.1").compose(ack -> cleaner.disconnect()).await();
    vertx.close().await();
  }

  private void publish(String topic, String payload) {
    publisher
        .publish(base + topic, Buffer.buffer(payload), MqttQoS.AT_LEAST_ONCE, false, false)
        .await();
  }

  @Test
  @DisplayName("the seed building's day, in messages of 20 and sent twice, counts as over HTTP")
  void seedBuilding() {
    List<JsonObject> day = SeedBuilding.day(DAY, DAY.plus(Duration.ofDays(1)), 200, 7);
    ContractModel contract = ContractModel.seedBuilding();
    for (JsonObject d : day) {
      contract.add(
          d.getString("dpu_id"),
          d.getString("timestamp"),
          Integer.parseInt(String.valueOf(d.getValue("direction"))));
    }
    for (int round = 0; round < 2; round++) { // the second round is all repeats
      for (int from = 0; from < day.size(); from += 20) {
        JsonArray message = new JsonArray();
        day.subList(from, Math.min(day.size(), from + 20)).forEach(message::add);
        publish("datapoints/gateway-1", message.encode());
      }
    }
    publish("datapoints/gateway-2", day.get(0).encode()); // one datapoint alone: a repeat too
    assertTrue(
        Await.until(() -> server.countRows("datapoint") == day.size(), Duration.ofSeconds(60)),
        "every datapoint stored once: " + server.countRows("datapoint") + " of " + day.size());
    assertTrue(
        Await.until(
            () -> {
              Integer a = server.get("/v1/spaces/A/count").json().getInteger("count");
              return a != null && a == contract.realtime("A");
            },
            Duration.ofSeconds(30)),
        "counted");
    for (String space : List.of("A", "B")) {
      CountAssertions.assertCountsLikeTheContract(
          server, contract, space, DAY, DAY.plus(Duration.ofDays(1)), Duration.ofHours(2));
    }
  }

  @Test
  @DisplayName("a message published while the server is stopped is counted once it is back")
  void whileStopped() {
    server.stop(); // its session stays at the broker, subscribed
    JsonObject datapoint =
        new JsonObject()
            .put("timestamp", "2024-09-02T08:00:00Z")
            .put("direction", 1)
            .put("dpu_id", "283");
    publish("datapoints/gateway-1", datapoint.encode());
    server.start();
    assertTrue(
        Await.until(
            () -> {
              Integer a = server.get("/v1/spaces/A/count").json().getInteger("count");
              return a != null && a == 1;
            },
            Duration.ofSeconds(30)),
        "counted after the restart");
    assertEquals(1, server.countRows("datapoint"));
  }

  @Test
  @DisplayName("malformed messages and bad items land on the rejected topic, with why")
  void rejected() {
    List<JsonObject> seen = new CopyOnWriteArrayList<>();
    MqttClient listener =
        MqttClient.create(
            vertx, new MqttClientOptions().setClientId("listener-" + UUID.randomUUID()));
    listener.publishHandler(m -> seen.add(new JsonObject(m.payload())));
    listener.connect(1883, "127.0.0.1").await();
    listener.subscribe(base + "rejected", 1).await();
    try {
      publish("datapoints/gateway-1", "{\"timestamp\": ");
      publish(
          "datapoints/gateway-1",
          new JsonArray()
              .add(
                  new JsonObject()
                      .put("timestamp", "2024-09-02T08:00:00Z")
                      .put("direction", 7)
                      .put("dpu_id", "283"))
              .add(
                  new JsonObject()
                      .put("timestamp", "2024-09-02T08:00:01Z")
                      .put("direction", 1)
                      .put("dpu_id", "283"))
              .encode());
      assertTrue(
          Await.until(() -> seen.size() >= 2, Duration.ofSeconds(30)), "two rejections: " + seen);
      assertTrue(
          seen.stream().anyMatch(r -> r.getString("error").contains("not valid JSON")), "" + seen);
      JsonObject badItem =
          seen.stream().filter(r -> "direction".equals(r.getString("field"))).findFirst().get();
      assertEquals(0, badItem.getInteger("index"));
      assertEquals(base + "datapoints/gateway-1", badItem.getString("topic"));
      assertTrue(
          Await.until(() -> server.countRows("datapoint") == 1, Duration.ofSeconds(30)),
          "the good item of the second message is stored, nothing else");
    } finally {
      listener.disconnect().await();
    }
  }
}
