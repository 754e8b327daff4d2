package io.density.support;

import io.density.time.Timestamps;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;

/**
 * The counting contract (docs/counting.md, "What a count is") written as plainly as possible, for
 * tests to compute the expected answers from the data they send: de-duplicate, attribute by the
 * links valid at each timestamp, order by timestamp with +1 before -1, clamp at 0 after each step.
 */
public final class ContractModel {
  public record Link(String dpu, String space, int placement, Instant from, Instant to) {}

  public record Datapoint(String dpu, Instant ts, int direction) {}

  private record Effect(Instant ts, int delta) {}

  private final List<Link> links = new ArrayList<>();
  private final java.util.Map<String, java.util.TreeMap<Instant, Integer>> resets =
      new java.util.HashMap<>();

  private final Set<String> unclamped = new java.util.HashSet<>();

  /** The space does not clamp at zero (its count may go negative). */
  public ContractModel noClamp(String space) {
    unclamped.add(space);
    return this;
  }

  /** From t on the space holds count people (effects at t apply on top). */
  public ContractModel reset(String space, Instant t, int count) {
    resets.computeIfAbsent(space, s -> new java.util.TreeMap<>()).put(t, count);
    return this;
  }

  /**
   * The space resets to 0 at a local time every day from {@code firstDay} until now (a local time
   * that does not exist that day is taken as much later as the clocks jump, one that exists twice
   * at its first occurrence). An explicit reset at the same instant stays.
   */
  public ContractModel dailyReset(
      String space, java.time.ZoneId zone, java.time.LocalTime at, java.time.LocalDate firstDay) {
    Instant now = Instant.now();
    for (java.time.LocalDate day = firstDay; ; day = day.plusDays(1)) {
      Instant r = java.time.ZonedDateTime.of(day, at, zone).toInstant();
      if (r.isAfter(now)) {
        return this;
      }
      resets.computeIfAbsent(space, s -> new java.util.TreeMap<>()).putIfAbsent(r, 0);
    }
  }

  private final java.util.Map<String, java.time.Duration> idle = new java.util.HashMap<>();

  /**
   * The space is reset to 0 at t + period wherever it has an effect at t and no later effect before
   * t + period (when that is not in the future); null: no idle resets.
   */
  public ContractModel idleReset(String space, java.time.Duration period) {
    if (period == null) {
      idle.remove(space);
    } else {
      idle.put(space, period);
    }
    return this;
  }

  /** The idle resets the space's effects imply. */
  public java.util.TreeSet<Instant> idleResets(String space) {
    java.util.TreeSet<Instant> out = new java.util.TreeSet<>();
    java.time.Duration period = idle.get(space);
    if (period == null) {
      return out;
    }
    List<Instant> times = effectTimes(space);
    Instant now = Instant.now();
    for (int i = 0; i < times.size(); i++) {
      Instant r = times.get(i).plus(period);
      boolean gap = i + 1 < times.size() ? !times.get(i + 1).isBefore(r) : !r.isAfter(now);
      if (gap) {
        out.add(r);
      }
    }
    return out;
  }

  /** Every reset of the space: idle ones, then explicit and daily ones (which win an instant). */
  private java.util.TreeMap<Instant, Integer> resetsOf(String space) {
    java.util.TreeMap<Instant, Integer> all = new java.util.TreeMap<>();
    idleResets(space).forEach(r -> all.put(r, 0));
    all.putAll(resets.getOrDefault(space, new java.util.TreeMap<>()));
    return all;
  }

  /** Every reset of the space (idle, explicit and daily) with its value, by instant. */
  public java.util.TreeMap<Instant, Integer> resets(String space) {
    return resetsOf(space);
  }

  /** The count after each of the space's effects, in contract order. */
  public List<Integer> countsAfterEachEffect(String space) {
    java.util.TreeMap<Instant, Integer> spaceResets = resetsOf(space);
    List<Integer> out = new ArrayList<>();
    Integer count = null;
    Instant last = null;
    for (Effect e : effects(space)) {
      if (last == null || !e.ts.equals(last)) {
        count = countAsOf(space, e.ts.minusNanos(1000));
        if (spaceResets.containsKey(e.ts)) {
          count = spaceResets.get(e.ts);
        }
        last = e.ts;
      }
      count = unclamped.contains(space) ? count + e.delta : Math.max(0, count + e.delta);
      out.add(count);
    }
    return out;
  }

  private final Set<Datapoint> datapoints = new LinkedHashSet<>();

  /** The seed's sample building: DPU 283 over X (A +1), DPU 423 over Z (A +1, B -1). */
  public static ContractModel seedBuilding() {
    Instant from = Instant.parse(io.density.dev.SeedBuilding.LINKS_VALID_FROM);
    return new ContractModel()
        .link("283", "A", 1, from)
        .link("423", "A", 1, from)
        .link("423", "B", -1, from);
  }

  public ContractModel link(String dpu, String space, int placement, Instant from) {
    return link(dpu, space, placement, from, null);
  }

  public ContractModel link(String dpu, String space, int placement, Instant from, Instant to) {
    links.add(new Link(dpu, space, placement, from, to));
    effects.clear();
    return this;
  }

