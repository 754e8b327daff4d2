package io.density.alerts;

import io.density.bus.InvalidInput;
import io.density.ingest.Ids;
import io.vertx.core.Future;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

/**
 * The operations of {@code density.alerts.admin} (bus/Addresses.ALERTS_ADMIN), each a record:
 * capacity rules, sensor-health rules, webhooks, the alerts fired. Bodies are read and checked
 * where they enter ({@code of}, called by http/AlertRoutes); {@link AlertAdmin} carries them out,
 * checking only what needs the database or the network (a space or DPU exists; a webhook's target,
 * {@link WebhookTargets}, which delivery checks again).
 */
public sealed interface AlertRequest {
  /** Each operation, carried out: one method per record. */
  interface Operations {
    Future<JsonObject> putRules(PutRules r);

    Future<JsonObject> getRules(GetRules r);

    Future<JsonObject> putWebhook(PutWebhook r);

    Future<JsonObject> listWebhooks(ListWebhooks r);

    Future<JsonObject> listAlerts(ListAlerts r);

    Future<JsonObject> putHealthRules(PutHealthRules r);

    Future<JsonObject> getDpuHealthRules(GetDpuHealthRules r);

    Future<JsonObject> getSpaceHealthRules(GetSpaceHealthRules r);
  }

  /** This operation, carried out by {@code operations}. */
  Future<JsonObject> carryOut(Operations operations);

  /**
   * A capacity rule: a name of its own (at most 64 characters), a level (null: the space's
   * capacity), hysteresis ≥ 1, cooldown ≥ 0 seconds.
   */
  record Level(String name, Integer level, int hysteresis, int cooldownSeconds) {}

  /** Replaces a space's capacity rules (their states start below). */
  record PutRules(String space, List<Level> levels) implements AlertRequest {
    public PutRules {
      levels = List.copyOf(levels);
    }

    /** {@code {levels: [{name, level (or "capacity"), hysteresis = 1, cooldown_seconds = 60}]}}. */
    public static PutRules of(String space, JsonObject body) throws InvalidInput {
      if (!(body.getValue("levels") instanceof JsonArray levels)) {
        throw new InvalidInput("levels", "levels must be an array of rules");
      }
      List<Level> rules = new ArrayList<>();
      Set<String> seen = new HashSet<>();
      for (Object o : levels) {
        if (!(o instanceof JsonObject rule)) {
          throw new InvalidInput("levels", "each rule must be an object");
        }
        String name = rule.getValue("name") instanceof String s && !s.isBlank() ? s : null;
        if (name == null || !seen.add(name)) {
          throw new InvalidInput("levels", "each rule needs a name of its own");
        }
        try {
          Ids.storable(name, "name");
        } catch (InvalidInput e) {
          throw new InvalidInput("name", e.getMessage());
        }
        if (name.length() > 64) {
          throw new InvalidInput("name", "a rule's name is at most 64 characters");
        }
        Object l = rule.getValue("level");
        Integer level;
        if ("capacity".equals(l)) {
          level = null;
        } else if (l instanceof Integer v && v >= 1) {
          level = v;
        } else {
          throw new InvalidInput("level", "level must be a positive integer or \"capacity\"");
        }
        if (!(rule.getValue("hysteresis", 1) instanceof Integer h && h >= 1)
            || !(rule.getValue("cooldown_seconds", 60) instanceof Integer c && c >= 0)) {
          throw new InvalidInput("levels", "hysteresis must be ≥ 1 and cooldown_seconds ≥ 0");
        }
        rules.add(new Level(name, level, h, c));
      }
      return new PutRules(space, rules);
    }

    @Override
    public Future<JsonObject> carryOut(Operations operations) {
      return operations.putRules(this);
    }
  }

  /** A space's capacity rules with their states. */
  record GetRules(String space) implements AlertRequest {
    @Override
    public Future<JsonObject> carryOut(Operations operations) {
      return operations.getRules(this);
    }
  }

