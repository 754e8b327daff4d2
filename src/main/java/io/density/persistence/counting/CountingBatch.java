package io.density.persistence.counting;

import com.fasterxml.jackson.core.io.JsonStringEncoder;
import io.density.persistence.store.Shards;
import io.density.time.Timestamps;
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
public final class CountingBatch {
  /**
   * One change of a space: the contract orders them by ts, +1 before -1, then datapoint id (then
   * space, so that a part lists its effects in one order however often it is built).
   */
  record Effect(String spaceId, long ts, int delta, long datapointId, boolean clamp) {}

  /** A new datapoint, for its DPU's realtime totals. */
  record Seen(String dpuId, long ts, int direction, long receivedMicros) {}

  /**
   * By timestamp, +1 before -1 at one instant, then by datapoint and space: the contract's order.
   */
  static final Comparator<Effect> CONTRACT_ORDER =
      (a, b) -> {
        int c = Long.compare(a.ts(), b.ts());
        if (c == 0) {
          c = Integer.compare(b.delta(), a.delta());
        }
        if (c == 0) {
          c = Long.compare(a.datapointId(), b.datapointId());
        }
        return c != 0 ? c : a.spaceId().compareTo(b.spaceId());
      };

  final long batchId;
  final List<Seen> datapoints = new ArrayList<>();
  final List<Effect> effects = new ArrayList<>();
  private final Set<String> inserted = new HashSet<>();

  private CountingBatch(long batchId) {
    this.batchId = batchId;
  }

  /**
   * Reads rows shaped as {@code intake/Statements.INSERT_DATAPOINTS} returns them: one per new
   * datapoint and link (NULL space without a link; NULL datapoint when the batch had nothing new).
   */
  public static CountingBatch fromRows(long batchId, RowSet<Row> rows) {
    CountingBatch batch = new CountingBatch(batchId);
    // Columns by position, found once: a lookup by name searches the row's columns every time.
    List<String> names = rows.columnsNames();
    int idCol = names.indexOf("id");
    int tsCol = names.indexOf("ts");
    int directionCol = names.indexOf("direction");
    int dpuCol = names.indexOf("dpu_id");
    int dedupeCol = names.indexOf("dedupe_key");
    int receivedCol = names.indexOf("received_at");
    int spaceCol = names.indexOf("space_id");
    int placementCol = names.indexOf("sensor_placement");
    int clampCol = names.indexOf("clamp");
    Set<Long> seen = new HashSet<>();
    for (Row row : rows) {
      Long id = row.getLong(idCol);
      if (id == null) {
        continue;
      }
      long ts = Timestamps.toMicros(row.getOffsetDateTime(tsCol));
      int direction = row.getShort(directionCol);
      String dpuId = row.getString(dpuCol);
      if (seen.add(id)) {
        batch.inserted.add(key(dpuId, row.getString(dedupeCol)));
        batch.datapoints.add(
            new Seen(
                dpuId, ts, direction, Timestamps.toMicros(row.getOffsetDateTime(receivedCol))));
      }
      String spaceId = row.getString(spaceCol);
      if (spaceId != null) {
        int delta = direction * row.getShort(placementCol);
        batch.effects.add(
            new Effect(spaceId, ts, delta, id, !Boolean.FALSE.equals(row.getBoolean(clampCol))));
      }
    }
    batch.effects.sort(CONTRACT_ORDER);
    return batch;
  }

  /** Whether the datapoint of this key ({@link #key}) was new, stored by this batch's insert. */
  public boolean inserted(String key) {
    return inserted.contains(key);
  }

  public static String key(String dpuId, String dedupeKey) {
    return dpuId + '\u0000' + dedupeKey;
  }

  boolean isEmpty() {
    return datapoints.isEmpty();
  }

