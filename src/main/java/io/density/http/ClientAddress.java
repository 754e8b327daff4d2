package io.density.http;

import io.density.net.AddressBlock;
import io.vertx.core.http.HttpConnection;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.core.net.SocketAddress;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Pattern;

/**
 * Who a client is, for the rules that share the server out per client address. It is the peer of
 * the connection, unless the peer is a trusted proxy ({@code http.trustedProxies}, addresses or
 * CIDR blocks): then it is the rightmost address of {@code X-Forwarded-For} that is not itself a
 * trusted proxy. A header from any other peer is ignored, since anyone can write one.
 */
final class ClientAddress {
  private static final Pattern IPV4 = Pattern.compile("\\d{1,3}(\\.\\d{1,3}){3}");

  private final List<AddressBlock> trusted = new ArrayList<>();

  /**
   * @param trustedProxies addresses and CIDR blocks ({@code 10.0.0.0/8}, {@code fd00::/8})
   * @throws IllegalArgumentException naming an entry that is neither
   */
  ClientAddress(List<String> trustedProxies) {
    for (String entry : trustedProxies) {
      int slash = entry.indexOf('/');
      byte[] network = literal(slash < 0 ? entry : entry.substring(0, slash));
      int prefix;
      try {
        prefix = slash < 0 ? network.length * 8 : Integer.parseInt(entry.substring(slash + 1));
      } catch (NumberFormatException | NullPointerException e) {
        prefix = -1;
      }
      if (network == null || prefix < 0 || prefix > network.length * 8) {
        throw new IllegalArgumentException(
            "http.trustedProxies: " + entry + " is not an address or a CIDR block");
      }
      trusted.add(new AddressBlock(network, prefix));
    }
  }

  /** The address of the client that sent {@code request}. */
  String of(HttpServerRequest request) {
    String peer = host(request.remoteAddress());
    if (trusted.isEmpty() || !isTrusted(peer)) {
      return peer;
    }
    String forwarded = request.getHeader("X-Forwarded-For");
    if (forwarded == null) {
      return peer;
    }
    String[] hops = forwarded.split(",");
    for (int i = hops.length - 1; i >= 0; i--) {
      String hop = hops[i].trim();
      if (!hop.isEmpty() && !isTrusted(hop)) {
        return hop;
      }
    }
    return peer;
  }

  /** The peer address of a connection (before any request names a forwarded one). */
  static String of(HttpConnection connection) {
    return host(connection.remoteAddress());
  }

  /** Whether {@code address} is one of the trusted proxies. */
  boolean isTrusted(String address) {
    byte[] bytes = literal(address);
    if (bytes == null) {
      return false;
    }
    for (AddressBlock block : trusted) {
      if (block.contains(bytes)) {
        return true;
      }
    }
    return false;
  }

  private static String host(SocketAddress address) {
    if (address == null) {
      return "-";
    }
    return address.hostAddress() != null ? address.hostAddress() : address.toString();
  }

  /** The bytes of an address literal; null for anything else (never a name lookup). */
  private static byte[] literal(String text) {
    if (text == null || !(IPV4.matcher(text).matches() || text.indexOf(':') >= 0)) {
      return null;
    }
    String bare =
        text.startsWith("[") && text.endsWith("]") ? text.substring(1, text.length() - 1) : text;
    if (bare.indexOf('%') >= 0) {
      return null;
    }
    try {
      // A dotted quad or a text with a colon is read as a literal: no lookup is made.
      return InetAddress.getByName(bare).getAddress();
    } catch (UnknownHostException | SecurityException e) {
      return null;
    }
  }
}
