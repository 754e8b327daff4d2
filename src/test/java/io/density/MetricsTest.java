package io.density;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.density.support.TestServer;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.net.http.HttpClient;
import java.net.http.HttpResponse;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

@DisplayName("GET /metrics: Prometheus text with Vert.x's figures and the server's own")
class MetricsTest {
  private TestServer server;

  @BeforeEach
  void start() {
    server = new TestServer().start();
    server.provisionSeedBuilding();
  }

  @AfterEach
  void stop() {
    server.close();
  }

  private String scrape() throws Exception {
    HttpResponse<String> response =
        HttpClient.newHttpClient()
            .send(server.request("/metrics").build(), HttpResponse.BodyHandlers.ofString());
    assertEquals(200, response.statusCode());
    return response.body();
  }

  private static double value(String text, String series) {
    Matcher m =
        Pattern.compile("^" + Pattern.quote(series) + " ([0-9.eE+-]+)$", Pattern.MULTILINE)
            .matcher(text);
    assertTrue(m.find(), "no " + series + " in\n" + text);
    return Double.parseDouble(m.group(1));
  }

  @Test
  @DisplayName(
      "datapoints accepted, duplicate and rejected, batches, shards and the lead are counted")
  void domainFigures() throws Exception {
    JsonArray batch = new JsonArray();
    for (int i = 0; i < 5; i++) {
      batch.add(
          new JsonObject()
              .put("timestamp", "2024-03-04T10:00:0" + i + "Z")
              .put("direction", 1)
              .put("dpu_id", "283"));
    }
    batch.add(batch.getJsonObject(0).copy()); // a repeat
    batch.add(new JsonObject().put("timestamp", "2024-03-04T10:00:00Z").put("direction", 3));
    assertEquals(200, server.postJson("/v1/datapoints", batch).status());

    String text = scrape();
    assertEquals(5.0, value(text, "density_datapoints_total{result=\"accepted\"}"));
    assertEquals(1.0, value(text, "density_datapoints_total{result=\"duplicate\"}"));
    assertEquals(1.0, value(text, "density_datapoints_total{result=\"rejected\"}"));
    assertEquals(1.0, value(text, "density_batch_datapoints_count"));
    assertEquals(6.0, value(text, "density_batch_datapoints_sum"));
    assertEquals(
        server.config.ingest().countingShards(), value(text, "density_counting_shards_owned"));
    assertEquals(1.0, value(text, "density_leader{job=\"re-deriving counts\"}"));
    // One part of one batch went through the Redis script; a late datapoint is reconciled; an
    // explicit reset is written.
    assertTrue(value(text, "density_redis_script_seconds_count") >= 1.0, "Redis script timed");
    assertEquals(
        200,
        server
            .postJson(
                "/v1/datapoints",
                new JsonArray()
                    .add(
                        new JsonObject()
                            .put("timestamp", "2024-03-04T09:00:00Z")
                            .put("direction", -1)
                            .put("dpu_id", "283")))
            .status());
    assertEquals(
        201,
        server
            .postJson(
                "/v1/spaces/A/resets",
                new JsonObject().put("timestamp", "2024-03-04T11:00:00Z").put("count", 0))
            .status());
    text = scrape();
    assertEquals(1.0, value(text, "density_reconciliation_seconds_count"), "a late part");
    assertTrue(value(text, "density_reconciled_spaces_total") >= 1.0);
    assertEquals(1.0, value(text, "density_resets_written_total{kind=\"explicit\"}"));
    assertEquals(0.0, value(text, "density_ingest_shed_total"));
    assertEquals(0.0, value(text, "density_ingest_overloaded_total"));
    // Webhook figures are there from the start (AlertsTest makes them move).
    assertEquals(0.0, value(text, "density_webhook_failures_total{reason=\"attempts_exhausted\"}"));
    assertEquals(0.0, value(text, "density_webhook_failures_total{reason=\"refused_target\"}"));
    assertEquals(0.0, value(text, "density_webhook_dropped_total"));
    assertEquals(0.0, value(text, "density_webhook_pending_deliveries"));
    assertTrue(text.contains("vertx_http_server_requests_total"), "Vert.x's HTTP figures");
    assertTrue(text.contains("vertx_eventbus_"), "Vert.x's event-bus figures");
    assertFalse(
        text.contains("vertx_net_client_"),
        "no net client figures: one unlabelled gauge for every client, kept once");
    // Each PostgreSQL pool has figures of its own, named by what uses it.
    assertTrue(text.contains("vertx_pool_in_use{pool_name=\"writer\",pool_type=\"sql\"}"), text);
    assertTrue(text.contains("vertx_pool_in_use{pool_name=\"query\",pool_type=\"sql\"}"), text);
    assertTrue(
        text.contains("vertx_sql_processing_time_seconds_count{client_namespace=\"writer\"}"));
    assertEquals(401, server.sendAs(null, "GET", "/metrics", null).status(), "needs a token");
  }
}
