package io.density;

import static io.density.support.Hostile.quote;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.fail;

import io.density.counter.DpuTotals;
import io.density.counter.SpaceState;
import io.density.support.Hostile;
import io.density.support.TestServer;
import io.vertx.core.json.DecodeException;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.redis.client.Command;
import io.vertx.redis.client.Request;
import io.vertx.redis.client.Response;
import java.io.IOException;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.net.http.HttpTimeoutException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.TreeMap;
import java.util.function.Function;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInfo;

/**
 * Properties over every HTTP route: random and hostile bodies, paths and query strings never get a
 * 5xx or a hang, every refusal is a 4xx with the JSON error body, and nothing is ever stored.
 *
 * <p>Each property sends a few hundred generated requests. Requests to routes that write are
 * generated invalid by construction (a field, the id, the content type or the JSON itself is
 * wrong), so any success there, or any change to a table or a Redis key, is a bug. The seed is
 * fixed so a run is reproducible; {@code -Ddensity.properties.seed=N} (or {@code random}) explores
 * others and {@code -Ddensity.properties.tries=N} changes the tries per property. A failure names
 * the seed, the try and the request.
 */
@DisplayName("Random and hostile requests: never a 5xx or a hang, never anything stored")
class HostileInputPropertiesTest {
  private static final Duration DEADLINE = Duration.ofSeconds(10);
  private static final long SEED = seed();
  private static final int TRIES = Integer.getInteger("density.properties.tries", 250);

  /** Every stored table but {@code instance} (one row the schema writes). */
  private static final String[] TABLES = {
    "space",
    "doorway",
    "dpu",
    "link",
    "datapoint",
    "datapoint_id_key",
    "space_count",
    "uncounted_batch",
    "space_reset",
    "alert_rule",
    "alert",
    "dpu_alert_rule",
    "dpu_alert_state",
    "webhook",
    "api_token"
  };

  private static TestServer server;
  private static HttpClient http;
  private static Map<String, String> stored;
  private String property;

  @BeforeAll
  static void start() {
    server = new TestServer().start();
    server.provisionSeedBuilding();
    require(server.postJson("/send", datapoint("2018-02-24T08:45:21.893Z", "1", "283")));
    require(
        server.putJson(
            "/v1/spaces/A/alerts",
            new JsonObject()
                .put(
                    "levels",
                    new JsonArray().add(new JsonObject().put("name", "busy").put("level", 25)))));
    require(
        server.putJson(
            "/v1/webhooks/ops", new JsonObject().put("url", "http://127.0.0.1:9/density")));
    // Sensor-health rules that never fire, so that their tables hold still.
    require(
        server.putJson(
            "/v1/dpus/283/alerts",
            new JsonObject()
                .put(
                    "rules",
                    new JsonArray()
                        .add(new JsonObject().put("kind", "flood").put("threshold", 1_000_000))
                        .add(
                            new JsonObject()
                                .put("kind", "imbalance")
                                .put("threshold", 1_000_000)))));
    http =
        HttpClient.newBuilder()
            .version(HttpClient.Version.HTTP_1_1)
            .connectTimeout(DEADLINE)
            .build();
    stored = stored();
  }

  @AfterAll
  static void stop() {
    if (server != null) {
      server.close();
    }
  }

  @AfterEach
  void nothingStored() {
    assertEquals(stored, stored(), property + ": tables or Redis keys changed (seed " + SEED + ")");
  }

  // ------------------------------------------------------------------ datapoints

  private static final Map<String, Function<Hostile, String>> DATAPOINT =
      fields(
          "timestamp", h -> quote("2018-02-24T09:00:00Z"),
          "direction", h -> h.oneOf("1", "-1", "\"1\"", "\"+1\""),
          "dpu_id", h -> h.oneOf("\"283\"", "283", "\"new-dpu\""),
          "id", h -> quote("dp-" + h.between(0, 9)));

  /** A datapoint that cannot be valid: its direction is never +1 or -1. */
  private static String badDatapoint(Hostile h) {
    String direction =
        h.oneOf(
            "0",
            "2",
            "-2",
            "7",
            "\"0\"",
            "\"up\"",
            "true",
            "[]",
            "{}",
            "1.5",
            "\"1.0\"",
            "1e400",
            "\"\"",
            "null",
            "9223372036854775808",
            quote(notADirection(h.string())));
    return h.with(h.object(DATAPOINT), "direction", direction);
  }

  private static String notADirection(String s) {
    return List.of("1", "+1", "-1").contains(s.trim()) ? "up" : s;
  }

  @Test
  @DisplayName("POST /send")
  void send(TestInfo info) {
    check(
        info,
        TRIES,
        h ->
            new Req(
                "POST",
                "/send" + h.query("dpu_id", "x"),
                contentType(h),
                writeBody(h, HostileInputPropertiesTest::badDatapoint)));
  }

