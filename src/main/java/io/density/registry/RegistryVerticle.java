package io.density.registry;

import static io.density.registry.Fields.capacity;
import static io.density.registry.Fields.flag;
import static io.density.registry.Fields.idleResetMinutes;
import static io.density.registry.Fields.localTime;
import static io.density.registry.Fields.optionalText;
import static io.density.registry.Fields.zone;

import io.density.bus.Addresses;
import io.density.bus.Failure;
import io.density.bus.InvalidInput;
import io.density.bus.Replies;
import io.density.config.DensityConfig;
import io.density.db.Connections;
import io.density.db.SqlStates;
import io.vertx.core.Future;
import io.vertx.core.VerticleBase;
import io.vertx.core.eventbus.DeliveryOptions;
import io.vertx.core.eventbus.ReplyException;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.sqlclient.Pool;
import io.vertx.sqlclient.Row;
import io.vertx.sqlclient.RowSet;
import io.vertx.sqlclient.Tuple;
import java.time.LocalTime;
import java.util.Map;
import java.util.function.Function;

/**
 * The building: spaces, doorways, DPUs and links. Every write is idempotent (PUT by id; a link
 * equal to an existing one returns it), so provisioning scripts can re-run. The action is the
 * {@code action} header; the body is {@code {id?, ...fields}} or a query.
 *
 * <p>Config: the {@code postgres} slice.
 */
public final class RegistryVerticle extends VerticleBase {
  /** SQLSTATEs this verticle turns into client errors. */
  private Pool pool;

  private Map<String, Function<JsonObject, Future<JsonObject>>> actions;

  @Override
  public Future<?> start() {
    pool = Connections.postgres(vertx, config().mapTo(DensityConfig.Postgres.class));
    Links links = new Links(vertx, pool);
    Bulk bulk = new Bulk(vertx, pool);
    actions =
        Map.ofEntries(
            Map.entry("space.put", this::putSpace),
            Map.entry("space.bulk", bulk::spaces),
            Map.entry("doorway.bulk", bulk::doorways),
            Map.entry("dpu.bulk", bulk::dpus),
            Map.entry("link.bulk", bulk::links),
            Map.entry(
                "space.get",
                q -> one(Statements.SELECT_SPACE, q, RegistryVerticle::space, "space")),
            Map.entry(
                "space.list",
                q -> list(Statements.LIST_SPACES, Tuple.tuple(), RegistryVerticle::space)),
            Map.entry("doorway.put", q -> putNamed(Statements.UPSERT_DOORWAY, q)),
            Map.entry(
                "doorway.get",
                q -> one(Statements.SELECT_DOORWAY, q, RegistryVerticle::named, "doorway")),
            Map.entry(
                "doorway.list",
                q -> list(Statements.LIST_DOORWAYS, Tuple.tuple(), RegistryVerticle::named)),
            Map.entry("dpu.put", this::putDpu),
            Map.entry(
                "dpu.list",
                q -> list(Statements.LIST_DPUS, Tuple.tuple(), RegistryVerticle::named)),
            Map.entry("dpu.move", links::move),
            Map.entry("link.create", links::create),
            Map.entry(
                "link.list",
                q ->
                    list(
                        Statements.LIST_LINKS,
                        Tuple.of(q.getString("dpu_id"), q.getString("space_id")),
                        Links::link)));
    return vertx
        .eventBus()
        .consumer(
            Addresses.REGISTRY,
            Replies.byAction("registry", actions, RegistryVerticle::clientError))
        .completion();
  }

  @Override
  public Future<?> stop() {
    return pool.close();
  }

  // ------------------------------------------------------------------ spaces

