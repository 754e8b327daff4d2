package io.density.cli;

import java.io.IOException;
import java.net.URISyntaxException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Parameters;

/**
 * {@code load TOOL [OPTIONS]}: runs a load tool of {@code density-load.jar}, the jar of its own
 * beside this one, in a JVM of its own, and exits with its status.
 */
@Command(
    name = "load",
    mixinStandardHelpOptions = true,
    description = {
      "Runs a load tool against a running server: replay, bench, late, events, overload or"
          + " mqtt (`load TOOL --help` prints the tool's options). The tools are a jar of their"
          + " own, density-load.jar, so that this one holds the server only; it is looked for"
          + " beside this jar (DENSITY_LOAD_JAR names another), started in a JVM of its own, and"
          + " its exit status is this command's: 0 done, 1 failed requests, 2 a wrong tool line."
    })
public final class LoadCommand implements Callable<Integer> {
  @Parameters(
      arity = "1..*",
      paramLabel = "TOOL [OPTIONS]",
      description = "the tool and its options, passed on as they are")
  List<String> tool;

  @Override
  public Integer call() {
    Path jar = loadJar();
    if (!Files.isRegularFile(jar)) {
      System.err.println(
          "load: the load tools are not at "
              + jar
              + "; `mvn package` builds target/density-load.jar beside target/density.jar, and"
              + " DENSITY_LOAD_JAR names it when it is elsewhere");
      return 1;
    }
    List<String> command = new ArrayList<>();
    command.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
    command.add("-jar");
    command.add(jar.toString());
    command.addAll(tool);
    try {
      return new ProcessBuilder(command).inheritIO().start().waitFor();
    } catch (IOException e) {
      System.err.println("load: cannot start " + jar + ": " + e.getMessage());
      return 1;
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return 1;
    }
  }

  /** DENSITY_LOAD_JAR, else density-load.jar in the directory of this jar (or of its classes). */
  private static Path loadJar() {
    String named = System.getenv("DENSITY_LOAD_JAR");
    if (named != null && !named.isBlank()) {
      return Path.of(named);
    }
    try {
      Path here =
          Path.of(LoadCommand.class.getProtectionDomain().getCodeSource().getLocation().toURI());
      return here.toAbsolutePath().getParent().resolve("density-load.jar");
    } catch (URISyntaxException e) {
      throw new IllegalStateException(e);
    }
  }
}
