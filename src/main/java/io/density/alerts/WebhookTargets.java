package io.density.alerts;

import io.density.net.AddressBlock;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import java.net.InetAddress;
import java.net.URI;
import java.net.URISyntaxException;
import java.net.UnknownHostException;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;

/**
 * The one rule for where a webhook may be sent, checked when a webhook is registered and again
 * before each delivery, on every address the delivery may connect to.
 *
 * <p><b>Form.</b> An absolute {@code http} or {@code https} URL whose host is either a DNS name
 * (labels of 1 to 63 letters, digits and hyphens, none starting or ending with a hyphen, at most
 * 253 characters; one trailing dot allowed) or an address literal in its canonical form: a dotted
 * quad of four decimal numbers without leading zeros, or a bracketed IPv6 address without a zone. A
 * host whose last label is a number ({@code 2130706433}, {@code 017700000001}, {@code 127.1},
 * {@code 0x7f000001}) is an address written another way, which resolvers read differently (octal,
 * hexadecimal, fewer parts): refused.
 *
 * <p><b>Addresses.</b> Every range of the IANA IPv4 and IPv6 Special-Purpose Address Registries
 * (and IPv4 multicast, IPv6 multicast, and the IPv6 space outside global unicast 2000::/3, from the
 * IANA address space registries) is refused; see {@link #RANGES}. The forms that carry an IPv4
 * address inside an IPv6 one (IPv4-mapped, NAT64 64:ff9b::/96, 6to4, Teredo) are judged by the IPv4
 * address they carry. Names of the Special-Use Domain Names registry that stay on the site ({@code
 * localhost}, {@code local}, {@code home.arpa}, {@code internal}) are refused likewise.
 *
 * <p><b>The switch.</b> {@code alerts.webhookPrivateTargets} opens what is the site's own network
 * ({@link Reach#LOCAL}: loopback, private-use, shared CGNAT, link-local, unique local, site-local,
 * local-use NAT64, and the local names); documentation, benchmarking, multicast, broadcast,
 * unspecified and reserved ranges ({@link Reach#NEVER}) are refused whatever it says: nothing
 * answers a webhook there.
 */
final class WebhookTargets {
  private final Vertx vertx;
  private final boolean allowPrivate;

  WebhookTargets(Vertx vertx, boolean allowPrivate) {
    this.vertx = vertx;
    this.allowPrivate = allowPrivate;
  }

  /** A URL refused, for its form or for where it points. */
  static final class Refused extends Exception {
    Refused(String message) {
      super(message, null, false, false);
    }
  }

  /** Whether {@code alerts.webhookPrivateTargets} opens a refused range or name. */
  enum Reach {
    /** The site's own network: open when private targets are allowed. */
    LOCAL,
    /** Never a webhook target. */
    NEVER
  }

  /**
   * Why an address or a name is refused: its kind ("loopback"), where the rule has it ("in
   * 127.0.0.0/8"), and whether the switch opens it.
   */
  record Refusal(String kind, String where, Reach reach) {}

  /** How a range carries an IPv4 address that judges it. */
  private enum Carries {
    NOTHING,
    /** The last 32 bits (IPv4-mapped ::ffff:0:0/96, NAT64 64:ff9b::/96). */
    LAST_32_BITS,
    /** Bits 16 to 47 (6to4, 2002::/16). */
    BITS_16_TO_47,
    /** The last 32 bits inverted (the Teredo client's address, 2001::/32). */
    TEREDO_CLIENT
  }

  /** A range: its CIDR, prefix and length, what it is (and a note on it, or null), its reach. */
  private record Range(
      String cidr, AddressBlock block, String kind, String note, Reach reach, Carries ipv4) {
    /** Where the rule has an address of this range: "in 192.0.2.0/24, TEST-NET-1". */
    String where() {
      return "in " + cidr + (note == null ? "" : ", " + note);
    }

    boolean contains(byte[] address) {
      return block.contains(address);
    }
  }

  private static Range range(String cidr, String kind, Reach reach) {
    return range(cidr, kind, reach, Carries.NOTHING);
  }

