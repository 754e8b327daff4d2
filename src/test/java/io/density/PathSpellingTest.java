package io.density;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import io.density.support.RawConnection;
import io.density.support.TestServer;
import io.vertx.core.json.JsonObject;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

/**
 * No spelling of a path reaches a route without that route's token check. One rule for every route
 * of the API document and every spelling of it: without a token, a protected route answers 401, or
 * 400 when the spelling is refused outright (a dot segment, plain or percent-encoded); with a
 * token, the route's own status, as for its plain spelling (400 for a refused spelling). The public
 * resources are public only under their own names.
 */
@DisplayName("Path spellings: every route keeps its token check however its path is written")
class PathSpellingTest {
  private static final long SEED = Long.getLong("density.properties.seed", 20261204L);
  private static final int TRIES = Integer.getInteger("density.properties.tries", 400);

  /** The resources anyone may read, by their plain paths. */
  private static final List<String> PUBLIC =
      List.of("/health", "/ready", "/openapi.json", "/openapi.yaml", "/asyncapi.yaml", "/ui/");

  /** A path's segment of one or two dots, written plainly or percent-encoded. */
  private static final Pattern DOT_SEGMENT = Pattern.compile("(?:^|/)(?:\\.|%2[eE]){1,2}(?:/|$)");

  private static TestServer server;
  private static String admin;

  /** Every operation of the document: method and a path with each parameter filled in. */
  private static final List<String[]> OPERATIONS = new ArrayList<>();

  @BeforeAll
  static void start() {
    server = new TestServer().start();
    server.provisionSeedBuilding();
    admin = "Bearer " + server.createToken("admin");
    JsonObject paths = server.get("/openapi.json").json().getJsonObject("paths");
    for (String template : paths.fieldNames()) {
      String path = template.replaceAll("\\{[^}]+}", "A");
      for (String method : paths.getJsonObject(template).fieldNames()) {
        if (List.of("get", "put", "post", "delete", "patch").contains(method)) {
          OPERATIONS.add(new String[] {method.toUpperCase(), path});
        }
      }
    }
    assertTrue(OPERATIONS.size() > 40, "the document names the API's routes: " + OPERATIONS.size());
  }

  @AfterAll
  static void stop() {
    server.close();
  }

  @Test
  @DisplayName("every route through every listed spelling: 401 or 400 without a token, never 2xx")
  void everyRouteEverySpelling() {
    List<String> wrong = new ArrayList<>();
    for (String[] operation : OPERATIONS) {
      String method = operation[0];
      String path = operation[1];
      if (isPublic(path)) {
        continue;
      }
      int plain = method.equals("GET") ? status(method, path, admin) : -1;
      for (String spelling : spellings(path)) {
        check(method, path, spelling, plain, wrong);
      }
    }
    assertTrue(
        wrong.isEmpty(),
        wrong.size()
            + " spellings break the rule, among them "
            + wrong.subList(0, Math.min(20, wrong.size())));
  }

  @Test
  @DisplayName("generated spellings of protected routes keep the rule (seeded, reproducible)")
  void generatedSpellings() {
    Random random = new Random(SEED);
    List<String[]> protectedGets =
        OPERATIONS.stream().filter(o -> o[0].equals("GET") && !isPublic(o[1])).toList();
    Map<String, Integer> plain = new LinkedHashMap<>();
    List<String> wrong = new ArrayList<>();
    for (int i = 0; i < TRIES; i++) {
      String[] operation = protectedGets.get(random.nextInt(protectedGets.size()));
      String path = operation[1];
      String spelling = respell(path, random);
      int expected = plain.computeIfAbsent(path, p -> status("GET", p, admin));
      check("GET", path, spelling, expected, wrong);
      if (wrong.size() > 0) {
        fail("seed " + SEED + ", try " + i + ": " + wrong);
      }
    }
  }

