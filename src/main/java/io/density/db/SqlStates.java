package io.density.db;

import io.vertx.pgclient.PgException;

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
}
