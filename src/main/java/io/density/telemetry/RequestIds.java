package io.density.telemetry;

import io.vertx.core.Context;
import io.vertx.core.Vertx;
import io.vertx.core.internal.ContextInternal;
import io.vertx.core.internal.VertxBootstrap;
import io.vertx.core.spi.VertxServiceProvider;
import io.vertx.core.spi.context.storage.ContextLocal;
import java.util.concurrent.ThreadLocalRandom;

/**
 * The id of the HTTP request being handled, kept in the request's own Vert.x context (each request
 * runs on a duplicate of the verticle's context, and so do the callbacks of what it starts there),
 * so every log line written on its behalf can name it.
 *
 * <p>A context local must exist before a Vert.x instance is built: Vert.x loads this class as a
 * {@link VertxServiceProvider} (META-INF/services) while it builds one, which registers it.
 */
public final class RequestIds implements VertxServiceProvider {
  /** The header that carries the id in and out. */
  public static final String HEADER = "X-Request-Id";

  /** Longest incoming id that is kept; a longer one is replaced. */
  public static final int MAX_LENGTH = 128;

  private static final ContextLocal<String> LOCAL = ContextLocal.registerLocal(String.class);
  private static final char[] HEX = "0123456789abcdef".toCharArray();

  /** For the service loader. */
  public RequestIds() {}

  @Override
  public void init(VertxBootstrap builder) {
    // Registering the local is all: it happens when this class is loaded.
  }

  /** The id of the request whose work runs on this thread now, or null. */
  public static String current() {
    Context context = Vertx.currentContext();
    return context == null ? null : context.getLocal(LOCAL);
  }

  /**
   * Makes the id the current request's for the rest of its handling. Only on a duplicated context
   * (a request's own): on a verticle's context it would stick to unrelated work.
   */
  public static boolean bind(String id) {
    Context context = Vertx.currentContext();
    if (context instanceof ContextInternal internal && internal.isDuplicate()) {
      context.putLocal(LOCAL, id);
      return true;
    }
    return false;
  }

  /** The incoming id when it is sane (1 to 128 visible ASCII characters), else a new one. */
  public static String accept(String incoming) {
    return sane(incoming) ? incoming : fresh();
  }

  static boolean sane(String id) {
    if (id == null || id.isEmpty() || id.length() > MAX_LENGTH) {
      return false;
    }
    for (int i = 0; i < id.length(); i++) {
      char c = id.charAt(i);
      if (c < 0x21 || c > 0x7e) {
        return false;
      }
    }
    return true;
  }

  /** A new id: 16 hex digits (64 random bits). */
  public static String fresh() {
    long bits = ThreadLocalRandom.current().nextLong();
    char[] out = new char[16];
    for (int i = 15; i >= 0; i--) {
      out[i] = HEX[(int) (bits & 0xf)];
      bits >>>= 4;
    }
    return new String(out);
  }
}
