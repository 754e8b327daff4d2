package io.density.load;

import static io.density.load.LoadMain.fmt;
import static io.density.load.LoadMain.num;
import static io.density.load.LoadMain.rate;
import static io.density.load.LoadMain.secondsSince;

import io.density.load.LoadClient.Result;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.time.Instant;
import java.util.Arrays;
import java.util.List;
import java.util.Set;
import java.util.SplittableRandom;
import java.util.function.IntFunction;

/**
 * {@code load bench}: provisions a synthetic building (DPU i alone in doorway Di, linked to space
 * S(i % spaces)), sends synthetic datapoints in JSON arrays, then asks for realtime counts, and
 * reports throughput and latency. On a fresh database it also checks every count it reads against
 * the datapoints the server accepted. Given several servers (nodes of one cluster), it sends each
 * request to the next one in turn.
 */
final class Bench {
  static final String USAGE =
      """
      usage: java -jar density-load.jar bench [options]

        --url URL[,URL...]           the server (default http://127.0.0.1:8080), or several nodes of
                                     one cluster: requests go to them in turn
        --dpus N                     DPUs dpu-0..dpu-(N-1), each in its own doorway (default 100000)
        --spaces N                   spaces S0..S(N-1); DPU i counts into S(i % N) (default 50000)
        --shared-doorways            each DPU's doorway joins two spaces, as between rooms: DPU i
                                     counts in into S(i % N) and out of S((i + 1) % N), so each
                                     datapoint is an effect in both (needs --spaces 2 or more)
        --datapoints N               datapoints to send (default 1000000)
        --live                       timestamps from the clock as each request is made (a live
                                     fleet: neighbours within microseconds, requests in flight
                                     overlapping in time) instead of an hour ago to now, spread
                                     evenly over the datapoints (a backlog sent at once)
        --warmup N                   send N more datapoints first, not measured: the server's JIT
                                     compiles its hot paths before the send phase (default 0)
        --batch N                    datapoints per POST /v1/datapoints, 1..10000 (default 1000)
        --concurrency N              ingest requests in flight (default 8)
        --queries N                  GET /v1/spaces/{id}/count requests afterwards (default 20000)
        --query-concurrency N        query requests in flight (default 16)
        --provision-concurrency N    provisioning requests in flight (default 64)
        --as-of-days N               query counts as of a random instant of the last N days
                                     (GET .../count?at=) instead of realtime (default 0)
        --send                       send each datapoint alone on the seed's POST /send
                                     (instead of arrays of --batch on POST /v1/datapoints)
        --bulk N                     provision N items per request on the bulk routes
                                     (default 0: one request per space, doorway, DPU, link)
        --skip-provision             the building exists already (same --dpus and --spaces)
        --seed N                     random seed of DPU choice and directions (default 1)
        --disorder-ms N              send each datapoint with its timestamp moved back by a random
                                     0..N ms, so that a space's datapoints arrive out of timestamp
                                     order as a fleet's do (default 0: in order)
        --idle-reset-minutes N       give every space an idle reset after N minutes without an
                                     effect; the count check follows them (default 0: none)
        --max-seconds N              stop starting requests after N seconds in all (default 3600)

      where the send phase's time goes (Linux):
        --cpu-pids NAME=PID[+PID...],...
                                     report the CPU time (/proc/PID/stat) these processes used
                                     over the send phase, per accepted datapoint, by name (e.g.
                                     server=1234,redis=567); the tool's own JVM always is
        --cpu-pg                     also every process named postgres (its backends included)
        --cpu-pg-db NAME             --cpu-pg, and apart the backends connected to database NAME
        --phase-hook CMD             run CMD send start right before the send phase and CMD send
                                     end right after it, and wait for each (e.g. to reset and read
                                     statement statistics over the phase alone)
      """;

  static final String VALID_FROM = "2020-01-01T00:00:00Z";

  private static final long HOUR_MICROS = 3_600_000_000L;

  // An accepted effect, packed for sorting: space, then microseconds since the earliest timestamp
  // the run can send, then 0 for +1 and 1 for -1 (the contract's order at one instant).
  private static final int TIME_BITS = 38; // 76 hours: the hour sent plus --disorder-ms up to 1 h
  private static final int SPACE_SHIFT = TIME_BITS + 1;

  private final Vertx vertx;
  private final RoundRobin servers;
  private final int dpus;
  private final int spaces;
  private final int datapoints; // --warmup and --datapoints
  private final int warmup;
  private final boolean sharedDoorways;
  private final boolean live;
  private long lastLiveMicros; // --live: the latest timestamp given
  private final int batch;
  private final int concurrency;
  private final int queries;
  private final int queryConcurrency;
  private final int provisionConcurrency;
  private final int bulk;
  private final boolean sendAlone;
  private final int asOfDays;
  private final boolean skipProvision;
  private final long deadlineNanos;
  private final SplittableRandom random;
  private final long disorderMicros;
  private final SplittableRandom disorder; // apart, so the DPUs and directions stay the same
  private final CpuMeter cpu;
  private final String phaseHook;
  private final ErrorLog errors = new ErrorLog("bench", 5);
  private final FailureStreak failures = new FailureStreak("bench");

