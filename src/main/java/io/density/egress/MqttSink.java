package io.density.egress;

import io.density.config.DensityConfig;
import io.netty.handler.codec.mqtt.MqttQoS;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.mqtt.MqttClient;
import io.vertx.mqtt.MqttClientOptions;
import java.net.URI;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.logging.Logger;

/**
 * Publishes to an MQTT broker: the count of each space retained, QoS 1, on {@code
 * <prefix>/spaces/<space>/count}, so a subscriber gets the current count at once; alerts, not
 * retained, on {@code <prefix>/alerts/spaces/<space>} and {@code <prefix>/alerts/dpus/<dpu>}. Ids
 * are encoded with {@link TopicIds}. MQTT carries state, so the changes of a space given at once
 * are coalesced to the last one, and a publish waits until {@code minIntervalMs} after the one
 * before: at most one message per space per interval, always ending on the latest count. Its own
 * client id, a clean session: nothing is kept at the broker for it but the retained counts.
 */
final class MqttSink implements Sink {
  private static final Logger LOG = Logger.getLogger(MqttSink.class.getName());

  /** How long the broker has to acknowledge a message before the publish fails (seconds). */
  private static final int ACK_TIMEOUT_SECONDS = 10;

  private final Vertx vertx;
  private final DensityConfig.Egress.Mqtt config;
  private final URI broker;
  private final MqttClient client;

  /** Messages sent and not acknowledged yet, by packet id. */
  private final Map<Integer, Promise<Void>> unacknowledged = new HashMap<>();

  /** Acknowledgements that came before their publish was told its packet id. */
  private final Set<Integer> early = new HashSet<>();

  private long lastPublish;
  private String problem;
  private Future<Void> connecting;
  private boolean closing;

  MqttSink(Vertx vertx, DensityConfig.Egress.Mqtt config, String url, int maxInFlight) {
    this.vertx = vertx;
    this.config = config;
    this.broker = URI.create(url);
    MqttClientOptions options =
        new MqttClientOptions()
            .setClientId(config.clientId())
            .setCleanSession(true)
            .setKeepAliveInterval(30)
            .setAckTimeout(ACK_TIMEOUT_SECONDS)
            .setMaxInflightQueue(Math.max(maxInFlight, 16))
            .setSsl(url.startsWith("mqtts:"));
    String userInfo = broker.getUserInfo();
    if (userInfo != null) {
      int colon = userInfo.indexOf(':');
      options.setUsername(colon < 0 ? userInfo : userInfo.substring(0, colon));
      if (colon >= 0) {
        options.setPassword(userInfo.substring(colon + 1));
      }
    }
    client = MqttClient.create(vertx, options);
    client.publishCompletionHandler(this::acknowledged);
    client.publishCompletionExpirationHandler(
        id -> fail(id, "the broker did not acknowledge within " + ACK_TIMEOUT_SECONDS + " s"));
    client.closeHandler(
        v -> {
          if (closing) {
            return;
          }
          problem = "the connection to " + where() + " closed";
          LOG.warning(
              "egress mqtt: "
                  + problem
                  + "; connecting again, changes wait in the outbox meanwhile");
          List<Integer> ids = new ArrayList<>(unacknowledged.keySet());
          ids.forEach(id -> fail(id, problem));
          early.clear();
        });
  }

  @Override
  public String name() {
    return "mqtt";
  }

  /** Connects once at start, saying in one line why it cannot (the feed connects again). */
  Future<Void> start() {
    return connect()
        .onSuccess(
            v -> LOG.info("egress mqtt: publishing to " + where() + " as " + config.clientId()))
        .otherwiseEmpty();
  }

  @Override
  public Future<Void> publish(List<Change> changes) {
    List<Message> messages = coalesced(changes);
    long wait = lastPublish + config.minIntervalMs() - System.currentTimeMillis();
    Future<Void> ready = wait > 0 ? vertx.timer(wait).mapEmpty() : Future.succeededFuture();
    return ready.compose(v -> connect()).compose(v -> send(messages));
  }

