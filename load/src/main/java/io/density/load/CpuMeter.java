package io.density.load;

import static io.density.load.LoadMain.fmt;
import static io.density.load.LoadMain.num;

import io.vertx.core.json.JsonObject;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * CPU time of processes over one phase of a run, from {@code /proc/PID/stat} (utime + stime, in
 * clock ticks), read right before and right after the phase: named groups of given processes (the
 * server's JVMs, Redis), optionally every {@code postgres} process (found by its command name, so
 * backends started during the phase count too), and always the load tool's own JVM. For postgres
 * the children's time (fields 16 and 17) counts too: a backend that exits during the phase is
 * reaped by the postmaster, whose children's time then holds its whole life, so the time it had
 * before the phase is taken off. Linux only; elsewhere, or for a process that cannot be read, the
 * group is reported as unknown.
 */
final class CpuMeter {
  static final String POSTGRES = "postgres";
  static final String BACKENDS = "postgres_backends";
  static final String LOAD = "load";

  private final Map<String, List<Long>> groups = new LinkedHashMap<>();
  private final boolean postgres;
  private final String postgresDatabase;
  private final long ticksPerSecond;
  private Sample before;
  private Sample after;
  private double seconds;

  /**
   * One reading: ticks per process, by group (null when one of the group's pids was gone); the
   * parent of each postgres process.
   */
  private record Sample(Map<String, Map<Long, Long>> ticks, Map<Long, Long> parents, long nanos) {}

  /**
   * @param pids {@code name=PID[+PID...],...}: the processes to measure, by group (empty: none)
   * @param postgres whether to sum every process whose command name is {@code postgres}
   * @param postgresDatabase when not null, also the backends connected to this database, apart
   */
  private CpuMeter(String pids, boolean postgres, String postgresDatabase) {
    for (String group : pids.split(",")) {
      if (group.isBlank()) {
        continue;
      }
      int equals = group.indexOf('=');
      if (equals <= 0) {
        throw new IllegalArgumentException("--cpu-pids wants name=PID[+PID...], not " + group);
      }
      List<Long> list = new ArrayList<>();
      for (String pid : group.substring(equals + 1).split("\\+")) {
        try {
          list.add(Long.parseLong(pid.trim()));
        } catch (NumberFormatException e) {
          throw new IllegalArgumentException("--cpu-pids: not a process id: " + pid);
        }
      }
      groups.put(group.substring(0, equals).trim(), list);
    }
    this.postgres = postgres || postgresDatabase != null;
    this.postgresDatabase = postgresDatabase;
    this.ticksPerSecond = clockTicks();
  }

  static CpuMeter of(Options options) {
    return new CpuMeter(
        options.string("cpu-pids", ""), options.flag("cpu-pg"), options.string("cpu-pg-db", null));
  }

  /** Reads the processes before the phase. */
  void start() {
    before = sample();
  }

  /** Reads them after the phase. */
  void stop() {
    after = sample();
    seconds = (after.nanos() - before.nanos()) / 1e9;
  }

  private boolean measured() {
    return before != null && after != null;
  }

  /**
   * CPU seconds of each group over the phase, in the order given (the groups, postgres, the
   * backends of the database, the load tool); NaN for a group that could not be read.
   */
  private Map<String, Double> cpuSeconds() {
    Map<String, Double> out = new LinkedHashMap<>();
    for (String group : before.ticks().keySet()) {
      Map<Long, Long> start = before.ticks().get(group);
      Map<Long, Long> end = after.ticks().get(group);
      if (start == null || end == null) {
        out.put(group, Double.NaN);
        continue;
      }
      long ticks = 0;
      for (Map.Entry<Long, Long> e : end.entrySet()) {
        // a process that started during the phase spent all its time in it
        ticks += e.getValue() - start.getOrDefault(e.getKey(), 0L);
      }
      for (Map.Entry<Long, Long> e : start.entrySet()) {
        Long parent = before.parents().get(e.getKey());
        if (!end.containsKey(e.getKey()) && parent != null && end.containsKey(parent)) {
          // gone, and reaped by a process of the group: its parent's children's time holds all of
          // it, of which this was before the phase
          ticks -= e.getValue();
        }
      }
      out.put(group, (double) ticks / ticksPerSecond);
    }
    return out;
  }

