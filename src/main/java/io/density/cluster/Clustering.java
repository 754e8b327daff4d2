package io.density.cluster;

import com.hazelcast.config.Config;
import com.hazelcast.config.JoinConfig;
import io.density.config.DensityConfig;
import io.density.telemetry.Metrics;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.VertxOptions;
import io.vertx.core.eventbus.EventBusOptions;
import io.vertx.spi.cluster.hazelcast.ConfigUtil;
import java.util.Arrays;
import java.util.function.Consumer;

/**
 * The Vert.x instance of a node: standalone, or a member of a Hazelcast cluster whose event bus
 * carries datapoints, counts and queries between nodes. Correctness never rests on Hazelcast (the
 * community edition has no consensus): PostgreSQL decides duplicates and which node counts.
 */
public final class Clustering {
  private Clustering() {}

  public static Future<Vertx> vertx(DensityConfig.Cluster cluster) {
    return vertx(cluster, hazelcast -> {}, bus -> {});
  }

  /**
   * The same, with the Hazelcast and event-bus settings adjusted before the node starts: ports and
   * the addresses advertised to the other nodes, for a node reached through a NAT or a proxy.
   */
  public static Future<Vertx> vertx(
      DensityConfig.Cluster cluster, Consumer<Config> hazelcast, Consumer<EventBusOptions> bus) {
    if (!cluster.enabled()) {
      return Future.succeededFuture(standalone());
    }
    VertxOptions options = Metrics.enable(new VertxOptions());
    EventBusOptions busOptions =
        new EventBusOptions()
            .setHost(cluster.host())
            .setClusterPublicHost(cluster.host())
            .setPort(0);
    bus.accept(busOptions);
    options.setEventBusOptions(busOptions);
    Config config = hazelcast(cluster);
    hazelcast.accept(config);
    return Vertx.builder()
        .with(options)
        .withClusterManager(new ClusterManager(config))
        .buildClustered()
        .map(vertx -> Metrics.remember(vertx, options));
  }

  /** A Vert.x instance of its own, in no cluster, with the node's metrics. */
  public static Vertx standalone() {
    VertxOptions options = Metrics.enable(new VertxOptions());
    return Metrics.remember(Vertx.vertx(options), options);
  }

  /** Vert.x's own map settings (from its default cluster.xml), with our name and join. */
  static Config hazelcast(DensityConfig.Cluster cluster) {
    Config config = ConfigUtil.loadConfig();
    config.setClusterName(cluster.name());
    config.setProperty("hazelcast.logging.type", "jdk");
    config.setProperty("hazelcast.phone.home.enabled", "false");
    // Nodes split apart (a network fault that closed their connections) look for each other again
    // every few seconds, not after Hazelcast's default 5 minutes: until they merge, parts for the
    // shards of the other side find no owner and counting waits.
    config.setProperty("hazelcast.merge.first.run.delay.seconds", "5");
    config.setProperty("hazelcast.merge.next.run.delay.seconds", "5");
    config.getNetworkConfig().setPortAutoIncrement(true);
    config.getNetworkConfig().setPublicAddress(cluster.host());
    if (cluster.host().matches("[0-9.]+|.*:.*")) {
      // An address: bind that interface only (on one machine, cluster traffic stays on it).
      config.getNetworkConfig().getInterfaces().setEnabled(true).addInterface(cluster.host());
      config.setProperty("hazelcast.socket.bind.any", "false");
    }
    JoinConfig join = config.getNetworkConfig().getJoin();
    join.getMulticastConfig().setEnabled(false);
    switch (cluster.join()) {
      case "multicast" -> join.getMulticastConfig().setEnabled(true);
      case "kubernetes" -> join.getKubernetesConfig().setEnabled(true);
      case "tcp-ip" -> {
        join.getTcpIpConfig().setEnabled(true);
        Arrays.stream(cluster.members().split(","))
            .map(String::trim)
            .filter(m -> !m.isEmpty())
            .forEach(join.getTcpIpConfig()::addMember);
      }
      default ->
          throw new IllegalArgumentException(
              "cluster.join must be tcp-ip, multicast or kubernetes, not " + cluster.join());
    }
    return config;
  }
}
