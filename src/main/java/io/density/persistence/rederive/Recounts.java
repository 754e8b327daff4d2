package io.density.persistence.rederive;

import io.density.bus.Addresses;
import io.density.bus.Nearest;
import io.density.db.Sql;
import io.density.persistence.store.CountEvents;
import io.density.time.Timestamps;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.sqlclient.Row;
import io.vertx.sqlclient.RowSet;
import io.vertx.sqlclient.SqlConnection;
import io.vertx.sqlclient.Tuple;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * Spaces to recount in SQL, each over the stretch of its history that changed, and the heads they
 * end with (latest effect and count) for the counter to put in Redis. Used from a space's shard
 * lane, or alone, so no batch changes those spaces between the recount and the update of Redis.
 *
 * <p>A stretch runs from the earliest changed instant ({@code since}) to the first reset after the
 * latest one ({@code through}; none: to the end). Before recounting, the daily resets of a space
 * are written back to {@code since} when they started later: effects that arrive older than every
 * written daily reset (late, imported, replayed, or brought by a back-dated link) find the resets
 * of their days in force, whatever order the rule and the history came in. Then the idle resets of
 * each stretch are derived again from its effects ({@link IdleResets#rederive}), and the stretch
 * widened to those that moved.
 */
public final class Recounts {
  /** From since on, up to the first reset after through (null: to the end). */
  private record Stretch(OffsetDateTime since, OffsetDateTime through) {
    Stretch merge(Stretch other) {
      return new Stretch(
          since.isBefore(other.since) ? since : other.since,
          through == null || other.through == null
              ? null
              : through.isAfter(other.through) ? through : other.through);
    }
  }

  /** Who follows a long recount: told the number of spaces, then how many are done. */
  interface Progress {
    Progress NONE =
        new Progress() {
          @Override
          public void recounting(int spaces) {}

          @Override
          public void recounted(int spaces) {}
        };

    void recounting(int spaces);

    void recounted(int spaces);
  }

  private final Map<String, Stretch> stretches = new HashMap<>();

  public boolean isEmpty() {
    return stretches.isEmpty();
  }

  /** Adds a space whose effects or resets changed at one instant. */
  public Recounts add(String spaceId, OffsetDateTime at) {
    return add(spaceId, at, at);
  }

  /**
   * Adds a space whose effects or resets changed from {@code since} to {@code through} (null: its
   * history from {@code since} to the end is recounted).
   */
  public Recounts add(String spaceId, OffsetDateTime since, OffsetDateTime through) {
    stretches.merge(spaceId, new Stretch(since, through), Stretch::merge);
    return this;
  }

  /**
   * Adds rows of (space_id, since, through), as the effect-changing statements of {@link
   * Statements} return.
   */
  Recounts addAll(RowSet<Row> rows) {
    rows.forEach(
        r ->
            add(
                r.getString("space_id"),
                r.getOffsetDateTime("since"),
                r.getOffsetDateTime("through")));
    return this;
  }

  /** Recounts every space in the connection's transaction and reads their heads. */
  public Future<JsonArray> run(SqlConnection conn) {
    return run(conn, Progress.NONE);
  }

  /** The same, telling the progress how many spaces there are and as each is recounted. */
  public Future<JsonArray> run(SqlConnection conn, Progress progress) {
    return writeDailyResetsBack(conn)
        .compose(v -> rederiveIdleResets(conn))
        .compose(
            v -> {
              progress.recounting(stretches.size());
              Future<?> chain = Future.succeededFuture();
              int done = 0;
              for (Map.Entry<String, Stretch> e : stretches.entrySet()) {
                Stretch s = e.getValue();
                Tuple recount = Tuple.of(e.getKey(), s.since, s.through);
                int recounted = ++done;
                chain =
                    chain
                        .compose(x -> conn.preparedQuery(Statements.RECOUNT_SPACE).execute(recount))
                        .onSuccess(x -> progress.recounted(recounted));
              }
              return chain;
            })
        .compose(
            v ->
                conn.preparedQuery(Sql.SPACE_HEADS)
                    .execute(Tuple.of((Object) stretches.keySet().toArray(String[]::new)))
                    .map(Recounts::heads));
  }

  /**
   * Writes the daily resets of the spaces whose written ones start after their stretch, from the
   * last reset at or before the stretch on; the stretch then covers every day written.
   */
  private Future<Void> writeDailyResetsBack(SqlConnection conn) {
    String[] ids = stretches.keySet().toArray(String[]::new);
    OffsetDateTime[] since =
        stretches.values().stream().map(Stretch::since).toArray(OffsetDateTime[]::new);
    return conn.preparedQuery(Statements.DAILY_RESETS_SHORT_OF)
        .execute(Tuple.of(ids, (Object) since))
        .compose(
            rows -> {
              List<String> spaces = new ArrayList<>();
              List<OffsetDateTime> instants = new ArrayList<>();
              for (Row r : rows) {
                DailyResets rule = DailyResets.of(r);
                Instant from = rule.atOrBefore(r.getOffsetDateTime("since").toInstant());
                List<Instant> written =
                    rule.between(from, r.getOffsetDateTime("daily_resets_from").toInstant());
                for (Instant i : written) {
                  spaces.add(r.getString("id"));
                  instants.add(i.atOffset(ZoneOffset.UTC));
                }
                add(
                    r.getString("id"),
                    written.get(0).atOffset(ZoneOffset.UTC),
                    written.get(written.size() - 1).atOffset(ZoneOffset.UTC));
              }
              return spaces.isEmpty()
                  ? Future.succeededFuture()
                  : writeDaily(conn, spaces, instants);
            });
  }

  /**
   * Derives the idle resets of every stretch again from its effects; a stretch then also covers the
   * idle resets that moved.
   */
  private Future<Void> rederiveIdleResets(SqlConnection conn) {
    String[] ids = stretches.keySet().toArray(String[]::new);
    OffsetDateTime[] since = new OffsetDateTime[ids.length];
    OffsetDateTime[] through = new OffsetDateTime[ids.length];
    for (int i = 0; i < ids.length; i++) {
      Stretch s = stretches.get(ids[i]);
      since[i] = s.since;
      through[i] = s.through;
    }
    return IdleResets.rederive(conn, ids, since, through)
        .onSuccess(
            changed ->
                changed.forEach(
                    r ->
                        add(
                            r.getString("space_id"),
                            r.getOffsetDateTime("since"),
                            r.getOffsetDateTime("through"))))
        .mapEmpty();
  }

  /** Writes daily resets (spaces and instants side by side). */
  static Future<Void> writeDaily(
      SqlConnection conn, List<String> spaces, List<OffsetDateTime> instants) {
    return conn.preparedQuery(Statements.WRITE_DAILY_RESETS)
        .execute(
            Tuple.of(
                spaces.toArray(String[]::new), (Object) instants.toArray(OffsetDateTime[]::new)))
        .mapEmpty();
  }

  /**
   * Hands the recounted heads to the counter, which replaces them in Redis, and publishes the new
   * counts ({@code cause}: reconciliation or reset).
   */
  public static Future<Void> publish(
      Vertx vertx, CountEvents events, JsonArray heads, String cause) {
    return setHeads(vertx, heads).onSuccess(v -> events.heads(heads, cause));
  }

  /** Hands recounted heads to the counter, which replaces them in Redis. */
  static Future<Void> setHeads(Vertx vertx, JsonArray heads) {
    return heads.isEmpty()
        ? Future.succeededFuture()
        : Nearest.request(vertx, Addresses.COUNTER_SET, new JsonObject().put("spaces", heads))
            .mapEmpty();
  }

  /**
   * Rows of {@link Sql#SPACE_HEADS} as the counter takes them: [id, count, ts, delta, datapoint],
   * and for a space with an idle reset rule [..., latest effect (µs or null), idle period (µs)].
   */
  static JsonArray heads(RowSet<Row> rows) {
    JsonArray heads = new JsonArray();
    for (Row r : rows) {
      OffsetDateTime ts = r.getOffsetDateTime("ts");
      JsonArray head = new JsonArray().add(r.getString("id")).add(r.getInteger("count"));
      if (ts == null) {
        head.addNull().addNull().addNull();
      } else {
        head.add(Timestamps.toMicros(ts))
            .add((int) r.getShort("delta"))
            .add(r.getLong("datapoint_id"));
      }
      Integer idleMinutes = r.getInteger("idle_reset_minutes");
      if (idleMinutes != null) {
        OffsetDateTime effect = r.getOffsetDateTime("effect_ts");
        head.add(effect == null ? null : Timestamps.toMicros(effect))
            .add(idleMinutes * 60_000_000L);
      }
      heads.add(head);
    }
    return heads;
  }
}
