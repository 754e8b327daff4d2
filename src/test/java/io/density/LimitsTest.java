package io.density;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.density.ingest.DatapointParser;
import io.density.support.Await;
import io.density.support.RawConnection;
import io.density.support.TestServer;
import io.density.support.TestServer.Reply;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.time.Duration;
import java.time.Instant;
import java.time.YearMonth;
import java.time.ZoneOffset;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

@DisplayName("Limits on connections, event streams, nesting and stored datapoints")
class LimitsTest {
  private static TestServer server;
  private static String token;

  @BeforeAll
  static void start() {
    server = new TestServer();
    server.config =
        server
            .config
            .with("http", "instances", 1)
            .with("http", "maxConnections", 5)
            .with("http", "maxEventStreams", 1)
            .with("http", "maxBodyBytesHeld", 1000);
    server.start();
    server.provisionSeedBuilding();
    token = server.createToken("admin");
  }

  @AfterAll
  static void stop() {
    server.close();
  }

  /** A connection of the test's own, with its admin token. */
  private static RawConnection connect() {
    return new RawConnection(server.config.http().port(), "Bearer " + token);
  }

  @Test
  @DisplayName("a connection beyond the limit is answered 503 naming the limit, then closed")
  void connections() {
    List<RawConnection> open = new ArrayList<>();
    try {
      // The test's own HTTP client may hold a connection too: open more until one is refused.
      RawConnection.Answer refused = null;
      while (refused == null && open.size() <= 5) {
        RawConnection c = connect();
        open.add(c);
        RawConnection.Answer reply = c.get("/?space=A");
        if (reply.status() != 200) {
          refused = reply;
          assertTrue(c.closedByServer(), "the refused connection is closed");
        }
      }
      assertTrue(refused != null, "a sixth connection is refused");
      assertEquals(503, refused.status(), refused.json().encode());
      assertTrue(refused.json().getString("error").contains("at most 5"), refused.json().encode());
      RawConnection beyond = connect();
      open.add(beyond);
      assertEquals(
          200, beyond.get("/ready").status(), "readiness answers on a connection beyond the limit");
      open.remove(open.size() - 1).close();
      open.remove(0).close();
      assertTrue(
          Await.until(() -> answersOnANewConnection() == 200, Duration.ofSeconds(10)),
          "a closed connection makes room");
    } finally {
      open.forEach(RawConnection::close);
    }
  }

  private static int answersOnANewConnection() {
    try (RawConnection c = connect()) {
      return c.get("/?space=A").status();
    }
  }

  @Test
  @DisplayName("an event stream beyond the limit is answered 503")
  void eventStreams() {
    try (RawConnection stream = connect();
        RawConnection other = connect()) {
      stream.write("GET", "/v1/events");
      assertTrue(stream.head().startsWith("HTTP/1.1 200"), "the first stream opens");
      RawConnection.Answer refused = other.get("/v1/events");
      assertEquals(503, refused.status(), refused.json().encode());
      assertTrue(refused.json().getString("error").contains("event streams"));
    }
  }

  @Test
  @DisplayName(
      "bodies beyond what the server holds at once are 429 with Retry-After before they are read")
  void bodiesHeld() {
    String datapoint =
        "{\"timestamp\":\"2024-01-01T00:00:00Z\",\"direction\":1,\"dpu_id\":\"283\"}";
    String json = "Content-Type: application/json\r\n";
    try (RawConnection slow = connect();
        RawConnection other = connect()) {
      // A client declares 900 bytes and sends them slowly: the server holds them meanwhile.
      String padded = datapoint + " ".repeat(900 - datapoint.length());
      slow.write("POST", "/send", json + "Content-Length: 900\r\n");
      slow.writeBody(padded.substring(0, 10));
      assertTrue(
          Await.until(() -> post500(other, datapoint).status() == 429, Duration.ofSeconds(10)),
          "a second body over the budget is refused");
      slow.writeBody(padded.substring(10));
      assertEquals(200, slow.answer().status(), "the held request is answered");
      assertEquals(200, post500(other, datapoint).status(), "once answered, there is room again");
    }
    assertEquals(1, server.countRows("datapoint"));
    server.rows("DELETE FROM datapoint");
  }

  /** Sends the datapoint padded to 500 bytes on the connection. */
  private static RawConnection.Answer post500(RawConnection c, String datapoint) {
    c.write("POST", "/send", "Content-Type: application/json\r\nContent-Length: 500\r\n");
    c.writeBody(datapoint + " ".repeat(500 - datapoint.length()));
    return c.answer();
  }

  @Test
  @DisplayName(
      "a batch of 10,000 reaching over every month since the earliest accepted timestamp is stored")
  void batchOverDecades() {
    JsonArray batch = new JsonArray();
    YearMonth first = YearMonth.of(2000, 1);
    long months = first.until(YearMonth.now(ZoneOffset.UTC), ChronoUnit.MONTHS);
    for (int i = 0; i < 10_000; i++) {
      Instant t =
          first
              .plusMonths(i % months)
              .atDay(1)
              .atStartOfDay(ZoneOffset.UTC)
              .toInstant()
              .plusMillis(i / months);
      batch.add(
          new JsonObject()
              .put("dpu_id", "decades")
              .put("direction", 1)
              .put("timestamp", t.toString()));
    }
    Reply reply = server.postJson("/v1/datapoints", batch);
    assertEquals(200, reply.status(), reply.json().encode());
    assertEquals(10_000, reply.json().getInteger("accepted"), reply.json().encode());
    assertEquals(10_000, server.countRows("datapoint"));
    server.rows("DELETE FROM datapoint");
  }

  @Test
  @DisplayName("a datapoint longer than is stored is 422, and nothing is stored")
  void longDatapoint() {
    JsonObject datapoint =
        new JsonObject()
            .put("timestamp", "2024-01-01T00:00:00Z")
            .put("direction", 1)
            .put("dpu_id", "283")
            .put("note", "x".repeat(DatapointParser.MAX_PAYLOAD_CHARS));
    Reply reply = server.postJson("/send", datapoint);
    assertEquals(422, reply.status(), reply.json().encode());
    assertTrue(reply.json().getString("error").contains("at most 2048 characters"));
    assertEquals(0, server.countRows("datapoint"));
  }

  @Test
  @DisplayName("bodies nested deeper than JSON parsing allows are 400, for every kind of body")
  void deepNesting() {
    String deepArray = "[".repeat(5000) + "]".repeat(5000);
    String deepObject = "{\"a\":".repeat(5000) + "1" + "}".repeat(5000);
    for (Reply reply :
        List.of(
            server.postJson("/v1/datapoints", deepArray),
            server.postJson("/send", deepObject),
            server.send("/v1/spaces/C", "PUT", "application/json", deepObject),
            server.send("/v1/spaces/A/alerts", "PUT", "application/json", deepObject))) {
      assertEquals(400, reply.status(), reply.json().encode());
      assertEquals("error", reply.json().getString("status"));
    }
    assertEquals(0, server.countRows("datapoint"));
    assertEquals(2, server.countRows("space"));
    assertEquals(200, server.get("/health").status());
  }
}