  @Test
  @DisplayName("POST /v1/datapoints, as a JSON array and as NDJSON")
  void datapoints(TestInfo info) {
    check(
        info,
        TRIES,
        h -> {
          if (h.chance(0.3)) {
            return new Req(
                "POST",
                "/v1/datapoints",
                contentType(h),
                writeBody(h, HostileInputPropertiesTest::badDatapoint));
          }
          List<String> items = new ArrayList<>();
          int n = h.between(0, 20);
          for (int i = 0; i < n; i++) {
            items.add(h.chance(0.8) ? badDatapoint(h) : h.chance(0.5) ? h.value(2) : h.deep());
          }
          boolean ndjson = h.chance(0.5);
          String body =
              ndjson
                  ? String.join(h.oneOf("\n", "\r\n", "\n\n"), items)
                  : "[" + String.join(",", items) + "]";
          String type =
              ndjson
                  ? h.oneOf(
                      "application/x-ndjson",
                      "application/jsonl",
                      "application/x-ndjson; charset=utf-8")
                  : h.oneOf(
                      "application/json", "application/json;charset=UTF-8", "APPLICATION/JSON");
          Req req = new Req("POST", "/v1/datapoints" + h.query("x"), type, utf8(body));
          return items.isEmpty() ? req.mayWrite() : req; // nothing to write: 200, nothing written
        });
  }

  // ------------------------------------------------------------------ the building

  private static final Map<String, Function<Hostile, String>> SPACE =
      fields(
          "name", h -> quote("Space"),
          "parent_id", h -> h.oneOf("null", "\"A\"", "\"B\""),
          "time_zone", h -> quote("Europe/Paris"),
          "capacity", h -> "40",
          "clamp", h -> "true",
          "daily_reset", h -> h.oneOf("null", "\"04:00\""));

  private static final Map<String, Function<Hostile, String>> NAMED =
      fields("name", h -> quote("over Z"));

  private static final Map<String, Function<Hostile, String>> LINK =
      fields(
          "dpu_id", h -> h.oneOf("\"283\"", "\"423\""),
          "doorway_id", h -> h.oneOf("\"X\"", "\"Z\""),
          "space_id", h -> h.oneOf("\"A\"", "\"B\""),
          "sensor_placement", h -> h.oneOf("1", "-1", "\"+1\""),
          "valid_from", h -> quote("2018-01-01T00:00:00Z"),
          "valid_to", h -> "null");

  /** A body that breaks one rule of the kind whatever its other fields hold. */
  private static String badBuildingItem(Hostile h, String kind, boolean withId) {
    Map<String, Function<Hostile, String>> fields =
        switch (kind) {
          case "spaces" -> SPACE;
          case "links" -> LINK;
          default -> NAMED;
        };
    String object = h.object(withId ? withId(fields) : fields);
    if (withId && h.chance(0.3)) {
      return h.with(
          object, "id", h.chance(0.8) ? quote(h.badId()) : h.oneOf("null", "{}", "[]", "true"));
    }
    return switch (kind) {
      case "spaces" ->
          switch (h.between(0, 4)) {
            case 0 ->
                h.with(
                    object, "capacity", h.oneOf("-1", "1.5", "\"10\"", "true", "2147483648", "{}"));
            case 1 ->
                h.with(
                    object,
                    "time_zone",
                    h.oneOf("\"Mars/Olympus\"", "5", "\"\"", "\"UTC+99\"", "[]"));
            case 2 -> h.with(object, "clamp", h.oneOf("\"yes\"", "1", "[]", "{}"));
            case 3 ->
                h.with(
                    object, "daily_reset", h.oneOf("\"25:00\"", "\"4h\"", "4", "\"04:00:00:00\""));
            default -> h.with(object, "name", badName(h));
          };
      case "links" ->
          h.with(
              object, "sensor_placement", h.oneOf("0", "2", "\"x\"", "true", "null", "1.5", "[]"));
      default -> h.with(object, "name", badName(h));
    };
  }

  private static String badName(Hostile h) {
    return h.oneOf(
        quote("a\u0000b"),
        quote("\ud800"),
        quote("b\udc00"),
        quote("n".repeat(201)),
        "5",
        "[]",
        "{}",
        "true");
  }

  @Test
  @DisplayName("PUT /v1/spaces|doorways|dpus/{id}: bad ids and bad bodies")
  void putBuilding(TestInfo info) {
    check(
        info,
        TRIES,
        h -> {
          String kind = h.oneOf("spaces", "doorways", "dpus");
          if (h.chance(0.3)) {
            // a bad id, whatever the body (an empty one included)
            byte[] body = h.chance(0.3) ? new byte[0] : utf8(h.object(fields(kind)));
            return new Req(
                "PUT", "/v1/" + kind + "/" + h.badSegment() + h.query("x"), contentType(h), body);
          }
          return new Req(
              "PUT",
              "/v1/" + kind + "/" + h.segment() + h.query("name", "x"),
              contentType(h),
              writeBody(h, g -> badBuildingItem(g, kind, false)));
        });
  }

