package io.density;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.density.cli.StartupFaults;
import io.density.config.DensityConfig;
import io.density.support.Await;
import io.density.support.NodeProcess;
import io.density.support.Ports;
import io.density.support.RawConnection;
import io.density.support.TestServer;
import io.density.telemetry.AccessRecord;
import io.density.telemetry.LogLines;
import io.density.telemetry.RequestIds;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.internal.ContextInternal;
import io.vertx.core.json.JsonObject;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.logging.Formatter;
import java.util.logging.Handler;
import java.util.logging.Level;
import java.util.logging.LogRecord;
import java.util.logging.Logger;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

@DisplayName("Logs: a request id on every answer and every line of a request; JSON lines")
class RequestLogTest {
  private static final Duration DEADLINE = Duration.ofSeconds(10);
  private static final String HEX16 = "[0-9a-f]{16}";

  private static TestServer server;
  private static String readToken;
  private static String ingestToken;

  /** A client per test: a restarted server closes the connections of the one before. */
  private final HttpClient http = HttpClient.newHttpClient();

  /** What a handler attached to the access logger saw, as it was published. */
  private record Seen(LogRecord record, String requestId, String contextId, String json) {}

  private final List<Seen> seen = new CopyOnWriteArrayList<>();
  private final Handler capture =
      new Handler() {
        private final Formatter json = new LogLines.Json();

        @Override
        public void publish(LogRecord record) {
          seen.add(
              new Seen(
                  record, LogLines.requestId(record), RequestIds.current(), json.format(record)));
        }

        @Override
        public void flush() {}

        @Override
        public void close() {}
      };
  private final Logger access = Logger.getLogger("io.density.http.access");

  /** Every record any logger published while it listened, with the request it names. */
  private final List<Seen> all = new CopyOnWriteArrayList<>();

  private final Handler everything =
      new Handler() {
        @Override
        public void publish(LogRecord record) {
          all.add(new Seen(record, LogLines.requestId(record), RequestIds.current(), null));
        }

        @Override
        public void flush() {}

        @Override
        public void close() {}
      };
  private final Logger root = Logger.getLogger("");

  @BeforeAll
  static void start() {
    server = new TestServer();
    server.config = server.config.with("logging", "access", true);
    server.start();
    readToken = server.createToken("read");
    ingestToken = server.createToken("ingest");
  }

  @AfterAll
  static void stop() {
    server.close();
  }

  @BeforeEach
  void listen() {
    access.addHandler(capture);
  }

  @AfterEach
  void stopListening() {
    access.removeHandler(capture);
  }

  private HttpResponse<String> get(String path, String token, String requestId) throws Exception {
    HttpRequest.Builder request = HttpRequest.newBuilder(uri(path)).GET();
    if (token != null) {
      request.header("Authorization", "Bearer " + token);
    }
    if (requestId != null) {
      request.header(RequestIds.HEADER, requestId);
    }
    return http.send(request.build(), HttpResponse.BodyHandlers.ofString());
  }

  private static URI uri(String path) {
    return URI.create("http://127.0.0.1:" + server.config.http().port() + path);
  }

  private static String idOf(HttpResponse<String> response) {
    return response.headers().firstValue(RequestIds.HEADER).orElse(null);
  }

  private Seen accessLine(String requestId) {
    assertTrue(
        Await.until(() -> seen.stream().anyMatch(s -> requestId.equals(s.requestId())), DEADLINE),
        "an access line for " + requestId + " among " + seen);
    return seen.stream().filter(s -> requestId.equals(s.requestId())).findFirst().orElseThrow();
  }