  // provisioning
  private String phase = "";
  private int phaseDone;
  private int phaseSize;
  private long provisionRequests;
  private long created;
  private long existing;
  private long provisionFailed;
  private double provisionSeconds;
  private final Latencies provisionLatencies = new Latencies();

  // sending
  private final int[] occupancy; // per DPU, as generated: directions are chosen to keep it >= 0
  private long[] accepted = new long[1024]; // the accepted effects, packed (see TIME_BITS)
  private int acceptedEffects;
  private long[] expected; // per space: its count after the accepted effects, in contract order
  private long firstMicros;
  private long earliestMicros; // firstMicros less the largest disorder

  /** --idle-reset-minutes: each space's rule (0: none). */
  private final int idleResetMinutes;

  /** Each space's latest accepted effect, µs after earliestMicros (-1: none), for the check. */
  private long[] lastEffect;

  /** When each space's latest datapoint was acknowledged (ms; with --idle-reset-minutes). */
  private long[] lastAcknowledged;

  private long stepMicros;
  private int generated;
  private long cachedMinute = Long.MIN_VALUE;
  private String minutePrefix;
  private long sendRequests;
  private long sendRetries;
  private BatchTally sendTally = new BatchTally(errors, failures, false);
  private BatchTally warmupTally; // --warmup's, apart from the measured phase's
  private int sendLimit; // where the current phase's datapoints end
  private double sendSeconds;

  // querying
  private int queriesStarted;
  private long queryFailed;
  private long nullCounts;
  private long checked;
  private long mismatches;
  private boolean checkCounts;
  private double querySeconds;
  private final Latencies queryLatencies = new Latencies();

  private boolean timedOut;

  // progress
  private String lastPhase = "";
  private long lastNanos;
  private long lastDone;

  /** The options of one run, checked before anything starts. */
  private record Settings(
      String url,
      int dpus,
      int spaces,
      int datapoints,
      int batch,
      int concurrency,
      int queries,
      int queryConcurrency,
      int provisionConcurrency,
      int bulk,
      int asOfDays,
      boolean sendAlone,
      boolean skipProvision,
      int seed,
      int maxSeconds,
      String phaseHook,
      int disorderMs,
      int idleResetMinutes,
      boolean sharedDoorways,
      int warmup,
      boolean live) {

    static Settings of(Options options) {
      return new Settings(
          options.string("url", "http://127.0.0.1:8080"),
          options.integer("dpus", 100_000, 1, 10_000_000),
          options.integer("spaces", 50_000, 1, 10_000_000),
          options.integer("datapoints", 1_000_000, 0, Integer.MAX_VALUE),
          options.integer("batch", 1_000, 1, 10_000),
          options.integer("concurrency", 8, 1, 1_024),
          options.integer("queries", 20_000, 0, Integer.MAX_VALUE),
          options.integer("query-concurrency", 16, 1, 1_024),
          options.integer("provision-concurrency", 64, 1, 1_024),
          options.integer("bulk", 0, 0, 10_000),
          options.integer("as-of-days", 0, 0, 3_650),
          options.flag("send"),
          options.flag("skip-provision"),
          options.integer("seed", 1, 0, Integer.MAX_VALUE),
          options.integer("max-seconds", 3_600, 1, 7 * 24 * 3_600),
          options.string("phase-hook", null),
          options.integer("disorder-ms", 0, 0, 3_600_000),
          options.integer("idle-reset-minutes", 0, 0, 10_080),
          options.flag("shared-doorways"),
          options.integer("warmup", 0, 0, Integer.MAX_VALUE),
          options.flag("live"));
    }
  }

  private Bench(
      Vertx vertx, RoundRobin servers, Settings settings, CpuMeter cpu, long deadlineNanos) {
    this.vertx = vertx;
    this.cpu = cpu;
    this.phaseHook = settings.phaseHook();
    this.servers = servers;
    this.dpus = settings.dpus();
    this.spaces = settings.spaces();
    this.warmup = settings.warmup();
    this.datapoints = settings.warmup() + settings.datapoints();
    this.sharedDoorways = settings.sharedDoorways();
    this.live = settings.live();
    this.batch = settings.batch();
    this.concurrency = settings.concurrency();
    this.queries = settings.queries();
    this.queryConcurrency = settings.queryConcurrency();
    this.provisionConcurrency = settings.provisionConcurrency();
    this.bulk = settings.bulk();
    this.sendAlone = settings.sendAlone();
    this.asOfDays = settings.asOfDays();
    this.skipProvision = settings.skipProvision();
    this.random = new SplittableRandom(settings.seed());
    this.deadlineNanos = deadlineNanos;
    this.disorderMicros = settings.disorderMs() * 1_000L;
    this.disorder = new SplittableRandom(settings.seed() + 0x5DEECE66DL);
    this.occupancy = new int[dpus];
    this.idleResetMinutes = settings.idleResetMinutes();
    this.lastAcknowledged = new long[idleResetMinutes > 0 ? spaces : 0];
  }

