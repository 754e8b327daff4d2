package io.density.persistence;

import io.density.db.Sql;
import io.density.ingest.Datapoint;
import io.vertx.core.Future;
import io.vertx.sqlclient.Pool;
import io.vertx.sqlclient.Tuple;
import java.time.LocalDate;
import java.time.YearMonth;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

/**
 * Makes sure the monthly partitions of the time tables exist before datapoints of a month are
 * inserted (on plain PostgreSQL; with TimescaleDB the SQL function does nothing). Months already
 * made are remembered, so the hot path asks the database only for a month it has not seen.
 */
final class Partitions {
  private final Pool pool;
  private final Set<YearMonth> known = new HashSet<>();

  Partitions(Pool pool) {
    this.pool = pool;
  }

  Future<Void> ensure(List<Datapoint> datapoints) {
    Set<YearMonth> missing = new HashSet<>();
    for (Datapoint d : datapoints) {
      YearMonth month =
          YearMonth.from(
              LocalDate.ofEpochDay(Math.floorDiv(d.tsMicros(), 86_400_000_000L))); // UTC day
      if (!known.contains(month)) {
        missing.add(month);
      }
    }
    if (missing.isEmpty()) {
      return Future.succeededFuture();
    }
    LocalDate[] months = missing.stream().map(m -> m.atDay(1)).toArray(LocalDate[]::new);
    return pool.preparedQuery(Sql.ENSURE_PARTITIONS)
        .execute(Tuple.of((Object) months))
        .onSuccess(v -> known.addAll(missing))
        .mapEmpty();
  }

  /** Forgets what it knew: after retention dropped partitions. */
  void forget() {
    known.clear();
  }
}
