package io.density.load;

import static io.density.load.LoadMain.fmt;
import static io.density.load.LoadMain.iso;
import static io.density.load.LoadMain.num;
import static io.density.load.LoadMain.number;
import static io.density.load.LoadMain.secondsSince;

import io.density.load.LoadClient.Result;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpClientAgent;
import io.vertx.core.http.HttpClientOptions;
import io.vertx.core.http.HttpClientResponse;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.PoolOptions;
import io.vertx.core.http.RequestOptions;
import io.vertx.core.json.JsonObject;
import io.vertx.core.parsetools.RecordParser;
import java.net.URI;
import java.time.Instant;
import java.util.HashMap;
import java.util.Map;
import java.util.Set;
import java.util.SplittableRandom;

/**
 * {@code load events}: measures the time from a datapoint's acknowledgement to the arrival of its
 * count event at a consumer. It reads the Server-Sent Events of {@code GET /v1/events?space=...} on
 * one server, sends datapoints to its own space one at a time with {@code POST /send}, to the same
 * server or to another node of the cluster, and matches each event to its datapoint by timestamp.
 * The server publishes a datapoint's event before it answers, so an event may well arrive before
 * the acknowledgement: its latency is then negative.
 */
final class Events {
  static final String USAGE =
      """
      usage: java -jar density-load.jar events [options]

        --url URL          the server whose event stream is read (default http://127.0.0.1:8080)
        --send-url URL     the server the datapoints go to (default: --url); another node of the
                           same cluster measures events that cross nodes
        --count N          datapoints to send, one at a time, 1..1000000 (default 500)
        --seed N           random seed of the directions (default 1)
        --max-seconds N    stop sending after N seconds (default 600)

      Needs a database where the space events-space and the DPU events-dpu hold no datapoints yet.
      """;

  static final String SPACE = "events-space";
  static final String DPU = "events-dpu";

  private static final OneSpace FIXTURE =
      new OneSpace(
          "events",
          SPACE,
          "Event latency",
          "events-door",
          "Event door",
          DPU,
          "Event DPU",
          "load/cluster.sh",
          "the first datapoint");

  private static final long EVENT_TIMEOUT_MS = 10_000;
  private static final long CONNECT_TIMEOUT_MS = 10_000;
  private static final long DAY_MS = 86_400_000L;

  /** The options of one run, checked before anything starts. */
  private record Settings(String url, String sendUrl, int count, int seed, int maxSeconds) {
    static Settings of(Options options) {
      String url = options.string("url", "http://127.0.0.1:8080");
      LoadClient.checkUrl(url);
      String sendUrl = options.string("send-url", url);
      LoadClient.checkUrl(sendUrl);
      return new Settings(
          url.trim(),
          sendUrl.trim(),
          options.integer("count", 500, 1, 1_000_000),
          options.integer("seed", 1, 0, Integer.MAX_VALUE),
          options.integer("max-seconds", 600, 1, 7 * 24 * 3_600));
    }
  }

  /** One datapoint sent, and when its acknowledgement and its event came. */
  private static final class Sample {
    final long millis;
    final int direction;
    final int expectedCount; // the space's count after it
    final Promise<Void> event = Promise.promise();
    long sentNanos;
    long eventNanos;
    boolean evented;
    boolean givenUp; // no event within EVENT_TIMEOUT_MS of the acknowledgement

    Sample(long millis, int direction, int expectedCount) {
      this.millis = millis;
      this.direction = direction;
      this.expectedCount = expectedCount;
    }
  }

  private final Vertx vertx;
  private final Settings settings;
  private final LoadClient streamServer;
  private final LoadClient sendServer;
  private final long deadlineNanos;
  private final SplittableRandom random;
  private final ErrorLog errors = new ErrorLog("events", 10);
  private HttpClientAgent http;

  /** The datapoints sent, by timestamp in milliseconds (all of one DPU, so each is unique). */
  private final Map<Long, Sample> samples = new HashMap<>();

  // the stream
  private final Promise<Void> connected = Promise.promise();
  private String eventName;
  private StringBuilder data = new StringBuilder();
  private boolean streamClosed;
  private String streamCloseReason;
  private boolean finished;

