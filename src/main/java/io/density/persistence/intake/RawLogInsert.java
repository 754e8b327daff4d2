package io.density.persistence.intake;

import io.density.bus.Failure;
import io.density.ingest.Datapoint;
import io.density.persistence.counting.CountingBatch;
import io.density.persistence.store.Claims;
import io.density.persistence.store.Partitions;
import io.density.telemetry.Metrics;
import io.density.time.Timestamps;
import io.micrometer.core.instrument.DistributionSummary;
import io.micrometer.core.instrument.Timer;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.eventbus.ReplyException;
import io.vertx.sqlclient.Pool;
import io.vertx.sqlclient.Row;
import io.vertx.sqlclient.RowSet;
import io.vertx.sqlclient.Tuple;
import java.time.OffsetDateTime;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.logging.Level;
import java.util.logging.Logger;

/**
 * A batch's insert into the raw log: one statement, the batch's one durable commit ({@link
 * Statements#INSERT_DATAPOINTS}), after the months it needs have their partitions. Of equal
 * datapoints within the batch only the first goes in; the others, and those stored before, are
 * repeats. If it fails, every request of the batch is answered at once: nothing was stored.
 */
final class RawLogInsert {
  private static final Logger LOG = Logger.getLogger(RawLogInsert.class.getName());

  /** A committed insert: its rows, and where each datapoint of the batch first stood. */
  record Committed(RowSet<Row> rows, Map<String, Integer> firstSeen) {}

  private final Pool pool;
  private final Partitions partitions;
  private final Claims claims;
  private final DistributionSummary batchSize;
  private final Timer commitTime;

  RawLogInsert(Vertx vertx, Pool pool, Partitions partitions, Claims claims) {
    this.pool = pool;
    this.partitions = partitions;
    this.claims = claims;
    batchSize =
        DistributionSummary.builder("density_batch_datapoints")
            .description("datapoints per group commit")
            .register(Metrics.of(vertx));
    commitTime =
        Timer.builder("density_batch_commit")
            .description("time from a batch's insert to its commit")
            .register(Metrics.of(vertx));
  }

  /** Inserts the batch; on failure its requests are answered at once. */
  Future<Committed> insert(List<IngestQueue.Pending> taken) {
    int size = taken.stream().mapToInt(p -> p.items.size()).sum();
    List<Datapoint> all = new ArrayList<>(size);
    taken.forEach(p -> all.addAll(p.items));
    batchSize.record(size);
    Timer.Sample started = Timer.start();
    return partitions
        .ensure(all)
        .compose(v -> insertBatch(taken, size))
        .onSuccess(c -> started.stop(commitTime))
        .onFailure(err -> fail(taken, err));
  }

  /** Answers every request of a batch that was not stored: retry. */
  static void fail(List<IngestQueue.Pending> taken, Throwable cause) {
    LOG.log(Level.WARNING, "writing a batch of datapoints failed", cause);
    ReplyException failure = Failure.unavailable("storage unavailable, nothing was stored: retry");
    taken.forEach(p -> p.result.tryFail(failure));
  }

  private Future<Committed> insertBatch(List<IngestQueue.Pending> taken, int size) {
    // Within the batch only the first of equal datapoints is inserted; later ones are repeats.
    String[] dpu = new String[size];
    OffsetDateTime[] ts = new OffsetDateTime[size];
    Short[] direction = new Short[size];
    String[] key = new String[size];
    OffsetDateTime[] received = new OffsetDateTime[size];
    String[] payload = new String[size];
    Map<String, Integer> firstSeen = new HashMap<>();
    int n = 0;
    int position = 0;
    for (IngestQueue.Pending p : taken) {
      for (Datapoint d : p.items) {
        if (firstSeen.putIfAbsent(CountingBatch.key(d.dpuId(), d.dedupeKey()), position++)
            == null) {
          dpu[n] = d.dpuId();
          ts[n] = Timestamps.toOffsetDateTime(d.tsMicros());
          direction[n] = (short) d.direction();
          key[n] = d.dedupeKey();
          received[n] = Timestamps.toOffsetDateTime(d.receivedMicros());
          payload[n] = d.payload();
          n++;
        }
      }
    }
    int distinct = n;
    Tuple params =
        Tuple.of(
            Arrays.copyOf(dpu, distinct),
            Arrays.copyOf(ts, distinct),
            Arrays.copyOf(direction, distinct),
            Arrays.copyOf(key, distinct),
            Arrays.copyOf(received, distinct),
            Arrays.copyOf(payload, distinct));
    return pool.preparedQuery(Statements.INSERT_DATAPOINTS)
        .execute(params)
        .map(
            rows -> {
              if (!rows.iterator().next().getBoolean("gate_open")) {
                claims.closing();
              }
              return new Committed(rows, firstSeen);
            });
  }
}
