package io.density.config;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.vertx.core.json.JsonObject;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

@DisplayName("Configuration: environment variables by one rule, and the older names as aliases")
class EnvironmentNamesTest {

  /** The value the loaded configuration holds for a key. */
  private static Object valueOf(DensityConfig config, String key) {
    JsonObject json = config.toJson();
    int dot = key.indexOf('.');
    return dot < 0
        ? json.getValue(key)
        : json.getJsonObject(key.substring(0, dot)).getValue(key.substring(dot + 1));
  }

  @Test
  @DisplayName("the rule: DENSITY_, then the key's section and words, upper-case, joined by _")
  void rule() {
    assertEquals(
        "DENSITY_INGEST_OUT_OF_ORDER_WINDOW_MS",
        EnvironmentNames.nameOf("ingest.outOfOrderWindowMs"));
    assertEquals("DENSITY_HTTP_PORT", EnvironmentNames.nameOf("http.port"));
    assertEquals("DENSITY_MQTT_REJECTED_TOPIC", EnvironmentNames.nameOf("mqtt.rejectedTopic"));
    assertEquals("DENSITY_ROLES", EnvironmentNames.nameOf("roles"));
  }

  @Test
  @DisplayName("a key without an alias is set by its rule name, read as the key's type")
  void ruleNamesSetTheirKeys() {
    DensityConfig config =
        DensityConfig.load(
            Map.of(
                "DENSITY_INGEST_OUT_OF_ORDER_WINDOW_MS", "2500",
                "DENSITY_HTTP_INSTANCES", " 3 ",
                "DENSITY_ALERTS_WEBHOOK_ATTEMPTS", "9",
                "DENSITY_INGEST_EARLIEST_TIMESTAMP", "2010-01-01T00:00:00Z",
                "DENSITY_LOGGING_ACCESS", "TRUE",
                "DENSITY_AUTH_ENABLED", "off",
                "DENSITY_POSTGRES_URL", "postgresql://u@db.example:5433/x"));
    assertEquals(2500L, config.ingest().outOfOrderWindowMs());
    assertEquals(3, config.http().instances());
    assertEquals(9, config.alerts().webhookAttempts());
    assertEquals("2010-01-01T00:00:00Z", config.ingest().earliestTimestamp());
    assertTrue(config.logging().access());
    assertEquals(false, config.auth().enabled());
    assertEquals("postgresql://u@db.example:5433/x", config.postgres().url());
  }

  @Test
  @DisplayName("a key of a section inside a section: its name has both (DENSITY_EGRESS_NATS_URL)")
  void nestedSections() {
    assertEquals("DENSITY_EGRESS_NATS_URL", EnvironmentNames.nameOf("egress.nats.url"));
    assertTrue(EnvironmentNames.keys().contains("egress.nats.maxAgeSeconds"));
    DensityConfig config =
        DensityConfig.load(
            Map.of(
                "DENSITY_EGRESS_NATS_URL", "tls://nats.example:4222",
                "DENSITY_EGRESS_NATS_TOKEN", "t0k",
                "DENSITY_EGRESS_NATS_MAX_AGE_SECONDS", "3600"));
    assertEquals("tls://nats.example:4222", config.egress().nats().url());
    assertEquals("t0k", config.egress().nats().token());
    assertEquals(3600L, config.egress().nats().maxAgeSeconds());
    assertEquals("DENSITY", config.egress().nats().stream(), "the others keep their defaults");
    JsonObject file = DensityConfig.load(Map.of()).toJson();
    file.remove("egress");
    assertTrue(
        !DensityConfig.fromJson(file).egress().nats().enabled(), "no egress section: no NATS");
    file.put("egress", new JsonObject().put("nats", new JsonObject().put("url", "nats://n:4222")));
    DensityConfig.Egress.Nats partial = DensityConfig.fromJson(file).egress().nats();
    assertEquals(DensityConfig.Egress.Nats.DEFAULT_ACK_TIMEOUT_MS, partial.ackTimeoutMs());
    assertEquals("density", partial.subjectPrefix(), "a setting left out takes its default");
    IllegalArgumentException wrong =
        assertThrows(
            IllegalArgumentException.class,
            () -> DensityConfig.load(Map.of("DENSITY_EGRESS_NATS_URL", "http://nats.example")));
    assertTrue(wrong.getMessage().contains("DENSITY_EGRESS_NATS_URL"), wrong.getMessage());
  }

