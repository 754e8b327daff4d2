package io.density.egress;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.density.config.DensityConfig;
import io.density.support.Await;
import io.density.support.LogCapture;
import io.density.support.Ports;
import io.density.support.TcpProxy;
import io.nats.client.Connection;
import io.nats.client.ConsumerContext;
import io.nats.client.IterableConsumer;
import io.nats.client.JetStreamApiException;
import io.nats.client.JetStreamManagement;
import io.nats.client.Message;
import io.nats.client.Nats;
import io.nats.client.StreamContext;
import io.nats.client.api.AckPolicy;
import io.nats.client.api.ConsumerConfiguration;
import io.nats.client.api.MessageInfo;
import io.nats.client.api.StorageType;
import io.nats.client.api.StreamConfiguration;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;
import java.io.IOException;
import java.io.InputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.logging.Level;
import java.util.logging.LogRecord;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

/**
 * The NATS sink against the real NATS server on 127.0.0.1:4222 (JetStream on): each test has its
 * own stream and subject prefix, deleted at the end; faults go through a TCP proxy, or a private
 * server of the test's own, never the shared one.
 */
@DisplayName("NATS JetStream egress: every change once, in order per key, through faults")
class NatsSinkTest {
  private static final String NATS = "nats://127.0.0.1:4222";
  private static final Duration DAY = Duration.ofHours(24);

  /** Ids that NATS subjects (and MQTT topics) give meaning to. */
  private static final List<String> SPACES =
      List.of("A/B", "c+d", "e.f", "g*h", "i>j", "main hall", "plain", "Café ☕");

  private LogCapture logged;

  private Vertx vertx;
  private Connection admin;
  private JetStreamManagement jsm;
  private String stream;
  private String prefix;
  private final List<Sink> sinks = new ArrayList<>();
  private final List<AutoCloseable> closing = new ArrayList<>();

  @BeforeEach
  void setUp() throws Exception {
    vertx = Vertx.vertx();
    admin = Nats.connect(NATS);
    jsm = admin.jetStreamManagement();
    String run = UUID.randomUUID().toString().replace("-", "").substring(0, 12);
    stream = "TEST_" + run;
    prefix = "t" + run + ".density";
    logged = LogCapture.of(NatsSink.class.getName(), Level.ALL);
  }

  @AfterEach
  void tearDown() throws Exception {
    logged.close();
    for (Sink sink : sinks) {
      sink.close().await();
    }
    for (AutoCloseable c : closing) {
      c.close();
    }
    try {
      jsm.deleteStream(stream);
    } catch (JetStreamApiException e) {
      // a test whose sink never reached the shared server made none
    }
    admin.close();
    vertx.close().await();
  }

  private DensityConfig.Egress.Nats config(String url, long ackTimeoutMs) {
    return new DensityConfig.Egress.Nats(
        url, null, null, null, null, stream, prefix, null, null, ackTimeoutMs);
  }

  private NatsSink start(DensityConfig.Egress.Nats config, Duration maxResend) {
    NatsSink sink = NatsSink.start(vertx, config, maxResend);
    sinks.add(sink);
    return sink;
  }

  private static void awaitReady(NatsSink sink) {
    assertTrue(
        Await.until(() -> sink.problem() == null, Duration.ofSeconds(15)),
        "the sink can publish: " + sink.problem());
  }

  /** {@code perSpace} count changes of every space and an alert of each, interleaved. */
  private static List<Change> changes(int fromSeq, int perSpace) {
    List<Change> changes = new ArrayList<>();
    Instant t0 = Instant.parse("2026-01-15T10:00:00Z");
    for (int i = 0; i < perSpace; i++) {
      long seq = fromSeq + i;
      for (String space : SPACES) {
        changes.add(count(space, seq, t0.plusSeconds(seq).toString()));
      }
    }
    return changes;
  }

