package io.density.registry;

import io.density.Addresses;
import io.density.Failure;
import io.density.config.DensityConfig;
import io.density.db.Connections;
import io.density.db.Sql;
import io.density.ingest.InvalidInput;
import io.density.ingest.Timestamps;
import io.vertx.core.Future;
import io.vertx.core.VerticleBase;
import io.vertx.core.eventbus.DeliveryOptions;
import io.vertx.core.eventbus.Message;
import io.vertx.core.eventbus.ReplyException;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.pgclient.PgException;
import io.vertx.sqlclient.Pool;
import io.vertx.sqlclient.Row;
import io.vertx.sqlclient.RowSet;
import io.vertx.sqlclient.Tuple;
import java.time.DateTimeException;
import java.time.LocalTime;
import java.time.OffsetDateTime;
import java.time.ZoneId;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
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
  private static final String FOREIGN_KEY_VIOLATION = "23503";

  private static final String EXCLUSION_VIOLATION = "23P01";
  private static final String CHECK_VIOLATION = "23514";

  private Pool pool;
  private Map<String, Function<JsonObject, Future<JsonObject>>> actions;

  @Override
  public Future<?> start() {
    pool = Connections.postgres(vertx, config().mapTo(DensityConfig.Postgres.class));
    actions =
        Map.ofEntries(
            Map.entry("space.put", this::putSpace),
            Map.entry("space.get", q -> one(Sql.SELECT_SPACE, q, RegistryVerticle::space, "space")),
            Map.entry(
                "space.list", q -> list(Sql.LIST_SPACES, Tuple.tuple(), RegistryVerticle::space)),
            Map.entry("doorway.put", q -> putNamed(Sql.UPSERT_DOORWAY, q)),
            Map.entry(
                "doorway.get", q -> one(Sql.SELECT_DOORWAY, q, RegistryVerticle::named, "doorway")),
            Map.entry(
                "doorway.list",
                q -> list(Sql.LIST_DOORWAYS, Tuple.tuple(), RegistryVerticle::named)),
            Map.entry("dpu.put", q -> putNamed(Sql.UPSERT_DPU, q)),
            Map.entry("dpu.list", q -> list(Sql.LIST_DPUS, Tuple.tuple(), RegistryVerticle::named)),
            Map.entry("dpu.move", this::moveDpu),
            Map.entry("link.create", this::createLink),
            Map.entry(
                "link.list",
                q ->
                    list(
                        Sql.LIST_LINKS,
                        Tuple.of(q.getString("dpu_id"), q.getString("space_id")),
                        RegistryVerticle::link)));
    return vertx.eventBus().consumer(Addresses.REGISTRY, this::handle).completion();
  }

  @Override
  public Future<?> stop() {
    return pool.close();
  }

  private void handle(Message<JsonObject> message) {
    var action = actions.get(message.headers().get("action"));
    if (action == null) {
      message.reply(Failure.invalid("action", "unknown registry action"));
      return;
    }
    Future.succeededFuture(message.body())
        .compose(action)
        .onSuccess(message::reply)
        .onFailure(err -> message.reply(clientError(err)));
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
      Tuple upsert = Tuple.of(id, name, parent, zone, capacity, clamp, dailyReset);
      Future<Void> noCycle =
          parent == null
              ? Future.succeededFuture()
              : pool.preparedQuery(Sql.SPACE_ANCESTORS_INCLUDE)
                  .execute(Tuple.of(id, parent))
                  .compose(
                      rows ->
                          rows.size() > 0
                              ? Future.failedFuture(
                                  Failure.invalid(
                                      "parent_id", "parent_id " + parent + " would make a cycle"))
                              : Future.succeededFuture());
      // Counts depend on clamp, daily reset and time zone: when they change, persistence writes
      // the daily resets again and recounts the space before the answer.
      return noCycle.compose(
          v ->
              pool.preparedQuery(Sql.UPSERT_SPACE)
                  .execute(upsert)
                  .map(rows -> rows.iterator().next())
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
                              : Future.succeededFuture(space(row))));
    } catch (InvalidInput e) {
      return Future.failedFuture(Failure.invalid(e.field(), e.getMessage()));
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
            .put("daily_reset", reset == null ? null : reset.toString()));
  }

  // ------------------------------------------------------------------ doorways and DPUs

  private Future<JsonObject> putNamed(String sql, JsonObject q) {
    try {
      String name = optionalText(q.getJsonObject("body"), "name");
      return pool.preparedQuery(sql)
          .execute(Tuple.of(q.getString("id"), name))
          .map(rows -> named(rows.iterator().next()));
    } catch (InvalidInput e) {
      return Future.failedFuture(Failure.invalid(e.field(), e.getMessage()));
    }
  }

  private static JsonObject named(Row r) {
    return withCreated(
        r, new JsonObject().put("id", r.getString("id")).put("name", r.getString("name")));
  }

  // ------------------------------------------------------------------ links

  private Future<JsonObject> createLink(JsonObject q) {
    try {
      JsonObject body = q.getJsonObject("body");
      String dpu = requiredText(body, "dpu_id");
      String doorway = requiredText(body, "doorway_id");
      String space = requiredText(body, "space_id");
      short placement = placement(body.getValue("sensor_placement"));
      OffsetDateTime from = optionalTime(body, "valid_from");
      OffsetDateTime to = optionalTime(body, "valid_to");
      OffsetDateTime effectiveFrom = from != null ? from : OffsetDateTime.now();
      if (to != null && !to.isAfter(effectiveFrom)) {
        throw new InvalidInput("valid_to", "valid_to must be after valid_from");
      }
      Tuple link = Tuple.of(dpu, doorway, space, placement, from, to);
      return pool.preparedQuery(Sql.FIND_SAME_LINK)
          .execute(link)
          .compose(
              same ->
                  same.size() > 0
                      ? Future.succeededFuture(link(same.iterator().next()).put("created", false))
                      : pool.preparedQuery(Sql.INSERT_LINK)
                          .execute(link)
                          .map(rows -> rows.iterator().next())
                          .compose(
                              row ->
                                  reattribute(dpu, row.getOffsetDateTime("valid_from"))
                                      .map(link(row).put("created", true))));
    } catch (InvalidInput e) {
      return Future.failedFuture(Failure.invalid(e.field(), e.getMessage()));
    }
  }

  /**
   * Moves a DPU at an instant (default now): closes its links valid then, opens the given ones from
   * then, and has its datapoints since then attributed again. Re-posting the same move is answered
   * with the links it opened.
   */
  private Future<JsonObject> moveDpu(JsonObject q) {
    try {
      String dpu = q.getString("id");
      JsonObject body = q.getJsonObject("body");
      String doorway = requiredText(body, "doorway_id");
      OffsetDateTime at = optionalTime(body, "at");
      OffsetDateTime when = at != null ? at : OffsetDateTime.now();
      if (when.isAfter(OffsetDateTime.now().plusMinutes(5))) {
        throw new InvalidInput(
            "at", "at must not be in the future: a move is effective now or in the past");
      }
      Object rawLinks = body.getValue("links");
      if (!(rawLinks instanceof JsonArray links) || links.isEmpty()) {
        throw new InvalidInput(
            "links", "links must be a non-empty array of {space_id, sensor_placement}");
      }
      List<Tuple> opened = new ArrayList<>();
      Set<String> spaces = new HashSet<>();
      for (Object o : links) {
        if (!(o instanceof JsonObject l)) {
          throw new InvalidInput(
              "links", "each link must be an object {space_id, sensor_placement}");
        }
        String space = requiredText(l, "space_id");
        if (!spaces.add(space)) {
          throw new InvalidInput("links", "space " + space + " appears twice");
        }
        opened.add(
            Tuple.of(dpu, doorway, space, placement(l.getValue("sensor_placement")), when, null));
      }
      return pool.withTransaction(
              conn ->
                  conn.preparedQuery(Sql.LINKS_FROM)
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
                            return conn.preparedQuery(Sql.CLOSE_LINKS_AT)
                                .execute(Tuple.of(dpu, when))
                                .compose(
                                    closed ->
                                        conn.preparedQuery(Sql.INSERT_LINK)
                                            .executeBatch(opened)
                                            .map(v -> toJson(closed)));
                          }))
          .compose(
              closed ->
                  reattribute(dpu, when)
                      .compose(v -> pool.preparedQuery(Sql.LINKS_FROM).execute(Tuple.of(dpu, when)))
                      .map(
                          now ->
                              new JsonObject()
                                  .put("dpu_id", dpu)
                                  .put("at", Timestamps.format(Timestamps.toMicros(when)))
                                  .put("closed", closed)
                                  .put("opened", toJson(now))));
    } catch (InvalidInput e) {
      return Future.failedFuture(Failure.invalid(e.field(), e.getMessage()));
    }
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

  private static JsonObject link(Row r) {
    OffsetDateTime to = r.getOffsetDateTime("valid_to");
    return new JsonObject()
        .put("id", r.getLong("id"))
        .put("dpu_id", r.getString("dpu_id"))
        .put("doorway_id", r.getString("doorway_id"))
        .put("space_id", r.getString("space_id"))
        .put("sensor_placement", (int) r.getShort("sensor_placement"))
        .put(
            "valid_from", Timestamps.format(Timestamps.toMicros(r.getOffsetDateTime("valid_from"))))
        .put("valid_to", to == null ? null : Timestamps.format(Timestamps.toMicros(to)));
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

  /** Integrity errors from PostgreSQL, in words a client can act on. */
  private static ReplyException clientError(Throwable err) {
    if (err instanceof ReplyException re) {
      return re;
    }
    if (err instanceof PgException pg) {
      String constraint = pg.getConstraint() == null ? "" : pg.getConstraint();
      switch (pg.getSqlState()) {
        case FOREIGN_KEY_VIOLATION -> {
          String field = referencedField(constraint);
          return Failure.invalid(
              field,
              field == null
                  ? "a reference names nothing registered"
                  : field + " is not registered");
        }
        case EXCLUSION_VIOLATION -> {
          return constraint.equals("link_one_doorway_at_a_time")
              ? Failure.conflict("doorway_id", "the DPU hangs in another doorway during that time")
              : Failure.conflict(
                  "valid_from", "the DPU already has a link to that space during that time");
        }
        case CHECK_VIOLATION -> {
          return Failure.invalid(null, "value out of range: " + constraint);
        }
        default -> {}
      }
    }
    return Failure.unavailable("registry: " + err.getMessage());
  }

  private static String referencedField(String constraint) {
    for (String field : new String[] {"parent_id", "dpu_id", "doorway_id", "space_id"}) {
      if (constraint.contains(field)) {
        return field;
      }
    }
    return null;
  }

  private static String optionalText(JsonObject body, String field) throws InvalidInput {
    Object v = body.getValue(field);
    if (v == null) {
      return null;
    }
    if (!(v instanceof String s)) {
      throw new InvalidInput(field, field + " must be a string");
    }
    if (s.length() > 200) {
      throw new InvalidInput(field, field + " is longer than 200 characters");
    }
    return s.isBlank() ? null : s;
  }

  private static String requiredText(JsonObject body, String field) throws InvalidInput {
    Object v = body.getValue(field);
    if (v instanceof Number n) {
      v = n.toString();
    }
    String s = v instanceof String text ? text.trim() : null;
    if (s == null || s.isEmpty()) {
      throw new InvalidInput(field, field + " is required");
    }
    return s;
  }

  private static String zone(Object v) throws InvalidInput {
    if (v == null) {
      return "UTC";
    }
    try {
      return ZoneId.of((String) v).getId();
    } catch (ClassCastException | DateTimeException e) {
      throw new InvalidInput("time_zone", "time_zone must be an IANA zone such as Europe/Paris");
    }
  }

  private static Integer capacity(Object v) throws InvalidInput {
    if (v == null) {
      return null;
    }
    if (v instanceof Integer i && i >= 0) {
      return i;
    }
    throw new InvalidInput("capacity", "capacity must be a non-negative integer");
  }

  private static boolean flag(Object v, String field, boolean otherwise) throws InvalidInput {
    if (v == null) {
      return otherwise;
    }
    if (v instanceof Boolean b) {
      return b;
    }
    throw new InvalidInput(field, field + " must be true or false");
  }

  private static LocalTime localTime(Object v, String field) throws InvalidInput {
    if (v == null) {
      return null;
    }
    try {
      return LocalTime.parse((String) v);
    } catch (ClassCastException | DateTimeException e) {
      throw new InvalidInput(field, field + " must be a local time such as 04:00");
    }
  }

  private static short placement(Object v) throws InvalidInput {
    String s = v == null ? "" : v.toString().trim();
    return switch (s) {
      case "1", "+1" -> 1;
      case "-1" -> -1;
      default -> throw new InvalidInput("sensor_placement", "sensor_placement must be +1 or -1");
    };
  }

  private static OffsetDateTime optionalTime(JsonObject body, String field) throws InvalidInput {
    Object v = body.getValue(field);
    if (v == null) {
      return null;
    }
    if (!(v instanceof String s)) {
      throw new InvalidInput(field, field + " must be an ISO-8601 string");
    }
    return Timestamps.toOffsetDateTime(Timestamps.parseMicros(s, field));
  }
}
