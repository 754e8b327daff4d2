package io.density;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.density.support.TestServer;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.io.IOException;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

/**
 * Many clients at once, none waiting for the others, against a queue of 2,000 datapoints: far more
 * than the server can take. The excess must be refused at once with 429 and Retry-After, and what
 * was acknowledged must be stored and counted once. (The figures at ten times the sustainable rate
 * with a bounded heap come from {@code load/overload.sh}; see docs/benchmarks.md.)
 */
@DisplayName("Overload: the excess gets 429 with Retry-After, nothing acknowledged is lost")
class OverloadTest {
  private static final int CLIENTS = 16;
  private static final int REQUESTS_EACH = 40;
  private static final int BATCH = 250;

  private TestServer server;

  @BeforeEach
  void start() {
    server = new TestServer();
    server.config = server.config.with("ingest", "maxPending", 2000);
    server.start();
  }

  @AfterEach
  void stop() {
    server.close();
  }

  @Test
  @DisplayName("16 clients sending without pause: 429s appear, every acknowledged datapoint counts")
  void manyTimesTheQueue() throws Exception {
    AtomicLong acknowledged = new AtomicLong();
    AtomicLong refused = new AtomicLong();
    AtomicLong refusedWithoutRetryAfter = new AtomicLong();
    AtomicLong other = new AtomicLong();
    HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();
    ExecutorService clients = Executors.newFixedThreadPool(CLIENTS);
    List<Future<?>> running = new ArrayList<>();
    Instant base = Instant.parse("2024-06-01T00:00:00Z");
    for (int c = 0; c < CLIENTS; c++) {
      int client = c;
      running.add(
          clients.submit(
              () -> {
                for (int r = 0; r < REQUESTS_EACH; r++) {
                  JsonArray batch = new JsonArray();
                  for (int i = 0; i < BATCH; i++) {
                    long n = ((long) client * REQUESTS_EACH + r) * BATCH + i;
                    batch.add(
                        new JsonObject()
                            .put("dpu_id", "dpu-" + client)
                            .put("direction", n % 3 == 0 ? -1 : 1)
                            .put("timestamp", base.plusMillis(n).toString()));
                  }
                  HttpResponse<String> answer = send(http, batch);
                  if (answer.statusCode() == 200) {
                    acknowledged.addAndGet(new JsonObject(answer.body()).getLong("accepted"));
                  } else if (answer.statusCode() == 429) {
                    refused.incrementAndGet();
                    if (answer.headers().firstValue("Retry-After").isEmpty()) {
                      refusedWithoutRetryAfter.incrementAndGet();
                    }
                  } else {
                    other.incrementAndGet();
                  }
                }
                return null;
              }));
    }
    for (Future<?> f : running) {
      f.get(120, TimeUnit.SECONDS);
    }
    clients.shutdown();

    System.out.printf(
        "overload: %d datapoints acknowledged, %d requests refused with 429, %d other%n",
        acknowledged.get(), refused.get(), other.get());
    assertTrue(refused.get() > 0, "the excess is refused");
    assertEquals(0, refusedWithoutRetryAfter.get(), "every 429 says when to retry");
    assertEquals(0, other.get(), "nothing but 200 and 429");
    assertTrue(acknowledged.get() > 0, "some is taken");
    assertEquals(acknowledged.get(), server.countRows("datapoint"), "stored: all, and only, those");
    long counted = 0;
    for (int c = 0; c < CLIENTS; c++) {
      JsonObject dpu = server.get("/v1/dpus/dpu-" + c).json();
      counted += dpu.getLong("entries", 0L) + dpu.getLong("exits", 0L);
    }
    assertEquals(acknowledged.get(), counted, "counted once each");
    assertEquals(0, server.countRows("uncounted_batch"));
  }

  private HttpResponse<String> send(HttpClient http, JsonArray batch) {
    HttpRequest request =
        server
            .request("/v1/datapoints")
            .timeout(Duration.ofSeconds(60))
            .header("Content-Type", "application/json")
            .POST(HttpRequest.BodyPublishers.ofString(batch.encode()))
            .build();
    try {
      return http.send(request, HttpResponse.BodyHandlers.ofString());
    } catch (IOException | InterruptedException e) {
      throw new IllegalStateException(e);
    }
  }
}
