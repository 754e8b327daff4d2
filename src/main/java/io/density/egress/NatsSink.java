package io.density.egress;

import io.density.config.DensityConfig;
import io.nats.client.AuthenticationException;
import io.nats.client.Connection;
import io.nats.client.ConnectionListener;
import io.nats.client.ErrorListener;
import io.nats.client.JetStream;
import io.nats.client.JetStreamOptions;
import io.nats.client.Nats;
import io.nats.client.Options;
import io.nats.client.PublishOptions;
import io.nats.client.api.PublishAck;
import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.net.PemTrustOptions;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.logging.Logger;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLException;
import javax.net.ssl.TrustManagerFactory;

/**
 * Publishes changes to a NATS JetStream stream (docs/egress.md, NATS JetStream): counts on {@code
 * <prefix>.count.<space>}, alerts on {@code <prefix>.alert.<space>} and {@code
 * <prefix>.alert.dpu.<dpu>}, ids encoded by {@link TopicIds}, each with the header {@code
 * Nats-Msg-Id} = {@code <kind>:<encoded key>:<seq>}, so the stream stores a change sent again
 * within its duplicate window once. A change counts as published once the stream acknowledges it.
 *
 * <p>The changes of one key (a space, or a DPU) go out one after another, each once the previous
 * one is acknowledged, so a change lost with a connection is never overtaken by a later change of
 * its key; different keys go out side by side, up to {@link #MAX_IN_FLIGHT} at once.
 *
 * <p>jnats blocks in its connect and stream management calls: they run on a worker thread. Its
 * asynchronous publish does not block; its acknowledgements complete on this sink's context. The
 * client reconnects by itself (the sink publishes again once it has re-established its
 * subscriptions); until the first connection it is tried again every {@link #RETRY_CONNECT}. A
 * fault is one log line when it starts (and one when it ends) and {@link #problem()} while it
 * lasts; it never fails a start.
 */
public final class NatsSink implements Sink {
  private static final Logger LOG = Logger.getLogger(NatsSink.class.getName());

  /** Changes awaiting the stream's acknowledgement at once, across keys. */
  static final int MAX_IN_FLIGHT = 256;

  static final Duration RETRY_CONNECT = Duration.ofSeconds(2);
  private static final Duration CONNECT_TIMEOUT = Duration.ofSeconds(5);

  private final Vertx vertx;
  private final Context context;
  private final DensityConfig.Egress.Nats config;
  private final NatsStream stream;
  private final String address;

  private volatile Connection connection;
  private volatile JetStream jetStream;
  private volatile boolean streamReady;

  /**
   * Whether the connection takes publishes: from the first connection, and again once jnats has
   * re-established its subscriptions after a reconnect (the inbox the acknowledgements come to).
   */
  private volatile boolean linked;

  /** When a forced reconnect was last asked for (ms), so that one is asked per ack timeout. */
  private volatile long forcedAtMs;

  private volatile boolean closed;
  private volatile int attempts;

  /** What jnats reported while the first connection was attempted (it throws without a cause). */
  private volatile Exception connectError;

  private String problem;
  private volatile long retryTimer = -1;

  private NatsSink(Vertx vertx, DensityConfig.Egress.Nats config, Duration maxResend) {
    this.vertx = vertx;
    this.context = vertx.getOrCreateContext();
    this.config = config;
    this.stream = new NatsStream(config, maxResend);
    URI uri = URI.create(config.url());
    this.address =
        uri.getScheme() + "://" + uri.getHost() + (uri.getPort() < 0 ? "" : ":" + uri.getPort());
    this.problem = "connecting to NATS at " + address;
  }

  /**
   * A sink for the configuration, connecting in the background: it never fails, and says in {@link
   * #problem()} why it cannot publish yet. {@code maxResend} is the longest a change may be sent
   * again after it was first sent (the outbox's {@code egress.maxBacklogAge}): the stream's
   * duplicate window, bounded by its {@code maxAgeSeconds}.
   */
  public static NatsSink start(Vertx vertx, DensityConfig.Egress.Nats config, Duration maxResend) {
    if (!config.enabled()) {
      throw new IllegalArgumentException("egress.nats.url is not set");
    }
    NatsSink sink = new NatsSink(vertx, config, maxResend);
    sink.context.runOnContext(v -> sink.connect());
    return sink;
  }

  @Override
  public String name() {
    return "nats";
  }

  @Override
  public synchronized String problem() {
    return problem;
  }

  /** Connection attempts made before the first connection (tests watch the retries). */
  int attempts() {
    return attempts;
  }

  /** The subjects and stream settings this sink publishes with. */
  NatsStream stream() {
    return stream;
  }

  private void connect() {
    if (closed) {
      return;
    }
    attempts++;
    connectError = null;
    context
        .executeBlocking(
            () -> {
              Connection c = Nats.connect(options());
              if (closed) {
                c.close();
                throw new IllegalStateException("the NATS sink is closed");
              }
              jetStream = c.jetStream(jetStreamOptions());
              linked = true;
              connection = c;
              return c;
            })
        .compose(c -> ensureStream())
        .onFailure(
            err -> {
              if (closed) {
                return;
              }
              if (connection == null) {
                report(connectFailure(err));
                retryTimer = vertx.setTimer(RETRY_CONNECT.toMillis(), t -> connect());
              }
            });
  }

