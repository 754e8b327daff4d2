package io.density.support;

import io.density.dev.EmbeddedServices;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.URI;

/**
 * The PostgreSQL and Redis the tests talk to, one pair per JVM: those named by DENSITY_TEST_PG_URL
 * / DENSITY_TEST_REDIS_URL, else the ones running on 127.0.0.1, else embedded ones started here.
 * Always real servers.
 */
public final class TestServices {
  private static final String LOCAL_PG = "postgresql://postgres@127.0.0.1:5432/postgres";
  private static final String LOCAL_REDIS = "redis://127.0.0.1:6379";

  private static TestServices instance;

  public final String postgresAdminUrl;
  public final String redisUrl;

  private TestServices(String postgresAdminUrl, String redisUrl) {
    this.postgresAdminUrl = postgresAdminUrl;
    this.redisUrl = redisUrl;
  }

  public static synchronized TestServices get() {
    if (instance == null) {
      EmbeddedServices embedded = new EmbeddedServices();
      Runtime.getRuntime().addShutdownHook(new Thread(embedded::close));
      boolean local = !"true".equals(System.getenv("DENSITY_TEST_EMBEDDED"));
      String pg = System.getenv("DENSITY_TEST_PG_URL");
      if (pg == null) {
        pg = local && reachable(LOCAL_PG) ? LOCAL_PG : embedded.startPostgres();
      }
      String redis = System.getenv("DENSITY_TEST_REDIS_URL");
      if (redis == null) {
        redis = local && reachable(LOCAL_REDIS) ? LOCAL_REDIS : embedded.startRedis();
      }
      instance = new TestServices(pg, redis);
    }
    return instance;
  }

  private static boolean reachable(String url) {
    URI uri = URI.create(url);
    try (Socket socket = new Socket()) {
      socket.connect(new InetSocketAddress(uri.getHost(), uri.getPort()), 500);
      return true;
    } catch (IOException e) {
      return false;
    }
  }
}