  @Test
  @DisplayName("the public resources are public under their own names only")
  void publicOnlyForThemselves() {
    for (String path : PUBLIC) {
      int status = status("GET", path, null);
      assertTrue(status == 200, path + " answers anyone: " + status);
    }
    for (String prefix : PUBLIC) {
      String base = prefix.endsWith("/") ? prefix : prefix + "/";
      for (String climb : List.of("../v1/tokens", "%2e%2e/v1/spaces", "x/../../metrics", "./../")) {
        assertEquals(400, status("GET", base + climb, null), base + climb);
      }
    }
    assertEquals(400, status("GET", "/ui/../?space=A", null), "climbing out of /ui/ is refused");
    assertEquals(401, status("GET", "/metrics", null), "the metrics are not public");
    assertEquals(401, status("GET", "//v1/tokens", null), "doubled slashes reach the check");
    assertEquals(200, status("GET", "//v1/tokens", admin), "and the route, with a token");
  }

  /** Checks one spelling against the rule; a broken rule is added to {@code wrong}. */
  private static void check(
      String method, String path, String spelling, int plain, List<String> wrong) {
    boolean refused = DOT_SEGMENT.matcher(spelling.replaceAll("\\?.*", "")).find();
    int anonymous = status(method, spelling, null);
    int expectedAnonymous = refused ? 400 : 401;
    if (anonymous != expectedAnonymous) {
      wrong.add(
          method
              + " "
              + spelling
              + " without a token: "
              + anonymous
              + ", not "
              + expectedAnonymous);
    }
    if (method.equals("GET")) {
      int withToken = status(method, spelling, admin);
      int expected = refused ? 400 : plain;
      if (withToken != expected) {
        wrong.add(
            method
                + " "
                + spelling
                + " with a token: "
                + withToken
                + ", not "
                + expected
                + " as "
                + path);
      }
    }
  }

  /** The forms an attacker tries first. */
  private static List<String> spellings(String path) {
    String tail = path.substring(1);
    List<String> forms = new ArrayList<>();
    forms.add(path);
    forms.add("/" + path);
    forms.add(path.replace("/", "//"));
    forms.add(path.endsWith("/") ? path : path + "/");
    forms.add("/." + path);
    forms.add("/x/.." + path);
    forms.add("/x/%2e%2e" + path);
    forms.add("/x/%2E%2E" + path);
    forms.add("/x/%2e." + path);
    forms.add("/x/..//" + tail);
    for (String prefix : PUBLIC) {
      String base = prefix.endsWith("/") ? prefix : prefix + "/";
      forms.add(base + "../" + tail);
      forms.add(base + "%2e%2E/" + tail);
      forms.add(base + "./../" + tail);
      forms.add(base + "x/../../" + tail);
    }
    return forms;
  }

  /** A random spelling of {@code path} that a router would take for the same route. */
  private static String respell(String path, Random random) {
    StringBuilder out = new StringBuilder();
    if (random.nextInt(3) == 0) {
      out.append(PUBLIC.get(random.nextInt(PUBLIC.size())).replaceAll("/$", "")).append("/..");
    }
    String[] segments = path.substring(1).split("/", -1);
    for (String segment : segments) {
      switch (random.nextInt(6)) {
        case 0 -> out.append("/").append(random.nextBoolean() ? "." : "%2e");
        case 1 -> out.append("/zz/").append(random.nextBoolean() ? ".." : "%2E%2e");
        case 2 -> out.append("/");
        default -> {}
      }
      out.append("/");
      for (char c : segment.toCharArray()) {
        out.append(
            random.nextInt(4) == 0 && Character.isLetterOrDigit(c)
                ? String.format("%%%02X", (int) c)
                : String.valueOf(c));
      }
    }
    if (random.nextInt(4) == 0) {
      out.append("/");
    }
    return out.toString();
  }

  private static boolean isPublic(String path) {
    return PUBLIC.contains(path) || path.startsWith("/ui/");
  }

  /** The status the server answers a request of this exact request line (no body). */
  private static int status(String method, String target, String authorization) {
    try (RawConnection c = new RawConnection(server.config.http().port(), authorization)) {
      c.write(method, target, method.equals("GET") ? "" : "Content-Length: 0\r\n");
      return Integer.parseInt(c.head().substring(9, 12));
    }
  }
}