  /**
   * Registers (or replaces, and resumes) a webhook: its URL (a string; the target rule is the
   * verticle's), the spaces it is for (null: all), whether its signing secret is renewed.
   */
  record PutWebhook(String id, String url, List<String> spaceIds, boolean rotateSecret)
      implements AlertRequest {
    public PutWebhook {
      spaceIds = spaceIds == null ? null : List.copyOf(spaceIds);
    }

    /** {@code {url, space_ids?, rotate_secret?}}. */
    public static PutWebhook of(String id, JsonObject body) throws InvalidInput {
      if (!(body.getValue("url") instanceof String url)) {
        throw new InvalidInput("url", "url must be an http(s) URL");
      }
      if (!(body.getValue("rotate_secret", false) instanceof Boolean rotate)) {
        throw new InvalidInput("rotate_secret", "rotate_secret must be true or false");
      }
      return new PutWebhook(id, url, spaceIds(body.getValue("space_ids")), rotate);
    }

    /** The spaces a webhook is for (null: all), each following the id rule. */
    private static List<String> spaceIds(Object value) throws InvalidInput {
      if (value == null) {
        return null;
      }
      if (!(value instanceof JsonArray spaces)) {
        throw new InvalidInput("space_ids", "space_ids must be an array of space ids");
      }
      List<String> ids = new ArrayList<>(spaces.size());
      for (Object id : spaces) {
        if (!(id instanceof String || id instanceof Integer || id instanceof Long)) {
          throw new InvalidInput("space_ids", "space_ids must be an array of space ids");
        }
        ids.add(Ids.check(String.valueOf(id), "space_ids"));
      }
      return ids;
    }

    @Override
    public Future<JsonObject> carryOut(Operations operations) {
      return operations.putWebhook(this);
    }
  }

  /** Every webhook; its URL whole when {@code whole} (the admin scope), else masked. */
  record ListWebhooks(boolean whole) implements AlertRequest {
    @Override
    public Future<JsonObject> carryOut(Operations operations) {
      return operations.listWebhooks(this);
    }
  }

  /** The latest alerts first, at most {@code limit}, of a space or a DPU if given. */
  record ListAlerts(String space, String dpu, int limit) implements AlertRequest {
    @Override
    public Future<JsonObject> carryOut(Operations operations) {
      return operations.listAlerts(this);
    }
  }

  /** A sensor-health rule: a kind (silent, flood, imbalance) and its threshold (1 to 10⁶). */
  record HealthRule(String kind, int threshold) {
    private static final List<String> KINDS = List.of("silent", "flood", "imbalance");

    /** {@code {rules: [{kind, threshold}]}}, at most one rule per kind. */
    static List<HealthRule> listOf(JsonObject body) throws InvalidInput {
      if (!(body.getValue("rules") instanceof JsonArray rules)) {
        throw new InvalidInput("rules", "rules must be an array of rules");
      }
      List<HealthRule> out = new ArrayList<>();
      Set<String> seen = new HashSet<>();
      for (Object o : rules) {
        if (!(o instanceof JsonObject rule)) {
          throw new InvalidInput("rules", "each rule must be an object");
        }
        if (!(rule.getValue("kind") instanceof String k) || !KINDS.contains(k)) {
          throw new InvalidInput("kind", "kind must be silent, flood or imbalance");
        }
        if (!seen.add(k)) {
          throw new InvalidInput("rules", "one rule per kind: " + k + " twice");
        }
        if (!(rule.getValue("threshold") instanceof Integer t) || t < 1 || t > 1_000_000) {
          throw new InvalidInput("threshold", "threshold must be an integer from 1 to 1000000");
        }
        out.add(new HealthRule(k, t));
      }
      return out;
    }
  }

  /**
   * Replaces the sensor-health rules of a DPU ({@code dpu} set) or of a space ({@code space} set):
   * a kind that stays keeps its state, a kind left out goes with it.
   */
  record PutHealthRules(String dpu, String space, List<HealthRule> rules) implements AlertRequest {
    public PutHealthRules {
      rules = List.copyOf(rules);
    }

    /** A DPU's own rules, from {@code {rules: [{kind, threshold}]}}. */
    public static PutHealthRules ofDpu(String dpu, JsonObject body) throws InvalidInput {
      return new PutHealthRules(dpu, null, HealthRule.listOf(body));
    }

    /** A space's rules, for the DPUs linked to it, from {@code {rules: [{kind, threshold}]}}. */
    public static PutHealthRules ofSpace(String space, JsonObject body) throws InvalidInput {
      return new PutHealthRules(null, space, HealthRule.listOf(body));
    }

    @Override
    public Future<JsonObject> carryOut(Operations operations) {
      return operations.putHealthRules(this);
    }
  }

  /** A DPU's own rules and those of the spaces it is linked to, each with its state. */
  record GetDpuHealthRules(String dpu) implements AlertRequest {
    @Override
    public Future<JsonObject> carryOut(Operations operations) {
      return operations.getDpuHealthRules(this);
    }
  }

  /** A space's rules with the DPUs linked to it now. */
  record GetSpaceHealthRules(String space) implements AlertRequest {
    @Override
    public Future<JsonObject> carryOut(Operations operations) {
      return operations.getSpaceHealthRules(this);
    }
  }
}
