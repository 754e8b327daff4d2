package io.density.alerts;

import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.SecureRandom;
import java.util.Base64;
import java.util.HexFormat;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;

/**
 * Signatures of webhook deliveries. Each webhook has a secret ({@code whsec_} and 256 random bits
 * in base64url); each delivery carries {@value #TIMESTAMP} (Unix seconds when it was sent) and
 * {@value #SIGNATURE}: {@code sha256=} and the lowercase hex HMAC-SHA256, keyed with the secret's
 * UTF-8 bytes, of the timestamp, a dot and the body's bytes. A receiver recomputes it, compares in
 * constant time and refuses timestamps too far from its clock (replays).
 */
public final class WebhookSigner {
  private WebhookSigner() {}

  public static final String SIGNATURE = "X-Density-Signature";
  public static final String TIMESTAMP = "X-Density-Timestamp";

  private static final SecureRandom RANDOM = new SecureRandom();

  /** A new secret: {@code whsec_} and 256 random bits in base64url. */
  static String newSecret() {
    byte[] random = new byte[32];
    RANDOM.nextBytes(random);
    return "whsec_" + Base64.getUrlEncoder().withoutPadding().encodeToString(random);
  }

  /** The {@value #SIGNATURE} value of a body sent at {@code timestamp} (Unix seconds). */
  public static String sign(String secret, long timestamp, byte[] body) {
    try {
      Mac mac = Mac.getInstance("HmacSHA256");
      mac.init(new SecretKeySpec(secret.getBytes(StandardCharsets.UTF_8), "HmacSHA256"));
      mac.update((timestamp + ".").getBytes(StandardCharsets.US_ASCII));
      return "sha256=" + HexFormat.of().formatHex(mac.doFinal(body));
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException("HMAC-SHA256 is missing from this JVM", e);
    }
  }
}