  @Test
  @DisplayName("an incoming X-Request-Id comes back, on a success, a 404 and a 401 alike")
  void incomingIdReturned() throws Exception {
    HttpResponse<String> ok = get("/v1/spaces", readToken, "client-id-1");
    assertEquals(200, ok.statusCode(), ok.body());
    assertEquals("client-id-1", idOf(ok));

    HttpResponse<String> missing = get("/v1/spaces/no-such-space", readToken, "client-id-2");
    assertEquals(404, missing.statusCode(), missing.body());
    assertEquals("client-id-2", idOf(missing));

    HttpResponse<String> noRoute = get("/v1/nothing-here", readToken, "client-id-3");
    assertEquals(404, noRoute.statusCode(), noRoute.body());
    assertEquals("client-id-3", idOf(noRoute));

    HttpResponse<String> refused = get("/v1/spaces", "not-a-token", "client-id-4");
    assertEquals(401, refused.statusCode(), refused.body());
    assertEquals("client-id-4", idOf(refused));

    HttpResponse<String> invalid =
        get("/v1/spaces/A/counts?start=yesterday&interval=1h", readToken, "client-id-5");
    assertTrue(invalid.statusCode() >= 400 && invalid.statusCode() < 500, invalid.body());
    assertEquals("client-id-5", idOf(invalid));
  }

  @Test
  @DisplayName("without one, or with an overlong or garbled one, the request gets a new id")
  void newIdOtherwise() throws Exception {
    String first = idOf(get("/v1/spaces", readToken, null));
    String second = idOf(get("/v1/spaces", "not-a-token", null));
    assertTrue(first.matches(HEX16), first);
    assertTrue(second.matches(HEX16), second);
    assertNotEquals(first, second);

    String longest = "a".repeat(RequestIds.MAX_LENGTH);
    assertEquals(longest, idOf(get("/health", null, longest)));
    for (String bad : List.of(longest + "a", "two words", "tab\tbed")) {
      String given = idOf(get("/health", null, bad));
      assertTrue(given.matches(HEX16), bad + " → " + given);
    }
  }

  @Test
  @DisplayName("one access line per request names the request, never the token or the query")
  void accessLine() throws Exception {
    String secret = "query-secret-value";
    HttpResponse<String> response =
        get("/v1/spaces/no-such-space?api_key=" + secret, readToken, "trace-me-1");
    assertEquals(404, response.statusCode());

    Seen line = accessLine("trace-me-1");
    assertInstanceOf(AccessRecord.class, line.record());
    assertEquals(Level.INFO, line.record().getLevel());
    String message = line.record().getMessage();
    assertTrue(message.startsWith("GET /v1/spaces/no-such-space 404 "), message);
    assertTrue(message.matches(".* \\d+ms \\d+B"), message);
    // Written on the request's own context: anything logged there names the request too.
    assertEquals("trace-me-1", line.contextId());
    for (String text : List.of(message, line.json())) {
      assertFalse(text.contains(readToken), text);
      assertFalse(text.contains(secret), text);
      assertFalse(text.contains("Bearer"), text);
    }
    JsonObject json = new JsonObject(line.json().strip());
    assertEquals("trace-me-1", json.getString("request_id"));
    assertEquals("GET", json.getString("method"));
    assertEquals("/v1/spaces/no-such-space", json.getString("path"));
    assertEquals(404, json.getInteger("status"));
    assertTrue(json.getLong("bytes") > 0, json.encode());
    assertTrue(json.getLong("duration_ms") >= 0, json.encode());
    assertEquals("io.density.http.access", json.getString("logger"));

    String badToken = "wrong-token-" + "x".repeat(20);
    assertEquals(401, get("/v1/spaces", badToken, "trace-me-2").statusCode());
    Seen refused = accessLine("trace-me-2");
    assertTrue(refused.record().getMessage().startsWith("GET /v1/spaces 401 "));
    assertFalse(refused.json().contains(badToken), refused.json());

    long lines = seen.stream().filter(s -> "trace-me-1".equals(s.requestId())).count();
    assertEquals(1, lines, "one access line per request");
  }

