package io.density.support;

import io.density.ingest.Timestamps;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;

/**
 * The counting contract (shared/docs/domain.md) written as plainly as possible, for tests to
 * compute the expected answers from the data they send: de-duplicate, attribute by the links valid
 * at each timestamp, order by timestamp with +1 before -1, clamp at 0 after each step.
 */
public final class ContractModel {
  public record Link(String dpu, String space, int placement, Instant from, Instant to) {}

  public record Datapoint(String dpu, Instant ts, int direction) {}

  private record Effect(Instant ts, int delta) {}

  private final List<Link> links = new ArrayList<>();
  private final java.util.Map<String, java.util.TreeMap<Instant, Integer>> resets =
      new java.util.HashMap<>();

  /** From t on the space holds count people (effects at t apply on top). */
  public ContractModel reset(String space, Instant t, int count) {
    resets.computeIfAbsent(space, s -> new java.util.TreeMap<>()).put(t, count);
    return this;
  }

  private final Set<Datapoint> datapoints = new LinkedHashSet<>();

  public ContractModel link(String dpu, String space, int placement, Instant from) {
    return link(dpu, space, placement, from, null);
  }

  public ContractModel link(String dpu, String space, int placement, Instant from, Instant to) {
    links.add(new Link(dpu, space, placement, from, to));
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
    return this;
  }

  /** Adds a datapoint; a repeat of (dpu, timestamp, direction) changes nothing. */
  public void add(String dpu, String timestamp, int direction) {
    try {
      datapoints.add(new Datapoint(dpu, Timestamps.parse(timestamp, "timestamp"), direction));
    } catch (io.density.ingest.InvalidInput e) {
      throw new IllegalArgumentException(e);
    }
  }

  public int distinctDatapoints() {
    return datapoints.size();
  }

  private List<Effect> effects(String space) {
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
    java.util.TreeMap<Instant, Integer> spaceResets =
        resets.getOrDefault(space, new java.util.TreeMap<>());
    java.util.Map.Entry<Instant, Integer> lastReset = spaceResets.floorEntry(t);
    int count = lastReset == null ? 0 : lastReset.getValue();
    for (Effect e : effects(space)) {
      if (e.ts.isAfter(t)) {
        break;
      }
      if (lastReset == null || !e.ts.isBefore(lastReset.getKey())) {
        count = Math.max(0, count + e.delta);
      }
    }
    return count;
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
