package io.density.bus;

/**
 * Every event-bus address of the server, in one place. Payloads are JSON objects, but for the
 * datapoints of {@link #INGEST}, which travel as a {@link io.density.ingest.DatapointBatch}.
 */
public final class Addresses {
  private Addresses() {}

  /** HTTP to persistence: a DatapointBatch → {@code {results: ["accepted"|"duplicate"]}}. */
  public static final String INGEST = "density.ingest";

  /**
   * The header that names the operation where one address serves several (registry, tokens, alert
   * management, a counting shard's "closed"). Every other address does one thing.
   */
  public static final String ACTION = "action";

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
   * Alerts management, the operation in the {@link #ACTION} header: {@code rules.put {space,
   * body}}, {@code rules.get {space}}, {@code webhook.put {id, body}}, {@code webhook.list {}},
   * {@code alerts.list {space?, dpu?, limit}}; sensor-health rules: {@code health.dpu.put {dpu,
   * body}}, {@code health.dpu.get {dpu}}, {@code health.space.put {space, body}}, {@code
   * health.space.get {space}}.
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

  /** Query: realtime count of a space. */
  public static final String QUERY_REALTIME = "density.query.realtime";

  /** Query: count of a space as of an instant. */
  public static final String QUERY_AS_OF = "density.query.as-of";

  /** Query: count at the space's effect nearest to an instant. */
  public static final String QUERY_NEAREST = "density.query.nearest";

  /** History: a space's resets in a time range. */
  public static final String HISTORY_RESETS = "density.history.resets";

  /** History: a space's counts in time buckets. */
  public static final String HISTORY_SERIES = "density.history.series";

  /** History: a doorway's entries and exits per space and its crossings, in time buckets. */
  public static final String HISTORY_DOORWAY_SERIES = "density.history.doorway-series";

  /** History: a page of a space's effects, or of those reconciled after arrival. */
  public static final String HISTORY_EVENTS = "density.history.events";

  /**
   * History: per space and local day, peak, time-weighted average, entries, exits and the count at
   * day end ({@code {space, start, end (local dates), tz?, children}} → {@code {rows}}).
   */
  public static final String HISTORY_UTILIZATION = "density.history.utilization";

  /** Query: realtime state of one DPU. */
  public static final String QUERY_DPU = "density.query.dpu";

  /**
   * Query: the fleet's activity, {@code {silent_minutes, limit}} → counts of registered, reporting,
   * silent and never-reporting DPUs, and the DPUs most in need of a look.
   */
  public static final String QUERY_DPU_ACTIVITY = "density.query.dpu-activity";

  /**
   * Tokens: create {@code {scope, name?, expires_at?}}, list, revoke {@code {id}}, check {@code
   * {hash}} → {@code {id, scope}}; the action is in the "action" header.
   */
  public static final String TOKENS = "density.tokens";

  /** Published: a token was revoked ({@code {id}}); every HTTP verticle forgets it at once. */
  public static final String TOKENS_REVOKED = "density.tokens.revoked";

  /** Registry: spaces, doorways, DPUs and links; the action is in the "action" header. */
  public static final String REGISTRY = "density.registry";
}
