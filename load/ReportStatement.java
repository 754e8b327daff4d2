import java.lang.reflect.Field;

/**
 * Prints one of the server's SQL statements, exactly as the server sends it, so that a benchmark
 * can run it through psql for its floor. Run with the server's jar on the class path (Java's
 * single-file launcher):
 *
 * <pre>java -cp target/density.jar load/ReportStatement.java io.density.history.Statements UTILIZATION</pre>
 */
public final class ReportStatement {
  private ReportStatement() {}

  public static void main(String[] args) throws Exception {
    if (args.length != 2) {
      System.err.println("usage: ReportStatement CLASS FIELD");
      System.exit(2);
    }
    Field field = Class.forName(args[0]).getDeclaredField(args[1]);
    field.setAccessible(true);
    System.out.println(field.get(null));
  }
}
