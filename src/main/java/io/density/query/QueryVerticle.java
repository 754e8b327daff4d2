package io.density.query;

import io.density.bus.Addresses;
import io.density.bus.Failure;
import io.density.bus.Replies;
import io.density.bus.Service;
import io.density.config.DensityConfig;
import io.density.counter.DpuTotals;
import io.density.counter.RedisKeys;
import io.density.counter.SpaceState;
import io.density.db.Connections;
import io.density.time.Timestamps;
import io.vertx.core.Future;
import io.vertx.core.VerticleBase;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.redis.client.Command;
import io.vertx.redis.client.Redis;
import io.vertx.redis.client.Request;
import io.vertx.redis.client.Response;
import io.vertx.sqlclient.Pool;
import io.vertx.sqlclient.Row;
import io.vertx.sqlclient.RowSet;
import io.vertx.sqlclient.Tuple;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * Answers count questions: realtime from Redis, history from PostgreSQL. Every answer is a JSON
 * object with {@code count} (NULL for an unknown space, as the counting contract says).
 *
 * <p>Config: {@code {postgres, redis}} slices.
 */
public final class QueryVerticle extends VerticleBase implements QueryRequest.Answers {
  private Pool pool;
  private Redis redis;
  private RedisKeys keys;

  @Override
  public Future<?> start() {
    DensityConfig.Redis redisConfig =
        config().getJsonObject("redis").mapTo(DensityConfig.Redis.class);
    keys = new RedisKeys(redisConfig.keyPrefix());
    redis = Connections.redis(vertx, redisConfig, "query");
    pool =
        Connections.postgres(
            vertx, config().getJsonObject("postgres").mapTo(DensityConfig.Postgres.class), "query");
    return Service.serve(
            vertx,
            Addresses.QUERY,
            QueryRequest.class,
            q -> q.answer(this),
            err -> Replies.unavailable("query", err))
        .completion();
  }

  @Override
  public Future<?> stop() {
    return Future.join(redis.close(), pool.close());
  }

  /**
   * A space → {@code {space_id, count}}: from Redis, in one round trip that also asks whether the
   * realtime state is loaded: while it is, every known space has a state there, so a space without
   * one is unknown (count null). From PostgreSQL when Redis has no state or does not answer.
   */
  @Override
  public Future<JsonObject> realtime(QueryRequest.Realtime q) {
    String space = q.space();
    return redis
        .batch(
            List.of(
                Request.cmd(Command.GET).arg(keys.space(space)),
                Request.cmd(Command.EXISTS).arg(keys.meta())))
        .transform(
            ar -> {
              if (ar.succeeded()) {
                Response state = ar.result().get(0);
                if (state != null) {
                  return Future.succeededFuture(
                      countAnswer(space, SpaceState.parse(state.toBuffer()).count()));
                }
                if (ar.result().get(1).toInteger() == 1) {
                  return Future.succeededFuture(countAnswer(space, null));
                }
              }
              return pool.preparedQuery(Statements.SPACE_LATEST_COUNT)
                  .execute(Tuple.of(space))
                  .map(rows -> fromSql(space, rows));
            });
  }

  /** A space and an instant → {@code {space_id, count, at}}: the count after every effect ≤ at. */
  @Override
  public Future<JsonObject> asOf(QueryRequest.AsOf q) {
    String space = q.space();
    long at = q.at();
    return pool.preparedQuery(Statements.SPACE_COUNT_AS_OF)
        .execute(Tuple.of(space, Timestamps.toOffsetDateTime(at)))
        .map(rows -> fromSql(space, rows).put("at", Timestamps.format(at)));
  }

  /**
   * A space and an instant → {@code {space_id, count, timestamp}}: the count as of the space's
   * effect nearest to at; NULL count and timestamp when the space has none.
   */
  @Override
  public Future<JsonObject> nearest(QueryRequest.Nearest q) {
    String space = q.space();
    var at = Timestamps.toOffsetDateTime(q.at());
    return pool.preparedQuery(Statements.SPACE_COUNT_NEAREST)
        .execute(Tuple.of(space, at))
        .map(
            rows -> {
              if (rows.size() == 0) {
                return countAnswer(space, null).putNull("timestamp");
              }
              Row row = rows.iterator().next();
              return countAnswer(space, row.getInteger("count"))
                  .put("timestamp", Timestamps.format(row.getOffsetDateTime("ts")));
            });
  }

