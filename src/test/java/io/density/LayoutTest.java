package io.density;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

/**
 * The rules of the layout that the compiler does not enforce, read from the sources: which room may
 * use which (see docs/architecture.md).
 */
@DisplayName("The layout: rooms and the arrows between them")
class LayoutTest {
  private static final Path SERVER = Path.of("src/main/java/io/density");

  private static List<Path> sources(Path dir) throws IOException {
    try (Stream<Path> files = Files.walk(dir)) {
      return files.filter(p -> p.toString().endsWith(".java")).sorted().toList();
    }
  }

  /** The files of the server that import from the given package. */
  private static Set<String> importing(String pkg) throws IOException {
    Set<String> found = new TreeSet<>();
    for (Path file : sources(SERVER)) {
      for (String line : Files.readAllLines(file)) {
        if (line.startsWith("import io.density." + pkg + ".")
            || line.startsWith("import static io.density." + pkg + ".")) {
          found.add(SERVER.relativize(file).toString());
        }
      }
    }
    return found;
  }

  /** Each room (package under io.density; "" for the root) and the rooms it imports from. */
  private static Map<String, Set<String>> arrows() throws IOException {
    Pattern imported = Pattern.compile("^import (?:static )?io\\.density\\.((?:[a-z]+\\.)*)[A-Z]");
    Map<String, Set<String>> arrows = new TreeMap<>();
    for (Path file : sources(SERVER)) {
      Path dir = SERVER.relativize(file).getParent();
      String room = dir == null ? "" : dir.toString().replace('/', '.');
      Set<String> to = arrows.computeIfAbsent(room, r -> new TreeSet<>());
      for (String line : Files.readAllLines(file)) {
        Matcher m = imported.matcher(line);
        if (m.find()) {
          String target =
              m.group(1).isEmpty() ? "" : m.group(1).substring(0, m.group(1).length() - 1);
          if (!target.equals(room)) {
            to.add(target);
          }
        }
      }
    }
    return arrows;
  }

  @Test
  @DisplayName("no two rooms depend on each other, however indirectly")
  void noLoops() throws IOException {
    Map<String, Set<String>> arrows = arrows();
    for (String room : arrows.keySet()) {
      // Every room reachable from this one must not lead back to it.
      Set<String> seen = new TreeSet<>();
      Deque<String> next = new ArrayDeque<>(arrows.get(room));
      while (!next.isEmpty()) {
        String r = next.pop();
        if (seen.add(r)) {
          next.addAll(arrows.getOrDefault(r, Set.of()));
        }
      }
      assertFalse(seen.contains(room), "a loop through " + (room.isEmpty() ? "the root" : room));
    }
  }

  @Test
  @DisplayName(
      "persistence/ is rooms by job: taking datapoints in, counting, re-deriving, and the store"
          + " they share, each reaching only the rooms after it")
  void persistenceRooms() throws IOException {
    Map<String, Set<String>> arrows = arrows();
    List<String> rooms =
        List.of(
            "persistence.intake",
            "persistence.counting",
            "persistence.rederive",
            "persistence.store");
    Set<String> found = new TreeSet<>();
    arrows.keySet().stream().filter(r -> r.startsWith("persistence.")).forEach(found::add);
    assertEquals(new TreeSet<>(rooms), found);
    for (int i = 0; i < rooms.size(); i++) {
      Set<String> reached = new TreeSet<>(arrows.get(rooms.get(i)));
      reached.removeIf(r -> !r.startsWith("persistence"));
      assertTrue(
          rooms.subList(i + 1, rooms.size()).containsAll(reached),
          rooms.get(i) + " reaches " + reached);
    }
  }

  @Test
  @DisplayName("the root holds only Main, which reaches nothing but the command line")
  void root() throws IOException {
    Set<String> root = new TreeSet<>();
    try (Stream<Path> files = Files.list(SERVER)) {
      files
          .filter(p -> p.toString().endsWith(".java"))
          .forEach(p -> root.add(p.getFileName().toString()));
    }
    assertEquals(Set.of("Main.java"), root);
    assertEquals(Set.of("cli"), arrows().get(""), "Main imports from io.density only cli/");
  }

  @Test
  @DisplayName("the command line is a room of its own, reached only from Main")
  void commandLine() throws IOException {
    assertEquals(Set.of("Main.java"), importing("cli"));
    // One class per command: each command of the help is a class named for it.
    for (String command :
        List.of(
            "Serve", "Dev", "Replay", "Token", "TokenCreate", "Schema", "SchemaMigrate", "Load")) {
      assertTrue(
          Files.isRegularFile(SERVER.resolve("cli/" + command + "Command.java")),
          command + "Command in cli/");
    }
  }

  @Test
  @DisplayName("the node (node/Server) is deployed by the command line and the tests, no room else")
  void node() throws IOException {
    Set<String> users = new TreeSet<>();
    importing("node").stream().filter(f -> !f.startsWith("cli/")).forEach(users::add);
    assertEquals(Set.of(), users);
  }

  @Test
  @DisplayName("the server never uses its load tools: they are a client of its API")
  void loadToolsAreAClient() throws IOException {
    assertEquals(Set.of(), importing("load"));
  }

  @Test
  @DisplayName("HTTP reaches storage and Redis only over the event bus")
  void httpUsesTheBus() throws IOException {
    for (String pkg : List.of("db", "persistence", "counter")) {
      Set<String> http = new TreeSet<>();
      importing(pkg).stream().filter(f -> f.startsWith("http/")).forEach(http::add);
      assertEquals(Set.of(), http, "http/ importing " + pkg + "/");
    }
    // Of the services behind the bus, HTTP takes only their typed requests (what it sends).
    for (String pkg : List.of("query", "registry")) {
      Pattern request =
          Pattern.compile("^import io\\.density\\." + pkg + "\\.[A-Za-z]+Request[.;]");
      for (Path file : sources(SERVER.resolve("http"))) {
        for (String line : Files.readAllLines(file)) {
          if (line.startsWith("import io.density." + pkg + ".")
              || line.startsWith("import static io.density." + pkg + ".")) {
            assertTrue(
                request.matcher(line).find(),
                SERVER.relativize(file)
                    + " imports more of "
                    + pkg
                    + "/ than its requests: "
                    + line);
          }
        }
      }
    }
  }
}
