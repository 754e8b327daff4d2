package io.density.mqtt;

import io.density.bus.InvalidInput;
import io.density.config.DensityConfig;
import io.density.ingest.Datapoint;
import io.density.ingest.DatapointBody;
import io.density.ingest.DatapointParser;
import io.density.ingest.Inserter;
import io.density.telemetry.Metrics;
import io.density.time.Timestamps;
import io.micrometer.core.instrument.Counter;
import io.netty.handler.codec.mqtt.MqttQoS;
import io.vertx.core.Future;
import io.vertx.core.VerticleBase;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.mqtt.MqttClient;
import io.vertx.mqtt.MqttClientOptions;
import io.vertx.mqtt.messages.MqttPublishMessage;
import java.time.Clock;
import java.util.List;
import java.util.logging.Level;
import java.util.logging.Logger;

/**
 * MQTT ingest: subscribes to the datapoint topic with QoS 1 in a persistent session, so messages
 * published while the node is away wait at the broker. Each message holds one datapoint or a JSON
 * array of them, read and checked as {@code POST /v1/datapoints} reads them, and goes to the
 * inserter the same way. A message is acknowledged only once its datapoints are committed and
 * counted (or it holds nothing that could ever be stored); until then it is offered again, every
 * second or so, and a repeat is recognised like any resent datapoint. Rejected items are
 * republished, with why, to the rejected topic.
 *
 * <p>Config: {@code {mqtt, ingest, http, roles}} slices ({@code http.maxBatchItems} bounds a
 * message as it bounds a request).
 */
public final class MqttVerticle extends VerticleBase {
  private static final Logger LOG = Logger.getLogger(MqttVerticle.class.getName());
  private static final long MAX_RETRY_MS = 10_000;

  private DensityConfig.Mqtt config;
  private MqttClient client;
  private Inserter inserter;
  private Counter accepted;
  private Counter rejected;
  private Counter messagesRejected;
  private Counter retried;
  private boolean stopping;
  private int maxItems;

  @Override
  public Future<?> start() {
    config = config().getJsonObject("mqtt").mapTo(DensityConfig.Mqtt.class);
    DensityConfig.Ingest ingest =
        config().getJsonObject("ingest").mapTo(DensityConfig.Ingest.class);
    maxItems = config().getJsonObject("http").mapTo(DensityConfig.Http.class).maxBatchItems();
    inserter =
        new Inserter(vertx, ingest, config().getJsonArray("roles", new JsonArray()).getList());
    var registry = Metrics.of(vertx);
    String messages = "density_mqtt_messages";
    accepted = Counter.builder(messages).tag("result", "stored").register(registry);
    messagesRejected = Counter.builder(messages).tag("result", "rejected").register(registry);
    retried = Counter.builder(messages).tag("result", "retried").register(registry);
    rejected = Counter.builder("density_datapoints").tag("result", "rejected").register(registry);

    MqttClientOptions options =
        new MqttClientOptions()
            .setClientId(config.clientId())
            .setCleanSession(false) // messages wait at the broker while the node is away
            .setKeepAliveInterval(30)
            .setMaxInflightQueue(1000) // rejection reports not yet acknowledged by the broker
            .setSsl(config.tls());
    options.setAutoAck(false); // acknowledged once durable, not on arrival
    String userInfo = config.userInfo();
    if (userInfo != null) {
      int colon = userInfo.indexOf(':');
      options.setUsername(colon < 0 ? userInfo : userInfo.substring(0, colon));
      if (colon >= 0) {
        options.setPassword(userInfo.substring(colon + 1));
      }
    }
    client = MqttClient.create(vertx, options);
    client.publishHandler(this::received);
    client.closeHandler(v -> reconnectLater());
    return connect();
  }

  @Override
  public Future<?> stop() {
    stopping = true;
    // What is not acknowledged yet is delivered again when a node connects with this session.
    return client.isConnected() ? client.disconnect() : Future.succeededFuture();
  }

  private Future<Void> connect() {
    return client
        .connect(config.port(), config.host())
        .compose(ack -> client.subscribe(config.subscription(), MqttQoS.AT_LEAST_ONCE.value()))
        .onSuccess(
            id ->
                LOG.info(
                    "MQTT: subscribed to "
                        + config.subscription()
                        + " on "
                        + config.host()
                        + ":"
                        + config.port()))
        .mapEmpty();
  }

  private void reconnectLater() {
    if (stopping) {
      return;
    }
    LOG.warning("MQTT: the broker connection closed; connecting again in a second");
    vertx.setTimer(
        1_000,
        id ->
            connect()
                .onFailure(
                    err -> {
                      LOG.log(Level.WARNING, "MQTT: connecting failed: " + err.getMessage());
                      reconnectLater();
                    }));
  }

  private void received(MqttPublishMessage message) {
    long received = Timestamps.toMicros(Clock.systemUTC().instant());
    String text = message.payload().toString();
    List<DatapointBody.Item> items;
    try {
      items = DatapointBody.json(text);
    } catch (InvalidInput e) {
      // Never storable, however often it comes: said on the rejected topic, then acknowledged.
      messagesRejected.increment();
      rejected.increment();
      reject(message.topicName(), null, e.getMessage(), e.field(), text);
      message.ack();
      return;
    }
    if (items.size() > maxItems) {
      messagesRejected.increment();
      reject(
          message.topicName(),
          null,
          "at most " + maxItems + " datapoints per message, got " + items.size(),
          null,
          text);
      message.ack();
      return;
    }
    DatapointParser.Checked checked = inserter.parser().check(items, received);
    checked
        .rejected()
        .forEach(
            (i, e) -> {
              rejected.increment();
              reject(message.topicName(), i, e.getMessage(), e.field(), items.get(i).text());
            });
    if (checked.valid().isEmpty()) {
      messagesRejected.increment();
      message.ack();
      return;
    }
    store(message, checked.valid(), 500);
  }

  /** Stores the datapoints, then acknowledges the message; retried until it is stored. */
  private void store(MqttPublishMessage message, List<Datapoint> valid, long retryMs) {
    inserter
        .store(valid)
        .onSuccess(
            results -> {
              accepted.increment();
              message.ack();
            })
        .onFailure(
            err -> {
              if (stopping) {
                return; // not acknowledged: the broker delivers it again
              }
              retried.increment();
              LOG.fine("MQTT: storing a message failed, again in " + retryMs + " ms: " + err);
              vertx.setTimer(
                  retryMs, id -> store(message, valid, Math.min(MAX_RETRY_MS, retryMs * 2)));
            });
  }

  private void reject(String topic, Integer index, String error, String field, String item) {
    LOG.fine("MQTT: rejected an item of " + topic + ": " + error);
    JsonObject why =
        new JsonObject()
            .put("topic", topic)
            .put("index", index)
            .put("error", error)
            .put("field", field)
            .put("item", item.length() > 4096 ? item.substring(0, 4096) : item);
    client
        .publish(
            config.rejectedTopic(),
            Buffer.buffer(why.encode()),
            MqttQoS.AT_LEAST_ONCE,
            false,
            false)
        .onFailure(err -> LOG.fine("MQTT: publishing a rejection failed: " + err.getMessage()));
  }
}