  private static List<Change> alerts() {
    return List.of(
        new Change(
            Change.Kind.SPACE_ALERT,
            "A/B",
            1,
            new JsonObject()
                .put("id", 7)
                .put("space_id", "A/B")
                .put("rule", "full")
                .put("kind", "above")
                .put("level", 3)
                .put("count", 3)
                .put("timestamp", "2026-01-15T10:00:03Z")
                .put("fired_at", "2026-01-15T10:00:03.020Z")
                .put("seq", 1)),
        new Change(
            Change.Kind.DPU_ALERT,
            "dpu.1 >*",
            1,
            new JsonObject()
                .put("id", 8)
                .put("dpu_id", "dpu.1 >*")
                .put("space_id", null)
                .put("rule", "dpu")
                .put("kind", "silent")
                .put("state", "fired")
                .put("threshold", 30)
                .put("value", 31)
                .put("timestamp", "2026-01-15T10:31:00Z")
                .put("fired_at", "2026-01-15T10:31:00.010Z")
                .put("seq", 1)));
  }

  /** Every message of the stream, in stream order. */
  private List<MessageInfo> messages() throws IOException, JetStreamApiException {
    long last = jsm.getStreamInfo(stream).getStreamState().getLastSequence();
    List<MessageInfo> all = new ArrayList<>();
    for (long seq = 1; seq <= last; seq++) {
      all.add(jsm.getMessage(stream, seq));
    }
    return all;
  }

  private long stored() throws IOException, JetStreamApiException {
    return jsm.getStreamInfo(stream).getStreamState().getMsgCount();
  }

  private String subject(Change change) {
    String key = TopicIds.encode(change.key());
    return switch (change.kind()) {
      case COUNT -> prefix + ".count." + key;
      case SPACE_ALERT -> prefix + ".alert." + key;
      case DPU_ALERT -> prefix + ".alert.dpu." + key;
    };
  }

  /**
   * The stream holds each change once, on its encoded subject, with its body unchanged and its
   * message id, and the changes of each subject in the order of their seq.
   */
  private void assertHoldsEachOnceInOrder(List<Change> sent) throws Exception {
    List<MessageInfo> messages = messages();
    Map<String, Change> bySubjectAndSeq = new LinkedHashMap<>();
    for (Change c : sent) {
      bySubjectAndSeq.put(subject(c) + " " + c.seq(), c);
    }
    assertEquals(bySubjectAndSeq.size(), messages.size(), "messages in the stream");
    Map<String, Long> lastSeq = new LinkedHashMap<>();
    for (MessageInfo m : messages) {
      JsonObject body = new JsonObject(new String(m.getData(), StandardCharsets.UTF_8));
      long seq = body.getLong("seq");
      Change change = bySubjectAndSeq.remove(m.getSubject() + " " + seq);
      assertNotNull(change, "a change sent, once: " + m.getSubject() + " seq " + seq);
      assertEquals(change.body(), body, "the body as given");
      assertEquals(
          change.kind().name().toLowerCase() + ":" + TopicIds.encode(change.key()) + ":" + seq,
          m.getHeaders().getFirst("Nats-Msg-Id"));
      Long before = lastSeq.put(m.getSubject(), seq);
      assertTrue(before == null || before < seq, m.getSubject() + ": " + before + " then " + seq);
    }
    assertTrue(bySubjectAndSeq.isEmpty(), "changes missing from the stream: " + bySubjectAndSeq);
  }

  @Test
  @DisplayName(
      "a list of counts and alerts lands once each, in order per key, on encoded subjects; sent"
          + " again, nothing is added")
  void publishOnceInOrder() throws Exception {
    NatsSink sink = start(config(NATS, 5_000), DAY);
    awaitReady(sink);
    List<Change> sent = new ArrayList<>(changes(1, 3));
    sent.addAll(2, alerts());
    sink.publish(sent).await();
    assertHoldsEachOnceInOrder(sent);
    assertTrue(
        messages().stream()
            .anyMatch(m -> m.getSubject().equals(prefix + ".alert.dpu.dpu%2E1%20%3E%2A")));
    assertTrue(messages().stream().anyMatch(m -> m.getSubject().equals(prefix + ".count.A%2FB")));

    sink.publish(sent).await();
    assertEquals(sent.size(), stored(), "the same list again adds nothing (Nats-Msg-Id)");
    assertHoldsEachOnceInOrder(sent);
    assertNull(sink.problem());
  }

