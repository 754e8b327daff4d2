package io.density.load;

import io.vertx.core.json.JsonObject;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.Reader;
import java.util.ArrayList;
import java.util.List;

/**
 * Datapoints in the seed's CSV format: a header naming the columns (e.g. {@code
 * "timestamp","direction","dpu_id"}), then one row per datapoint. A quoted value is sent as a JSON
 * string and an unquoted number as a JSON number, as the seed's rows mix both.
 */
public final class SeedCsv {
  private SeedCsv() {}

  public static List<JsonObject> read(Reader source) throws IOException {
    BufferedReader reader = new BufferedReader(source);
    String header = reader.readLine();
    if (header == null) {
      return List.of();
    }
    List<String> columns = new ArrayList<>();
    for (Object name : fields(header)) {
      columns.add(String.valueOf(name));
    }
    List<JsonObject> rows = new ArrayList<>();
    String line;
    int number = 1;
    while ((line = reader.readLine()) != null) {
      number++;
      if (line.isBlank()) {
        continue;
      }
      List<Object> values = fields(line);
      if (values.size() != columns.size()) {
        throw new IOException(
            "line " + number + " has " + values.size() + " fields, expected " + columns.size());
      }
      JsonObject row = new JsonObject();
      for (int i = 0; i < columns.size(); i++) {
        row.put(columns.get(i), values.get(i));
      }
      rows.add(row);
    }
    return rows;
  }

  /** Splits one CSV line; quoted fields become strings, unquoted numbers become numbers. */
  static List<Object> fields(String line) {
    List<Object> out = new ArrayList<>();
    int i = 0;
    while (i <= line.length()) {
      if (i < line.length() && line.charAt(i) == '"') {
        StringBuilder value = new StringBuilder();
        i++;
        while (i < line.length()) {
          char c = line.charAt(i);
          if (c == '"' && i + 1 < line.length() && line.charAt(i + 1) == '"') {
            value.append('"');
            i += 2;
          } else if (c == '"') {
            i++;
            break;
          } else {
            value.append(c);
            i++;
          }
        }
        out.add(value.toString());
        i = line.indexOf(',', i);
      } else {
        int end = line.indexOf(',', i);
        String raw = (end < 0 ? line.substring(i) : line.substring(i, end)).trim();
        out.add(number(raw));
        i = end;
      }
      if (i < 0) {
        break;
      }
      i++;
    }
    return out;
  }

  private static Object number(String raw) {
    try {
      return Long.parseLong(raw);
    } catch (NumberFormatException e) {
      return raw;
    }
  }
}
