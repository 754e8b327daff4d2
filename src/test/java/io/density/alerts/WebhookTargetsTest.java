package io.density.alerts;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.vertx.core.Future;
import java.net.InetAddress;
import java.util.List;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

@DisplayName("The webhook target rule: the URL's form, special-purpose addresses, local names")
class WebhookTargetsTest {

  /**
   * What the rule says of a URL before any lookup: "form" (refused for its form), "accepted"
   * (public, or a name whose addresses will decide), or the reach and kind of the refusal
   * ("local:loopback", "never:documentation").
   */
  private static String verdict(String url) {
    WebhookTargets.Target target;
    try {
      target = WebhookTargets.parse(url);
    } catch (WebhookTargets.Refused e) {
      return "form";
    }
    WebhookTargets.Refusal r = WebhookTargets.refusal(target);
    return r == null ? "accepted" : r.reach().name().toLowerCase() + ":" + r.kind();
  }

  @ParameterizedTest(name = "{0} → {1}")
  @DisplayName("each URL gets its verdict")
  @CsvSource(
      delimiter = '|',
      textBlock =
          """
          # Not an http(s) URL with a host
          ftp://example.com/                                   | form
          file:///etc/passwd                                   | form
          mailto:ops@example.com                               | form
          http:///nohost                                       | form
          not a url                                            | form
          https://example.com:0/                               | form
          https://example.com:65536/                           | form
          # IPv4 written other than as a canonical dotted quad
          http://0x7f000001/                                   | form
          http://0X7F000001/                                   | form
          http://017700000001/                                 | form
          http://2130706433/                                   | form
          http://127.1/                                        | form
          http://0x7f.0x0.0x0.0x1/                             | form
          http://010.0.0.1/                                    | form
          http://1.2.3.04/                                     | form
          http://127.0.0.1./                                   | form
          http://256.1.1.1/                                    | form
          http://1.2.3.4.5/                                    | form
          http://12345/                                        | form
          http://example.0x1f/                                 | form
          http://[::ffff:127.1]/                               | form
          http://[::ffff:010.0.0.1]/                           | form
          http://[fe80::1%25eth0]/                             | form
          http://[00001::]/                                    | form
          # Not a DNS name
          http://a_b.example.com/                              | form
          http://-a.example.com/                               | form
          http://a-.example.com/                               | form
          http://a..example.com/                               | form
          http://.example.com/                                 | form
          http://bücher.example/                               | form
          # Local names: the switch opens them
          http://localhost/                                    | local:loopback
          http://localhost./                                   | local:loopback
          http://LocalHost:8080/                               | local:loopback
          http://api.localhost/                                | local:loopback
          http://api.localhost./                               | local:loopback
          http://printer.local/                                | local:link-local
          http://nas.home.arpa/                                | local:private-use
          http://metadata.google.internal/                     | local:private-use
          # IPv4 of the site's own network: the switch opens them
          http://127.0.0.1/                                    | local:loopback
          http://127.8.9.10:8080/                              | local:loopback
          https://10.1.2.3/hook                                | local:private-use
          http://172.16.0.1/                                   | local:private-use
          http://172.31.255.255/                               | local:private-use
          http://192.168.1.20:8000/                            | local:private-use
          http://100.64.0.1/                                   | local:shared
          http://100.127.255.255/                              | local:shared
          http://169.254.169.254/latest/meta-data/             | local:link-local
          # IPv6 of the site's own network
          http://[::1]:8080/                                   | local:loopback
          http://[0:0:0:0:0:0:0:1]/                            | local:loopback
          http://[fe80::1]/                                    | local:link-local
          http://[febf:ffff::1]/                               | local:link-local
          http://[fd12:3456::1]/                               | local:unique local
          http://[fc00::1]/                                    | local:unique local
          http://[fec0::1]/                                    | local:site-local
          http://[64:ff9b:1::a00:1]/                           | local:local-use NAT64
          # IPv4 carried in IPv6: judged by the IPv4 address
          http://[::ffff:127.0.0.1]/                           | local:loopback
          http://[::FFFF:7F00:1]/                              | local:loopback
          http://[::ffff:10.0.0.1]/                            | local:private-use
          http://[64:ff9b::7f00:1]/                            | local:loopback
          http://[64:ff9b::127.0.0.1]/                         | local:loopback
          http://[64:ff9b::a9fe:a9fe]/                         | local:link-local
          http://[2002:7f00:1::]/                              | local:loopback
          http://[2002:c0a8:101::1]/                           | local:private-use
          http://[2001:0:4136:e378:8000:63bf:80ff:fffe]/       | local:loopback
          http://[2001:0:4136:e378:8000:63bf:f5ff:fffe]/       | local:private-use
          http://[::ffff:0.0.0.0]/                             | never:unspecified
          http://[64:ff9b::c000:201]/                          | never:documentation
          http://[2002:cb00:710a::]/                           | never:documentation
          http://[2001:0:4136:e378:8000:63bf:1fff:fffe]/       | never:multicast
          # Never a target, whatever the switch says
          http://0.0.0.0:8080/                                 | never:unspecified
          http://0.1.2.3/                                      | never:unspecified
          http://192.0.0.8/                                    | never:reserved
          http://192.0.2.1/                                    | never:documentation
          http://198.51.100.7/                                 | never:documentation
          https://203.0.113.10/h                               | never:documentation
          http://198.18.0.1/                                   | never:benchmarking
          http://198.19.255.255/                               | never:benchmarking
          http://192.88.99.1/                                  | never:reserved
          http://192.31.196.1/                                 | never:reserved
          http://192.52.193.1/                                 | never:reserved
          http://192.175.48.1/                                 | never:reserved
          http://224.0.0.1/                                    | never:multicast
          http://239.255.255.250/                              | never:multicast
          http://240.0.0.1/                                    | never:reserved
          http://255.255.255.254/                              | never:reserved
          http://255.255.255.255/                              | never:broadcast
          http://[::]/                                         | never:unspecified
          http://[::1.2.3.4]/                                  | never:reserved
          http://[100::1]/                                     | never:reserved
          http://[2001:2::1]/                                  | never:benchmarking
          http://[2001:10::1]/                                 | never:reserved
          http://[2001:1ff:ffff::1]/                           | never:reserved
          http://[2001:db8::1]/                                | never:documentation
          http://[3fff::1]/                                    | never:documentation
          http://[2620:4f:8000::1]/                            | never:reserved
          http://[5f00::1]/                                    | never:reserved
          http://[4000::1]/                                    | never:reserved
          http://[1::]/                                        | never:reserved
          http://[ff02::1]/                                    | never:multicast
          # Public: accepted (a name's addresses are checked once it is looked up)
          https://example.com/hook                             | accepted
          https://OPS.Example.com./density                     | accepted
          https://hooks.example.com:8443/a/b?x=1               | accepted
          https://user:pw@example.com/p?token=x                | accepted
          https://xn--bcher-kva.example/                       | accepted
          https://0xfeed.example.com/                          | accepted
          https://1password.com/                               | accepted
          https://a-b.example/                                 | accepted
          https://1.1.1.1/                                     | accepted
          http://8.8.8.8:8080/x                                | accepted
          http://11.0.0.1/                                     | accepted
          http://100.63.255.255/                               | accepted
          http://100.128.0.0/                                  | accepted
          http://172.15.255.255/                               | accepted
          http://172.32.0.0/                                   | accepted
          http://198.17.255.255/                               | accepted
          http://198.20.0.0/                                   | accepted
          http://223.255.255.255/                              | accepted
          http://[2606:4700:4700::1111]/                       | accepted
          http://[2001:4860:4860::8888]:8080/                  | accepted
          http://[2001:200::1]/                                | accepted
          http://[::ffff:8.8.8.8]/                             | accepted
          http://[64:ff9b::808:808]/                           | accepted
          http://[2002:808:808::1]/                            | accepted
          http://[2001:0:4136:e378:8000:63bf:f7f7:f7f7]/       | accepted
          """)
  void verdicts(String url, String expected) {
    assertEquals(expected, verdict(url), url);
  }