  @Test
  @DisplayName("control characters of a request line are written escaped in the text line")
  void controlCharactersOfAPathEscaped() {
    try (RawConnection c = new RawConnection(server.config.http().port(), "Bearer " + readToken)) {
      c.write("GET", "/v1/spaces/\u001b[31mred\u007f", "X-Request-Id: esc-path-1\r\n");
      RawConnection.Answer answer = c.answer();
      assertTrue(answer.status() >= 400 && answer.status() < 500, answer.head());
    }
    Seen line = accessLine("esc-path-1");
    // The record keeps the path as it came; the text line shows what it held.
    assertTrue(line.record().getMessage().contains("\u001b"), line.record().getMessage());
    String text = new LogLines.Text().format(line.record());
    assertTrue(
        text.contains(": GET /v1/spaces/\\u001b[31mred\\u007f "), text.replace('\u001b', '?'));
    assertNoControlCharacters(text);
    // JSON lines escape them too, and give the path back as it came.
    assertNoControlCharacters(line.json());
    assertTrue(line.json().contains("/v1/spaces/\\u001B[31mred\\u007F"), line.json());
    JsonObject json = new JsonObject(line.json().strip());
    assertEquals("/v1/spaces/\u001b[31mred\u007f", json.getString("path"));
  }

  @Test
  @DisplayName(
      "text lines: controls in the message, the fields and an exception's text are escaped")
  void textFormatterEscapes() {
    IllegalStateException cause = new IllegalStateException("inner\u009b2J\nat fake.Frame");
    RuntimeException thrown = new RuntimeException("it said\r\nno\tand \u001b[0m", cause);
    LogRecord record = new LogRecord(Level.SEVERE, "failure on {0}\nFAKE INFO line\u2028");
    record.setParameters(new Object[] {"/v1/\u0000x"});
    record.setLoggerName("io.density.\u0007bell");
    record.setThrown(thrown);

    String text = new LogLines.Text().format(record);
    String first = text.lines().findFirst().orElseThrow();
    assertTrue(
        first.endsWith(
            " SEVERE io.density.\\u0007bell: failure on /v1/\\u0000x\\nFAKE INFO line\\u2028"),
        first);
    List<String> lines = text.lines().toList();
    assertEquals(
        "java.lang.RuntimeException: it said\\r\\nno\\tand \\u001b[0m", lines.get(1), text);
    // The stack keeps its structure: a line per frame, indented by a tab, and the cause's header.
    assertTrue(
        lines.get(2).startsWith("\tat io.density.RequestLogTest.textFormatterEscapes"), text);
    assertTrue(
        lines.contains(
            "Caused by: java.lang.IllegalStateException: inner\\u009b2J\\nat fake.Frame"),
        text);
    assertTrue(lines.stream().anyMatch(l -> l.matches("\t\\.\\.\\. \\d+ more")), text);
    for (String line : lines.subList(2, lines.size())) {
      assertTrue(
          line.startsWith("\tat ") || line.startsWith("Caused by: ") || line.startsWith("\t... "),
          "a line of the stack: " + line);
    }
    assertNoControlCharacters(text);
  }

  /** No control character but the tabs that indent a stack frame. */
  private static void assertNoControlCharacters(String text) {
    for (String line : text.split(System.lineSeparator())) {
      String rest = line.replaceFirst("^\t+", "");
      for (char c : rest.toCharArray()) {
        assertFalse(
            c < 0x20 || (c >= 0x7f && c <= 0x9f) || c == '\u2028' || c == '\u2029',
            "a raw U+" + Integer.toHexString(c) + " in " + line);
      }
    }
  }

  @Test
  @DisplayName("a client that drops its upload is one FINE line and an access line, no SEVERE")
  void droppedUploadIsNoFault() throws Exception {
    // The line of a client that went away is FINE: let it through to be seen.
    Logger responses = Logger.getLogger("io.density.http.Responses");
    Level before = responses.getLevel();
    responses.setLevel(Level.FINE);
    root.addHandler(everything);
    try {
      dropUpload("dropped-1", false);
      dropUpload("dropped-2", true);
    } finally {
      root.removeHandler(everything);
      responses.setLevel(before);
    }
  }

