package io.density.registry;

import io.density.bus.Addresses;
import io.density.bus.Failure;
import io.density.bus.Nearest;
import io.density.bus.Service;
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
 * The building: spaces, doorways, DPUs and links, the {@link RegistryRequest}s (their input checked
 * where it entered). Every write is idempotent (PUT by id; a link equal to an existing one returns
 * it), so provisioning scripts can re-run.
 *
 * <p>Config: the {@code postgres} slice.
 */
public final class RegistryVerticle extends VerticleBase implements RegistryRequest.Operations {
  /** SQLSTATEs this verticle turns into client errors. */
  private Pool pool;

  private Links links;
  private Bulk bulk;

  @Override
  public Future<?> start() {
    pool = Connections.postgres(vertx, config().mapTo(DensityConfig.Postgres.class), "registry");
    links = new Links(vertx, pool);
    bulk = new Bulk(vertx, pool);
    return Service.serve(
            vertx,
            Addresses.REGISTRY,
            RegistryRequest.class,
            r -> r.carryOut(this),
            RegistryVerticle::clientError)
        .completion();
  }

  @Override
  public Future<?> stop() {
    return pool.close();
  }

  // ------------------------------------------------------------------ spaces

  @Override
  public Future<JsonObject> putSpace(RegistryRequest.PutSpace r) {
    RegistryRequest.Space s = r.space();
    String id = s.id();
    String parent = s.parentId();
    Tuple upsert =
        Tuple.of(id, s.name(), parent, s.timeZone(), s.capacity(), s.clamp(), s.resetTime())
            .addValue(s.idleResetMinutes());
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
                Nearest.request(
                        vertx,
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
  }

  @Override
  public Future<JsonObject> getSpace(RegistryRequest.GetSpace r) {
    return one(Statements.SELECT_SPACE, r.id(), RegistryVerticle::space, "space");
  }

  @Override
  public Future<JsonObject> listSpaces(RegistryRequest.ListSpaces r) {
    return list(Statements.LIST_SPACES, Tuple.tuple(), RegistryVerticle::space);
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

  @Override
  public Future<JsonObject> putDoorway(RegistryRequest.PutDoorway r) {
    return putNamed(Statements.UPSERT_DOORWAY, r.doorway());
  }

  @Override
  public Future<JsonObject> getDoorway(RegistryRequest.GetDoorway r) {
    return one(Statements.SELECT_DOORWAY, r.id(), RegistryVerticle::named, "doorway");
  }

  @Override
  public Future<JsonObject> listDoorways(RegistryRequest.ListDoorways r) {
    return list(Statements.LIST_DOORWAYS, Tuple.tuple(), RegistryVerticle::named);
  }

  private Future<JsonObject> putNamed(String sql, RegistryRequest.Named item) {
    return pool.preparedQuery(sql)
        .execute(Tuple.of(item.id(), item.name()))
        .map(rows -> named(rows.iterator().next()));
  }

  /** A DPU written; the realtime state lists it, as never reported until it reports. */
  @Override
  public Future<JsonObject> putDpu(RegistryRequest.PutDpu r) {
    return putNamed(Statements.UPSERT_DPU, r.dpu())
        .compose(
            dpu ->
                Nearest.request(
                        vertx,
                        Addresses.COUNTER_REGISTERED,
                        new JsonObject().put("dpus", new JsonArray().add(dpu.getString("id"))))
                    .map(dpu));
  }

  @Override
  public Future<JsonObject> listDpus(RegistryRequest.ListDpus r) {
    return list(Statements.LIST_DPUS, Tuple.tuple(), RegistryVerticle::named);
  }

  // ------------------------------------------------------------------ links

  @Override
  public Future<JsonObject> moveDpu(RegistryRequest.MoveDpu r) {
    return links.move(r);
  }

  @Override
  public Future<JsonObject> createLink(RegistryRequest.CreateLink r) {
    return links.create(r.link());
  }

  @Override
  public Future<JsonObject> listLinks(RegistryRequest.ListLinks r) {
    return list(Statements.LIST_LINKS, Tuple.of(r.dpu(), r.space()), Links::link);
  }

  // ------------------------------------------------------------------ in bulk

  @Override
  public Future<JsonObject> bulkSpaces(RegistryRequest.BulkSpaces r) {
    return bulk.spaces(r.items());
  }

  @Override
  public Future<JsonObject> bulkDoorways(RegistryRequest.BulkDoorways r) {
    return bulk.doorways(r.items());
  }

  @Override
  public Future<JsonObject> bulkDpus(RegistryRequest.BulkDpus r) {
    return bulk.dpus(r.items());
  }

  @Override
  public Future<JsonObject> bulkLinks(RegistryRequest.BulkLinks r) {
    return bulk.links(r.items());
  }

  private static JsonObject named(Row r) {
    return withCreated(
        r, new JsonObject().put("id", r.getString("id")).put("name", r.getString("name")));
  }

  // ------------------------------------------------------------------ helpers

  private Future<JsonObject> one(
      String sql, String id, Function<Row, JsonObject> toJson, String kind) {
    return pool.preparedQuery(sql)
        .execute(Tuple.of(id))
        .compose(
            rows ->
                rows.size() == 0
                    ? Future.failedFuture(Failure.notFound("unknown " + kind + " " + id))
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