  @Test
  @DisplayName("labels of at most 63 characters, names of at most 253")
  void lengths() {
    String label63 = "a".repeat(63);
    assertEquals("accepted", verdict("https://" + label63 + ".example.com/"));
    assertEquals("form", verdict("https://" + label63 + "a.example.com/"));
    String name253 = String.join(".", List.of("a".repeat(61), "b".repeat(63), "c".repeat(63)));
    name253 = name253 + "." + "d".repeat(253 - name253.length() - 1);
    assertEquals(253, name253.length());
    assertEquals("accepted", verdict("https://" + name253 + "/"));
    assertEquals("accepted", verdict("https://" + name253 + "./"), "a trailing dot aside");
    assertEquals("form", verdict("https://" + name253 + "e/"));
  }

  @Test
  @DisplayName("alerts.webhookPrivateTargets opens the site's own network and nothing else")
  void theSwitch() {
    WebhookTargets closed = new WebhookTargets(null, false);
    WebhookTargets open = new WebhookTargets(null, true);
    for (String local :
        List.of(
            "http://127.0.0.1/",
            "http://10.0.0.1/",
            "http://100.64.0.1/",
            "http://169.254.169.254/",
            "http://[fd00::1]/",
            "http://[64:ff9b::7f00:1]/",
            "http://[2002:7f00:1::]/")) {
      assertRefused(closed, local, "webhookPrivateTargets");
      assertTrue(addresses(open, local).succeeded(), local + " with private targets allowed");
    }
    for (String never :
        List.of(
            "http://0.0.0.0/",
            "http://192.0.2.1/",
            "http://198.18.0.1/",
            "http://224.0.0.1/",
            "http://255.255.255.255/",
            "http://[2001:db8::1]/",
            "http://[ff02::1]/")) {
      assertRefused(closed, never, "no webhook may target one");
      assertRefused(open, never, "no webhook may target one");
    }
    assertEquals(
        List.of("1.1.1.1"),
        addresses(closed, "https://1.1.1.1/").result().stream()
            .map(InetAddress::getHostAddress)
            .toList(),
        "a literal is its own address: nothing is looked up");
  }