  @Test
  @DisplayName("POST /v1/links and POST /v1/dpus/{id}/move")
  void linksAndMoves(TestInfo info) {
    check(
        info,
        TRIES,
        h -> {
          if (h.chance(0.5)) {
            return new Req(
                "POST",
                "/v1/links" + h.query("x"),
                contentType(h),
                writeBody(h, g -> badBuildingItem(g, "links", false)));
          }
          Function<Hostile, String> badMove =
              g -> {
                String move =
                    g.object(
                        fields(
                            "doorway_id", x -> "\"W\"",
                            "at", x -> quote("2018-02-26T12:00:00Z"),
                            "links", x -> "[{\"space_id\":\"A\",\"sensor_placement\":1}]"));
                return switch (g.between(0, 3)) {
                  case 0 ->
                      g.with(
                          move,
                          "links",
                          g.oneOf(
                              "[]",
                              "\"A\"",
                              "5",
                              "{}",
                              "[5]",
                              "[{\"space_id\":\"A\",\"sensor_placement\":0}]",
                              "[{\"space_id\":" + quote(g.badId()) + ",\"sensor_placement\":1}]",
                              "[{\"space_id\":\"A\",\"sensor_placement\":1},{\"space_id\":\"A\",\"sensor_placement\":-1}]"));
                  case 1 ->
                      g.with(
                          move,
                          "at",
                          g.oneOf(
                              "\"2999-01-01T00:00:00Z\"",
                              "\"noon\"",
                              "\"2018-02-30T00:00:00Z\"",
                              "5",
                              "[]"));
                  case 2 ->
                      g.with(
                          move,
                          "doorway_id",
                          g.chance(0.7) ? quote(g.badId()) : g.oneOf("null", "{}", "[]", "true"));
                  default -> g.with(move, "links", "null");
                };
              };
          String dpu = h.chance(0.2) ? h.badSegment() : h.segment();
          return new Req(
              "POST",
              "/v1/dpus/" + dpu + "/move" + h.query("x"),
              contentType(h),
              writeBody(h, badMove));
        });
  }

  @Test
  @DisplayName("POST /v1/bulk/{kind}: every item bad, as a JSON array and as NDJSON")
  void bulk(TestInfo info) {
    check(
        info,
        TRIES / 2,
        h -> {
          String kind =
              h.chance(0.9) ? h.oneOf("spaces", "doorways", "dpus", "links") : h.segment();
          if (h.chance(0.25)) {
            return new Req(
                "POST",
                "/v1/bulk/" + kind,
                contentType(h),
                writeBody(h, g -> badBuildingItem(g, kind, !kind.equals("links"))));
          }
          List<String> items = new ArrayList<>();
          int n = h.between(0, 12);
          for (int i = 0; i < n; i++) {
            items.add(
                h.chance(0.85)
                    ? badBuildingItem(h, kind, !kind.equals("links"))
                    : h.oneOf("5", "\"A\"", "[]", "null", "true"));
          }
          boolean ndjson = h.chance(0.4);
          String body = ndjson ? String.join("\n", items) : "[" + String.join(",", items) + "]";
          String type =
              ndjson ? h.oneOf("application/x-ndjson", "application/jsonl") : "application/json";
          Req req = new Req("POST", "/v1/bulk/" + kind + h.query("x"), type, utf8(body));
          return items.isEmpty() ? req.mayWrite() : req; // nothing to write: 200, nothing written
        });
  }

  // ------------------------------------------------------------------ reads

  @Test
  @DisplayName("count and DPU GETs with random query strings and ids")
  void counts(TestInfo info) {
    check(
        info,
        TRIES,
        h ->
            Req.read(
                switch (h.between(0, 4)) {
                  case 0 -> "/" + h.query("space", "x");
                  case 1 -> "/count" + h.query("space", "timestamp");
                  case 2 -> "/v1/spaces/" + h.segment() + "/count" + h.query("at");
                  case 3 -> "/v1/dpus/" + h.segment() + h.query("x");
                  default ->
                      "/"
                          + h.oneOf("", "count")
                          + "?space="
                          + h.oneOf("A", "B", "nope")
                          + "&timestamp="
                          + Hostile.encode(h.timestamp());
                }));
  }

  @Test
  @DisplayName("history GETs: buckets, events, reconciliations, resets with random query strings")
  void history(TestInfo info) {
    check(
        info,
        TRIES,
        h -> {
          String space = h.chance(0.6) ? h.oneOf("A", "B") : h.segment();
          String query =
              h.chance(0.5)
                  ? h.query("start", "end", "interval", "tz", "format", "limit", "after")
                  // mostly plausible, so the deeper checks are reached
                  : "?start="
                      + Hostile.encode(h.chance(0.5) ? "2018-02-24T00:00:00Z" : h.timestamp())
                      + "&end="
                      + Hostile.encode(h.chance(0.5) ? "2018-02-25T00:00:00Z" : h.timestamp())
                      + "&interval="
                      + h.oneOf(
                          "1m", "5m", "15m", "1h", "1d", "1w", "", "1M", Hostile.encode(h.string()))
                      + "&tz="
                      + Hostile.encode(
                          h.oneOf(
                              "UTC",
                              "Europe/Paris",
                              "+14:00",
                              "GMT+99",
                              "Etc/GMT-14",
                              "",
                              h.string()))
                      + "&limit="
                      + Hostile.encode(
                          h.oneOf(
                              "0",
                              "-1",
                              "1",
                              "10000",
                              "10001",
                              "2147483648",
                              " 5 ",
                              "1e3",
                              h.number()))
                      + "&after="
                      + Hostile.encode(
                          h.oneOf(
                              "1_1_1",
                              "-9223372036854775808_1_0",
                              "9223372036854775807_99999999999_1",
                              "a_b_c",
                              "1__1",
                              "_",
                              h.string()))
                      + (h.chance(0.3) ? "&format=" + h.oneOf("csv", "json", "xml", "") : "");
          String route = h.oneOf("counts", "events", "reconciliations", "resets");
          return Req.read("/v1/spaces/" + space + "/" + route + query)
              .withHeader(h.chance(0.2) ? "text/csv" : null);
        });
  }

