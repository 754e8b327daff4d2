package io.density.load;

import static io.density.load.LoadMain.fmt;

import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.PoolOptions;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.client.HttpRequest;
import io.vertx.ext.web.client.WebClient;
import io.vertx.ext.web.client.WebClientOptions;
import java.net.URI;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;

/**
 * An open-loop overload: batches of datapoints offered at a fixed rate, whatever the server
 * answers, in three phases (normal rate, overload, normal rate again). Nothing is retried, so the
 * answers say how the server sheds the excess: 429s with Retry-After, the latency of what it
 * accepts, its heap (from /metrics), and how soon it is back to normal. At the end every DPU's
 * totals are read back: what was counted must be what was acknowledged.
 */
final class Overload {
  static final String USAGE =
      """
      usage: java -jar density-load.jar overload [options]

        --url URL              the server (default http://127.0.0.1:8080)
        --rate N               requests per second offered during the overload (default 2000)
        --normal-rate N        requests per second before and after it (default 200)
        --batch N              datapoints per POST /v1/datapoints (default 100)
        --seconds N            length of the overload (default 60)
        --before-seconds N     length of the normal phase before it (default 10)
        --after-seconds N      length of the normal phase after it (default 20)
        --dpus N               DPUs the datapoints come from (default 1000)
        --in-flight N          the most requests in flight; an offered request beyond is counted
                               as not sent (default 4000)

      Latencies are from the instant a request was due, so a client that falls behind does not
      hide the server's delay. Exit: 0 when every acknowledged datapoint is counted and no 5xx
      came, 1 otherwise, 2 wrong options.
      """;

  private record Phase(String name, int seconds, int rate) {}

  /** What came of the requests due in one second of the run. */
  private static final class Second {
    int offered;
    int notSent;
    int ok;
    int tooMany;
    int tooManyWithoutRetryAfter;
    int unavailable;
    int other;
    long accepted;
    final Latencies okLatency = new Latencies();
  }

  private final Vertx vertx;
  private final WebClient client;
  private final String base;
  private final int batch;
  private final int dpus;
  private final int inFlightCap;
  private final List<Phase> phases;
  private final List<Second> seconds = new ArrayList<>();
  private final long firstMillis;
  private long sequence;
  private int inFlight;
  private long heapMax;
  private long heapLimit;

  private Overload(Vertx vertx, Options o) {
    this.vertx = vertx;
    URI uri = LoadClient.checkUrl(o.string("url", "http://127.0.0.1:8080"));
    this.base = uri.getRawPath() == null ? "" : uri.getRawPath().replaceAll("/$", "");
    this.batch = o.integer("batch", 100, 1, 10_000);
    this.dpus = o.integer("dpus", 1000, 1, 1_000_000);
    this.inFlightCap = o.integer("in-flight", 4000, 1, 100_000);
    int normal = o.integer("normal-rate", 200, 1, 1_000_000);
    this.phases =
        List.of(
            new Phase("before", o.integer("before-seconds", 10, 1, 3600), normal),
            new Phase(
                "overload",
                o.integer("seconds", 60, 1, 3600),
                o.integer("rate", 2000, 1, 1_000_000)),
            new Phase("after", o.integer("after-seconds", 20, 1, 3600), normal));
    this.client =
        WebClient.create(
            vertx,
            new WebClientOptions()
                .setDefaultHost(uri.getHost())
                .setDefaultPort(uri.getPort() < 0 ? 80 : uri.getPort())
                .setKeepAlive(true)
                .setTcpNoDelay(true)
                .setConnectTimeout(5_000)
                .setUserAgent("density-load"),
            new PoolOptions().setHttp1MaxSize(inFlightCap));
    // Two days back, a millisecond apart: every datapoint distinct and within any accepted range.
    this.firstMillis = Instant.now().toEpochMilli() - 2 * 86_400_000L;
  }

  static int run(String[] args) {
    Options options =
        Options.parse(
            args,
            Set.of(
                "url",
                "rate",
                "normal-rate",
                "batch",
                "seconds",
                "before-seconds",
                "after-seconds",
                "dpus",
                "in-flight"),
            Set.of());
    Vertx vertx = Vertx.vertx();
    try {
      Overload overload = new Overload(vertx, options);
      return overload.drive().await();
    } finally {
      vertx.close().await();
    }
  }