  @Test
  @DisplayName(
      "a stream deleted under the sink: the publish fails saying so, the next one creates it again")
  void streamDeleted() throws Exception {
    NatsSink sink = start(config(NATS, 2_000), DAY);
    awaitReady(sink);
    sink.publish(changes(1, 1)).await();
    jsm.deleteStream(stream);
    Throwable failure = awaitFailure(sink.publish(changes(2, 1)));
    assertNotNull(failure, "no stream, no acknowledgement");
    assertNotNull(sink.problem());
    List<Change> again = changes(2, 1);
    sink.publish(again).await();
    assertHoldsEachOnceInOrder(again);
    assertNull(sink.problem());
  }

  @Test
  @DisplayName(
      "a change the stream refuses fails the publish, naming why, and no later change of its space"
          + " overtakes it; once the stream takes it, the list sent again lands in order")
  void refusedChangeNotOvertaken() throws Exception {
    // An operator's limit on the stream (kept when the sink updates it): counts fit, the alert
    // (a larger body) does not.
    jsm.addStream(
        StreamConfiguration.builder()
            .name(stream)
            .storageType(StorageType.File)
            .subjects(prefix + ".count.*", prefix + ".alert.*", prefix + ".alert.dpu.*")
            .maxMsgSize(240)
            .build());
    NatsSink sink = start(config(NATS, 5_000), DAY);
    awaitReady(sink);
    Change alert = alerts().get(0); // space A/B
    List<Change> sent = new ArrayList<>();
    sent.add(count("A/B", 1));
    sent.add(
        new Change(
            alert.kind(),
            alert.key(),
            2,
            alert.body().copy().put("seq", 2).put("pad", "x".repeat(200))));
    sent.add(count("A/B", 3));
    sent.add(count("lobby", 1));

    Throwable failure = awaitFailure(sink.publish(sent));
    assertNotNull(failure, "the refused alert fails the publish");
    assertTrue(failure.getMessage().contains("space_alert:A%2FB:2"), failure.getMessage());
    assertTrue(failure.getMessage().contains("maximum"), failure.getMessage());
    assertNotNull(sink.problem());
    List<String> ids = new ArrayList<>();
    for (MessageInfo m : messages()) {
      ids.add(m.getHeaders().getFirst("Nats-Msg-Id"));
    }
    assertTrue(ids.contains("count:A%2FB:1"), ids.toString());
    assertTrue(!ids.contains("count:A%2FB:3"), "seq 3 never goes before the refused seq 2: " + ids);

    jsm.updateStream(
        StreamConfiguration.builder(jsm.getStreamInfo(stream).getConfiguration())
            .maxMsgSize(-1)
            .build());
    sink.publish(sent).await();
    assertHoldsEachOnceInOrder(sent);
    assertNull(sink.problem());
  }

  private static Change count(String space, long seq) {
    return count(space, seq, "2026-01-15T10:00:00Z");
  }

  /** A count change of a datapoint: the count is the seq. */
  private static Change count(String space, long seq, String timestamp) {
    return new Change(
        Change.Kind.COUNT,
        space,
        seq,
        new JsonObject()
            .put("space_id", space)
            .put("count", (int) seq)
            .put("timestamp", timestamp)
            .put("seq", seq)
            .put("cause", "datapoint"));
  }

  @Test
  @DisplayName(
      "a durable JetStream consumer (as docs/egress.md shows) reads every count, in order per"
          + " space, the id decoded from the subject equal to the body's")
  void durableConsumer() throws Exception {
    NatsSink sink = start(config(NATS, 5_000), DAY);
    awaitReady(sink);
    List<Change> sent = new ArrayList<>(changes(1, 20));
    sent.addAll(alerts());
    sink.publish(sent).await();

    StreamContext streamContext = admin.getStreamContext(stream);
    ConsumerContext consumer =
        streamContext.createOrUpdateConsumer(
            ConsumerConfiguration.builder()
                .durable("analytics")
                .filterSubject(prefix + ".count.*")
                .ackPolicy(AckPolicy.Explicit)
                .build());
    Map<String, Long> last = new LinkedHashMap<>();
    int read = 0;
    try (IterableConsumer messages = consumer.iterate()) {
      Message m;
      while ((m = messages.nextMessage(Duration.ofSeconds(1))) != null) {
        JsonObject body = new JsonObject(new String(m.getData(), StandardCharsets.UTF_8));
        String token = m.getSubject().substring(m.getSubject().lastIndexOf('.') + 1);
        String space = TopicIds.decode(token);
        assertEquals(body.getString("space_id"), space);
        Long before = last.put(space, body.getLong("seq"));
        assertEquals(before == null ? 1L : before + 1, body.getLong("seq"), space);
        m.ack();
        read++;
      }
    }
    assertEquals(SPACES.size() * 20, read, "every count, and no alert");
    assertEquals(SPACES.size(), last.size());
  }