  private Future<Void> send(List<Message> messages) {
    lastPublish = System.currentTimeMillis();
    List<Future<Void>> acks = new ArrayList<>();
    for (Message m : messages) {
      Promise<Void> acked = Promise.promise();
      acks.add(acked.future());
      client
          .publish(m.topic, Buffer.buffer(m.body), MqttQoS.AT_LEAST_ONCE, false, m.retain)
          .onSuccess(
              id -> {
                if (early.remove(id)) {
                  acked.tryComplete();
                } else {
                  unacknowledged.put(id, acked);
                }
              })
          .onFailure(acked::tryFail);
    }
    return Future.all(acks).mapEmpty();
  }

  private void acknowledged(int id) {
    Promise<Void> acked = unacknowledged.remove(id);
    if (acked == null) {
      early.add(id);
    } else {
      acked.tryComplete();
    }
  }

  private void fail(int id, String why) {
    Promise<Void> acked = unacknowledged.remove(id);
    if (acked != null) {
      acked.tryFail(why);
    }
  }

  /**
   * The messages for the changes: each space's last count (in the order of those last changes), and
   * every alert.
   */
  private List<Message> coalesced(List<Change> changes) {
    Map<String, Change> lastCount = new LinkedHashMap<>();
    List<Message> out = new ArrayList<>();
    for (Change c : changes) {
      if (c.kind() == Change.Kind.COUNT) {
        lastCount.remove(c.key());
        lastCount.put(c.key(), c);
      }
    }
    for (Change c : changes) {
      switch (c.kind()) {
        case COUNT -> {
          if (lastCount.get(c.key()) == c) {
            out.add(
                new Message(
                    config.topicPrefix() + "/spaces/" + TopicIds.encode(c.key()) + "/count",
                    c.body().encode(),
                    true));
          }
        }
        case SPACE_ALERT ->
            out.add(
                new Message(
                    config.topicPrefix() + "/alerts/spaces/" + TopicIds.encode(c.key()),
                    c.body().encode(),
                    false));
        case DPU_ALERT ->
            out.add(
                new Message(
                    config.topicPrefix() + "/alerts/dpus/" + TopicIds.encode(c.key()),
                    c.body().encode(),
                    false));
      }
    }
    return out;
  }

  private record Message(String topic, String body, boolean retain) {}

  /** Connects unless connected (one attempt at a time). */
  private Future<Void> connect() {
    if (client.isConnected()) {
      return Future.succeededFuture();
    }
    if (connecting == null) {
      int port =
          broker.getPort() >= 0
              ? broker.getPort()
              : broker.getScheme().equals("mqtts") ? 8883 : 1883;
      connecting =
          client
              .connect(port, broker.getHost())
              .<Void>mapEmpty()
              .onSuccess(v -> problem = null)
              .recover(
                  err -> {
                    String why = err.getMessage() == null ? err.toString() : err.getMessage();
                    String was = problem;
                    problem =
                        "cannot connect to " + where() + " as " + config.clientId() + ": " + why;
                    if (!problem.equals(was)) {
                      LOG.warning(
                          "egress mqtt: "
                              + problem
                              + "; counting goes on, and changes wait in the outbox until it can");
                    }
                    return Future.failedFuture(problem);
                  })
              .onComplete(ar -> connecting = null);
    }
    return connecting;
  }

  /** The broker's address, without credentials. */
  private String where() {
    return broker.getScheme()
        + "://"
        + broker.getHost()
        + (broker.getPort() >= 0 ? ":" + broker.getPort() : "");
  }

  @Override
  public String problem() {
    return problem;
  }

  @Override
  public Future<Void> close() {
    closing = true;
    return client.isConnected() ? client.disconnect() : Future.succeededFuture();
  }
}
