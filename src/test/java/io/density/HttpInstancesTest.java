package io.density;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.density.support.Await;
import io.density.support.RawConnection;
import io.density.support.TestServer;
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
    List<RawConnection> connections = new ArrayList<>();
    try {
      for (int i = 0; i < 4; i++) {
        connections.add(new RawConnection(server.config.http().port(), null));
      }
      for (RawConnection connection : connections) {
        assertEquals(200, connection.get("/health").status());
      }
      assertTrue(
          Await.until(() -> lines.size() == 4, DEADLINE), "one access line per request: " + lines);
      Set<Long> threads = new HashSet<>();
      lines.forEach(line -> threads.add(line.getLongThreadID()));
      assertEquals(2, threads.size(), "the event loops the four connections were served on");
    } finally {
      access.removeHandler(capture);
      for (RawConnection connection : connections) {
        connection.close();
      }
    }
  }
}
