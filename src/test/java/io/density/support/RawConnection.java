package io.density.support;

import io.vertx.core.json.JsonObject;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;

/**
 * A connection that speaks HTTP/1.1 by hand, so a test decides how many are open, what the request
 * line says byte for byte (no client library normalises the path), how fast a body arrives and from
 * which loopback address (any of 127.0.0.0/8) it comes.
 */
public final class RawConnection implements AutoCloseable {
  private final Socket socket;
  private final InputStream in;
  private final String authorization;

  /**
   * A connection from 127.0.0.1 that sends {@code authorization} (null: none) with each request.
   */
  public RawConnection(int port, String authorization) {
    this("127.0.0.1", port, authorization);
  }

  /** A connection from the loopback address {@code from}. */
  public RawConnection(String from, int port, String authorization) {
    this.authorization = authorization;
    try {
      socket = new Socket();
      socket.bind(new InetSocketAddress(InetAddress.getByName(from), 0));
      socket.connect(new InetSocketAddress("127.0.0.1", port), 10_000);
      socket.setSoTimeout(10_000);
      in = socket.getInputStream();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** A whole answer: its status, head (status line and headers) and body. */
  public record Answer(int status, String head, String body) {
    public JsonObject json() {
      return new JsonObject(body);
    }
  }

  public void write(String method, String target) {
    write(method, target, "");
  }

  /** The request line and headers; {@code headers} are lines each ending in CRLF. */
  public void write(String method, String target, String headers) {
    String request =
        method
            + " "
            + target
            + " HTTP/1.1\r\nHost: localhost\r\n"
            + (authorization == null ? "" : "Authorization: " + authorization + "\r\n")
            + headers
            + "\r\n";
    writeBytes(request.getBytes(StandardCharsets.US_ASCII));
  }

  public void writeBody(String text) {
    writeBytes(text.getBytes(StandardCharsets.UTF_8));
  }

  private void writeBytes(byte[] bytes) {
    try {
      socket.getOutputStream().write(bytes);
      socket.getOutputStream().flush();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** The status line and headers, up to the empty line. */
  public String head() {
    ByteArrayOutputStream head = new ByteArrayOutputStream();
    try {
      while (!head.toString(StandardCharsets.US_ASCII).endsWith("\r\n\r\n")) {
        int b = in.read();
        if (b < 0) {
          throw new IOException("closed after " + head);
        }
        head.write(b);
      }
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    return head.toString(StandardCharsets.US_ASCII);
  }

  /** A GET of {@code target} and its whole answer. */
  public Answer get(String target) {
    write("GET", target);
    return answer();
  }

  /** The next whole answer (one with a Content-Length, as every answer of the API but streams). */
  public Answer answer() {
    String head = head();
    int status = Integer.parseInt(head.substring(9, 12));
    int length = 0;
    for (String line : head.split("\r\n")) {
      if (line.toLowerCase().startsWith("content-length:")) {
        length = Integer.parseInt(line.substring(15).trim());
      }
    }
    try {
      return new Answer(status, head, new String(in.readNBytes(length), StandardCharsets.UTF_8));
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** Whether the server has closed the connection (reads until the end or an error). */
  public boolean closedByServer() {
    try {
      return in.read() < 0;
    } catch (IOException e) {
      return true;
    }
  }

  /**
   * Whether the server closes the connection within the socket's timeout (10 s): false when it is
   * still open then, unlike {@link #closedByServer}.
   */
  public boolean endedByServer() {
    try {
      return in.read() < 0;
    } catch (java.net.SocketTimeoutException stillOpen) {
      return false;
    } catch (IOException e) {
      return true;
    }
  }

  @Override
  public void close() {
    try {
      socket.close();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }
}
