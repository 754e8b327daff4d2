package io.density;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.density.support.TestServer;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.logging.Handler;
import java.util.logging.LogRecord;
import java.util.logging.Logger;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

@DisplayName("HTTP instances: each serves its share of the connections on its own event loop")
class HttpInstancesTest {
  private static final Duration DEADLINE = Duration.ofSeconds(10);

  private static TestServer server;

  @BeforeAll
  static void start() {
    server = new TestServer();
    server.config = server.config.with("logging", "access", true).with("http", "instances", 2);
    server.start();
  }

  @AfterAll
  static void stop() {
    server.close();
  }

  @Test
  @DisplayName("four connections to two instances are answered on two threads")
  void connectionsSpreadOverEventLoops() throws Exception {
    // The access line of a request is written where its connection is served.
    List<LogRecord> lines = new CopyOnWriteArrayList<>();
    Handler capture =
        new Handler() {
          @Override
          public void publish(LogRecord record) {
            lines.add(record);
          }

          @Override
          public void flush() {}

          @Override
          public void close() {}
        };
    Logger access = Logger.getLogger("io.density.http.access");
    access.addHandler(capture);
    List<Socket> connections = new ArrayList<>();
    try {
      for (int i = 0; i < 4; i++) {
        Socket socket = new Socket("127.0.0.1", server.config.http().port());
        socket.setSoTimeout((int) DEADLINE.toMillis());
        connections.add(socket);
      }
      for (Socket socket : connections) {
        OutputStream out = socket.getOutputStream();
        out.write(
            "GET /health HTTP/1.1\r\nHost: localhost\r\n\r\n".getBytes(StandardCharsets.US_ASCII));
        out.flush();
        BufferedReader in =
            new BufferedReader(
                new InputStreamReader(socket.getInputStream(), StandardCharsets.US_ASCII));
        assertEquals("HTTP/1.1 200 OK", in.readLine());
      }
      long deadline = System.nanoTime() + DEADLINE.toNanos();
      while (lines.size() < 4 && System.nanoTime() < deadline) {
        Thread.onSpinWait();
      }
      assertEquals(4, lines.size(), "one access line per request");
      Set<Long> threads = new HashSet<>();
      lines.forEach(line -> threads.add(line.getLongThreadID()));
      assertEquals(2, threads.size(), "the event loops the four connections were served on");
    } finally {
      access.removeHandler(capture);
      for (Socket socket : connections) {
        socket.close();
      }
    }
  }
}