  private Future<Integer> drive() {
    Promise<Integer> done = Promise.promise();
    long start = System.nanoTime();
    int total = phases.stream().mapToInt(Phase::seconds).sum();
    for (int s = 0; s < total; s++) {
      seconds.add(new Second());
    }
    long[] due = new long[1];
    vertx.setPeriodic(1000, id -> sampleHeap());
    vertx.setPeriodic(
        5,
        id -> {
          double elapsed = (System.nanoTime() - start) / 1e9;
          if (elapsed >= total) {
            vertx.cancelTimer(id);
            vertx.setPeriodic(
                100,
                wait -> {
                  if (inFlight == 0) {
                    vertx.cancelTimer(wait);
                    readBack().onComplete(done);
                  }
                });
            return;
          }
          // Requests due so far: the integral of the phases' rates up to now.
          long shouldHave = dueBy(elapsed);
          while (due[0] < shouldHave) {
            long dueNanos = start + (long) (secondOf(due[0]) * 1e9);
            offer(dueNanos, (int) Math.min(total - 1, (dueNanos - start) / 1_000_000_000L));
            due[0]++;
          }
        });
    return done.future();
  }

  private long dueBy(double elapsed) {
    double count = 0;
    double t = 0;
    for (Phase p : phases) {
      double span = Math.min(p.seconds, Math.max(0, elapsed - t));
      count += span * p.rate;
      t += p.seconds;
    }
    return (long) count;
  }

  /** The instant (seconds from the start) the n-th request is due. */
  private double secondOf(long n) {
    double t = 0;
    double before = 0;
    for (Phase p : phases) {
      double inPhase = (double) p.seconds * p.rate;
      if (n < before + inPhase) {
        return t + (n - before) / p.rate;
      }
      before += inPhase;
      t += p.seconds;
    }
    return t;
  }

  private void offer(long dueNanos, int second) {
    Second s = seconds.get(second);
    s.offered++;
    if (inFlight >= inFlightCap) {
      s.notSent++;
      return;
    }
    inFlight++;
    HttpRequest<Buffer> request =
        client
            .post(base + "/v1/datapoints")
            .timeout(60_000)
            .putHeader("Content-Type", "application/json");
    if (LoadClient.TOKEN != null) {
      request.putHeader("Authorization", "Bearer " + LoadClient.TOKEN);
    }
    request
        .sendBuffer(body())
        .onComplete(
            ar -> {
              inFlight--;
              long latency = System.nanoTime() - dueNanos;
              int status = ar.succeeded() ? ar.result().statusCode() : -1;
              if (status == 200) {
                s.ok++;
                s.okLatency.add(latency);
                JsonObject answer = ar.result().bodyAsJsonObject();
                s.accepted += answer.getLong("accepted", 0L);
              } else if (status == 429) {
                s.tooMany++;
                if (ar.result().getHeader("Retry-After") == null) {
                  s.tooManyWithoutRetryAfter++;
                }
              } else if (status == 503) {
                s.unavailable++;
              } else {
                s.other++;
              }
            });
  }

  private Buffer body() {
    StringBuilder json = new StringBuilder(batch * 90).append('[');
    for (int i = 0; i < batch; i++) {
      long n = sequence++;
      if (i > 0) {
        json.append(',');
      }
      json.append("{\"dpu_id\":\"ovl-")
          .append(n % dpus)
          .append("\",\"direction\":")
          .append(n % 3 == 0 ? -1 : 1)
          .append(",\"timestamp\":\"")
          .append(Instant.ofEpochMilli(firstMillis + n))
          .append("\"}");
    }
    return Buffer.buffer(json.append(']').toString());
  }

  /** The server's heap in use (the sum of its pools), from GET /metrics. */
  private void sampleHeap() {
    HttpRequest<Buffer> request = client.get(base + "/metrics").timeout(5_000);
    if (LoadClient.TOKEN != null) {
      request.putHeader("Authorization", "Bearer " + LoadClient.TOKEN);
    }
    request
        .send()
        .onSuccess(
            r -> {
              if (r.statusCode() != 200) {
                return;
              }
              long used = 0;
              long max = 0;
              for (String line : r.bodyAsString().split("\n")) {
                if (line.startsWith("jvm_memory_used_bytes{area=\"heap\"")) {
                  used += (long) Double.parseDouble(line.substring(line.lastIndexOf(' ') + 1));
                } else if (line.startsWith("jvm_memory_max_bytes{area=\"heap\"")) {
                  double v = Double.parseDouble(line.substring(line.lastIndexOf(' ') + 1));
                  max += v > 0 ? (long) v : 0;
                }
              }
              heapMax = Math.max(heapMax, used);
              heapLimit = Math.max(heapLimit, max);
            });
  }

