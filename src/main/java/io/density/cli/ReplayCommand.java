package io.density.cli;

import io.density.bus.Addresses;
import io.density.bus.InvalidInput;
import io.density.config.DensityConfig;
import io.density.node.Server;
import io.density.time.Timestamps;
import io.vertx.core.Vertx;
import io.vertx.core.eventbus.DeliveryOptions;
import io.vertx.core.eventbus.Message;
import io.vertx.core.json.JsonObject;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Spec;

/**
 * {@code replay [--from T] [--to T]}: rebuilds the derived state from the raw log on the configured
 * databases, then exits; progress on standard error ({@link ReplayProgress}), the summary on
 * standard output.
 */
@Command(
    name = "replay",
    mixinStandardHelpOptions = true,
    description = {
      "Rebuilds the derived state from the raw log on the configured databases, then exits:"
          + " all of it, or the datapoints of the window --from/--to. Run it while no server"
          + " writes to them; on a running server use POST /v1/admin/replay.",
      "Progress goes to standard error (each step, and how many spaces are recounted every"
          + " second); the summary, as JSON, to standard output."
    })
public final class ReplayCommand implements Callable<Integer> {
  @Spec CommandSpec spec;

  @Option(names = "--from", paramLabel = "T", description = "start of the window (ISO-8601)")
  String from;

  @Option(names = "--to", paramLabel = "T", description = "end of the window (ISO-8601)")
  String to;

  @Override
  public Integer call() {
    JsonObject window = new JsonObject();
    if (from != null) {
      window.put("from", instant(from, "from"));
    }
    if (to != null) {
      window.put("to", instant(to, "to"));
    }
    Vertx vertx = Vertx.vertx();
    DensityConfig config = null;
    try {
      vertx
          .eventBus()
          .<JsonObject>localConsumer(
              Addresses.REPLAY_PROGRESS, m -> System.err.println(ReplayProgress.line(m.body())));
      config = Startup.configured();
      JsonObject result =
          Server.deployStorage(vertx, config)
              .compose(
                  v ->
                      vertx
                          .eventBus()
                          .<JsonObject>request(
                              Addresses.REPLAY,
                              window,
                              new DeliveryOptions().setSendTimeout(86_400_000))
                          .map(Message::body))
              .await();
      System.out.println(result.encodePrettily());
      vertx.close().await();
      return 0;
    } catch (Throwable e) {
      System.err.println("replay failed: " + StartupFaults.explain(e, config));
      return 1;
    }
  }

  /** An instant of the command line, µs; a usage error (exit 2) when it does not parse. */
  private long instant(String text, String option) {
    try {
      return Timestamps.parseMicros(text, option);
    } catch (InvalidInput e) {
      throw new ParameterException(spec.commandLine(), e.getMessage());
    }
  }
}
