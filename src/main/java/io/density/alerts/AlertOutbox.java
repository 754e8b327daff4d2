package io.density.alerts;

import io.vertx.core.Future;
import io.vertx.core.json.JsonObject;
import io.vertx.sqlclient.SqlClient;
import io.vertx.sqlclient.Tuple;
import java.util.List;

/**
 * Writes alerts to the egress outbox in the transaction that records them, when egress is on
 * (docs/egress.md): a space's alert keyed by its space, a DPU's (sensor health) by its DPU.
 */
final class AlertOutbox {
  private final boolean on;

  AlertOutbox(boolean on) {
    this.on = on;
  }

  boolean on() {
    return on;
  }

  /** The alerts (as on the bus), in order, in the transaction of {@code conn}. */
  Future<Void> record(SqlClient conn, List<JsonObject> alerts) {
    if (!on || alerts.isEmpty()) {
      return Future.succeededFuture();
    }
    int n = alerts.size();
    String[] keyKind = new String[n];
    String[] key = new String[n];
    String[] kind = new String[n];
    String[] body = new String[n];
    for (int i = 0; i < n; i++) {
      JsonObject alert = alerts.get(i);
      boolean dpu = alert.getString("dpu_id") != null;
      keyKind[i] = dpu ? "dpu" : "space";
      key[i] = dpu ? alert.getString("dpu_id") : alert.getString("space_id");
      kind[i] = dpu ? "dpu_alert" : "space_alert";
      body[i] = alert.encode();
    }
    return conn.preparedQuery(Statements.OUTBOX_ALERTS)
        .execute(Tuple.of(keyKind, key, kind, body))
        .mapEmpty();
  }
}
