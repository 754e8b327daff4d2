package io.density.load;

import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.PoolOptions;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.client.HttpRequest;
import io.vertx.ext.web.client.HttpResponse;
import io.vertx.ext.web.client.WebClient;
import io.vertx.ext.web.client.WebClientOptions;
import java.net.URI;
import java.net.URISyntaxException;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ThreadLocalRandom;

/**
 * HTTP to the server under test. Every request of the load tools is idempotent (datapoints are
 * deduplicated, management writes are PUT by id or idempotent), so a request answered 429 or 503,
 * or lost to a transport error, is retried after a backoff, a bounded number of times. The answer
 * is always a {@link Result}; the future never fails.
 *
 * <p>Use it from one Vert.x context: its counters are not synchronized.
 */
final class LoadClient {
  /** The API token the tools send (DENSITY_TOKEN), or null for a server without authentication. */
  static final String TOKEN = System.getenv("DENSITY_TOKEN");

  /** Attempts per request, the first included. */
  static final int MAX_ATTEMPTS = 6;

  private static final long REQUEST_TIMEOUT_MS = 90_000;
  private static final long MAX_BACKOFF_MS = 5_000;

  /** The final answer to a request: status -1 when no HTTP answer came. */
  record Result(int status, Buffer body, long latencyNanos, String error) {
    boolean ok() {
      return status >= 200 && status < 300;
    }

    /** The body as a JSON object, or null when it is not one. */
    JsonObject json() {
      if (body == null || body.length() == 0) {
        return null;
      }
      try {
        Object value = body.toJsonValue();
        return value instanceof JsonObject object ? object : null;
      } catch (RuntimeException e) {
        return null;
      }
    }

    /** A short description for error lines: the status and the server's error message. */
    String describe() {
      if (status < 0) {
        return "no answer: " + error;
      }
      JsonObject json = json();
      String detail =
          json != null && json.getValue("error") != null
              ? json.getValue("error").toString()
              : body == null ? "" : abbreviate(body.toString());
      return "HTTP " + status + (detail.isEmpty() ? "" : ": " + detail);
    }
  }

  private final Vertx vertx;
  private final WebClient client;
  private final String basePath;
  private final String target;
  private final long deadlineNanos;
  private long retries;

  /**
   * @param url {@code http://host:port[/prefix]}
   * @param connections the most connections to open (requests in flight)
   * @param deadlineNanos no retry is scheduled after this {@link System#nanoTime()}
   */
  LoadClient(Vertx vertx, String url, int connections, long deadlineNanos) {
    URI uri = checkUrl(url);
    int port = uri.getPort() < 0 ? 80 : uri.getPort();
    String path = uri.getRawPath() == null ? "" : uri.getRawPath();
    this.basePath = path.endsWith("/") ? path.substring(0, path.length() - 1) : path;
    this.target = "http://" + uri.getHost() + ":" + port + basePath;
    this.vertx = vertx;
    this.deadlineNanos = deadlineNanos;
    this.client =
        WebClient.create(
            vertx,
            new WebClientOptions()
                .setDefaultHost(uri.getHost())
                .setDefaultPort(port)
                .setKeepAlive(true)
                .setTcpNoDelay(true)
                .setConnectTimeout(5_000)
                .setUserAgent("density-load"),
            new PoolOptions().setHttp1MaxSize(Math.max(1, connections)));
  }

  /**
   * A comma-separated --url list as its URLs (one or more), or an IllegalArgumentException saying
   * what is wrong with it.
   */
  static List<String> checkUrls(String urls) {
    List<String> list = new ArrayList<>();
    for (String url : urls.split(",", -1)) {
      if (url.isBlank()) {
        throw new IllegalArgumentException("--url has an empty entry: " + urls);
      }
      checkUrl(url);
      list.add(url.trim());
    }
    return List.copyOf(list);
  }

  /** The --url as a URI, or an IllegalArgumentException saying what is wrong with it. */
  static URI checkUrl(String url) {
    URI uri;
    try {
      uri = new URI(url.trim());
    } catch (URISyntaxException e) {
      throw new IllegalArgumentException("--url is not a URL: " + url);
    }
    if (!"http".equalsIgnoreCase(uri.getScheme())
        || uri.getHost() == null
        || uri.getRawQuery() != null) {
      throw new IllegalArgumentException("--url must be http://host:port, not " + url);
    }
    return uri;
  }

  /** The server, as {@code http://host:port[/prefix]}. */
  String target() {
    return target;
  }

  /** Retries scheduled so far (429, 503 or transport errors). */
  long retries() {
    return retries;
  }

  Future<Result> get(String path) {
    return send(HttpMethod.GET, path, null, null);
  }

  Future<Result> json(HttpMethod method, String path, Buffer body) {
    return send(method, path, "application/json", body);
  }

  Future<Result> send(HttpMethod method, String path, String contentType, Buffer body) {
    Promise<Result> result = Promise.promise();
    attempt(method, path, contentType, body, 1, result);
    return result.future();
  }

  /** Closes the connections; a Future so that it fits {@link Future#eventually}. */
  Future<Void> close() {
    client.close();
    return Future.succeededFuture();
  }

  private void attempt(
      HttpMethod method,
      String path,
      String contentType,
      Buffer body,
      int attempt,
      Promise<Result> result) {
    HttpRequest<Buffer> request =
        client.request(method, basePath + path).timeout(REQUEST_TIMEOUT_MS);
    if (contentType != null) {
      request.putHeader("Content-Type", contentType);
    }
    if (TOKEN != null) {
      request.putHeader("Authorization", "Bearer " + TOKEN);
    }
    long started = System.nanoTime();
    Future<HttpResponse<Buffer>> sent = body == null ? request.send() : request.sendBuffer(body);
    sent.onComplete(
        ar -> {
          long latency = System.nanoTime() - started;
          Result answer =
              ar.succeeded()
                  ? new Result(ar.result().statusCode(), ar.result().body(), latency, null)
                  : new Result(-1, null, latency, String.valueOf(ar.cause().getMessage()));
          boolean retryable = answer.status == 429 || answer.status == 503 || answer.status < 0;
          long delay =
              backoffMs(attempt, ar.succeeded() ? ar.result().getHeader("Retry-After") : null);
          if (retryable
              && attempt < MAX_ATTEMPTS
              && System.nanoTime() + delay * 1_000_000 < deadlineNanos) {
            retries++;
            vertx.setTimer(
                delay, id -> attempt(method, path, contentType, body, attempt + 1, result));
          } else {
            result.complete(answer);
          }
        });
  }

  /** Retry-After when the server gave one, else exponential from 100 ms; both capped, jittered. */
  private static long backoffMs(int attempt, String retryAfter) {
    long base = 100L << Math.min(attempt - 1, 10);
    if (retryAfter != null) {
      try {
        base = Long.parseLong(retryAfter.trim()) * 1_000;
      } catch (NumberFormatException ignored) {
        // an HTTP date: keep the exponential backoff
      }
    }
    base = Math.max(1, Math.min(base, MAX_BACKOFF_MS));
    return base + ThreadLocalRandom.current().nextLong(base / 4 + 1);
  }

  private static String abbreviate(String text) {
    String line = text.replace('\n', ' ').strip();
    return line.length() <= 200 ? line : line.substring(0, 200) + "...";
  }
}
