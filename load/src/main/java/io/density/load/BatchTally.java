package io.density.load;

import static io.density.load.LoadMain.fmt;
import static io.density.load.LoadMain.rate;

import io.density.load.LoadClient.Result;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.util.function.IntFunction;
import java.util.function.Supplier;

/**
 * What the server made of the datapoints a load tool sent: the accepted, duplicate and rejected
 * datapoints its answers counted, the latencies of those answers, and the requests that failed
 * (each shown on the tool's {@link ErrorLog} and counted on its {@link FailureStreak}).
 */
final class BatchTally {
  private final ErrorLog errors;
  private final FailureStreak failures;
  private final boolean rejectAllFails;
  private final Latencies latencies = new Latencies();
  private long accepted;
  private long duplicates;
  private long rejected;
  private long failedRequests;
  private long failedItems;

  /**
   * @param rejectAllFails true: a {@code POST /v1/datapoints} answered 422 (every item rejected) is
   *     a failed request, its items counted as rejected; false: its tallies count like those of a
   *     200
   */
  BatchTally(ErrorLog errors, FailureStreak failures, boolean rejectAllFails) {
    this.errors = errors;
    this.failures = failures;
    this.rejectAllFails = rejectAllFails;
  }

  /**
   * Counts the answer to a {@code POST /v1/datapoints} of {@code items} datapoints, described as
   * {@code request} should it have failed.
   *
   * @return the answer's per-item results; null when the request failed
   */
  JsonArray batch(Result result, int items, String request) {
    JsonObject body = result.json();
    boolean tallied = result.status() == 200 || (result.status() == 422 && !rejectAllFails);
    if (tallied && body != null && body.getValue("accepted") instanceof Number) {
      answered(
          result,
          body.getLong("accepted"),
          body.getLong("duplicates", 0L),
          body.getLong("rejected", 0L));
      return body.getJsonArray("results", new JsonArray());
    }
    if (rejectAllFails && result.status() == 422) {
      rejected += items;
    }
    failed(result, items, request);
    return null;
  }

  /** Shows a line {@code <what> rejected: <error>} per rejected item, what named by its index. */
  void showRejected(JsonArray results, IntFunction<String> what) {
    for (int i = 0; i < results.size(); i++) {
      JsonObject item = results.getJsonObject(i);
      if ("rejected".equals(item.getString("status"))) {
        errors.show(
            what.apply(item.getInteger("index", i)) + " rejected: " + item.getString("error"));
      }
    }
  }

  /** An answered request and the datapoints it counted. */
  void answered(Result result, long accepted, long duplicates, long rejected) {
    latencies.add(result.latencyNanos());
    failures.succeeded();
    this.accepted += accepted;
    this.duplicates += duplicates;
    this.rejected += rejected;
  }

  /** A request of {@code items} datapoints that failed: shown as {@code <request> failed: ...}. */
  void failed(Result result, int items, String request) {
    failedRequests++;
    failedItems += items;
    failures.failed();
    errors.show(request + " failed: " + result.describe());
  }

  /**
   * A progress line on stderr every second until the timer is cancelled: {@code <head>, <counts>,
   * <rate> <unit>/s}, the rate that of the datapoints answered since the line before.
   *
   * @return the timer's id
   */
  long showProgress(Vertx vertx, Supplier<String> head, String unit) {
    long[] last = {System.nanoTime(), 0};
    return vertx.setPeriodic(
        1_000,
        id -> {
          long now = System.nanoTime();
          long answered = answeredItems();
          double perSecond = rate(answered - last[1], (now - last[0]) / 1e9);
          last[0] = now;
          last[1] = answered;
          System.err.println(
              head.get() + ", " + counts() + ", " + fmt(perSecond) + " " + unit + "/s");
        });
  }

  /** For progress lines: "accepted a, duplicates d, rejected r, failed requests f". */
  String counts() {
    return "accepted "
        + accepted
        + ", duplicates "
        + duplicates
        + ", rejected "
        + rejected
        + ", failed requests "
        + failedRequests;
  }

  /** The datapoints the answers counted. */
  long answeredItems() {
    return accepted + duplicates + rejected;
  }

  long accepted() {
    return accepted;
  }

  long duplicates() {
    return duplicates;
  }

  long rejected() {
    return rejected;
  }

  long failedRequests() {
    return failedRequests;
  }

  /** The datapoints in the failed requests. */
  long failedItems() {
    return failedItems;
  }

  /** The latencies of the answered requests. */
  Latencies latencies() {
    return latencies;
  }
}