  /**
   * A POST that declares 100000 bytes, sends 10 and closes the connection (with a reset when {@code
   * reset}); then waits for the lines of its request and checks none is a fault.
   */
  private void dropUpload(String requestId, boolean reset) throws Exception {
    try (Socket socket = new Socket("127.0.0.1", server.config.http().port())) {
      socket.setSoTimeout(10_000);
      String head =
          "POST /v1/datapoints HTTP/1.1\r\nHost: localhost\r\n"
              + "Authorization: Bearer "
              + ingestToken
              + "\r\nContent-Type: application/json\r\nContent-Length: 100000\r\n"
              // The body handler answers 100 Continue as it starts reading the body: the body is
              // cut off while it is read, not before.
              + "Expect: 100-continue\r\n"
              + RequestIds.HEADER
              + ": "
              + requestId
              + "\r\n\r\n";
      socket.getOutputStream().write(head.getBytes(StandardCharsets.US_ASCII));
      socket.getOutputStream().flush();
      byte[] interim = "HTTP/1.1 100 Continue\r\n\r\n".getBytes(StandardCharsets.US_ASCII);
      assertEquals(
          new String(interim, StandardCharsets.US_ASCII),
          new String(
              socket.getInputStream().readNBytes(interim.length), StandardCharsets.US_ASCII));
      socket.getOutputStream().write("[{\"dpu_id\"".getBytes(StandardCharsets.US_ASCII));
      socket.getOutputStream().flush();
      if (reset) {
        socket.setSoLinger(true, 0);
      }
    }
    assertTrue(
        Await.until(
            () ->
                all.stream()
                    .anyMatch(
                        s ->
                            requestId.equals(s.requestId()) && s.record().getLevel() == Level.FINE),
            DEADLINE),
        "a FINE line for " + requestId + " among " + describe(all));
    Seen line = accessLine(requestId);
    assertTrue(
        line.record().getMessage().startsWith("POST /v1/datapoints closed-before-answer "),
        line.record().getMessage());
    List<Seen> ofRequest = all.stream().filter(s -> requestId.equals(s.requestId())).toList();
    assertEquals(
        1,
        ofRequest.stream().filter(s -> s.record().getLevel() == Level.FINE).count(),
        describe(ofRequest));
    // Nothing about it is a fault: not a line of the request, nor of the HTTP layer or Vert.x.
    assertTrue(
        all.stream()
            .filter(
                s ->
                    requestId.equals(s.requestId())
                        || String.valueOf(s.record().getLoggerName()).startsWith("io.density.http")
                        || String.valueOf(s.record().getLoggerName()).startsWith("io.vertx")
                        || String.valueOf(s.record().getLoggerName()).startsWith("io.netty"))
            .noneMatch(s -> s.record().getLevel().intValue() >= Level.WARNING.intValue()),
        describe(all));
  }

  /** The lines as text, each with the request id it was written for. */
  private static String describe(List<Seen> lines) {
    StringBuilder out = new StringBuilder();
    for (Seen s : lines) {
      out.append('[').append(s.requestId()).append("] ");
      out.append(new LogLines.Text().format(s.record()));
    }
    return out.toString();
  }

  @Test
  @DisplayName("logging.access: false writes no access line, the id still comes back")
  void accessSwitchedOff() throws Exception {
    DensityConfig before = server.config;
    server.restartWith(before.with("logging", "access", false));
    try {
      HttpResponse<String> response = get("/v1/spaces", readToken, "quiet-1");
      assertEquals(200, response.statusCode());
      assertEquals("quiet-1", idOf(response));
      // An access line of quiet-1 would be written before quiet-2, on the same connection, is
      // answered.
      assertEquals("quiet-2", idOf(get("/health", null, "quiet-2")));
      assertTrue(
          seen.stream().noneMatch(s -> String.valueOf(s.requestId()).startsWith("quiet-")),
          seen.toString());
    } finally {
      server.restartWith(before);
    }
  }

