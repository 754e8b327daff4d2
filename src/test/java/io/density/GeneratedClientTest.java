package io.density;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import com.fasterxml.jackson.core.JsonProcessingException;
import io.density.client.ApiClient;
import io.density.client.ApiException;
import io.density.client.api.BuildingApi;
import io.density.client.api.CountsApi;
import io.density.client.api.IngestApi;
import io.density.client.model.BatchResult;
import io.density.client.model.Datapoint;
import io.density.client.model.DatapointDirection;
import io.density.client.model.DatapointDpuId;
import io.density.client.model.SpaceAnswer;
import io.density.support.TestServer;
import java.time.Instant;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

/**
 * A Java client generated from the API document at build time (the openapi-generator plugin in
 * pom.xml, into target/generated-test-sources/openapi) talks to a real server: what it sends is
 * counted, what it reads back is the count a user sees, and an error answer comes out as its
 * ApiException with the status.
 */
@DisplayName("A client generated from the OpenAPI document works against the server")
class GeneratedClientTest {
  private static TestServer server;

  @BeforeAll
  static void start() {
    server = new TestServer().start();
    // Space A with outer door X (DPU 283, +1 into A); space B reached through A by Z (DPU 423:
    // +1 into A, -1 into B).
    server.provisionSeedBuilding();
  }

  @AfterAll
  static void stop() {
    if (server != null) {
      server.close();
    }
  }

  /** A generated client of this test's server sending the token given (null: none). */
  private static ApiClient client(String token) {
    ApiClient client = new ApiClient();
    client.updateBaseUri("http://127.0.0.1:" + server.config.http().port());
    if (token != null) {
      client.setRequestInterceptor(request -> request.header("Authorization", "Bearer " + token));
    }
    return client;
  }

  private static Datapoint datapoint(String dpu, Instant timestamp, int direction) {
    return new Datapoint()
        .dpuId(new DatapointDpuId(dpu))
        .timestamp(timestamp.toString())
        .direction(new DatapointDirection(direction));
  }

  /** The body of an error answer, read as the document's Error schema. */
  private static io.density.client.model.Error error(ApiClient client, ApiException e)
      throws JsonProcessingException {
    return client
        .getObjectMapper()
        .readValue(e.getResponseBody(), io.density.client.model.Error.class);
  }

  @Test
  @DisplayName("datapoints sent through the generated ingest API are the counts its query reads")
  void sendThenCount() throws Exception {
    IngestApi ingest = new IngestApi(client(server.createToken("ingest")));
    CountsApi counts = new CountsApi(client(server.createToken("read")));
    Instant start = Instant.now().minusSeconds(60);

    // Two people come in by X; one of them goes on from A into B through Z.
    BatchResult batch =
        ingest.ingestDatapoints(
            List.of(
                datapoint("283", start, 1),
                datapoint("283", start.plusSeconds(1), 1),
                datapoint("423", start.plusSeconds(2), -1)));
    assertEquals(3, batch.getAccepted(), batch.toString());
    assertEquals(0, batch.getRejected(), batch.toString());

    assertEquals(1, counts.getSpaceCount("A", null).getCount());
    assertEquals(1, counts.getSpaceCount("B", null).getCount());
    // The seed API's realtime query says the same.
    assertEquals(1, counts.seedRealtimeCount("A").getCount());
    // Answers shared by several operations are classes named after them (the schemas' titles).
    SpaceAnswer space = new BuildingApi(client(server.createToken("read"))).getSpace("A");
    assertEquals("A", space.getId());
    assertEquals("Space A", space.getName());
  }

  @Test
  @DisplayName("an answer of 401 or 422 is the generated ApiException with that status and Error")
  void errorsAreApiExceptions() throws Exception {
    ApiClient anonymous = client(null);
    ApiException unauthorized =
        assertThrows(ApiException.class, () -> new CountsApi(anonymous).getSpaceCount("A", null));
    assertEquals(401, unauthorized.getCode());
    assertEquals("error", error(anonymous, unauthorized).getStatus());

    ApiClient admin = client(server.createToken("admin"));
    ApiException invalid =
        assertThrows(
            ApiException.class,
            () ->
                new IngestApi(admin)
                    .sendDatapoint(
                        new Datapoint()
                            .dpuId(new DatapointDpuId("283"))
                            .timestamp(Instant.now().toString())
                            .direction(new DatapointDirection("2"))));
    assertEquals(422, invalid.getCode());
    assertEquals("direction", error(admin, invalid).getField());
  }
}
