package io.density.load;

/** Entry point of the load tools: {@code java -jar density.jar load <tool> [options]}. */
public final class LoadMain {
  private LoadMain() {}

  public static void main(String[] args) {
    System.err.println("usage: java -jar density.jar load <replay|bench> [options]");
    System.exit(2);
  }
}
