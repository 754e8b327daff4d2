package io.density.load;

import static io.density.load.LoadMain.fmt;
import static io.density.load.LoadMain.iso;
import static io.density.load.LoadMain.num;
import static io.density.load.LoadMain.number;
import static io.density.load.LoadMain.rate;
import static io.density.load.LoadMain.secondsSince;

import io.density.load.LoadClient.Result;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.time.LocalTime;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Set;
import java.util.SplittableRandom;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * {@code load late}: measures what a late datapoint costs. It loads a history of datapoints into
 * one space, in timestamp order, then sends single datapoints stamped some time in the past (1
 * minute to days), one at a time, and for each measures the acknowledgement's latency (the server
 * recounts the space from the late instant before it answers) and how long after the
 * acknowledgement the answers (realtime, and as of instants after the late one) reflect it. The
 * expected answers come from the tool's own copy of every datapoint it sent, counted by the
 * counting contract.
 */
final class Late {
  static final String USAGE =
      """
      usage: java -jar density-load.jar late [options]

        --url URL              the server (default http://127.0.0.1:8080)
        --history-days N       days of history loaded before the measurements, 1..365 (default 8)
        --spacing-seconds N    one history datapoint every N seconds, 1..86400 (default 30)
        --lateness LIST        how late the measured datapoints are: comma-separated durations
                               with a unit s, m, h or d, none longer than --history-days; 0 is an
                               in-order baseline (default 1m,10m,1h,6h,1d,3d,7d)
        --repeats N            late datapoints per lateness, 1..100 (default 5)
        --daily-reset HH:MM    the space resets to 0 every day at this UTC time (default: never)
        --seed N               random seed of the history's directions and timestamps (default 1)
        --max-seconds N        stop starting requests after N seconds (default 1800)

      Needs a database where the space late-space and the DPU late-dpu hold no datapoints yet.
      """;

  static final String SPACE = "late-space";
  static final String DPU = "late-dpu";

  private static final OneSpace FIXTURE =
      new OneSpace(
          "late",
          SPACE,
          "Late datapoints",
          "late-door",
          "Late door",
          DPU,
          "Late DPU",
          "load/late.sh",
          "the history");

  private static final String COUNT_PATH = FIXTURE.countPath();
  private static final int LOAD_BATCH = 5_000;
  private static final int LOAD_CONCURRENCY = 4;
  private static final long HISTORY_END_MS = 10_000; // the history stops 10 s before now
  private static final long MAX_HISTORY = 5_000_000;
  private static final long POLL_INTERVAL_MS = 10;
  private static final long POLL_DEADLINE_NANOS = 5_000_000_000L;
  private static final long DAY_MS = 86_400_000L;
  private static final Pattern DURATION = Pattern.compile("(\\d{1,9})\\s*([smhd]?)");

