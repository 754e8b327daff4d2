package io.density.persistence.rederive;

import io.density.bus.Addresses;
import io.density.bus.Failure;
import io.density.time.Timestamps;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.security.SecureRandom;
import java.time.OffsetDateTime;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Function;
import java.util.function.Supplier;
import java.util.logging.Logger;

/**
 * Replays of the raw log on the leader, each with a progress anyone may read while it runs. A
 * replay waits for the deployment's gate, attributes the window's datapoints again, recounts every
 * space from the window's start ({@link Reattribution#window}) and reloads the realtime state. Its
 * progress is published on {@link Addresses#REPLAY_PROGRESS} at each change of state and at most
 * once a second while spaces are recounted; the last {@value #KEPT} replays answer {@link
 * Addresses#REPLAY_STATUS}. Everything here runs on the leader's event loop.
 */
public final class Replays {
  private static final Logger LOG = Logger.getLogger(Replays.class.getName());
  private static final int KEPT = 20;
  private static final long PUBLISH_EVERY_MS = 1_000;
  private static final SecureRandom IDS = new SecureRandom();

  private final Vertx vertx;
  private final Reattribution reattribution;

  /** Runs a task with the deployment's gate closed (the inserter's drained work). */
  private final Function<Supplier<Future<JsonObject>>, Future<JsonObject>> drained;

  /** Rebuilds the realtime state, as a task run with the gate closed. */
  private final Supplier<Future<JsonObject>> rebuild;

  private final Map<String, Replay> recent =
      new LinkedHashMap<>() {
        @Override
        protected boolean removeEldestEntry(Map.Entry<String, Replay> eldest) {
          return size() > KEPT;
        }
      };

  public Replays(
      Vertx vertx,
      Reattribution reattribution,
      Function<Supplier<Future<JsonObject>>, Future<JsonObject>> drained,
      Supplier<Future<JsonObject>> rebuild) {
    this.vertx = vertx;
    this.reattribution = reattribution;
    this.drained = drained;
    this.rebuild = rebuild;
  }

  /**
   * Starts a replay of the datapoints in [from, to) (µs; null: unbounded) once the ingest pipeline
   * is drained. Its progress is readable at once; {@link Replay#done()} completes with the summary.
   */
  public Replay start(Long from, Long to) {
    byte[] id = new byte[8];
    IDS.nextBytes(id);
    Replay replay = new Replay(HexFormat.of().formatHex(id), from, to);
    recent.put(replay.id, replay);
    replay.publish();
    replay.done =
        drained
            .apply(replay::run)
            .onSuccess(replay::finished)
            .onFailure(replay::failed)
            .map(result -> result.copy().put("id", replay.id));
    return replay;
  }

  /** {@code {id}}: that replay's progress; {@code {}}: the recent ones, newest first. */
  public Future<JsonObject> status(JsonObject request) {
    String id = request.getString("id");
    if (id == null) {
      List<Replay> newestFirst = new ArrayList<>(recent.values());
      JsonArray replays = new JsonArray();
      for (int i = newestFirst.size() - 1; i >= 0; i--) {
        replays.add(newestFirst.get(i).toJson());
      }
      return Future.succeededFuture(new JsonObject().put("replays", replays));
    }
    Replay replay = recent.get(id);
    return replay == null
        ? Future.failedFuture(
            Failure.notFound(
                "no such replay: "
                    + id
                    + " (the leader keeps its last "
                    + KEPT
                    + "; a replay on a leader that has since gone was rolled back)"))
        : Future.succeededFuture(replay.toJson());
  }

  /** One replay: its window, where it stands, and its summary once done. */
  public final class Replay implements Recounts.Progress {
    final String id;
    private final Long from;
    private final Long to;
    private final long startedMs = System.currentTimeMillis();
    private String state = "waiting";
    private Integer spacesTotal;
    private int spacesRecounted;
    private Long finishedMs;
    private String error;
    private long publishedMs;
    private Future<JsonObject> done;

    private Replay(String id, Long from, Long to) {
      this.id = id;
      this.from = from;
      this.to = to;
    }

    /** The steps, with the gate closed. */
    private Future<JsonObject> run() {
      state("attributing");
      LOG.info("replay " + id + " started: " + window());
      OffsetDateTime start =
          from == null
              ? OffsetDateTime.parse("0001-01-01T00:00:00Z")
              : Timestamps.toOffsetDateTime(from);
      return reattribution
          .window(start, to == null ? null : Timestamps.toOffsetDateTime(to), this)
          .compose(
              spaces -> {
                state("reloading");
                return rebuild
                    .get()
                    .map(r -> r.put("result", "replayed").put("spaces_recounted", spaces));
              });
    }

    @Override
    public void recounting(int spaces) {
      spacesTotal = spaces;
      state("recounting");
    }

    @Override
    public void recounted(int spaces) {
      spacesRecounted = spaces;
      if (System.currentTimeMillis() - publishedMs >= PUBLISH_EVERY_MS) {
        publish();
      }
    }

    private void finished(JsonObject result) {
      finishedMs = System.currentTimeMillis();
      state("done");
      LOG.info(
          "replay "
              + id
              + " done in "
              + (finishedMs - startedMs)
              + " ms: "
              + spacesRecounted
              + " spaces recounted");
    }

    private void failed(Throwable err) {
      finishedMs = System.currentTimeMillis();
      error = err.getMessage();
      state("failed");
      LOG.warning("replay " + id + " failed (rolled back): " + error);
    }

    private void state(String next) {
      state = next;
      publish();
    }

    private void publish() {
      publishedMs = System.currentTimeMillis();
      vertx.eventBus().publish(Addresses.REPLAY_PROGRESS, toJson());
    }

    private String window() {
      return (from == null ? "the beginning" : Timestamps.format(from))
          + " to "
          + (to == null ? "the end" : Timestamps.format(to));
    }

    /** Completes with the replay's summary once it has run. */
    public Future<JsonObject> done() {
      return done;
    }

    public JsonObject toJson() {
      long now = finishedMs == null ? System.currentTimeMillis() : finishedMs;
      return new JsonObject()
          .put("id", id)
          .put("state", state)
          .put("from", from == null ? null : Timestamps.format(from))
          .put("to", to == null ? null : Timestamps.format(to))
          .put("spaces_total", spacesTotal)
          .put("spaces_recounted", spacesRecounted)
          .put("started_at", Timestamps.format(startedMs * 1_000))
          .put("finished_at", finishedMs == null ? null : Timestamps.format(finishedMs * 1_000))
          .put("elapsed_ms", now - startedMs)
          .put("error", error);
    }
  }
}
