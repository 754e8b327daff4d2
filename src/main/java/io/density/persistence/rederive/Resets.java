package io.density.persistence.rederive;

import io.density.persistence.store.CountEvents;
import io.density.telemetry.Metrics;
import io.density.time.Timestamps;
import io.micrometer.core.instrument.Counter;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.sqlclient.Pool;
import io.vertx.sqlclient.Row;
import io.vertx.sqlclient.SqlConnection;
import io.vertx.sqlclient.Tuple;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.util.Collections;
import java.util.List;

/**
 * Resets of spaces: explicit ones posted by an operator, and the daily ones a space's rule implies,
 * written for its whole history when the rule changes and as each new one comes due. Every change
 * recounts the space from the first instant it affects. Runs alone, the ingest pipeline drained.
 */
public final class Resets {
  private final Vertx vertx;
  private final Pool pool;
  private final CountEvents events;
  private final Counter explicitWritten;
  private final Counter dailyWritten;

  public Resets(Vertx vertx, Pool pool, CountEvents events) {
    this.vertx = vertx;
    this.pool = pool;
    this.events = events;
    String name = "density_resets_written";
    String description =
        "resets written: explicit ones, and daily ones as rules change or come due";
    this.explicitWritten =
        Counter.builder(name)
            .tag("kind", "explicit")
            .description(description)
            .register(Metrics.of(vertx));
    this.dailyWritten =
        Counter.builder(name)
            .tag("kind", "daily")
            .description(description)
            .register(Metrics.of(vertx));
  }

  /** An explicit reset of a space to a count at an instant. */
  public Future<JsonObject> explicit(String spaceId, OffsetDateTime ts, int count) {
    Recounts recounts = new Recounts().add(spaceId, ts);
    return pool.withTransaction(
            conn ->
                conn.preparedQuery(Statements.UPSERT_EXPLICIT_RESET)
                    .execute(Tuple.of(spaceId, ts, count))
                    .compose(rows -> recounts.run(conn))
                    .compose(heads -> events.record(conn, heads, "reset")))
        .compose(heads -> Recounts.publish(vertx, events, heads, "reset"))
        .onSuccess(v -> explicitWritten.increment())
        .map(
            v ->
                new JsonObject()
                    .put("space_id", spaceId)
                    .put("timestamp", Timestamps.format(ts))
                    .put("count", count)
                    .put("kind", "explicit"));
  }

  /**
   * The space's clamp, daily reset, time zone or idle reset changed (or it is new): its daily
   * resets are written again from the last one due before its history starts (its creation, first
   * effect or first other reset), its idle resets derived again, and every count recounted.
   */
  public Future<Void> rulesChanged(String spaceId) {
    return pool.withTransaction(
            conn ->
                conn.preparedQuery(Statements.SPACE_RESET_RULES)
                    .execute(Tuple.of(spaceId))
                    .compose(
                        rows -> {
                          Row space = rows.iterator().next();
                          DailyResets rule = DailyResets.of(space);
                          Instant history = space.getOffsetDateTime("history_from").toInstant();
                          Instant from = rule == null ? history : rule.atOrBefore(history);
                          return conn.preparedQuery(Statements.DELETE_DAILY_RESETS)
                              .execute(Tuple.of(spaceId))
                              // The recount derives the idle resets again, under the new rule.
                              .compose(
                                  v ->
                                      conn.preparedQuery(Statements.DELETE_IDLE_RESETS)
                                          .execute(Tuple.of(spaceId)))
                              .compose(v -> writeDaily(conn, spaceId, rule, from))
                              .compose(
                                  v ->
                                      new Recounts()
                                          .add(spaceId, from.atOffset(ZoneOffset.UTC), null)
                                          .run(conn))
                              .compose(heads -> events.record(conn, heads, "reset"));
                        }))
        .compose(heads -> Recounts.publish(vertx, events, heads, "reset"));
  }

  /** Whether any space's next daily reset has come (a cheap check before draining the pipeline). */
  public Future<Boolean> anyDue() {
    return pool.query(Statements.ANY_DAILY_RESET_DUE).execute().map(rows -> rows.size() > 0);
  }

  /** Writes the daily resets that have come due since the last check. Returns how many spaces. */
  public Future<Integer> writeDue() {
    return pool.withTransaction(
            conn ->
                conn.query(Statements.DUE_DAILY_RESETS)
                    .execute()
                    .compose(
                        due -> {
                          Recounts recounts = new Recounts();
                          Future<?> chain = Future.succeededFuture();
                          for (Row space : due) {
                            String id = space.getString("id");
                            OffsetDateTime from = space.getOffsetDateTime("next_daily_reset");
                            recounts.add(id, from);
                            chain =
                                chain.compose(
                                    v ->
                                        writeDaily(
                                            conn, id, DailyResets.of(space), from.toInstant()));
                          }
                          return chain.compose(
                              v ->
                                  recounts.isEmpty()
                                      ? Future.succeededFuture(new JsonArray())
                                      : recounts
                                          .run(conn)
                                          .compose(heads -> events.record(conn, heads, "reset")));
                        }))
        .compose(heads -> Recounts.publish(vertx, events, heads, "reset").map(heads.size()));
  }

  /**
   * Writes the space's daily resets from an instant until now (none without a rule), and when the
   * next one is due.
   */
  private Future<Void> writeDaily(SqlConnection conn, String id, DailyResets rule, Instant from) {
    if (rule == null) {
      return conn.preparedQuery(Statements.SET_NEXT_DAILY_RESET)
          .execute(Tuple.of(id, (Object) null))
          .mapEmpty();
    }
    Instant next = rule.after(Instant.now());
    List<OffsetDateTime> instants =
        rule.between(from, next).stream().map(i -> i.atOffset(ZoneOffset.UTC)).toList();
    return Recounts.writeDaily(conn, Collections.nCopies(instants.size(), id), instants)
        .onSuccess(v -> dailyWritten.increment(instants.size()))
        .compose(
            v ->
                conn.preparedQuery(Statements.SET_NEXT_DAILY_RESET)
                    .execute(Tuple.of(id, next.atOffset(ZoneOffset.UTC))))
        .mapEmpty();
  }
}
