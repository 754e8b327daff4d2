package io.density.load;

import io.vertx.core.json.JsonObject;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Random;

/**
 * A simulated office building and the people walking through it, for tests and benchmarks.
 *
 * <pre>
 *   outside ─D1─ lobby ─D2─ office ─D4─ meeting        floor = office + meeting (parent space)
 *   outside ─D5─ cafe  ─D3─ lobby
 * </pre>
 *
 * Each doorway has one DPU ({@code sim-d1} … {@code sim-d5}); its links say which spaces a crossing
 * changes. People arrive by D1 or D5, wander between rooms, and leave the way they came in. Sensors
 * miss a share of crossings ({@code missRate}), so counts would go negative without clamping, as
 * real ones do.
 */
public final class BuildingSimulator {
  /**
   * A link of the simulated building: a crossing of dpu in direction +1 changes space by placement.
   */
  public record Link(String dpu, String doorway, String space, int placement) {}

  /** A datapoint as a sensor sends it. */
  public record Crossing(String dpu, Instant ts, int direction) {
    public JsonObject toJson() {
      return new JsonObject()
          .put("timestamp", ts.toString())
          .put("direction", direction)
          .put("dpu_id", dpu);
    }
  }

  public static final List<String> SPACES = List.of("lobby", "office", "meeting", "cafe", "floor");

  /** +1 is always "into the room further inside". */
  public static final List<Link> LINKS =
      List.of(
          new Link("sim-d1", "D1", "lobby", 1),
          new Link("sim-d2", "D2", "office", 1),
          new Link("sim-d2", "D2", "lobby", -1),
          new Link("sim-d2", "D2", "floor", 1),
          new Link("sim-d3", "D3", "lobby", 1),
          new Link("sim-d3", "D3", "cafe", -1),
          new Link("sim-d4", "D4", "meeting", 1),
          new Link("sim-d4", "D4", "office", -1),
          new Link("sim-d5", "D5", "cafe", 1));

  private BuildingSimulator() {}

  /**
   * The management requests that create the building, valid from {@code from}: [method, path,
   * body].
   */
  public static List<Object[]> provisioning(Instant from) {
    List<Object[]> requests = new ArrayList<>();
    requests.add(
        new Object[] {"PUT", "/v1/spaces/floor", new JsonObject().put("name", "First floor")});
    for (String space : SPACES) {
      JsonObject body = new JsonObject().put("name", space);
      if (space.equals("office") || space.equals("meeting")) {
        body.put("parent_id", "floor");
      }
      if (!space.equals("floor")) {
        requests.add(new Object[] {"PUT", "/v1/spaces/" + space, body});
      }
    }
    for (int d = 1; d <= 5; d++) {
      requests.add(new Object[] {"PUT", "/v1/doorways/D" + d, new JsonObject()});
      requests.add(new Object[] {"PUT", "/v1/dpus/sim-d" + d, new JsonObject()});
    }
    for (Link l : LINKS) {
      requests.add(
          new Object[] {
            "POST",
            "/v1/links",
            new JsonObject()
                .put("dpu_id", l.dpu)
                .put("doorway_id", l.doorway)
                .put("space_id", l.space)
                .put("sensor_placement", l.placement)
                .put("valid_from", from.toString())
          });
    }
    return requests;
  }

  /**
   * The crossings of {@code people} visits between start and end, in timestamp order (crossings
   * after end are left out: those people are still inside). A share {@code missRate} of crossings
   * is never sent, as a sensor that missed someone.
   */
  public static List<Crossing> simulate(
      Instant start, Instant end, int people, double missRate, long seed) {
    Random random = new Random(seed);
    long span = end.toEpochMilli() - start.toEpochMilli();
    List<Crossing> crossings = new ArrayList<>();
    for (int p = 0; p < people; p++) {
      long t = start.toEpochMilli() + (long) (random.nextDouble() * span);
      boolean byCafe = random.nextDouble() < 0.3;
      List<String[]> path = new ArrayList<>(); // [dpu, direction] going in
      if (byCafe) {
        path.add(new String[] {"sim-d5", "1"}); // outside → cafe
      } else {
        path.add(new String[] {"sim-d1", "1"}); // outside → lobby
      }
      String room = byCafe ? "cafe" : "lobby";
      int moves = random.nextInt(4);
      for (int m = 0; m < moves; m++) {
        String[] step = step(room, random);
        if (step == null) {
          break;
        }
        path.add(new String[] {step[0], step[1]});
        room = step[2];
      }
      for (String[] s : path) {
        t += 1_000 + (long) (random.nextDouble() * 45 * 60_000);
        emit(crossings, s[0], Integer.parseInt(s[1]), t, missRate, random);
      }
      for (int i = path.size() - 1; i >= 0; i--) { // back out the same way
        t += 1_000 + (long) (random.nextDouble() * 30 * 60_000);
        emit(crossings, path.get(i)[0], -Integer.parseInt(path.get(i)[1]), t, missRate, random);
      }
    }
    crossings.removeIf(c -> !c.ts.isBefore(end));
    crossings.sort(Comparator.comparing(Crossing::ts));
    return crossings;
  }

  /** One move deeper from a room: [dpu, direction, next room], or null when it is a dead end. */
  private static String[] step(String room, Random random) {
    return switch (room) {
      case "lobby" ->
          random.nextBoolean()
              ? new String[] {"sim-d2", "1", "office"}
              : new String[] {"sim-d3", "-1", "cafe"};
      case "cafe" -> new String[] {"sim-d3", "1", "lobby"};
      case "office" -> new String[] {"sim-d4", "1", "meeting"};
      default -> null;
    };
  }

  private static void emit(
      List<Crossing> out, String dpu, int direction, long t, double missRate, Random random) {
    if (random.nextDouble() >= missRate) {
      out.add(new Crossing(dpu, Instant.ofEpochMilli(t), direction));
    }
  }
}