  /** The client's options; reads the CA file, so on a worker thread. */
  private Options options() {
    Options.Builder options =
        new Options.Builder()
            .server(config.url())
            .connectionName("density")
            .connectionTimeout(CONNECT_TIMEOUT)
            .maxReconnects(-1)
            .reconnectWait(RETRY_CONNECT)
            .connectionListener(this::connectionEvent)
            .errorListener(new Errors());
    if (!config.user().isEmpty()) {
      options.userInfo(config.user(), config.password());
    }
    if (!config.token().isEmpty()) {
      options.token(config.token().toCharArray());
    }
    if (!config.tlsCaFile().isEmpty()) {
      if (!Files.isReadable(Path.of(config.tlsCaFile()))) {
        throw new UnreadableCa(
            "egress.nats.tlsCaFile " + config.tlsCaFile() + " is not a file this server can read");
      }
      try {
        TrustManagerFactory trust =
            new PemTrustOptions().addCertPath(config.tlsCaFile()).getTrustManagerFactory(vertx);
        SSLContext tls = SSLContext.getInstance("TLS");
        tls.init(null, trust.getTrustManagers(), null);
        options.sslContext(tls);
      } catch (Exception e) {
        throw new UnreadableCa(
            "cannot read egress.nats.tlsCaFile " + config.tlsCaFile() + ": " + describe(e));
      }
    }
    return options.build();
  }

  private JetStreamOptions jetStreamOptions() {
    return JetStreamOptions.builder()
        .requestTimeout(Duration.ofMillis(config.ackTimeoutMs()))
        .build();
  }

  /** Creates the stream, or updates it to the configuration; on a worker thread. */
  private Future<Void> ensureStream() {
    Connection c = connection;
    return context
        .executeBlocking(
            () -> {
              stream.ensure(c.jetStreamManagement(jetStreamOptions()));
              return null;
            })
        .<Void>mapEmpty()
        .onSuccess(
            v -> {
              streamReady = true;
              if (c.getStatus() == Connection.Status.CONNECTED) {
                report(null);
              }
            })
        .onFailure(
            err ->
                report(
                    "stream "
                        + config.stream()
                        + " on NATS at "
                        + address
                        + " cannot be created or updated: "
                        + describe(err)));
  }

  @Override
  public Future<Void> publish(List<Change> changes) {
    // The batch's state lives on this sink's context, whichever thread calls.
    Promise<Void> published = Promise.promise();
    context.runOnContext(v -> publishOnContext(changes).onComplete(published));
    return published.future();
  }

  private Future<Void> publishOnContext(List<Change> changes) {
    Connection c = connection;
    JetStream js = jetStream;
    if (closed) {
      return Future.failedFuture("the NATS sink is closed");
    }
    if (c == null || js == null || !linked || c.getStatus() != Connection.Status.CONNECTED) {
      String why = problem();
      return Future.failedFuture(why == null ? "not connected to NATS at " + address : why);
    }
    if (changes.isEmpty()) {
      return Future.succeededFuture();
    }
    Future<Void> ready = streamReady ? Future.succeededFuture() : ensureStream();
    return ready
        .compose(v -> new Batch(js, changes).run())
        .onSuccess(v -> report(null))
        .onFailure(
            err -> {
              if (c.getStatus() == Connection.Status.CONNECTED) { // else the connection's problem
                report("publishing to stream " + config.stream() + " failed: " + err.getMessage());
                if (err.getCause() instanceof TimeoutException) {
                  reconnectSilent(c);
                }
              }
            });
  }

  /**
   * A connection that says it is connected but brings no acknowledgement within the ack timeout is
   * replaced: jnats is asked to reconnect (at most once per ack timeout), as when the line drops.
   */
  private void reconnectSilent(Connection c) {
    long now = System.currentTimeMillis();
    if (now - forcedAtMs < config.ackTimeoutMs()) {
      return;
    }
    forcedAtMs = now;
    context.executeBlocking(
        () -> {
          c.forceReconnect();
          return null;
        });
  }

  @Override
  public Future<Void> close() {
    closed = true;
    if (retryTimer >= 0) {
      vertx.cancelTimer(retryTimer);
    }
    Connection c = connection;
    if (c == null) {
      return Future.succeededFuture();
    }
    return context.executeBlocking(
        () -> {
          c.close();
          return null;
        });
  }

  /**
   * The changes of one call: each key's changes in order, one awaiting its acknowledgement at a
   * time; the first failure fails the call and stops what has not been sent yet.
   */
  private final class Batch {
    private final JetStream js;
    private final Map<String, ArrayDeque<Change>> lanes = new LinkedHashMap<>();
    private final ArrayDeque<ArrayDeque<Change>> waiting = new ArrayDeque<>();
    private final Promise<Void> done = Promise.promise();
    private int inFlight;

