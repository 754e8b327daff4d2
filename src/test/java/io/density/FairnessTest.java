package io.density;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.density.config.DensityConfig;
import io.density.persistence.store.Statements;
import io.density.support.Await;
import io.density.support.RawConnection;
import io.density.support.TestServer;
import io.vertx.core.json.JsonObject;
import io.vertx.sqlclient.SqlConnection;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.UnaryOperator;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

/**
 * One client cannot starve the others: bodies must keep arriving, one address holds a share of the
 * body budget and of the connections, a request's head has a deadline, and a trusted proxy's word
 * on the client address (X-Forwarded-For) is taken, nobody else's.
 */
@DisplayName("Fairness: dribbling uploads, crowded addresses and silent connections starve nobody")
class FairnessTest {
  private static final Duration DEADLINE = Duration.ofSeconds(20);
  private static final String JSON = "Content-Type: application/json\r\n";

  private TestServer server;
  private String token;

  private void start(UnaryOperator<DensityConfig> settings) {
    server = new TestServer();
    server.config = settings.apply(server.config.with("http", "instances", 1));
    server.start();
    token = "Bearer " + server.createToken("admin");
  }

  @AfterEach
  void stop() {
    if (server != null) {
      server.close();
    }
  }

  private RawConnection from(String address) {
    return new RawConnection(address, server.config.http().port(), token);
  }

  private static String datapoint(int i) {
    return new JsonObject()
        .put("timestamp", Instant.parse("2024-05-06T10:00:00Z").plusSeconds(i).toString())
        .put("direction", 1)
        .put("dpu_id", "283")
        .encode();
  }

  /** Posts one datapoint on the connection, its body declared and sent whole. */
  private static RawConnection.Answer post(RawConnection c, String body, String headers) {
    c.write("POST", "/send", JSON + headers + "Content-Length: " + body.length() + "\r\n");
    c.writeBody(body);
    return c.answer();
  }

  /** Eight uploads declaring 8 MiB each that send one byte and then nothing more. */
  private List<RawConnection> dribblers(String address) {
    List<RawConnection> dribblers = new ArrayList<>();
    for (int i = 0; i < 8; i++) {
      RawConnection c = from(address);
      c.write("POST", "/v1/datapoints", JSON + "Content-Length: 8388608\r\n");
      c.writeBody("[");
      dribblers.add(c);
    }
    return dribblers;
  }

  @Test
  @DisplayName(
      "eight dribbling 8 MiB uploads: other senders are served throughout, the dribblers get 408"
          + " or 429 and are closed, nothing of them is stored")
  void dribblingUploads() {
    start(c -> c.with("http", "bodyGraceSeconds", 1));
    List<RawConnection> dribblers = dribblers("127.0.0.2");
    try (RawConnection sender = from("127.0.0.1")) {
      for (int i = 0; i < 30; i++) {
        RawConnection.Answer answer = post(sender, datapoint(i), "");
        assertEquals(200, answer.status(), "send " + i + " while others dribble: " + answer.body());
      }
      for (RawConnection d : dribblers) {
        RawConnection.Answer answer = d.answer();
        assertTrue(
            answer.status() == 408 || answer.status() == 429,
            "a dribbler is refused: " + answer.status() + " " + answer.body());
        if (answer.status() == 408) {
          assertTrue(answer.json().getString("error").contains("bytes a second"), answer.body());
          assertTrue(d.closedByServer(), "a dribbler's connection is closed");
        }
      }
    } finally {
      dribblers.forEach(RawConnection::close);
    }
    assertEquals(30, server.countRows("datapoint"), "the sender's datapoints, none of the rest");
  }

  @Test
  @DisplayName("dribblers sharing the senders' address are closed after the grace; senders go on")
  void dribblersOnTheSameAddress() {
    start(c -> c.with("http", "bodyGraceSeconds", 1));
    List<RawConnection> dribblers = dribblers("127.0.0.1");
    AtomicInteger sent = new AtomicInteger();
    try (RawConnection sender = from("127.0.0.1")) {
      assertTrue(
          Await.until(
              () -> post(sender, datapoint(sent.incrementAndGet()), "").status() == 200, DEADLINE),
          "a sender on the dribblers' address is served once they are refused");
      for (RawConnection d : dribblers) {
        int status = d.answer().status();
        assertTrue(status == 408 || status == 429, "a dribbler is refused: " + status);
      }
    } finally {
      dribblers.forEach(RawConnection::close);
    }
  }

  @Test
  @DisplayName(
      "a silent connection, or one that stops inside its request's head, is closed at the deadline")
  void requestHeadDeadline() {
    start(c -> c.with("http", "requestHeadTimeoutSeconds", 1));
    try (RawConnection silent = from("127.0.0.1");
        RawConnection partial = from("127.0.0.1")) {
      partial.writeBody("GET /v1/spa");
      assertTrue(silent.closedByServer(), "a connection that sends nothing is closed");
      assertTrue(partial.closedByServer(), "a connection that stops inside its head is closed");
    }
    try (RawConnection prompt = from("127.0.0.1")) {
      assertEquals(200, prompt.get("/health").status(), "a prompt client is served");
    }
  }

