package io.density;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.density.load.BuildingSimulator;
import io.density.load.BuildingSimulator.Crossing;
import io.density.support.Await;
import io.density.support.ContractModel;
import io.density.support.NodeProcess;
import io.density.support.TestServer;
import io.density.support.TestServer.Reply;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

@DisplayName("Replay rebuilds every derived answer from the raw log")
class ReplayTest {
  private static final Instant START = Instant.parse("2024-05-06T06:00:00Z");
  private static final Instant END = START.plus(Duration.ofDays(2));
  private TestServer server;
  private final ContractModel contract = new ContractModel();

  @BeforeEach
  void twoDays() {
    server = new TestServer().start();
    server.provisionSimulatedBuilding(contract, START.minus(Duration.ofDays(1)));
    JsonArray batch = new JsonArray();
    for (Crossing c : BuildingSimulator.simulate(START, END, 200, 0.05, 9)) {
      batch.add(c.toJson());
      contract.add(c.dpu(), c.ts().toString(), c.direction());
    }
    assertEquals(200, server.postJson("/v1/datapoints", batch).status());
  }

  @AfterEach
  void stop() {
    server.close();
  }

  private Map<String, Object> answers() {
    Map<String, Object> out = new TreeMap<>();
    for (String space : BuildingSimulator.SPACES) {
      out.put(space, server.get("/v1/spaces/" + space + "/count").json().getValue("count"));
      for (Instant t = START; t.isBefore(END); t = t.plus(Duration.ofMinutes(45))) {
        int count = server.get("/v1/spaces/" + space + "/count?at=" + t).json().getInteger("count");
        assertEquals(contract.countAsOf(space, t), count, space + " as of " + t);
        out.put(space + "@" + t, count);
      }
      out.put(
          space + " hours",
          server
              .get(
                  "/v1/spaces/" + space + "/counts?start=" + START + "&end=" + END + "&interval=1h")
              .json()
              .getJsonArray("buckets"));
    }
    return out;
  }

  @Test
  @DisplayName(
      "after losing every count and the realtime state, a full replay gives the same answers")
  void fullReplay() {
    Map<String, Object> live = answers();
    server.rows("DELETE FROM space_count");
    server.flushRedis();
    Reply replay = server.postJson("/v1/admin/replay", new JsonObject());
    assertEquals(200, replay.status(), replay.json().encode());
    assertEquals("replayed", replay.json().getString("result"));
    assertEquals(live, answers());
  }

  @Test
  @DisplayName("a window replay repairs the counts of that window and recounts what follows")
  void windowReplay() {
    Map<String, Object> live = answers();
    Instant from = START.plus(Duration.ofHours(10));
    Instant to = START.plus(Duration.ofHours(20));
    server.rows(
        "DELETE FROM space_count WHERE ts >= $1 AND ts < $2",
        from.atOffset(java.time.ZoneOffset.UTC),
        to.atOffset(java.time.ZoneOffset.UTC));
    server.rows(
        "UPDATE space_count SET count = count + 5 WHERE ts >= $1",
        to.atOffset(java.time.ZoneOffset.UTC));
    Reply replay = server.postJson("/v1/admin/replay?from=" + from + "&to=" + to, new JsonObject());
    assertEquals(200, replay.status(), replay.json().encode());
    assertTrue(replay.json().getInteger("spaces_recounted") > 0);
    assertEquals(live, answers());
    List<?> arrivals =
        server.rows(
            "SELECT 1 FROM space_count WHERE arrival_count IS NOT NULL AND ts < $1",
            from.atOffset(java.time.ZoneOffset.UTC));
    assertTrue(arrivals.size() > 0, "rows outside the window keep their arrival counts");
  }