  /**
   * One line of the summary: per group, µs of CPU per datapoint and the cores it used on average.
   */
  String line(long datapoints) {
    if (!measured()) {
      return "not measured";
    }
    StringBuilder out = new StringBuilder();
    out.append(String.format("over %s s, µs of CPU per datapoint (cores):", fmt(seconds)));
    if (postgresDatabase != null) {
      out.append(" (").append(BACKENDS).append(": those of ").append(postgresDatabase);
      out.append(", part of postgres)");
    }
    double total = 0;
    boolean complete = true;
    for (Map.Entry<String, Double> e : cpuSeconds().entrySet()) {
      double cpu = e.getValue();
      String name = e.getKey();
      out.append(String.format("%n             %-18s ", name + ":"));
      if (Double.isNaN(cpu)) {
        out.append("unknown (a process could not be read)");
        if (!name.equals(BACKENDS)) {
          complete = false;
        }
        continue;
      }
      out.append(
          String.format("%8s  (%s)", fmt(perDatapoint(cpu, datapoints)), fmt(cpu / seconds)));
      if (!name.equals(BACKENDS)) { // the backends are part of postgres already
        total += cpu;
      }
    }
    out.append(String.format("%n             %-18s ", "all measured:"));
    out.append(
        complete
            ? String.format("%8s  (%s)", fmt(perDatapoint(total, datapoints)), fmt(total / seconds))
            : "unknown");
    return out.toString();
  }

  /** The figures for the RESULT line: per group, µs per datapoint and cores. */
  JsonObject json(long datapoints) {
    JsonObject json = new JsonObject();
    if (!measured()) {
      return json;
    }
    json.put("seconds", num(seconds));
    JsonObject perDatapoint = new JsonObject();
    JsonObject cores = new JsonObject();
    for (Map.Entry<String, Double> e : cpuSeconds().entrySet()) {
      double cpu = e.getValue();
      perDatapoint.put(e.getKey(), Double.isNaN(cpu) ? null : num(perDatapoint(cpu, datapoints)));
      cores.put(e.getKey(), Double.isNaN(cpu) ? null : num(cpu / seconds));
    }
    return json.put("us_per_datapoint", perDatapoint).put("cores", cores);
  }

  private static double perDatapoint(double cpuSeconds, long datapoints) {
    return datapoints > 0 ? cpuSeconds * 1e6 / datapoints : 0;
  }

  // ------------------------------------------------------------------ reading /proc

  private Sample sample() {
    long nanos = System.nanoTime();
    Map<String, Map<Long, Long>> ticks = new LinkedHashMap<>();
    Map<Long, Long> parents = new HashMap<>();
    for (Map.Entry<String, List<Long>> group : groups.entrySet()) {
      Map<Long, Long> of = new HashMap<>();
      for (long pid : group.getValue()) {
        Long t = ticks(pid);
        if (t == null) {
          of = null;
          break;
        }
        of.put(pid, t);
      }
      ticks.put(group.getKey(), of);
    }
    if (postgres) {
      Map<Long, Long> all = new HashMap<>();
      Map<Long, Long> ofDatabase = new HashMap<>();
      scanPostgres(all, ofDatabase, parents);
      ticks.put(POSTGRES, all.isEmpty() ? null : all);
      if (postgresDatabase != null) {
        ticks.put(BACKENDS, ofDatabase);
      }
    }
    Long own = ticks(ProcessHandle.current().pid());
    ticks.put(LOAD, own == null ? null : Map.of(ProcessHandle.current().pid(), own));
    return new Sample(ticks, parents, nanos);
  }

