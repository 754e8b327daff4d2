package io.density.load;

/**
 * The error lines of one load tool on stderr, each as {@code <tool>: <line>}: the first {@code cap}
 * only, then one {@code <tool>: (further errors not shown)}, then none.
 */
final class ErrorLog {
  private final String tool;
  private final int cap;
  private int shown;

  ErrorLog(String tool, int cap) {
    this.tool = tool;
    this.cap = cap;
  }

  void show(String line) {
    if (shown < cap) {
      System.err.println(tool + ": " + line);
    } else if (shown == cap) {
      System.err.println(tool + ": (further errors not shown)");
    }
    shown++;
  }
}