  private static Range range(String cidr, String kind, Reach reach, Carries ipv4) {
    int slash = cidr.indexOf('/');
    String network = cidr.substring(0, slash);
    byte[] prefix = network.contains(":") ? ipv6(network) : ipv4(network);
    if (prefix == null) {
      throw new IllegalArgumentException(cidr);
    }
    int open = kind.indexOf(" (");
    return new Range(
        cidr,
        new AddressBlock(prefix, Integer.parseInt(cidr.substring(slash + 1))),
        open < 0 ? kind : kind.substring(0, open),
        open < 0 ? null : kind.substring(open + 2, kind.length() - 1),
        reach,
        ipv4);
  }

  /**
   * The refused ranges, the first that holds an address deciding (a narrower range comes before the
   * wider one that holds it). From the IANA IPv4 Special-Purpose Address Registry and IPv6
   * Special-Purpose Address Registry (RFC 6890 and its updates), as of 2024, plus multicast (IANA
   * IPv4 and IPv6 Multicast Address Space registries), 240.0.0.0/4 (IANA IPv4 Address Space,
   * reserved) and fec0::/10 (deprecated site-local, RFC 3879); the IPv6 space outside 2000::/3 that
   * no entry names is refused as reserved too (IANA IPv6 Address Space: the rest is reserved by the
   * IETF).
   */
  static final List<Range> RANGES =
      List.of(
          // IPv4
          range("0.0.0.0/8", "unspecified (\"this network\")", Reach.NEVER),
          range("10.0.0.0/8", "private-use", Reach.LOCAL),
          range("100.64.0.0/10", "shared (carrier-grade NAT)", Reach.LOCAL),
          range("127.0.0.0/8", "loopback", Reach.LOCAL),
          range("169.254.0.0/16", "link-local", Reach.LOCAL),
          range("172.16.0.0/12", "private-use", Reach.LOCAL),
          range("192.0.0.0/24", "reserved (IETF protocol assignments)", Reach.NEVER),
          range("192.0.2.0/24", "documentation (TEST-NET-1)", Reach.NEVER),
          range("192.31.196.0/24", "reserved (AS112)", Reach.NEVER),
          range("192.52.193.0/24", "reserved (AMT)", Reach.NEVER),
          range("192.88.99.0/24", "reserved (6to4 relay anycast)", Reach.NEVER),
          range("192.168.0.0/16", "private-use", Reach.LOCAL),
          range("192.175.48.0/24", "reserved (AS112 direct delegation)", Reach.NEVER),
          range("198.18.0.0/15", "benchmarking", Reach.NEVER),
          range("198.51.100.0/24", "documentation (TEST-NET-2)", Reach.NEVER),
          range("203.0.113.0/24", "documentation (TEST-NET-3)", Reach.NEVER),
          range("224.0.0.0/4", "multicast", Reach.NEVER),
          range("255.255.255.255/32", "broadcast", Reach.NEVER),
          range("240.0.0.0/4", "reserved", Reach.NEVER),
          // IPv6
          range("::/128", "unspecified", Reach.NEVER),
          range("::1/128", "loopback", Reach.LOCAL),
          range("::ffff:0:0/96", "IPv4-mapped", Reach.NEVER, Carries.LAST_32_BITS),
          range("::/96", "reserved (IPv4-compatible, deprecated)", Reach.NEVER),
          range("64:ff9b::/96", "NAT64", Reach.NEVER, Carries.LAST_32_BITS),
          range("64:ff9b:1::/48", "local-use NAT64", Reach.LOCAL),
          range("100::/64", "reserved (discard-only)", Reach.NEVER),
          range("2001::/32", "Teredo", Reach.NEVER, Carries.TEREDO_CLIENT),
          range("2001:2::/48", "benchmarking", Reach.NEVER),
          range("2001:db8::/32", "documentation", Reach.NEVER),
          range("2001::/23", "reserved (IETF protocol assignments)", Reach.NEVER),
          range("2002::/16", "6to4", Reach.NEVER, Carries.BITS_16_TO_47),
          range("2620:4f:8000::/48", "reserved (AS112 direct delegation)", Reach.NEVER),
          range("3fff::/20", "documentation", Reach.NEVER),
          range("5f00::/16", "reserved (segment routing)", Reach.NEVER),
          range("fc00::/7", "unique local", Reach.LOCAL),
          range("fe80::/10", "link-local", Reach.LOCAL),
          range("fec0::/10", "site-local (deprecated)", Reach.LOCAL),
          range("ff00::/8", "multicast", Reach.NEVER));

