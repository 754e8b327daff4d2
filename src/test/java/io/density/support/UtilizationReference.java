package io.density.support;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.vertx.core.json.JsonObject;
import java.time.Duration;
import java.time.Instant;
import java.time.LocalDate;
import java.time.ZoneId;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.TreeMap;
import java.util.TreeSet;

/**
 * The row of a utilization report for a space and a complete local day as the definitions give it
 * (docs/counting.md, "Utilization"), worked out from the contract model's counts, not by any code
 * of the server: the value in force at the day's start (a reset at that instant applied, effects
 * not yet), then the value after each change in the day.
 */
public final class UtilizationReference {
  private UtilizationReference() {}

  /**
   * Datapoints of one DPU: people walking in and out every 5 to 125 minutes over the UTC days
   * [first, after), never more out than in.
   */
  public static List<JsonObject> walk(String dpu, LocalDate first, LocalDate after, long seed) {
    List<JsonObject> out = new ArrayList<>();
    Random random = new Random(seed);
    int inside = 0;
    for (Instant t =
            first.atStartOfDay(ZoneOffset.UTC).toInstant().plusSeconds(random.nextInt(3600));
        t.isBefore(after.atStartOfDay(ZoneOffset.UTC).toInstant());
        t = t.plusSeconds(300 + random.nextInt(7200))) {
      int direction = inside == 0 || random.nextInt(5) < 3 ? 1 : -1;
      inside += direction;
      out.add(
          new JsonObject()
              .put("dpu_id", dpu)
              .put("timestamp", t.toString())
              .put("direction", direction));
    }
    return out;
  }

  /**
   * Asserts the row equals the reference; the number of the day's changes (effects and resets at
   * distinct instants inside it).
   */
  public static int assertRow(
      ContractModel contract,
      String space,
      LocalDate day,
      ZoneId zone,
      Integer capacity,
      JsonObject row) {
    Instant d0 = day.atStartOfDay(zone).toInstant();
    Instant d1 = day.plusDays(1).atStartOfDay(zone).toInstant();
    String what = space + " on " + day + " in " + zone + ": " + row.encode();
    assertEquals(space, row.getString("space_id"), what);
    assertEquals(day.toString(), row.getString("date"), what);
    assertEquals(d0.toString(), row.getString("start"), what);
    assertEquals(d1.toString(), row.getString("end"), what);
    assertTrue(row.getBoolean("complete"), what);

    TreeMap<Instant, Integer> resets = contract.resets(space);
    int opening =
        resets.containsKey(d0) ? resets.get(d0) : contract.countAsOf(space, d0.minusNanos(1000));
    TreeSet<Instant> changes = new TreeSet<>();
    contract.effectTimes(space).stream()
        .filter(t -> !t.isBefore(d0) && t.isBefore(d1))
        .forEach(changes::add);
    changes.addAll(resets.subMap(d0, true, d1, false).keySet());

    // The time-weighted average: each value holds from its change until the next one.
    double integral = 0;
    int value = opening;
    Instant since = d0;
    for (Instant t : changes) {
      integral += value * seconds(since, t);
      value = contract.countAsOf(space, t);
      since = t;
    }
    integral += value * seconds(since, d1);
    double average = integral / seconds(d0, d1);

    // Entries, exits, the count at the end and the peak over every value the day took: the
    // contract's one-day bucket. The peak's instant: the first change after which it is reached.
    int[] bucket = contract.bucket(space, d0, d1);
    int peak = bucket[4];
    Instant peakAt = d0;
    if (opening < peak) {
      List<Instant> list = new ArrayList<>(changes);
      int lo = 0;
      int hi = list.size() - 1;
      while (lo < hi) {
        int mid = (lo + hi) / 2;
        if (contract.bucket(space, d0, list.get(mid).plusNanos(1000))[4] == peak) {
          hi = mid;
        } else {
          lo = mid + 1;
        }
      }
      peakAt = list.get(lo);
    }

    assertEquals(peak, row.getInteger("peak"), "peak of " + what);
    assertEquals(peakAt, Instant.parse(row.getString("peak_at")), "peak_at of " + what);
    assertEquals(average, row.getDouble("average"), 6e-5, "average of " + what);
    assertEquals(bucket[1], row.getInteger("entries"), "entries of " + what);
    assertEquals(bucket[2], row.getInteger("exits"), "exits of " + what);
    assertEquals(bucket[0], row.getInteger("count_at_end"), "count_at_end of " + what);
    assertEquals(capacity, row.getInteger("capacity"), what);
    if (capacity == null) {
      assertNull(row.getValue("peak_utilization"), what);
      assertNull(row.getValue("average_utilization"), what);
    } else {
      assertEquals((double) peak / capacity, row.getDouble("peak_utilization"), 6e-5, what);
      assertEquals(average / capacity, row.getDouble("average_utilization"), 6e-5, what);
    }
    return changes.size();
  }

  private static double seconds(Instant from, Instant to) {
    return Duration.between(from, to).toNanos() / 1e9;
  }
}
