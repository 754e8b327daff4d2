package io.density.history;

import io.vertx.core.Future;
import io.vertx.core.json.JsonObject;

/**
 * The history questions of {@code density.history} (bus/Addresses.HISTORY), each a record; instants
 * in µs. Built and checked where the question enters (http/HistoryRoutes, http/DoorwayRoutes);
 * {@link HistoryVerticle} answers them, enforcing only its own bounds (buckets, changes, rows).
 */
public sealed interface HistoryRequest {
  /** Each question's answer: one method per record. */
  interface Answers {
    Future<JsonObject> series(Series q);

    Future<JsonObject> doorwaySeries(DoorwaySeries q);

    Future<JsonObject> events(Events q);

    Future<JsonObject> resets(Resets q);

    Future<JsonObject> utilization(UtilizationReport q);
  }

  /** This question's answer from {@code answers}. */
  Future<JsonObject> answer(Answers answers);

  /**
   * The window of a bucketed series: {@code start} before {@code end} (µs), an interval of {@link
   * Buckets#INTERVALS}, an IANA zone the buckets align in.
   */
  record Window(long start, long end, String interval, String tz) {}

  /** A space's counts in buckets; {@code byDoorway}: each bucket's traffic by doorway too. */
  record Series(String space, Window window, boolean byDoorway) implements HistoryRequest {
    @Override
    public Future<JsonObject> answer(Answers answers) {
      return answers.series(this);
    }
  }

  /** A doorway's entries and exits per linked space, and its crossings, in buckets. */
  record DoorwaySeries(String doorway, Window window) implements HistoryRequest {
    @Override
    public Future<JsonObject> answer(Answers answers) {
      return answers.doorwaySeries(this);
    }
  }

  /** The place of an effect in contract order: a page starts after it. */
  record Cursor(long ts, int delta, long datapoint) {}

  /**
   * A page of at most {@code limit} of a space's effects in [start, end] after {@code after} (null:
   * from the first); {@code reconciledOnly}: only those reconciled after arrival.
   */
  record Events(String space, long start, long end, int limit, Cursor after, boolean reconciledOnly)
      implements HistoryRequest {
    @Override
    public Future<JsonObject> answer(Answers answers) {
      return answers.events(this);
    }
  }

  /** A space's resets, explicit and daily, in [start, end]. */
  record Resets(String space, long start, long end) implements HistoryRequest {
    @Override
    public Future<JsonObject> answer(Answers answers) {
      return answers.resets(this);
    }
  }

  /**
   * The utilization of a space (with {@code children}, of its subtree) per local day from {@code
   * start} to the day before {@code end} (ISO dates, 1 to {@code Utilization.MAX_DAYS} days apart),
   * in {@code tz} (null: each space's own zone).
   */
  record UtilizationReport(String space, String start, String end, String tz, boolean children)
      implements HistoryRequest {
    @Override
    public Future<JsonObject> answer(Answers answers) {
      return answers.utilization(this);
    }
  }
}
