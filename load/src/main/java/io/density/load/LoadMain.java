package io.density.load;

import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.json.JsonObject;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.function.Function;

/**
 * Entry point of the load tools: {@code java -jar density-load.jar <tool> [options]}. See {@code
 * load/README.md}.
 */
public final class LoadMain {
  private LoadMain() {}

  private static final DateTimeFormatter ISO_MILLIS =
      DateTimeFormatter.ofPattern("uuuu-MM-dd'T'HH:mm:ss.SSS'Z'", Locale.ROOT)
          .withZone(ZoneOffset.UTC);

  static final String USAGE =
      """
      usage: java -jar density-load.jar <tool> [options]

      tools:
        replay   replay a CSV of datapoints (the seed's format) against a server
        bench    provision a synthetic building, send datapoints, query counts, report figures
        late     load a history, then measure what late datapoints cost and when answers show them
        events   measure the time from a datapoint's acknowledgement to its count event
        overload offer many times the sustainable ingest rate; report how the excess is shed
        mqtt     publish datapoints to an MQTT broker, as a gateway would

      java -jar density-load.jar <tool> --help    prints the tool's options
      """;

  public static void main(String[] args) {
    System.exit(run(args));
  }

  /** Runs a tool and returns its exit code: 0 success, 1 failed requests, 2 usage errors. */
  public static int run(String[] args) {
    if (args.length == 0 || isHelp(args[0])) {
      System.err.print(USAGE);
      return args.length == 0 ? 2 : 0;
    }
    String[] rest = Arrays.copyOfRange(args, 1, args.length);
    String usage =
        switch (args[0]) {
          case "replay" -> Replay.USAGE;
          case "bench" -> Bench.USAGE;
          case "late" -> Late.USAGE;
          case "events" -> Events.USAGE;
          case "overload" -> Overload.USAGE;
          case "mqtt" -> MqttPublish.USAGE;
          default -> null;
        };
    if (usage == null) {
      System.err.println("unknown load tool: " + args[0]);
      System.err.print(USAGE);
      return 2;
    }
    if (Arrays.stream(rest).anyMatch(LoadMain::isHelp)) {
      System.out.print(usage);
      return 0;
    }
    try {
      return switch (args[0]) {
        case "replay" -> Replay.run(rest);
        case "late" -> Late.run(rest);
        case "events" -> Events.run(rest);
        case "overload" -> Overload.run(rest);
        case "mqtt" -> MqttPublish.run(rest);
        default -> Bench.run(rest);
      };
    } catch (IllegalArgumentException e) {
      System.err.println(args[0] + ": " + e.getMessage());
      System.err.print(usage);
      return 2;
    }
  }

  private static boolean isHelp(String arg) {
    return arg.equals("--help") || arg.equals("-h") || arg.equals("help");
  }

  /**
   * Runs a tool's work on one Vert.x context (so its state needs no locks), waits for its exit code
   * on the calling thread, and closes Vert.x.
   */
  static int onVertx(Function<Vertx, Future<Integer>> work) {
    Vertx vertx = Vertx.vertx();
    Promise<Integer> code = Promise.promise();
    vertx
        .getOrCreateContext()
        .runOnContext(
            v -> {
              try {
                work.apply(vertx).onComplete(code);
              } catch (RuntimeException e) {
                code.fail(e);
              }
            });
    int exit;
    try {
      exit = code.future().await();
    } catch (RuntimeException e) {
      System.err.println("load tool failed: " + e);
      exit = 1;
    }
    try {
      vertx.close().await();
    } catch (RuntimeException e) {
      System.err.println("closing Vert.x failed: " + e.getMessage());
    }
    return exit;
  }

  /**
   * Asks the server for {@code GET /health} before a run, so that a wrong --url fails at once
   * rather than after every request's retries. Only no answer at all is fatal.
   */
  static Future<Boolean> reachable(LoadClient client, String tool) {
    return client
        .get("/health")
        .map(
            result -> {
              if (result.status() < 0) {
                System.err.println(
                    tool + ": no answer from " + client.target() + ": " + result.error());
                return false;
              }
              if (result.status() != 200) {
                System.err.println(tool + ": warning: GET /health answered " + result.describe());
              }
              return true;
            });
  }

  /**
   * Sends management requests, each {@code [method, path, JSON body]} with the method a {@link
   * HttpMethod} or its name, one after the other: false at the first that fails, after a line
   * {@code <tool>: <method> <path> failed: ...} on stderr.
   */
  static Future<Boolean> inOrder(LoadClient client, String tool, List<Object[]> requests) {
    return inOrder(client, tool, requests, 0);
  }

  private static Future<Boolean> inOrder(
      LoadClient client, String tool, List<Object[]> requests, int index) {
    if (index == requests.size()) {
      return Future.succeededFuture(true);
    }
    Object[] request = requests.get(index);
    HttpMethod method = HttpMethod.valueOf(request[0].toString());
    String path = (String) request[1];
    return client
        .json(method, path, ((JsonObject) request[2]).toBuffer())
        .compose(
            result -> {
              if (!result.ok()) {
                System.err.println(
                    tool + ": " + method + " " + path + " failed: " + result.describe());
                return Future.succeededFuture(false);
              }
              return inOrder(client, tool, requests, index + 1);
            });
  }

  /**
   * The last line of a run on stdout: {@code RESULT} and the run's figures as one JSON object, the
   * exit code last, as {@code exit_code}.
   *
   * @return the exit code
   */
  static int result(JsonObject figures, int exit) {
    System.out.println("RESULT " + figures.put("exit_code", exit).encode());
    return exit;
  }

  /**
   * The summary's lines on why a run stopped before its end: at --max-seconds, or early on an error
   * shown before.
   */
  static void stopNotes(boolean timedOut, boolean aborted) {
    if (timedOut) {
      System.out.println("  stopped at --max-seconds");
    }
    if (aborted) {
      System.out.println("  stopped early: see the errors above");
    }
  }

  /** Seconds since a {@link System#nanoTime()}. */
  static double secondsSince(long startNanos) {
    return (System.nanoTime() - startNanos) / 1e9;
  }

  /** Microseconds since the epoch. */
  static long micros(Instant instant) {
    return instant.getEpochSecond() * 1_000_000L + instant.getNano() / 1_000;
  }

  /** A rate, 0 when no time passed. */
  static double rate(double amount, double seconds) {
    return seconds <= 0 ? 0 : amount / seconds;
  }

  /** A figure for the human-readable lines: "n/a" for NaN, else two decimals. */
  static String fmt(double value) {
    return Double.isNaN(value) ? "n/a" : String.format(Locale.ROOT, "%.2f", value);
  }

  /** A figure for the RESULT line: null for NaN, else rounded to two decimals. */
  static Object num(double value) {
    return Double.isNaN(value) ? null : Math.round(value * 100) / 100.0;
  }

  /** Milliseconds since the epoch as an ISO-8601 UTC instant with milliseconds. */
  static String iso(long millis) {
    return ISO_MILLIS.format(Instant.ofEpochMilli(millis));
  }

  /** A whole JSON number as a Long; null for anything else. */
  static Long number(Object value) {
    return value instanceof Number n && n.doubleValue() == n.longValue() ? n.longValue() : null;
  }
}
