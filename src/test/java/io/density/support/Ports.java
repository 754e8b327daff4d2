package io.density.support;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Ports for the servers a test starts. A port the kernel hands out for {@code bind(0)} comes from
 * the range it also takes outgoing connections' local ports from, so a connection opened between
 * choosing the port and the server's bind (the suite opens many: Hazelcast, PostgreSQL, Redis) can
 * take it ("Address already in use"). These come from below that range, where only listeners live,
 * and this JVM never hands out one twice.
 */
public final class Ports {
  private static final int LOWEST = 20_000;
  private static final int ABOVE = ephemeralLow();
  private static final AtomicInteger NEXT =
      new AtomicInteger(LOWEST + ThreadLocalRandom.current().nextInt(ABOVE - LOWEST));

  private Ports() {}

  /** A port no one listens on now, outside the kernel's range for outgoing connections. */
  public static int free() {
    for (int tried = 0; tried < ABOVE - LOWEST; tried++) {
      int port = LOWEST + Math.floorMod(NEXT.getAndIncrement() - LOWEST, ABOVE - LOWEST);
      if (bindable(port)) {
        return port;
      }
    }
    throw new IllegalStateException("no free port in " + LOWEST + ".." + (ABOVE - 1));
  }

  private static boolean bindable(int port) {
    try (ServerSocket socket = new ServerSocket()) {
      socket.setReuseAddress(false);
      socket.bind(new InetSocketAddress(port));
      return true;
    } catch (IOException e) {
      return false;
    }
  }

  /** The first port of the kernel's ephemeral range (Linux), or IANA's 49152 elsewhere. */
  private static int ephemeralLow() {
    Path range = Path.of("/proc/sys/net/ipv4/ip_local_port_range");
    try {
      if (Files.isReadable(range)) {
        int low = Integer.parseInt(Files.readString(range).trim().split("\\s+")[0]);
        return Math.max(LOWEST + 1_000, low);
      }
      return 49_152;
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }
}