  @Test
  @DisplayName("every environment name of the releases before the rule still sets its key")
  void aliasesKeepWorking() {
    Map<String, List<Object>> given =
        Map.ofEntries(
            Map.entry(
                "DENSITY_PG_URL", List.of("postgresql://u@db.example:5432/d", "postgres.url")),
            Map.entry("DENSITY_REDIS_PREFIX", List.of("t:", "redis.keyPrefix")),
            Map.entry("DENSITY_CORS_ORIGINS", List.of("https://a.example", "http.corsOrigins")),
            Map.entry("DENSITY_TRUSTED_PROXIES", List.of("10.0.0.0/8", "http.trustedProxies")),
            Map.entry("DENSITY_RETENTION_DAYS", List.of(30, "ingest.retentionDays")),
            Map.entry("DENSITY_INSERTERS", List.of("every", "ingest.inserters")),
            Map.entry("DENSITY_WEBHOOK_MAX_PENDING", List.of(7, "alerts.maxPendingDeliveries")),
            Map.entry(
                "DENSITY_WEBHOOK_PRIVATE_TARGETS", List.of(true, "alerts.webhookPrivateTargets")),
            Map.entry("DENSITY_HEALTH_CHECK_MS", List.of(250, "alerts.healthCheckMs")),
            Map.entry("DENSITY_FLOOD_WINDOW_SECONDS", List.of(30, "alerts.floodWindowSeconds")),
            Map.entry("DENSITY_CLUSTER", List.of(true, "cluster.enabled")),
            Map.entry("DENSITY_AUTH", List.of(false, "auth.enabled")),
            Map.entry("DENSITY_LOG_FORMAT", List.of("json", "logging.format")),
            Map.entry("DENSITY_ACCESS_LOG", List.of(true, "logging.access")));
    given.forEach(
        (alias, valueAndKey) -> {
          Object value = valueAndKey.get(0);
          String key = (String) valueAndKey.get(1);
          String text = value instanceof Boolean b ? (b ? "on" : "off") : value.toString();
          DensityConfig config = DensityConfig.load(Map.of(alias, text));
          assertEquals(value, valueOf(config, key), alias + " sets " + key);
          assertTrue(EnvironmentNames.namesOf(key).contains(alias), alias + " is documented");
        });
    DensityConfig tls =
        DensityConfig.load(
            Map.of("DENSITY_TLS_CERT", "/etc/c.pem", "DENSITY_TLS_KEY", "/etc/k.pem"));
    assertEquals("/etc/c.pem", tls.http().tlsCertFile());
    assertEquals("/etc/k.pem", tls.http().tlsKeyFile());
    // Names that were the rule's already, as a deployment sets them.
    DensityConfig ruleNames =
        DensityConfig.load(
            Map.of(
                "DENSITY_HTTP_PORT", "9090",
                "DENSITY_REDIS_URL", "redis://cache.example:6380",
                "DENSITY_CLUSTER_NAME", "c7",
                "DENSITY_MQTT_URL", "mqtt://broker.example",
                "DENSITY_ROLES", "http,query"));
    assertEquals(9090, ruleNames.http().port());
    assertEquals("redis://cache.example:6380", ruleNames.redis().url());
    assertEquals("c7", ruleNames.cluster().name());
    assertEquals("mqtt://broker.example", ruleNames.mqtt().url());
    assertEquals(List.of("http", "query"), ruleNames.roleList());
    // And no alias is left out of the test above.
    java.util.Set<String> tested = new java.util.TreeSet<>(given.keySet());
    tested.addAll(List.of("DENSITY_TLS_CERT", "DENSITY_TLS_KEY"));
    assertEquals(tested, EnvironmentNames.aliases().keySet());
  }

  @Test
  @DisplayName("a key's rule name and alias agreeing are taken; disagreeing, both are named")
  void ruleNameAndAliasTogether() {
    assertEquals(
        "postgresql://u@db.example:5432/d",
        DensityConfig.load(
                Map.of(
                    "DENSITY_PG_URL", "postgresql://u@db.example:5432/d",
                    "DENSITY_POSTGRES_URL", "postgresql://u@db.example:5432/d"))
            .postgres()
            .url());
    IllegalArgumentException e =
        assertThrows(
            IllegalArgumentException.class,
            () ->
                DensityConfig.load(
                    Map.of(
                        "DENSITY_PG_URL", "postgresql://u@a.example:5432/d",
                        "DENSITY_POSTGRES_URL", "postgresql://u@b.example:5432/d")));
    assertTrue(
        e.getMessage().contains("DENSITY_POSTGRES_URL")
            && e.getMessage().contains("DENSITY_PG_URL"),
        e.getMessage());
  }

  @Test
  @DisplayName("a value not of the key's type is refused, naming the variable; blank sets nothing")
  void badValues() {
    IllegalArgumentException number =
        assertThrows(
            IllegalArgumentException.class,
            () -> DensityConfig.load(Map.of("DENSITY_INGEST_MAX_BATCH", "lots")));
    assertTrue(number.getMessage().contains("DENSITY_INGEST_MAX_BATCH"), number.getMessage());
    IllegalArgumentException tooBig =
        assertThrows(
            IllegalArgumentException.class,
            () -> DensityConfig.load(Map.of("DENSITY_HTTP_PORT", "99999999999")));
    assertTrue(tooBig.getMessage().contains("DENSITY_HTTP_PORT"), tooBig.getMessage());
    IllegalArgumentException onOff =
        assertThrows(
            IllegalArgumentException.class,
            () -> DensityConfig.load(Map.of("DENSITY_CLUSTER", "maybe")));
    assertTrue(
        onOff.getMessage().contains("DENSITY_CLUSTER must be on or off"), onOff.getMessage());
    assertEquals(8080, DensityConfig.load(Map.of("DENSITY_HTTP_PORT", "  ")).http().port());
  }
}
