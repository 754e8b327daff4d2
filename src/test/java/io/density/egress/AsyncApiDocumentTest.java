package io.density.egress;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLMapper;
import io.density.config.DensityConfig;
import io.density.support.EgressMessages;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.json.schema.OutputUnit;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

/**
 * The AsyncAPI document of the egress messages ({@code src/main/resources/asyncapi.yaml}; Redocly
 * lints its structure in {@code mvn verify}) against what is sent: its examples and messages shaped
 * as the server shapes them pass its schemas, broken ones do not, and its NATS subjects and message
 * ids are those of {@link NatsSink}.
 */
@DisplayName(
    "The AsyncAPI document: its schemas take the messages sent, its subjects are the sink's")
class AsyncApiDocumentTest {
  private static JsonObject document;

  @BeforeAll
  static void read() throws Exception {
    String yaml = Files.readString(Path.of("src/main/resources/asyncapi.yaml"));
    document =
        new JsonObject(new ObjectMapper().writeValueAsString(new YAMLMapper().readTree(yaml)));
    assertEquals("3.0.0", document.getString("asyncapi"));
  }

  private static void valid(String schema, JsonObject message) {
    OutputUnit result = EgressMessages.validate(schema, message);
    assertTrue(result.getValid(), message + " is not a " + schema + ": " + result.getErrors());
  }

  private static void invalid(String schema, JsonObject message) {
    assertFalse(
        EgressMessages.validate(schema, message).getValid(), message + " passes as a " + schema);
  }

  /** The schema a message's payload or headers refers to ({@code #/components/schemas/X}: X). */
  private static String ref(JsonObject message, String part) {
    String ref = message.getJsonObject(part).getString("$ref");
    return ref.substring(ref.lastIndexOf('/') + 1);
  }

  @Test
  @DisplayName("every example of the document passes its message's schemas, headers included")
  void examples() {
    JsonObject messages = document.getJsonObject("components").getJsonObject("messages");
    int checked = 0;
    for (String name : messages.fieldNames()) {
      JsonObject message = messages.getJsonObject(name);
      JsonArray examples = message.getJsonArray("examples", new JsonArray());
      for (Object e : examples) {
        JsonObject example = (JsonObject) e;
        valid(ref(message, "payload"), example.getJsonObject("payload"));
        if (message.containsKey("headers")) {
          valid(ref(message, "headers"), example.getJsonObject("headers"));
        }
        checked++;
      }
    }
    assertTrue(checked >= 5, "examples checked: " + checked);
  }

  @Test
  @DisplayName("counts and alerts shaped as the server shapes them pass; broken ones do not")
  void messages() {
    JsonObject count =
        new JsonObject()
            .put("space_id", "A/B")
            .put("count", 0)
            .put("timestamp", "2026-01-15T10:17:03.123456Z")
            .put("seq", 1)
            .put("cause", "reset");
    valid("Count", count);
    valid("Count", count.copy().putNull("timestamp").put("cause", "reconciliation"));
    invalid("Count", count.copy().put("count", -1));
    invalid("Count", count.copy().put("cause", "guess"));
    JsonObject noSeq = count.copy();
    noSeq.remove("seq");
    invalid("Count", noSeq);

    // The alerts of alerts/AlertsVerticle and alerts/AlertAdmin, with the change's seq.
    JsonObject spaceAlert =
        new JsonObject()
            .put("id", 12L)
            .put("space_id", "main hall")
            .put("rule", "full")
            .put("kind", "above")
            .put("level", 40)
            .put("count", 40)
            .put("timestamp", "2026-01-15T10:17:03.123Z")
            .put("fired_at", "2026-01-15T10:17:03.140Z")
            .put("seq", 7);
    valid("SpaceAlert", spaceAlert);
    invalid("SpaceAlert", spaceAlert.copy().put("kind", "sideways"));
    JsonObject dpuAlert =
        new JsonObject()
            .put("id", 42L)
            .put("dpu_id", "dpu.7")
            .putNull("space_id")
            .put("rule", "dpu")
            .put("kind", "flood")
            .put("state", "cleared")
            .put("threshold", 100)
            .putNull("value")
            .put("timestamp", "2026-01-15T10:17:03.123Z")
            .put("fired_at", "2026-01-15T10:17:03.140Z")
            .put("seq", 3);
    valid("DpuAlert", dpuAlert);
    invalid("DpuAlert", dpuAlert.copy().put("state", "maybe"));
  }

  @Test
  @DisplayName("the NATS subjects and Nats-Msg-Id of the sink are the document's, whatever the id")
  void natsSubjectsAndIds() {
    NatsStream stream =
        new NatsStream(
            new DensityConfig.Egress.Nats(
                null, null, null, null, null, null, null, null, null, null),
            Duration.ofHours(24));
    JsonObject channels = document.getJsonObject("channels");
    for (String id : List.of("A", "A/B", "e.f*>", "main hall", "Café ☕", "100%")) {
      for (Change.Kind kind : Change.Kind.values()) {
        Change change = new Change(kind, id, 17, new JsonObject());
        String channel =
            switch (kind) {
              case COUNT -> "natsSpaceCount";
              case SPACE_ALERT -> "natsSpaceAlert";
              case DPU_ALERT -> "natsDpuAlert";
            };
        String address = channels.getJsonObject(channel).getString("address");
        assertEquals(
            address.replaceAll("\\{[a-z]+}", TopicIds.encode(id)), stream.subject(change), id);
        valid("NatsHeaders", new JsonObject().put("Nats-Msg-Id", NatsStream.messageId(change)));
      }
    }
    invalid("NatsHeaders", new JsonObject().put("Nats-Msg-Id", "count:A/B:17"));
  }
}
