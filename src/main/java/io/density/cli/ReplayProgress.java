package io.density.cli;

import io.density.bus.Addresses;
import io.vertx.core.json.JsonObject;
import java.util.Locale;

/** A replay's progress ({@link Addresses#REPLAY_PROGRESS}) as a line for people. */
final class ReplayProgress {
  private ReplayProgress() {}

  static String line(JsonObject p) {
    String seconds = String.format(Locale.ROOT, "%.1f s", p.getLong("elapsed_ms") / 1000.0);
    String step =
        switch (p.getString("state")) {
          case "waiting" -> "waiting for the ingest pipeline to drain";
          case "attributing" -> "attributing the datapoints again";
          case "recounting" -> {
            int total = p.getInteger("spaces_total");
            int done = p.getInteger("spaces_recounted");
            yield String.format(
                Locale.ROOT,
                "%,d of %,d spaces recounted (%d%%)",
                done,
                total,
                total == 0 ? 100 : done * 100L / total);
          }
          case "reloading" -> "reloading the realtime state";
          case "done" ->
              String.format(
                  Locale.ROOT, "done, %,d spaces recounted", p.getInteger("spaces_recounted"));
          default -> p.getString("state") + ": " + p.getString("error");
        };
    return "replay " + p.getString("id") + ": " + step + " [" + seconds + "]";
  }
}
