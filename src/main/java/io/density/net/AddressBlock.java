package io.density.net;

/**
 * A block of IP addresses, as a CIDR writes it: the bytes of its first address (4 for IPv4, 16 for
 * IPv6) and the length of its prefix in bits. How an address is parsed is its user's business: the
 * webhook rule parses strictly, the client address rule takes what the socket gives.
 */
public record AddressBlock(byte[] network, int prefix) {
  public AddressBlock {
    if (prefix < 0 || prefix > network.length * 8) {
      throw new IllegalArgumentException(
          "a prefix of " + prefix + " bits does not fit the address");
    }
  }

  /** Whether the address (its bytes; another family is never inside) is in this block. */
  public boolean contains(byte[] address) {
    if (address.length != network.length) {
      return false;
    }
    int whole = prefix / 8;
    for (int i = 0; i < whole; i++) {
      if (address[i] != network[i]) {
        return false;
      }
    }
    int rest = prefix % 8;
    if (rest == 0) {
      return true;
    }
    int mask = (0xff << (8 - rest)) & 0xff;
    return (address[whole] & mask) == (network[whole] & mask);
  }
}