  @Test
  @DisplayName("registry, alert, webhook, token and metrics GETs with random paths and queries")
  void otherReads(TestInfo info) {
    check(
        info,
        TRIES,
        h ->
            Req.read(
                switch (h.between(0, 9)) {
                  case 0 -> "/v1/spaces" + h.query("x");
                  case 1 -> "/v1/spaces/" + h.segment() + h.query("x");
                  case 2 -> "/v1/doorways/" + h.segment() + h.query("x");
                  case 3 ->
                      "/v1/" + h.oneOf("doorways", "dpus", "webhooks", "tokens") + h.query("x");
                  case 4 -> "/v1/links" + h.query("dpu_id", "space_id");
                  case 5 -> "/v1/alerts" + h.query("space_id", "dpu_id", "limit");
                  case 6 ->
                      "/v1/"
                          + h.oneOf("spaces/", "dpus/")
                          + h.segment()
                          + h.oneOf("/alerts", "/dpu-alerts")
                          + h.query("x", "dpu_id");
                  case 7 -> "/" + h.oneOf("health", "ready", "metrics") + h.query("x");
                  default -> "/" + h.segment() + "/" + h.segment() + h.query("x");
                }));
  }

  @Test
  @DisplayName("unknown paths and methods")
  void unknownRoutes(TestInfo info) {
    check(
        info,
        TRIES / 2,
        h -> {
          String method =
              h.oneOf("PATCH", "OPTIONS", "HEAD", "TRACE", "GET", "POST", "PUT", "DELETE");
          String path =
              switch (h.between(0, 2)) {
                // a route of another method: these never write
                case 0 ->
                    h.oneOf(
                        "/send",
                        "/v1/datapoints",
                        "/v1/admin/rebuild",
                        "/v1/links",
                        "/v1/tokens/1",
                        "/v1/spaces/A/resets");
                case 1 -> "/v1/zz" + h.segment() + "/" + h.segment();
                default -> "/" + h.segment() + h.query("x");
              };
          if (method.equals("GET") || method.equals("HEAD") || method.equals("OPTIONS")) {
            return new Req(method, path, contentType(h), new byte[0]).readOnly();
          }
          if ((method.equals("POST") && !path.startsWith("/v1/zz") && !path.equals("/v1/tokens/1"))
              || (method.equals("DELETE") && path.equals("/v1/tokens/1"))) {
            method = "PATCH"; // those would be real requests of a route that writes
          }
          return new Req(method, path, contentType(h), h.bytes());
        });
  }

  // ------------------------------------------------------------------ resets, alerts, webhooks

  @Test
  @DisplayName("POST /v1/spaces/{id}/resets")
  void resets(TestInfo info) {
    Function<Hostile, String> badReset =
        h -> {
          String reset =
              h.object(fields("timestamp", g -> quote("2018-02-26T04:00:00Z"), "count", g -> "0"));
          return h.chance(0.5)
              ? h.with(
                  reset, "count", h.oneOf("-1", "1.5", "\"0\"", "true", "2147483648", "[]", "{}"))
              : h.with(
                  reset,
                  "timestamp",
                  h.oneOf(
                      "\"2999-01-01T00:00:00Z\"",
                      "\"noon\"",
                      "\"2018-02-30T00:00:00Z\"",
                      "5",
                      "null",
                      "\"\"",
                      quote(h.string())));
        };
    check(
        info,
        TRIES,
        h -> {
          String space =
              h.chance(0.5) ? h.oneOf("A", "B") : h.chance(0.5) ? h.badSegment() : h.segment();
          return new Req(
              "POST",
              "/v1/spaces/" + space + "/resets" + h.query("x"),
              contentType(h),
              writeBody(h, badReset));
        });
  }

