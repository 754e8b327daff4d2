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
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The quick start: {@code dev} with nothing but a JDK, its embedded PostgreSQL and Redis, the
 * sample building, the tokens it prints, and a clean stop.
 */
@DisplayName("dev mode: embedded databases, the sample building, printed tokens, a clean stop")
class DevModeTest {
  private Process process;

  @AfterEach
  void kill() throws Exception {
    if (process != null) {
      process.destroyForcibly().waitFor();
    }
  }

  @Test
  @DisplayName(
      "serves the sample building with the printed READ token, and on SIGTERM stops the server"
          + " before its databases, within 10 s and without an error")
  void quickStart(@TempDir Path dir) throws Exception {
    int port = Ports.free();
    ProcessBuilder builder = new ProcessBuilder(NodeProcess.javaCommand("dev"));
    builder.environment().remove("DENSITY_PG_URL");
    builder.environment().remove("DENSITY_REDIS_URL");
    builder.environment().put("DENSITY_HTTP_PORT", String.valueOf(port));
    // To a file: a pipe read while the process exits can fail with "Stream closed".
    Path log = dir.resolve("dev.log");
    builder.redirectErrorStream(true).redirectOutput(log.toFile());
    process = builder.start();
    assertTrue(
        Await.until(() -> read(log).contains("Stop with Ctrl-C."), Duration.ofSeconds(120)),
        "dev mode says it is running:\n" + read(log));
    String output = read(log);

    Matcher read = Pattern.compile("READ=(dens_\\S+)").matcher(output);
    assertTrue(read.find(), output.toString());
    assertTrue(output.indexOf("http://localhost:" + port + "/ui/#token=" + read.group(1)) >= 0);
    HttpResponse<String> count =
        HttpClient.newHttpClient()
            .send(
                HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/?space=A"))
                    .header("Authorization", "Bearer " + read.group(1))
                    .build(),
                HttpResponse.BodyHandlers.ofString());
    assertEquals(200, count.statusCode(), count.body());
    assertTrue(new JsonObject(count.body()).containsKey("count"), count.body());
    // The link to the API reference it prints opens without a token.
    assertTrue(output.contains("http://localhost:" + port + "/docs/"), output);
    HttpResponse<String> reference =
        HttpClient.newHttpClient()
            .send(
                HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/docs/")).build(),
                HttpResponse.BodyHandlers.ofString());
    assertEquals(200, reference.statusCode());
    assertTrue(reference.body().contains("swagger-ui-bundle.js"), reference.body());

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