  // the datapoints
  private int inside; // the space's count, by the datapoints acknowledged
  private long lastMillis = Long.MIN_VALUE;
  private int sent;
  private int acknowledged;
  private boolean aborted;
  private boolean timedOut;
  private double sendSeconds;

  // the figures
  private final Latencies ackToEvent = new Latencies();
  private final Latencies sendToEvent = new Latencies();
  private final Latencies ackLatencies = new Latencies();
  private int beforeAck;
  private int matched;
  private int missing;
  private int lateEvents; // events that came after their datapoint was given up on
  private int repeatedEvents;
  private int otherCauses;
  private int unmatched;
  private int malformed;
  private int countMismatches;

  private Events(Vertx vertx, Settings settings, long deadlineNanos) {
    this.vertx = vertx;
    this.settings = settings;
    this.deadlineNanos = deadlineNanos;
    this.random = new SplittableRandom(settings.seed());
    this.streamServer = new LoadClient(vertx, settings.url(), 2, deadlineNanos);
    this.sendServer =
        settings.sendUrl().equals(settings.url())
            ? streamServer
            : new LoadClient(vertx, settings.sendUrl(), 2, deadlineNanos);
  }

  static int run(String[] args) {
    Options options =
        Options.parse(args, Set.of("url", "send-url", "count", "seed", "max-seconds"), Set.of());
    Settings settings = Settings.of(options);
    long deadline = System.nanoTime() + settings.maxSeconds() * 1_000_000_000L;
    return LoadMain.onVertx(
        vertx -> {
          Events events = new Events(vertx, settings, deadline);
          return events.run().eventually(events::close);
        });
  }

  private boolean sameServer() {
    return streamServer == sendServer;
  }

  private Future<Integer> run() {
    System.err.printf(
        "events: stream of %s, datapoints to %s (%s), %d datapoints one at a time%n",
        streamServer.target(),
        sendServer.target(),
        sameServer() ? "same server" : "another server",
        settings.count());
    Future<Boolean> up =
        sameServer()
            ? LoadMain.reachable(streamServer, "events")
            : LoadMain.reachable(streamServer, "events")
                .compose(
                    ok ->
                        ok
                            ? LoadMain.reachable(sendServer, "events")
                            : Future.succeededFuture(false));
    return up.compose(ok -> ok ? FIXTURE.prepare(sendServer, DAY_MS) : Future.succeededFuture(1))
        .compose(code -> code != 0 ? Future.succeededFuture(code) : openStream())
        .compose(code -> code != 0 ? Future.succeededFuture(code) : measure());
  }

  private Future<Void> close() {
    finished = true; // closing the stream is no failure
    streamServer.close();
    if (!sameServer()) {
      sendServer.close();
    }
    return http == null ? Future.succeededFuture() : http.close();
  }

  // ------------------------------------------------------------------ the event stream

  /**
   * Opens {@code GET /v1/events?space=events-space} and waits for its first line (the server
   * subscribes the stream before it writes anything): 0 then, 1 when it cannot be opened.
   */
  private Future<Integer> openStream() {
    URI uri = LoadClient.checkUrl(settings.url());
    String path = uri.getRawPath() == null ? "" : uri.getRawPath();
    if (path.endsWith("/")) {
      path = path.substring(0, path.length() - 1);
    }
    http =
        vertx.createHttpClient(
            new HttpClientOptions()
                .setConnectTimeout((int) CONNECT_TIMEOUT_MS)
                .setTcpNoDelay(true)
                .setKeepAlive(false),
            new PoolOptions().setHttp1MaxSize(1));
    RequestOptions request =
        new RequestOptions()
            .setMethod(HttpMethod.GET)
            .setHost(uri.getHost())
            .setPort(uri.getPort() < 0 ? 80 : uri.getPort())
            .setURI(path + "/v1/events?space=" + SPACE)
            .putHeader("Accept", "text/event-stream")
            .putHeader("User-Agent", "density-load");
    if (LoadClient.TOKEN != null) {
      request.putHeader("Authorization", "Bearer " + LoadClient.TOKEN);
    }
    Promise<Integer> opened = Promise.promise();
    long timer =
        vertx.setTimer(
            CONNECT_TIMEOUT_MS,
            id -> {
              if (opened.tryComplete(1)) {
                System.err.println(
                    "events: the event stream sent nothing within "
                        + CONNECT_TIMEOUT_MS / 1000
                        + " s");
              }
            });
    http.request(request)
        .compose(r -> r.send())
        .onComplete(
            ar -> {
              if (ar.failed()) {
                System.err.println("events: GET /v1/events failed: " + ar.cause().getMessage());
                opened.tryComplete(1);
                return;
              }
              HttpClientResponse response = ar.result();
              if (response.statusCode() != 200) {
                System.err.println("events: GET /v1/events answered HTTP " + response.statusCode());
                opened.tryComplete(1);
                return;
              }
              listen(response);
              connected.future().onSuccess(v -> opened.tryComplete(0));
            });
    return opened
        .future()
        .onComplete(
            ar -> {
              vertx.cancelTimer(timer);
              if (ar.result() == 0) {
                System.err.println("events: reading " + streamServer.target() + "/v1/events");
              }
            });
  }