  /** The options of one run, checked before anything starts. */
  private record Settings(
      String url,
      int historyDays,
      int spacingSeconds,
      List<String> labels,
      long[] latenessMs,
      int repeats,
      LocalTime dailyReset,
      int seed,
      int maxSeconds) {

    static Settings of(Options options) {
      int historyDays = options.integer("history-days", 8, 1, 365);
      int spacing = options.integer("spacing-seconds", 30, 1, 86_400);
      if ((long) historyDays * 86_400 / spacing > MAX_HISTORY) {
        throw new IllegalArgumentException(
            "--history-days "
                + historyDays
                + " at --spacing-seconds "
                + spacing
                + " makes more than "
                + MAX_HISTORY
                + " datapoints");
      }
      List<String> labels = new ArrayList<>();
      String list = options.string("lateness", "1m,10m,1h,6h,1d,3d,7d");
      for (String part : list.split(",", -1)) {
        labels.add(part.trim());
      }
      if (labels.size() > 50) {
        throw new IllegalArgumentException("--lateness takes at most 50 durations");
      }
      long[] millis = new long[labels.size()];
      for (int i = 0; i < millis.length; i++) {
        millis[i] = durationMs(labels.get(i));
        if (millis[i] > historyDays * DAY_MS) {
          throw new IllegalArgumentException(
              "--lateness "
                  + labels.get(i)
                  + " reaches before the history: needs --history-days "
                  + (millis[i] + DAY_MS - 1) / DAY_MS
                  + " or more");
        }
      }
      return new Settings(
          options.string("url", "http://127.0.0.1:8080"),
          historyDays,
          spacing,
          List.copyOf(labels),
          millis,
          options.integer("repeats", 5, 1, 100),
          dailyReset(options.string("daily-reset", null)),
          options.integer("seed", 1, 0, Integer.MAX_VALUE),
          options.integer("max-seconds", 1_800, 1, 7 * 24 * 3_600));
    }

    private static LocalTime dailyReset(String text) {
      try {
        return text == null ? null : LocalTime.parse(text);
      } catch (DateTimeParseException e) {
        throw new IllegalArgumentException("--daily-reset takes a time HH:MM, not '" + text + "'");
      }
    }

    /** The last daily reset at or before an instant (Long.MIN_VALUE without daily resets). */
    long lastResetMs(long millis) {
      if (dailyReset == null) {
        return Long.MIN_VALUE;
      }
      long r = Math.floorDiv(millis, DAY_MS) * DAY_MS + dailyReset.toSecondOfDay() * 1_000L;
      return r > millis ? r - DAY_MS : r;
    }

    /** "90s", "10m", "6h", "7d" or "0" in milliseconds. */
    private static long durationMs(String text) {
      Matcher m = DURATION.matcher(text);
      if (!m.matches() || (m.group(2).isEmpty() && Long.parseLong(m.group(1)) != 0)) {
        throw new IllegalArgumentException(
            "--lateness takes durations like 30s, 10m, 6h or 7d (or 0), not '" + text + "'");
      }
      long amount = Long.parseLong(m.group(1));
      long unit =
          switch (m.group(2)) {
            case "s" -> 1_000L;
            case "m" -> 60_000L;
            case "h" -> 3_600_000L;
            case "d" -> DAY_MS;
            default -> 0L;
          };
      return amount * unit;
    }
  }

  /** The figures of one lateness. */
  private static final class Group {
    final String label;
    final long millis;
    final Latencies ack = new Latencies();
    int samples;
    long effectsMin = Long.MAX_VALUE;
    long effectsMax = Long.MIN_VALUE;
    long lagMaxNanos;
    int mismatches; // late datapoints whose first answers were not all as expected
    int neverMatched; // ... and that were still not after POLL_DEADLINE_NANOS

    Group(String label, long millis) {
      this.label = label;
      this.millis = millis;
    }

    String effects() {
      if (samples == 0) {
        return "-";
      }
      return effectsMin == effectsMax ? Long.toString(effectsMin) : effectsMin + "-" + effectsMax;
    }
  }

  /** The answers expected after one late datapoint, and how the reads went. */
  private static final class Probe {
    final List<String> paths;
    final long[] expected;
    final long ackNanos;
    int rounds;
    List<String> firstDiffs = List.of();
    List<String> lastDiffs = List.of();

    Probe(List<String> paths, long[] expected, long ackNanos) {
      this.paths = paths;
      this.expected = expected;
      this.ackNanos = ackNanos;
    }
  }

  private final Vertx vertx;
  private final LoadClient client;
  private final Settings settings;
  private final long deadlineNanos;
  private final SplittableRandom random;
  private final List<Group> groups = new ArrayList<>();
  private final ErrorLog errors = new ErrorLog("late", 10);
  private final FailureStreak failures = new FailureStreak("late");

  /**
   * Every datapoint the server took (all of one DPU, direction +1 or -1), as sorted order keys: see
   * {@link #key}. Sorted by key is contract order; equal keys are repeats.
   */
  private long[] keys = new long[0];

