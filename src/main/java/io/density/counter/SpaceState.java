package io.density.counter;

/**
 * What Redis holds for a space ({@link RedisKeys#space}), as the server writes it when it loads or
 * replaces a space's head: its count, the order key of its latest change (ts µs, delta, datapoint
 * id; null without changes), and with an idle reset rule its period and latest effect (µs; null
 * without). Stored as one string of twelve fields, {@code
 * "count,ts,delta,id,idle,ets,tail,base,fts,fdelta,fid,tts"}, an empty field for none, so the
 * counting script reads and writes the spaces of a part in one {@code MGET} and one {@code MSET};
 * the last six are the tail's, which only the script writes (apply-batch.lua), and a state written
 * here has none: the space's tail starts again from this head.
 */
public record SpaceState(int count, Long ts, Integer delta, Long id, Long idle, Long effect) {

  /** Fields of the stored form. */
  private static final int FIELDS = 12;

  /** A space that exists and has no change yet. */
  public static final SpaceState NEW = new SpaceState(0, null, null, null, null, null);

  /** The stored form, as apply-batch.lua reads it. */
  public String encode() {
    return count
        + ","
        + field(ts)
        + ","
        + field(delta)
        + ","
        + field(id)
        + ","
        + field(idle)
        + ","
        + field(effect)
        + ",,,,,,";
  }

  /** The stored form read back (the tail's fields left out); null for null (no such space). */
  public static SpaceState parse(String stored) {
    if (stored == null) {
      return null;
    }
    String[] f = stored.split(",", -1);
    if (f.length != FIELDS || f[0].isEmpty()) {
      throw new IllegalArgumentException("not a space's state: " + stored);
    }
    return new SpaceState(
        Integer.parseInt(f[0]),
        number(f[1]),
        f[2].isEmpty() ? null : Integer.valueOf(f[2]),
        number(f[3]),
        number(f[4]),
        number(f[5]));
  }

  private static String field(Object value) {
    return value == null ? "" : value.toString();
  }

  private static Long number(String field) {
    return field.isEmpty() ? null : Long.valueOf(field);
  }
}
