package io.density.cli;

import io.density.config.DensityConfig;
import io.density.db.Schema;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;

/** {@code schema migrate}: applies the migrations not yet applied, then exits. */
@Command(
    name = "migrate",
    mixinStandardHelpOptions = true,
    description = {
      "Applies the schema migrations (sql/V<n>__*.sql) not yet applied to the configured"
          + " PostgreSQL database and records them in its table "
          + Schema.HISTORY
          + ", then exits. The server does the same at start; run this to upgrade before"
          + " starting a new release. A database made before migrations were recorded is"
          + " baselined at version "
          + Schema.BASELINE
          + " (its scripts are not run again)."
    })
public final class SchemaMigrateCommand implements Callable<Integer> {
  @Override
  public Integer call() {
    DensityConfig config = null;
    try {
      config = Startup.configured();
      System.out.println(Schema.migrate(config.postgres()));
      return 0;
    } catch (Throwable e) {
      System.err.println("schema migrate failed: " + StartupFaults.explain(e, config));
      return 1;
    }
  }
}
