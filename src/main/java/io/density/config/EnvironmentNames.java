package io.density.config;

import io.vertx.core.json.JsonObject;
import java.lang.reflect.RecordComponent;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;

/**
 * The environment variables that override the configuration: one name per key by one rule, plus the
 * older names that keep working as aliases. A new setting of {@link DensityConfig} gets its
 * variable from the rule, with nothing to add here.
 *
 * <p>The rule: {@code DENSITY_}, then the key with its section, each word upper-case and joined by
 * {@code _}: {@code ingest.outOfOrderWindowMs} is {@code DENSITY_INGEST_OUT_OF_ORDER_WINDOW_MS},
 * {@code egress.nats.url} is {@code DENSITY_EGRESS_NATS_URL}, {@code roles} is {@code
 * DENSITY_ROLES}. A value is read as the key's type: a number, {@code on}/{@code off} ({@code
 * true}/{@code false}) or text; a blank value is no value.
 */
public final class EnvironmentNames {
  /** Names that predate the rule, each with the key it sets. */
  static final Map<String, String> ALIASES =
      new TreeMap<>(
          Map.ofEntries(
              Map.entry("DENSITY_TLS_CERT", "http.tlsCertFile"),
              Map.entry("DENSITY_TLS_KEY", "http.tlsKeyFile"),
              Map.entry("DENSITY_CORS_ORIGINS", "http.corsOrigins"),
              Map.entry("DENSITY_TRUSTED_PROXIES", "http.trustedProxies"),
              Map.entry("DENSITY_PG_URL", "postgres.url"),
              Map.entry("DENSITY_REDIS_PREFIX", "redis.keyPrefix"),
              Map.entry("DENSITY_RETENTION_DAYS", "ingest.retentionDays"),
              Map.entry("DENSITY_INSERTERS", "ingest.inserters"),
              Map.entry("DENSITY_WEBHOOK_MAX_PENDING", "alerts.maxPendingDeliveries"),
              Map.entry("DENSITY_WEBHOOK_PRIVATE_TARGETS", "alerts.webhookPrivateTargets"),
              Map.entry("DENSITY_HEALTH_CHECK_MS", "alerts.healthCheckMs"),
              Map.entry("DENSITY_FLOOD_WINDOW_SECONDS", "alerts.floodWindowSeconds"),
              Map.entry("DENSITY_CLUSTER", "cluster.enabled"),
              Map.entry("DENSITY_AUTH", "auth.enabled"),
              Map.entry("DENSITY_LOG_FORMAT", "logging.format"),
              Map.entry("DENSITY_ACCESS_LOG", "logging.access")));

  private static final Map<String, Class<?>> KEYS = keysOf(DensityConfig.class);

  static {
    ALIASES.forEach(
        (alias, key) -> {
          if (!KEYS.containsKey(key)) {
            throw new IllegalStateException(alias + " is an alias of " + key + ", no key");
          }
        });
  }

  private EnvironmentNames() {}

  /** Every configuration key, {@code section.name} or a top-level name, in declaration order. */
  public static List<String> keys() {
    return List.copyOf(KEYS.keySet());
  }

  /** The variable the rule gives a key. */
  public static String nameOf(String key) {
    StringBuilder name = new StringBuilder("DENSITY_");
    for (char c : key.toCharArray()) {
      if (c == '.') {
        name.append('_');
      } else if (Character.isUpperCase(c)) {
        name.append('_').append(c);
      } else {
        name.append(Character.toUpperCase(c));
      }
    }
    return name.toString();
  }

  /** The variables that set a key: the rule's name, then its aliases. */
  public static List<String> namesOf(String key) {
    List<String> names = new ArrayList<>(List.of(nameOf(key)));
    ALIASES.forEach(
        (alias, aliased) -> {
          if (aliased.equals(key)) {
            names.add(alias);
          }
        });
    return names;
  }

  /** Every alias, with the key it sets. */
  public static Map<String, String> aliases() {
    return ALIASES;
  }

  /**
   * Puts into {@code json} (the configuration file's content) every key that {@code env} sets. Two
   * names of one key given different values are refused: neither can be the one meant.
   */
  static void apply(JsonObject json, Map<String, String> env) {
    KEYS.forEach(
        (key, type) -> {
          String name = null;
          String value = null;
          for (String candidate : namesOf(key)) {
            String given = env.get(candidate);
            if (given == null || given.isBlank()) {
              continue;
            }
            if (value != null && !value.trim().equals(given.trim())) {
              throw new IllegalArgumentException(
                  name + " and " + candidate + " both set " + key + ", to different values");
            }
            name = name == null ? candidate : name;
            value = value == null ? given : value;
          }
          if (value != null) {
            put(json, key, read(key, name, type, value.trim()));
          }
        });
  }

  private static Object read(String key, String name, Class<?> type, String value) {
    if (type == boolean.class || type == Boolean.class) {
      String v = value.toLowerCase(Locale.ROOT);
      if (!List.of("on", "off", "true", "false").contains(v)) {
        throw new IllegalArgumentException(
            name + " must be on or off (true or false), not " + value);
      }
      return v.equals("on") || v.equals("true");
    }
    if (type == int.class || type == Integer.class || type == long.class || type == Long.class) {
      try {
        long number = Long.parseLong(value);
        boolean isInt = type == int.class || type == Integer.class;
        if (isInt && (number < Integer.MIN_VALUE || number > Integer.MAX_VALUE)) {
          throw new NumberFormatException();
        }
        return number;
      } catch (NumberFormatException e) {
        throw new IllegalArgumentException(key + " (" + name + ") must be a number: " + value);
      }
    }
    return value;
  }

  private static void put(JsonObject json, String key, Object value) {
    String[] path = key.split("\\.");
    JsonObject slice = json;
    for (int i = 0; i < path.length - 1; i++) {
      JsonObject inner = slice.getJsonObject(path[i]);
      if (inner == null) {
        inner = new JsonObject();
        slice.put(path[i], inner);
      }
      slice = inner;
    }
    slice.put(path[path.length - 1], value);
  }

  /**
   * The keys of a configuration record: its plain components, and those of its sections, and of
   * their sections in turn ({@code egress.nats.url}).
   */
  private static Map<String, Class<?>> keysOf(Class<?> config) {
    Map<String, Class<?>> keys = new LinkedHashMap<>();
    addKeys(keys, "", config);
    return keys;
  }

  private static void addKeys(Map<String, Class<?>> keys, String prefix, Class<?> record) {
    for (RecordComponent component : record.getRecordComponents()) {
      String key = prefix + component.getName();
      if (component.getType().isRecord()) {
        addKeys(keys, key + ".", component.getType());
      } else {
        keys.put(key, component.getType());
      }
    }
  }
}
