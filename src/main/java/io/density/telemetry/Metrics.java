package io.density.telemetry;

import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.composite.CompositeMeterRegistry;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import io.vertx.core.Vertx;
import io.vertx.core.VertxOptions;
import io.vertx.micrometer.Label;
import io.vertx.micrometer.MetricsDomain;
import io.vertx.micrometer.MicrometerMetricsOptions;
import io.vertx.micrometer.VertxPrometheusOptions;
import io.vertx.micrometer.backends.BackendRegistries;
import java.util.UUID;

/**
 * The node's metrics: Vert.x's own (HTTP, event bus, pools) and the server's, in one Prometheus
 * registry per Vert.x instance, served on {@code GET /metrics}. The server's figures are named
 * {@code density_*}.
 */
public final class Metrics {
  private Metrics() {}

  private static final String KEY = "metrics-registry";

  /** A registry that records nothing, for a Vert.x made without metrics. */
  private static final MeterRegistry NONE = new CompositeMeterRegistry();

  /**
   * Options that turn metrics on, with a registry of this Vert.x instance's own. The Redis and SQL
   * clients' figures carry their client's name ({@code client_namespace}, see {@code
   * db/Connections}). Vert.x's net client figures are left out: every client registers the same
   * unlabelled gauge of active connections, which Micrometer keeps for the first only, and their
   * bytes read stayed at 0 while the clients read.
   */
  public static VertxOptions enable(VertxOptions options) {
    return options.setMetricsOptions(
        new MicrometerMetricsOptions()
            .setEnabled(true)
            .setJvmMetricsEnabled(true)
            .addDisabledMetricsCategory(MetricsDomain.NET_CLIENT)
            .addLabels(Label.NAMESPACE)
            .setRegistryName("density-" + UUID.randomUUID())
            .setPrometheusOptions(new VertxPrometheusOptions().setEnabled(true)));
  }

  /** Remembers which registry a Vert.x made with {@link #enable} uses. */
  public static Vertx remember(Vertx vertx, VertxOptions options) {
    if (options.getMetricsOptions() instanceof MicrometerMetricsOptions m) {
      vertx.sharedData().getLocalMap("density.node").put(KEY, m.getRegistryName());
    }
    return vertx;
  }

  /** The registry of this Vert.x instance (one that records nothing when metrics are off). */
  public static MeterRegistry of(Vertx vertx) {
    Object name = vertx.sharedData().getLocalMap("density.node").get(KEY);
    MeterRegistry registry = name == null ? null : BackendRegistries.getNow((String) name);
    return registry == null ? NONE : registry;
  }

  /** The Prometheus registry to scrape, or null when metrics are off. */
  public static PrometheusMeterRegistry prometheus(Vertx vertx) {
    return of(vertx) instanceof PrometheusMeterRegistry p ? p : null;
  }
}