  /**
   * IPv6 global unicast (IANA IPv6 Address Space); the rest of IPv6 that no entry of {@link
   * #RANGES} decides is reserved by the IETF, and refused.
   */
  private static final Range GLOBAL_UNICAST = range("2000::/3", "global unicast", Reach.NEVER);

  /**
   * Names of the IANA Special-Use Domain Names registry (and ICANN's private-use {@code internal})
   * that name the site's own network; each with its subdomains.
   */
  private static final List<String[]> LOCAL_NAMES =
      List.of(
          new String[] {"localhost", "loopback", "RFC 6761"},
          new String[] {"local", "link-local", "multicast DNS, RFC 6762"},
          new String[] {"home.arpa", "private-use", "home networks, RFC 8375"},
          new String[] {"internal", "private-use", "ICANN's private-use top-level domain"});

  // ------------------------------------------------------------------ the form of a URL

  /** A URL of the right form: its host (no brackets) and, for a literal, its address. */
  record Target(URI uri, String host, InetAddress literal) {
    /** What a refusal shows of the host. */
    String shown() {
      return literal != null && host.contains(":") ? "[" + host + "]" : host;
    }
  }

  /**
   * The URL as a target, if it is an absolute http(s) URL whose host is a DNS name or a canonical
   * address literal. Never looks a name up.
   */
  static Target parse(Object url) throws Refused {
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
    if (!uri.isAbsolute()
        || uri.isOpaque()
        || (!scheme.equals("http") && !scheme.equals("https"))) {
      throw new Refused("url must be an http(s) URL");
    }
    String host = uri.getHost();
    if (host == null || host.isEmpty()) {
      throw new Refused("url must name a host: a DNS name or an IP address in its canonical form");
    }
    if (uri.getPort() == 0 || uri.getPort() > 65535) {
      throw new Refused("url's port must be from 1 to 65535");
    }
    if (host.startsWith("[")) {
      String literal = host.substring(1, host.length() - 1);
      if (literal.contains("%")) {
        throw new Refused("url must not name an IPv6 zone (" + host + ")");
      }
      byte[] address = ipv6(literal);
      if (address == null) {
        throw new Refused("url's host " + host + " is not an IPv6 address");
      }
      return new Target(uri, literal, address(address));
    }
    String name = host.toLowerCase(Locale.ROOT);
    if (addressLike(name)) {
      byte[] address = ipv4(name);
      if (address == null) {
        throw new Refused(
            "url's host "
                + host
                + " is an IPv4 address in a form other than its canonical one (four decimal"
                + " numbers from 0 to 255, without leading zeros): write it as a.b.c.d");
      }
      return new Target(uri, name, address(address));
    }
    if (!dnsName(name)) {
      throw new Refused("url's host " + host + " is not a DNS name");
    }
    return new Target(uri, name, null);
  }

  /**
   * Whether a host is written as an address rather than a name: its last label (before a trailing
   * dot) is a number, decimal or hexadecimal. No top-level domain is numeric.
   */
  static boolean addressLike(String host) {
    String h = host.endsWith(".") ? host.substring(0, host.length() - 1) : host;
    String last = h.substring(h.lastIndexOf('.') + 1);
    if (last.isEmpty()) {
      return false;
    }
    boolean decimal = last.chars().allMatch(c -> c >= '0' && c <= '9');
    boolean hex =
        last.length() >= 2
            && last.charAt(0) == '0'
            && (last.charAt(1) == 'x' || last.charAt(1) == 'X')
            && last.substring(2).chars().allMatch(c -> c < 128 && Character.digit(c, 16) >= 0);
    return decimal || hex;
  }

  /**
   * Whether a host is a DNS name: labels of 1 to 63 letters, digits and hyphens, neither starting
   * nor ending with a hyphen, at most 253 characters in all (one trailing dot aside).
   */
  static boolean dnsName(String host) {
    String h = host.endsWith(".") ? host.substring(0, host.length() - 1) : host;
    if (h.isEmpty() || h.length() > 253) {
      return false;
    }
    for (String label : h.split("\\.", -1)) {
      if (label.isEmpty()
          || label.length() > 63
          || label.startsWith("-")
          || label.endsWith("-")
          || !label.chars().allMatch(WebhookTargets::ldh)) {
        return false;
      }
    }
    return true;
  }

