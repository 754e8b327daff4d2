package io.density.config;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.vertx.core.json.JsonObject;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

/**
 * docs/configuration.md cannot drift from the code: its table of keys is the keys of {@link
 * DensityConfig}, each with the environment names {@link EnvironmentNames} gives it and the default
 * of conf/config.json.
 */
@DisplayName("Configuration: docs/configuration.md lists every key, its variables and its default")
class ConfigurationDocTest {
  private static final Pattern ROW =
      Pattern.compile("^\\| `([A-Za-z.]+)` \\| (.*?) \\| (.*?) \\| .*\\|$");
  private static final Pattern CODE = Pattern.compile("`([^`]*)`");

  /** The rows of the table of keys: key → {default cell, environment cell}. */
  private static Map<String, String[]> rows() throws IOException {
    List<String> lines = Files.readAllLines(Path.of("docs/configuration.md"));
    int start = lines.indexOf("## Every key");
    assertTrue(start >= 0, "docs/configuration.md has a section \"## Every key\"");
    Map<String, String[]> rows = new LinkedHashMap<>();
    for (String line : lines.subList(start, lines.size())) {
      Matcher m = ROW.matcher(line);
      if (m.matches()) {
        assertTrue(
            rows.put(m.group(1), new String[] {m.group(2), m.group(3)}) == null,
            m.group(1) + " has one row");
      }
    }
    return rows;
  }

  private static List<String> codes(String cell) {
    List<String> codes = new ArrayList<>();
    Matcher m = CODE.matcher(cell);
    while (m.find()) {
      codes.add(m.group(1));
    }
    return codes;
  }

  @Test
  @DisplayName("every key of the configuration class has a row, and every row is a key")
  void keysBothWays() throws IOException {
    TreeSet<String> undocumented = new TreeSet<>(EnvironmentNames.keys());
    undocumented.removeAll(rows().keySet());
    TreeSet<String> unknown = new TreeSet<>(rows().keySet());
    unknown.removeAll(EnvironmentNames.keys());
    assertEquals(
        List.of(), List.copyOf(undocumented), "keys of DensityConfig without a row in the doc");
    assertEquals(
        List.of(), List.copyOf(unknown), "rows of the doc that are no key of DensityConfig");
  }

  @Test
  @DisplayName("each row names the key's variables: the rule's first, then its aliases")
  void variables() throws IOException {
    rows()
        .forEach(
            (key, cells) ->
                assertEquals(EnvironmentNames.namesOf(key), codes(cells[1]), key + "'s variables"));
  }

  @Test
  @DisplayName("each row's default is the one of conf/config.json")
  void defaults() throws IOException {
    JsonObject file = new JsonObject(Files.readString(Path.of("conf/config.json")));
    rows()
        .forEach(
            (key, cells) -> {
              String[] path = key.split("\\.");
              JsonObject slice = file;
              for (int i = 0; i < path.length - 1; i++) {
                slice = slice.getJsonObject(path[i]);
              }
              Object value = slice.getValue(path[path.length - 1]);
              String documented = cells[0].equals("`\"\"`") ? "" : String.join("", codes(cells[0]));
              assertEquals(String.valueOf(value), documented, key + "'s default");
            });
  }
}
