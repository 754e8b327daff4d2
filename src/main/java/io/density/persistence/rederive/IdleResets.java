package io.density.persistence.rederive;

import io.density.bus.Addresses;
import io.density.bus.Nearest;
import io.density.db.Sql;
import io.density.persistence.store.CountEvents;
import io.density.persistence.store.Lanes;
import io.density.persistence.store.Shards;
import io.density.telemetry.Metrics;
import io.density.time.Timestamps;
import io.micrometer.core.instrument.Counter;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.eventbus.DeliveryOptions;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.sqlclient.Pool;
import io.vertx.sqlclient.Row;
import io.vertx.sqlclient.SqlConnection;
import io.vertx.sqlclient.Tuple;
import java.time.OffsetDateTime;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.logging.Level;
import java.util.logging.Logger;

/**
 * Idle resets (drift correction): a space with {@code idle_reset_minutes} = m is reset to 0 at t +
 * m wherever it had an effect at t and none after it before t + m. They are derived from the
 * effects on three roads, none of which drains the deployment:
 *
 * <ul>
 *   <li>an effect applied in order after such a gap: the counting script finds the reset before it,
 *       and the shard's owner writes it before the part's counts ({@link #writeFound});
 *   <li>a reset that comes due with no effect after: the counting script keeps each space in a
 *       sorted set by when its next one is due, and every owner writes those of its shards in the
 *       shard's lane, where they serialise with the shard's counting ({@link #start});
 *   <li>every recount (late data, moves, replays, rule changes, rebuilds) derives them again in the
 *       stretch it recounts ({@link #rederive}), so late data moves them.
 * </ul>
 */
public final class IdleResets {
  private static final Logger LOG = Logger.getLogger(IdleResets.class.getName());

  private final Vertx vertx;
  private final Pool pool;
  private final CountEvents events;
  private final Lanes ownership;
  private final int shards;
  private final Counter written;
  private long timer = -1;
  private boolean checking;

  public IdleResets(Vertx vertx, Pool pool, CountEvents events, Lanes ownership, int shards) {
    this.events = events;
    this.vertx = vertx;
    this.pool = pool;
    this.ownership = ownership;
    this.shards = shards;
    this.written = writtenCounter(vertx);
  }

  private static Counter writtenCounter(Vertx vertx) {
    return Counter.builder("density_resets_written")
        .tag("kind", "idle")
        .description("resets written: explicit ones, and daily ones as rules change or come due")
        .register(Metrics.of(vertx));
  }

  /** Checks every {@code everyMs} for idle resets come due in the shards owned here. */
  public void start(long everyMs) {
    timer = vertx.setPeriodic(everyMs, everyMs, id -> check());
  }

  public void stop() {
    vertx.cancelTimer(timer);
  }

  private void check() {
    if (checking || ownership.owned().isEmpty()) {
      return;
    }
    checking = true;
    Nearest.<JsonObject>request(
            vertx,
            Addresses.COUNTER_IDLE_DUE,
            new JsonObject(),
            new DeliveryOptions().setSendTimeout(5_000))
        .compose(reply -> writeDue(reply.body().getJsonArray("spaces")))
        .onFailure(err -> LOG.log(Level.WARNING, "writing idle resets that came due failed", err))
        .onComplete(v -> checking = false);
  }

  /** The due spaces of the shards owned here, each shard's in its lane. */
  private Future<Void> writeDue(JsonArray spaces) {
    Map<Integer, List<String>> byShard = new TreeMap<>();
    for (Object id : spaces) {
      int shard = Shards.of((String) id, shards);
      if (ownership.owned().contains(shard)) {
        byShard.computeIfAbsent(shard, k -> new ArrayList<>()).add((String) id);
      }
    }
    List<Future<Void>> all = new ArrayList<>();
    byShard.forEach(
        (shard, ids) ->
            all.add(ownership.inLane(shard, () -> writeDue(ids.toArray(String[]::new)))));
    return Future.all(all).mapEmpty();
  }

