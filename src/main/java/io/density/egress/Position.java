package io.density.egress;

/**
 * A place in the outbox's order: after the row ({@code xid}, {@code id}), xid being the id of the
 * transaction that wrote it (as PostgreSQL writes an {@code xid8}).
 */
record Position(String xid, long id) implements Comparable<Position> {
  /** Before every row. */
  static final Position START = new Position("0", 0);

  @Override
  public int compareTo(Position other) {
    int byXid =
        Long.compareUnsigned(Long.parseUnsignedLong(xid), Long.parseUnsignedLong(other.xid));
    return byXid != 0 ? byXid : Long.compare(id, other.id);
  }
}
