package io.density.registry;

import io.density.bus.Addresses;
import io.density.bus.Failure;
import io.density.time.Timestamps;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.eventbus.DeliveryOptions;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.sqlclient.Pool;
import io.vertx.sqlclient.Row;
import io.vertx.sqlclient.RowSet;
import io.vertx.sqlclient.Tuple;
import java.time.OffsetDateTime;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

/**
 * Links of DPUs to spaces, and moves of DPUs. A link or move that reaches into the past has
 * persistence attribute the DPU's datapoints again from then on before it is answered.
 */
final class Links {
  private final Vertx vertx;
  private final Pool pool;

  Links(Vertx vertx, Pool pool) {
    this.vertx = vertx;
    this.pool = pool;
  }

  /** Creates the link, or answers the equal one that exists ({@code created} false). */
  Future<JsonObject> create(RegistryRequest.Link r) {
    String dpu = r.dpu();
    Tuple link = Tuple.of(dpu, r.doorway(), r.space(), r.placement(), time(r.from()), time(r.to()));
    return pool.preparedQuery(Statements.FIND_SAME_LINK)
        .execute(link)
        .compose(
            same ->
                same.size() > 0
                    ? Future.succeededFuture(link(same.iterator().next()).put("created", false))
                    : pool.preparedQuery(Statements.INSERT_LINK)
                        .execute(link)
                        .map(rows -> rows.iterator().next())
                        .compose(
                            row ->
                                reattribute(dpu, row.getOffsetDateTime("valid_from"))
                                    .map(link(row).put("created", true))));
  }

  private static OffsetDateTime time(Long micros) {
    return micros == null ? null : Timestamps.toOffsetDateTime(micros);
  }

  /**
   * Moves a DPU at an instant (default now): closes its links valid then, opens the given ones from
   * then, and has its datapoints since then attributed again. Re-posting the same move is answered
   * with the links it opened.
   */
  Future<JsonObject> move(RegistryRequest.MoveDpu r) {
    String dpu = r.dpu();
    OffsetDateTime when = r.at() != null ? time(r.at()) : OffsetDateTime.now();
    List<Tuple> opened = new ArrayList<>();
    for (RegistryRequest.MovedLink l : r.links()) {
      opened.add(Tuple.of(dpu, r.doorway(), l.space(), l.placement(), when, null));
    }
    return pool.withTransaction(
            conn ->
                conn.preparedQuery(Statements.LINKS_FROM)
                    .execute(Tuple.of(dpu, when))
                    .compose(
                        later -> {
                          if (later.size() > 0) {
                            return sameMove(later, opened)
                                ? Future.succeededFuture(new JsonArray())
                                : Future.failedFuture(
                                    Failure.conflict(
                                        "at",
                                        "DPU "
                                            + dpu
                                            + " has links from "
                                            + when
                                            + " on: a move must come after them"));
                          }
                          return conn.preparedQuery(Statements.CLOSE_LINKS_AT)
                              .execute(Tuple.of(dpu, when))
                              .compose(
                                  closed ->
                                      conn.preparedQuery(Statements.INSERT_LINK)
                                          .executeBatch(opened)
                                          .map(v -> toJson(closed)));
                        }))
        .compose(
            closed ->
                reattribute(dpu, when)
                    .compose(
                        v -> pool.preparedQuery(Statements.LINKS_FROM).execute(Tuple.of(dpu, when)))
                    .map(
                        now ->
                            new JsonObject()
                                .put("dpu_id", dpu)
                                .put("at", Timestamps.format(when))
                                .put("closed", closed)
                                .put("opened", toJson(now))));
  }

  /** Whether the links from the move's instant on are exactly the ones the move opens. */
  private static boolean sameMove(RowSet<Row> later, List<Tuple> opened) {
    Set<String> existing = new HashSet<>();
    for (Row r : later) {
      existing.add(
          r.getString("doorway_id")
              + "/"
              + r.getString("space_id")
              + "/"
              + r.getShort("sensor_placement")
              + "/"
              + r.getOffsetDateTime("valid_from").toInstant()
              + "/"
              + r.getOffsetDateTime("valid_to"));
    }
    Set<String> wanted = new HashSet<>();
    for (Tuple t : opened) {
      wanted.add(
          t.getString(1)
              + "/"
              + t.getString(2)
              + "/"
              + t.getShort(3)
              + "/"
              + ((OffsetDateTime) t.getValue(4)).toInstant()
              + "/null");
    }
    return existing.equals(wanted);
  }

  private static JsonArray toJson(RowSet<Row> links) {
    JsonArray out = new JsonArray();
    links.forEach(r -> out.add(link(r)));
    return out;
  }

  /** Has persistence attribute the DPU's datapoints again from an instant on. */
  private Future<Void> reattribute(String dpu, OffsetDateTime since) {
    return vertx
        .eventBus()
        .request(
            Addresses.REATTRIBUTE,
            new JsonObject().put("dpu_id", dpu).put("since", Timestamps.toMicros(since)),
            new DeliveryOptions().setSendTimeout(600_000))
        .mapEmpty();
  }

  static JsonObject link(Row r) {
    OffsetDateTime to = r.getOffsetDateTime("valid_to");
    return new JsonObject()
        .put("id", r.getLong("id"))
        .put("dpu_id", r.getString("dpu_id"))
        .put("doorway_id", r.getString("doorway_id"))
        .put("space_id", r.getString("space_id"))
        .put("sensor_placement", (int) r.getShort("sensor_placement"))
        .put("valid_from", Timestamps.format(r.getOffsetDateTime("valid_from")))
        .put("valid_to", to == null ? null : Timestamps.format(to));
  }
}