  private int size;

  // the history load
  private int historySize;
  private int loadNext;
  private int loadRequests;
  // the history must load whole: a 422 (every datapoint rejected) is a failed request
  private final BatchTally load = new BatchTally(errors, failures, true);
  private double loadSeconds;

  // the late datapoints
  private int lateSent;
  private int lateDuplicates;
  private long reads;
  private long readFailed;
  private boolean aborted;
  private boolean timedOut;

  private Late(Vertx vertx, LoadClient client, Settings settings, long deadlineNanos) {
    this.vertx = vertx;
    this.client = client;
    this.settings = settings;
    this.deadlineNanos = deadlineNanos;
    this.random = new SplittableRandom(settings.seed());
    for (int i = 0; i < settings.labels().size(); i++) {
      groups.add(new Group(settings.labels().get(i), settings.latenessMs()[i]));
    }
  }

  static int run(String[] args) {
    Options options =
        Options.parse(
            args,
            Set.of(
                "url",
                "history-days",
                "spacing-seconds",
                "lateness",
                "repeats",
                "daily-reset",
                "seed",
                "max-seconds"),
            Set.of());
    Settings settings = Settings.of(options);
    LoadClient.checkUrl(settings.url());
    long deadline = System.nanoTime() + settings.maxSeconds() * 1_000_000_000L;
    return LoadMain.onVertx(
        vertx -> {
          LoadClient client = new LoadClient(vertx, settings.url(), 8, deadline);
          Late late = new Late(vertx, client, settings, deadline);
          return late.run().eventually(client::close);
        });
  }

  private Future<Integer> run() {
    System.err.printf(
        "late: %s, %d days of history (one datapoint every %d s), lateness %s, %d repeats%n",
        client.target(),
        settings.historyDays(),
        settings.spacingSeconds(),
        String.join(",", settings.labels()),
        settings.repeats());
    return LoadMain.reachable(client, "late")
        .compose(
            up ->
                up
                    ? FIXTURE.prepare(
                        client,
                        (settings.historyDays() + 1) * DAY_MS,
                        settings.dailyReset() == null ? null : settings.dailyReset().toString())
                    : Future.succeededFuture(1))
        .compose(code -> code != 0 ? Future.succeededFuture(code) : loadHistory())
        .compose(code -> code != 0 ? Future.succeededFuture(code) : measure());
  }

  // ------------------------------------------------------------------ history

  /**
   * One datapoint every --spacing-seconds (plus 0-999 ms) from now - --history-days until now - 10
   * s; a random walk that turns back up when 2 or fewer are in. Sent in order, arrays of {@link
   * #LOAD_BATCH}, {@link #LOAD_CONCURRENCY} in flight.
   */
  private Future<Integer> loadHistory() {
    long now = System.currentTimeMillis();
    long start = now - settings.historyDays() * DAY_MS;
    long spacing = settings.spacingSeconds() * 1_000L;
    int n = (int) ((now - HISTORY_END_MS - 999 - start) / spacing + 1);
    keys = new long[n + settings.labels().size() * settings.repeats() + 16];
    int inside = 0;
    for (int i = 0; i < n; i++) {
      // each timestamp is strictly after the one before: the step is at least 1000 ms
      long ts = start + i * spacing + random.nextInt(1_000);
      int direction = inside <= 2 || random.nextBoolean() ? 1 : -1;
      inside += direction;
      keys[i] = key(ts, direction);
    }
    int total = n;
    System.err.printf(
        "late: loading %d datapoints from %s to %s%n",
        total, iso(millisOf(keys[0])), iso(millisOf(keys[n - 1])));
    long started = System.nanoTime();
    long progress =
        load.showProgress(
            vertx, () -> "late: history " + loadNext + "/" + total + " sent", "datapoints");
    return Window.run(LOAD_CONCURRENCY, () -> nextLoad(total), deadlineNanos)
        .map(
            complete -> {
              vertx.cancelTimer(progress);
              loadSeconds = secondsSince(started);
              size = total;
              historySize = total;
              timedOut |= !complete;
              System.err.printf(
                  "late: history loaded: %d accepted, %d duplicates, %d rejected, %d failed"
                      + " requests in %s s (%s datapoints/s)%n",
                  load.accepted(),
                  load.duplicates(),
                  load.rejected(),
                  load.failedRequests(),
                  fmt(loadSeconds),
                  fmt(loadedPerSecond()));
              if (!complete
                  || failures.gaveUp()
                  || load.failedRequests() > 0
                  || load.rejected() > 0) {
                // the expected counts assume the whole history: measuring would be meaningless
                System.err.println("late: the history did not load completely; not measuring");
                aborted = true;
                return summary();
              }
              return 0;
            });
  }