  private static boolean ldh(int c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-';
  }

  /** The four bytes of a canonical dotted quad, or null for any other text. */
  static byte[] ipv4(String text) {
    String[] parts = text.split("\\.", -1);
    if (parts.length != 4) {
      return null;
    }
    byte[] address = new byte[4];
    for (int i = 0; i < 4; i++) {
      String p = parts[i];
      if (p.isEmpty()
          || p.length() > 3
          || (p.length() > 1 && p.charAt(0) == '0')
          || !p.chars().allMatch(c -> c >= '0' && c <= '9')) {
        return null;
      }
      int value = Integer.parseInt(p);
      if (value > 255) {
        return null;
      }
      address[i] = (byte) value;
    }
    return address;
  }

  /**
   * The sixteen bytes of an IPv6 address in the text forms of RFC 4291 (groups of 1 to 4 hex
   * digits, one "::" at most, a canonical dotted quad in the last 32 bits allowed), or null.
   */
  static byte[] ipv6(String text) {
    if (text.isEmpty()) {
      return null;
    }
    int gap = text.indexOf("::");
    if (gap >= 0 && text.indexOf("::", gap + 1) >= 0) {
      return null;
    }
    byte[] head = groups(gap >= 0 ? text.substring(0, gap) : text, gap < 0);
    byte[] tail = gap >= 0 ? groups(text.substring(gap + 2), true) : new byte[0];
    if (head == null || tail == null) {
      return null;
    }
    int written = head.length + tail.length;
    if (gap < 0 ? written != 16 : written > 14) {
      return null;
    }
    byte[] address = new byte[16];
    System.arraycopy(head, 0, address, 0, head.length);
    System.arraycopy(tail, 0, address, 16 - tail.length, tail.length);
    return address;
  }

  /** The bytes of colon-separated groups; a dotted quad only last, where {@code last} allows. */
  private static byte[] groups(String text, boolean last) {
    if (text.isEmpty()) {
      return new byte[0];
    }
    String[] parts = text.split(":", -1);
    byte[] out = new byte[parts.length * 2 + 2];
    int n = 0;
    for (int i = 0; i < parts.length; i++) {
      String p = parts[i];
      if (i == parts.length - 1 && last && p.contains(".")) {
        byte[] v4 = ipv4(p);
        if (v4 == null) {
          return null;
        }
        System.arraycopy(v4, 0, out, n, 4);
        n += 4;
        continue;
      }
      if (p.isEmpty()
          || p.length() > 4
          || !p.chars().allMatch(c -> Character.digit(c, 16) >= 0 && c < 128)) {
        return null;
      }
      int value = Integer.parseInt(p, 16);
      out[n++] = (byte) (value >> 8);
      out[n++] = (byte) value;
    }
    if (n > 16) {
      return null;
    }
    return Arrays.copyOf(out, n);
  }

  private static InetAddress address(byte[] bytes) {
    try {
      return InetAddress.getByAddress(bytes); // no lookup: the address is given
    } catch (UnknownHostException e) {
      throw new IllegalStateException(e);
    }
  }

  // ------------------------------------------------------------------ the rule on addresses

  /**
   * Why the rule refuses an address (and whether the switch opens it), or null for a public one.
   */
  static Refusal refusal(InetAddress address) {
    return refusal(address.getAddress());
  }

  static Refusal refusal(byte[] address) {
    for (Range r : RANGES) {
      if (!r.contains(address)) {
        continue;
      }
      if (r.ipv4 == Carries.NOTHING) {
        return new Refusal(r.kind, r.where(), r.reach);
      }
      byte[] v4 = carried(address, r.ipv4);
      Refusal inner = refusal(v4);
      if (inner == null) {
        return null; // a public IPv4 address, written in IPv6
      }
      return new Refusal(
          inner.kind,
          inner.where + ", as " + address(v4).getHostAddress() + " inside " + r.kind + " " + r.cidr,
          inner.reach);
    }
    if (address.length == 16 && !GLOBAL_UNICAST.contains(address)) {
      return new Refusal("reserved", "outside global unicast 2000::/3", Reach.NEVER);
    }
    return null;
  }

