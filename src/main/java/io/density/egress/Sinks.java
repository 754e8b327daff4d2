package io.density.egress;

import io.density.config.DensityConfig;
import io.vertx.core.Vertx;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

/** The sinks the configuration turns on: the one place where a broker is added to egress. */
final class Sinks {
  private Sinks() {}

  /** Each sink connects to its broker as it is made (saying in one line why it cannot). */
  static List<Sink> of(Vertx vertx, DensityConfig.Egress egress, DensityConfig.Mqtt ingest) {
    List<Sink> sinks = new ArrayList<>();
    if (egress.mqtt().enabled()) {
      MqttSink mqtt =
          new MqttSink(vertx, egress.mqtt(), egress.mqtt().brokerUrl(ingest), egress.maxInFlight());
      mqtt.start();
      sinks.add(mqtt);
    }
    if (egress.nats().enabled()) {
      // a change may be sent again until the backlog drops it: the stream's duplicate window
      sinks.add(
          NatsSink.start(vertx, egress.nats(), Duration.ofSeconds(egress.maxBacklogAgeSeconds())));
    }
    return sinks;
  }
}