  /**
   * Every process named postgres that runs as user postgres (as {@code pgrep -u postgres -x
   * postgres}: the machine's server, not a test's own cluster started as another user); those
   * serving {@code postgresDatabase} also in the second map; their parents in the third.
   */
  private void scanPostgres(
      Map<Long, Long> all, Map<Long, Long> ofDatabase, Map<Long, Long> parents) {
    try (DirectoryStream<Path> proc = Files.newDirectoryStream(Path.of("/proc"))) {
      for (Path dir : proc) {
        String name = dir.getFileName().toString();
        if (name.isEmpty() || !name.chars().allMatch(Character::isDigit)) {
          continue;
        }
        long pid = Long.parseLong(name);
        String stat = read(dir.resolve("stat"));
        if (stat == null || !POSTGRES.equals(command(stat)) || !ownedByPostgres(dir)) {
          continue;
        }
        Long t = ticks(stat, true);
        Long parent = parent(stat);
        if (t == null || parent == null) {
          continue;
        }
        all.put(pid, t);
        parents.put(pid, parent);
        if (postgresDatabase != null) {
          // a backend's title: "postgres: 15/main: USER DATABASE HOST(PORT) STATE"
          String title = read(dir.resolve("cmdline"));
          if (title != null && title.replace('\0', ' ').contains(" " + postgresDatabase + " ")) {
            ofDatabase.put(pid, t);
          }
        }
      }
    } catch (IOException | SecurityException e) {
      // no /proc: postgres stays unknown
    }
  }

  private static boolean ownedByPostgres(Path dir) {
    try {
      return POSTGRES.equals(Files.getOwner(dir).getName());
    } catch (IOException | RuntimeException e) {
      return false;
    }
  }

  private static Long ticks(long pid) {
    String stat = read(Path.of("/proc", Long.toString(pid), "stat"));
    return stat == null ? null : ticks(stat, false);
  }

  /**
   * utime + stime: fields 14 and 15, counted after the command name (field 2, in parentheses); with
   * {@code children}, also cutime + cstime (16 and 17), the time of the children it reaped.
   */
  static Long ticks(String stat, boolean children) {
    int close = stat.lastIndexOf(')');
    if (close < 0) {
      return null;
    }
    String[] fields = stat.substring(close + 1).trim().split("\\s+");
    // fields[0] is field 3 (state), so field n is fields[n - 3]
    if (fields.length < 15) {
      return null;
    }
    try {
      long own = Long.parseLong(fields[11]) + Long.parseLong(fields[12]);
      return children ? own + Long.parseLong(fields[13]) + Long.parseLong(fields[14]) : own;
    } catch (NumberFormatException e) {
      return null;
    }
  }

  /** The parent's pid: field 4. */
  static Long parent(String stat) {
    String[] fields = stat.substring(stat.lastIndexOf(')') + 1).trim().split("\\s+");
    try {
      return fields.length > 1 ? Long.parseLong(fields[1]) : null;
    } catch (NumberFormatException e) {
      return null;
    }
  }

  static String command(String stat) {
    int open = stat.indexOf('(');
    int close = stat.lastIndexOf(')');
    return open < 0 || close < open ? null : stat.substring(open + 1, close);
  }

  private static String read(Path file) {
    try {
      return Files.readString(file, StandardCharsets.ISO_8859_1);
    } catch (IOException | RuntimeException e) {
      return null; // gone, or not Linux
    }
  }

  /** {@code getconf CLK_TCK}, or 100 (Linux's USER_HZ everywhere in practice) when it fails. */
  private static long clockTicks() {
    try {
      Process getconf = new ProcessBuilder("getconf", "CLK_TCK").redirectErrorStream(true).start();
      String out = new String(getconf.getInputStream().readAllBytes(), StandardCharsets.US_ASCII);
      if (getconf.waitFor() == 0) {
        return Long.parseLong(out.trim());
      }
    } catch (IOException | NumberFormatException e) {
      // below
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    return 100;
  }
}