  static int run(String[] args) {
    Options options =
        Options.parse(
            args,
            Set.of(
                "url",
                "dpus",
                "spaces",
                "datapoints",
                "batch",
                "concurrency",
                "queries",
                "query-concurrency",
                "provision-concurrency",
                "bulk",
                "as-of-days",
                "seed",
                "max-seconds",
                "cpu-pids",
                "cpu-pg-db",
                "phase-hook",
                "disorder-ms",
                "idle-reset-minutes",
                "warmup"),
            Set.of("skip-provision", "send", "cpu-pg", "shared-doorways", "live"));
    Settings settings = Settings.of(options);
    if (settings.sharedDoorways() && settings.spaces() < 2) {
      throw new IllegalArgumentException("--shared-doorways needs --spaces 2 or more");
    }
    CpuMeter cpu = CpuMeter.of(options);
    List<String> urls = LoadClient.checkUrls(settings.url());
    long deadline = System.nanoTime() + settings.maxSeconds() * 1_000_000_000L;
    int connections =
        Math.max(
            settings.concurrency(),
            Math.max(settings.queryConcurrency(), settings.provisionConcurrency()));
    return LoadMain.onVertx(
        vertx -> {
          RoundRobin servers = new RoundRobin(vertx, urls, connections, deadline);
          Bench bench = new Bench(vertx, servers, settings, cpu, deadline);
          return bench.run().eventually(servers::close);
        });
  }

  private Future<Integer> run() {
    System.err.printf(
        "bench: %s, %d DPUs in %d spaces, %d datapoints in batches of %d, %d in flight%s%n",
        servers.target(),
        dpus,
        spaces,
        datapoints,
        batch,
        concurrency,
        disorderMicros > 0 ? ", out of order by up to " + disorderMicros / 1000 + " ms" : "");
    long progress = vertx.setPeriodic(1_000, id -> System.err.println(progressLine()));
    return servers
        .reachable("bench")
        .compose(up -> up ? phases(progress) : Future.succeededFuture(1))
        .onComplete(ar -> vertx.cancelTimer(progress));
  }

  /** Provision, send, query, then the summary (after the last progress line). */
  private Future<Integer> phases(long progress) {
    return provision()
        .compose(
            ok -> {
              if (!ok) {
                return Future.succeededFuture(false);
              }
              checkCounts = !skipProvision && existing == 0 && provisionFailed == 0;
              // the expected counts are sorted off the event loop: a long run keeps millions
              return send()
                  .compose(
                      v ->
                          checkCounts
                              ? vertx.executeBlocking(this::expectedCounts)
                              : Future.<long[]>succeededFuture())
                  .compose(
                      counts -> {
                        expected = counts;
                        return query();
                      })
                  .map(true);
            })
        .map(
            ran -> {
              vertx.cancelTimer(progress);
              return summary(ran);
            });
  }

  // ------------------------------------------------------------------ provisioning

  private Future<Boolean> provision() {
    if (skipProvision) {
      return Future.succeededFuture(true);
    }
    long started = System.nanoTime();
    Future<Boolean> provisioned =
        bulk > 0
            ? bulkPhase("spaces", spaces, i -> idleRule(named("S" + i, "Bench space S" + i)))
                .compose(
                    ok -> bulkPhase("doorways", dpus, i -> named("D" + i, "Bench doorway D" + i)))
                .compose(
                    ok -> bulkPhase("dpus", dpus, i -> named("dpu-" + i, "Bench DPU dpu-" + i)))
                .compose(ok -> bulkPhase("links", links(), i -> (JsonObject) link(i)[2]))
            : phase(
                    "spaces",
                    spaces,
                    i -> {
                      Object[] put = put("/v1/spaces/S" + i, "Bench space S" + i);
                      idleRule((JsonObject) put[2]);
                      return put;
                    })
                .compose(
                    ok ->
                        phase(
                            "doorways",
                            dpus,
                            i -> put("/v1/doorways/D" + i, "Bench doorway D" + i)))
                .compose(
                    ok -> phase("dpus", dpus, i -> put("/v1/dpus/dpu-" + i, "Bench DPU dpu-" + i)))
                .compose(ok -> phase("links", links(), this::link));
    return provisioned.map(
        ok -> {
          provisionSeconds = secondsSince(started);
          if (provisionFailed > 0) {
            System.err.println(
                "bench: " + provisionFailed + " provisioning requests failed; not sending");
          }
          return ok && provisionFailed == 0;
        });
  }