  private Future<?> nextLoad(int total) {
    if (loadNext >= total || failures.givingUp()) {
      return null;
    }
    int from = loadNext;
    int to = Math.min(total, from + LOAD_BATCH);
    loadNext = to;
    loadRequests++;
    StringBuilder body = new StringBuilder((to - from) * 72).append('[');
    for (int i = from; i < to; i++) {
      if (i > from) {
        body.append(',');
      }
      appendDatapoint(body, millisOf(keys[i]), directionOf(keys[i]));
    }
    body.append(']');
    return client
        .json(HttpMethod.POST, "/v1/datapoints", Buffer.buffer(body.toString()))
        .onSuccess(result -> loaded(result, to - from));
  }

  private void loaded(Result result, int items) {
    JsonArray results = load.batch(result, items, "POST /v1/datapoints");
    if (results != null) {
      load.showRejected(results, index -> "history datapoint");
    }
  }

  /** The history datapoints the server took (accepted or duplicates) per second of the load. */
  private double loadedPerSecond() {
    return rate(load.accepted() + load.duplicates(), loadSeconds);
  }

  // ------------------------------------------------------------------ late datapoints

  private Future<Integer> measure() {
    System.err.println("late: sending late datapoints, one at a time");
    return step(0).map(v -> summary());
  }

  /** Late datapoint number {@code index}: lateness index / repeats, repeat index % repeats. */
  private Future<Void> step(int index) {
    if (index >= groups.size() * settings.repeats() || aborted) {
      return Future.succeededFuture();
    }
    if (System.nanoTime() > deadlineNanos) {
      timedOut = true;
      System.err.println("late: --max-seconds reached, stopping");
      return Future.succeededFuture();
    }
    Group group = groups.get(index / settings.repeats());
    int repeat = index % settings.repeats() + 1;
    long ts = System.currentTimeMillis() - group.millis - random.nextInt(1_000);
    while (Arrays.binarySearch(keys, 0, size, key(ts, 1)) >= 0) {
      ts--; // a new datapoint, never a repeat of one sent before
    }
    long lateKey = key(ts, 1);
    long effectsAfter = size - insertionPoint(lateKey);
    long lateMillis = ts;
    StringBuilder body = new StringBuilder(80);
    appendDatapoint(body, ts, 1);
    lateSent++;
    return client
        .json(HttpMethod.POST, "/send", Buffer.buffer(body.toString()))
        .compose(
            result -> {
              long ackNanos = System.nanoTime();
              long ackMillis = System.currentTimeMillis();
              JsonObject answer = result.json();
              if (result.status() != 200 || answer == null) {
                // not known whether the server stored it: the expected answers are unknown
                System.err.println(
                    "late: POST /send ("
                        + iso(lateMillis)
                        + ") failed: "
                        + result.describe()
                        + "; stopping");
                aborted = true;
                return Future.succeededFuture();
              }
              if ("duplicate".equals(answer.getString("result"))) {
                lateDuplicates++;
                errors.show(
                    "the server took the late datapoint at "
                        + iso(lateMillis)
                        + " for a repeat; this tool never sent it before");
              }
              insert(lateKey);
              group.samples++;
              group.ack.add(result.latencyNanos());
              group.effectsMin = Math.min(group.effectsMin, effectsAfter);
              group.effectsMax = Math.max(group.effectsMax, effectsAfter);
              Probe probe = probe(lateMillis, ackMillis, ackNanos);
              return settle(probe)
                  .map(
                      lag -> {
                        report(group, repeat, lateMillis, effectsAfter, result, probe, lag);
                        return null;
                      });
            })
        .compose(v -> step(index + 1));
  }

