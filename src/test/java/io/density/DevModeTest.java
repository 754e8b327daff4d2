package io.density;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.density.support.Await;
import io.density.support.NodeProcess;
import io.density.support.Ports;
import io.vertx.core.json.JsonObject;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.io.TempDir;

/**
 * The quick start: {@code dev} with nothing but a JDK, its embedded PostgreSQL and Redis, the
 * sample building, the tokens it prints, and a clean stop. One dev process for the class; the last
 * test stops it.
 */
@DisplayName("dev mode: embedded databases, the sample building, printed tokens, a clean stop")
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class DevModeTest {
  @TempDir static Path dir;

  private static Process process;
  private static Path log;
  private static int port;

  /** What dev mode printed until it said it runs. */
  private static String started;

  private static String readToken;

  @BeforeAll
  static void start() throws Exception {
    port = Ports.free();
    ProcessBuilder builder = new ProcessBuilder(NodeProcess.javaCommand("dev"));
    builder.environment().remove("DENSITY_PG_URL");
    builder.environment().remove("DENSITY_REDIS_URL");
    builder.environment().put("DENSITY_HTTP_PORT", String.valueOf(port));
    // To a file: a pipe read while the process exits can fail with "Stream closed".
    log = dir.resolve("dev.log");
    builder.redirectErrorStream(true).redirectOutput(log.toFile());
    process = builder.start();
    assertTrue(
        Await.until(() -> read(log).contains("Stop with Ctrl-C."), Duration.ofSeconds(120)),
        "dev mode says it is running:\n" + read(log));
    String output = read(log);
    started = output.substring(0, output.indexOf("Stop with Ctrl-C."));
    Matcher read = Pattern.compile("READ=(dens_\\S+)").matcher(started);
    assertTrue(read.find(), started);
    readToken = read.group(1);
  }

  @AfterAll
  static void kill() throws Exception {
    if (process != null) {
      process.destroyForcibly().waitFor();
    }
  }

  private static HttpResponse<String> get(String path) throws Exception {
    return HttpClient.newHttpClient()
        .send(
            HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + path))
                .header("Authorization", "Bearer " + readToken)
                .build(),
            HttpResponse.BodyHandlers.ofString());
  }

  @Test
  @Order(1)
  @DisplayName("serves the sample building with the printed READ token, and links the dashboard")
  void servesTheSample() throws Exception {
    assertTrue(started.contains("http://localhost:" + port + "/ui/#token=" + readToken), started);
    HttpResponse<String> count = get("/?space=A");
    assertEquals(200, count.statusCode(), count.body());
    assertTrue(new JsonObject(count.body()).containsKey("count"), count.body());
    // The link to the API reference it prints opens without a token.
    assertTrue(started.contains("http://localhost:" + port + "/docs/"), started);
    HttpResponse<String> reference =
        HttpClient.newHttpClient()
            .send(
                HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/docs/")).build(),
                HttpResponse.BodyHandlers.ofString());
    assertEquals(200, reference.statusCode());
    assertTrue(reference.body().contains("swagger-ui-bundle.js"), reference.body());
  }

  @Test
  @Order(2)
  @DisplayName("GET /metrics answers as in production, with the sample traffic counted")
  void metrics() throws Exception {
    HttpResponse<String> metrics = get("/metrics");
    assertEquals(200, metrics.statusCode(), metrics.body());
    assertTrue(
        metrics.headers().firstValue("Content-Type").orElse("").startsWith("text/plain"),
        metrics.headers().toString());
    Matcher accepted =
        Pattern.compile("density_datapoints_total\\{result=\"accepted\"\\} (\\d+)")
            .matcher(metrics.body());
    assertTrue(accepted.find(), metrics.body());
    assertTrue(Double.parseDouble(accepted.group(1)) > 0, "the simulated day was counted");
  }

  @Test
  @Order(3)
  @DisplayName(
      "the start prints the banner, not the embedded PostgreSQL's log, which goes to the file it"
          + " names")
  void quietStart() throws Exception {
    for (String noise :
        new String[] {"io.zonky", "initdb", "database system is ready", "org.flywaydb"}) {
      assertFalse(started.contains(noise), noise + " printed at start:\n" + started);
    }
    assertTrue(started.contains("Every API request needs a token"), started);
    Matcher named =
        Pattern.compile("Starting an embedded PostgreSQL \\(its log: (\\S+)\\)").matcher(started);
    assertTrue(named.find(), started);
    String postgresLog = read(Path.of(named.group(1)));
    assertTrue(postgresLog.contains("database system is ready to accept connections"), postgresLog);
    assertTrue(postgresLog.contains("Successfully applied"), "the migrations:\n" + postgresLog);
    long lines = started.lines().count();
    System.out.printf("dev mode printed %d lines before it said it runs%n", lines);
  }

  @Test
  @Order(4)
  @DisplayName("on SIGTERM stops the server before its databases, within 10 s and without an error")
  void stops() throws Exception {
    long stopping = System.nanoTime();
    process.destroy(); // SIGTERM
    assertTrue(process.waitFor(10, TimeUnit.SECONDS), "dev mode stops within 10 s of SIGTERM");
    System.out.printf(
        "dev mode stopped %.2f s after SIGTERM%n", (System.nanoTime() - stopping) / 1e9);
    String all = read(log);
    String stop = all.substring(all.indexOf("Stop with Ctrl-C."));
    assertTrue(stop.contains("Density stopped"), stop);
    assertFalse(stop.contains("Exception"), "no error while stopping:\n" + stop);
  }

  private static String read(Path file) {
    try {
      return Files.exists(file) ? Files.readString(file) : "";
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }
}