  /** A space's body with the idle reset rule of {@code --idle-reset-minutes}, if any. */
  private JsonObject idleRule(JsonObject space) {
    return idleResetMinutes > 0 ? space.put("idle_reset_minutes", idleResetMinutes) : space;
  }

  private static JsonObject named(String id, String name) {
    return new JsonObject().put("id", id).put("name", name);
  }

  /**
   * One kind of entity on its bulk route, {@code bulk} items per request; the counts are of items.
   */
  private Future<Boolean> bulkPhase(String name, int size, IntFunction<JsonObject> item) {
    return provisionPhase(
            name,
            size,
            bulk,
            from -> {
              JsonArray items = new JsonArray();
              for (int i = from; i < Math.min(size, from + bulk); i++) {
                items.add(item.apply(i));
              }
              String path = "/v1/bulk/" + name;
              return servers
                  .next()
                  .json(HttpMethod.POST, path, items.toBuffer())
                  .onSuccess(
                      result -> {
                        phaseDone += items.size();
                        JsonObject answer = result.json();
                        if (result.status() == 200 && answer != null) {
                          created += answer.getInteger("created", 0);
                          existing +=
                              answer.getInteger("updated", 0) + answer.getInteger("unchanged", 0);
                          provisionFailed += answer.getInteger("rejected", 0);
                          provisionLatencies.add(result.latencyNanos());
                          failures.succeeded();
                        } else {
                          provisionFailed += items.size();
                          failures.failed();
                          errors.show("POST " + path + " failed: " + result.describe());
                        }
                      });
            })
        .map(complete -> complete && provisionFailed == 0);
  }

  private static Object[] put(String path, String name) {
    return new Object[] {HttpMethod.PUT, path, new JsonObject().put("name", name)};
  }

  /** One link per DPU, or two with --shared-doorways. */
  private int links() {
    return sharedDoorways ? 2 * dpus : dpus;
  }

  /**
   * Link {@code j}: DPU j into S(j % N); with --shared-doorways, link 2i puts DPU i's inside in S(i
   * % N) and link 2i + 1 its outside in S((i + 1) % N).
   */
  private Object[] link(int j) {
    int dpu = sharedDoorways ? j / 2 : j;
    boolean outside = sharedDoorways && j % 2 == 1;
    return new Object[] {
      HttpMethod.POST,
      "/v1/links",
      new JsonObject()
          .put("dpu_id", "dpu-" + dpu)
          .put("doorway_id", "D" + dpu)
          .put("space_id", "S" + (outside ? outsideOf(dpu) : dpu % spaces))
          .put("sensor_placement", outside ? -1 : 1)
          .put("valid_from", VALID_FROM)
    };
  }

  /** The space on the outside of DPU {@code dpu}'s doorway (with --shared-doorways). */
  private int outsideOf(int dpu) {
    return (dpu + 1) % spaces;
  }

  /** One kind of entity, one request per item. */
  private Future<Boolean> phase(String name, int size, IntFunction<Object[]> request) {
    return provisionPhase(
        name,
        size,
        1,
        i -> {
          Object[] r = request.apply(i);
          String path = (String) r[1];
          return servers
              .next()
              .json((HttpMethod) r[0], path, ((JsonObject) r[2]).toBuffer())
              .onSuccess(
                  result -> {
                    phaseDone++;
                    if (result.status() == 201 || result.status() == 200) {
                      created += result.status() == 201 ? 1 : 0;
                      existing += result.status() == 200 ? 1 : 0;
                      provisionLatencies.add(result.latencyNanos());
                      failures.succeeded();
                    } else {
                      provisionFailed++;
                      failures.failed();
                      errors.show(r[0] + " " + path + " failed: " + result.describe());
                    }
                  });
        });
  }

  /**
   * Sends the requests of one kind of entity, {@code provisionConcurrency} in flight: {@code send}
   * sends the items from the given one on, {@code step} of them. Nothing runs once an earlier phase
   * failed, since later phases need the earlier ones.
   */
  private Future<Boolean> provisionPhase(
      String name, int size, int step, IntFunction<Future<?>> send) {
    if (provisionFailed > 0) {
      return Future.succeededFuture(false);
    }
    phase = name;
    phaseSize = size;
    phaseDone = 0;
    int[] next = {0};
    return Window.run(
            provisionConcurrency,
            () -> {
              if (next[0] >= size || failures.givingUp()) {
                return null;
              }
              provisionRequests++;
              int from = next[0];
              next[0] += step;
              return send.apply(from);
            },
            deadlineNanos)
        .map(
            complete -> {
              timedOut |= !complete;
              return complete;
            });
  }

