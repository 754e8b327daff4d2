package io.density.config;

import io.vertx.core.json.JsonObject;
import io.vertx.pgclient.PgConnectOptions;
import java.io.IOException;
import java.io.InputStream;
import java.net.URI;
import java.net.URISyntaxException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.regex.Pattern;

/**
 * The whole configuration, read once at start: {@code conf/config.json} (or the file named by
 * {@code DENSITY_CONFIG}, or the copy built into the jar), then environment overrides. Each
 * verticle receives only its slice, as JSON, through its deployment options.
 */
public record DensityConfig(
    Http http,
    Postgres postgres,
    Redis redis,
    Ingest ingest,
    Alerts alerts,
    Cluster cluster,
    Auth auth,
    Logging logging,
    Mqtt mqtt,
    Egress egress,
    History history,
    String roles) {

  public DensityConfig {
    if (logging == null) {
      logging = new Logging(null, null); // a configuration file from before logging existed
    }
    if (mqtt == null) {
      mqtt = new Mqtt(null, null, null, null, null); // nor MQTT
    }
    if (egress == null) {
      egress = new Egress(null, null, null, null, null); // nor egress
    }
    if (history == null) {
      history = new History(null, null); // nor stored utilization days
    }
    if (egress.mqtt().enabled() && egress.mqtt().url().isEmpty() && !mqtt.enabled()) {
      throw new IllegalArgumentException(
          "egress.mqtt.enabled (DENSITY_EGRESS_MQTT_ENABLED) needs a broker: egress.mqtt.url"
              + " (DENSITY_EGRESS_MQTT_URL), or mqtt.url (DENSITY_MQTT_URL) to use the ingest one");
    }
  }

  /** Every role a node can take; a node deploys the verticles of the roles it is given. */
  public static final List<String> ROLES =
      List.of("counter", "persistence", "query", "history", "registry", "alerts", "http");

  /**
   * The HTTP API: where it listens, how much one request may carry, TLS (PEM files; plain HTTP when
   * none), the origins allowed to call it from a browser (CORS), and the defences that keep one
   * client from starving the others (docs/security.md): a minimum rate for bodies, shares per
   * client address, a deadline for a request's head, how long a connection may wait between
   * requests, and the proxies whose word on a client's address is taken. The defences' settings may
   * be left out of a configuration file: they then take the defaults below.
   */
  public record Http(
      String host,
      int port,
      int instances,
      int maxBodyBytes,
      long maxBodyBytesHeld,
      long maxBodyBytesHeldPerClient,
      int minBodyBytesPerSecond,
      int bodyGraceSeconds,
      int maxBatchItems,
      int maxConnections,
      int maxConnectionsPerClient,
      int requestHeadTimeoutSeconds,
      int idleTimeoutSeconds,
      int maxEventStreams,
      String trustedProxies,
      String tlsCertFile,
      String tlsKeyFile,
      String corsOrigins) {
    public static final long DEFAULT_BODY_BYTES_HELD_PER_CLIENT = 16L << 20;
    public static final int DEFAULT_MIN_BODY_BYTES_PER_SECOND = 64 << 10;
    public static final int DEFAULT_BODY_GRACE_SECONDS = 5;
    public static final int DEFAULT_CONNECTIONS_PER_CLIENT = 1_000;
    public static final int DEFAULT_REQUEST_HEAD_TIMEOUT_SECONDS = 10;
    public static final int DEFAULT_IDLE_TIMEOUT_SECONDS = 60;

    public Http {
      maxBodyBytesHeldPerClient =
          maxBodyBytesHeldPerClient == 0
              ? DEFAULT_BODY_BYTES_HELD_PER_CLIENT
              : maxBodyBytesHeldPerClient;
      minBodyBytesPerSecond =
          minBodyBytesPerSecond == 0 ? DEFAULT_MIN_BODY_BYTES_PER_SECOND : minBodyBytesPerSecond;
      bodyGraceSeconds = bodyGraceSeconds == 0 ? DEFAULT_BODY_GRACE_SECONDS : bodyGraceSeconds;
      maxConnectionsPerClient =
          maxConnectionsPerClient == 0 ? DEFAULT_CONNECTIONS_PER_CLIENT : maxConnectionsPerClient;
      requestHeadTimeoutSeconds =
          requestHeadTimeoutSeconds == 0
              ? DEFAULT_REQUEST_HEAD_TIMEOUT_SECONDS
              : requestHeadTimeoutSeconds;
      idleTimeoutSeconds =
          idleTimeoutSeconds == 0 ? DEFAULT_IDLE_TIMEOUT_SECONDS : idleTimeoutSeconds;
      trustedProxies = trustedProxies == null ? "" : trustedProxies;
      if (maxBodyBytesHeldPerClient < 1
          || minBodyBytesPerSecond < 1
          || bodyGraceSeconds < 1
          || maxConnectionsPerClient < 1
          || requestHeadTimeoutSeconds < 1
          || idleTimeoutSeconds < 1) {
        throw new IllegalArgumentException(
            "http.maxBodyBytesHeldPerClient, http.minBodyBytesPerSecond, http.bodyGraceSeconds,"
                + " http.maxConnectionsPerClient, http.requestHeadTimeoutSeconds and"
                + " http.idleTimeoutSeconds must be at least 1");
      }
      if (port < 0 || port > 65535) {
        throw new IllegalArgumentException(
            "http.port (DENSITY_HTTP_PORT) must be 0 to 65535 (0: any free port), not " + port);
      }
      if (instances < 1
          || maxBodyBytes < 1
          || maxBodyBytesHeld < 1
          || maxBatchItems < 1
          || maxConnections < 1
          || maxEventStreams < 1) {
        throw new IllegalArgumentException(
            "http.instances, http.maxBodyBytes, http.maxBodyBytesHeld, http.maxBatchItems, http.maxConnections and"
                + " http.maxEventStreams must be at least 1");
      }
      if ((tlsCertFile == null || tlsCertFile.isBlank())
          != (tlsKeyFile == null || tlsKeyFile.isBlank())) {
        throw new IllegalArgumentException(
            "http.tlsCertFile and http.tlsKeyFile (DENSITY_TLS_CERT, DENSITY_TLS_KEY) go together");
      }
    }

    /** A node-wide limit shared out among its HTTP verticles. */
    public int perInstance(int nodeLimit) {
      return (int) perInstance((long) nodeLimit);
    }

    public long perInstance(long nodeLimit) {
      return (nodeLimit + instances - 1) / instances;
    }

    /** The addresses and CIDR blocks of the trusted proxies (none when empty). */
    public List<String> trustedProxyList() {
      return commaSeparated(trustedProxies);
    }

    /** Whether the API is served over TLS (a PEM certificate and key are configured). */
    public boolean tls() {
      return tlsCertFile != null && !tlsCertFile.isBlank();
    }

    /** The origins browsers may call the API from ("*": any); none when empty. */
    public List<String> corsOriginList() {
      return commaSeparated(corsOrigins);
    }

    /** The items of a comma-separated setting, trimmed; none when it is empty or absent. */
    private static List<String> commaSeparated(String setting) {
      return setting == null || setting.isBlank()
          ? List.of()
          : List.of(setting.trim().split("\\s*,\\s*"));
    }
  }

  /**
   * Bearer tokens on every API route but the health endpoints. Off only for a closed network (the
   * server then warns at start).
   */
  public record Auth(boolean enabled) {}

  /**
   * Log lines: {@code format} is {@code text} (one readable line) or {@code json} (one JSON object
   * a line, for log shippers); {@code access} writes one line per HTTP request.
   */
  public record Logging(String format, Boolean access) {
    public static final List<String> FORMATS = List.of("text", "json");

    public Logging {
      String given = format;
      format = format == null || format.isBlank() ? "text" : format.trim().toLowerCase();
      access = access != null && access;
      if (!FORMATS.contains(format)) {
        throw new IllegalArgumentException(
            "logging.format (DENSITY_LOG_FORMAT) must be text or json, not " + given);
      }
    }

    /** Whether log lines are JSON objects. */
    public boolean json() {
      return "json".equals(format);
    }
  }

  /**
   * MQTT ingest, off unless {@code url} is set ({@code mqtt://[user:pass@]host[:port]}): the node
   * subscribes to {@code topic} with QoS 1 in a persistent session named {@code clientId}, and
   * republishes rejected items to {@code rejectedTopic}. With {@code sharedGroup}, it subscribes as
   * a member of that shared subscription ({@code $share/<group>/<topic>}), so that each message
   * goes to one node of a cluster.
   */
  public record Mqtt(
      String url, String topic, String rejectedTopic, String clientId, String sharedGroup) {
    public Mqtt {
      url = url == null ? "" : url.trim();
      topic = topic == null || topic.isBlank() ? "density/datapoints/#" : topic.trim();
      rejectedTopic =
          rejectedTopic == null || rejectedTopic.isBlank() ? "density/rejected" : rejectedTopic;
      clientId = clientId == null || clientId.isBlank() ? "density" : clientId.trim();
      sharedGroup = sharedGroup == null ? "" : sharedGroup.trim();
      if (!url.isEmpty()) {
        checkBrokerUrl("mqtt.url (DENSITY_MQTT_URL)", url);
      }
    }

    public boolean enabled() {
      return !url.isEmpty();
    }

    /** The broker's host. */
    public String host() {
      return URI.create(url).getHost();
    }

    /** The broker's port (1883 when the URL names none, 8883 for {@code mqtts://}). */
    public int port() {
      return brokerPort(url);
    }

    /** Whether the broker is reached over TLS ({@code mqtts://}). */
    public boolean tls() {
      return url.startsWith("mqtts:");
    }

    /** {@code user:pass} from the URL, or null. */
    public String userInfo() {
      return URI.create(url).getUserInfo();
    }

    /** What the node subscribes to. */
    public String subscription() {
      return sharedGroup.isEmpty() ? topic : "$share/" + sharedGroup + "/" + topic;
    }
  }

  /** Refuses a broker URL other than {@code mqtt[s]://[user:pass@]host[:port]}. */
  static void checkBrokerUrl(String key, String url) {
    URI uri;
    try {
      uri = new URI(url);
    } catch (URISyntaxException e) {
      throw new IllegalArgumentException(key + " is not a URL: " + url);
    }
    if (!("mqtt".equals(uri.getScheme()) || "mqtts".equals(uri.getScheme()))
        || uri.getHost() == null) {
      throw new IllegalArgumentException(
          key + " must be mqtt://[user:pass@]host[:port] or mqtts://…, not " + url);
    }
  }

  /**
   * The port of an MQTT broker URL: its own, or 1883 ({@code mqtt://}) or 8883 ({@code mqtts://}).
   */
  static int brokerPort(String url) {
    int port = URI.create(url).getPort();
    return port >= 0 ? port : url.startsWith("mqtts:") ? 8883 : 1883;
  }

  /**
   * Egress to brokers (docs/egress.md): each change of a count and each alert is written to an
   * outbox in PostgreSQL when any sink is on, and one node (the leader of the job) reads it ahead
   * by at most {@code maxInFlight} changes and gives them to each sink; changes no sink took for
   * {@code maxBacklogAgeSeconds} are dropped. {@code pollMs}: how often the outbox is read while
   * there is nothing new.
   */
  public record Egress(
      Integer maxInFlight, Long maxBacklogAgeSeconds, Integer pollMs, Mqtt mqtt, Nats nats) {
    public Egress {
      maxInFlight = maxInFlight == null ? 1000 : maxInFlight;
      maxBacklogAgeSeconds = maxBacklogAgeSeconds == null ? 86_400L : maxBacklogAgeSeconds;
      pollMs = pollMs == null ? 20 : pollMs;
      mqtt = mqtt == null ? new Mqtt(null, null, null, null, null) : mqtt;
      nats =
          nats == null
              ? new Nats(null, null, null, null, null, null, null, null, null, null)
              : nats;
      if (maxInFlight < 1) {
        throw new IllegalArgumentException(
            "egress.maxInFlight (DENSITY_EGRESS_MAX_IN_FLIGHT) must be at least 1");
      }
      if (maxBacklogAgeSeconds < 1) {
        throw new IllegalArgumentException(
            "egress.maxBacklogAgeSeconds (DENSITY_EGRESS_MAX_BACKLOG_AGE_SECONDS) must be at"
                + " least 1");
      }
      if (pollMs < 1) {
        throw new IllegalArgumentException(
            "egress.pollMs (DENSITY_EGRESS_POLL_MS) must be at least 1");
      }
    }

    /** Whether any sink is on: the counting path then writes the outbox. */
    public boolean on() {
      return mqtt.enabled() || nats.enabled();
    }

    /**
     * The MQTT sink: the current count of each space, retained, under {@code topicPrefix}; alerts
     * not retained. {@code url} empty: the broker of {@code mqtt.url}. Its own session ({@code
     * clientId}); at most one message per space every {@code minIntervalMs}.
     */
    public record Mqtt(
        Boolean enabled, String url, String clientId, String topicPrefix, Integer minIntervalMs) {
      public Mqtt {
        enabled = enabled != null && enabled;
        url = url == null ? "" : url.trim();
        clientId = clientId == null || clientId.isBlank() ? "density-egress" : clientId.trim();
        topicPrefix = topicPrefix == null || topicPrefix.isBlank() ? "density" : topicPrefix.trim();
        minIntervalMs = minIntervalMs == null ? 100 : minIntervalMs;
        if (!url.isEmpty()) {
          checkBrokerUrl("egress.mqtt.url (DENSITY_EGRESS_MQTT_URL)", url);
        }
        if (topicPrefix.contains("+") || topicPrefix.contains("#")) {
          throw new IllegalArgumentException(
              "egress.mqtt.topicPrefix (DENSITY_EGRESS_MQTT_TOPIC_PREFIX) cannot hold + or #: "
                  + topicPrefix);
        }
        if (minIntervalMs < 0) {
          throw new IllegalArgumentException(
              "egress.mqtt.minIntervalMs (DENSITY_EGRESS_MQTT_MIN_INTERVAL_MS) cannot be"
                  + " negative");
        }
      }

      /** The broker's URL: {@code url}, or the ingest broker's. */
      public String brokerUrl(DensityConfig.Mqtt ingest) {
        return url.isEmpty() ? ingest.url() : url;
      }
    }

    /**
     * The NATS JetStream egress, off unless {@code url} is set ({@code nats://host[:port]}, or
     * {@code tls://} for TLS, trusting {@code tlsCaFile} when given, the JVM's trust store
     * otherwise). Credentials: {@code user} and {@code password}, or {@code token}. Changes go to
     * the stream {@code stream}, created or updated to keep messages {@code maxAgeSeconds} (0: no
     * limit) and {@code maxBytes} (0: no limit), on subjects under {@code subjectPrefix}; a message
     * not acknowledged by the stream within {@code ackTimeoutMs} is a failed publish.
     */
    public record Nats(
        String url,
        String user,
        String password,
        String token,
        String tlsCaFile,
        String stream,
        String subjectPrefix,
        Long maxAgeSeconds,
        Long maxBytes,
        Long ackTimeoutMs) {
      public static final long DEFAULT_MAX_AGE_SECONDS = 7 * 24 * 3600;
      public static final long DEFAULT_ACK_TIMEOUT_MS = 5_000;
      private static final Pattern TOKEN = Pattern.compile("[A-Za-z0-9_-]+");

      public Nats {
        url = url == null ? "" : url.trim();
        user = user == null ? "" : user;
        password = password == null ? "" : password;
        token = token == null ? "" : token;
        tlsCaFile = tlsCaFile == null ? "" : tlsCaFile.trim();
        stream = stream == null || stream.isBlank() ? "DENSITY" : stream.trim();
        subjectPrefix =
            subjectPrefix == null || subjectPrefix.isBlank() ? "density" : subjectPrefix.trim();
        maxAgeSeconds = maxAgeSeconds == null ? DEFAULT_MAX_AGE_SECONDS : maxAgeSeconds;
        maxBytes = maxBytes == null ? 0L : maxBytes;
        ackTimeoutMs =
            ackTimeoutMs == null || ackTimeoutMs == 0 ? DEFAULT_ACK_TIMEOUT_MS : ackTimeoutMs;
        if (!url.isEmpty()) {
          URI uri;
          try {
            uri = new URI(url);
          } catch (URISyntaxException e) {
            uri = null;
          }
          if (uri == null
              || uri.getHost() == null
              || !("nats".equals(uri.getScheme()) || "tls".equals(uri.getScheme()))) {
            throw new IllegalArgumentException(
                "egress.nats.url (DENSITY_EGRESS_NATS_URL) must be nats://host[:port] or"
                    + " tls://host[:port], not "
                    + url);
          }
        }
        if (!token.isEmpty() && !user.isEmpty()) {
          throw new IllegalArgumentException(
              "egress.nats.token and egress.nats.user (DENSITY_EGRESS_NATS_TOKEN,"
                  + " DENSITY_EGRESS_NATS_USER) do not go together: one or the other");
        }
        if (!tlsCaFile.isEmpty() && !url.isEmpty() && !url.startsWith("tls://")) {
          throw new IllegalArgumentException(
              "egress.nats.tlsCaFile (DENSITY_EGRESS_NATS_TLS_CA_FILE) needs a tls:// URL in"
                  + " egress.nats.url, not "
                  + url);
        }
        if (!TOKEN.matcher(stream).matches()) {
          throw new IllegalArgumentException(
              "egress.nats.stream (DENSITY_EGRESS_NATS_STREAM) must be letters, digits, - and _,"
                  + " not "
                  + stream);
        }
        for (String part : subjectPrefix.split("\\.", -1)) {
          if (!TOKEN.matcher(part).matches()) {
            throw new IllegalArgumentException(
                "egress.nats.subjectPrefix (DENSITY_EGRESS_NATS_SUBJECT_PREFIX) must be tokens of"
                    + " letters, digits, - and _ joined by dots, not "
                    + subjectPrefix);
          }
        }
        if (maxAgeSeconds < 0 || maxBytes < 0 || ackTimeoutMs < 1) {
          throw new IllegalArgumentException(
              "egress.nats.maxAgeSeconds and egress.nats.maxBytes must be 0 (no limit) or more,"
                  + " egress.nats.ackTimeoutMs at least 1");
        }
      }

      public boolean enabled() {
        return !url.isEmpty();
      }
    }
  }

  /** PostgreSQL, as a {@code postgresql://user:pass@host:port/db} URL. */
  public record Postgres(String url, int poolSize) {
    public Postgres {
      try {
        PgConnectOptions.fromUri(url);
      } catch (RuntimeException e) {
        throw new IllegalArgumentException(
            "postgres.url (DENSITY_PG_URL) is not a postgresql://user:pass@host:port/db URL: "
                + url);
      }
    }
  }

  /** Redis, as a {@code redis://host:port[/db]} URL; every key starts with keyPrefix. */
  public record Redis(String url, int poolSize, String keyPrefix) {
    public Redis {
      URI uri;
      try {
        uri = new URI(url);
      } catch (URISyntaxException | NullPointerException e) {
        uri = null;
      }
      if (uri == null
          || uri.getHost() == null
          || !("redis".equals(uri.getScheme()) || "rediss".equals(uri.getScheme()))) {
        throw new IllegalArgumentException(
            "redis.url (DENSITY_REDIS_URL) is not a redis://host:port URL: " + url);
      }
    }
  }

  /**
   * Group commit of datapoints and the rules applied to them. {@code inserters} says which
   * persistence verticles insert datapoints: {@code leader} (one in the deployment, so batches are
   * counted in the order they arrived) or {@code every} (each node inserts what its own HTTP
   * verticle receives).
   *
   * <p>Counting a batch: each part waits {@code partTimeoutMs} for its shard's owner to answer, and
   * is asked again (a new owner, or the same one) until {@code partDeadlineMs}; a request is
   * answered within {@code ackTimeoutMs} (503 when its batch is not counted by then); a batch left
   * uncounted for {@code stalledBatchSeconds} is reported (log, readiness detail); a shard owner
   * that cannot reach the leader over the event bus for {@code leaderUnreachableMs} gives its
   * shards up. A setting left out (0) takes its default.
   *
   * <p>{@code outOfOrderWindowMs}: effects of a space that arrive out of order by up to this much
   * (behind the space's latest effect) are placed in the space's tail in Redis and cost no recount
   * in PostgreSQL (docs/counting.md); 0 switches the tails off; left out, 10 s. {@code
   * correctionDelayMs}: how long the corrections such an effect makes to the stored counts of the
   * effects after it are held, so that a row corrected by several parts in a row is written once
   * (the realtime count is right at once; as-of and history answers within this much); 0 writes
   * them with the part that made them; left out, 400 ms.
   */
  public record Ingest(
      int maxBatch,
      int lingerMs,
      int maxPending,
      int parallelInserts,
      int countingShards,
      String inserters,
      int maxFutureSkewSeconds,
      String earliestTimestamp,
      long recoveryIntervalMs,
      long dailyResetCheckMs,
      int retentionDays,
      long retentionCheckMs,
      long partTimeoutMs,
      long partDeadlineMs,
      long ackTimeoutMs,
      long stalledBatchSeconds,
      long leaderUnreachableMs,
      Long outOfOrderWindowMs,
      Long correctionDelayMs) {
    public static final long DEFAULT_OUT_OF_ORDER_WINDOW_MS = 10_000;
    public static final long DEFAULT_CORRECTION_DELAY_MS = 400;

    public Ingest {
      if (!"leader".equals(inserters) && !"every".equals(inserters)) {
        throw new IllegalArgumentException(
            "ingest.inserters must be leader or every, not " + inserters);
      }
      partTimeoutMs = partTimeoutMs == 0 ? 15_000 : partTimeoutMs;
      partDeadlineMs = partDeadlineMs == 0 ? 30_000 : partDeadlineMs;
      ackTimeoutMs = ackTimeoutMs == 0 ? 15_000 : ackTimeoutMs;
      stalledBatchSeconds = stalledBatchSeconds == 0 ? 60 : stalledBatchSeconds;
      outOfOrderWindowMs =
          outOfOrderWindowMs == null ? DEFAULT_OUT_OF_ORDER_WINDOW_MS : outOfOrderWindowMs;
      if (outOfOrderWindowMs < 0) {
        throw new IllegalArgumentException(
            "ingest.outOfOrderWindowMs must be 0 (no window) or more, not " + outOfOrderWindowMs);
      }
      correctionDelayMs =
          correctionDelayMs == null ? DEFAULT_CORRECTION_DELAY_MS : correctionDelayMs;
      if (correctionDelayMs < 0 || correctionDelayMs > 1000) {
        throw new IllegalArgumentException(
            "ingest.correctionDelayMs must be from 0 (corrections written at once) to 1000 (the"
                + " counting contract's reconciliation lag), not "
                + correctionDelayMs);
      }
      if (lingerMs < 0) {
        throw new IllegalArgumentException(
            "ingest.lingerMs must be 0 (a lone request is written at once) or more, not "
                + lingerMs);
      }
      leaderUnreachableMs = leaderUnreachableMs == 0 ? 15_000 : leaderUnreachableMs;
      if (partTimeoutMs < 0
          || partDeadlineMs < 0
          || ackTimeoutMs < 0
          || stalledBatchSeconds < 0
          || leaderUnreachableMs < 0) {
        throw new IllegalArgumentException(
            "ingest.partTimeoutMs, partDeadlineMs, ackTimeoutMs, stalledBatchSeconds and"
                + " leaderUnreachableMs must be positive");
      }
    }

    /** Whether every persistence verticle inserts the datapoints of its own node. */
    public boolean everyNodeInserts() {
      return "every".equals(inserters);
    }
  }

  /**
   * Webhook delivery of alerts: per attempt timeout, attempts with doubling backoff, pausing;
   * whether webhooks may target the server's own network: loopback, private-use, CGNAT, link-local
   * and unique local addresses (off unless the network is closed; docs/security.md); how many
   * deliveries may wait on a node before the oldest is dropped. Sensor-health rules are evaluated
   * every {@code healthCheckMs}; a {@code flood} rule's rate (datapoints per minute) is measured
   * over the last {@code floodWindowSeconds} of datapoint time. Both may be left out of a
   * configuration file: they then take the defaults below.
   */
  public record Alerts(
      int webhookTimeoutMs,
      int webhookAttempts,
      int webhookBackoffMs,
      int pauseAfterFailures,
      boolean webhookPrivateTargets,
      int maxPendingDeliveries,
      int healthCheckMs,
      int floodWindowSeconds) {
    public static final int DEFAULT_HEALTH_CHECK_MS = 5_000;
    public static final int DEFAULT_FLOOD_WINDOW_SECONDS = 60;

    public Alerts {
      healthCheckMs = healthCheckMs == 0 ? DEFAULT_HEALTH_CHECK_MS : healthCheckMs;
      floodWindowSeconds =
          floodWindowSeconds == 0 ? DEFAULT_FLOOD_WINDOW_SECONDS : floodWindowSeconds;
      if (healthCheckMs < 1 || floodWindowSeconds < 1) {
        throw new IllegalArgumentException(
            "alerts.healthCheckMs (DENSITY_HEALTH_CHECK_MS) and alerts.floodWindowSeconds"
                + " (DENSITY_FLOOD_WINDOW_SECONDS) must be at least 1");
      }
      if (webhookTimeoutMs < 1 || webhookAttempts < 1 || pauseAfterFailures < 1) {
        throw new IllegalArgumentException(
            "alerts.webhookTimeoutMs, alerts.webhookAttempts and alerts.pauseAfterFailures must be"
                + " at least 1");
      }
      if (webhookBackoffMs < 0) {
        throw new IllegalArgumentException("alerts.webhookBackoffMs must be 0 or more");
      }
      if (maxPendingDeliveries < 1) {
        throw new IllegalArgumentException(
            "alerts.maxPendingDeliveries (DENSITY_WEBHOOK_MAX_PENDING) must be at least 1, not "
                + maxPendingDeliveries);
      }
    }
  }

  /**
   * History: every {@code utilizationSummaryMinutes} (0: never), one node stores the complete
   * utilization days of every space that are not stored yet, over the last {@code
   * utilizationSummaryDays} local days of each space (docs/counting.md, "Utilization"; docs/
   * operations.md). Both may be left out of a configuration file: they then take the defaults
   * below.
   */
  public record History(Integer utilizationSummaryMinutes, Integer utilizationSummaryDays) {
    public static final int DEFAULT_SUMMARY_MINUTES = 5;
    public static final int DEFAULT_SUMMARY_DAYS = 92;

    public History {
      utilizationSummaryMinutes =
          utilizationSummaryMinutes == null ? DEFAULT_SUMMARY_MINUTES : utilizationSummaryMinutes;
      utilizationSummaryDays =
          utilizationSummaryDays == null ? DEFAULT_SUMMARY_DAYS : utilizationSummaryDays;
      if (utilizationSummaryMinutes < 0) {
        throw new IllegalArgumentException(
            "history.utilizationSummaryMinutes (DENSITY_HISTORY_UTILIZATION_SUMMARY_MINUTES) must"
                + " be 0 (off) or more, not "
                + utilizationSummaryMinutes);
      }
      if (utilizationSummaryDays < 1 || utilizationSummaryDays > 366) {
        throw new IllegalArgumentException(
            "history.utilizationSummaryDays (DENSITY_HISTORY_UTILIZATION_SUMMARY_DAYS) must be"
                + " between 1 and 366, not "
                + utilizationSummaryDays);
      }
    }
  }

  /**
   * Clustering (Hazelcast): off by default. {@code join} is {@code tcp-ip} (members: a
   * comma-separated list of hosts), {@code multicast}, or {@code kubernetes} (Hazelcast's
   * Kubernetes discovery, in the pod's namespace). {@code host} is the address this node binds and
   * advertises, for Hazelcast and the event bus; ports are chosen automatically.
   */
  public record Cluster(boolean enabled, String name, String join, String members, String host) {}

  /**
   * The configuration file, then every key the environment sets: {@code DENSITY_} and the key's
   * words ({@code ingest.outOfOrderWindowMs}: {@code DENSITY_INGEST_OUT_OF_ORDER_WINDOW_MS}), or an
   * older alias ({@code DENSITY_PG_URL}); see {@link EnvironmentNames} and docs/configuration.md.
   */
  public static DensityConfig load(Map<String, String> env) {
    JsonObject json = readFile(env.get("DENSITY_CONFIG"));
    EnvironmentNames.apply(json, env);
    return fromJson(json);
  }

  public static DensityConfig fromJson(JsonObject json) {
    return json.mapTo(DensityConfig.class);
  }

  public JsonObject toJson() {
    return JsonObject.mapFrom(this);
  }

  /** A copy with one setting changed, e.g. {@code with("postgres", "url", "postgresql://...")}. */
  public DensityConfig with(String section, String key, Object value) {
    JsonObject json = toJson();
    json.getJsonObject(section).put(key, value);
    return fromJson(json);
  }

  /** A copy deploying other roles (comma-separated). */
  public DensityConfig withRoles(String roles) {
    return fromJson(toJson().put("roles", roles));
  }

  /** The roles this node takes, checked against {@link #ROLES}. */
  public List<String> roleList() {
    List<String> list = new ArrayList<>();
    for (String role : roles.split(",")) {
      String r = role.trim().toLowerCase();
      if (r.isEmpty()) {
        continue;
      }
      if (!ROLES.contains(r)) {
        throw new IllegalArgumentException(
            "unknown role " + r + " (roles: " + String.join(",", ROLES) + ")");
      }
      list.add(r);
    }
    return list;
  }

  private static JsonObject readFile(String explicitPath) {
    try {
      Path path = Path.of(explicitPath != null ? explicitPath : "conf/config.json");
      if (Files.isRegularFile(path)) {
        return new JsonObject(Files.readString(path));
      }
      if (explicitPath != null) {
        throw new IllegalArgumentException("DENSITY_CONFIG names no file: " + explicitPath);
      }
      try (InputStream in = DensityConfig.class.getResourceAsStream("/conf/config.json")) {
        if (in == null) {
          throw new IllegalStateException("no conf/config.json on disk or in the jar");
        }
        return new JsonObject(new String(in.readAllBytes(), StandardCharsets.UTF_8));
      }
    } catch (IOException e) {
      throw new IllegalStateException("cannot read the configuration: " + e.getMessage(), e);
    }
  }
}
