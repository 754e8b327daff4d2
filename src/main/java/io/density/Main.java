package io.density;

import io.density.cli.DevCommand;
import io.density.cli.LoadCommand;
import io.density.cli.ReplayCommand;
import io.density.cli.SchemaCommand;
import io.density.cli.ServeCommand;
import io.density.cli.Startup;
import io.density.cli.TokenCommand;
import io.density.cli.Usage;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;

/**
 * {@code java -jar density.jar [serve | dev | replay | token create | schema migrate | load |
 * help]}: reads the command's name and hands over to its class in {@code io.density.cli}.
 *
 * <p>Exit codes: 0 done (or, for serve and dev, running); 1 a fault at run time, said in a sentence
 * that names the setting to fix; 2 a wrong command line (unknown command or flag, a missing or
 * malformed value), reported before anything is read or connected.
 */
@Command(
    name = "density.jar",
    mixinStandardHelpOptions = true,
    versionProvider = Usage.Version.class,
    description = "Density: people counting. With no command, runs serve.",
    subcommands = {
      ServeCommand.class,
      DevCommand.class,
      ReplayCommand.class,
      TokenCommand.class,
      SchemaCommand.class,
      LoadCommand.class,
      CommandLine.HelpCommand.class
    })
public final class Main implements Callable<Integer> {
  public static void main(String[] args) {
    int exit = commandLine().execute(args);
    if (exit != 0 || !Startup.running()) {
      System.exit(exit);
    }
  }

  /** The command line with the headings and exit codes every command's help shows. */
  static CommandLine commandLine() {
    CommandLine line = new CommandLine(new Main());
    // Everything after the tool's name is the tool's, --help included.
    line.getSubcommands().get("load").setStopAtPositional(true);
    Usage.style(line);
    return line;
  }

  /** No command: serve. */
  @Override
  public Integer call() {
    return new ServeCommand().call();
  }
}