  // ------------------------------------------------------------------ sending

  /**
   * The send phase, measured: the hook's start and the CPU reading right before it, the CPU reading
   * and the hook's end right after it.
   */
  private Future<Void> send() {
    long nowMicros = LoadMain.micros(Instant.now());
    stepMicros = Math.max(1, HOUR_MICROS / Math.max(1, datapoints));
    firstMicros = live ? nowMicros : nowMicros - HOUR_MICROS;
    lastLiveMicros = nowMicros;
    earliestMicros = firstMicros - disorderMicros;
    return warmUp()
        .compose(v -> hook("start"))
        .compose(
            v -> {
              cpu.start();
              return sendPhase();
            })
        .compose(
            v -> {
              cpu.stop();
              return hook("end");
            });
  }

  /**
   * --warmup: its datapoints go first, on the same timeline and counted like the rest, but in a
   * tally of their own, outside the measured phase.
   */
  private Future<Void> warmUp() {
    if (warmup == 0) {
      return Future.succeededFuture();
    }
    phase = "warmup";
    sendLimit = warmup;
    long started = System.nanoTime();
    return Window.run(concurrency, this::nextBatch, deadlineNanos)
        .map(
            complete -> {
              timedOut |= !complete;
              System.err.printf(
                  "bench: warm-up %d datapoints in %s s, %s; measuring from here%n",
                  generated, fmt(secondsSince(started)), sendTally.counts());
              warmupTally = sendTally;
              sendTally = new BatchTally(errors, failures, false);
              sendRequests = 0;
              return null;
            });
  }

  private Future<Void> sendPhase() {
    phase = "send";
    sendLimit = datapoints;
    long started = System.nanoTime();
    long retriesBefore = servers.retries();
    return Window.run(concurrency, this::nextBatch, deadlineNanos)
        .map(
            complete -> {
              timedOut |= !complete;
              sendSeconds = secondsSince(started);
              sendRetries = servers.retries() - retriesBefore;
              return null;
            });
  }

  /**
   * Runs {@code --phase-hook send WHEN} (its output on stderr) and waits for it; a hook that fails
   * is reported and the run goes on.
   */
  private Future<Void> hook(String when) {
    if (phaseHook == null) {
      return Future.succeededFuture();
    }
    return vertx
        .executeBlocking(
            () -> {
              Process process =
                  new ProcessBuilder("sh", "-c", phaseHook + " send " + when + " 1>&2 </dev/null")
                      .redirectOutput(ProcessBuilder.Redirect.INHERIT)
                      .redirectError(ProcessBuilder.Redirect.INHERIT)
                      .start();
              return process.waitFor();
            })
        .transform(
            ar -> {
              if (ar.failed() || ar.result() != 0) {
                System.err.println(
                    "bench: --phase-hook ... send "
                        + when
                        + " failed: "
                        + (ar.failed() ? ar.cause().getMessage() : "exit " + ar.result()));
              }
              return Future.succeededFuture();
            });
  }

  /**
   * The next batch: random DPUs, timestamps one step apart (with --live, the clock's microseconds
   * up to now), each moved back by a random 0 to {@code --disorder-ms}; none in the future.
   */
  private Future<?> nextBatch() {
    if (generated >= sendLimit || failures.givingUp()) {
      return null;
    }
    int size = sendAlone ? 1 : Math.min(batch, sendLimit - generated);
    int[] dpu = new int[size];
    byte[] direction = new byte[size];
    long[] at = new long[size];
    StringBuilder body = new StringBuilder(size * 72).append(sendAlone ? "" : "[");
    if (live) {
      lastLiveMicros = Math.max(lastLiveMicros, LoadMain.micros(Instant.now()) - size);
    }
    for (int k = 0; k < size; k++) {
      long micros = live ? ++lastLiveMicros : firstMicros + (long) generated * stepMicros;
      generated++;
      if (disorderMicros > 0) {
        micros -= disorder.nextLong(disorderMicros + 1);
      }
      int d = random.nextInt(dpus);
      // a DPU with nobody counted in only counts people in; otherwise in or out at even odds
      int dir = occupancy[d] <= 0 || random.nextBoolean() ? 1 : -1;
      occupancy[d] += dir;
      dpu[k] = d;
      direction[k] = (byte) dir;
      at[k] = micros;
      if (k > 0) {
        body.append(',');
      }
      body.append("{\"timestamp\":\"");
      appendTimestamp(body, micros);
      body.append("\",\"direction\":")
          .append(dir)
          .append(",\"dpu_id\":\"dpu-")
          .append(d)
          .append("\"}");
    }
    sendRequests++;
    if (sendAlone) {
      return servers
          .next()
          .json(HttpMethod.POST, "/send", Buffer.buffer(body.toString()))
          .onSuccess(result -> sent(sentAlone(result), dpu, direction, at));
    }
    body.append(']');
    return servers
        .next()
        .json(HttpMethod.POST, "/v1/datapoints", Buffer.buffer(body.toString()))
        .onSuccess(
            result ->
                sent(
                    sendTally.batch(result, dpu.length, "POST /v1/datapoints"),
                    dpu,
                    direction,
                    at));
  }

