package io.density;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.density.support.NodeProcess;
import io.density.support.NodeProcess.Outcome;
import io.density.support.Ports;
import io.density.support.TestServer;
import java.net.ServerSocket;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

@DisplayName("A fault at start ends the process with a sentence that names the fix, not a trace")
class StartupFaultsTest {
  /** A database of this test's own (the server is never started on it by the test). */
  private TestServer untouched;

  @BeforeEach
  void database() {
    untouched = new TestServer();
  }

  @AfterEach
  void drop() {
    untouched.close();
  }

  private Outcome run(Map<String, String> env, String... args) throws Exception {
    Map<String, String> withPort = new HashMap<>();
    withPort.put("DENSITY_HTTP_PORT", String.valueOf(Ports.free()));
    withPort.putAll(env);
    return NodeProcess.runToEnd(untouched, withPort, args);
  }

  private static void assertFails(Outcome outcome, int exit, String... words) {
    assertEquals(exit, outcome.exit(), outcome.output());
    for (String word : words) {
      assertTrue(outcome.output().contains(word), word + " in:\n" + outcome.output());
    }
    assertFalse(outcome.output().contains("\tat "), "no stack trace:\n" + outcome.output());
  }

  @Test
  @DisplayName("PostgreSQL or Redis unreachable, a malformed URL, a bad port or flag")
  void badSettings() throws Exception {
    int closed = Ports.free();
    assertFails(
        run(Map.of("DENSITY_PG_URL", "postgresql://postgres@127.0.0.1:" + closed + "/postgres")),
        1,
        "127.0.0.1:" + closed,
        "DENSITY_PG_URL");
    assertFails(
        run(Map.of("DENSITY_REDIS_URL", "redis://127.0.0.1:" + closed)),
        1,
        "127.0.0.1:" + closed,
        "DENSITY_REDIS_URL");
    assertFails(run(Map.of("DENSITY_REDIS_URL", "notaurl")), 1, "DENSITY_REDIS_URL", "notaurl");
    assertFails(run(Map.of("DENSITY_HTTP_PORT", "-5")), 1, "DENSITY_HTTP_PORT", "-5");
    assertFails(run(Map.of("DENSITY_CLUSTER", "yes")), 1, "DENSITY_CLUSTER", "on or off");
    assertFails(
        run(Map.of("DENSITY_WEBHOOK_PRIVATE_TARGETS", "maybe")),
        1,
        "DENSITY_WEBHOOK_PRIVATE_TARGETS",
        "on or off");
    assertFails(
        run(Map.of("DENSITY_WEBHOOK_MAX_PENDING", "0")),
        1,
        "DENSITY_WEBHOOK_MAX_PENDING",
        "at least 1");
  }

  @Test
  @DisplayName("PostgreSQL that refuses the login or has no such database: the setting is named")
  void postgresRefuses() throws Exception {
    String base = untouched.config.postgres().url();
    String server = base.substring(0, base.lastIndexOf('/'));
    assertFails(
        run(Map.of("DENSITY_PG_URL", server + "/no_such_database_here")),
        1,
        "no such database",
        "no_such_database_here",
        "DENSITY_PG_URL");
    String elsewhere = server.replaceFirst("//[^@/]*@", "//no_such_role_here@");
    assertFails(
        run(Map.of("DENSITY_PG_URL", elsewhere + "/postgres")),
        1,
        "PostgreSQL refused the login",
        "no_such_role_here",
        "DENSITY_PG_URL");
  }

  @Test
  @DisplayName("an HTTP port that another process holds: the setting is named")
  void portTaken() throws Exception {
    try (ServerSocket taken = new ServerSocket(0)) {
      assertFails(
          run(Map.of("DENSITY_HTTP_PORT", String.valueOf(taken.getLocalPort()))),
          1,
          "the HTTP port is taken",
          "DENSITY_HTTP_PORT");
    }
  }

  @Test
  @DisplayName("unknown arguments and --help print the usage and never touch the database")
  void usageTouchesNothing() throws Exception {
    assertFails(run(Map.of(), "serve", "--bogus"), 2, "usage:", "--bogus");
    assertFails(run(Map.of(), "frobnicate"), 2, "usage:");
    assertFails(run(Map.of(), "token", "create", "--scope", "root"), 2, "usage:", "root");
    assertFails(run(Map.of(), "replay", "--from", "yesterday"), 2, "usage:", "yesterday");
    Outcome help = run(Map.of(), "--help");
    assertEquals(0, help.exit());
    assertTrue(help.output().contains("usage:"));
    List<?> tables =
        untouched.rows(
            "SELECT tablename FROM pg_tables WHERE schemaname = 'public' AND tablename = 'space'");
    assertTrue(tables.isEmpty(), "no schema was written");
  }
}
