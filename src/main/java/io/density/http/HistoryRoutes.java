package io.density.http;

import io.density.bus.Addresses;
import io.density.bus.InvalidInput;
import io.density.bus.Service;
import io.density.history.HistoryRequest;
import io.density.history.HistoryRequest.Cursor;
import io.density.history.HistoryRequest.Events;
import io.density.history.HistoryRequest.Resets;
import io.density.history.HistoryRequest.Series;
import io.density.history.HistoryRequest.UtilizationReport;
import io.density.history.HistoryRequest.Window;
import io.density.history.Utilization;
import io.density.time.Timestamps;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;
import java.time.Clock;
import java.time.DateTimeException;
import java.time.LocalDate;
import java.time.ZoneId;
import java.time.temporal.ChronoUnit;
import java.util.List;

/** A space's history: counts in time buckets, effects, reconciliations and resets. */
final class HistoryRoutes {

  private final Forward forward;
  private final Service<HistoryRequest> history;

  HistoryRoutes(Vertx vertx) {
    this.forward = new Forward(vertx);
    this.history = new Service<>(vertx, Addresses.HISTORY, HistoryRequest.class);
  }

  void mount(Router router) {
    router.post("/v1/spaces/:id/resets").handler(this::reset);
    router.get("/v1/spaces/:id/resets").handler(this::listResets);
    router.get("/v1/spaces/:id/counts").handler(this::series);
    router.get("/v1/spaces/:id/utilization").handler(this::utilization);
    router.get("/v1/spaces/:id/events").handler(rc -> events(rc, false));
    router.get("/v1/spaces/:id/reconciliations").handler(rc -> events(rc, true));
  }

  /**
   * {@code ?start=&end=&interval=1m|5m|15m|1h|1d&tz=Area/City[&format=csv][&by=doorway]}: buckets
   * aligned in the zone (default UTC), as JSON or, with {@code Accept: text/csv} or {@code
   * format=csv}, CSV; with {@code by=doorway}, each bucket's traffic by doorway too.
   */
  private void series(RoutingContext rc) {
    String space = Requests.pathId(rc, "id");
    Window window = window(rc);
    boolean csv = wantsCsv(rc);
    String by = rc.queryParams().get("by");
    history
        .ask(new Series(space, window, by != null), Forward.MINUTES)
        .onSuccess(
            answer -> {
              if (csv) {
                rc.response()
                    .putHeader("Content-Type", "text/csv")
                    .end(by == null ? toCsv(answer) : DoorwayRoutes.spaceByDoorwayCsv(answer));
              } else {
                Responses.ok(rc, answer);
              }
            })
        .onFailure(rc::fail);
  }

  /**
   * The window of a series, {@code {start, end (µs), interval, tz}}, from {@code
   * ?start=&end=&interval=&tz=}: the rules every bucketed answer shares.
   */
  static Window window(RoutingContext rc) {
    long start = required(Requests.optionalInstant(rc, "start"), "start");
    long end = required(Requests.optionalInstant(rc, "end"), "end");
    if (end <= start) {
      throw new InvalidInput("end", "end must be after start");
    }
    String interval = rc.queryParams().get("interval");
    String tz = rc.queryParams().get("tz");
    String zone;
    try {
      zone = tz == null || tz.isBlank() ? "UTC" : ZoneId.of(tz).getId();
    } catch (DateTimeException e) {
      throw new InvalidInput("tz", "tz must be an IANA time zone such as Europe/Paris");
    }
    return new Window(start, end, interval, zone);
  }

  /** Whether a series is asked as CSV: {@code format=csv}, or {@code Accept: text/csv}. */
  static boolean wantsCsv(RoutingContext rc) {
    String format = rc.queryParams().get("format");
    return "csv".equals(format)
        || (format == null
            && String.valueOf(rc.request().getHeader("Accept")).contains("text/csv"));
  }

  private static String toCsv(JsonObject series) {
    StringBuilder out = new StringBuilder("start,end,count,entries,exits,min,max\n");
    for (Object o : series.getJsonArray("buckets")) {
      JsonObject b = (JsonObject) o;
      out.append(b.getString("start"))
          .append(',')
          .append(b.getString("end"))
          .append(',')
          .append(b.getInteger("count"))
          .append(',')
          .append(b.getInteger("entries"))
          .append(',')
          .append(b.getInteger("exits"))
          .append(',')
          .append(b.getInteger("min"))
          .append(',')
          .append(b.getInteger("max"))
          .append('\n');
    }
    return out.toString();
  }

  /** The columns of the utilization CSV, in order: the keys of a JSON row. */
  private static final List<String> UTILIZATION_COLUMNS =
      List.of(
          "space_id",
          "parent_id",
          "date",
          "time_zone",
          "start",
          "end",
          "complete",
          "capacity",
          "peak",
          "peak_at",
          "average",
          "peak_utilization",
          "average_utilization",
          "entries",
          "exits",
          "count_at_end");

