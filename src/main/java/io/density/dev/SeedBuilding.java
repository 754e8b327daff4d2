package io.density.dev;

import io.vertx.core.json.JsonObject;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Random;

/**
 * The seed's sample building (space A with outer door X, DPU 283; space B reached only through A by
 * doorway Z, DPU 423) and a simulated day of people walking through it.
 */
public final class SeedBuilding {
  private SeedBuilding() {}

  /** Links valid from here on cover the seed's 2018 sample data and any simulated day. */
  public static final String LINKS_VALID_FROM = "2018-01-01T00:00:00Z";

  /** The management requests that create the building: [method, path, body]. */
  public static List<Object[]> provisioning() {
    List<Object[]> requests = new ArrayList<>();
    requests.add(put("/v1/spaces/A", new JsonObject().put("name", "Space A")));
    requests.add(put("/v1/spaces/B", new JsonObject().put("name", "Space B")));
    requests.add(put("/v1/doorways/X", new JsonObject().put("name", "Doorway X, outer door of A")));
    requests.add(put("/v1/doorways/Z", new JsonObject().put("name", "Doorway Z, between A and B")));
    requests.add(put("/v1/dpus/283", new JsonObject().put("name", "DPU over doorway X")));
    requests.add(put("/v1/dpus/423", new JsonObject().put("name", "DPU over doorway Z")));
    requests.add(link("283", "X", "A", 1));
    requests.add(link("423", "Z", "A", 1));
    requests.add(link("423", "Z", "B", -1));
    return requests;
  }

  private static Object[] put(String path, JsonObject body) {
    return new Object[] {"PUT", path, body};
  }

  private static Object[] link(String dpu, String doorway, String space, int placement) {
    return new Object[] {
      "POST",
      "/v1/links",
      new JsonObject()
          .put("dpu_id", dpu)
          .put("doorway_id", doorway)
          .put("space_id", space)
          .put("sensor_placement", placement)
          .put("valid_from", LINKS_VALID_FROM)
    };
  }

  /**
   * People visiting the building between start and end, in timestamp order: each enters A by X (DPU
   * 283, +1), may spend a while in B (DPU 423: -1 from A into B, +1 back), and leaves by X (283,
   * -1). Nobody is inside at start or at end.
   */
  public static List<JsonObject> day(Instant start, Instant end, int visitors, long seed) {
    Random random = new Random(seed);
    long span = end.toEpochMilli() - start.toEpochMilli();
    List<long[]> events = new ArrayList<>(); // [millis, dpu, direction]
    for (int i = 0; i < visitors; i++) {
      long arrive = start.toEpochMilli() + (long) (random.nextDouble() * span);
      long leave = arrive + 60_000 + (long) (random.nextDouble() * 4 * 3_600_000.0);
      events.add(new long[] {arrive, 283, 1});
      if (random.nextDouble() < 0.4) {
        long stay = leave - arrive;
        long into = arrive + stay / 4 + (long) (random.nextDouble() * stay / 4);
        long back = into + 1 + (long) (random.nextDouble() * (leave - into) / 2);
        events.add(new long[] {into, 423, -1});
        events.add(new long[] {back, 423, 1});
      }
      events.add(new long[] {leave, 283, -1});
    }
    events.removeIf(e -> e[0] >= end.toEpochMilli());
    events.sort(Comparator.comparingLong(e -> e[0]));
    List<JsonObject> datapoints = new ArrayList<>(events.size());
    for (long[] e : events) {
      datapoints.add(
          new JsonObject()
              .put("timestamp", Instant.ofEpochMilli(e[0]).toString())
              .put("direction", (int) e[2])
              .put("dpu_id", String.valueOf(e[1])));
    }
    return datapoints;
  }
}
