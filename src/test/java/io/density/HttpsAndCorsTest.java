package io.density;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.density.config.DensityConfig;
import io.density.support.TestServer;
import io.vertx.core.json.JsonObject;
import io.vertx.core.net.SelfSignedCertificate;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.security.SecureRandom;
import java.security.cert.X509Certificate;
import javax.net.ssl.SSLContext;
import javax.net.ssl.TrustManager;
import javax.net.ssl.X509TrustManager;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

@DisplayName("The API over TLS, with CORS for the browser origins configured")
class HttpsAndCorsTest {
  private static final String BOARD = "https://board.example";
  private TestServer server;
  private HttpClient client;

  @BeforeEach
  void start() throws Exception {
    SelfSignedCertificate certificate = SelfSignedCertificate.create("localhost");
    server = new TestServer();
    JsonObject config = server.config.toJson();
    config
        .getJsonObject("http")
        .put("tlsCertFile", certificate.certificatePath())
        .put("tlsKeyFile", certificate.privateKeyPath())
        .put("corsOrigins", BOARD);
    server.config = DensityConfig.fromJson(config);
    server.start();
    // The test trusts the self-signed certificate it made; a client would pin or install it.
    SSLContext trustAll = SSLContext.getInstance("TLS");
    trustAll.init(
        null,
        new TrustManager[] {
          new X509TrustManager() {
            @Override
            public void checkClientTrusted(X509Certificate[] chain, String authType) {}

            @Override
            public void checkServerTrusted(X509Certificate[] chain, String authType) {}

            @Override
            public X509Certificate[] getAcceptedIssuers() {
              return new X509Certificate[0];
            }
          }
        },
        new SecureRandom());
    client = HttpClient.newBuilder().sslContext(trustAll).build();
  }

  @AfterEach
  void stop() {
    server.close();
  }

  private URI uri(String path) {
    return URI.create("https://localhost:" + server.config.http().port() + path);
  }

  @Test
  @DisplayName("requests are answered over HTTPS, with the token checked as over HTTP")
  void https() throws Exception {
    String read = server.createToken("read");
    HttpResponse<String> answer =
        client.send(
            HttpRequest.newBuilder(uri("/v1/spaces/A/count"))
                .header("Authorization", "Bearer " + read)
                .build(),
            HttpResponse.BodyHandlers.ofString());
    assertEquals(200, answer.statusCode(), answer.body());
    assertTrue(new JsonObject(answer.body()).containsKey("count"));
    HttpResponse<String> anonymous =
        client.send(
            HttpRequest.newBuilder(uri("/v1/spaces/A/count")).build(),
            HttpResponse.BodyHandlers.ofString());
    assertEquals(401, anonymous.statusCode());
  }

  @Test
  @DisplayName(
      "a browser's preflight from a configured origin is allowed without a token; others not")
  void cors() throws Exception {
    HttpResponse<String> preflight =
        client.send(
            HttpRequest.newBuilder(uri("/v1/spaces/A/count"))
                .method("OPTIONS", HttpRequest.BodyPublishers.noBody())
                .header("Origin", BOARD)
                .header("Access-Control-Request-Method", "GET")
                .header("Access-Control-Request-Headers", "authorization")
                .build(),
            HttpResponse.BodyHandlers.ofString());
    assertTrue(preflight.statusCode() < 300, "preflight: " + preflight.statusCode());
    assertEquals(BOARD, preflight.headers().firstValue("Access-Control-Allow-Origin").orElse(""));
    assertTrue(
        preflight
            .headers()
            .firstValue("Access-Control-Allow-Headers")
            .orElse("")
            .toLowerCase()
            .contains("authorization"));

    HttpResponse<String> elsewhere =
        client.send(
            HttpRequest.newBuilder(uri("/v1/spaces/A/count"))
                .method("OPTIONS", HttpRequest.BodyPublishers.noBody())
                .header("Origin", "https://evil.example")
                .header("Access-Control-Request-Method", "GET")
                .build(),
            HttpResponse.BodyHandlers.ofString());
    assertFalse(
        elsewhere.headers().firstValue("Access-Control-Allow-Origin").isPresent(),
        "no CORS grant for another origin");
  }
}