  /**
   * Reads the stream line by line: {@code event:} and {@code data:} fields, a blank line ends one.
   */
  private void listen(HttpClientResponse response) {
    RecordParser lines = RecordParser.newDelimited("\n", response);
    lines.handler(
        buffer -> {
          long arrived = System.nanoTime();
          String line = buffer.toString();
          if (line.endsWith("\r")) {
            line = line.substring(0, line.length() - 1);
          }
          connected.tryComplete();
          if (line.isEmpty()) {
            if (data.length() > 0 && (eventName == null || eventName.equals("count"))) {
              onEvent(data.toString(), arrived);
            }
            eventName = null;
            data = new StringBuilder();
          } else if (line.startsWith("event:")) {
            eventName = line.substring(6).strip();
          } else if (line.startsWith("data:")) {
            if (data.length() > 0) {
              data.append('\n');
            }
            data.append(line.substring(5).strip());
          } // a comment (": ping") or another field: nothing to do
        });
    lines.exceptionHandler(err -> streamClosed("the event stream failed: " + err.getMessage()));
    lines.endHandler(v -> streamClosed("the server closed the event stream"));
  }

  private void streamClosed(String reason) {
    if (!streamClosed && !finished) {
      streamClosed = true;
      streamCloseReason = reason;
      System.err.println("events: " + reason);
      // whoever waits for an event will not get it
      samples.values().forEach(s -> s.event.tryComplete());
    }
  }

  /** A count event: matched to its datapoint by timestamp. */
  private void onEvent(String text, long arrivedNanos) {
    JsonObject event;
    Instant ts;
    try {
      event = new JsonObject(text);
      ts = Instant.parse(event.getString("timestamp"));
    } catch (RuntimeException e) {
      malformed++;
      errors.show("an event that is not JSON with a timestamp: " + text);
      return;
    }
    if (!SPACE.equals(event.getString("space_id"))) {
      unmatched++;
      errors.show("an event of another space: " + text);
      return;
    }
    if (!"datapoint".equals(event.getString("cause"))) {
      otherCauses++;
      errors.show("an event with cause " + event.getString("cause") + ": " + text);
      return;
    }
    Sample sample = ts.getNano() % 1_000_000 == 0 ? samples.get(ts.toEpochMilli()) : null;
    if (sample == null) {
      unmatched++;
      errors.show("an event for no datapoint sent: " + text);
      return;
    }
    if (sample.evented) {
      repeatedEvents++;
      errors.show("a second event for the datapoint at " + iso(sample.millis) + ": " + text);
      return;
    }
    sample.evented = true;
    sample.eventNanos = arrivedNanos;
    if (sample.givenUp) {
      lateEvents++;
      errors.show(
          "the event of the datapoint at "
              + iso(sample.millis)
              + " came "
              + fmt((arrivedNanos - sample.sentNanos) / 1e6)
              + " ms after it was sent, after the "
              + EVENT_TIMEOUT_MS / 1000
              + " s wait");
      return;
    }
    Long count = number(event.getValue("count"));
    Long delta = number(event.getValue("delta"));
    if (count == null
        || count != sample.expectedCount
        || delta == null
        || delta != sample.direction) {
      countMismatches++;
      errors.show(
          "the event of the datapoint at "
              + iso(sample.millis)
              + " (direction "
              + sample.direction
              + ") says "
              + text
              + ", expected count "
              + sample.expectedCount);
    }
    sample.event.tryComplete();
  }