  /** The answer of {@code POST /send} as the one-item results of a batch (null: it failed). */
  private JsonArray sentAlone(Result result) {
    JsonObject body = result.json();
    if (result.status() != 200 || body == null || body.getString("result") == null) {
      sendTally.failed(result, 1, "POST /send");
      return null;
    }
    boolean duplicate = "duplicate".equals(body.getString("result"));
    sendTally.answered(result, duplicate ? 0 : 1, duplicate ? 1 : 0, 0);
    return new JsonArray().add(new JsonObject().put("status", body.getString("result")));
  }

  /** ISO-8601 UTC with six fraction digits; the date, hour and minute are cached per minute. */
  private void appendTimestamp(StringBuilder out, long micros) {
    long seconds = Math.floorDiv(micros, 1_000_000L);
    int fraction = (int) Math.floorMod(micros, 1_000_000L);
    long minute = Math.floorDiv(seconds, 60);
    if (minute != cachedMinute) {
      String whole = Instant.ofEpochSecond(minute * 60).toString(); // ...T18:42:00Z
      minutePrefix = whole.substring(0, whole.length() - 3);
      cachedMinute = minute;
    }
    int second = (int) (seconds - minute * 60);
    out.append(minutePrefix).append(second < 10 ? "0" : "").append(second).append('.');
    String digits = Integer.toString(fraction);
    for (int pad = digits.length(); pad < 6; pad++) {
      out.append('0');
    }
    out.append(digits).append('Z');
  }

  private void sent(JsonArray results, int[] dpu, byte[] direction, long[] at) {
    if (results == null) {
      checkCounts = false; // a request that timed out may still have been stored
      return;
    }
    if (results.size() != dpu.length) {
      checkCounts = false;
      errors.show("POST /v1/datapoints answered " + results.size() + " results for " + dpu.length);
      return;
    }
    for (int k = 0; k < results.size(); k++) {
      String status = results.getJsonObject(k).getString("status");
      if ("accepted".equals(status)) {
        if (checkCounts) {
          keep(dpu[k] % spaces, at[k], direction[k]);
          if (sharedDoorways) {
            keep(outsideOf(dpu[k]), at[k], (byte) -direction[k]);
          }
          if (idleResetMinutes > 0) {
            lastAcknowledged[dpu[k] % spaces] = System.currentTimeMillis();
            if (sharedDoorways) {
              lastAcknowledged[outsideOf(dpu[k])] = System.currentTimeMillis();
            }
          }
        }
      } else if ("rejected".equals(status)) {
        checkCounts = false; // the directions generated after it assumed it counted
      }
    }
    sendTally.showRejected(results, index -> "datapoint");
  }

  /** Keeps an accepted effect for {@link #expectedCounts}. */
  private void keep(int space, long micros, byte direction) {
    if (acceptedEffects == accepted.length) {
      accepted = Arrays.copyOf(accepted, accepted.length * 2);
    }
    accepted[acceptedEffects++] =
        (long) space << SPACE_SHIFT | (micros - earliestMicros) << 1 | (direction < 0 ? 1L : 0L);
  }

  /**
   * Every space's count after the accepted effects, as the counting contract defines it whatever
   * order they arrived in: in timestamp order, +1 before -1 at one instant, never below 0. (Sent in
   * order, a space's count never goes below 0, so it is the sum of its directions.)
   */
  private long[] expectedCounts() {
    long[] counts = new long[spaces];
    Arrays.sort(accepted, 0, acceptedEffects);
    long idle = idleResetMinutes * 60_000_000L;
    lastEffect = new long[spaces];
    Arrays.fill(lastEffect, -1);
    long timeMask = (1L << TIME_BITS) - 1;
    for (int i = 0; i < acceptedEffects; i++) {
      long effect = accepted[i];
      int space = (int) (effect >>> SPACE_SHIFT);
      long at = (effect >>> 1) & timeMask;
      if (idle > 0 && lastEffect[space] >= 0 && at - lastEffect[space] >= idle) {
        counts[space] = 0; // the idle reset at the previous effect + the period
      }
      lastEffect[space] = at;
      counts[space] = Math.max(0, counts[space] + ((effect & 1) == 0 ? 1 : -1));
    }
    accepted = null;
    return counts;
  }

  // ------------------------------------------------------------------ querying

  private Future<Void> query() {
    phase = "query";
    long started = System.nanoTime();
    return Window.run(queryConcurrency, this::nextQuery, deadlineNanos)
        .map(
            complete -> {
              timedOut |= !complete;
              querySeconds = secondsSince(started);
              return null;
            });
  }