  @Test
  @DisplayName(
      "PUT /v1/spaces/{id}/alerts, PUT /v1/webhooks/{id} and the sensor-health rules of DPUs and spaces")
  void alertsAndWebhooks(TestInfo info) {
    Function<Hostile, String> badRules =
        h -> {
          String rule = "{\"name\":\"full\",\"level\":5}";
          String levels =
              h.oneOf(
                  "5",
                  quote(h.string()),
                  "{}",
                  "null",
                  "[5]",
                  "[[]]",
                  "[{\"name\":\"\",\"level\":5}]",
                  "[{\"level\":5}]",
                  "[{\"name\":5,\"level\":5}]",
                  "[{\"name\":\"n\",\"level\":0}]",
                  "[{\"name\":\"n\",\"level\":1.5}]",
                  "[{\"name\":\"n\",\"level\":\"five\"}]",
                  "[{\"name\":\"n\",\"level\":2147483648}]",
                  "[{\"name\":\"n\",\"level\":5,\"hysteresis\":0}]",
                  "[{\"name\":\"n\",\"level\":5,\"cooldown_seconds\":-1}]",
                  "[" + rule + "," + rule + "]",
                  "[{\"name\":"
                      + quote(h.oneOf("a\u0000b", "\ud800", "n".repeat(65)))
                      + ",\"level\":5}]");
          return h.with(h.object(fields("x", g -> "1")), "levels", levels);
        };
    Function<Hostile, String> badWebhook =
        h -> {
          String hook = h.object(fields("space_ids", g -> "[\"A\"]"));
          if (h.chance(0.5)) {
            return h.with(
                hook,
                "url",
                h.oneOf(
                    "5",
                    "null",
                    "\"ftp://x\"",
                    "\"not a url\"",
                    "\"http://a b\"",
                    "\"\"",
                    "[]",
                    quote(h.string())));
          }
          String withUrl =
              h.with(hook.replace("\"url\"", "\"u\""), "url", "\"http://127.0.0.1:9/x\"");
          return h.with(
              withUrl.replace("\"space_ids\"", "\"s\""),
              "space_ids",
              h.oneOf("\"A\"", "5", "{}", "true", "[" + quote(h.badId()) + "]"));
        };
    Function<Hostile, String> badHealthRules =
        h -> {
          String rule = "{\"kind\":\"silent\",\"threshold\":5}";
          String rules =
              h.oneOf(
                  "5",
                  quote(h.string()),
                  "{}",
                  "null",
                  "[5]",
                  "[[]]",
                  "[{\"kind\":\"loud\",\"threshold\":5}]",
                  "[{\"threshold\":5}]",
                  "[{\"kind\":5,\"threshold\":5}]",
                  "[{\"kind\":\"silent\"}]",
                  "[{\"kind\":\"flood\",\"threshold\":0}]",
                  "[{\"kind\":\"flood\",\"threshold\":1.5}]",
                  "[{\"kind\":\"flood\",\"threshold\":\"five\"}]",
                  "[{\"kind\":\"imbalance\",\"threshold\":2147483648}]",
                  "[{\"kind\":\"imbalance\",\"threshold\":1000001}]",
                  "[" + rule + "," + rule + "]",
                  "[{\"kind\":" + quote(h.oneOf("a\u0000b", "\ud800", "s".repeat(65))) + "}]");
          return h.with(h.object(fields("x", g -> "1")), "rules", rules);
        };
    check(
        info,
        TRIES,
        h -> {
          if (h.chance(0.25)) {
            String owner =
                h.chance(0.5)
                    ? h.oneOf("spaces/A/dpu-alerts", "dpus/283/alerts", "dpus/423/alerts")
                    : h.oneOf("spaces/", "dpus/")
                        + (h.chance(0.5) ? h.badSegment() : h.segment())
                        + h.oneOf("/alerts", "/dpu-alerts");
            return new Req(
                "PUT", "/v1/" + owner + h.query("x"), contentType(h), writeBody(h, badHealthRules));
          }
          if (h.chance(0.5)) {
            String space =
                h.chance(0.5) ? h.oneOf("A", "B") : h.chance(0.5) ? h.badSegment() : h.segment();
            return new Req(
                "PUT",
                "/v1/spaces/" + space + "/alerts" + h.query("x"),
                contentType(h),
                writeBody(h, badRules));
          }
          if (h.chance(0.2)) {
            return new Req(
                "PUT",
                "/v1/webhooks/" + h.badSegment(),
                "application/json",
                utf8("{\"url\":\"http://127.0.0.1:9/x\"}"));
          }
          String id = h.chance(0.5) ? "ops" : h.segment();
          return new Req(
              "PUT", "/v1/webhooks/" + id + h.query("x"), contentType(h), writeBody(h, badWebhook));
        });
  }

  // ------------------------------------------------------------------ tokens and admin