  /**
   * A DPU → registration, current links and realtime totals; 404 if never seen; 503 while Redis is
   * unreachable or holds no state.
   */
  @Override
  public Future<JsonObject> dpu(QueryRequest.Dpu q) {
    String dpu = q.dpu();
    Future<List<Response>> state =
        redis.batch(
            List.of(
                DpuTotals.reads(keys, List.of(dpu)).get(0),
                Request.cmd(Command.EXISTS).arg(keys.meta())));
    Future<RowSet<Row>> registration =
        pool.preparedQuery(Statements.DPU_CURRENT_LINKS).execute(Tuple.of(dpu));
    return Future.all(state, registration)
        .compose(
            all -> {
              if (state.result().get(1).toInteger() == 0) {
                // Redis came back empty: totals of zero would be wrong, not unknown.
                return Future.failedFuture(
                    Failure.unavailable("realtime state is being reloaded from PostgreSQL: retry"));
              }
              DpuTotals totals = DpuTotals.of(state.result().subList(0, 1)).get(0);
              RowSet<Row> rows = registration.result();
              boolean registered = rows.size() > 0;
              boolean seen = totals != null;
              if (!registered && !seen) {
                return Future.failedFuture(Failure.notFound("unknown DPU " + dpu));
              }
              JsonObject out = new JsonObject().put("dpu_id", dpu).put("registered", registered);
              JsonArray links = new JsonArray();
              for (Row r : rows) {
                out.put("name", r.getString("name"));
                if (r.getString("space_id") != null) {
                  links.add(
                      new JsonObject()
                          .put("doorway_id", r.getString("doorway_id"))
                          .put("space_id", r.getString("space_id"))
                          .put("sensor_placement", (int) r.getShort("sensor_placement"))
                          .put("valid_from", Timestamps.format(r.getOffsetDateTime("valid_from"))));
                }
              }
              out.put("links", links);
              out.put("last_timestamp", seen ? Timestamps.format(totals.lastTs()) : null);
              out.put("last_received_at", seen ? Timestamps.format(totals.lastRx()) : null);
              out.put("entries", seen ? totals.entries() : 0);
              out.put("exits", seen ? totals.exits() : 0);
              out.put("total", seen ? totals.total() : 0);
              return Future.succeededFuture(out);
            });
  }

  /**
   * Silent minutes and a limit → {@code {registered, reporting, silent, never_reported, items}}:
   * reporting DPUs have sent a datapoint (registered or not), silent ones among them have not for
   * silent_minutes (by arrival), never-reporting ones are registered without a datapoint. Items, at
   * most limit, are those most in need of a look: the never-reporting by id, then the reporting by
   * last arrival, oldest first, each with {@code silent}. All of it is read from the stale end of
   * the arrival order (never-reporting DPUs score 0, so they come first) and counts over score
   * ranges, so the cost does not grow with the fleet.
   */
  @Override
  public Future<JsonObject> dpuActivity(QueryRequest.DpuActivity q) {
    int minutes = q.silentMinutes();
    int limit = q.limit();
    long cutoff = (System.currentTimeMillis() - minutes * 60_000L) * 1_000L;
    String arrivals = keys.dpusByArrival();
    Future<List<Response>> state =
        redis.batch(
            List.of(
                Request.cmd(Command.EXISTS).arg(keys.meta()),
                Request.cmd(Command.ZCOUNT).arg(arrivals).arg("(0").arg("+inf"),
                Request.cmd(Command.ZCOUNT).arg(arrivals).arg("(0").arg("(" + cutoff),
                Request.cmd(Command.ZCOUNT).arg(arrivals).arg(0).arg(0),
                Request.cmd(Command.ZRANGE).arg(arrivals).arg(0).arg(limit - 1)));
    Future<RowSet<Row>> registered = pool.query(Statements.DPU_COUNT).execute();
    return Future.all(state, registered)
        .compose(
            all -> {
              List<Response> counts = state.result();
              if (counts.get(0).toInteger() == 0) {
                return Future.failedFuture(
                    Failure.unavailable("realtime state is being reloaded from PostgreSQL: retry"));
              }
              List<String> stalest = new ArrayList<>();
              counts.get(4).forEach(m -> stalest.add(m.toString()));
              JsonObject answer =
                  new JsonObject()
                      .put("silent_minutes", minutes)
                      .put("registered", registered.result().iterator().next().getLong("count"))
                      .put("reporting", counts.get(1).toLong())
                      .put("silent", counts.get(2).toLong())
                      .put("never_reported", counts.get(3).toLong());
              return items(stalest, cutoff).map(items -> answer.put("items", items));
            });
  }

  /** The DPUs listed, with their names, last datapoint and arrival, and whether they are silent. */
  private Future<JsonArray> items(List<String> dpus, long cutoff) {
    Future<RowSet<Row>> names =
        pool.preparedQuery(Statements.DPU_NAMES)
            .execute(Tuple.of((Object) dpus.toArray(String[]::new)));
    Future<List<DpuTotals>> times = arrivals(dpus);
    return Future.all(names, times)
        .map(
            all -> {
              Map<String, String> named = new HashMap<>();
              names.result().forEach(r -> named.put(r.getString("id"), r.getString("name")));
              JsonArray items = new JsonArray();
              for (int i = 0; i < dpus.size(); i++) {
                String id = dpus.get(i);
                DpuTotals t = times.result().get(i);
                items.add(
                    new JsonObject()
                        .put("dpu_id", id)
                        .put("name", named.get(id))
                        .put("registered", named.containsKey(id))
                        .put("last_timestamp", t == null ? null : Timestamps.format(t.lastTs()))
                        .put("last_received_at", t == null ? null : Timestamps.format(t.lastRx()))
                        .put("silent", t == null || t.lastRx() < cutoff));
              }
              return items;
            });
  }

  /** The totals of each DPU, in order (null for a DPU without datapoints). */
  private Future<List<DpuTotals>> arrivals(List<String> dpus) {
    if (dpus.isEmpty()) {
      return Future.succeededFuture(List.of());
    }
    return redis.batch(DpuTotals.reads(keys, dpus)).map(DpuTotals::of);
  }

  private static JsonObject fromSql(String space, RowSet<Row> rows) {
    if (rows.size() == 0) {
      return countAnswer(space, null); // unknown space
    }
    Integer count = rows.iterator().next().getInteger("count");
    return countAnswer(space, count == null ? 0 : count);
  }

  private static JsonObject countAnswer(String space, Integer count) {
    return new JsonObject().put("space_id", space).put("count", count);
  }
}