  /** Reads every DPU's totals back and reports. */
  private Future<Integer> readBack() {
    List<Future<Long>> totals = new ArrayList<>();
    for (int d = 0; d < dpus; d++) {
      HttpRequest<Buffer> request = client.get(base + "/v1/dpus/ovl-" + d).timeout(30_000);
      if (LoadClient.TOKEN != null) {
        request.putHeader("Authorization", "Bearer " + LoadClient.TOKEN);
      }
      totals.add(
          request
              .send()
              .map(
                  r -> {
                    if (r.statusCode() == 404) {
                      return 0L;
                    }
                    JsonObject dpu = r.bodyAsJsonObject();
                    return dpu.getLong("entries") + dpu.getLong("exits");
                  }));
    }
    return Future.all(totals).map(all -> report(totals.stream().mapToLong(Future::result).sum()));
  }

  private int report(long counted) {
    System.out.println(
        "second  phase     offered  not-sent      200     429     503   other  accepted   p50 ms"
            + "   p99 ms");
    int s = 0;
    JsonObject result = new JsonObject();
    long accepted = 0;
    long ambiguous = 0;
    boolean noRetryAfter = false;
    for (Phase p : phases) {
      Second sum = new Second();
      for (int i = 0; i < p.seconds; i++, s++) {
        Second x = seconds.get(s);
        System.out.printf(
            "%6d  %-8s %8d  %8d %8d %7d %7d %7d %9d %8s %8s%n",
            s,
            p.name,
            x.offered,
            x.notSent,
            x.ok,
            x.tooMany,
            x.unavailable,
            x.other,
            x.accepted,
            fmt(x.okLatency.percentileMs(50)),
            fmt(x.okLatency.percentileMs(99)));
        sum.offered += x.offered;
        sum.notSent += x.notSent;
        sum.ok += x.ok;
        sum.tooMany += x.tooMany;
        sum.unavailable += x.unavailable;
        sum.other += x.other;
        sum.accepted += x.accepted;
        noRetryAfter |= x.tooManyWithoutRetryAfter > 0;
      }
      Latencies merged = mergedLatencies(s - p.seconds, s);
      accepted += sum.accepted;
      ambiguous += (long) (sum.unavailable + sum.other) * batch;
      result.put(
          p.name,
          new JsonObject()
              .put("offered_per_s", sum.offered / (double) p.seconds)
              .put("ok", sum.ok)
              .put("too_many", sum.tooMany)
              .put("unavailable", sum.unavailable)
              .put("other", sum.other)
              .put("not_sent", sum.notSent)
              .put("accepted_per_s", sum.accepted / (double) p.seconds)
              .put("p50_ms", merged.percentileMs(50))
              .put("p99_ms", merged.percentileMs(99))
              .put("max_ms", merged.maxMs()));
    }
    int recovered = recoveredAfter(result.getJsonObject("before").getDouble("p99_ms"));
    result
        .put("heap_max_used_bytes", heapMax)
        .put("heap_limit_bytes", heapLimit)
        .put("acknowledged", accepted)
        .put("counted", counted)
        .put("recovered_after_s", recovered)
        .put("retry_after_missing", noRetryAfter);
    System.out.printf(
        "heap: at most %s MiB used of %s MiB%n",
        heapMax >> 20, heapLimit > 0 ? heapLimit >> 20 : "?");
    System.out.printf(
        "acknowledged %d datapoints, counted %d (%d in requests answered 5xx or lost)%n",
        accepted, counted, ambiguous);
    System.out.println(
        recovered < 0
            ? "not back to normal within the after phase"
            : "back to normal " + recovered + " s after the overload ended");
    System.out.println("RESULT " + result.encode());
    boolean lost = counted < accepted || counted > accepted + ambiguous;
    return lost || noRetryAfter ? 1 : 0;
  }

  private Latencies mergedLatencies(int from, int to) {
    Latencies merged = new Latencies();
    for (int s = from; s < to; s++) {
      seconds.get(s).okLatency.forEach(merged::add);
    }
    return merged;
  }

  /**
   * Seconds after the overload until every request is accepted again with a p99 within twice the
   * first phase's (at least 50 ms), for good; -1 if never.
   */
  private int recoveredAfter(double normalP99) {
    int first = phases.get(0).seconds + phases.get(1).seconds;
    double bound = Math.max(50, 2 * normalP99);
    int recovered = -1;
    for (int s = seconds.size() - 1; s >= first; s--) {
      Second x = seconds.get(s);
      boolean normal =
          x.ok == x.offered && (x.okLatency.count() == 0 || x.okLatency.percentileMs(99) <= bound);
      if (!normal) {
        break;
      }
      recovered = s - first;
    }
    return recovered;
  }
}
