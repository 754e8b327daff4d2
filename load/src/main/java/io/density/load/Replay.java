package io.density.load;

import static io.density.load.LoadMain.fmt;
import static io.density.load.LoadMain.num;
import static io.density.load.LoadMain.rate;
import static io.density.load.LoadMain.secondsSince;

import io.density.dev.SeedBuilding;
import io.density.load.LoadClient.Result;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.io.IOException;
import java.io.Reader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.List;
import java.util.Set;

/**
 * {@code load replay}: sends the datapoints of a CSV in the seed's format to a server, one per
 * {@code POST /send} (single mode, like the seed's load.py) or in arrays to {@code POST
 * /v1/datapoints} (batch mode), and reports what the server made of them.
 */
final class Replay {
  static final String USAGE =
      """
      usage: java -jar density-load.jar replay --csv FILE [options]

        --csv FILE           datapoints in the seed's CSV format ("timestamp","direction","dpu_id")
        --url URL            the server (default http://127.0.0.1:8080)
        --mode batch|single  batch: POST /v1/datapoints with JSON arrays (default);
                             single: one POST /send per row, like the seed's load.py
        --batch N            rows per batch request, 1..10000 (default 500)
        --concurrency N      requests in flight (default 4 in batch mode, 1 in single mode);
                             above 1, rows of different requests may reach the server out of
                             file order
        --provision-seed     first create the seed's building (spaces A and B, doorways X and Z,
                             DPUs 283 and 423 and their links)
        --max-seconds N      stop sending after N seconds (default 3600)
      """;

  private final LoadClient client;
  private final List<JsonObject> rows;
  private final boolean single;
  private final int batch;
  private final int concurrency;
  private final boolean provisionSeed;
  private final long deadlineNanos;
  private final ErrorLog errors = new ErrorLog("replay", 5);
  private final FailureStreak failures = new FailureStreak("replay");
  private final BatchTally tally = new BatchTally(errors, failures, false);

  private int nextRow;
  private long rowsSent;
  private long requests;

  private Replay(
      LoadClient client,
      List<JsonObject> rows,
      boolean single,
      int batch,
      int concurrency,
      boolean provisionSeed,
      long deadlineNanos) {
    this.client = client;
    this.rows = rows;
    this.single = single;
    this.batch = batch;
    this.concurrency = concurrency;
    this.provisionSeed = provisionSeed;
    this.deadlineNanos = deadlineNanos;
  }

  static int run(String[] args) {
    Options options =
        Options.parse(
            args,
            Set.of("csv", "url", "mode", "batch", "concurrency", "max-seconds"),
            Set.of("provision-seed"));
    String csv = options.string("csv", null);
    if (csv == null) {
      throw new IllegalArgumentException("--csv FILE is required");
    }
    String mode = options.string("mode", "batch");
    if (!mode.equals("batch") && !mode.equals("single")) {
      throw new IllegalArgumentException("--mode must be batch or single, not " + mode);
    }
    boolean single = mode.equals("single");
    String url = options.string("url", "http://127.0.0.1:8080");
    LoadClient.checkUrl(url);
    int batch = options.integer("batch", 500, 1, 10_000);
    int concurrency = options.integer("concurrency", single ? 1 : 4, 1, 1_024);
    int maxSeconds = options.integer("max-seconds", 3_600, 1, 7 * 24 * 3_600);
    boolean provisionSeed = options.flag("provision-seed");

    List<JsonObject> rows;
    try (Reader reader = Files.newBufferedReader(Path.of(csv), StandardCharsets.UTF_8)) {
      rows = SeedCsv.read(reader);
    } catch (IOException e) {
      String why = e instanceof NoSuchFileException ? "no such file" : e.getMessage();
      System.err.println("replay: cannot read " + csv + ": " + why);
      return 2;
    }
    long deadline = System.nanoTime() + maxSeconds * 1_000_000_000L;
    return LoadMain.onVertx(
        vertx -> {
          LoadClient client = new LoadClient(vertx, url, concurrency, deadline);
          Replay replay =
              new Replay(client, rows, single, batch, concurrency, provisionSeed, deadline);
          System.err.printf(
              "replay: %d rows from %s to %s, %s mode, %s%d in flight%n",
              rows.size(),
              csv,
              client.target(),
              mode,
              single ? "" : batch + " rows per request, ",
              concurrency);
          return replay.run(vertx).eventually(client::close);
        });
  }

  private Future<Integer> run(Vertx vertx) {
    return LoadMain.reachable(client, "replay")
        .compose(up -> up && provisionSeed ? provision() : succeeded(up))
        .compose(
            ok -> {
              if (!ok) {
                if (provisionSeed) {
                  System.err.println("replay: nothing replayed");
                }
                return Future.succeededFuture(1);
              }
              return replay(vertx);
            });
  }

  private static Future<Boolean> succeeded(boolean value) {
    return Future.succeededFuture(value);
  }

