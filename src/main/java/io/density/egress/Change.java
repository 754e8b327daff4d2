package io.density.egress;

import io.vertx.core.json.JsonObject;
import java.util.Locale;

/**
 * One message for the brokers, read from the durable outbox: a change of a space's count, or an
 * alert of a space or a DPU. {@code key} is the space id (or the DPU id of a DPU alert), never
 * encoded; {@code seq} grows by one per key with each change, assigned in the transaction that
 * stored the change, so a repeat of the same {@code (key, seq)} always has the same content. {@code
 * body} is the message as consumers receive it (it holds the id itself too).
 */
public record Change(Kind kind, String key, long seq, JsonObject body) {

  /** What a change describes; each sink maps it to its topic or subject. */
  public enum Kind {
    /** {@code {space_id, count, timestamp, seq, cause}}: the count of a space after a change. */
    COUNT,
    /** An alert of a space fired or cleared. */
    SPACE_ALERT,
    /** An alert of a DPU (sensor health) fired or cleared. */
    DPU_ALERT;

    private final String token = name().toLowerCase(Locale.ROOT);

    /**
     * The kind as the outbox and the NATS message id spell it: {@code count}, {@code dpu_alert}.
     */
    public String token() {
      return token;
    }

    /** The kind an outbox row's token names. */
    public static Kind of(String token) {
      for (Kind kind : values()) {
        if (kind.token.equals(token)) {
          return kind;
        }
      }
      throw new IllegalArgumentException("no change is of the kind " + token);
    }
  }

  /**
   * What the order of changes is kept by: a space's counts and alerts share its {@code seq}, a
   * DPU's alerts have their own (a space and a DPU may have the same id).
   */
  public String orderKey() {
    return (kind == Kind.DPU_ALERT ? "dpu:" : "space:") + key;
  }
}
