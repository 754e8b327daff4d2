package io.density.persistence;

import io.density.ingest.Timestamps;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.sqlclient.Row;
import io.vertx.sqlclient.RowSet;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

/**
 * A batch of new datapoints committed to the raw log, with the effects they have on spaces: what
 * the counter applies and what {@code space_count} then stores.
 */
final class CountingBatch {
  /** One change of a space: the contract orders them by ts, +1 before -1, then datapoint id. */
  record Effect(String spaceId, long ts, int delta, long datapointId, boolean clamp) {}

  static final Comparator<Effect> CONTRACT_ORDER =
      Comparator.comparingLong(Effect::ts)
          .thenComparing(Comparator.comparingInt(Effect::delta).reversed())
          .thenComparingLong(Effect::datapointId);

  final long batchId;
  final JsonArray datapoints = new JsonArray();
  final List<Effect> effects = new ArrayList<>();
  final Set<String> inserted = new HashSet<>();

  private CountingBatch(long batchId) {
    this.batchId = batchId;
  }

  /**
   * Reads rows shaped as {@code Sql.INSERT_DATAPOINTS} returns them: one per new datapoint and link
   * (NULL space without a link; NULL datapoint when the batch had nothing new).
   */
  static CountingBatch fromRows(long batchId, RowSet<Row> rows) {
    CountingBatch batch = new CountingBatch(batchId);
    Set<Long> seen = new HashSet<>();
    for (Row row : rows) {
      Long id = row.getLong("id");
      if (id == null) {
        continue;
      }
      long ts = Timestamps.toMicros(row.getOffsetDateTime("ts"));
      int direction = row.getShort("direction");
      String dpuId = row.getString("dpu_id");
      if (seen.add(id)) {
        batch.inserted.add(key(dpuId, row.getString("dedupe_key")));
        batch.datapoints.add(
            new JsonArray()
                .add(dpuId)
                .add(ts)
                .add(direction)
                .add(Timestamps.toMicros(row.getOffsetDateTime("received_at"))));
      }
      String spaceId = row.getString("space_id");
      if (spaceId != null) {
        int delta = direction * row.getShort("sensor_placement");
        batch.effects.add(
            new Effect(spaceId, ts, delta, id, !Boolean.FALSE.equals(row.getBoolean("clamp"))));
      }
    }
    batch.effects.sort(CONTRACT_ORDER);
    return batch;
  }

  static String key(String dpuId, String dedupeKey) {
    return dpuId + '\u0000' + dedupeKey;
  }

  boolean isEmpty() {
    return datapoints.isEmpty();
  }

  JsonObject counterRequest(JsonArray forget) {
    JsonArray effectRows = new JsonArray();
    for (Effect e : effects) {
      effectRows.add(
          new JsonArray()
              .add(e.spaceId)
              .add(e.ts)
              .add(e.delta)
              .add(e.datapointId)
              .add(e.clamp ? 1 : 0));
    }
    return new JsonObject()
        .put("batch", batchId)
        .put("datapoints", datapoints)
        .put("effects", effectRows)
        .put("forget", forget);
  }
}