    Batch(JetStream js, List<Change> changes) {
      this.js = js;
      for (Change change : changes) {
        String lane = (change.kind() == Change.Kind.DPU_ALERT ? "d:" : "s:") + change.key();
        lanes.computeIfAbsent(lane, k -> new ArrayDeque<>()).add(change);
      }
      waiting.addAll(lanes.values());
    }

    Future<Void> run() {
      next();
      return done.future();
    }

    private void next() {
      while (inFlight < MAX_IN_FLIGHT && !waiting.isEmpty() && !done.future().isComplete()) {
        send(waiting.poll());
      }
      if (inFlight == 0 && waiting.isEmpty()) {
        done.tryComplete();
      }
    }

    private void send(ArrayDeque<Change> lane) {
      Change change = lane.poll();
      inFlight++;
      ack(change)
          .onComplete(
              ar -> {
                inFlight--;
                if (ar.failed()) {
                  done.tryFail(ar.cause());
                  return;
                }
                if (!lane.isEmpty()) {
                  waiting.addFirst(lane);
                }
                next();
              });
    }

    private Future<PublishAck> ack(Change change) {
      String id = stream.messageId(change);
      CompletableFuture<PublishAck> acked;
      try {
        acked =
            js.publishAsync(
                    stream.subject(change),
                    change.body().toBuffer().getBytes(),
                    PublishOptions.builder().expectedStream(config.stream()).messageId(id).build())
                .orTimeout(config.ackTimeoutMs(), TimeUnit.MILLISECONDS);
      } catch (RuntimeException e) {
        return Future.failedFuture(new IllegalStateException(id + ": " + e.getMessage(), e));
      }
      return Future.fromCompletionStage(acked, context)
          .recover(
              err -> {
                String why;
                if (isNoResponders(err)) {
                  streamReady = false; // deleted under us: created again before the next publish
                  why = "no stream takes " + stream.subject(change) + " (it is created again)";
                } else if (err instanceof TimeoutException) {
                  why = "not acknowledged within " + config.ackTimeoutMs() + " ms";
                } else {
                  why = describe(err);
                }
                return Future.failedFuture(new IllegalStateException(id + ": " + why, err));
              });
    }
  }

  private void connectionEvent(Connection c, ConnectionListener.Events event) {
    if (connection == null) {
      return; // the first connection's attempts: connect() reports their outcome
    }
    switch (event) {
      case DISCONNECTED -> {
        linked = false;
        report("the connection to NATS at " + address + " is lost; reconnecting");
      }
      case RESUBSCRIBED -> {
        linked = true;
        if (streamReady) {
          report(null);
        }
      }
      default -> {}
    }
  }

  /** jnats's asynchronous errors: a refused credential is reported, the rest is left to events. */
  private final class Errors implements ErrorListener {
    @Override
    public void errorOccurred(Connection c, String error) {
      if (connection != null && error != null && error.toLowerCase().contains("authorization")) {
        report(refused());
      }
    }

    @Override
    public void exceptionOccurred(Connection c, Exception e) {
      if (connection == null) {
        connectError = e;
      } else if (e instanceof AuthenticationException) {
        report(refused());
      }
    }
  }

  private String connectFailure(Throwable err) {
    if (err instanceof UnreadableCa) {
      return err.getMessage();
    }
    for (Throwable cause : new Throwable[] {connectError, err}) {
      for (Throwable t = cause; t != null; t = t.getCause()) {
        if (t instanceof AuthenticationException
            || String.valueOf(t.getMessage()).toLowerCase().contains("authorization")) {
          return refused();
        }
        if (t instanceof SSLException) {
          return "the TLS handshake with NATS at "
              + address
              + " failed ("
              + t.getMessage()
              + "): check egress.nats.tlsCaFile";
        }
      }
    }
    return "NATS at " + address + " does not answer (" + describe(err) + ")";
  }

  private String refused() {
    return "NATS at "
        + address
        + " refused the credentials (Authorization Violation): check egress.nats.user and"
        + " egress.nats.password, or egress.nats.token";
  }

  private static boolean isNoResponders(Throwable err) {
    for (Throwable t = err; t != null; t = t.getCause()) {
      if (String.valueOf(t.getMessage()).contains("No Responders")) {
        return true;
      }
    }
    return false;
  }

  /** The innermost message of a failure: jnats wraps its own in layers that repeat it. */
  private static String describe(Throwable err) {
    String message = err.getClass().getSimpleName();
    for (Throwable t = err; t != null; t = t.getCause()) {
      if (t.getMessage() != null) {
        message = t.getMessage();
      }
    }
    return message;
  }

  /** A CA file that does not read as PEM certificates. */
  private static final class UnreadableCa extends IllegalStateException {
    UnreadableCa(String message) {
      super(message);
    }
  }

  /** Sets the problem; a change is one log line (a warning when one starts, a note when over). */
  private void report(String now) {
    String before;
    synchronized (this) {
      before = problem;
      problem = now;
    }
    if (Objects.equals(before, now)) {
      return;
    }
    if (now == null) {
      LOG.info("NATS egress: publishing to stream " + config.stream() + " at " + address);
    } else {
      LOG.warning("NATS egress cannot publish: " + now);
    }
  }
}
