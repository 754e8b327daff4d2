package io.density.http;

import io.vertx.core.Handler;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpConnection;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.HttpServer;
import io.vertx.ext.web.RoutingContext;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.Map;

/**
 * The rules on connections of one HTTP verticle:
 *
 * <ul>
 *   <li>at most {@code limit} open connections, and at most {@code perClient} from one address (the
 *       peer's; trusted proxies are bound by the first rule only, since many clients share them). A
 *       connection beyond either is taken, so that its first request can be told why (503, JSON)
 *       before it is closed; it never reaches a route or the token check. One beyond the
 *       per-address rule does not count towards the node's limit, so one address cannot fill the
 *       table. {@code GET /health} and {@code GET /ready} are answered even on such a connection:
 *       an orchestrator must not pull a node that is only busy.
 *   <li>a request's line and headers must have arrived within {@code headMs} of the connection's
 *       opening, and a later request's within the idle time ({@code idleMs}) of the previous
 *       answer; a connection that dribbles its head, or stays silent after its answer, is closed. A
 *       connection whose request waits for its answer is not idle, however long the work takes (the
 *       socket's own idle timeout, in HttpVerticle, is only a backstop of over an hour).
 * </ul>
 */
final class ConnectionGuard implements Handler<RoutingContext> {
  private static final long CHECK_MS = 500;

  /**
   * An open connection: why it is refused (null: it is not), since when it waits for a request's
   * head (-1: it does not) and for how long it may.
   */
  private static final class Open {
    final String refusal;
    long waitingSince;
    long deadline;

    Open(String refusal, long now, long deadline) {
      this.refusal = refusal;
      this.waitingSince = now;
      this.deadline = deadline;
    }
  }

  private final int limit;
  private final int nodeLimit;
  private final int perClient;
  private final long headMs;
  private final long idleMs;
  private final ClientAddress clients;
  private final Map<HttpConnection, Open> open = new HashMap<>();
  private final Map<String, Integer> byAddress = new HashMap<>();
  private int counted;

  ConnectionGuard(
      Vertx vertx,
      int limit,
      int nodeLimit,
      int perClient,
      long headMs,
      long idleMs,
      ClientAddress clients) {
    this.limit = limit;
    this.nodeLimit = nodeLimit;
    this.perClient = perClient;
    this.headMs = headMs;
    this.idleMs = idleMs;
    this.clients = clients;
    vertx.setPeriodic(CHECK_MS, id -> closeDribblers());
  }

  /** Counts the server's connections. */
  void watch(HttpServer server) {
    server.connectionHandler(
        connection -> {
          String address = ClientAddress.of(connection);
          boolean proxy = clients.isTrusted(address);
          int fromAddress = proxy ? 0 : byAddress.merge(address, 1, Integer::sum);
          boolean overAddress = fromAddress > perClient;
          boolean counts = !overAddress;
          if (counts) {
            counted++;
          }
          String refusal =
              overAddress
                  ? "too many open connections from one address: retry"
                  : counted > limit
                      ? "too many open connections (at most " + nodeLimit + " per node): retry"
                      : null;
          open.put(connection, new Open(refusal, System.currentTimeMillis(), headMs));
          connection.closeHandler(
              v -> {
                open.remove(connection);
                if (counts) {
                  counted--;
                }
                if (!proxy) {
                  byAddress.computeIfPresent(address, (a, n) -> n == 1 ? null : n - 1);
                }
              });
        });
  }

  @Override
  public void handle(RoutingContext rc) {
    HttpConnection connection = rc.request().connection();
    Open o = open.get(connection);
    if (o == null) {
      rc.next();
      return;
    }
    o.waitingSince = -1;
    rc.addEndHandler(
        v -> {
          o.waitingSince = System.currentTimeMillis();
          o.deadline = idleMs;
        });
    if (o.refusal == null) {
      rc.next();
      return;
    }
    rc.response().putHeader("Connection", "close");
    rc.addEndHandler(v -> connection.close());
    if (rc.request().method() == HttpMethod.GET
        && (rc.normalizedPath().equals("/health") || rc.normalizedPath().equals("/ready"))) {
      rc.next();
      return;
    }
    Responses.error(rc, 503, null, o.refusal);
  }

  /** Closes each connection whose request head is overdue. */
  private void closeDribblers() {
    long now = System.currentTimeMillis();
    for (Map.Entry<HttpConnection, Open> e : new ArrayList<>(open.entrySet())) {
      Open o = e.getValue();
      if (o.waitingSince >= 0 && now - o.waitingSince > o.deadline) {
        o.waitingSince = -1;
        e.getKey().close();
      }
    }
  }
}
