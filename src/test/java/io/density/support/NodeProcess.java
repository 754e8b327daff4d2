package io.density.support;

import java.io.File;
import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Assertions;

/**
 * A server in a process of its own ({@code io.density.Main} on this test run's classpath), on the
 * database and Redis prefix of a {@link TestServer}, so that a test can stop it as an operator or a
 * crash would: SIGTERM ({@link Process#destroy}) or SIGKILL.
 */
public final class NodeProcess {
  private final HttpClient http =
      HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();
  public final int port;
  public final Process process;
  private String token;

  private NodeProcess(int port, Process process) {
    this.port = port;
    this.process = process;
  }

  /** How a command that ran to its end ended: its exit status, and its output and errors. */
  public record Outcome(int exit, String output) {}

  /**
   * Runs {@code io.density.Main ARGS...} to its end with the database's PostgreSQL and Redis and
   * the environment given (which wins), at most 60 s.
   */
  public static Outcome runToEnd(TestServer database, Map<String, String> env, String... args)
      throws IOException, InterruptedException {
    ProcessBuilder builder = new ProcessBuilder(javaCommand(args));
    builder.environment().put("DENSITY_PG_URL", database.config.postgres().url());
    builder.environment().put("DENSITY_REDIS_URL", database.config.redis().url());
    builder.environment().putAll(env);
    builder.redirectErrorStream(true);
    Process process = builder.start();
    byte[] output = process.getInputStream().readAllBytes();
    if (!process.waitFor(60, TimeUnit.SECONDS)) {
      process.destroyForcibly();
      throw new AssertionError("the process did not end by itself within 60 s");
    }
    return new Outcome(process.exitValue(), new String(output, StandardCharsets.UTF_8));
  }

  /** {@code java [the test JVM's --add-opens] -cp <classpath> io.density.Main ARGS...}. */
  public static List<String> javaCommand(String... args) {
    List<String> command = new ArrayList<>();
    command.add(System.getProperty("java.home") + File.separator + "bin" + File.separator + "java");
    ManagementFactory.getRuntimeMXBean().getInputArguments().stream()
        .filter(a -> a.startsWith("--add-opens") || a.startsWith("--add-exports"))
        .forEach(command::add);
    command.add("-cp");
    command.add(System.getProperty("java.class.path"));
    command.add("io.density.Main");
    command.addAll(List.of(args));
    return command;
  }

  /**
   * Starts {@code serve} on 127.0.0.1:port with the database's PostgreSQL and Redis prefix and the
   * environment given; its output goes to target/LOGNAME.log.
   */
  public static NodeProcess start(
      TestServer database, int port, String logName, Map<String, String> env) throws IOException {
    ProcessBuilder builder = new ProcessBuilder(javaCommand());
    Map<String, String> environment = builder.environment();
    environment.put("DENSITY_PG_URL", database.config.postgres().url());
    environment.put("DENSITY_REDIS_URL", database.config.redis().url());
    environment.put("DENSITY_REDIS_PREFIX", database.config.redis().keyPrefix());
    environment.put("DENSITY_HTTP_PORT", String.valueOf(port));
    environment.put("DENSITY_HTTP_HOST", "127.0.0.1");
    environment.putAll(env);
    builder.redirectErrorStream(true);
    builder.redirectOutput(new File("target", logName + ".log"));
    return new NodeProcess(port, builder.start());
  }

  /**
   * {@link #start}, then waits up to a minute for {@code GET /ready} to answer UP; a node not ready
   * by then is killed and fails the test, naming its log.
   */
  public static NodeProcess startReady(
      TestServer database, int port, String logName, Map<String, String> env) throws IOException {
    NodeProcess node = start(database, port, logName, env);
    if (!node.awaitReady(Duration.ofSeconds(60))) {
      node.process.destroyForcibly();
      Assertions.fail(
          "node "
              + logName
              + " on port "
              + port
              + " not ready within 60 s (its log: target/"
              + logName
              + ".log)");
    }
    return node;
  }

  /** The token sent with every request from now on. */
  public void token(String token) {
    this.token = token;
  }

  public String token() {
    return token;
  }

  /** Until {@code GET /ready} answers UP, or the deadline. */
  public boolean awaitReady(Duration deadline) {
    return Await.until(
        () -> {
          try {
            return send("GET", "/ready", null).body().contains("\"outcome\":\"UP\"");
          } catch (IOException notYet) {
            return false;
          } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return false;
          }
        },
        deadline);
  }

  public HttpResponse<String> send(String method, String path, String json)
      throws IOException, InterruptedException {
    HttpRequest.Builder request =
        HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + path))
            .timeout(Duration.ofSeconds(15));
    if (token != null) {
      request.header("Authorization", "Bearer " + token);
    }
    if (json != null) {
      request
          .header("Content-Type", "application/json")
          .method(method, HttpRequest.BodyPublishers.ofString(json));
    } else {
      request.method(method, HttpRequest.BodyPublishers.noBody());
    }
    return http.send(request.build(), HttpResponse.BodyHandlers.ofString());
  }
}