  @Test
  @DisplayName("a line logged on a request's context names it; on a verticle's context nothing")
  void contextCarriesTheId() {
    Vertx vertx = Vertx.vertx();
    try {
      ContextInternal root = (ContextInternal) vertx.getOrCreateContext();
      ContextInternal request = root.duplicate();
      Formatter text = new LogLines.Text();
      String line =
          Future.<String>future(
                  p ->
                      request.runOnContext(
                          v -> {
                            assertTrue(RequestIds.bind("ctx-id-1"));
                            LogRecord record = new LogRecord(Level.WARNING, "handling went wrong");
                            record.setLoggerName("io.density.http.Responses");
                            p.complete(text.format(record));
                          }))
              .await();
      assertTrue(line.contains("WARNING io.density.http.Responses [ctx-id-1]: handling"), line);
      boolean boundOnRoot =
          Future.<Boolean>future(p -> root.runOnContext(v -> p.complete(RequestIds.bind("x"))))
              .await();
      assertFalse(boundOnRoot, "never bound to a verticle's own context");
      String outside =
          Future.<String>future(p -> root.runOnContext(v -> p.complete(RequestIds.current())))
              .await();
      assertNull(outside);
    } finally {
      vertx.close().await();
    }
  }

  @Test
  @DisplayName("JSON lines: one parseable object a line, quotes, newlines and stacks inside")
  void jsonFormatter() {
    IllegalStateException cause = new IllegalStateException("inner \"cause\"\nline two");
    RuntimeException thrown = new RuntimeException("it said \"no\"\r\nand\tstopped", cause);
    LogRecord record =
        new LogRecord(Level.SEVERE, "unexpected \"failure\" on /v1/x\nsecond line \\ {0}");
    record.setParameters(new Object[] {"param"});
    record.setLoggerName("io.density.http.Responses");
    record.setThrown(thrown);

    String line = new LogLines.Json().format(record);
    assertTrue(line.endsWith("\n"));
    assertEquals(line.length() - 1, line.indexOf('\n'), "one line: " + line);
    JsonObject json = new JsonObject(line.strip());
    assertEquals("SEVERE", json.getString("level"));
    assertEquals("io.density.http.Responses", json.getString("logger"));
    assertEquals(
        "unexpected \"failure\" on /v1/x\nsecond line \\ param", json.getString("message"));
    assertEquals(Thread.currentThread().getName(), json.getString("thread"));
    assertTrue(
        json.getString("time").matches("\\d{4}-\\d\\d-\\d\\dT\\d\\d:\\d\\d:\\d\\d\\.\\d{3}Z"),
        json.getString("time"));
    assertFalse(json.containsKey("request_id"), "no request here");
    JsonObject exception = json.getJsonObject("exception");
    assertEquals(RuntimeException.class.getName(), exception.getString("class"));
    assertEquals("it said \"no\"\r\nand\tstopped", exception.getString("message"));
    String stack = exception.getString("stack");
    assertTrue(stack.contains("\n\tat io.density.RequestLogTest.jsonFormatter"), stack);
    assertTrue(stack.contains("Caused by: java.lang.IllegalStateException: inner"), stack);

    // Not only C0: DEL, C1 and the Unicode line separators are escaped, and read back as they were.
    LogRecord controls = new LogRecord(Level.INFO, "a\u007fb\u009b2Jc\u0085d\u2028e\u2029f");
    controls.setLoggerName("io.density.x");
    String controlLine = new LogLines.Json().format(controls);
    assertTrue(controlLine.contains("a\\u007Fb\\u009B2Jc\\u0085d\\u2028e\\u2029f"), controlLine);
    assertEquals(
        "a\u007fb\u009b2Jc\u0085d\u2028e\u2029f",
        new JsonObject(controlLine.strip()).getString("message"));
    // Other characters are written as they are.
    LogRecord plain = new LogRecord(Level.INFO, "caf\u00e9\u00a0\u20ac");
    plain.setLoggerName("io.density.x");
    assertTrue(new LogLines.Json().format(plain).contains("\"message\":\"caf\u00e9\u00a0\u20ac\""));

    AccessRecord access =
        new AccessRecord("io.density.http.access", "abc", "POST", "/send", 0, 12, 0, false);
    JsonObject accessJson = new JsonObject(new LogLines.Json().format(access).strip());
    assertEquals("abc", accessJson.getString("request_id"));
    assertEquals(0, accessJson.getInteger("status"));
    assertEquals("POST /send closed-before-answer 12ms 0B", accessJson.getString("message"));

    String text = new LogLines.Text().format(access);
    assertTrue(
        text.matches(
            "\\S+Z INFO io\\.density\\.http\\.access \\[abc\\]: POST /send closed-before-answer"
                + " 12ms 0B\\R"),
        text);
  }