  /**
   * The batch split for the counting shards: each datapoint goes with its DPU's shard (per-DPU
   * totals), each effect with its space's shard. Only shards with something to count get a part.
   */
  List<Part> parts(int shards) {
    Part[] parts = new Part[shards];
    for (Seen d : datapoints) {
      part(parts, Shards.of(d.dpuId(), shards)).datapoints.add(d);
    }
    for (Effect e : effects) { // in contract order, and so in each part
      part(parts, Shards.of(e.spaceId(), shards)).effects.add(e);
    }
    List<Integer> batchShards = new ArrayList<>();
    for (Part p : parts) {
      if (p != null) {
        batchShards.add(p.shard());
      }
    }
    List<Integer> siblings = List.copyOf(batchShards);
    List<Part> out = new ArrayList<>();
    for (Part p : parts) {
      if (p != null) {
        out.add(new Part(batchId, p.shard(), p.datapoints(), p.effects(), siblings));
      }
    }
    return out;
  }

  private Part part(Part[] parts, int shard) {
    if (parts[shard] == null) {
      parts[shard] = new Part(batchId, shard, new ArrayList<>(), new ArrayList<>(), List.of());
    }
    return parts[shard];
  }

  /**
   * What one counting shard does of a batch: its DPUs' datapoints and its spaces' effects. Redis
   * applies each part at most once, by {@link #key}. {@code batchShards} are the shards of every
   * part of the batch, this one's included: an owner that receives one part knows which others to
   * wait for, to store them together.
   */
  record Part(
      long batchId,
      int shard,
      List<Seen> datapoints,
      List<Effect> effects,
      List<Integer> batchShards) {
    public String key() {
      return batchId + ":" + shard;
    }

    /**
     * What the part's effects are, in a few characters: their number and a 64-bit hash of each
     * one's space, instant, delta and datapoint, in order. Redis keeps it with the part's answer,
     * so a part offered again with other effects (its batch rebuilt from links that changed since)
     * is told apart from a plain repeat.
     */
    String fingerprint() {
      long h = 0xcbf29ce484222325L;
      for (Effect e : effects) {
        h = mix(h, e.spaceId().hashCode());
        h = mix(h, e.ts());
        h = mix(h, e.delta());
        h = mix(h, e.datapointId());
      }
      return effects.size() + "-" + Long.toHexString(h);
    }

    private static long mix(long h, long v) {
      h ^= v;
      h *= 0x100000001b3L;
      return h ^ (h >>> 29);
    }

    /**
     * The counter script's input, written straight as JSON text (no tree per datapoint): {@code {k:
     * fingerprint, d: [[dpu, ts, dir, rx]], e: [[space, ts, delta, id, clamp]], f: [part], w:
     * window}}, f naming earlier parts whose answers may go, w the out-of-order window in µs.
     */
    String scriptInput(List<String> forget, long windowMicros) {
      StringBuilder out = new StringBuilder(96 + 48 * (datapoints.size() + effects.size()));
      out.append("{\"k\":");
      string(out, fingerprint());
      out.append(",\"d\":[");
      for (int i = 0; i < datapoints.size(); i++) {
        Seen d = datapoints.get(i);
        out.append(i == 0 ? "[" : ",[");
        string(out, d.dpuId());
        out.append(',').append(d.ts()).append(',').append(d.direction());
        out.append(',').append(d.receivedMicros()).append(']');
      }
      out.append("],\"e\":[");
      for (int i = 0; i < effects.size(); i++) {
        Effect e = effects.get(i);
        out.append(i == 0 ? "[" : ",[");
        string(out, e.spaceId());
        out.append(',').append(e.ts()).append(',').append(e.delta());
        out.append(',').append(e.datapointId()).append(',').append(e.clamp() ? 1 : 0);
        out.append(']');
      }
      out.append("],\"f\":[");
      for (int i = 0; i < forget.size(); i++) {
        if (i > 0) {
          out.append(',');
        }
        string(out, forget.get(i));
      }
      return out.append("],\"w\":").append(windowMicros).append('}').toString();
    }

    private static void string(StringBuilder out, String s) {
      out.append('"').append(JsonStringEncoder.getInstance().quoteAsString(s)).append('"');
    }
  }
}
