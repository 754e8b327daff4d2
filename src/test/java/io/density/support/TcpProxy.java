package io.density.support;

import io.vertx.core.Vertx;
import io.vertx.core.net.NetClient;
import io.vertx.core.net.NetServer;
import io.vertx.core.net.NetSocket;
import java.net.URI;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * A TCP proxy on loopback in front of a real service, whose line a test can cut: every open
 * connection is closed and new ones are refused, as when a network link or the service goes away.
 */
public final class TcpProxy implements AutoCloseable {
  private final Vertx vertx = Vertx.vertx();
  private final NetServer server;
  private final Set<NetSocket> open = ConcurrentHashMap.newKeySet();
  private volatile boolean cut;

  public TcpProxy(String host, int port) {
    NetClient client = vertx.createNetClient();
    server =
        vertx
            .createNetServer()
            .connectHandler(
                in -> {
                  if (cut) {
                    in.close();
                    return;
                  }
                  in.pause();
                  client
                      .connect(port, host)
                      .onSuccess(
                          out -> {
                            if (cut) {
                              in.close();
                              out.close();
                              return;
                            }
                            open.add(in);
                            open.add(out);
                            in.pipeTo(out);
                            out.pipeTo(in);
                          })
                      .onFailure(err -> in.close());
                });
    server.listen(0, "127.0.0.1").await();
  }

  /** A proxy in front of the host and port of a URL such as {@code postgresql://u@h:5432/db}. */
  public static TcpProxy before(String url) {
    URI uri = URI.create(url);
    return new TcpProxy(uri.getHost(), uri.getPort());
  }

  /** The port the proxy listens on (127.0.0.1). */
  public int port() {
    return server.actualPort();
  }

  /** The URL with the proxy's host and port in place of the service's. */
  public String through(String url) {
    URI uri = URI.create(url);
    return url.replace(uri.getHost() + ":" + uri.getPort(), "127.0.0.1:" + server.actualPort());
  }

  /** Closes every connection through the proxy and refuses new ones. */
  public void cut() {
    cut = true;
    open.forEach(NetSocket::close);
  }

  /** Lets connections through again, as when the line or the service comes back. */
  public void restore() {
    cut = false;
  }

  @Override
  public void close() {
    vertx.close().await();
  }
}