  @Test
  @DisplayName("POST /v1/tokens and DELETE /v1/tokens/{id}")
  void tokens(TestInfo info) {
    Function<Hostile, String> badToken =
        h -> {
          String token =
              h.object(
                  fields(
                      "scope", g -> g.oneOf("\"ingest\"", "\"read\"", "\"admin\""),
                      "name", g -> "\"gateway\"",
                      "expires_at", g -> "\"2999-01-01T00:00:00Z\""));
          return switch (h.between(0, 2)) {
            case 0 ->
                h.with(
                    token,
                    "scope",
                    h.oneOf("\"root\"", "\"\"", "\"ADMIN\"", "5", "null", "[]", quote(h.string())));
            case 1 ->
                h.with(
                    token,
                    "name",
                    h.oneOf(
                        "\"\"",
                        quote("n".repeat(129)),
                        quote("a\u0000b"),
                        quote("a\nb"),
                        "5",
                        "{}"));
            default ->
                h.with(
                    token,
                    "expires_at",
                    h.oneOf(
                        "\"2000-01-01T00:00:00Z\"",
                        "\"noon\"",
                        "\"+1000000000-12-31T23:59:59Z\"",
                        "\"+100000-01-01T00:00:00Z\"",
                        "\"-1000-01-01T00:00:00Z\"",
                        "5",
                        "[]"));
          };
        };
    check(
        info,
        TRIES,
        h -> {
          if (h.chance(0.6)) {
            return new Req(
                "POST", "/v1/tokens" + h.query("x"), contentType(h), writeBody(h, badToken));
          }
          // never the id of a token that exists (1, the test server's own)
          String id =
              h.oneOf(
                  "0",
                  "-1",
                  "2",
                  "999999",
                  "9223372036854775807",
                  "9223372036854775808",
                  "99999999999999999999",
                  "1.0",
                  "0x1",
                  "%20",
                  "abc",
                  h.segment(),
                  h.badSegment());
          if (tokenOne(id)) {
            id = "2";
          }
          return new Req("DELETE", "/v1/tokens/" + id + h.query("x"), contentType(h), h.bytes());
        });
  }

  @Test
  @DisplayName("admin routes: replay with bad windows; rebuild and retention with junk")
  void admin(TestInfo info) {
    check(
        info,
        TRIES / 2,
        h -> {
          if (h.chance(0.9)) {
            String bad =
                Hostile.encode(
                    h.oneOf(
                        "noon",
                        "2018-02-30T00:00:00Z",
                        "2018-02-24T08:45:21",
                        "+10000-01-01T00:00:00Z",
                        "1519462721893",
                        "x"));
            String good = Hostile.encode("2018-02-24T00:00:00Z");
            String query =
                switch (h.between(0, 2)) {
                  case 0 -> "?from=" + bad + (h.chance(0.5) ? "&to=" + good : "");
                  case 1 -> "?to=" + bad + (h.chance(0.5) ? "&from=" + good : "");
                  default ->
                      "?from="
                          + good
                          + "&to="
                          + Hostile.encode(
                              h.oneOf(
                                  "2018-02-24T00:00:00Z",
                                  "2018-02-23T00:00:00Z",
                                  "0000-01-01T00:00:00Z"));
                };
            return new Req(
                "POST",
                "/v1/admin/replay" + query + "&" + h.query("x").replace("?", ""),
                contentType(h),
                h.bytes());
          }
          // no parameter makes these refuse: they run, on a building where they change nothing
          return new Req(
                  "POST",
                  "/v1/admin/" + h.oneOf("rebuild", "retention") + h.query("x"),
                  contentType(h),
                  h.bytes())
              .mayWrite();
        });
  }

  // ------------------------------------------------------------------ the harness

  /** One generated request and what it may be answered: 2xx only for reads (or harmless runs). */
  private record Req(
      String method,
      String path,
      String contentType,
      byte[] body,
      boolean okAllowed,
      String accept) {
    Req(String method, String path, String contentType, byte[] body) {
      this(method, path, contentType, body, false, null);
    }

    static Req read(String path) {
      return new Req("GET", path, null, new byte[0], true, null);
    }

    Req readOnly() {
      return new Req(method, path, contentType, body, true, accept);
    }

    /** A request that may succeed: it writes nothing, or only what is there already. */
    Req mayWrite() {
      return readOnly();
    }

    Req withHeader(String accept) {
      return new Req(method, path, contentType, body, okAllowed, accept);
    }

    @Override
    public String toString() {
      String text = new String(body, StandardCharsets.UTF_8);
      return method
          + " "
          + path
          + (contentType == null ? "" : " [" + contentType + "]")
          + (body.length == 0
              ? ""
              : " " + (text.length() > 600 ? text.substring(0, 600) + "…" : text));
    }
  }

  private void check(TestInfo info, int tries, Function<Hostile, Req> requests) {
    property = info.getDisplayName();
    Random random = new Random(SEED ^ info.getTestMethod().orElseThrow().getName().hashCode());
    Hostile h = new Hostile(random);
    for (int i = 0; i < tries; i++) {
      Req req = requests.apply(h);
      String where = property + ", seed " + SEED + ", try " + i + ": " + req;
      HttpResponse<byte[]> response = exchange(req, where);
      verify(req, response, where);
    }
  }

