package io.density.http;

import io.density.bus.Addresses;
import io.density.bus.Service;
import io.density.history.HistoryRequest;
import io.density.history.HistoryRequest.DoorwaySeries;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;

/**
 * Doorway traffic: a doorway's entries and exits per linked space and its crossings, in the buckets
 * of a space's counts (same window, zone, limits, CSV and errors).
 */
final class DoorwayRoutes {
  private final Service<HistoryRequest> history;

  DoorwayRoutes(Vertx vertx) {
    this.history = new Service<>(vertx, Addresses.HISTORY, HistoryRequest.class);
  }

  void mount(Router router) {
    router.get("/v1/doorways/:id/counts").handler(this::series);
  }

  /** {@code ?start=&end=&interval=&tz=[&format=csv]}, as {@code GET /v1/spaces/{id}/counts}. */
  private void series(RoutingContext rc) {
    String doorway = Requests.pathId(rc, "id");
    DoorwaySeries q = new DoorwaySeries(doorway, HistoryRoutes.window(rc));
    boolean csv = HistoryRoutes.wantsCsv(rc);
    history
        .ask(q, Forward.MINUTES)
        .onSuccess(
            answer -> {
              if (csv) {
                rc.response().putHeader("Content-Type", "text/csv").end(doorwayCsv(answer));
              } else {
                Responses.ok(rc, answer);
              }
            })
        .onFailure(rc::fail);
  }

  /**
   * {@code start,end,crossings,space_id,entries,exits}: a line per bucket and linked space, the
   * bucket's crossings repeated on each; a bucket of a doorway linked to no space in the range has
   * one line with the space's columns empty.
   */
  static String doorwayCsv(JsonObject series) {
    StringBuilder out = new StringBuilder("start,end,crossings,space_id,entries,exits\n");
    for (Object o : series.getJsonArray("buckets")) {
      JsonObject b = (JsonObject) o;
      String head =
          b.getString("start") + ',' + b.getString("end") + ',' + b.getInteger("crossings");
      traffic(out, head, b.getJsonArray("spaces"), "space_id");
    }
    return out.toString();
  }

  /**
   * A line per item of a bucket's traffic ({@code id, entries, exits} after the bucket's columns),
   * or one with those columns empty when there is none.
   */
  private static void traffic(StringBuilder out, String head, JsonArray items, String idField) {
    if (items.isEmpty()) {
      out.append(head).append(",,,\n");
    }
    for (Object o : items) {
      JsonObject t = (JsonObject) o;
      out.append(head)
          .append(',')
          .append(csvText(t.getString(idField)))
          .append(',')
          .append(t.getInteger("entries"))
          .append(',')
          .append(t.getInteger("exits"))
          .append('\n');
    }
  }

  /**
   * A space's counts by doorway: {@code start,end,count,entries,exits,min,max,doorway_id,
   * doorway_entries,doorway_exits}, a line per bucket and doorway, the bucket's columns repeated on
   * each; a bucket of a space linked through no doorway in the range has one line with the
   * doorway's columns empty.
   */
  static String spaceByDoorwayCsv(JsonObject series) {
    StringBuilder out =
        new StringBuilder(
            "start,end,count,entries,exits,min,max,doorway_id,doorway_entries,doorway_exits\n");
    for (Object o : series.getJsonArray("buckets")) {
      JsonObject b = (JsonObject) o;
      String head =
          String.join(
              ",",
              b.getString("start"),
              b.getString("end"),
              String.valueOf(b.getInteger("count")),
              String.valueOf(b.getInteger("entries")),
              String.valueOf(b.getInteger("exits")),
              String.valueOf(b.getInteger("min")),
              String.valueOf(b.getInteger("max")));
      traffic(out, head, b.getJsonArray("doorways"), "doorway_id");
    }
    return out.toString();
  }

  /**
   * An id as a CSV field: quoted when it holds a comma, a quote or a line break (ids may hold any
   * printable character), and never read as a formula by a spreadsheet.
   */
  private static String csvText(String id) {
    boolean formula = !id.isEmpty() && "=+-@".indexOf(id.charAt(0)) >= 0;
    String text = formula ? "'" + id : id;
    if (formula || text.contains(",") || text.contains("\"") || text.contains("\n")) {
      return '"' + text.replace("\"", "\"\"") + '"';
    }
    return text;
  }
}