  /** Creates the seed's building; false when a request failed. */
  private Future<Boolean> provision() {
    List<Object[]> requests = SeedBuilding.provisioning();
    return LoadMain.inOrder(client, "replay", requests)
        .map(
            ok -> {
              if (ok) {
                System.err.println(
                    "replay: provisioned the seed building (" + requests.size() + " requests)");
              }
              return ok;
            });
  }

  private Future<Integer> replay(Vertx vertx) {
    long started = System.nanoTime();
    long progress =
        tally.showProgress(
            vertx, () -> "replay: sent " + rowsSent + "/" + rows.size() + " rows", "rows");
    return Window.run(concurrency, this::nextRequest, deadlineNanos)
        .map(
            complete -> {
              vertx.cancelTimer(progress);
              return summary(complete, secondsSince(started));
            });
  }

  /** The next request, rows in file order; null when every row was sent. */
  private Future<?> nextRequest() {
    if (nextRow >= rows.size()) {
      return null;
    }
    if (failures.givingUp()) {
      return null;
    }
    int from = nextRow;
    int to = single ? from + 1 : Math.min(rows.size(), from + batch);
    nextRow = to;
    rowsSent += to - from;
    requests++;
    if (single) {
      return client
          .json(HttpMethod.POST, "/send", rows.get(from).toBuffer())
          .onSuccess(result -> single(result, from));
    }
    JsonArray array = new JsonArray(List.copyOf(rows.subList(from, to)));
    return client
        .json(HttpMethod.POST, "/v1/datapoints", array.toBuffer())
        .onSuccess(result -> batch(result, from, to));
  }

  /** POST /send: 200 carries the result; 400 and 422 reject the datapoint. */
  private void single(Result result, int row) {
    JsonObject body = result.json();
    if (result.status() == 200 && body != null) {
      boolean duplicate = "duplicate".equals(body.getString("result"));
      tally.answered(result, duplicate ? 0 : 1, duplicate ? 1 : 0, 0);
    } else if ((result.status() == 400 || result.status() == 422) && body != null) {
      tally.answered(result, 0, 0, 1);
      errors.show("row " + (row + 1) + " rejected: " + result.describe());
    } else {
      tally.failed(result, 1, "POST /send of row " + (row + 1));
    }
  }

  /** POST /v1/datapoints: 200, or 422 when every item was rejected, carries the tallies. */
  private void batch(Result result, int from, int to) {
    String request = "POST /v1/datapoints of rows " + (from + 1) + ".." + to;
    JsonArray results = tally.batch(result, to - from, request);
    if (results != null) {
      tally.showRejected(results, index -> "row " + (from + index + 1));
    }
  }

  private int summary(boolean complete, double seconds) {
    double perSecond = rate(tally.answeredItems(), seconds);
    Latencies latencies = tally.latencies();
    double p50 = latencies.percentileMs(50);
    double p99 = latencies.percentileMs(99);
    double max = latencies.maxMs();
    boolean gaveUp = failures.gaveUp();
    System.out.println("replay summary (" + (single ? "single" : "batch") + " mode)");
    System.out.println("  rows              " + rows.size());
    System.out.println("  rows sent         " + rowsSent);
    System.out.println("  accepted          " + tally.accepted());
    System.out.println("  duplicates        " + tally.duplicates());
    System.out.println("  rejected          " + tally.rejected());
    System.out.println("  requests          " + requests);
    System.out.println(
        "  failed requests   "
            + tally.failedRequests()
            + " ("
            + tally.failedItems()
            + " rows in them)");
    System.out.println("  retries           " + client.retries());
    System.out.println("  elapsed s         " + fmt(seconds));
    System.out.println("  rows/s            " + fmt(perSecond));
    System.out.println(
        "  latency ms        p50 " + fmt(p50) + "  p99 " + fmt(p99) + "  max " + fmt(max));
    if (!complete || gaveUp) {
      System.out.println(
          "  stopped early ("
              + (gaveUp ? "failures in a row" : "--max-seconds")
              + "): "
              + (rows.size() - rowsSent)
              + " rows unsent");
    }
    int exit = tally.failedRequests() > 0 || !complete || gaveUp ? 1 : 0;
    JsonObject json =
        new JsonObject()
            .put("tool", "replay")
            .put("mode", single ? "single" : "batch")
            .put("url", client.target())
            .put("rows", rows.size())
            .put("rows_sent", rowsSent)
            .put("accepted", tally.accepted())
            .put("duplicates", tally.duplicates())
            .put("rejected", tally.rejected())
            .put("requests", requests)
            .put("failed_requests", tally.failedRequests())
            .put("failed_rows", tally.failedItems())
            .put("retries", client.retries())
            .put("elapsed_s", num(seconds))
            .put("rows_per_s", num(perSecond))
            .put("latency_ms_p50", num(p50))
            .put("latency_ms_p99", num(p99))
            .put("latency_ms_max", num(max))
            .put("complete", complete && !gaveUp);
    return LoadMain.result(json, exit);
  }
}
