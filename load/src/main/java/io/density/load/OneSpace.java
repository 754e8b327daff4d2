package io.density.load;

import static io.density.load.LoadMain.number;

import io.density.load.LoadClient.Result;
import io.vertx.core.Future;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.json.JsonObject;
import java.util.List;

/**
 * The fixture of a tool that works on one space of its own: one space, one doorway, one DPU and the
 * link between them, which the tool provisions and checks is fresh (no datapoints yet) before it
 * starts. Every line it prints starts with the tool's name.
 *
 * @param tool the tool's name, the prefix of its lines
 * @param space the space's id
 * @param spaceName the space's name
 * @param doorway the doorway's id
 * @param doorwayName the doorway's name
 * @param dpu the DPU's id
 * @param dpuName the DPU's name
 * @param freshScript the script that makes a fresh database, named when this one is not fresh
 * @param firstWork what comes after the checks, as in "counts 3 before the history"
 */
record OneSpace(
    String tool,
    String space,
    String spaceName,
    String doorway,
    String doorwayName,
    String dpu,
    String dpuName,
    String freshScript,
    String firstWork) {

  /** The path of the space's realtime count. */
  String countPath() {
    return "/v1/spaces/" + space + "/count";
  }

  /**
   * 0 when neither the space nor the DPU holds datapoints yet (both may be unknown); 2 with a
   * message otherwise, 1 when the server does not answer.
   */
  Future<Integer> freshCheck(LoadClient client) {
    String countPath = countPath();
    return Future.all(client.get(countPath), client.get("/v1/dpus/" + dpu))
        .map(
            all -> {
              Result count = all.resultAt(0);
              Result dpuAnswer = all.resultAt(1);
              if (count.status() != 200 || count.json() == null) {
                System.err.println(tool + ": GET " + countPath + " failed: " + count.describe());
                return 1;
              }
              Object spaceCount = count.json().getValue("count");
              long datapoints = 0;
              if (dpuAnswer.status() == 200 && dpuAnswer.json() != null) {
                datapoints = dpuAnswer.json().getLong("total", 0L);
              } else if (dpuAnswer.status() != 404) {
                System.err.println(
                    tool + ": GET /v1/dpus/" + dpu + " failed: " + dpuAnswer.describe());
                return 1;
              }
              boolean spaceEmpty = spaceCount == null || Long.valueOf(0).equals(number(spaceCount));
              if (!spaceEmpty || datapoints > 0) {
                System.err.printf(
                    "%s: %s counts %s and %s has %d datapoints: this database was used by an"
                        + " earlier run; use a fresh database (%s makes one)%n",
                    tool, space, spaceCount, dpu, datapoints, freshScript);
                return 2;
              }
              return 0;
            });
  }

  /**
   * Space (with a daily reset at a UTC time, or none when null), doorway, DPU and the link, valid
   * from {@code linkAgeMs} before now, one request after the other; all idempotent. 0 when all went
   * through, 1 otherwise.
   */
  Future<Integer> provision(LoadClient client, long linkAgeMs, String dailyReset) {
    String validFrom = LoadMain.iso(System.currentTimeMillis() - linkAgeMs);
    List<Object[]> requests =
        List.of(
            new Object[] {
              HttpMethod.PUT,
              "/v1/spaces/" + space,
              new JsonObject()
                  .put("name", spaceName)
                  .put("clamp", true)
                  .put("time_zone", "UTC")
                  .put("daily_reset", dailyReset)
            },
            new Object[] {
              HttpMethod.PUT, "/v1/doorways/" + doorway, new JsonObject().put("name", doorwayName)
            },
            new Object[] {HttpMethod.PUT, "/v1/dpus/" + dpu, new JsonObject().put("name", dpuName)},
            new Object[] {
              HttpMethod.POST,
              "/v1/links",
              new JsonObject()
                  .put("dpu_id", dpu)
                  .put("doorway_id", doorway)
                  .put("space_id", space)
                  .put("sensor_placement", 1)
                  .put("valid_from", validFrom)
            });
    return LoadMain.inOrder(client, tool, requests)
        .map(
            ok -> {
              if (!ok) {
                return 1;
              }
              System.err.println(
                  tool + ": provisioned " + space + ", " + doorway + ", " + dpu + " and link");
              return 0;
            });
  }

  /** The fresh-run check once the space exists: its count must be 0 before the tool's work. */
  Future<Integer> countIsZero(LoadClient client) {
    String countPath = countPath();
    return client
        .get(countPath)
        .map(
            result -> {
              JsonObject body = result.json();
              if (result.status() != 200 || body == null) {
                System.err.println(tool + ": GET " + countPath + " failed: " + result.describe());
                return 1;
              }
              if (!Long.valueOf(0).equals(number(body.getValue("count")))) {
                System.err.println(
                    tool
                        + ": "
                        + space
                        + " counts "
                        + body.getValue("count")
                        + " before "
                        + firstWork
                        + ": use a fresh database");
                return 2;
              }
              return 0;
            });
  }

  /**
   * The fresh check, the provisioning (the link valid from {@code linkAgeMs} before now) and the
   * zero count in turn: 0 when all passed, else the first other code.
   */
  Future<Integer> prepare(LoadClient client, long linkAgeMs) {
    return prepare(client, linkAgeMs, null);
  }

  /** The same, for a space with a daily reset at a UTC time ("HH:MM", or none when null). */
  Future<Integer> prepare(LoadClient client, long linkAgeMs, String dailyReset) {
    return freshCheck(client)
        .compose(
            code ->
                code != 0 ? Future.succeededFuture(code) : provision(client, linkAgeMs, dailyReset))
        .compose(code -> code != 0 ? Future.succeededFuture(code) : countIsZero(client));
  }
}
