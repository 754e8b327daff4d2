package io.density;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.density.support.NodeProcess;
import io.density.support.NodeProcess.Outcome;
import io.density.support.TestServer;
import io.density.support.TestServer.Reply;
import io.vertx.sqlclient.Row;
import io.vertx.sqlclient.Tuple;
import java.io.File;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.temporal.ChronoUnit;
import java.util.List;
import java.util.Map;
import java.util.jar.Attributes;
import java.util.jar.JarOutputStream;
import java.util.jar.Manifest;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

@DisplayName("The command line: help, usage errors and schema migrate")
class CliTest {
  /** A fresh database of this test's own; no server runs on it. */
  private TestServer database;

  @BeforeEach
  void database() {
    database = new TestServer();
  }

  @AfterEach
  void drop() {
    database.close();
  }

  private Outcome run(String... args) throws Exception {
    return run(Map.of(), args);
  }

  private Outcome run(Map<String, String> env, String... args) throws Exception {
    return NodeProcess.runToEnd(database, env, args);
  }

  private List<Row> tables() {
    return database.rows("SELECT tablename FROM pg_tables WHERE schemaname = 'public'");
  }

  private List<Row> history() {
    return database.rows(
        "SELECT version, type, script, success FROM flyway_schema_history ORDER BY installed_rank");
  }

  @Test
  @DisplayName("every command's --help exits 0 with its usage and exit codes")
  void help() throws Exception {
    String[][] commands = {
      {"--help"},
      {"-h"},
      {"help"},
      {"help", "token"},
      {"serve", "--help"},
      {"dev", "--help"},
      {"replay", "--help"},
      {"token", "--help"},
      {"token", "create", "--help"},
      {"schema", "--help"},
      {"schema", "migrate", "-h"},
      {"load", "--help"}
    };
    for (String[] command : commands) {
      Outcome help = run(command);
      String line = String.join(" ", command);
      assertEquals(0, help.exit(), line + ":\n" + help.output());
      assertTrue(help.output().startsWith("usage: density.jar"), line + ":\n" + help.output());
      assertTrue(help.output().contains("Exit codes:"), line + ":\n" + help.output());
    }
    assertTrue(run("token", "create", "--help").output().contains("--scope=ingest|read|admin"));
    assertTrue(run("--version").output().startsWith("Density "));
    assertTrue(tables().isEmpty(), "help touches no database");
  }

  @Test
  @DisplayName("an unknown command or flag, or a missing value, exits 2 and creates nothing")
  void usageErrors() throws Exception {
    String[][] wrong = {
      {"--bogus"},
      {"serve", "--bogus"},
      {"dev", "--port", "1"},
      {"replay", "--since", "2024-01-01T00:00:00Z"},
      {"replay", "--from"},
      {"token"},
      {"token", "create"},
      {"token", "create", "--scope", "ingest", "--expires", "tomorrow"},
      {"schema"},
      {"schema", "migrate", "--force"},
      {"schema", "drop"},
      {"load"},
      {"load", "--bogus"}
    };
    for (String[] args : wrong) {
      Outcome outcome = run(args);
      String line = String.join(" ", args);
      assertEquals(2, outcome.exit(), line + ":\n" + outcome.output());
      assertTrue(outcome.output().contains("usage: density.jar"), line + ":\n" + outcome.output());
      assertFalse(outcome.output().contains("\tat "), "no stack trace:\n" + outcome.output());
    }
    assertTrue(tables().isEmpty(), "no table was created: " + tables());
  }

  @Test
  @DisplayName("schema migrate applies every migration to a fresh database, then none")
  void migrateFresh() throws Exception {
    int migrations = migrations();
    List<Integer> versions = versions();
    Outcome first = run("schema", "migrate");
    assertEquals(0, first.exit(), first.output());
    assertTrue(first.output().contains(migrations + " migration(s) applied"), first.output());
    List<Row> history = history();
    assertEquals(migrations, history.size(), history.toString());
    for (int i = 0; i < migrations; i++) {
      assertEquals(String.valueOf(versions.get(i)), history.get(i).getString("version"));
      assertEquals("SQL", history.get(i).getString("type"));
      assertTrue(history.get(i).getString("script").startsWith("V" + versions.get(i) + "__"));
      assertTrue(history.get(i).getBoolean("success"));
    }
    assertFalse(
        database
            .rows("SELECT 1 FROM pg_tables WHERE schemaname = 'public' AND tablename = 'space'")
            .isEmpty());

    Outcome second = run("schema", "migrate");
    assertEquals(0, second.exit(), second.output());
    assertTrue(second.output().contains("no migration to apply"), second.output());
    assertEquals(migrations, history().size(), "nothing was applied again");
  }

  @Test
  @DisplayName("a database made by the scripts before migrations were recorded is baselined")
  void baselinesAnOldDatabase() throws Exception {
    // The old way: every script, as it is, on a plain connection; no history table.
    for (int i = 1; i <= 6; i++) {
      database.sql.query(script(i)).execute().await();
    }
    database.sql.query("INSERT INTO space (id, name) VALUES ('hall', 'Hall')").execute().await();

    Outcome outcome = run("schema", "migrate");
    assertEquals(0, outcome.exit(), outcome.output());
    assertTrue(outcome.output().contains("baselined at version 6"), outcome.output());
    // The baseline, then every migration written since migrations are recorded.
    List<Row> history = history();
    assertEquals(1 + migrations() - 6, history.size(), history.toString());
    assertEquals("6", history.get(0).getString("version"));
    assertEquals("BASELINE", history.get(0).getString("type"));
    assertEquals(1, database.rows("SELECT 1 FROM space WHERE id = 'hall'").size());

    Outcome again = run("schema", "migrate");
    assertEquals(0, again.exit(), again.output());
    assertTrue(again.output().contains("no migration to apply"), again.output());
    assertEquals(1 + migrations() - 6, history().size());
  }

