package io.density.counter;

import io.density.bus.Addresses;
import io.density.bus.Failure;
import io.density.bus.Nearest;
import io.density.config.DensityConfig;
import io.density.db.Connections;
import io.density.telemetry.Metrics;
import io.micrometer.core.instrument.Timer;
import io.vertx.core.Future;
import io.vertx.core.VerticleBase;
import io.vertx.core.eventbus.Message;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.redis.client.Command;
import io.vertx.redis.client.Redis;
import io.vertx.redis.client.Request;
import io.vertx.redis.client.Response;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.logging.Level;
import java.util.logging.Logger;

/**
 * The only writer of the realtime state in Redis. Applies committed batches with one Lua call each
 * (atomic, at most once per batch id) and loads snapshots rebuilt from PostgreSQL.
 *
 * <p>Config: the {@code redis} slice.
 */
public final class CounterVerticle extends VerticleBase {
  private static final Logger LOG = Logger.getLogger(CounterVerticle.class.getName());
  private static final String APPLY_SCRIPT = readScript("apply-batch.lua");

  /** How long a space's data must stop before its idle reset is written (apply-batch.lua's). */
  private static final long IDLE_GRACE_MICROS = 2_000_000;

  private Redis redis;
  private RedisKeys keys;
  private String applySha;
  private Timer script;

  @Override
  public Future<?> start() {
    DensityConfig.Redis config = config().mapTo(DensityConfig.Redis.class);
    keys = new RedisKeys(config.keyPrefix());
    redis = Connections.redis(vertx, config, "counter");
    script =
        Timer.builder("density_redis_script")
            .description("time of the Redis script that applies a part of a batch")
            .register(Metrics.of(vertx));
    warnIfEvicting();
    return redis
        .send(Request.cmd(Command.SCRIPT).arg("LOAD").arg(APPLY_SCRIPT))
        .compose(
            sha -> {
              applySha = sha.toString();
              return Future.join(
                  Nearest.serve(vertx, Addresses.COUNTER_APPLY, this::apply),
                  Nearest.serve(vertx, Addresses.COUNTER_LOAD, this::load),
                  Nearest.serve(vertx, Addresses.COUNTER_STATUS, this::status),
                  Nearest.serve(vertx, Addresses.COUNTER_SET, this::set),
                  Nearest.serve(vertx, Addresses.COUNTER_IDLE_DUE, this::idleDue),
                  Nearest.serve(vertx, Addresses.COUNTER_REGISTERED, this::registered));
            });
  }

  /**
   * The realtime state must stay whole: a Redis that evicts keys when full would drop some spaces'
   * counts (and the part answers that keep counting exactly-once) while others stay, which no
   * rebuild notices. Says so once at start; a Redis that refuses CONFIG (managed services often do)
   * is taken on trust.
   */
  private void warnIfEvicting() {
    redis
        .send(Request.cmd(Command.CONFIG).arg("GET").arg("maxmemory*"))
        .onSuccess(
            r -> {
              String limit = null;
              String policy = null;
              for (String key : r.getKeys()) {
                if (key.equals("maxmemory")) {
                  limit = r.get(key).toString();
                } else if (key.equals("maxmemory-policy")) {
                  policy = r.get(key).toString();
                }
              }
              if (policy != null && !"noeviction".equals(policy) && !"0".equals(limit)) {
                LOG.warning(
                    "Redis evicts keys when full (maxmemory "
                        + limit
                        + ", maxmemory-policy "
                        + policy
                        + "): counts would go wrong; set maxmemory-policy noeviction");
              }
            })
        .onFailure(err -> LOG.log(Level.FINE, "Redis's eviction policy is unknown", err));
  }

  @Override
  public Future<?> stop() {
    return redis.close();
  }

  /**
   * {@code {batch, input}} → {@code {answer, fixes}}: {@code batch} names the part of a batch that
   * one counting shard applies ("id:shard"), {@code input} and {@code answer} are the script's JSON
   * text and {@code fixes} its binary records of corrected rows, as {@code apply-batch.lua}
   * describes them, passed through untouched.
   */
  private void apply(Message<JsonObject> message) {
    JsonObject body = message.body();
    String batch = body.getString("batch");
    evalApply(batch, body.getString("input"))
        .onSuccess(
            r ->
                message.reply(
                    new JsonObject()
                        .put("answer", r.get(0).toString())
                        .put("fixes", r.get(1).toBuffer())))
        .onFailure(
            err -> {
              boolean notBuilt =
                  err.getMessage() != null && err.getMessage().startsWith("NOTBUILT");
              if (!notBuilt) {
                LOG.log(Level.WARNING, "counting batch " + batch + " failed", err);
              }
              message.reply(
                  notBuilt
                      ? Failure.of(
                          Failure.NOT_BUILT, "realtime", "the realtime state has not been loaded")
                      : Failure.unavailable("redis: " + err.getMessage()));
            });
  }