  /**
   * {@code ?start=&end=[&tz=][&children=true][&format=csv]}: per space (with {@code children=true}
   * every space of the subtree) and local day from {@code start} to the day before {@code end}
   * (local dates), the utilization figures, as JSON or CSV.
   */
  private void utilization(RoutingContext rc) {
    String space = Requests.pathId(rc, "id");
    LocalDate start = localDate(rc, "start");
    LocalDate end = localDate(rc, "end");
    if (!end.isAfter(start)) {
      throw new InvalidInput("end", "end must be after start");
    }
    if (ChronoUnit.DAYS.between(start, end) > Utilization.MAX_DAYS) {
      throw new InvalidInput(
          "end", "at most " + Utilization.MAX_DAYS + " days per request: narrow the range");
    }
    String tz = rc.queryParams().get("tz");
    String zone = null;
    if (tz != null && !tz.isBlank()) {
      try {
        zone = ZoneId.of(tz).getId();
      } catch (DateTimeException e) {
        throw new InvalidInput("tz", "tz must be an IANA time zone such as Europe/Paris");
      }
    }
    String children = rc.queryParams().get("children");
    boolean csv = wantsCsv(rc);
    UtilizationReport q =
        new UtilizationReport(
            space, start.toString(), end.toString(), zone, "true".equals(children));
    history
        .ask(q, Forward.MINUTES)
        .onSuccess(
            answer -> {
              if (csv) {
                rc.response()
                    .putHeader("Content-Type", "text/csv")
                    .end(utilizationCsv(answer.getJsonArray("rows")));
              } else {
                Responses.ok(rc, answer);
              }
            })
        .onFailure(rc::fail);
  }

  /** A required local date (YYYY-MM-DD) in the query string. */
  private static LocalDate localDate(RoutingContext rc, String name) {
    String text = rc.queryParams().get(name);
    if (text == null || text.isBlank()) {
      throw InvalidInput.malformed(name, "query parameter " + name + " is required");
    }
    LocalDate date;
    try {
      date = LocalDate.parse(text.trim());
    } catch (DateTimeException e) {
      throw InvalidInput.malformed(name, name + " must be a local date such as 2024-03-31");
    }
    if (date.getYear() < 1900 || date.getYear() > 9999) {
      throw new InvalidInput(name, name + " must be a date from 1900 to 9999");
    }
    return date;
  }

  /** The rows as CSV: a header of {@link #UTILIZATION_COLUMNS}, then a line a row. */
  private static String utilizationCsv(JsonArray rows) {
    StringBuilder out = new StringBuilder(String.join(",", UTILIZATION_COLUMNS)).append('\n');
    for (Object o : rows) {
      JsonObject row = (JsonObject) o;
      for (int i = 0; i < UTILIZATION_COLUMNS.size(); i++) {
        if (i > 0) {
          out.append(',');
        }
        Object value = row.getValue(UTILIZATION_COLUMNS.get(i));
        out.append(value == null ? "" : csvField(String.valueOf(value)));
      }
      out.append('\n');
    }
    return out.toString();
  }

  /** A CSV field: quoted (quotes doubled) when it holds a comma or a quote, as ids may. */
  private static String csvField(String text) {
    return text.indexOf(',') < 0 && text.indexOf('"') < 0
        ? text
        : '"' + text.replace("\"", "\"\"") + '"';
  }

  /**
   * {@code ?start=&end=&limit=&after=}: a page of the space's effects (only those reconciled after
   * arrival, for reconciliations) with the cursor of the next page.
   */
  private void events(RoutingContext rc, boolean reconciledOnly) {
    String space = Requests.pathId(rc, "id");
    Long start = Requests.optionalInstant(rc, "start");
    Long end = Requests.optionalInstant(rc, "end");
    int limit = Requests.limit(rc, 1000);
    Events q =
        new Events(
            space,
            start == null ? Long.MIN_VALUE / 2 : start,
            end == null ? Long.MAX_VALUE / 2 : end,
            limit,
            cursor(rc.queryParams().get("after")),
            reconciledOnly);
    Responses.reply(
        rc,
        history
            .ask(q, Forward.MINUTES)
            .map(
                answer -> {
                  JsonArray next = (JsonArray) answer.remove("next");
                  answer.put(
                      "next",
                      next == null
                          ? null
                          : next.getLong(0) + "_" + next.getInteger(1) + "_" + next.getLong(2));
                  return answer;
                }),
        200);
  }

  /** The opaque cursor of a page: "tsMicros_delta_datapointId". */
  private static Cursor cursor(String text) {
    if (text == null) {
      return null;
    }
    String[] parts = text.split("_");
    try {
      if (parts.length == 3) {
        return new Cursor(
            Long.parseLong(parts[0]), Integer.parseInt(parts[1]), Long.parseLong(parts[2]));
      }
    } catch (NumberFormatException e) {
      // reported below
    }
    throw new InvalidInput("after", "after must be the next cursor of a previous page");
  }

  private static long required(Long value, String name) {
    if (value == null) {
      throw InvalidInput.malformed(name, "query parameter " + name + " is required");
    }
    return value;
  }

  /** {@code {timestamp, count = 0}}: from that instant the space holds count people. */
  private void reset(RoutingContext rc) {
    String space = Requests.pathId(rc, "id");
    JsonObject body = Requests.jsonObject(rc);
    long at = Timestamps.parseMicros(body.getString("timestamp"), "timestamp");
    if (at > Timestamps.toMicros(Clock.systemUTC().instant())) {
      throw new InvalidInput("timestamp", "a reset cannot be in the future");
    }
    int count = body.getValue("count") instanceof Number n ? n.intValue() : 0;
    JsonObject request =
        new JsonObject().put("space_id", space).put("timestamp", at).put("count", count);
    Responses.reply(rc, forward.ask(Addresses.RESET, request, Forward.MINUTES), 201);
  }

  /** {@code ?start=&end=} (default: everything): the space's resets, explicit and daily. */
  private void listResets(RoutingContext rc) {
    String space = Requests.pathId(rc, "id");
    Long start = Requests.optionalInstant(rc, "start");
    Long end = Requests.optionalInstant(rc, "end");
    Resets q =
        new Resets(
            space,
            start == null ? Long.MIN_VALUE / 2 : start,
            end == null ? Long.MAX_VALUE / 2 : end);
    Responses.reply(rc, history.ask(q), 200);
  }
}