  @Test
  @DisplayName(
      "the line cut during a publish: it fails within the ack timeout and says why; healed, the"
          + " list sent again leaves every change once, in order")
  void lineCut() throws Exception {
    TcpProxy proxy = new TcpProxy("127.0.0.1", 4222);
    closing.add(proxy);
    long ackTimeoutMs = 5_000;
    NatsSink sink = start(config(proxy.through(NATS), ackTimeoutMs), DAY);
    awaitReady(sink);
    List<Change> first = changes(1, 5);
    sink.publish(first).await();

    List<Change> second = changes(6, 400);
    Future<Void> cutShort = sink.publish(second);
    assertTrue(
        Await.until(() -> storedQuietly() > first.size() + 100, Duration.ofSeconds(10)),
        "part of the list is stored before the cut");
    proxy.cut();
    long cutAt = System.nanoTime();
    Throwable failure = awaitFailure(cutShort);
    long tookMs = (System.nanoTime() - cutAt) / 1_000_000;
    assertTrue(tookMs < ackTimeoutMs + 1_000, "failed " + tookMs + " ms after the cut");
    assertNotNull(failure, "a publish through a cut line fails");
    assertTrue(Await.until(() -> sink.problem() != null, Duration.ofSeconds(5)));
    long partly = stored();
    assertTrue(partly < first.size() + second.size(), "the cut left part of the list unsent");

    assertNotNull(awaitFailure(sink.publish(second)), "no publish while the line is cut");
    assertTrue(sink.problem().contains("lost"), sink.problem());

    proxy.restore();
    assertTrue(
        Await.until(() -> sink.problem() == null, Duration.ofSeconds(15)),
        "reconnected: " + sink.problem());
    sink.publish(second).await();
    List<Change> all = new ArrayList<>(first);
    all.addAll(second);
    assertHoldsEachOnceInOrder(all);
    assertNull(sink.problem());
  }

  private long storedQuietly() {
    try {
      return stored();
    } catch (Exception e) {
      return 0;
    }
  }

  private static Throwable awaitFailure(Future<Void> future) {
    assertTrue(
        Await.until(future::isComplete, Duration.ofSeconds(30)),
        "the publish completes either way");
    return future.cause();
  }

  private List<LogRecord> warnings() {
    return logged.records().stream()
        .filter(r -> r.getLevel().intValue() >= Level.WARNING.intValue())
        .toList();
  }

  @Test
  @DisplayName("an unreachable NATS at start: the problem names it, one log line, nothing thrown")
  void unreachable() {
    String url = "nats://127.0.0.1:" + Ports.free();
    NatsSink sink = start(config(url, 1_000), DAY);
    assertTrue(Await.until(() -> sink.attempts() >= 3, Duration.ofSeconds(20)), "it keeps trying");
    assertTrue(sink.problem().contains(url + " does not answer"), sink.problem());
    assertEquals(1, warnings().size(), "one log line: " + messages(warnings()));
    assertTrue(warnings().get(0).getMessage().contains(url), warnings().get(0).getMessage());
    Throwable refused = awaitFailure(sink.publish(changes(1, 1)));
    assertTrue(refused.getMessage().contains("does not answer"), refused.getMessage());
  }