  @Test
  @DisplayName(
      "with Prefer: respond-async a replay answers 202 at once and its progress can be followed"
          + " to the end, by HTTP and on the event bus")
  void asyncReplayWithProgress() throws Exception {
    Map<String, Object> live = answers();
    server.rows("DELETE FROM space_count");
    server.flushRedis();
    List<JsonObject> published = new CopyOnWriteArrayList<>();
    server
        .vertx()
        .eventBus()
        .<JsonObject>consumer("density.events.replay", m -> published.add(m.body()))
        .completion()
        .await();

    HttpResponse<String> started =
        HttpClient.newHttpClient()
            .send(
                server
                    .request("/v1/admin/replay")
                    .header("Prefer", "respond-async")
                    .POST(HttpRequest.BodyPublishers.noBody())
                    .build(),
                HttpResponse.BodyHandlers.ofString());
    assertEquals(202, started.statusCode(), started.body());
    JsonObject accepted = new JsonObject(started.body());
    String id = accepted.getString("id");
    String location = started.headers().firstValue("Location").orElseThrow();
    assertEquals("/v1/admin/replays/" + id, location);
    assertEquals("respond-async", started.headers().firstValue("Preference-Applied").orElse(null));
    assertTrue(
        List.of("waiting", "attributing", "recounting", "reloading", "done")
            .contains(accepted.getString("state")),
        accepted.encode());

    assertTrue(
        Await.until(
            () -> "done".equals(server.get(location).json().getString("state")),
            Duration.ofSeconds(60)),
        "the replay ends");
    JsonObject done = server.get(location).json();
    assertEquals(BuildingSimulator.SPACES.size(), done.getInteger("spaces_total"), done.encode());
    assertEquals(done.getInteger("spaces_total"), done.getInteger("spaces_recounted"));
    assertNotNull(done.getString("finished_at"));
    assertEquals(live, answers());

    JsonObject listed =
        server.get("/v1/admin/replays").json().getJsonArray("replays").getJsonObject(0);
    assertEquals(id, listed.getString("id"), "the newest replay comes first");
    assertTrue(
        Await.until(
            () -> published.stream().anyMatch(p -> "done".equals(p.getString("state"))),
            Duration.ofSeconds(5)),
        "the end is published");
    List<String> states = published.stream().map(p -> p.getString("state")).distinct().toList();
    assertEquals(
        List.of("waiting", "attributing", "recounting", "reloading", "done"),
        states,
        "every step is published, in order");
    int before = 0;
    for (JsonObject p : published) {
      assertEquals(id, p.getString("id"));
      assertTrue(p.getInteger("spaces_recounted") >= before, "progress never goes back");
      before = p.getInteger("spaces_recounted");
    }
  }

  @Test
  @DisplayName("a replay's progress needs an admin token; an unknown replay is 404")
  void progressIsAdmin() {
    String read = "Bearer " + server.createToken("read");
    assertEquals(403, server.sendAs(read, "GET", "/v1/admin/replays", null).status());
    Reply unknown = server.get("/v1/admin/replays/0123456789abcdef");
    assertEquals(404, unknown.status());
    assertTrue(unknown.json().getString("error").contains("0123456789abcdef"));
  }

  @Test
  @DisplayName(
      "replay on the command line prints its steps and spaces recounted to standard error, the"
          + " summary to standard output")
  void commandLine() throws Exception {
    Map<String, Object> live = answers();
    server.stop();
    server.rows("DELETE FROM space_count");
    server.flushRedis();
    ProcessBuilder builder = new ProcessBuilder(NodeProcess.javaCommand("replay"));
    builder.environment().put("DENSITY_PG_URL", server.config.postgres().url());
    builder.environment().put("DENSITY_REDIS_URL", server.config.redis().url());
    builder.environment().put("DENSITY_REDIS_PREFIX", server.config.redis().keyPrefix());
    builder.redirectError(ProcessBuilder.Redirect.PIPE);
    Process process = builder.start();
    CompletableFuture<String> err =
        CompletableFuture.supplyAsync(() -> read(process.getErrorStream()));
    String out = read(process.getInputStream());
    assertTrue(process.waitFor(120, TimeUnit.SECONDS), "the replay ends by itself");
    String progress = err.get(10, TimeUnit.SECONDS);
    assertEquals(0, process.exitValue(), progress);
    JsonObject summary = new JsonObject(out.substring(out.indexOf('{')));
    assertEquals("replayed", summary.getString("result"), out);
    String spaces = String.valueOf(BuildingSimulator.SPACES.size());
    for (String step :
        List.of(
            "attributing the datapoints again",
            " of " + spaces + " spaces recounted",
            "reloading the realtime state",
            "done, " + spaces + " spaces recounted")) {
      assertTrue(progress.contains(step), step + " in:\n" + progress);
    }
    server.restart();
    assertEquals(live, answers());
  }

  private static String read(InputStream in) {
    try {
      return new String(in.readAllBytes(), StandardCharsets.UTF_8);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }
}
