package io.density.db;

import io.density.bus.Failure;
import io.vertx.core.eventbus.ReplyException;
import io.vertx.pgclient.PgException;
import java.util.Map;

/** The PostgreSQL error codes (SQLSTATE) the server turns into failures a client can act on. */
public final class SqlStates {
  private SqlStates() {}

  /** A row refers to one that does not exist. */
  public static final String FOREIGN_KEY_VIOLATION = "23503";

  /** A row overlaps another where an exclusion constraint forbids it. */
  public static final String EXCLUSION_VIOLATION = "23P01";

  /** A value out of a CHECK constraint's range. */
  public static final String CHECK_VIOLATION = "23514";

  /** The error's SQLSTATE when PostgreSQL refused a statement; null for any other failure. */
  public static String of(Throwable err) {
    return err instanceof PgException pg ? pg.getSqlState() : null;
  }

  /** The constraint PostgreSQL named, or "". */
  public static String constraint(Throwable err) {
    return err instanceof PgException pg && pg.getConstraint() != null ? pg.getConstraint() : "";
  }

  /**
   * The one mapping of a failed statement to a failure a client can act on. A failure code already
   * given passes as it is; a broken constraint the caller names gets the caller's words; other
   * integrity errors get general ones (a reference to nothing registered is 422 naming the field,
   * an overlap 409, a value out of range 422); anything else is {@link Failure#UNAVAILABLE}, naming
   * {@code who} failed.
   */
  public static ReplyException failure(
      Throwable err, String who, Map<String, ReplyException> byConstraint) {
    if (err instanceof ReplyException re) {
      return re;
    }
    String state = of(err);
    String constraint = constraint(err);
    if (state != null && state.startsWith("23") && byConstraint.containsKey(constraint)) {
      return byConstraint.get(constraint);
    }
    if (FOREIGN_KEY_VIOLATION.equals(state)) {
      String field = referencedField(constraint);
      return Failure.invalid(
          field,
          field == null ? "a reference names nothing registered" : field + " is not registered");
    }
    if (EXCLUSION_VIOLATION.equals(state)) {
      return Failure.conflict(null, "it overlaps what is stored (" + constraint + ")");
    }
    if (CHECK_VIOLATION.equals(state)) {
      return Failure.invalid(null, "value out of range: " + constraint);
    }
    return Failure.unavailable(who + ": " + err.getMessage());
  }

  /** The field a foreign key's default name ({@code <table>_<field>_fkey}) refers by. */
  private static String referencedField(String constraint) {
    for (String field : new String[] {"parent_id", "dpu_id", "doorway_id", "space_id"}) {
      if (constraint.contains(field)) {
        return field;
      }
    }
    return null;
  }
}
