package io.density.egress;

import io.density.config.DensityConfig;
import io.vertx.core.Vertx;
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
    return sinks;
  }
}