  private HttpResponse<byte[]> exchange(Req req, String where) {
    HttpRequest.Builder request;
    try {
      request =
          server
              .request(req.path)
              .timeout(DEADLINE)
              .method(req.method, HttpRequest.BodyPublishers.ofByteArray(req.body));
    } catch (IllegalArgumentException e) {
      throw new AssertionError("the generator made a request Java cannot send: " + where, e);
    }
    if (req.contentType != null) {
      request.header("Content-Type", req.contentType);
    }
    if (req.accept != null) {
      request.header("Accept", req.accept);
    }
    try {
      return http.send(request.build(), HttpResponse.BodyHandlers.ofByteArray());
    } catch (HttpTimeoutException e) {
      throw new AssertionError("no answer within " + DEADLINE.toSeconds() + " s: " + where, e);
    } catch (IOException e) {
      throw new AssertionError("the connection failed: " + where, e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new AssertionError(e);
    }
  }

  private static void verify(Req req, HttpResponse<byte[]> response, String where) {
    int status = response.statusCode();
    String text = new String(response.body(), StandardCharsets.UTF_8);
    String seen = status + " " + (text.length() > 300 ? text.substring(0, 300) + "…" : text);
    if (status >= 500) {
      fail("a " + status + " for " + where + "\n→ " + seen);
    }
    if (status >= 200 && status < 300) {
      if (!req.okAllowed && !emptyBatch(req, text)) {
        fail("a request that must be refused succeeded: " + where + "\n→ " + seen);
      }
      return;
    }
    if (status < 400) {
      fail("neither a success nor a refusal: " + where + "\n→ " + seen);
    }
    if (req.method.equals("HEAD")) {
      return;
    }
    JsonObject body;
    try {
      body = new JsonObject(text);
    } catch (DecodeException | ClassCastException e) {
      throw new AssertionError("a refusal without a JSON body: " + where + "\n→ " + seen, e);
    }
    if (!"error".equals(body.getValue("status"))
        || !(body.getValue("error") instanceof String error)
        || error.isBlank()) {
      fail("a refusal without \"status\":\"error\" and an error text: " + where + "\n→ " + seen);
    }
  }

  /** A batch of no item at all (an empty array): answered 200, nothing written. */
  private static boolean emptyBatch(Req req, String answer) {
    if (!req.path.startsWith("/v1/datapoints") && !req.path.startsWith("/v1/bulk/")) {
      return false;
    }
    try {
      JsonArray results = new JsonObject(answer).getJsonArray("results");
      return results != null && results.isEmpty();
    } catch (DecodeException | ClassCastException e) {
      return false;
    }
  }

  // ------------------------------------------------------------------ bodies

  /**
   * The body of a request to a route that writes: junk that is no JSON object, or an object that
   * breaks a rule of the route (made by {@code bad}), under any content type.
   */
  private static byte[] writeBody(Hostile h, Function<Hostile, String> bad) {
    return switch (h.between(0, 9)) {
      case 0 -> {
        byte[] b = h.bytes();
        if (b.length == 0 || b[0] == '{' || Character.isWhitespace(b[0])) {
          b =
              ("x" + new String(b, StandardCharsets.ISO_8859_1))
                  .getBytes(StandardCharsets.ISO_8859_1);
        }
        yield b;
      }
      case 1 -> utf8(h.chance(0.5) ? "[" + h.deep() + "]" : h.deep().replace("{\"a\":", "["));
      case 2 -> {
        // a proper prefix of an object is never JSON
        String object = bad.apply(h);
        yield utf8(object.substring(0, h.between(1, object.length() - 1)));
      }
      case 3 ->
          utf8(
              h.oneOf(
                  "[",
                  "\"x\"",
                  "5",
                  "null",
                  "[]",
                  "[{}]",
                  "true",
                  "{'a': 1}",
                  "{a: 1}",
                  "{\"a\" 1}",
                  "{\"a\":1,}",
                  "tru",
                  "{",
                  "}",
                  "{\"a\":1}}",
                  "\u0000{}"));
      default -> utf8(bad.apply(h));
    };
  }

  /** Mostly JSON, as a client would send; sometimes another type, a broken one or none. */
  private static String contentType(Hostile h) {
    return h.chance(0.75)
        ? h.oneOf("application/json", "application/json; charset=utf-8", "Application/JSON")
        : h.oneOf(
            null,
            "text/plain",
            "application/xml",
            "application/x-ndjson",
            "application/x-www-form-urlencoded",
            "multipart/form-data; boundary=xyz",
            "application/json-seq",
            "application/jsonx",
            "a/b/c;;;=",
            ";",
            "*/*");
  }

  // ------------------------------------------------------------------ what is stored

  /** A digest of every stored table and of every Redis key of the server. */
  private static Map<String, String> stored() {
    Map<String, String> out = new TreeMap<>();
    for (String table : TABLES) {
      out.put(
          table,
          server
              .rows(
                  "SELECT count(*) || ' ' || coalesce(md5(string_agg(md5(t::text), ',' ORDER BY"
                      + " md5(t::text))), '') FROM "
                      + table
                      + " t")
              .get(0)
              .getString(0));
    }
    Response keys =
        server
            .redis
            .send(Request.cmd(Command.KEYS).arg(server.config.redis().keyPrefix() + "*"))
            .await();
    for (Response key : keys) {
      String prefix = server.config.redis().keyPrefix();
      if (key.toString().startsWith(prefix + "batch:")
          || key.toString().startsWith(prefix + "tail:")) {
        // Markers of counted batch parts (they expire, and a rebuild clears them), and the spaces'
        // tails of recent effects, which any recount or rebuild drops and the next effect starts
        // again.
        continue;
      }
      if (key.toString().startsWith(prefix + "space:")) {
        // the count and the order key of its latest change; not the tail's floor
        SpaceState state =
            SpaceState.parse(
                server.redis.send(Request.cmd(Command.GET).arg(key.toString())).await().toBuffer());
        out.put(
            "redis " + key,
            state.count() + " " + state.ts() + " " + state.delta() + " " + state.id());
        continue;
      }
      if (key.toString().startsWith(prefix + "dpu:")) {
        // a record of bytes: read by its form, so that no two values read alike
        out.put(
            "redis " + key,
            String.valueOf(
                DpuTotals.parse(
                    server
                        .redis
                        .send(Request.cmd(Command.GET).arg(key.toString()))
                        .await()
                        .toBuffer())));
        continue;
      }
      Response type = server.redis.send(Request.cmd(Command.TYPE).arg(key.toString())).await();
      Response value =
          switch (type.toString()) {
            case "hash" ->
                server.redis.send(Request.cmd(Command.HGETALL).arg(key.toString())).await();
            case "string" ->
                server.redis.send(Request.cmd(Command.GET).arg(key.toString())).await();
            default -> type;
          };
      // when the state was last built: a rebuild is allowed to build it again
      out.put("redis " + key, String.valueOf(value).replaceAll("built_at: \\d+", "built_at"));
    }
    return out;
  }

  // ------------------------------------------------------------------ small helpers

  /** Field names and their plausible values, in order. */
  private static Map<String, Function<Hostile, String>> shape(Object... pairs) {
    Map<String, Function<Hostile, String>> out = new LinkedHashMap<>();
    for (int i = 0; i < pairs.length; i += 2) {
      @SuppressWarnings("unchecked")
      Function<Hostile, String> value = (Function<Hostile, String>) pairs[i + 1];
      out.put((String) pairs[i], value);
    }
    return out;
  }

  private static Map<String, Function<Hostile, String>> fields(
      String k1, Function<Hostile, String> v1) {
    return shape(k1, v1);
  }

  private static Map<String, Function<Hostile, String>> fields(
      String k1, Function<Hostile, String> v1, String k2, Function<Hostile, String> v2) {
    return shape(k1, v1, k2, v2);
  }

  private static Map<String, Function<Hostile, String>> fields(
      String k1,
      Function<Hostile, String> v1,
      String k2,
      Function<Hostile, String> v2,
      String k3,
      Function<Hostile, String> v3) {
    return shape(k1, v1, k2, v2, k3, v3);
  }

  private static Map<String, Function<Hostile, String>> fields(
      String k1,
      Function<Hostile, String> v1,
      String k2,
      Function<Hostile, String> v2,
      String k3,
      Function<Hostile, String> v3,
      String k4,
      Function<Hostile, String> v4) {
    return shape(k1, v1, k2, v2, k3, v3, k4, v4);
  }

  private static Map<String, Function<Hostile, String>> fields(
      String k1,
      Function<Hostile, String> v1,
      String k2,
      Function<Hostile, String> v2,
      String k3,
      Function<Hostile, String> v3,
      String k4,
      Function<Hostile, String> v4,
      String k5,
      Function<Hostile, String> v5) {
    return shape(k1, v1, k2, v2, k3, v3, k4, v4, k5, v5);
  }

  private static Map<String, Function<Hostile, String>> fields(
      String k1,
      Function<Hostile, String> v1,
      String k2,
      Function<Hostile, String> v2,
      String k3,
      Function<Hostile, String> v3,
      String k4,
      Function<Hostile, String> v4,
      String k5,
      Function<Hostile, String> v5,
      String k6,
      Function<Hostile, String> v6) {
    return shape(k1, v1, k2, v2, k3, v3, k4, v4, k5, v5, k6, v6);
  }

  private static Map<String, Function<Hostile, String>> fields(String kind) {
    return switch (kind) {
      case "spaces" -> SPACE;
      case "links" -> LINK;
      default -> NAMED;
    };
  }

  private static Map<String, Function<Hostile, String>> withId(
      Map<String, Function<Hostile, String>> fields) {
    Map<String, Function<Hostile, String>> out = new LinkedHashMap<>(fields);
    out.put("id", h -> h.oneOf("\"A\"", "\"C\"", "\"new\""));
    return out;
  }

  /** Whether the path segment names the test server's own token, which must stay. */
  private static boolean tokenOne(String segment) {
    try {
      String decoded =
          java.net.URLDecoder.decode(segment.replace("+", "%2B"), StandardCharsets.UTF_8);
      return Long.parseLong(decoded) == 1;
    } catch (IllegalArgumentException e) {
      return false;
    }
  }

  private static byte[] utf8(String s) {
    return s.getBytes(StandardCharsets.UTF_8);
  }

  private static JsonObject datapoint(String timestamp, String direction, String dpu) {
    return new JsonObject()
        .put("timestamp", timestamp)
        .put("direction", direction)
        .put("dpu_id", dpu);
  }

  private static void require(TestServer.Reply reply) {
    if (reply.status() >= 300) {
      throw new IllegalStateException("setting up: " + reply);
    }
  }

  private static long seed() {
    String text = System.getProperty("density.properties.seed", "20180224");
    return text.equals("random") ? System.nanoTime() : Long.parseLong(text);
  }
}