  // ------------------------------------------------------------------ the datapoints

  private Future<Integer> measure() {
    long started = System.nanoTime();
    long progress =
        vertx.setPeriodic(
            1_000,
            id ->
                System.err.printf(
                    "events: %d/%d sent, %d events matched, %d missing, %d before the ack%n",
                    sent, settings.count(), matched, missing, beforeAck));
    return step()
        .map(
            v -> {
              vertx.cancelTimer(progress);
              sendSeconds = secondsSince(started);
              return summary();
            });
  }

  /** The next datapoint, once the one before was acknowledged and its event came (or not). */
  private Future<Void> step() {
    if (sent >= settings.count() || aborted) {
      return Future.succeededFuture();
    }
    if (streamClosed) {
      aborted = true;
      return Future.succeededFuture();
    }
    if (System.nanoTime() > deadlineNanos) {
      timedOut = true;
      System.err.println("events: --max-seconds reached, stopping");
      return Future.succeededFuture();
    }
    long now = System.currentTimeMillis();
    if (now <= lastMillis) {
      // strictly increasing timestamps, none in the future: wait for the clock
      Promise<Void> later = Promise.promise();
      vertx.setTimer(1, id -> later.complete());
      return later.future().compose(v -> step());
    }
    lastMillis = now;
    // a random walk that never goes below zero: +1 when the space is empty, else either way
    int direction = inside == 0 || random.nextBoolean() ? 1 : -1;
    Sample sample = new Sample(now, direction, inside + direction);
    samples.put(now, sample);
    sent++;
    String body =
        "{\"timestamp\":\""
            + iso(now)
            + "\",\"direction\":"
            + direction
            + ",\"dpu_id\":\""
            + DPU
            + "\"}";
    sample.sentNanos = System.nanoTime();
    return sendServer
        .json(HttpMethod.POST, "/send", Buffer.buffer(body))
        .compose(result -> acknowledged(sample, result, System.nanoTime()))
        .compose(v -> step());
  }

  /** The answer to a datapoint: then waits for its event, if it has not come already. */
  private Future<Void> acknowledged(Sample sample, Result result, long ackNanos) {
    JsonObject answer = result.json();
    if (result.status() != 200
        || answer == null
        || !"accepted".equals(answer.getString("result"))) {
      // not known whether the server stored it, or it took it for a repeat of an earlier run's:
      // the counts to expect are unknown from here on
      System.err.println(
          "events: POST /send ("
              + iso(sample.millis)
              + ") "
              + (result.status() == 200 ? "answered " : "failed: ")
              + result.describe()
              + "; stopping");
      aborted = true;
      return Future.succeededFuture();
    }
    acknowledged++;
    inside = sample.expectedCount;
    ackLatencies.add(result.latencyNanos());
    Promise<Void> waited = Promise.promise();
    long timer = sample.evented ? -1 : vertx.setTimer(EVENT_TIMEOUT_MS, id -> waited.tryComplete());
    sample.event.future().onComplete(ar -> waited.tryComplete());
    return waited
        .future()
        .map(
            v -> {
              vertx.cancelTimer(timer);
              if (!sample.evented) {
                sample.givenUp = true;
                missing++;
                errors.show(
                    "no event for the datapoint at "
                        + iso(sample.millis)
                        + (streamClosed
                            ? " (" + streamCloseReason + ")"
                            : " within " + EVENT_TIMEOUT_MS / 1000 + " s of its acknowledgement"));
                return null;
              }
              matched++;
              long latency = sample.eventNanos - ackNanos;
              ackToEvent.add(latency);
              sendToEvent.add(sample.eventNanos - sample.sentNanos);
              if (latency < 0) {
                beforeAck++;
              }
              return null;
            });
  }

