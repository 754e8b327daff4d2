package io.density.load;

import io.vertx.core.Future;
import io.vertx.core.Vertx;
import java.util.ArrayList;
import java.util.List;

/**
 * Several servers of one deployment (nodes of a cluster), each with its own {@link LoadClient}:
 * every request goes to the next one in turn. With one server it is that server's client.
 */
final class RoundRobin {
  private final List<LoadClient> clients;
  private int next;

  /**
   * @param urls the servers, as checked by {@link LoadClient#checkUrls}
   * @param connections the most connections to open to each server
   */
  RoundRobin(Vertx vertx, List<String> urls, int connections, long deadlineNanos) {
    List<LoadClient> list = new ArrayList<>();
    for (String url : urls) {
      list.add(new LoadClient(vertx, url, connections, deadlineNanos));
    }
    this.clients = List.copyOf(list);
  }

  /** The client of the next request. */
  LoadClient next() {
    LoadClient client = clients.get(next);
    next = (next + 1) % clients.size();
    return client;
  }

  /** The servers, as {@code http://host:port[/prefix]}, comma-separated. */
  String target() {
    return String.join(",", clients.stream().map(LoadClient::target).toList());
  }

  /** Retries scheduled so far, by all clients. */
  long retries() {
    return clients.stream().mapToLong(LoadClient::retries).sum();
  }

  /** {@link LoadMain#reachable} for every server: false when one of them does not answer. */
  Future<Boolean> reachable(String tool) {
    List<Future<Boolean>> answers = new ArrayList<>();
    for (LoadClient client : clients) {
      answers.add(LoadMain.reachable(client, tool));
    }
    return Future.all(answers)
        .map(all -> answers.stream().allMatch(answer -> Boolean.TRUE.equals(answer.result())));
  }

  Future<Void> close() {
    clients.forEach(LoadClient::close);
    return Future.succeededFuture();
  }
}
