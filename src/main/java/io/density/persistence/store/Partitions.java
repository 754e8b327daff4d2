package io.density.persistence.store;

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
public final class Partitions {
  private static final int MONTHS_PER_STATEMENT = 12;

  private final Pool pool;
  private final Set<YearMonth> known = new HashSet<>();

  public Partitions(Pool pool) {
    this.pool = pool;
  }

  public Future<Void> ensure(List<Datapoint> datapoints) {
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
    // A few months per transaction: a batch reaching over decades (every month since the earliest
    // accepted timestamp) must not hold thousands of locks at once.
    List<LocalDate> months = missing.stream().map(m -> m.atDay(1)).sorted().toList();
    Future<Void> chain = Future.succeededFuture();
    for (int from = 0; from < months.size(); from += MONTHS_PER_STATEMENT) {
      LocalDate[] chunk =
          months
              .subList(from, Math.min(months.size(), from + MONTHS_PER_STATEMENT))
              .toArray(LocalDate[]::new);
      chain =
          chain.compose(
              v ->
                  pool.preparedQuery(Statements.ENSURE_PARTITIONS)
                      .execute(Tuple.of((Object) chunk))
                      .onSuccess(
                          made -> {
                            for (LocalDate m : chunk) {
                              known.add(YearMonth.from(m));
                            }
                          })
                      .mapEmpty());
    }
    return chain;
  }

  /** Forgets what it knew: after retention dropped partitions. */
  public void forget() {
    known.clear();
  }
}
