package io.density.load;

/**
 * The requests of one load tool that failed in a row: once {@link #MAX_IN_A_ROW} did, the run gives
 * up, that is stops starting requests, for good.
 */
final class FailureStreak {
  /** A run stops starting requests after this many failed ones in a row. */
  static final int MAX_IN_A_ROW = 10;

  private final String tool;
  private int inARow;
  private boolean gaveUp;

  FailureStreak(String tool) {
    this.tool = tool;
  }

  /** A request was answered: the streak is over. */
  void succeeded() {
    inARow = 0;
  }

  void failed() {
    inARow++;
  }

  /** The requests that failed since the last answered one. */
  int inARow() {
    return inARow;
  }

  boolean gaveUp() {
    return gaveUp;
  }

  /**
   * True once too many requests failed in a row (said once on stderr), and from then on: the run
   * starts no more requests.
   */
  boolean givingUp() {
    if (inARow >= MAX_IN_A_ROW && !gaveUp) {
      System.err.println(tool + ": " + inARow + " requests failed in a row, stopping");
      gaveUp = true;
    }
    return gaveUp;
  }
}
