import io.nats.client.Connection;
import io.nats.client.Dispatcher;
import io.nats.client.JetStreamApiException;
import io.nats.client.JetStreamManagement;
import io.nats.client.Nats;
import io.nats.client.Options;
import io.nats.client.api.StorageType;
import io.nats.client.api.StreamConfiguration;
import io.nats.client.impl.Headers;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Locale;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The NATS floor of egress: the NATS server alone storing messages shaped as the NATS sink sends
 * them (a count change of one of 1,000 spaces, headers {@code Nats-Msg-Id} and {@code
 * Nats-Expected-Stream}) into a JetStream stream of its own (file storage, as the server creates
 * its stream), from one connection, and how much CPU the NATS server spends per message. Two ways:
 *
 * <ul>
 *   <li>{@code acked}: as the sink publishes, each message with a reply subject in one inbox, up
 *       to 1,024 awaiting their acknowledgement at once;
 *   <li>{@code unacked}: plain publishes without a reply subject (the stream stores them and
 *       answers nothing), then one acknowledged publish: what the server costs when it sends no
 *       acknowledgements.
 * </ul>
 *
 * <p>Run with the server's jar on the class path (it holds jnats), Java's single-file launcher:
 *
 * <pre>java -cp target/density.jar load/NatsFloor.java URL MESSAGES NATS_SERVER_PID</pre>
 *
 * <p>Prints a line per way, then {@code NATS_FLOOR {json}}. The stream ({@code NATS_FLOOR_<pid>})
 * is deleted at the end.
 */
public final class NatsFloor {
  private NatsFloor() {}

  /** As the sink: acknowledgements awaited at once. */
  private static final int IN_FLIGHT = 1024;

  private static final int SPACES = 1000;

  public static void main(String[] args) throws Exception {
    if (args.length != 3) {
      System.err.println("usage: NatsFloor URL MESSAGES NATS_SERVER_PID");
      System.exit(2);
    }
    String url = args[0];
    int messages = Integer.parseInt(args[1]);
    int natsPid = Integer.parseInt(args[2]);
    String stream = "NATS_FLOOR_" + ProcessHandle.current().pid();
    String subjects = "nats-floor-" + ProcessHandle.current().pid();
    Options options =
        new Options.Builder().server(url).connectionTimeout(Duration.ofSeconds(5)).build();
    try (Connection nc = Nats.connect(options)) {
      JetStreamManagement jsm = nc.jetStreamManagement();
      StringBuilder json = new StringBuilder("{\"messages\":" + messages);
      for (String way : new String[] {"acked", "unacked"}) {
        jsm.addStream(
            StreamConfiguration.builder()
                .name(stream)
                .subjects(subjects + ".>")
                .storageType(StorageType.File)
                .duplicateWindow(Duration.ofMinutes(2))
                .build());
        try {
          long cpuBefore = cpuMicros(natsPid);
          long start = System.nanoTime();
          if (way.equals("acked")) {
            acked(nc, stream, subjects, messages);
          } else {
            unacked(nc, stream, subjects, messages);
          }
          double seconds = (System.nanoTime() - start) / 1e9;
          double cpu = (cpuMicros(natsPid) - cpuBefore) / (double) messages;
          long stored = jsm.getStreamInfo(stream).getStreamState().getMsgCount();
          System.out.printf(
              Locale.ROOT,
              "nats floor, %s: %d messages in %.2f s (%.0f/s); nats-server %.1f µs of CPU per"
                  + " message; the stream holds %d%n",
              way,
              messages,
              seconds,
              messages / seconds,
              cpu,
              stored);
          json.append(
              String.format(
                  Locale.ROOT,
                  ",\"%s\":{\"per_s\":%.0f,\"nats_server_cpu_us_per_message\":%.1f,\"stored\":%d}",
                  way,
                  messages / seconds,
                  cpu,
                  stored));
        } finally {
          jsm.deleteStream(stream);
        }
      }
      System.out.println("NATS_FLOOR " + json.append('}'));
    }
  }

  /** Each message with a reply subject in one inbox; at most IN_FLIGHT unacknowledged. */
  private static void acked(Connection nc, String stream, String subjects, int messages)
      throws Exception {
    Semaphore window = new Semaphore(IN_FLIGHT);
    AtomicLong refused = new AtomicLong();
    String inbox = nc.createInbox();
    Dispatcher acks =
        nc.createDispatcher(
            reply -> {
              if (reply.getData() == null
                  || new String(reply.getData(), StandardCharsets.UTF_8).contains("\"error\"")) {
                refused.incrementAndGet();
              }
              window.release();
            });
    acks.subscribe(inbox + ".*");
    try {
      for (int i = 0; i < messages; i++) {
        if (!window.tryAcquire(30, TimeUnit.SECONDS)) {
          throw new IllegalStateException("no acknowledgement for 30 s");
        }
        nc.publish(subject(subjects, i), inbox + "." + i, headers(stream, i), body(i));
      }
      if (!window.tryAcquire(IN_FLIGHT, 30, TimeUnit.SECONDS)) {
        throw new IllegalStateException("acknowledgements missing after 30 s");
      }
      if (refused.get() > 0) {
        throw new IllegalStateException(refused.get() + " messages refused by the stream");
      }
    } finally {
      nc.closeDispatcher(acks);
    }
  }

  /** Plain publishes, then one acknowledged one: the stream has taken all before it. */
  private static void unacked(Connection nc, String stream, String subjects, int messages)
      throws Exception {
    for (int i = 0; i < messages; i++) {
      nc.publish(subject(subjects, i), null, headers(stream, i), body(i));
    }
    try {
      nc.jetStream().publish(subject(subjects, messages), headers(stream, messages), body(0));
    } catch (JetStreamApiException e) {
      throw new IllegalStateException("the last message was refused: " + e.getMessage(), e);
    }
  }

  private static String subject(String subjects, int i) {
    return subjects + ".count.space-" + (i % SPACES);
  }

  private static Headers headers(String stream, int i) {
    return new Headers()
        .put("Nats-Msg-Id", "count:space-" + (i % SPACES) + ":" + (i / SPACES + 1))
        .put("Nats-Expected-Stream", stream);
  }

  private static byte[] body(int i) {
    return String.format(
            Locale.ROOT,
            "{\"space_id\":\"space-%d\",\"count\":%d,\"timestamp\":\"2026-12-06T18:00:00.%06dZ\","
                + "\"seq\":%d,\"cause\":\"datapoint\"}",
            i % SPACES,
            i % 37,
            i % 1_000_000,
            i / SPACES + 1)
        .getBytes(StandardCharsets.UTF_8);
  }

  /** A process's CPU time so far (user + system), in µs. */
  private static long cpuMicros(int pid) throws Exception {
    String stat = Files.readString(Path.of("/proc/" + pid + "/stat"));
    String[] fields = stat.substring(stat.lastIndexOf(')') + 2).split(" ");
    long ticks = Long.parseLong(fields[11]) + Long.parseLong(fields[12]);
    return ticks * 1_000_000 / 100; // USER_HZ is 100 on Linux
  }
}