  /**
   * Writes the resets due for the spaces (their latest effect at least m old), then hands their
   * heads to the counter, which also takes them out of the due set (or puts them back with the time
   * PostgreSQL says). Runs in the spaces' shard lane, so no part of theirs is counted meanwhile.
   */
  private Future<Void> writeDue(String[] ids) {
    JsonArray resetHeads = new JsonArray();
    return pool.withTransaction(
            conn ->
                conn.preparedQuery(Statements.WRITE_DUE_IDLE_RESETS)
                    .execute(Tuple.of((Object) ids))
                    .compose(
                        inserted -> {
                          Set<String> reset = new HashSet<>();
                          inserted.forEach(r -> reset.add(r.getString("space_id")));
                          written.increment(reset.size());
                          return conn.preparedQuery(Sql.SPACE_HEADS)
                              .execute(Tuple.of((Object) ids))
                              .map(Recounts::heads)
                              .compose(
                                  heads -> {
                                    heads.forEach(
                                        h -> {
                                          if (reset.contains(((JsonArray) h).getString(0))) {
                                            resetHeads.add(h);
                                          }
                                        });
                                    return events.record(conn, resetHeads, "reset").map(heads);
                                  });
                        }))
        .compose(heads -> Recounts.setHeads(vertx, heads))
        .onSuccess(v -> events.heads(resetHeads, "reset"));
  }

  /**
   * Whether the counting script's answer found idle resets before effects ({@link #writeFound}).
   */
  public static boolean found(JsonObject answer) {
    JsonArray found = answer.getJsonArray("i");
    return found != null && !found.isEmpty();
  }

  /**
   * Writes the idle resets the counting script found before effects it applied in order ({@code i}
   * of its answer: [space, ts, 1 when the reset is now the space's latest change before the
   * effect]), and publishes a reset event for each that took the count to 0. Spaces recounted in
   * the part ({@code late}) are left out: their recount derives their idle resets again.
   */
  public static Future<Void> writeFound(
      Vertx vertx, Pool pool, CountEvents countEvents, JsonObject answer, JsonArray late) {
    if (!found(answer)) {
      return Future.succeededFuture();
    }
    JsonArray found = answer.getJsonArray("i");
    Set<String> recounted = new HashSet<>();
    late.forEach(l -> recounted.add(((JsonArray) l).getString(0)));
    List<String> spaces = new ArrayList<>();
    List<OffsetDateTime> instants = new ArrayList<>();
    JsonArray events = new JsonArray();
    for (Object o : found) {
      JsonArray reset = (JsonArray) o;
      String space = reset.getString(0);
      if (recounted.contains(space)) {
        continue;
      }
      long ts = Long.parseLong(reset.getString(1));
      spaces.add(space);
      instants.add(Timestamps.toOffsetDateTime(ts));
      if (reset.size() > 2 && reset.getInteger(2) == 1) {
        events.add(new JsonArray().add(space).add(0).add(ts));
      }
    }
    if (spaces.isEmpty()) {
      return Future.succeededFuture();
    }
    Tuple resets =
        Tuple.of(spaces.toArray(String[]::new), (Object) instants.toArray(OffsetDateTime[]::new));
    return pool.withTransaction(
            conn ->
                conn.preparedQuery(Statements.WRITE_IDLE_RESETS)
                    .execute(resets)
                    .compose(v -> countEvents.record(conn, events, "reset")))
        .onSuccess(
            v -> {
              writtenCounter(vertx).increment(spaces.size());
              countEvents.heads(events, "reset");
            })
        .mapEmpty();
  }

  /**
   * Derives the idle resets of the stretches about to be recounted again ({@link
   * Statements#REDERIVE_IDLE_RESETS}). Returns rows (space_id, since, through) of the idle resets
   * that changed, for the recount to cover.
   */
  static Future<List<Row>> rederive(
      SqlConnection conn, String[] spaces, OffsetDateTime[] since, OffsetDateTime[] through) {
    return conn.preparedQuery(Statements.REDERIVE_IDLE_RESETS)
        .execute(Tuple.of(spaces, since, through))
        .map(
            rows -> {
              List<Row> changed = new ArrayList<>();
              rows.forEach(changed::add);
              return changed;
            });
  }
}