  @Test
  @DisplayName(
      "closed while it connects to a server that never answers: close waits for the attempt, so"
          + " nothing of the sink runs, and nothing is logged, after its Vert.x is gone")
  void closedWhileConnecting() throws Exception {
    AtomicBoolean let = new AtomicBoolean();
    ServerSocket silent = new ServerSocket(0, 1, InetAddress.getLoopbackAddress());
    closing.add(silent);
    Thread accept =
        new Thread(
            () -> {
              try (Socket s = silent.accept();
                  InputStream in = s.getInputStream()) {
                while (in.read() >= 0) {
                  // the client says nothing a server must answer here; read until it lets go
                }
              } catch (IOException e) {
                // a reset is a let-go too
              }
              let.set(true);
            });
    accept.setDaemon(true);
    accept.start();
    try (LogCapture severe = LogCapture.of("", Level.SEVERE)) {
      Vertx own = Vertx.vertx();
      NatsSink sink =
          NatsSink.start(own, config("nats://127.0.0.1:" + silent.getLocalPort(), 1_000), DAY);
      assertTrue(Await.until(() -> sink.attempts() >= 1, Duration.ofSeconds(5)), "it connects");

      sink.close().await();
      own.close().await();
      assertTrue(
          Await.until(let::get, Duration.ofSeconds(20)),
          "the attempt ends (its connect timeout) and the client lets go of its socket");
      assertEquals(List.of(), severe.messages(), "nothing logged as an error");
      assertEquals(1, sink.attempts(), "no attempt after close");
    }
  }

  private static List<String> messages(List<LogRecord> records) {
    return records.stream().map(LogRecord::getMessage).toList();
  }

  @Test
  @DisplayName(
      "a refused credential: the problem says so, one log line; the right one publishes (user and"
          + " password, token)")
  void credentials() throws Exception {
    int port = privateServer("--user", "density", "--pass", "s3cret");
    String url = "nats://127.0.0.1:" + port;

    NatsSink wrong =
        start(
            new DensityConfig.Egress.Nats(
                url, "density", "wrong", null, null, stream, prefix, null, null, 1_000L),
            DAY);
    assertTrue(Await.until(() -> wrong.attempts() >= 2, Duration.ofSeconds(20)));
    assertTrue(wrong.problem().contains("refused the credentials"), wrong.problem());
    assertTrue(!wrong.problem().contains("wrong"), "no password in the problem");
    assertEquals(1, warnings().size(), "one log line: " + messages(warnings()));

    NatsSink right =
        start(
            new DensityConfig.Egress.Nats(
                url, "density", "s3cret", null, null, stream, prefix, null, null, 1_000L),
            DAY);
    awaitReady(right);
    right.publish(changes(1, 1)).await();

    String tokenUrl = "nats://127.0.0.1:" + privateServer("--auth", "t0ken");
    NatsSink token =
        start(
            new DensityConfig.Egress.Nats(
                tokenUrl, null, null, "t0ken", null, stream, prefix, null, null, 1_000L),
            DAY);
    awaitReady(token);
    token.publish(changes(1, 1)).await();
  }

