package io.density.config;

import io.vertx.core.json.JsonObject;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;

/**
 * The whole configuration, read once at start: {@code conf/config.json} (or the file named by
 * {@code DENSITY_CONFIG}, or the copy built into the jar), then environment overrides. Each
 * verticle receives only its slice, as JSON, through its deployment options.
 */
public record DensityConfig(Http http, Postgres postgres, Redis redis, Ingest ingest) {

  /** The HTTP API: where it listens and how much one request may carry. */
  public record Http(String host, int port, int instances, int maxBodyBytes, int maxBatchItems) {}

  /** PostgreSQL, as a {@code postgresql://user:pass@host:port/db} URL. */
  public record Postgres(String url, int poolSize) {}

  /** Redis, as a {@code redis://host:port[/db]} URL; every key starts with keyPrefix. */
  public record Redis(String url, int poolSize, String keyPrefix) {}

  /** Group commit of datapoints and the rules applied to them. */
  public record Ingest(
      int maxBatch,
      int lingerMs,
      int maxPending,
      int maxFutureSkewSeconds,
      long recoveryIntervalMs,
      long dailyResetCheckMs,
      int retentionDays,
      long retentionCheckMs) {}

  public static DensityConfig load(Map<String, String> env) {
    JsonObject json = readFile(env.get("DENSITY_CONFIG"));
    override(json, "http", "port", env.get("DENSITY_HTTP_PORT"), true);
    override(json, "http", "host", env.get("DENSITY_HTTP_HOST"), false);
    override(json, "postgres", "url", env.get("DENSITY_PG_URL"), false);
    override(json, "redis", "url", env.get("DENSITY_REDIS_URL"), false);
    override(json, "redis", "keyPrefix", env.get("DENSITY_REDIS_PREFIX"), false);
    override(json, "ingest", "retentionDays", env.get("DENSITY_RETENTION_DAYS"), true);
    return fromJson(json);
  }

  public static DensityConfig fromJson(JsonObject json) {
    return json.mapTo(DensityConfig.class);
  }

  public JsonObject toJson() {
    return JsonObject.mapFrom(this);
  }

  public DensityConfig withPostgresUrl(String url) {
    return new DensityConfig(http, new Postgres(url, postgres.poolSize), redis, ingest);
  }

  public DensityConfig withRedisUrl(String url) {
    return new DensityConfig(
        http, postgres, new Redis(url, redis.poolSize, redis.keyPrefix), ingest);
  }

  public DensityConfig withHttpPort(int port) {
    return new DensityConfig(
        new Http(http.host, port, http.instances, http.maxBodyBytes, http.maxBatchItems),
        postgres,
        redis,
        ingest);
  }

  public DensityConfig withRetentionDays(int days) {
    Ingest i = ingest;
    return new DensityConfig(
        http,
        postgres,
        redis,
        new Ingest(
            i.maxBatch,
            i.lingerMs,
            i.maxPending,
            i.maxFutureSkewSeconds,
            i.recoveryIntervalMs,
            i.dailyResetCheckMs,
            days,
            i.retentionCheckMs));
  }

  public DensityConfig withRedisPrefix(String prefix) {
    return new DensityConfig(http, postgres, new Redis(redis.url, redis.poolSize, prefix), ingest);
  }

  private static JsonObject readFile(String explicitPath) {
    try {
      Path path = Path.of(explicitPath != null ? explicitPath : "conf/config.json");
      if (Files.isRegularFile(path)) {
        return new JsonObject(Files.readString(path));
      }
      if (explicitPath != null) {
        throw new IllegalArgumentException("DENSITY_CONFIG names no file: " + explicitPath);
      }
      try (InputStream in = DensityConfig.class.getResourceAsStream("/conf/config.json")) {
        if (in == null) {
          throw new IllegalStateException("no conf/config.json on disk or in the jar");
        }
        return new JsonObject(new String(in.readAllBytes(), StandardCharsets.UTF_8));
      }
    } catch (IOException e) {
      throw new IllegalStateException("cannot read the configuration: " + e.getMessage(), e);
    }
  }

  private static void override(
      JsonObject json, String section, String key, String value, boolean numeric) {
    if (value == null || value.isBlank()) {
      return;
    }
    JsonObject slice = json.getJsonObject(section);
    if (numeric) {
      try {
        slice.put(key, Integer.parseInt(value.trim()));
      } catch (NumberFormatException e) {
        throw new IllegalArgumentException(section + "." + key + " must be a number: " + value);
      }
    } else {
      slice.put(key, value.trim());
    }
  }
}