  /**
   * {@code {spaces: [[id, count, ts, delta, datapoint_id]]}}: the heads of spaces recounted in
   * PostgreSQL (after late effects, moves, resets), replacing what Redis holds for them.
   */
  private void set(Message<JsonObject> message) {
    List<Request> requests = new ArrayList<>();
    addSpaces(requests, message.body().getJsonArray("spaces"), true);
    inChunks(requests)
        .onSuccess(r -> message.reply(new JsonObject().put("status", "set")))
        .onFailure(err -> message.reply(Failure.unavailable("redis: " + err.getMessage())));
  }

  /** {@code {}} → {@code {spaces: [id]}}: the spaces whose idle reset is due now. */
  private void idleDue(Message<JsonObject> message) {
    redis
        .send(
            Request.cmd(Command.ZRANGEBYSCORE)
                .arg(keys.idleDue())
                .arg("-inf")
                .arg(System.currentTimeMillis() * 1000))
        .onSuccess(
            r -> {
              JsonArray spaces = new JsonArray();
              r.forEach(id -> spaces.add(id.toString()));
              message.reply(new JsonObject().put("spaces", spaces));
            })
        .onFailure(err -> message.reply(Failure.unavailable("redis: " + err.getMessage())));
  }

  /**
   * {@code {spaces: [id]}}: spaces that exist get a state with count 0 where Redis holds none, so a
   * space without a state is an unknown one. What is held stays.
   */
  private void registered(Message<JsonObject> message) {
    List<Request> requests = new ArrayList<>();
    for (Object id : message.body().getJsonArray("spaces", new JsonArray())) {
      requests.add(
          Request.cmd(Command.SET)
              .arg(keys.space((String) id))
              .arg(SpaceState.NEW.encode())
              .arg("NX"));
    }
    for (Object id : message.body().getJsonArray("dpus", new JsonArray())) {
      requests.add(
          Request.cmd(Command.ZADD).arg(keys.dpusByArrival()).arg("NX").arg(0).arg((String) id));
    }
    inChunks(requests)
        .onSuccess(r -> message.reply(new JsonObject().put("status", "added")))
        .onFailure(err -> message.reply(Failure.unavailable("redis: " + err.getMessage())));
  }

  /**
   * {@code {}} → {@code {loaded, instance}}: whether a state is loaded, and from which database;
   * {@code instance} is null unless the state has this server's layout ({@link RedisKeys#FORMAT}).
   */
  private void status(Message<JsonObject> message) {
    redis
        .send(Request.cmd(Command.HMGET).arg(keys.meta()).arg("instance").arg("format"))
        .onSuccess(
            r -> {
              Response instance = r.get(0);
              Response format = r.get(1);
              boolean current = format != null && RedisKeys.FORMAT.equals(format.toString());
              message.reply(
                  new JsonObject()
                      .put("loaded", instance != null)
                      .put("instance", instance != null && current ? instance.toString() : null));
            })
        .onFailure(err -> message.reply(Failure.unavailable("redis: " + err.getMessage())));
  }

  private Future<Response> evalApply(String batch, String input) {
    Request evalsha =
        Request.cmd(Command.EVALSHA).arg(applySha).arg(0).arg(keys.prefix()).arg(batch).arg(input);
    Timer.Sample started = Timer.start();
    return redis
        .send(evalsha)
        .recover(
            err -> {
              if (err.getMessage() != null && err.getMessage().startsWith("NOSCRIPT")) {
                // Redis restarted and lost its script cache: fall back to EVAL, which reloads it.
                return redis.send(
                    Request.cmd(Command.EVAL)
                        .arg(APPLY_SCRIPT)
                        .arg(0)
                        .arg(keys.prefix())
                        .arg(batch)
                        .arg(input));
              }
              return Future.failedFuture(err);
            })
        .onSuccess(r -> started.stop(script));
  }

  /**
   * Replaces the realtime state: {@code {instance, spaces: [[id, count, ts, delta, datapoint_id]],
   * dpus: [[id, last_ts, last_rx, entries, exits, total]]}} (nulls and zeros for a registered DPU
   * that never reported), instance naming the database it was built from. The state is marked not
   * loaded first, then everything under the prefix is dropped (in pages: not at once) and written
   * again, and the state is marked loaded last: counting resumes only on a complete state, and
   * meanwhile queries answer from PostgreSQL rather than take a space dropped already for unknown.
   */
  private void load(Message<JsonObject> message) {
    JsonObject body = message.body();
    redis
        .send(Request.cmd(Command.DEL).arg(keys.meta()))
        .compose(v -> deleteAll("0"))
        .compose(v -> writeSnapshot(body))
        .compose(
            v ->
                redis.send(
                    Request.cmd(Command.HSET)
                        .arg(keys.meta())
                        .arg("built_at")
                        .arg(String.valueOf(System.currentTimeMillis()))
                        .arg("instance")
                        .arg(body.getString("instance"))
                        .arg("format")
                        .arg(RedisKeys.FORMAT)))
        .onSuccess(v -> message.reply(new JsonObject().put("status", "loaded")))
        .onFailure(err -> message.reply(Failure.unavailable("redis: " + err.getMessage())));
  }

