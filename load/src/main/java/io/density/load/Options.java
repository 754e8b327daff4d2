package io.density.load;

import java.util.HashMap;
import java.util.HashSet;
import java.util.Map;
import java.util.Set;

/**
 * The command line of a load tool: {@code --name value}, {@code --name=value} and {@code --flag}.
 * Unknown options, missing values and malformed numbers are errors that name the option.
 */
final class Options {
  private final Map<String, String> values = new HashMap<>();
  private final Set<String> flags = new HashSet<>();

  private Options() {}

  /**
   * @param valued the options that take a value, without the leading dashes
   * @param switches the options that take none
   */
  static Options parse(String[] args, Set<String> valued, Set<String> switches) {
    Options options = new Options();
    for (int i = 0; i < args.length; i++) {
      String arg = args[i];
      if (!arg.startsWith("--") || arg.length() == 2) {
        throw new IllegalArgumentException("unexpected argument: " + arg);
      }
      String name = arg.substring(2);
      String value = null;
      int equals = name.indexOf('=');
      if (equals >= 0) {
        value = name.substring(equals + 1);
        name = name.substring(0, equals);
      }
      if (switches.contains(name)) {
        if (value != null) {
          throw new IllegalArgumentException("--" + name + " takes no value");
        }
        options.flags.add(name);
      } else if (valued.contains(name)) {
        if (value == null) {
          if (i + 1 >= args.length) {
            throw new IllegalArgumentException("--" + name + " needs a value");
          }
          value = args[++i];
        }
        options.values.put(name, value);
      } else {
        throw new IllegalArgumentException("unknown option: --" + name);
      }
    }
    return options;
  }

  boolean flag(String name) {
    return flags.contains(name);
  }

  String string(String name, String fallback) {
    return values.getOrDefault(name, fallback);
  }

  /** The option as an int in [min, max], or the fallback when absent. */
  int integer(String name, int fallback, int min, int max) {
    String raw = values.get(name);
    if (raw == null) {
      return fallback;
    }
    int value;
    try {
      value = Integer.parseInt(raw.trim().replace("_", ""));
    } catch (NumberFormatException e) {
      throw new IllegalArgumentException("--" + name + " must be a whole number, not " + raw);
    }
    if (value < min || value > max) {
      throw new IllegalArgumentException(
          "--" + name + " must be between " + min + " and " + max + ", not " + value);
    }
    return value;
  }
}
