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

    /**
     * {@code {levels: [{name, level (or "capacity"), hysteresis = 1, cooldown_seconds = 60}]}},
     * which meets the API document's {@code AlertRulesBody}; checked here: each name once, without
     * control characters.
     */
    public static PutRules of(String space, JsonObject body) throws InvalidInput {
      List<Level> rules = new ArrayList<>();
      Set<String> seen = new HashSet<>();
      for (Object o : body.getJsonArray("levels")) {
        JsonObject rule = (JsonObject) o;
        String name = rule.getString("name");
        if (name.isBlank() || !seen.add(name)) {
          throw new InvalidInput("levels", "each rule needs a name of its own");
        }
        Ids.storable(name, "name");
        Object level = rule.getValue("level");
        rules.add(
            new Level(
                name,
                level instanceof Number n ? Integer.valueOf(n.intValue()) : null, // or "capacity"
                whole(rule.getValue("hysteresis"), 1),
                whole(rule.getValue("cooldown_seconds"), 60)));
      }
      return new PutRules(space, rules);
    }

    private static int whole(Object value, int otherwise) {
      return value instanceof Number n ? n.intValue() : otherwise;
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

    /**
     * {@code {url, space_ids?, rotate_secret?}}, which meets the API document's {@code
     * WebhookBody}; the URL's target is checked by the verticle, the space ids here by the id rule.
     */
    public static PutWebhook of(String id, JsonObject body) throws InvalidInput {
      return new PutWebhook(
          id,
          body.getString("url"),
          spaceIds(body.getJsonArray("space_ids")),
          Boolean.TRUE.equals(body.getValue("rotate_secret")));
    }

    /** The spaces a webhook is for (null: all), each following the id rule. */
    private static List<String> spaceIds(JsonArray spaces) throws InvalidInput {
      if (spaces == null) {
        return null;
      }
      List<String> ids = new ArrayList<>(spaces.size());
      for (Object id : spaces) {
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
    /**
     * {@code {rules: [{kind, threshold}]}}, which meets the API document's {@code HealthRulesBody};
     * checked here: at most one rule per kind.
     */
    static List<HealthRule> listOf(JsonObject body) throws InvalidInput {
      List<HealthRule> out = new ArrayList<>();
      Set<String> seen = new HashSet<>();
      for (Object o : body.getJsonArray("rules")) {
        JsonObject rule = (JsonObject) o;
        String kind = rule.getString("kind");
        if (!seen.add(kind)) {
          throw new InvalidInput("rules", "one rule per kind: " + kind + " twice");
        }
        out.add(new HealthRule(kind, ((Number) rule.getValue("threshold")).intValue()));
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