  /**
   * A NATS server of this test's own (JetStream on, in a temporary folder), with the given options,
   * stopped at the end of the test; its port.
   */
  private int privateServer(String... options) throws Exception {
    Path store = Files.createTempDirectory("nats-store");
    int port = Ports.free();
    List<String> command =
        new ArrayList<>(
            List.of(
                "/usr/sbin/nats-server",
                "-a",
                "127.0.0.1",
                "-p",
                String.valueOf(port),
                "-js",
                "-sd",
                store.toString()));
    command.addAll(List.of(options));
    Process server =
        new ProcessBuilder(command)
            .redirectErrorStream(true)
            .redirectOutput(store.resolve("log").toFile())
            .start();
    closing.add(
        () -> {
          server.destroy();
          server.waitFor();
          try (var files = Files.walk(store)) {
            files.sorted(java.util.Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
          }
        });
    assertTrue(
        Await.until(() -> answers(port), Duration.ofSeconds(10)), "the private server listens");
    return port;
  }

  @Test
  @DisplayName(
      "TLS: a tls:// URL with the CA file publishes; without it the server is not trusted, and the"
          + " problem says so")
  void tls() throws Exception {
    Path dir = Files.createTempDirectory("nats-tls");
    closing.add(
        () -> {
          try (var files = Files.walk(dir)) {
            files.sorted(java.util.Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
          }
        });
    Path cert = dir.resolve("cert.pem");
    Path key = dir.resolve("key.pem");
    Process openssl =
        new ProcessBuilder(
                "openssl",
                "req",
                "-x509",
                "-newkey",
                "rsa:2048",
                "-nodes",
                "-days",
                "1",
                "-subj",
                "/CN=127.0.0.1",
                "-addext",
                "subjectAltName=IP:127.0.0.1,DNS:localhost",
                "-keyout",
                key.toString(),
                "-out",
                cert.toString())
            .redirectErrorStream(true)
            .redirectOutput(dir.resolve("openssl.log").toFile())
            .start();
    assertEquals(0, openssl.waitFor(), "openssl made a certificate");
    int port = privateServer("--tls", "--tlscert", cert.toString(), "--tlskey", key.toString());
    String url = "tls://127.0.0.1:" + port;

    NatsSink trusted =
        start(
            new DensityConfig.Egress.Nats(
                url, null, null, null, cert.toString(), stream, prefix, null, null, 1_000L),
            DAY);
    awaitReady(trusted);
    trusted.publish(changes(1, 1)).await();

    NatsSink untrusted =
        start(
            new DensityConfig.Egress.Nats(
                url, null, null, null, null, stream, prefix, null, null, 1_000L),
            DAY);
    assertTrue(
        Await.until(() -> untrusted.attempts() >= 2, Duration.ofSeconds(20)), "it keeps trying");
    assertTrue(untrusted.problem().contains("TLS"), untrusted.problem());

    String missing = dir.resolve("missing.pem").toString();
    NatsSink unreadable =
        start(
            new DensityConfig.Egress.Nats(
                url, null, null, null, missing, stream, prefix, null, null, 1_000L),
            DAY);
    assertTrue(
        Await.until(
            () -> String.valueOf(unreadable.problem()).contains(missing + " is not a file"),
            Duration.ofSeconds(10)),
        unreadable.problem());
  }

  private static boolean answers(int port) {
    try (java.net.Socket s = new java.net.Socket("127.0.0.1", port)) {
      return true;
    } catch (IOException e) {
      return false;
    }
  }

  @Test
  @DisplayName(
      "the stream is created with the configured retention and a duplicate window as long as the"
          + " longest re-send, bounded by its max age; an existing one is updated")
  void streamSettings() throws Exception {
    DensityConfig.Egress.Nats oneHour =
        new DensityConfig.Egress.Nats(
            NATS, null, null, null, null, stream, prefix, 3600L, 1L << 30, 1_000L);
    NatsSink sink = start(oneHour, Duration.ofMinutes(30));
    awaitReady(sink);
    StreamConfiguration made = jsm.getStreamInfo(stream).getConfiguration();
    assertEquals(Duration.ofMinutes(30), made.getDuplicateWindow());
    assertEquals(Duration.ofHours(1), made.getMaxAge());
    assertEquals(1L << 30, made.getMaxBytes());
    assertEquals(
        List.of(prefix + ".count.*", prefix + ".alert.*", prefix + ".alert.dpu.*"),
        made.getSubjects());
    sink.close().await();
    sinks.remove(sink);

    // An existing stream with other settings and a subject of its own: updated, the subject kept.
    jsm.deleteStream(stream);
    jsm.addStream(
        StreamConfiguration.builder()
            .name(stream)
            .storageType(StorageType.File)
            .subjects(prefix + ".other")
            .duplicateWindow(Duration.ofMinutes(2))
            .build());
    NatsSink again = start(oneHour, DAY);
    awaitReady(again);
    StreamConfiguration updated = jsm.getStreamInfo(stream).getConfiguration();
    assertEquals(Duration.ofHours(1), updated.getDuplicateWindow(), "bounded by the max age");
    assertEquals(Duration.ofHours(1), updated.getMaxAge());
    assertTrue(updated.getSubjects().contains(prefix + ".other"), updated.getSubjects().toString());
    assertTrue(
        updated.getSubjects().contains(prefix + ".count.*"), updated.getSubjects().toString());
  }
}