  private static Future<List<InetAddress>> addresses(WebhookTargets targets, String url) {
    try {
      return targets.addresses(WebhookTargets.parse(url));
    } catch (WebhookTargets.Refused e) {
      throw new AssertionError(url, e);
    }
  }

  private static void assertRefused(WebhookTargets targets, String url, String says) {
    Future<List<InetAddress>> checked = addresses(targets, url);
    assertTrue(checked.failed(), url + " is refused");
    assertTrue(checked.cause() instanceof WebhookTargets.Refused, url);
    assertTrue(checked.cause().getMessage().contains(says), checked.cause().getMessage());
    assertTrue(checked.cause().getMessage().startsWith("url must not target"));
  }

  @Test
  @DisplayName("a refusal names the address, its range and the IPv4 address carried")
  void messages() {
    assertEquals(
        "url must not target a loopback address ([64:ff9b::7f00:1], in 127.0.0.0/8, as 127.0.0.1"
            + " inside NAT64 64:ff9b::/96): set alerts.webhookPrivateTargets"
            + " (DENSITY_WEBHOOK_PRIVATE_TARGETS=on) to allow such targets on a closed network",
        addresses(new WebhookTargets(null, false), "http://[64:ff9b::7f00:1]/")
            .cause()
            .getMessage());
    assertEquals(
        "url must not target a documentation address (192.0.2.1, in 192.0.2.0/24, TEST-NET-1): no webhook"
            + " may target one",
        addresses(new WebhookTargets(null, true), "http://192.0.2.1/").cause().getMessage());
    assertEquals(
        "url must not target a loopback address (localhost., a name under localhost. (RFC 6761)):"
            + " set alerts.webhookPrivateTargets (DENSITY_WEBHOOK_PRIVATE_TARGETS=on) to allow"
            + " such targets on a closed network",
        addresses(new WebhookTargets(null, false), "http://localhost./").cause().getMessage());
  }

  @Test
  @DisplayName("an address resolved at delivery is judged by the same rule")
  void resolvedAddresses() throws Exception {
    // What a lookup returns: an InetAddress made from bytes (an IPv4-mapped one becomes IPv4).
    assertEquals(
        "loopback",
        WebhookTargets.refusal(InetAddress.getByAddress("h", bytes("::ffff:127.0.0.1"))).kind());
    assertEquals(
        "link-local",
        WebhookTargets.refusal(
                InetAddress.getByAddress("h", new byte[] {(byte) 169, (byte) 254, 1, 1}))
            .kind());
    assertEquals(
        "loopback",
        WebhookTargets.refusal(InetAddress.getByAddress("h", bytes("2002:7f00:1::"))).kind());
    assertNull(WebhookTargets.refusal(InetAddress.getByAddress("h", new byte[] {8, 8, 8, 8})));
    assertNull(WebhookTargets.refusal(InetAddress.getByAddress(bytes("2606:4700::1"))));
  }

  private static byte[] bytes(String ipv6) {
    byte[] b = WebhookTargets.ipv6(ipv6);
    assertNotNull(b, ipv6);
    return b;
  }

  @ParameterizedTest(name = "{0}")
  @DisplayName("IPv6 text forms: the JDK reads the accepted ones alike")
  @CsvSource({
    "::",
    "::1",
    "1::",
    "1:2:3:4:5:6:7::",
    "::2:3:4:5:6:7:8",
    "1:2:3:4:5:6:7:8",
    "1:2:3:4:5:6:1.2.3.4",
    "::ffff:1.2.3.4",
    "64:ff9b::192.0.2.33",
    "fe80::abcd:EF01",
    "2001:db8:0:0:1:0:0:1"
  })
  void ipv6Forms(String text) throws Exception {
    // A bracketed literal is never looked up; an IPv4-mapped one comes back as IPv4.
    byte[] jdk = InetAddress.getByName("[" + text + "]").getAddress();
    if (jdk.length == 4) {
      jdk = new byte[] {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, -1, -1, jdk[0], jdk[1], jdk[2], jdk[3]};
    }
    assertArrayEquals(jdk, WebhookTargets.ipv6(text));
  }

  @ParameterizedTest(name = "[{index}] \"{0}\"")
  @DisplayName("IPv6 text that is not an address")
  @CsvSource({
    "''",
    ":",
    ":::",
    "1::2::3",
    "00001::",
    "1:2:3:4:5:6:7:8:9",
    "1::2:3:4:5:6:7:8",
    "1:2:3:4:5:6:7",
    ":1::",
    "1:",
    "g::",
    "::1.2.3",
    "::1.2.3.4:5",
    "1.2.3.4::",
    "::ffff:127.1",
    "::ffff:1.2.3.256"
  })
  void notIpv6(String text) {
    assertNull(WebhookTargets.ipv6(text), text);
  }
}