  // ------------------------------------------------------------------ helpers

  // ------------------------------------------------------------------ reporting

  private int summary() {
    boolean complete = acknowledged == settings.count() && !aborted && !timedOut;
    int exit =
        !complete || missing > 0 || streamClosed
            ? 1
            : countMismatches + unmatched + repeatedEvents + otherCauses + malformed > 0 ? 3 : 0;

    System.out.printf(
        "events summary: stream of %s, datapoints to %s (%s)%n",
        streamServer.target(),
        sendServer.target(),
        sameServer() ? "same server" : "across servers");
    System.out.printf(
        "  sent       %d datapoints one at a time, %d acknowledged in %s s; ack latency ms p50 %s"
            + "  p99 %s  max %s%n",
        sent,
        acknowledged,
        fmt(sendSeconds),
        fmt(ackLatencies.percentileMs(50)),
        fmt(ackLatencies.percentileMs(99)),
        fmt(ackLatencies.maxMs()));
    System.out.printf(
        "  ack→event  ms p50 %s  p95 %s  p99 %s  max %s  (min %s); %d of %d events came before"
            + " the ack%n",
        fmt(ackToEvent.percentileMs(50)),
        fmt(ackToEvent.percentileMs(95)),
        fmt(ackToEvent.percentileMs(99)),
        fmt(ackToEvent.maxMs()),
        fmt(ackToEvent.minMs()),
        beforeAck,
        matched);
    System.out.printf(
        "  send→event ms p50 %s  p99 %s  max %s%n",
        fmt(sendToEvent.percentileMs(50)),
        fmt(sendToEvent.percentileMs(99)),
        fmt(sendToEvent.maxMs()));
    System.out.printf(
        "  events     %d matched, %d missing, %d with a wrong count; %d unmatched, %d repeated,"
            + " %d of another cause, %d malformed%n",
        matched, missing, countMismatches, unmatched, repeatedEvents, otherCauses, malformed);
    if (streamClosed) {
      System.out.println("  " + streamCloseReason);
    }
    LoadMain.stopNotes(timedOut, aborted);

    JsonObject json =
        new JsonObject()
            .put("tool", "events")
            .put("url", streamServer.target())
            .put("send_url", sendServer.target())
            .put("same_server", sameServer())
            .put("count", settings.count())
            .put("seed", settings.seed())
            .put("sent", sent)
            .put("acknowledged", acknowledged)
            .put("send_s", num(sendSeconds))
            .put("retries", streamServer.retries() + (sameServer() ? 0 : sendServer.retries()))
            .put("ack_latency_ms_p50", num(ackLatencies.percentileMs(50)))
            .put("ack_latency_ms_p99", num(ackLatencies.percentileMs(99)))
            .put("ack_latency_ms_max", num(ackLatencies.maxMs()))
            .put("ack_to_event_ms_p50", num(ackToEvent.percentileMs(50)))
            .put("ack_to_event_ms_p95", num(ackToEvent.percentileMs(95)))
            .put("ack_to_event_ms_p99", num(ackToEvent.percentileMs(99)))
            .put("ack_to_event_ms_max", num(ackToEvent.maxMs()))
            .put("ack_to_event_ms_min", num(ackToEvent.minMs()))
            .put("before_ack", beforeAck)
            .put("send_to_event_ms_p50", num(sendToEvent.percentileMs(50)))
            .put("send_to_event_ms_p99", num(sendToEvent.percentileMs(99)))
            .put("send_to_event_ms_max", num(sendToEvent.maxMs()))
            .put("events_matched", matched)
            .put("events_missing", missing)
            .put("events_late", lateEvents)
            .put("count_mismatches", countMismatches)
            .put("events_unmatched", unmatched)
            .put("events_repeated", repeatedEvents)
            .put("events_other_cause", otherCauses)
            .put("events_malformed", malformed)
            .put("stream_closed", streamClosed)
            .put("timed_out", timedOut)
            .put("complete", complete);
    return LoadMain.result(json, exit);
  }
}
