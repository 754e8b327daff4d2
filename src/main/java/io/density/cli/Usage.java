package io.density.cli;

import java.util.LinkedHashMap;
import java.util.Map;
import picocli.CommandLine;

/** What every command's help shows besides its own options: the headings and the exit codes. */
public final class Usage {
  private Usage() {}

  private static final Map<String, String> EXIT_CODES = new LinkedHashMap<>();

  static {
    EXIT_CODES.put("0", "done (serve and dev: started and running)");
    EXIT_CODES.put("1", "a fault at run time, said in a sentence that names the setting to fix");
    EXIT_CODES.put(
        "2",
        "a wrong command line (unknown command or flag, a missing or malformed value);"
            + " nothing was read or connected");
  }

  /** Styles the command line's help and that of each of its commands. */
  public static void style(CommandLine line) {
    line.getCommandSpec()
        .usageMessage()
        .synopsisHeading("usage: ")
        .exitCodeListHeading("%nExit codes:%n")
        .exitCodeList(EXIT_CODES);
    line.getCommandSpec()
        .usageMessage()
        .footerHeading("%n")
        .footer(
            "Configuration comes from conf/config.json and DENSITY_* environment variables"
                + " (README, Configuration).");
    line.getSubcommands().values().forEach(Usage::style);
  }

  /** The version of the jar (its manifest), or "development" when run from classes. */
  public static final class Version implements CommandLine.IVersionProvider {
    @Override
    public String[] getVersion() {
      String version = Version.class.getPackage().getImplementationVersion();
      return new String[] {"Density " + (version == null ? "(development build)" : version)};
    }
  }
}
