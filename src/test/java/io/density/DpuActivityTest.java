package io.density;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.density.support.TestServer;
import io.density.support.TestServer.Reply;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

@DisplayName("DPU activity: which sensors report, which went silent, which never reported")
class DpuActivityTest {
  private TestServer server;

  @BeforeEach
  void building() {
    server = new TestServer().start();
    server.provisionSeedBuilding(); // DPUs 283 and 423
    assertEquals(
        201, server.putJson("/v1/dpus/999", new JsonObject().put("name", "spare")).status());
    Reply bulk =
        server.postJson(
            "/v1/bulk/dpus",
            new JsonArray().add(new JsonObject().put("id", "998").put("name", "x")));
    assertEquals(1, bulk.json().getInteger("created"), bulk.json().encode());
  }

  @AfterEach
  void stop() {
    server.close();
  }

  private void send(String dpu) {
    Reply sent = server.sendDatapoint(dpu, Instant.now(), 1);
    assertEquals(200, sent.status(), sent.json().encode());
  }

  private static List<String> ids(JsonObject activity) {
    return activity.getJsonArray("items").stream()
        .map(i -> ((JsonObject) i).getString("dpu_id"))
        .toList();
  }

  @Test
  @DisplayName(
      "the never-reporting first, then the stalest by arrival, each flagged against the"
          + " threshold; the counts cover the whole fleet")
  void stalestFirst() {
    send("423");
    send("283");
    // 423's datapoint arrived two hours ago, as far as the history says; the realtime state is
    // rebuilt from that history, then 283 reports again through live ingest.
    server.rows(
        "UPDATE datapoint SET received_at = now() - interval '2 hours' WHERE dpu_id = '423'");
    assertEquals(200, server.postJson("/v1/admin/rebuild", new JsonObject()).status());
    send("283");

    Reply reply = server.get("/v1/dpu-activity?silent_minutes=60");
    assertEquals(200, reply.status(), reply.json().encode());
    JsonObject activity = reply.json();
    assertEquals(4, activity.getInteger("registered"));
    assertEquals(2, activity.getInteger("reporting"));
    assertEquals(1, activity.getInteger("silent"));
    assertEquals(2, activity.getInteger("never_reported"));
    assertEquals(List.of("998", "999", "423", "283"), ids(activity));

    JsonArray items = activity.getJsonArray("items");
    JsonObject spare = items.getJsonObject(1);
    assertEquals("spare", spare.getString("name"));
    assertNull(spare.getString("last_received_at"));
    assertTrue(spare.getBoolean("silent"), "a DPU that never reported is silent");
    JsonObject stale = items.getJsonObject(2);
    assertTrue(stale.getBoolean("silent"));
    Duration quiet =
        Duration.between(Instant.parse(stale.getString("last_received_at")), Instant.now());
    assertTrue(quiet.compareTo(Duration.ofMinutes(119)) > 0, "423 arrived two hours ago: " + quiet);
    JsonObject fresh = items.getJsonObject(3);
    assertEquals(Boolean.FALSE, fresh.getBoolean("silent"));
    assertNotNull(fresh.getString("last_timestamp"));
    Duration since =
        Duration.between(Instant.parse(fresh.getString("last_received_at")), Instant.now());
    assertTrue(since.compareTo(Duration.ofMinutes(1)) < 0, "283 just reported: " + since);

    assertEquals(
        List.of("998", "999", "423"),
        ids(server.get("/v1/dpu-activity?silent_minutes=60&limit=3").json()));
    JsonObject lenient = server.get("/v1/dpu-activity?silent_minutes=180").json();
    assertEquals(0, lenient.getInteger("silent"), "within three hours both reported");
    assertEquals(
        Boolean.FALSE, lenient.getJsonArray("items").getJsonObject(2).getBoolean("silent"));
  }

  @Test
  @DisplayName("a bad threshold or limit is a 422 naming it; the answer needs a read token")
  void badInput() {
    Reply zero = server.get("/v1/dpu-activity?silent_minutes=0");
    assertEquals(422, zero.status());
    assertEquals("silent_minutes", zero.json().getString("field"));
    Reply many = server.get("/v1/dpu-activity?limit=100000");
    assertEquals(422, many.status());
    assertEquals("limit", many.json().getString("field"));
    assertEquals(401, server.sendAs(null, "GET", "/v1/dpu-activity", null).status());
    String read = "Bearer " + server.createToken("read");
    assertEquals(200, server.sendAs(read, "GET", "/v1/dpu-activity", null).status());
  }
}