  private Future<?> nextQuery() {
    if (queriesStarted >= queries || failures.givingUp()) {
      return null;
    }
    queriesStarted++;
    int space = random.nextInt(spaces);
    String path = "/v1/spaces/S" + space + "/count";
    if (asOfDays > 0) {
      long back = (long) (random.nextDouble() * asOfDays * 86_400_000L);
      path += "?at=" + LoadMain.iso(System.currentTimeMillis() - back);
    }
    String asked = path;
    return servers
        .next()
        .get(asked)
        .onSuccess(
            result -> {
              JsonObject body = result.json();
              if (result.status() != 200 || body == null) {
                queryFailed++;
                failures.failed();
                errors.show("GET " + asked + " failed: " + result.describe());
                return;
              }
              queryLatencies.add(result.latencyNanos());
              failures.succeeded();
              Object count = body.getValue("count");
              if (count == null) {
                nullCounts++;
              }
              if (checkCounts && asOfDays == 0) { // the tool knows the realtime counts only
                long want = expected[space];
                if (idleResetMinutes > 0 && lastEffect[space] >= 0) {
                  // The space's last idle reset comes due at its last effect + the period; within
                  // 3 s of that (the server writes it within about a second), or within 5 s of its
                  // data's last acknowledgement when due (the server waits 2 s of quiet), it is not
                  // checked.
                  long due = earliestMicros + lastEffect[space] + idleResetMinutes * 60_000_000L;
                  long now = System.currentTimeMillis() * 1_000;
                  boolean quiet = now - lastAcknowledged[space] * 1_000 >= 5_000_000;
                  if (Math.abs(now - due) < 3_000_000 || (now >= due && !quiet)) {
                    return;
                  }
                  want = now >= due ? 0 : want;
                }
                checked++;
                long got = count instanceof Number n ? n.longValue() : 0;
                if (got != want) {
                  mismatches++;
                  errors.show("space S" + space + " counts " + count + ", expected " + want);
                }
              }
            });
  }

  // ------------------------------------------------------------------ reporting

  private String progressLine() {
    long done =
        switch (phase) {
          case "send", "warmup" -> sendTally.answeredItems();
          case "query" -> queryLatencies.count() + queryFailed;
          default -> phaseDone;
        };
    long now = System.nanoTime();
    if (!phase.equals(lastPhase)) {
      lastPhase = phase;
      lastNanos = now;
      lastDone = 0;
    }
    String perSecond = fmt(rate(done - lastDone, (now - lastNanos) / 1e9));
    lastNanos = now;
    lastDone = done;
    return switch (phase) {
      case "send", "warmup" ->
          String.format(
              "bench: %s %d/%d datapoints, %s, %s datapoints/s",
              phase, generated, datapoints, sendTally.counts(), perSecond);
      case "query" ->
          String.format(
              "bench: query %d/%d, failed %d, %s queries/s",
              queryLatencies.count(), queries, queryFailed, perSecond);
      case "" -> "bench: waiting for GET /health";
      default ->
          String.format(
              "bench: provision %s %d/%d (created %d, existing %d, failed %d), %s requests/s",
              phase, phaseDone, phaseSize, created, existing, provisionFailed, perSecond);
    };
  }