  /**
   * The reads that should reflect the late datapoint: realtime, and as of the late instant, of the
   * next effect after it, of halfway to the acknowledgement and of the acknowledgement.
   */
  private Probe probe(long lateMillis, long ackMillis, long ackNanos) {
    TreeSet<Long> instants = new TreeSet<>();
    instants.add(lateMillis);
    int next = insertionPoint(key(lateMillis, -1));
    if (next < size) {
      instants.add(millisOf(keys[next]));
    }
    instants.add(lateMillis + (ackMillis - lateMillis) / 2);
    instants.add(ackMillis);
    List<String> paths = new ArrayList<>();
    paths.add(COUNT_PATH);
    long[] limits = new long[instants.size()];
    int i = 0;
    for (long instant : instants) {
      paths.add(COUNT_PATH + "?at=" + iso(instant));
      limits[i++] = key(instant, -1); // as of T: every effect with ts <= T
    }
    long[] asOf = expectedAsOf(limits);
    long[] expected = new long[paths.size()];
    expected[0] = asOf[asOf.length - 1]; // realtime: after every effect
    System.arraycopy(asOf, 0, expected, 1, limits.length);
    return new Probe(paths, expected, ackNanos);
  }

  /**
   * The counts as of each limit (sorted keys), plus the count now at the end: the effects in
   * contract order, each step {@code max(0, count + delta)}, the count 0 again from each daily
   * reset on.
   */
  private long[] expectedAsOf(long[] limits) {
    long[] out = new long[limits.length + 1];
    long count = 0;
    long resetInForce = Long.MIN_VALUE;
    int q = 0;
    for (int i = 0; i < size; i++) {
      while (q < limits.length && keys[i] > limits[q]) {
        out[q] = settings.lastResetMs(millisOf(limits[q])) > resetInForce ? 0 : count;
        q++;
      }
      long reset = settings.lastResetMs(millisOf(keys[i]));
      if (reset > resetInForce) {
        resetInForce = reset;
        count = 0;
      }
      count = Math.max(0, count + directionOf(keys[i]));
    }
    while (q < limits.length) {
      out[q] = settings.lastResetMs(millisOf(limits[q])) > resetInForce ? 0 : count;
      q++;
    }
    out[limits.length] =
        settings.lastResetMs(System.currentTimeMillis()) > resetInForce ? 0 : count;
    return out;
  }

  /**
   * Reads until every answer is as expected: the lag in nanoseconds from the acknowledgement to the
   * start of the first round of reads that all matched (0 when the first did), or -1 when none did
   * within {@link #POLL_DEADLINE_NANOS}.
   */
  private Future<Long> settle(Probe probe) {
    long started = System.nanoTime();
    return readAll(probe)
        .compose(
            diffs -> {
              probe.rounds++;
              if (diffs.isEmpty()) {
                return Future.succeededFuture(probe.rounds == 1 ? 0 : started - probe.ackNanos);
              }
              if (probe.rounds == 1) {
                probe.firstDiffs = diffs;
              }
              probe.lastDiffs = diffs;
              long pollNanos = POLL_INTERVAL_MS * 1_000_000;
              if (System.nanoTime() + pollNanos - probe.ackNanos > POLL_DEADLINE_NANOS) {
                return Future.succeededFuture(-1L);
              }
              Promise<Void> later = Promise.promise();
              vertx.setTimer(POLL_INTERVAL_MS, id -> later.complete());
              return later.future().compose(v -> settle(probe));
            });
  }