  @Test
  @DisplayName("a server started with DENSITY_LOG_FORMAT=json writes JSON lines, access lines too")
  void jsonLinesOfAProcess() throws Exception {
    try (TestServer database = new TestServer()) {
      int port = Ports.free();
      NodeProcess node =
          NodeProcess.startReady(
              database,
              port,
              "json-lines",
              Map.of("DENSITY_LOG_FORMAT", "json", "DENSITY_ACCESS_LOG", "on"));
      try {
        HttpResponse<String> answer =
            http.send(
                HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/health"))
                    .header(RequestIds.HEADER, "process-id-1")
                    .build(),
                HttpResponse.BodyHandlers.ofString());
        assertEquals("process-id-1", idOf(answer));
        Path log = Path.of("target", "json-lines.log");
        assertTrue(
            Await.until(() -> read(log).contains("\"request_id\":\"process-id-1\""), DEADLINE),
            read(log));
        List<String> lines = read(log).lines().filter(l -> l.startsWith("{")).toList();
        assertTrue(lines.size() > 3, read(log));
        for (String line : lines) {
          JsonObject json = new JsonObject(line);
          for (String field : List.of("time", "level", "logger", "message", "thread")) {
            assertTrue(json.containsKey(field), field + " in " + line);
          }
        }
        JsonObject accessLine =
            lines.stream()
                .map(JsonObject::new)
                .filter(j -> "process-id-1".equals(j.getString("request_id")))
                .findFirst()
                .orElseThrow();
        assertEquals("io.density.http.access", accessLine.getString("logger"));
        assertEquals("/health", accessLine.getString("path"));
        assertEquals(200, accessLine.getInteger("status"));
        // Every line the server logs is JSON; what it prints for people (the banner) is not a log.
        assertTrue(
            read(log)
                .lines()
                .filter(l -> !l.startsWith("{"))
                .allMatch(l -> l.startsWith("Density")),
            read(log));
      } finally {
        node.process.destroy();
        node.process.waitFor(20, TimeUnit.SECONDS);
      }
    }
  }

  private static String read(Path file) {
    try {
      return Files.exists(file) ? Files.readString(file) : "";
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  @Test
  @DisplayName("logging.format is text or json (DENSITY_LOG_FORMAT); anything else stops the start")
  void formatSetting() {
    assertEquals("text", DensityConfig.load(Map.of()).logging().format());
    assertFalse(DensityConfig.load(Map.of()).logging().access(), "access lines are off by default");
    assertTrue(DensityConfig.load(Map.of("DENSITY_LOG_FORMAT", "JSON")).logging().json());
    assertTrue(DensityConfig.load(Map.of("DENSITY_ACCESS_LOG", "on")).logging().access());
    RuntimeException refused =
        assertThrows(
            RuntimeException.class, () -> DensityConfig.load(Map.of("DENSITY_LOG_FORMAT", "xml")));
    String said = StartupFaults.explain(refused);
    assertTrue(said.contains("DENSITY_LOG_FORMAT") && said.contains("xml"), said);

    Logger root = Logger.getLogger("");
    Formatter[] before = new Formatter[root.getHandlers().length];
    for (int i = 0; i < before.length; i++) {
      before[i] = root.getHandlers()[i].getFormatter();
    }
    try {
      LogLines.install(
          DensityConfig.load(Map.of("DENSITY_LOG_FORMAT", "json", "DENSITY_ACCESS_LOG", "on"))
              .logging());
      assertTrue(root.getHandlers().length > 0);
      for (Handler handler : root.getHandlers()) {
        assertInstanceOf(LogLines.Json.class, handler.getFormatter());
      }
    } finally {
      for (int i = 0; i < before.length; i++) {
        root.getHandlers()[i].setFormatter(before[i]);
      }
    }
  }
}