  /** Closes the DPU's links valid at t, at t (what moving it does before it opens new ones). */
  public ContractModel close(String dpu, Instant t) {
    for (int i = 0; i < links.size(); i++) {
      Link l = links.get(i);
      if (l.dpu.equals(dpu) && l.from.isBefore(t) && (l.to == null || l.to.isAfter(t))) {
        links.set(i, new Link(l.dpu, l.space, l.placement, l.from, t));
      }
    }
    effects.clear();
    return this;
  }

  /** Adds a datapoint; a repeat of (dpu, timestamp, direction) changes nothing. */
  public void add(String dpu, String timestamp, int direction) {
    try {
      datapoints.add(new Datapoint(dpu, Timestamps.parse(timestamp, "timestamp"), direction));
      effects.clear();
    } catch (io.density.bus.InvalidInput e) {
      throw new IllegalArgumentException(e);
    }
  }

  public int distinctDatapoints() {
    return datapoints.size();
  }

  /** Each space's effects in contract order, worked out again after any change. */
  private final java.util.Map<String, List<Effect>> effects = new java.util.HashMap<>();

  private List<Effect> effects(String space) {
    return effects.computeIfAbsent(space, this::attribute);
  }

  private List<Effect> attribute(String space) {
    List<Effect> effects = new ArrayList<>();
    for (Datapoint d : datapoints) {
      for (Link l : links) {
        boolean valid =
            l.dpu.equals(d.dpu) && !d.ts.isBefore(l.from) && (l.to == null || d.ts.isBefore(l.to));
        if (valid && l.space.equals(space)) {
          effects.add(new Effect(d.ts, d.direction * l.placement));
        }
      }
    }
    effects.sort(
        Comparator.comparing(Effect::ts)
            .thenComparing(Comparator.comparingInt(Effect::delta).reversed()));
    return effects;
  }

  /** The count after every reset and effect with timestamp ≤ t (clamped spaces). */
  public int countAsOf(String space, Instant t) {
    java.util.TreeMap<Instant, Integer> spaceResets = resetsOf(space);
    java.util.Map.Entry<Instant, Integer> lastReset = spaceResets.floorEntry(t);
    int count = lastReset == null ? 0 : lastReset.getValue();
    for (Effect e : effects(space)) {
      if (e.ts.isAfter(t)) {
        break;
      }
      if (lastReset == null || !e.ts.isBefore(lastReset.getKey())) {
        count = unclamped.contains(space) ? count + e.delta : Math.max(0, count + e.delta);
      }
    }
    return count;
  }

  /** One bucket [b0, b1) as the contract defines it: {count, entries, exits, min, max}. */
  public int[] bucket(String space, Instant b0, Instant b1) {
    int count = countAsOf(space, b1.minusMillis(1));
    int entries = 0;
    int exits = 0;
    java.util.TreeMap<Instant, Integer> spaceResets = resetsOf(space);
    // The value in force at b0 before any effect at b0, resets at or before b0 applied.
    java.util.Map.Entry<Instant, Integer> resetAtOrBefore = spaceResets.floorEntry(b0);
    int value = countAsOf(space, b0.minusNanos(1000));
    if (resetAtOrBefore != null && resetAtOrBefore.getKey().equals(b0)) {
      value = resetAtOrBefore.getValue();
    }
    int min = value;
    int max = value;
    for (Effect e : effects(space)) {
      if (e.ts.isBefore(b0) || !e.ts.isBefore(b1)) {
        continue;
      }
      if (e.delta > 0) {
        entries++;
      } else {
        exits++;
      }
    }
    java.util.Set<Instant> instants = new java.util.TreeSet<>();
    effects(space).stream()
        .map(Effect::ts)
        .filter(t -> !t.isBefore(b0) && t.isBefore(b1))
        .forEach(instants::add);
    spaceResets.keySet().stream()
        .filter(t -> t.isAfter(b0) && t.isBefore(b1))
        .forEach(instants::add);
    for (Instant t : instants) { // the value after every change inside the bucket
      for (int v : valuesAt(space, t)) {
        min = Math.min(min, v);
        max = Math.max(max, v);
      }
    }
    return new int[] {count, entries, exits, min, max};
  }

  /** Every value the count takes at instant t: after the reset there, then after each effect. */
  private List<Integer> valuesAt(String space, Instant t) {
    java.util.TreeMap<Instant, Integer> spaceResets = resetsOf(space);
    List<Integer> values = new ArrayList<>();
    int value = countAsOf(space, t.minusNanos(1000));
    if (spaceResets.containsKey(t)) {
      value = spaceResets.get(t);
      values.add(value);
    }
    for (Effect e : effects(space)) {
      if (e.ts.equals(t)) {
        value = Math.max(0, value + e.delta);
        values.add(value);
      }
    }
    return values;
  }

  public int realtime(String space) {
    return countAsOf(space, Instant.MAX);
  }

  /** The timestamp of the space's effect nearest to t (a tie goes to the earlier), or null. */
  public Instant nearestEffect(String space, Instant t) {
    Instant best = null;
    for (Effect e : effects(space)) {
      if (best == null
          || distance(e.ts, t) < distance(best, t)
          || (distance(e.ts, t) == distance(best, t) && e.ts.isBefore(best))) {
        best = e.ts;
      }
    }
    return best;
  }

  public List<Instant> effectTimes(String space) {
    return effects(space).stream().map(Effect::ts).distinct().toList();
  }

  private static long distance(Instant a, Instant b) {
    return Math.abs(Timestamps.toMicros(a) - Timestamps.toMicros(b));
  }
}