  private Future<JsonObject> putSpace(JsonObject q) {
    try {
      String id = q.getString("id");
      JsonObject body = q.getJsonObject("body");
      String name = optionalText(body, "name");
      String parent = optionalText(body, "parent_id");
      String zone = zone(body.getValue("time_zone"));
      Integer capacity = capacity(body.getValue("capacity"));
      boolean clamp = flag(body.getValue("clamp"), "clamp", true);
      LocalTime dailyReset = localTime(body.getValue("daily_reset"), "daily_reset");
      Integer idleReset = idleResetMinutes(body.getValue("idle_reset_minutes"));
      Tuple upsert =
          Tuple.of(id, name, parent, zone, capacity, clamp, dailyReset).addValue(idleReset);
      // A new parent is checked in the write's transaction, after it, under the lock of parents.
      Future<Row> written =
          pool.withTransaction(
              conn ->
                  (parent == null ? Future.<Void>succeededFuture() : Parents.lock(conn))
                      .compose(v -> conn.preparedQuery(Statements.UPSERT_SPACE).execute(upsert))
                      .map(rows -> rows.iterator().next())
                      .compose(
                          row ->
                              parent == null
                                  ? Future.succeededFuture(row)
                                  : Parents.refuseCycles(conn, new String[] {id}).map(row)));
      // Counts depend on clamp, daily reset, time zone and idle reset: when they change,
      // persistence writes the resets again and recounts the space before the answer.
      return written
          // A capacity may have changed: the alert writer reloads its levels.
          .onSuccess(row -> vertx.eventBus().publish(Addresses.ALERTS_CHANGED, new JsonObject()))
          // The realtime state knows every space: a space without a hash is unknown.
          .compose(
              row ->
                  vertx
                      .eventBus()
                      .request(
                          Addresses.COUNTER_REGISTERED,
                          new JsonObject().put("spaces", new JsonArray().add(id)))
                      .map(row))
          .compose(
              row ->
                  row.getBoolean("rules_changed")
                      ? vertx
                          .eventBus()
                          .request(
                              Addresses.SPACE_RULES,
                              new JsonObject().put("space_id", id),
                              new DeliveryOptions().setSendTimeout(600_000))
                          .map(space(row))
                      : Future.succeededFuture(space(row)));
    } catch (InvalidInput e) {
      return Future.failedFuture(Failure.of(e));
    }
  }

  private static JsonObject space(Row r) {
    LocalTime reset = r.getLocalTime("daily_reset");
    return withCreated(
        r,
        new JsonObject()
            .put("id", r.getString("id"))
            .put("name", r.getString("name"))
            .put("parent_id", r.getString("parent_id"))
            .put("time_zone", r.getString("time_zone"))
            .put("capacity", r.getInteger("capacity"))
            .put("clamp", r.getBoolean("clamp"))
            .put("daily_reset", reset == null ? null : reset.toString())
            .put("idle_reset_minutes", r.getInteger("idle_reset_minutes")));
  }

  // ------------------------------------------------------------------ doorways and DPUs

  private Future<JsonObject> putNamed(String sql, JsonObject q) {
    try {
      String name = optionalText(q.getJsonObject("body"), "name");
      return pool.preparedQuery(sql)
          .execute(Tuple.of(q.getString("id"), name))
          .map(rows -> named(rows.iterator().next()));
    } catch (InvalidInput e) {
      return Future.failedFuture(Failure.of(e));
    }
  }

  /** A DPU written; the realtime state lists it, as never reported until it reports. */
  private Future<JsonObject> putDpu(JsonObject q) {
    return putNamed(Statements.UPSERT_DPU, q)
        .compose(
            dpu ->
                vertx
                    .eventBus()
                    .request(
                        Addresses.COUNTER_REGISTERED,
                        new JsonObject().put("dpus", new JsonArray().add(dpu.getString("id"))))
                    .map(dpu));
  }

  private static JsonObject named(Row r) {
    return withCreated(
        r, new JsonObject().put("id", r.getString("id")).put("name", r.getString("name")));
  }

  // ------------------------------------------------------------------ helpers

  private Future<JsonObject> one(
      String sql, JsonObject q, Function<Row, JsonObject> toJson, String kind) {
    return pool.preparedQuery(sql)
        .execute(Tuple.of(q.getString("id")))
        .compose(
            rows ->
                rows.size() == 0
                    ? Future.failedFuture(
                        Failure.notFound("unknown " + kind + " " + q.getString("id")))
                    : Future.succeededFuture(toJson.apply(rows.iterator().next())));
  }

  private Future<JsonObject> list(String sql, Tuple params, Function<Row, JsonObject> toJson) {
    return pool.preparedQuery(sql)
        .execute(params)
        .map(
            (RowSet<Row> rows) -> {
              JsonArray items = new JsonArray();
              rows.forEach(r -> items.add(toJson.apply(r)));
              return new JsonObject().put("items", items);
            });
  }

  private static JsonObject withCreated(Row r, JsonObject json) {
    if (r.getColumnIndex("created") >= 0) {
      json.put("created", r.getBoolean("created"));
    }
    return json;
  }

  /** The link constraints, in words a client can act on. */
  private static final Map<String, ReplyException> LINK_CONSTRAINTS =
      Map.of(
          "link_one_doorway_at_a_time",
          Failure.conflict("doorway_id", "the DPU hangs in another doorway during that time"),
          "link_no_overlap",
          Failure.conflict(
              "valid_from", "the DPU already has a link to that space during that time"));

  /** A failed request's answer: PostgreSQL's integrity errors in words a client can act on. */
  private static ReplyException clientError(Throwable err) {
    return SqlStates.failure(err, "registry", LINK_CONSTRAINTS);
  }
}
