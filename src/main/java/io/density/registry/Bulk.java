package io.density.registry;

import io.density.bus.Addresses;
import io.density.bus.Nearest;
import io.density.registry.RegistryRequest.Item;
import io.density.registry.RegistryRequest.Link;
import io.density.registry.RegistryRequest.Named;
import io.density.registry.RegistryRequest.Space;
import io.density.time.Timestamps;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.eventbus.DeliveryOptions;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.sqlclient.Pool;
import io.vertx.sqlclient.Row;
import io.vertx.sqlclient.Tuple;
import java.time.LocalTime;
import java.time.OffsetDateTime;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Function;

/**
 * Provisioning at fleet scale: many spaces, doorways, DPUs or links in one request, each checked as
 * the single-item routes check it, and all the valid ones written by one statement. The answer has
 * a result per item, in order: created, updated (unchanged for a link equal to an existing one) or
 * rejected with the field and the reason. The items come checked, or rejected, from where they
 * entered ({@link RegistryRequest.BulkSpaces#of} and the others).
 */
final class Bulk {
  private static final DeliveryOptions LONG = new DeliveryOptions().setSendTimeout(600_000);

  private final Vertx vertx;
  private final Pool pool;

  Bulk(Vertx vertx, Pool pool) {
    this.vertx = vertx;
    this.pool = pool;
  }

  /**
   * One request's items and their results, in order. {@link #rows} turns the valid items into rows
   * for a statement; the results of those rows are then addressed by the row's number.
   */
  private static final class Results {
    private final JsonObject[] results;
    private final List<Integer> itemOfRow = new ArrayList<>();

    Results(int size) {
      results = new JsonObject[size];
      for (int i = 0; i < results.length; i++) {
        results[i] = new JsonObject().put("index", i);
      }
    }

    /** The valid items as rows of column values; each item rejected where it entered, as such. */
    <T> List<Object[]> rows(List<Item<T>> items, Function<T, Object[]> toRow) {
      List<Object[]> rows = new ArrayList<>();
      for (int i = 0; i < items.size(); i++) {
        Item<T> item = items.get(i);
        if (item.rejection() != null) {
          reject(results[i], item.rejection().field(), item.rejection().error());
        } else {
          rows.add(toRow.apply(item.value()));
          itemOfRow.add(i);
        }
      }
      return rows;
    }

    /** The result of a row's item. */
    JsonObject row(int k) {
      return results[itemOfRow.get(k)];
    }

    void rejectRow(int k, String field, String error) {
      reject(row(k), field, error);
    }

    private static void reject(JsonObject result, String field, String error) {
      result.put("status", "rejected").put("error", error);
      if (field != null) {
        result.put("field", field);
      }
    }

    JsonObject answer() {
      Map<String, Integer> tally = new HashMap<>();
      JsonArray all = new JsonArray();
      for (JsonObject r : results) {
        tally.merge(r.getString("status"), 1, Integer::sum);
        all.add(r);
      }
      return new JsonObject()
          .put("created", tally.getOrDefault("created", 0))
          .put("updated", tally.getOrDefault("updated", 0))
          .put("unchanged", tally.getOrDefault("unchanged", 0))
          .put("rejected", tally.getOrDefault("rejected", 0))
          .put("results", all);
    }
  }

  // ------------------------------------------------------------------ spaces

  Future<JsonObject> spaces(List<Item<Space>> items) {
    Results results = new Results(items.size());
    List<Object[]> rows =
        results.rows(
            items,
            space ->
                new Object[] {
                  space.id(),
                  space.name(),
                  space.parentId(),
                  space.timeZone(),
                  space.capacity(),
                  space.clamp(),
                  space.resetTime(),
                  space.idleResetMinutes()
                });
    int n = rows.size();
    Tuple params =
        columns(
            rows,
            new String[0],
            new String[0],
            new String[0],
            new String[0],
            new Integer[0],
            new Boolean[0],
            new LocalTime[0],
            new Integer[0]);
    String[] ids = (String[]) params.getValue(0);
    List<String> written = new ArrayList<>();
    List<String> rulesChanged = new ArrayList<>();
    boolean setsParents = rows.stream().anyMatch(row -> row[2] != null);
    // New parents are checked in the write's transaction, after it, under the lock of parents.
    return pool.withTransaction(
            conn ->
                (setsParents ? Parents.lock(conn) : Future.<Void>succeededFuture())
                    .compose(v -> conn.preparedQuery(Statements.BULK_UPSERT_SPACES).execute(params))
                    .compose(
                        upserted -> {
                          Map<String, Row> byId = new HashMap<>();
                          upserted.forEach(r -> byId.put(r.getString("id"), r));
                          for (int k = 0; k < n; k++) {
                            Row r = byId.get(ids[k]);
                            if (r == null) {
                              results.rejectRow(
                                  k,
                                  "parent_id",
                                  "parent_id "
                                      + rows.get(k)[2]
                                      + " is not registered nor in this request");
                              continue;
                            }
                            written.add(ids[k]);
                            if (r.getBoolean("rules_changed")) {
                              rulesChanged.add(ids[k]);
                            }
                            results
                                .row(k)
                                .put("id", ids[k])
                                .put("status", r.getBoolean("created") ? "created" : "updated");
                          }
                          return setsParents
                              ? Parents.refuseCycles(conn, written.toArray(String[]::new))
                              : Future.<Void>succeededFuture();
                        }))
        .onSuccess(v -> vertx.eventBus().publish(Addresses.ALERTS_CHANGED, new JsonObject()))
        // The realtime state knows every space: a space without a hash there is unknown.
        .compose(
            v ->
                Nearest.request(
                    vertx,
                    Addresses.COUNTER_REGISTERED,
                    new JsonObject().put("spaces", new JsonArray(written))))
        .compose(
            v ->
                rulesChanged.isEmpty()
                    ? Future.succeededFuture()
                    : vertx
                        .eventBus()
                        .request(
                            Addresses.SPACE_RULES,
                            new JsonObject().put("space_ids", new JsonArray(rulesChanged)),
                            LONG))
        .map(v -> results.answer());
  }

