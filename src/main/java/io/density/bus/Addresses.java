package io.density.bus;

/**
 * Every event-bus address of the server, in one place. The services that routes ask (registry,
 * tokens, alert management, history, query) take the typed request records of their package (a
 * {@link Service} each); the datapoints of {@link #INGEST} travel as a {@code
 * ingest.DatapointBatch}; the other addresses take JSON objects.
 */
public final class Addresses {
  private Addresses() {}

  /** HTTP to persistence: a DatapointBatch → {@code {results: ["accepted"|"duplicate"]}}. */
  public static final String INGEST = "density.ingest";

  /**
   * The header that tells a counting shard's {@link #CLOSED} from a part to count ({@link
   * #countingShard}). The services name their operations by their request records instead.
   */
  public static final String ACTION = "action";

  /** The {@link #ACTION} of a counting shard's message that a part's batch is closed. */
  public static final String CLOSED = "closed";

  /**
   * Published by an inserter on each change of its ingest queue's state, and renewed while it is
   * full: {@code {overloaded}}. HTTP verticles answer ingest 429 before reading a body meanwhile.
   */
  public static final String INGEST_PRESSURE = "density.ingest.pressure";

  /**
   * Persistence to the owner of counting shard k (one persistence verticle in the deployment): a
   * part of a committed batch to count → {@code {}}; or, with header {@code action: closed}, the
   * key of a part whose batch is closed (no reply).
   */
  public static String countingShard(int shard) {
    return "density.persistence.shard." + shard;
  }

  /** Persistence to counter: one committed batch to apply to Redis. */
  public static final String COUNTER_APPLY = "density.counter.apply";

  /** Persistence to counter: replace the realtime state with a snapshot rebuilt from SQL. */
  public static final String COUNTER_LOAD = "density.counter.load";

  /** Persistence to counter: set the reconciled counts of spaces recounted after late effects. */
  public static final String COUNTER_SET = "density.counter.set";

  /**
   * Registry to counter: spaces and DPUs written ({@code {spaces?: [id], dpus?: [id]}}). A space
   * gets a hash if it had none; a DPU a place in the arrival order, as never reported, if it had
   * none.
   */
  public static final String COUNTER_REGISTERED = "density.counter.registered";

  /**
   * Persistence (a shard's owner) to counter: the spaces whose idle reset has come due ({@code {}}
   * → {@code {spaces: [id]}}), from the sorted set the counting script keeps.
   */
  public static final String COUNTER_IDLE_DUE = "density.counter.idle-due";

  /** Counter: whether the realtime state is loaded ({@code {loaded: bool}}). */
  public static final String COUNTER_STATUS = "density.counter.status";

  /**
   * Published: every change of a space's count, {@code {space_id, count, delta, timestamp, cause}}
   * with cause datapoint, reconciliation or reset; in order per space. For downstream consumers
   * (any JVM that joins the cluster) and the HTTP event stream.
   */
  public static final String COUNT_EVENTS = "density.events.count";

  /**
   * Published: every alert. A space's capacity alert {@code {id, space_id, rule, kind
   * (above|below), level, count, timestamp, fired_at}}; a DPU's health alert, fired and cleared,
   * {@code {id, dpu_id, space_id, rule, kind (silent|flood|imbalance), state (fired|cleared),
   * threshold, value, timestamp, fired_at}}.
   */
  public static final String ALERT_EVENTS = "density.events.alert";

  /**
   * Alerts management, an {@code alerts.AlertRequest}: capacity rules, webhooks, the alerts fired,
   * sensor-health rules of DPUs and spaces.
   */
  public static final String ALERTS_ADMIN = "density.alerts.admin";

  /** Published: alert rules or capacities changed; the alert writer reloads them. */
  public static final String ALERTS_CHANGED = "density.alerts.changed";

  /**
   * Persistence (any node's): {@code {}} → {@code {stalled, stalled_after_seconds,
   * oldest_uncounted_batch?, age_seconds?}}, the oldest batch stored but not counted, for the
   * readiness check.
   */
  public static final String COUNTING_STATUS = "density.persistence.counting-status";

  /**
   * The egress publisher (the node leading it): {@code {}} → {@code {sinks: {<name>: {ok, problem,
   * backlog, lag_seconds}}}}, for the readiness detail.
   */
  public static final String EGRESS_STATUS = "density.egress.status";

  /**
   * The leading persistence verticle: {@code {}} → {@code {}}. A counting shard's owner that cannot
   * reach it is cut off from the cluster and gives its shards up.
   */
  public static final String LEADER_PING = "density.persistence.leader";

  /** Persistence: rebuild the realtime state from PostgreSQL (operator request). */
  public static final String REBUILD = "density.persistence.rebuild";

  /**
   * Persistence: a DPU's links changed from an instant on ({@code {dpu_id, since (µs)}}); its
   * datapoints since then are attributed again and the spaces involved recounted.
   */
  public static final String REATTRIBUTE = "density.persistence.reattribute";

  /**
   * Persistence: rebuild the derived state from the raw log for datapoints in a window ({@code
   * {from?, to? (µs), async?}}, everything without bounds) → the summary once done, or with async
   * the replay's progress at once.
   */
  public static final String REPLAY = "density.persistence.replay";

  /**
   * Persistence: {@code {id}} → that replay's progress; {@code {}} → {@code {replays: [...]}}, the
   * leader's recent replays, newest first.
   */
  public static final String REPLAY_STATUS = "density.persistence.replay-status";

  /**
   * Published: a replay's progress at each change of state and at most once a second between,
   * {@code {id, state (waiting|attributing|recounting|reloading|done|failed), from, to,
   * spaces_total, spaces_recounted, started_at, finished_at, elapsed_ms, error}}.
   */
  public static final String REPLAY_PROGRESS = "density.events.replay";

  /** Persistence: drop history older than the retention period now ({@code {}}). */
  public static final String RETENTION = "density.persistence.retention";

  /** Persistence: an explicit reset {@code {space_id, timestamp (µs), count}}. */
  public static final String RESET = "density.persistence.reset";

  /** Persistence: a space's clamp, daily reset or time zone changed ({@code {space_id}}). */
  public static final String SPACE_RULES = "density.persistence.space-rules";

  /**
   * Query, a {@code query.QueryRequest}: realtime count, as of an instant, at the nearest effect, a
   * DPU's state, the fleet's activity. The node's own query verticle where it has one.
   */
  public static final String QUERY = "density.query";

  /**
   * History, a {@code history.HistoryRequest}: a space's counts in buckets (and by doorway), a
   * doorway's traffic, a page of effects, resets, utilization.
   */
  public static final String HISTORY = "density.history";

  /**
   * Tokens, an {@code auth.TokenRequest}: create, list, revoke, check (a secret's hash, answered
   * with an {@code auth.TokenRequest.Grant} record, not JSON).
   */
  public static final String TOKENS = "density.tokens";

  /** Published: a token was revoked ({@code {id}}); every HTTP verticle forgets it at once. */
  public static final String TOKENS_REVOKED = "density.tokens.revoked";

  /**
   * Registry, a {@code registry.RegistryRequest}: spaces, doorways, DPUs and links, one by one or
   * in bulk.
   */
  public static final String REGISTRY = "density.registry";
}
