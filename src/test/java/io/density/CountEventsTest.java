package io.density;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.density.bus.Addresses;
import io.density.dev.SeedBuilding;
import io.density.support.Await;
import io.density.support.ContractModel;
import io.density.support.TestServer;
import io.vertx.core.json.JsonObject;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

@DisplayName("Every change of a count is published, in order, on the event bus and as SSE")
class CountEventsTest {
  private static final Instant DAY = Instant.parse("2024-10-07T00:00:00Z");
  private TestServer server;
  private final ContractModel contract = ContractModel.seedBuilding();

  @BeforeEach
  void start() {
    server = new TestServer().start();
    server.provisionSeedBuilding();
  }

  @AfterEach
  void stop() {
    server.close();
  }

  @Test
  @DisplayName(
      "an event-bus consumer sees each space's changes in timestamp order, ending at its count")
  void eventBusConsumer() {
    List<JsonObject> events = new CopyOnWriteArrayList<>();
    server
        .vertx()
        .eventBus()
        .<JsonObject>consumer(Addresses.COUNT_EVENTS, m -> events.add(m.body()))
        .completion()
        .await();

    server.feed(contract, SeedBuilding.day(DAY, DAY.plus(Duration.ofDays(1)), 120, 4));
    JsonObject late =
        new JsonObject()
            .put("timestamp", DAY.plus(Duration.ofHours(3)).toString())
            .put("direction", 1)
            .put("dpu_id", "283");
    server.feed(contract, List.of(late));
    Instant reset = DAY.plus(Duration.ofHours(20));
    server.postJson(
        "/v1/spaces/B/resets", new JsonObject().put("timestamp", reset.toString()).put("count", 0));
    contract.reset("B", reset, 0);

    for (String space : List.of("A", "B")) {
      int expected = contract.realtime(space);
      Await.until(() -> endsAt(events, space, expected), Duration.ofSeconds(10));
      List<JsonObject> mine =
          events.stream().filter(e -> e.getString("space_id").equals(space)).toList();
      assertEquals(
          contract.realtime(space),
          mine.get(mine.size() - 1).getInteger("count"),
          space + ": the last event is the count");
      Instant previous = Instant.MIN;
      for (JsonObject e : mine) {
        if (e.getString("cause").equals("datapoint")) {
          Instant ts = Instant.parse(e.getString("timestamp"));
          assertTrue(!ts.isBefore(previous), space + ": datapoint events in timestamp order");
          previous = ts;
        }
      }
    }
    assertTrue(
        events.stream().anyMatch(e -> e.getString("cause").equals("reconciliation")),
        "the late datapoint");
    assertTrue(
        events.stream()
            .anyMatch(
                e -> e.getString("cause").equals("reset") && e.getString("space_id").equals("B")));
  }

  private static boolean endsAt(List<JsonObject> events, String space, int count) {
    List<JsonObject> mine =
        events.stream().filter(e -> e.getString("space_id").equals(space)).toList();
    return !mine.isEmpty() && mine.get(mine.size() - 1).getInteger("count") == count;
  }

  @Test
  @DisplayName("an SSE client of /v1/events receives the changes of the spaces it asked for")
  void serverSentEvents() throws Exception {
    HttpRequest request = server.request("/v1/events?space=B").build();
    // A client that came and went before: the stream's consumer goes with the last client and
    // comes back with the next one.
    HttpResponse<Stream<String>> earlier =
        HttpClient.newHttpClient()
            .sendAsync(request, HttpResponse.BodyHandlers.ofLines())
            .get(10, TimeUnit.SECONDS);
    assertEquals(200, earlier.statusCode());
    earlier.body().close();

    BlockingQueue<String> lines = new LinkedBlockingQueue<>();
    CompletableFuture<HttpResponse<Stream<String>>> response =
        HttpClient.newHttpClient().sendAsync(request, HttpResponse.BodyHandlers.ofLines());
    HttpResponse<Stream<String>> open = response.get(10, TimeUnit.SECONDS);
    assertEquals(200, open.statusCode());
    assertTrue(
        open.headers().firstValue("Content-Type").orElse("").startsWith("text/event-stream"));
    Thread reader = new Thread(() -> open.body().forEach(lines::add));
    reader.setDaemon(true);
    reader.start();

    server.feed(contract, SeedBuilding.day(DAY, DAY.plus(Duration.ofDays(1)), 60, 6));
    int expected = contract.realtime("B");
    Instant deadline = Instant.now().plusSeconds(10);
    JsonObject last = null;
    int events = 0;
    while (Instant.now().isBefore(deadline)) {
      String line = lines.poll(200, TimeUnit.MILLISECONDS);
      if (line != null && line.startsWith("data: ")) {
        last = new JsonObject(line.substring(6));
        assertEquals("B", last.getString("space_id"), "only the space asked for");
        events++;
        if (last.getInteger("count") == expected && lines.isEmpty()) {
          break;
        }
      }
    }
    assertTrue(events > 0);
    assertEquals(expected, last.getInteger("count"));
  }
}