  @Test
  @DisplayName(
      "a request whose answer takes longer than the idle time keeps its connection and gets its"
          + " answer; a connection silent after its answer is closed")
  void waitingIsNotIdle() {
    start(c -> c.with("http", "idleTimeoutSeconds", 1));
    server.provisionSeedBuilding();
    // A move recounts once the deployment's gate is closed, and closing it waits for its intent:
    // held here, as other work that re-derives counts would hold it.
    SqlConnection gate = server.sql.getConnection().await();
    String intent = "(" + Statements.CLAIMS + ", " + Statements.CLAIM_INTENT + ")";
    try (RawConnection c = from("127.0.0.1")) {
      gate.query("SELECT pg_advisory_lock" + intent).execute().await();
      String move =
          "{\"doorway_id\":\"Z\",\"at\":\"2024-05-01T00:00:00Z\","
              + "\"links\":[{\"space_id\":\"B\",\"sensor_placement\":1}]}";
      c.write("POST", "/v1/dpus/283/move", JSON + "Content-Length: " + move.length() + "\r\n");
      c.writeBody(move);
      assertTrue(
          Await.until(
              () ->
                  server
                          .rows(
                              "SELECT 1 FROM pg_stat_activity WHERE wait_event = 'advisory'"
                                  + " AND now() - query_start > interval '3 seconds'")
                          .size()
                      == 1,
              DEADLINE),
          "the move has waited three idle times for the gate");
      gate.query("SELECT pg_advisory_unlock" + intent).execute().await();
      RawConnection.Answer moved = c.answer();
      assertEquals(200, moved.status(), moved.body());
      assertEquals("283", moved.json().getString("dpu_id"));
      assertTrue(c.endedByServer(), "a connection silent after its answer is closed");
    } finally {
      gate.close().await();
    }
  }

  @Test
  @DisplayName(
      "one address holds at most its share of connections; health and readiness answer on the"
          + " refused ones; other addresses are served")
  void connectionsPerAddress() {
    start(c -> c.with("http", "maxConnectionsPerClient", 2));
    List<RawConnection> open = new ArrayList<>();
    try {
      open.add(from("127.0.0.2"));
      open.add(from("127.0.0.2"));
      for (RawConnection c : open) {
        assertEquals(200, c.get("/v1/spaces/A/count").status());
      }
      RawConnection third = from("127.0.0.2");
      open.add(third);
      RawConnection.Answer refused = third.get("/v1/spaces/A/count");
      assertEquals(503, refused.status(), refused.body());
      assertTrue(refused.json().getString("error").contains("one address"), refused.body());
      RawConnection fourth = from("127.0.0.2");
      open.add(fourth);
      assertEquals(200, fourth.get("/ready").status(), "readiness answers on a refused connection");
      RawConnection other = from("127.0.0.3");
      open.add(other);
      assertEquals(200, other.get("/v1/spaces/A/count").status(), "another address is served");
    } finally {
      open.forEach(RawConnection::close);
    }
  }

  @Test
  @DisplayName(
      "X-Forwarded-For names the client only when a trusted proxy sends it; the body share follows it")
  void forwardedFor() {
    start(
        c ->
            c.with("http", "trustedProxies", "127.0.0.9/32")
                .with("http", "maxBodyBytesHeldPerClient", 1000)
                .with("http", "bodyGraceSeconds", 60));
    try (RawConnection holder = from("127.0.0.9");
        RawConnection sameClient = from("127.0.0.9");
        RawConnection otherClient = from("127.0.0.9");
        RawConnection untrusted = from("127.0.0.2")) {
      assertEquals(200, holder.get("/v1/spaces").status(), "the proxy's connection is served");
      // A client behind the proxy holds 950 bytes of a body it has not finished sending.
      holder.write(
          "POST", "/send", JSON + "X-Forwarded-For: 198.51.100.7\r\nContent-Length: 950\r\n");
      holder.writeBody("{");
      String forClient7 = "X-Forwarded-For: 203.0.113.1, 198.51.100.7\r\n";
      assertTrue(
          Await.until(() -> post(sameClient, datapoint(1), forClient7).status() == 429, DEADLINE),
          "the same client, through the proxy, is over its share");
      assertEquals(
          200,
          post(otherClient, datapoint(2), "X-Forwarded-For: 198.51.100.8\r\n").status(),
          "another client behind the proxy is served");
      assertEquals(
          200,
          post(untrusted, datapoint(3), "X-Forwarded-For: 198.51.100.7\r\n").status(),
          "a header from a peer that is no trusted proxy names nobody");
    }
  }
}
