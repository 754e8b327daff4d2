package io.density.support;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.density.load.BuildingSimulator.Crossing;
import io.density.support.TestServer.Reply;
import io.vertx.core.json.JsonArray;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Comparator;
import java.util.List;
import java.util.Random;

/**
 * Datapoints as a network delivers them: each crossing arrives at an instant of its own (late, or
 * twice), and a gateway forwards what it has heard in arrival order, a few per request.
 */
public final class Arrivals {
  private final List<Arrival> arrivals = new ArrayList<>();

  /** A datapoint and when the network delivers it. */
  private record Arrival(Crossing crossing, Instant at) {}

  /** The crossing arrives at {@code at} (call again for a retransmission). */
  public Arrivals add(Crossing crossing, Instant at) {
    arrivals.add(new Arrival(crossing, at));
    return this;
  }

  /**
   * Posts everything to {@code /v1/datapoints} in arrival order, {@code perRequest} to a request,
   * each request's datapoints shuffled by {@code shuffle} when it is not null; every request must
   * be accepted whole.
   */
  public void deliver(TestServer server, int perRequest, Random shuffle) {
    List<Arrival> ordered = new ArrayList<>(arrivals);
    ordered.sort(Comparator.comparing(Arrival::at));
    for (int i = 0; i < ordered.size(); i += perRequest) {
      List<Arrival> request =
          new ArrayList<>(ordered.subList(i, Math.min(ordered.size(), i + perRequest)));
      if (shuffle != null) {
        Collections.shuffle(request, shuffle);
      }
      JsonArray body = new JsonArray();
      request.forEach(a -> body.add(a.crossing().toJson()));
      Reply reply = server.postJson("/v1/datapoints", body);
      assertEquals(200, reply.status(), reply.json().encode());
      assertEquals(0, reply.json().getInteger("rejected"), reply.json().encode());
    }
  }
}