  private static byte[] carried(byte[] a, Carries how) {
    return switch (how) {
      case LAST_32_BITS -> new byte[] {a[12], a[13], a[14], a[15]};
      case BITS_16_TO_47 -> new byte[] {a[2], a[3], a[4], a[5]};
      case TEREDO_CLIENT -> new byte[] {(byte) ~a[12], (byte) ~a[13], (byte) ~a[14], (byte) ~a[15]};
      case NOTHING -> throw new IllegalArgumentException();
    };
  }

  /** Why the rule refuses a name before any lookup, or null when its addresses decide. */
  static Refusal refusal(String name) {
    String n = name.toLowerCase(Locale.ROOT);
    if (n.endsWith(".")) {
      n = n.substring(0, n.length() - 1);
    }
    for (String[] local : LOCAL_NAMES) {
      if (n.equals(local[0]) || n.endsWith("." + local[0])) {
        return new Refusal(
            local[1], "a name under " + local[0] + ". (" + local[2] + ")", Reach.LOCAL);
      }
    }
    return null;
  }

  /** Why a target's host is refused before any lookup (a literal, or a local name), or null. */
  static Refusal refusal(Target target) {
    return target.literal() != null ? refusal(target.literal()) : refusal(target.host());
  }

  /** Whether this deployment's switch lets a refusal through. */
  private boolean opens(Refusal r) {
    return r == null || (allowPrivate && r.reach() == Reach.LOCAL);
  }

  // ------------------------------------------------------------------ checking

  /**
   * Every address of a name, resolved on a worker thread: name resolution blocks. Never called with
   * a literal: {@link #addresses} takes those as they are.
   */
  Future<List<InetAddress>> resolve(String name) {
    return vertx.executeBlocking(() -> List.of(InetAddress.getAllByName(name)), false);
  }

  /**
   * The addresses a delivery to the target may connect to, each allowed by the rule: the literal,
   * or every address its name resolves to now. Fails with {@link Refused} naming the first refused
   * one, or with {@link UnknownHostException} for a name that does not resolve.
   */
  Future<List<InetAddress>> addresses(Target target) {
    Refusal before = refusal(target);
    if (!opens(before)) {
      return Future.failedFuture(refused(target.shown(), before));
    }
    if (target.literal() != null) {
      return Future.succeededFuture(List.of(target.literal()));
    }
    return resolve(target.host())
        .compose(
            resolved -> {
              for (InetAddress address : resolved) {
                Refusal r = refusal(address);
                if (!opens(r)) {
                  return Future.failedFuture(
                      refused(target.host() + " → " + address.getHostAddress(), r));
                }
              }
              return Future.succeededFuture(resolved);
            });
  }

  /**
   * Checks a URL for registration: its form, and the addresses its host is or resolves to now. A
   * name that does not resolve now is accepted (every delivery resolves it again and checks the
   * addresses it may connect to). Fails with {@link Refused}, naming the reason.
   */
  Future<URI> check(Object url) {
    Target target;
    try {
      target = parse(url);
    } catch (Refused e) {
      return Future.failedFuture(e);
    }
    return addresses(target)
        .transform(
            checked ->
                checked.succeeded() || checked.cause() instanceof UnknownHostException
                    ? Future.succeededFuture(target.uri())
                    : Future.failedFuture(checked.cause()));
  }

  static Refused refused(String shown, Refusal r) {
    String what = r.kind();
    String article = "aeiou".indexOf(what.charAt(0)) >= 0 ? "an " : "a ";
    return new Refused(
        "url must not target "
            + article
            + what
            + " address ("
            + shown
            + ", "
            + r.where()
            + "): "
            + (r.reach() == Reach.LOCAL
                ? "set alerts.webhookPrivateTargets (DENSITY_WEBHOOK_PRIVATE_TARGETS=on) to allow"
                    + " such targets on a closed network"
                : "no webhook may target one"));
  }

  /** The port of a URL, or its scheme's. */
  static int port(URI uri) {
    return uri.getPort() != -1
        ? uri.getPort()
        : "https".equalsIgnoreCase(uri.getScheme()) ? 443 : 80;
  }
}