  /** One round: every read of the probe at once; the answers that differ from the expected. */
  private Future<List<String>> readAll(Probe probe) {
    List<Future<Result>> answers = new ArrayList<>();
    for (String path : probe.paths) {
      reads++;
      answers.add(client.get(path));
    }
    return Future.all(answers)
        .map(
            all -> {
              List<String> diffs = new ArrayList<>();
              for (int i = 0; i < probe.paths.size(); i++) {
                Result result = all.resultAt(i);
                String what =
                    i == 0
                        ? "realtime"
                        : "as of "
                            + probe.paths.get(i).substring(probe.paths.get(i).indexOf("at=") + 3);
                JsonObject body = result.json();
                if (result.status() != 200 || body == null) {
                  readFailed++;
                  diffs.add(what + ": GET failed: " + result.describe());
                  continue;
                }
                Long got = number(body.getValue("count"));
                if (got == null || got != probe.expected[i]) {
                  diffs.add(
                      what + ": got " + body.getValue("count") + ", expected " + probe.expected[i]);
                }
              }
              return diffs;
            });
  }

  private void report(
      Group group,
      int repeat,
      long lateMillis,
      long effectsAfter,
      Result ack,
      Probe probe,
      long lagNanos) {
    String outcome;
    if (lagNanos == 0) {
      outcome = "answers matched at once";
    } else {
      group.mismatches++;
      if (lagNanos < 0) {
        group.neverMatched++;
        outcome = "answers never matched within 5 s: " + String.join("; ", probe.lastDiffs);
      } else {
        group.lagMaxNanos = Math.max(group.lagMaxNanos, lagNanos);
        outcome =
            "answers matched after "
                + fmt(lagNanos / 1e6)
                + " ms ("
                + probe.rounds
                + " rounds); first: "
                + String.join("; ", probe.firstDiffs);
      }
    }
    System.err.printf(
        "late: %s %d/%d at %s: %d effects after it, ack %s ms, %s%n",
        group.label,
        repeat,
        settings.repeats(),
        iso(lateMillis),
        effectsAfter,
        fmt(ack.latencyNanos() / 1e6),
        outcome);
  }

  // ------------------------------------------------------------------ the model

  /** Contract order of the effects of one DPU: timestamp, then +1 before -1. */
  static long key(long millis, int direction) {
    return millis * 2 + (direction > 0 ? 0 : 1);
  }

  static long millisOf(long key) {
    return key >> 1;
  }

  static int directionOf(long key) {
    return (key & 1) == 0 ? 1 : -1;
  }

  /** The index of the first key greater than the given one. */
  private int insertionPoint(long key) {
    int at = Arrays.binarySearch(keys, 0, size, key);
    return at >= 0 ? at + 1 : -at - 1;
  }

  private void insert(long key) {
    int at = Arrays.binarySearch(keys, 0, size, key);
    if (at >= 0) {
      return; // a repeat changes nothing
    }
    at = -at - 1;
    if (size == keys.length) {
      keys = Arrays.copyOf(keys, size * 2 + 16);
    }
    System.arraycopy(keys, at, keys, at + 1, size - at);
    keys[at] = key;
    size++;
  }

  // ------------------------------------------------------------------ helpers

  private static void appendDatapoint(StringBuilder out, long millis, int direction) {
    out.append("{\"timestamp\":\"")
        .append(iso(millis))
        .append("\",\"direction\":")
        .append(direction)
        .append(",\"dpu_id\":\"")
        .append(DPU)
        .append("\"}");
  }

  // ------------------------------------------------------------------ reporting