  private Future<Void> deleteAll(String cursor) {
    return redis
        .send(
            Request.cmd(Command.SCAN)
                .arg(cursor)
                .arg("MATCH")
                .arg(keys.prefix() + "*")
                .arg("COUNT")
                .arg(1000))
        .compose(
            page -> {
              String next = page.get(0).toString();
              Response found = page.get(1);
              Future<?> deleted = Future.succeededFuture();
              if (found.size() > 0) {
                Request unlink = Request.cmd(Command.UNLINK);
                found.forEach(k -> unlink.arg(k.toString()));
                deleted = redis.send(unlink);
              }
              return deleted.compose(
                  v -> "0".equals(next) ? Future.succeededFuture() : deleteAll(next));
            });
  }

  private Future<Void> writeSnapshot(JsonObject body) {
    List<Request> requests = new ArrayList<>();
    addSpaces(requests, body.getJsonArray("spaces", new JsonArray()), false);
    for (Object o : body.getJsonArray("dpus", new JsonArray())) {
      JsonArray d = (JsonArray) o;
      if (d.getValue(2) == null) {
        // Registered, never reported: first in the arrival order, and no totals.
        requests.add(
            Request.cmd(Command.ZADD).arg(keys.dpusByArrival()).arg(0).arg(d.getString(0)));
        continue;
      }
      DpuTotals totals =
          new DpuTotals(d.getLong(1), d.getLong(2), d.getLong(3), d.getLong(4), d.getLong(5));
      requests.add(Request.cmd(Command.SET).arg(keys.dpu(d.getString(0))).arg(totals.encode()));
      requests.add(
          Request.cmd(Command.ZADD)
              .arg(keys.dpusByArrival())
              .arg(d.getLong(2))
              .arg(d.getString(0)));
    }
    return inChunks(requests);
  }

  /**
   * A space's state ({@link SpaceState}): its count and the order key of its latest change (none
   * without changes); with an idle reset rule, its period and latest effect, and its place among
   * the idle resets due (none when a reset at or after the one due is its latest change already).
   */
  private void addSpaces(List<Request> requests, JsonArray spaces, boolean replace) {
    for (Object o : spaces) {
      JsonArray s = (JsonArray) o;
      String key = keys.space(s.getString(0));
      if (replace) {
        // A head recounted in PostgreSQL replaces what Redis derived: the tail starts again.
        requests.add(Request.cmd(Command.DEL).arg(keys.tail(s.getString(0))));
      }
      Long idle = s.size() > 6 ? s.getLong(6) : null;
      Long effect = s.size() > 6 ? s.getLong(5) : null;
      SpaceState state =
          new SpaceState(
              s.getInteger(1),
              s.getLong(2),
              s.getInteger(3),
              s.getLong(4),
              idle,
              idle != null ? effect : null);
      requests.add(Request.cmd(Command.SET).arg(key).arg(state.encode()));
      boolean due =
          idle != null
              && effect != null
              && !(s.getValue(2) != null && s.getInteger(3) == 2 && s.getLong(2) >= effect + idle);
      if (due) {
        // As the counting script does: not before IDLE_GRACE from now, so that a space whose data
        // goes on arriving is not reset between two of its parts.
        long at = Math.max(effect + idle, System.currentTimeMillis() * 1000 + IDLE_GRACE_MICROS);
        requests.add(Request.cmd(Command.ZADD).arg(keys.idleDue()).arg(at).arg(s.getString(0)));
      } else if (replace) {
        requests.add(Request.cmd(Command.ZREM).arg(keys.idleDue()).arg(s.getString(0)));
      }
    }
  }

  private Future<Void> inChunks(List<Request> requests) {
    Future<Void> chain = Future.succeededFuture();
    for (int from = 0; from < requests.size(); from += 1000) {
      List<Request> chunk = requests.subList(from, Math.min(requests.size(), from + 1000));
      chain = chain.compose(v -> redis.batch(chunk).mapEmpty());
    }
    return chain;
  }

  private static String readScript(String name) {
    try (InputStream in = CounterVerticle.class.getResourceAsStream(name)) {
      return new String(in.readAllBytes(), StandardCharsets.UTF_8);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }
}
