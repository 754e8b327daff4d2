package io.density.alerts;

import io.vertx.core.Future;
import io.vertx.core.Vertx;
import java.net.Inet4Address;
import java.net.Inet6Address;
import java.net.InetAddress;
import java.net.URI;
import java.net.URISyntaxException;
import java.net.UnknownHostException;
import java.util.List;
import java.util.Locale;

/**
 * Which addresses a webhook may be sent to. Only {@code http} and {@code https} URLs with a host;
 * unless private targets are allowed ({@code alerts.webhookPrivateTargets}), no address that is
 * loopback, private (RFC 1918, fc00::/7, fec0::/10), link-local (169.254/16, fe80::/10, cloud
 * metadata services among them), unspecified (0.0.0.0/8, ::), multicast or broadcast: a webhook
 * must not let an API caller reach the server's own network. The rule is checked when a webhook is
 * registered (on every address its host resolves to then) and again before each delivery, on the
 * address the delivery connects to.
 */
final class WebhookTargets {
  private final Vertx vertx;
  private final boolean allowPrivate;

  WebhookTargets(Vertx vertx, boolean allowPrivate) {
    this.vertx = vertx;
    this.allowPrivate = allowPrivate;
  }

  /** A URL refused for its form (not for its address). */
  static final class Refused extends Exception {
    Refused(String message) {
      super(message, null, false, false);
    }
  }

  /** The URL, if it is an absolute http(s) URL with a host. */
  static URI parse(Object url) throws Refused {
    if (!(url instanceof String s)) {
      throw new Refused("url must be an http(s) URL");
    }
    URI uri;
    try {
      uri = new URI(s);
    } catch (URISyntaxException e) {
      throw new Refused("url must be an http(s) URL");
    }
    String scheme = uri.getScheme() == null ? "" : uri.getScheme().toLowerCase(Locale.ROOT);
    if (!scheme.equals("http") && !scheme.equals("https")) {
      throw new Refused("url must be an http(s) URL");
    }
    if (uri.getHost() == null || uri.getHost().isEmpty()) {
      throw new Refused("url must name a host");
    }
    return uri;
  }

  /** The host of a URL, without the brackets of an IPv6 literal. */
  static String host(URI uri) {
    String host = uri.getHost();
    return host.startsWith("[") && host.endsWith("]") ? host.substring(1, host.length() - 1) : host;
  }

  /** The port of a URL, or its scheme's. */
  static int port(URI uri) {
    return uri.getPort() != -1
        ? uri.getPort()
        : "https".equalsIgnoreCase(uri.getScheme()) ? 443 : 80;
  }

  /**
   * Why the rule refuses this address (e.g. "loopback"), or null when it may be a target. Always
   * null when private targets are allowed.
   */
  String refusal(InetAddress address) {
    return allowPrivate ? null : kind(address);
  }

  /** The kind of a non-public address, or null for a public one. */
  static String kind(InetAddress address) {
    if (address instanceof Inet6Address v6) {
      byte[] b = v6.getAddress();
      InetAddress embedded = embeddedIpv4(b);
      if (embedded != null) {
        return kind(embedded);
      }
      if ((b[0] & 0xfe) == 0xfc) {
        return "private (unique local, fc00::/7)";
      }
    }
    if (address.isAnyLocalAddress()) {
      return "unspecified";
    }
    if (address.isLoopbackAddress()) {
      return "loopback";
    }
    if (address.isLinkLocalAddress()) {
      return "link-local";
    }
    if (address.isSiteLocalAddress()) {
      return "private";
    }
    if (address.isMulticastAddress()) {
      return "multicast";
    }
    if (address instanceof Inet4Address) {
      byte[] b = address.getAddress();
      if (b[0] == 0) {
        return "unspecified (0.0.0.0/8)";
      }
      if ((b[0] & b[1] & b[2] & b[3]) == (byte) 0xff) {
        return "broadcast";
      }
    }
    return null;
  }

  /**
   * The IPv4 address inside an IPv4-mapped (::ffff:a.b.c.d) or IPv4-compatible (::a.b.c.d) IPv6
   * address, so that neither hides a private IPv4 target; null for other addresses.
   */
  private static InetAddress embeddedIpv4(byte[] b) {
    for (int i = 0; i < 10; i++) {
      if (b[i] != 0) {
        return null;
      }
    }
    boolean mapped = b[10] == (byte) 0xff && b[11] == (byte) 0xff;
    boolean compatible = b[10] == 0 && b[11] == 0;
    if (!mapped && !compatible) {
      return null;
    }
    if (compatible && b[12] == 0 && b[13] == 0 && b[14] == 0 && (b[15] == 0 || b[15] == 1)) {
      return null; // :: and ::1 themselves
    }
    try {
      return InetAddress.getByAddress(new byte[] {b[12], b[13], b[14], b[15]});
    } catch (UnknownHostException e) {
      throw new IllegalStateException(e);
    }
  }

  /**
   * Every address of a host (literals as they are), resolved on a worker thread: name resolution
   * blocks.
   */
  Future<List<InetAddress>> resolve(String host) {
    return vertx.executeBlocking(() -> List.of(InetAddress.getAllByName(host)), false);
  }

  /**
   * Checks a URL for registration: its form, and every address its host resolves to now. A host
   * that does not resolve now is accepted (every delivery resolves it again and checks the address
   * it connects to). Fails with {@link Refused}, naming the reason.
   */
  Future<URI> check(Object url) {
    URI uri;
    try {
      uri = parse(url);
    } catch (Refused e) {
      return Future.failedFuture(e);
    }
    if (allowPrivate) {
      return Future.succeededFuture(uri);
    }
    String host = host(uri);
    if (host.equalsIgnoreCase("localhost")
        || host.toLowerCase(Locale.ROOT).endsWith(".localhost")) {
      return Future.failedFuture(refused(host, "loopback"));
    }
    return resolve(host)
        .transform(
            resolved -> {
              if (resolved.failed()) {
                return resolved.cause() instanceof UnknownHostException
                    ? Future.succeededFuture(uri)
                    : Future.failedFuture(resolved.cause());
              }
              for (InetAddress address : resolved.result()) {
                String why = refusal(address);
                if (why != null) {
                  return Future.failedFuture(refused(host, address, why));
                }
              }
              return Future.succeededFuture(uri);
            });
  }

  static Refused refused(String host, String why) {
    return new Refused(
        "url must not target a "
            + why
            + " address ("
            + host
            + "): set alerts.webhookPrivateTargets (DENSITY_WEBHOOK_PRIVATE_TARGETS=on) to allow"
            + " such targets on a closed network");
  }

  static Refused refused(String host, InetAddress address, String why) {
    String shown =
        host.equalsIgnoreCase(address.getHostAddress())
            ? host
            : host + " → " + address.getHostAddress();
    return refused(shown, why);
  }
}