  private int summary() {
    int mismatches = 0;
    int neverMatched = 0;
    long lagMax = 0;
    for (Group g : groups) {
      mismatches += g.mismatches;
      neverMatched += g.neverMatched;
      lagMax = Math.max(lagMax, g.lagMaxNanos);
    }
    boolean complete = lateSent == groups.size() * settings.repeats() && !aborted && !timedOut;
    int exit =
        neverMatched > 0
                || !complete
                || readFailed > 0
                || load.failedRequests() > 0
                || failures.gaveUp()
            ? 1
            : 0;

    System.out.printf(
        "late summary: %s, %d history datapoints over %d days (one per %d s), loaded in %s s (%s"
            + " datapoints/s, request latency ms p50 %s max %s)%n",
        client.target(),
        load.accepted() + load.duplicates(),
        settings.historyDays(),
        settings.spacingSeconds(),
        fmt(loadSeconds),
        fmt(loadedPerSecond()),
        fmt(load.latencies().percentileMs(50)),
        fmt(load.latencies().maxMs()));
    System.out.printf(
        "  %-9s %14s %11s %11s %11s %11s %14s%n",
        "lateness",
        "effects after",
        "ack ms p50",
        "ack ms max",
        "lag ms max",
        "mismatches",
        "never matched");
    JsonArray rows = new JsonArray();
    for (Group g : groups) {
      boolean any = g.samples > 0;
      System.out.printf(
          "  %-9s %14s %11s %11s %11s %11s %14s%n",
          g.label,
          g.effects(),
          fmt(g.ack.percentileMs(50)),
          fmt(g.ack.maxMs()),
          !any ? "n/a" : g.neverMatched > 0 ? ">5000" : fmt(g.lagMaxNanos / 1e6),
          any ? g.mismatches + "/" + g.samples : "-",
          any ? Integer.toString(g.neverMatched) : "-");
      rows.add(
          new JsonObject()
              .put("lateness", g.label)
              .put("lateness_s", g.millis / 1000.0)
              .put("samples", g.samples)
              .put("effects_after_min", any ? g.effectsMin : null)
              .put("effects_after_max", any ? g.effectsMax : null)
              .put("ack_latency_ms_p50", num(g.ack.percentileMs(50)))
              .put("ack_latency_ms_max", num(g.ack.maxMs()))
              .put("lag_ms_max", any && g.neverMatched == 0 ? num(g.lagMaxNanos / 1e6) : null)
              .put("mismatches", g.mismatches)
              .put("never_matched", g.neverMatched));
    }
    System.out.printf(
        "  %d late datapoints sent (%d taken for repeats), %d reads (%d failed), %d retries%n",
        lateSent, lateDuplicates, reads, readFailed, client.retries());
    if (neverMatched > 0) {
      System.out.println(
          "  " + neverMatched + " late datapoints were never reflected by every answer");
    }
    LoadMain.stopNotes(timedOut, aborted);

    JsonObject json =
        new JsonObject()
            .put("tool", "late")
            .put("url", client.target())
            .put("history_days", settings.historyDays())
            .put("spacing_seconds", settings.spacingSeconds())
            .put("repeats", settings.repeats())
            .put(
                "daily_reset",
                settings.dailyReset() == null ? null : settings.dailyReset().toString())
            .put("seed", settings.seed())
            .put("history_datapoints", historySize)
            .put("load_requests", loadRequests)
            .put("load_accepted", load.accepted())
            .put("load_duplicates", load.duplicates())
            .put("load_rejected", load.rejected())
            .put("load_failed_requests", load.failedRequests())
            .put("load_s", num(loadSeconds))
            .put("load_per_s", num(loadedPerSecond()))
            .put("late_sent", lateSent)
            .put("late_duplicates", lateDuplicates)
            .put("reads", reads)
            .put("read_failed", readFailed)
            .put("retries", client.retries())
            .put("lateness", rows)
            .put("lag_ms_max", neverMatched == 0 ? num(lagMax / 1e6) : null)
            .put("mismatches", mismatches)
            .put("never_matched", neverMatched)
            .put("timed_out", timedOut)
            .put("complete", complete);
    return LoadMain.result(json, exit);
  }
}