  private int summary(boolean ran) {
    long sendFailed =
        sendTally.failedRequests() + (warmupTally == null ? 0 : warmupTally.failedRequests());
    Latencies sendLatencies = sendTally.latencies();
    double acceptedPerSecond = rate(sendTally.accepted(), sendSeconds);
    double queriesPerSecond = rate(queryLatencies.count(), querySeconds);
    boolean gaveUp = failures.gaveUp();
    boolean failed = provisionFailed + sendFailed + queryFailed > 0 || timedOut || gaveUp || !ran;
    int exit = failed ? 1 : mismatches > 0 ? 3 : 0;

    System.out.println(
        "bench summary: " + servers.target() + ", " + dpus + " DPUs in " + spaces + " spaces");
    if (skipProvision) {
      System.out.println("  provision  skipped");
    } else {
      System.out.printf(
          "  provision  %d requests (%d created, %d existing, %d failed) in %s s: %s requests/s,"
              + " latency ms p50 %s p99 %s%n",
          provisionRequests,
          created,
          existing,
          provisionFailed,
          fmt(provisionSeconds),
          fmt(rate(provisionRequests, provisionSeconds)),
          fmt(provisionLatencies.percentileMs(50)),
          fmt(provisionLatencies.percentileMs(99)));
    }
    System.out.printf(
        "  send       %d datapoints%s in %d requests of up to %d, %d in flight%s: %d failed"
            + " requests, %d retries%n",
        Math.max(0, generated - warmup),
        warmup > 0 ? " (after " + warmup + " to warm up)" : "",
        sendRequests,
        batch,
        concurrency,
        disorderMicros > 0 ? ", timestamps back by up to " + disorderMicros / 1000 + " ms" : "",
        sendFailed,
        sendRetries);
    System.out.printf(
        "             accepted %d, duplicates %d, rejected %d in %s s: %s accepted/s%n",
        sendTally.accepted(),
        sendTally.duplicates(),
        sendTally.rejected(),
        fmt(sendSeconds),
        fmt(acceptedPerSecond));
    System.out.printf(
        "             request latency ms p50 %s  p95 %s  p99 %s  max %s%n",
        fmt(sendLatencies.percentileMs(50)),
        fmt(sendLatencies.percentileMs(95)),
        fmt(sendLatencies.percentileMs(99)),
        fmt(sendLatencies.maxMs()));
    System.out.printf(
        "  queries    %d answered, %d failed, %d in flight, in %s s: %s queries/s%n",
        queryLatencies.count(),
        queryFailed,
        queryConcurrency,
        fmt(querySeconds),
        fmt(queriesPerSecond));
    System.out.printf(
        "             latency ms p50 %s  p99 %s  (p95 %s  max %s)%n",
        fmt(queryLatencies.percentileMs(50)),
        fmt(queryLatencies.percentileMs(99)),
        fmt(queryLatencies.percentileMs(95)),
        fmt(queryLatencies.maxMs()));
    System.out.println("  cpu        send phase " + cpu.line(sendTally.accepted()));
    if (checked > 0) {
      System.out.printf(
          "  counts     %d answers checked against the accepted datapoints: %d wrong%n",
          checked, mismatches);
    } else {
      System.out.println(
          "  counts     not checked (needs a fresh database and no failed requests)");
    }
    if (timedOut) {
      System.out.println("  stopped at --max-seconds");
    }
    if (gaveUp) {
      System.out.println("  stopped after " + failures.inARow() + " failed requests in a row");
    }

    JsonObject json =
        new JsonObject()
            .put("tool", "bench")
            .put("url", servers.target())
            .put("dpus", dpus)
            .put("spaces", spaces)
            .put("datapoints", datapoints - warmup)
            .put("warmup", warmup)
            .put("shared_doorways", sharedDoorways)
            .put("live", live)
            .put("batch", batch)
            .put("bulk", bulk)
            .put("send_alone", sendAlone)
            .put("as_of_days", asOfDays)
            .put("concurrency", concurrency)
            .put("disorder_ms", disorderMicros / 1000)
            .put("idle_reset_minutes", idleResetMinutes)
            .put("provisioned", !skipProvision)
            .put("provision_requests", provisionRequests)
            .put("provision_created", created)
            .put("provision_existing", existing)
            .put("provision_failed", provisionFailed)
            .put("provision_s", num(provisionSeconds))
            .put("provision_per_s", num(rate(provisionRequests, provisionSeconds)))
            .put("provision_latency_ms_p50", num(provisionLatencies.percentileMs(50)))
            .put("provision_latency_ms_p99", num(provisionLatencies.percentileMs(99)))
            .put("datapoints_sent", Math.max(0, generated - warmup))
            .put("send_requests", sendRequests)
            .put("send_failed_requests", sendFailed)
            .put("send_failed_datapoints", sendTally.failedItems())
            .put("send_retries", sendRetries)
            .put("accepted", sendTally.accepted())
            .put("duplicates", sendTally.duplicates())
            .put("rejected", sendTally.rejected())
            .put("send_s", num(sendSeconds))
            .put("accepted_per_s", num(acceptedPerSecond))
            .put("send_latency_ms_p50", num(sendLatencies.percentileMs(50)))
            .put("send_latency_ms_p95", num(sendLatencies.percentileMs(95)))
            .put("send_latency_ms_p99", num(sendLatencies.percentileMs(99)))
            .put("send_latency_ms_max", num(sendLatencies.maxMs()))
            .put("queries", queryLatencies.count())
            .put("query_concurrency", queryConcurrency)
            .put("query_failed", queryFailed)
            .put("query_s", num(querySeconds))
            .put("queries_per_s", num(queriesPerSecond))
            .put("query_latency_ms_p50", num(queryLatencies.percentileMs(50)))
            .put("query_latency_ms_p95", num(queryLatencies.percentileMs(95)))
            .put("query_latency_ms_p99", num(queryLatencies.percentileMs(99)))
            .put("query_latency_ms_max", num(queryLatencies.maxMs()))
            .put("query_null_counts", nullCounts)
            .put("counts_checked", checked)
            .put("count_mismatches", mismatches)
            .put("send_cpu", cpu.json(sendTally.accepted()))
            .put("timed_out", timedOut)
            .put("gave_up", gaveUp);
    return LoadMain.result(json, exit);
  }
}