  @Test
  @DisplayName(
      "a datapoint stored before the raw log's indexes changed is still a repeat after the upgrade")
  void repeatsSurviveTheUpgrade() throws Exception {
    // The raw log as the scripts left it before migrations were recorded, with one datapoint.
    for (int i = 1; i <= 6; i++) {
      database.sql.query(script(i)).execute().await();
    }
    Instant at = Instant.now().minusSeconds(60).truncatedTo(ChronoUnit.MILLIS);
    database
        .sql
        .query("SELECT density_ensure_partitions(ARRAY[current_date, current_date - 1])")
        .execute()
        .await();
    database
        .sql
        .preparedQuery(
            "INSERT INTO datapoint (dpu_id, ts, direction, dedupe_key, received_at, batch_id,"
                + " payload) VALUES ('423', $1, 1, $2, now(), 1, '{}')")
        .execute(
            Tuple.of(
                at.atOffset(ZoneOffset.UTC),
                (at.getEpochSecond() * 1_000_000 + at.getNano() / 1000) + ":1"))
        .await();

    Outcome migrated = run("schema", "migrate");
    assertEquals(0, migrated.exit(), migrated.output());
    database.start();
    database.provisionSeedBuilding();

    Reply again = database.sendDatapoint("423", at, 1);
    assertEquals(200, again.status(), again.json().encode());
    assertTrue(again.json().getBoolean("duplicate"), again.json().encode());
    assertEquals(1, database.countRows("datapoint"));
    Reply other = database.sendDatapoint("423", at, -1);
    assertFalse(other.json().getBoolean("duplicate"), other.json().encode());
    assertEquals(2, database.countRows("datapoint"));
  }

  /** How many migrations sql/ holds (V1__… to Vn__…). */
  private static int migrations() throws IOException {
    try (var files = Files.list(Path.of("sql"))) {
      return (int) files.filter(f -> f.getFileName().toString().matches("V\\d+__.*\\.sql")).count();
    }
  }

  /** The versions of the migrations sql/ holds, in order (a number may be left out). */
  private static List<Integer> versions() throws IOException {
    try (var files = Files.list(Path.of("sql"))) {
      return files
          .map(f -> f.getFileName().toString())
          .filter(name -> name.matches("V\\d+__.*\\.sql"))
          .map(name -> Integer.parseInt(name.substring(1, name.indexOf("__"))))
          .sorted()
          .toList();
    }
  }

  private static String script(int version) {
    String prefix = "V" + version + "__";
    String name =
        List.of(
                "registry.sql",
                "counting.sql",
                "resets.sql",
                "alerts.sql",
                "tokens.sql",
                "webhook_secret.sql")
            .get(version - 1);
    try (InputStream in =
        CliTest.class.getClassLoader().getResourceAsStream("sql/" + prefix + name)) {
      return new String(in.readAllBytes(), StandardCharsets.UTF_8);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  @Test
  @DisplayName(
      "load runs the tools of the load jar with its line passed on and its exit status, and says"
          + " where it looked when that jar is missing")
  void loadTools(@TempDir Path dir) throws Exception {
    Outcome missing =
        run(Map.of("DENSITY_LOAD_JAR", dir.resolve("nothing.jar").toString()), "load", "bench");
    assertEquals(1, missing.exit(), missing.output());
    assertTrue(missing.output().contains(dir.resolve("nothing.jar").toString()), missing.output());
    assertTrue(missing.output().contains("density-load.jar"), missing.output());

    // The load tools as a jar: the load jar's entry point, with this build's classes on its path.
    Map<String, String> tools = Map.of("DENSITY_LOAD_JAR", toolsJar(dir).toString());
    Outcome help = run(tools, "load", "bench", "--help");
    assertEquals(0, help.exit(), help.output());
    assertTrue(help.output().contains("usage: java -jar density-load.jar bench"), help.output());
    Outcome unknown = run(tools, "load", "bench", "--bogus", "1");
    assertEquals(2, unknown.exit(), unknown.output());
    assertTrue(unknown.output().contains("unknown option: --bogus"), unknown.output());
    assertTrue(tables().isEmpty(), "load touches no database of its own");
  }

  /** A jar of nothing but a manifest: LoadMain, and the test's class path as relative URLs. */
  private static Path toolsJar(Path dir) throws IOException {
    StringBuilder classPath = new StringBuilder();
    for (String entry : System.getProperty("java.class.path").split(File.pathSeparator)) {
      Path path = Path.of(entry).toAbsolutePath();
      String relative =
          dir.toAbsolutePath().relativize(path).toString().replace('\\', '/').replace(" ", "%20");
      classPath.append(relative).append(Files.isDirectory(path) ? "/ " : " ");
    }
    Manifest manifest = new Manifest();
    manifest.getMainAttributes().put(Attributes.Name.MANIFEST_VERSION, "1.0");
    manifest.getMainAttributes().put(Attributes.Name.MAIN_CLASS, "io.density.load.LoadMain");
    manifest.getMainAttributes().put(Attributes.Name.CLASS_PATH, classPath.toString().trim());
    Path jar = dir.resolve("density-load.jar");
    try (JarOutputStream out = new JarOutputStream(Files.newOutputStream(jar), manifest)) {
      out.flush();
    }
    return jar;
  }
}
