package io.density.egress;

import io.density.config.DensityConfig;
import io.nats.client.AuthenticationException;
import io.nats.client.Connection;
import io.nats.client.ConnectionListener;
import io.nats.client.Dispatcher;
import io.nats.client.ErrorListener;
import io.nats.client.JetStreamOptions;
import io.nats.client.Message;
import io.nats.client.Nats;
import io.nats.client.Options;
import io.nats.client.impl.Headers;
import io.nats.client.support.Status;
import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;
import io.vertx.core.net.PemTrustOptions;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.Callable;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicBoolean;
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
 * one is acknowledged, so a change lost with a connection or refused by the stream is never
 * overtaken by a later change of its key; different keys go out side by side, up to {@link
 * #MAX_IN_FLIGHT} at once. Sending a key's next change before that acknowledgement would not keep
 * the order: jnats sends after a reconnect what it had queued and not yet written (so the next
 * change may land while the one before was lost with the line), and the stream may refuse one
 * message and take the next (an operator's limit, a storage fault); a re-send of the earlier change
 * then lands after the later one, and no header of JetStream 2.9 can make the later one wait for it
 * without knowing its stream sequence (which only its acknowledgement tells).
 *
 * <p>Each change is a plain publish (which does not block) whose reply subject is in the sink's own
 * inbox: the stream's acknowledgements come to one subscription and are handled on this sink's
 * context, as many at once as have arrived, and one timer checks their deadline; so a change costs
 * no future, timer or parsed acknowledgement of its own (docs/egress.md, "What it costs").
 *
 * <p>jnats blocks in its connect and stream management calls: they run on a worker thread. The
 * client reconnects by itself (the sink publishes again once it has re-established its
 * subscriptions); until the first connection it is tried again every {@link #RETRY_CONNECT}. A
 * fault is one log line when it starts (and one when it ends) and {@link #problem()} while it
 * lasts; it never fails a start.
 */
public final class NatsSink implements Sink {
  private static final Logger LOG = Logger.getLogger(NatsSink.class.getName());

  /** Changes awaiting the stream's acknowledgement at once, across keys. */
  static final int MAX_IN_FLIGHT = 1024;

  private static final String MSG_ID = "Nats-Msg-Id";
  private static final String EXPECTED_STREAM = "Nats-Expected-Stream";
  private static final byte[] ERROR = "\"error\"".getBytes(StandardCharsets.UTF_8);

  static final Duration RETRY_CONNECT = Duration.ofSeconds(2);
  private static final Duration CONNECT_TIMEOUT = Duration.ofSeconds(5);

  private final Vertx vertx;
  private final Context context;
  private final DensityConfig.Egress.Nats config;
  private final NatsStream stream;
  private final String address;

  private volatile Connection connection;

  /** The connection's inbox for the stream's acknowledgements, with a trailing dot. */
  private volatile String inbox;

  /** Replies come on jnats's thread and are handled on the context, in bursts. */
  private final ConcurrentLinkedQueue<Message> replies = new ConcurrentLinkedQueue<>();

  private final AtomicBoolean draining = new AtomicBoolean();

  /** The batches awaiting acknowledgements, by number; on the context only. */
  private final Map<Long, Batch> batches = new HashMap<>();

  private long batchCount;
  private long sweepTimer = -1;
  private volatile boolean streamReady;

  /**
   * Whether the connection takes publishes: from the first connection, and again once jnats has
   * re-established its subscriptions after a reconnect (the inbox the acknowledgements come to).
   */
  private volatile boolean linked;

  /** When a forced reconnect was last asked for (ms), so that one is asked per ack timeout. */
  private volatile long forcedAtMs;

  private volatile boolean closed;

  /**
   * The blocking calls of jnats running on worker threads (a connect, the stream's setup, a forced
   * reconnect): {@link #close} waits for them, so that none ends after its Vert.x is gone.
   */
  private final Set<Future<?>> working = ConcurrentHashMap.newKeySet();

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
    onWorker(
            () -> {
              Connection c = Nats.connect(options());
              if (closed) {
                c.close();
                throw new IllegalStateException("the NATS sink is closed");
              }
              String replyInbox = c.createInbox() + ".";
              Dispatcher dispatcher = c.createDispatcher(this::onReply);
              dispatcher.subscribe(replyInbox + ">");
              inbox = replyInbox;
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
    if (closed) {
      return Future.failedFuture("the NATS sink is closed");
    }
    return onWorker(
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
    if (closed) {
      return Future.failedFuture("the NATS sink is closed");
    }
    if (c == null || !linked || c.getStatus() != Connection.Status.CONNECTED) {
      String why = problem();
      return Future.failedFuture(why == null ? "not connected to NATS at " + address : why);
    }
    if (changes.isEmpty()) {
      return Future.succeededFuture();
    }
    Future<Void> ready = streamReady ? Future.succeededFuture() : ensureStream();
    return ready
        .compose(v -> new Batch(c, changes).run())
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
    if (!closed) {
      onWorker(
          () -> {
            c.forceReconnect();
            return null;
          });
    }
  }

  /**
   * Closes the sink once the client's blocking calls in flight have returned. It runs on the sink's
   * context, where attempts start: one begun just before is waited for, and none begins after.
   */
  @Override
  public Future<Void> close() {
    closed = true;
    Promise<Void> done = Promise.promise();
    context.runOnContext(
        v -> {
          if (retryTimer >= 0) {
            vertx.cancelTimer(retryTimer);
          }
          idle()
              .compose(
                  none -> {
                    Connection c = connection;
                    return c == null
                        ? Future.<Void>succeededFuture()
                        : context.<Void>executeBlocking(
                            () -> {
                              c.close();
                              return null;
                            });
                  })
              .onComplete(done);
        });
    return done.future();
  }

  /** Runs a blocking call of jnats on a worker thread, counted in {@link #working}. */
  private <T> Future<T> onWorker(Callable<T> call) {
    Future<T> running = context.executeBlocking(call);
    working.add(running);
    running.onComplete(ar -> working.remove(running));
    return running;
  }

  /** Once no blocking call is running (one that ends may have started another). */
  private Future<Void> idle() {
    List<Future<?>> running = List.copyOf(working);
    return running.isEmpty()
        ? Future.succeededFuture()
        : Future.join(running).transform(ar -> idle());
  }

  /**
   * An acknowledgement (or a status, such as "no responders") the stream sent to this sink's inbox,
   * on jnats's dispatcher thread: queued, and handled on this sink's context, as many at once as
   * have come.
   */
  private void onReply(Message reply) {
    replies.add(reply);
    if (draining.compareAndSet(false, true)) {
      context.runOnContext(v -> drainReplies());
    }
  }

  private void drainReplies() {
    Message reply;
    while ((reply = replies.poll()) != null) {
      String subject = reply.getSubject();
      int dot = subject.lastIndexOf('.');
      int batchDot = subject.lastIndexOf('.', dot - 1);
      Batch batch;
      int index;
      try {
        batch = batches.get(Long.parseLong(subject.substring(batchDot + 1, dot)));
        index = Integer.parseInt(subject.substring(dot + 1));
      } catch (NumberFormatException e) {
        continue; // not one of ours
      }
      if (batch != null) {
        batch.replied(index, reply);
      }
    }
    draining.set(false);
    if (!replies.isEmpty() && draining.compareAndSet(false, true)) {
      context.runOnContext(v -> drainReplies());
    }
  }

  /** Fails every batch whose oldest change awaiting its acknowledgement waited too long. */
  private void sweep() {
    long now = System.nanoTime();
    for (Batch batch : List.copyOf(batches.values())) {
      batch.expire(now);
    }
    if (batches.isEmpty() && sweepTimer >= 0) {
      vertx.cancelTimer(sweepTimer);
      sweepTimer = -1;
    }
  }

  /**
   * The changes of one call: each key's changes in order, one awaiting its acknowledgement at a
   * time; the first failure fails the call and stops what has not been sent yet. Each change is a
   * plain publish whose reply subject is {@code <inbox>.<batch>.<index>}: the stream answers it
   * with its acknowledgement (or jnats's server with "no responders" when no stream takes the
   * subject), which {@link #onReply} hands back here; one timer checks the acknowledgements'
   * deadline for every batch.
   */
  private final class Batch {
    private final long number = ++batchCount;
    private final Connection connection;
    private final List<Change> changes;
    private final String replyPrefix;

    /** The next change of the same key (an index), or -1. */
    private final int[] nextOfKey;

    /** When each change was sent (System.nanoTime), 0 before; and whether it is acknowledged. */
    private final long[] sentAt;

    private final boolean[] acknowledged;

    /** Changes that may go now (the first unsent of a key whose change before is acknowledged). */
    private final int[] ready;

    private int readyHead;
    private int readyTail;
    private int inFlight;
    private int done;
    private final Promise<Void> finished = Promise.promise();

    Batch(Connection connection, List<Change> changes) {
      this.connection = connection;
      this.changes = changes;
      this.replyPrefix = inbox + number + ".";
      int n = changes.size();
      nextOfKey = new int[n];
      sentAt = new long[n];
      acknowledged = new boolean[n];
      ready = new int[n];
      Map<String, Integer> lastOfKey = new HashMap<>();
      for (int i = 0; i < n; i++) {
        nextOfKey[i] = -1;
        Change change = changes.get(i);
        Integer last = lastOfKey.put(change.orderKey(), i);
        if (last == null) {
          ready[readyTail++] = i;
        } else {
          nextOfKey[last] = i;
        }
      }
    }

    Future<Void> run() {
      batches.put(number, this);
      if (sweepTimer < 0) {
        long every = Math.max(1, Math.min(250, config.ackTimeoutMs() / 4));
        sweepTimer = vertx.setPeriodic(every, t -> sweep());
      }
      pump();
      return finished.future();
    }

    private void pump() {
      while (inFlight < MAX_IN_FLIGHT && readyHead < readyTail && !finished.future().isComplete()) {
        send(ready[readyHead++]);
      }
      if (done == changes.size()) {
        finish(null);
      }
    }

    private void send(int index) {
      Change change = changes.get(index);
      String id = NatsStream.messageId(change);
      try {
        Headers headers = new Headers().put(MSG_ID, id).put(EXPECTED_STREAM, config.stream());
        connection.publish(
            stream.subject(change),
            replyPrefix + index,
            headers,
            change.body().toBuffer().getBytes());
      } catch (RuntimeException e) {
        finish(new IllegalStateException(id + ": " + e.getMessage(), e));
        return;
      }
      sentAt[index] = System.nanoTime();
      inFlight++;
    }

    void replied(int index, Message reply) {
      if (index < 0
          || index >= changes.size()
          || sentAt[index] == 0
          || acknowledged[index]
          || finished.future().isComplete()) {
        return; // a repeat, or one of a batch given up
      }
      String failure = failure(changes.get(index), reply);
      if (failure != null) {
        finish(
            new IllegalStateException(NatsStream.messageId(changes.get(index)) + ": " + failure));
        return;
      }
      acknowledged[index] = true;
      inFlight--;
      done++;
      if (nextOfKey[index] >= 0) {
        ready[readyTail++] = nextOfKey[index];
      }
      pump();
    }

    /** Fails the batch when a change has waited for its acknowledgement past the ack timeout. */
    void expire(long now) {
      long limit = TimeUnit.MILLISECONDS.toNanos(config.ackTimeoutMs());
      for (int i = 0; i < changes.size(); i++) {
        if (sentAt[i] != 0 && !acknowledged[i] && now - sentAt[i] >= limit) {
          finish(
              new IllegalStateException(
                  NatsStream.messageId(changes.get(i))
                      + ": not acknowledged within "
                      + config.ackTimeoutMs()
                      + " ms",
                  new TimeoutException()));
          return;
        }
      }
    }

    private void finish(Throwable failure) {
      batches.remove(number);
      if (failure == null) {
        finished.tryComplete();
      } else {
        finished.tryFail(failure);
      }
    }
  }

  /**
   * Why the stream did not take a change, from its reply (null: it did, now or before, as a
   * duplicate). A reply is a status when no stream takes the subject, else the stream's JSON
   * acknowledgement, which names an error when it refused the message.
   */
  private String failure(Change change, Message reply) {
    if (reply.isStatusMessage()) {
      if (reply.getStatus().getCode() == Status.NO_RESPONDERS_CODE) {
        streamReady = false; // deleted under us: created again before the next publish
        return "no stream takes " + stream.subject(change) + " (it is created again)";
      }
      return reply.getStatus().getMessageWithCode();
    }
    byte[] data = reply.getData();
    if (data == null || data.length == 0) {
      return "an empty acknowledgement";
    }
    if (!contains(data, ERROR)) {
      return null;
    }
    try {
      JsonObject error =
          new JsonObject(new String(data, StandardCharsets.UTF_8)).getJsonObject("error");
      return error == null ? "refused" : error.getString("description", error.encode());
    } catch (RuntimeException e) {
      return "an acknowledgement that does not read: " + new String(data, StandardCharsets.UTF_8);
    }
  }

  private static boolean contains(byte[] data, byte[] part) {
    outer:
    for (int i = 0; i + part.length <= data.length; i++) {
      for (int j = 0; j < part.length; j++) {
        if (data[i + j] != part[j]) {
          continue outer;
        }
      }
      return true;
    }
    return false;
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