  // ------------------------------------------------------------------ doorways and DPUs

  Future<JsonObject> doorways(List<Item<Named>> items) {
    return named(items, Statements.BULK_UPSERT_DOORWAYS);
  }

  /** DPUs written; the realtime state lists them, as never reported until they report. */
  Future<JsonObject> dpus(List<Item<Named>> items) {
    return named(items, Statements.BULK_UPSERT_DPUS)
        .compose(
            answer -> {
              JsonArray written = new JsonArray();
              for (Object o : answer.getJsonArray("results")) {
                JsonObject result = (JsonObject) o;
                if (result.containsKey("id") && !"rejected".equals(result.getString("status"))) {
                  written.add(result.getString("id"));
                }
              }
              return Nearest.request(
                      vertx, Addresses.COUNTER_REGISTERED, new JsonObject().put("dpus", written))
                  .map(answer);
            });
  }

  private Future<JsonObject> named(List<Item<Named>> items, String sql) {
    Results results = new Results(items.size());
    List<Object[]> rows = results.rows(items, item -> new Object[] {item.id(), item.name()});
    Tuple params = columns(rows, new String[0], new String[0]);
    String[] ids = (String[]) params.getValue(0);
    return pool.preparedQuery(sql)
        .execute(params)
        .map(
            upserted -> {
              Map<String, Boolean> created = new HashMap<>();
              upserted.forEach(r -> created.put(r.getString("id"), r.getBoolean("created")));
              for (int k = 0; k < ids.length; k++) {
                results
                    .row(k)
                    .put("id", ids[k])
                    .put("status", created.get(ids[k]) ? "created" : "updated");
              }
              return results.answer();
            });
  }

  // ------------------------------------------------------------------ links

  Future<JsonObject> links(List<Item<Link>> items) {
    Results results = new Results(items.size());
    List<Object[]> rows =
        results.rows(
            items,
            r ->
                new Object[] {
                  r.dpu(), r.doorway(), r.space(), r.placement(), time(r.from()), time(r.to())
                });
    Tuple params =
        columns(
            rows,
            new String[0],
            new String[0],
            new String[0],
            new Short[0],
            new OffsetDateTime[0],
            new OffsetDateTime[0]);
    List<String> reattributeDpus = new ArrayList<>();
    List<OffsetDateTime> reattributeSince = new ArrayList<>();
    return pool.preparedQuery(Statements.BULK_INSERT_LINKS)
        .execute(params)
        .compose(
            resolved -> {
              for (Row r : resolved) {
                int k = r.getLong("n").intValue() - 1;
                JsonObject result = results.row(k);
                if (!r.getBoolean("dpu_known")) {
                  results.rejectRow(k, "dpu_id", "dpu_id is not registered");
                } else if (!r.getBoolean("doorway_known")) {
                  results.rejectRow(k, "doorway_id", "doorway_id is not registered");
                } else if (!r.getBoolean("space_known")) {
                  results.rejectRow(k, "space_id", "space_id is not registered");
                } else if (r.getLong("created_id") != null) {
                  result.put("id", r.getLong("created_id")).put("status", "created");
                  reattributeDpus.add(r.getString("dpu_id"));
                  reattributeSince.add(r.getOffsetDateTime("valid_from"));
                } else {
                  result.put("id", r.getLong("same_id")).put("status", "unchanged");
                }
              }
              // Links reaching into the past: the DPUs' datapoints since then count again.
              return pool.preparedQuery(Statements.DPUS_WITH_DATAPOINTS_SINCE)
                  .execute(
                      Tuple.of(
                          reattributeDpus.toArray(String[]::new),
                          (Object) reattributeSince.toArray(OffsetDateTime[]::new)));
            })
        .compose(
            dpus -> {
              Future<?> chain = Future.succeededFuture();
              for (Row r : dpus) {
                JsonObject request =
                    new JsonObject()
                        .put("dpu_id", r.getString("dpu_id"))
                        .put("since", Timestamps.toMicros(r.getOffsetDateTime("since")));
                chain =
                    chain.compose(
                        v -> vertx.eventBus().request(Addresses.REATTRIBUTE, request, LONG));
              }
              return chain;
            })
        .map(v -> results.answer());
  }

  private static OffsetDateTime time(Long micros) {
    return micros == null ? null : Timestamps.toOffsetDateTime(micros);
  }

  /** The rows as a tuple of column arrays, each of the type of the empty array given for it. */
  private static Tuple columns(List<Object[]> rows, Object[]... types) {
    Tuple tuple = Tuple.tuple();
    for (int c = 0; c < types.length; c++) {
      Object[] column = Arrays.copyOf(types[c], rows.size());
      for (int r = 0; r < rows.size(); r++) {
        column[r] = rows.get(r)[c];
      }
      tuple.addValue(column);
    }
    return tuple;
  }
}
