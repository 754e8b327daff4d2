package io.density.support;

import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLMapper;
import io.vertx.core.json.JsonObject;
import io.vertx.json.schema.Draft;
import io.vertx.json.schema.JsonSchema;
import io.vertx.json.schema.JsonSchemaOptions;
import io.vertx.json.schema.OutputFormat;
import io.vertx.json.schema.OutputUnit;
import io.vertx.json.schema.Validator;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * The egress messages as the AsyncAPI document ({@code src/main/resources/asyncapi.yaml}, the one
 * description of them) says: a received body is checked against one of its component schemas.
 */
public final class EgressMessages {
  private static JsonObject components;

  private EgressMessages() {}

  private static synchronized JsonObject components() {
    if (components == null) {
      try {
        String yaml = Files.readString(Path.of("src/main/resources/asyncapi.yaml"));
        components =
            new JsonObject(new ObjectMapper().writeValueAsString(new YAMLMapper().readTree(yaml)))
                .getJsonObject("components");
      } catch (Exception e) {
        throw new AssertionError("the AsyncAPI document cannot be read", e);
      }
    }
    return components;
  }

  /** The result of checking a body against the component schema {@code name}. */
  public static OutputUnit validate(String name, JsonObject body) {
    JsonObject root =
        new JsonObject()
            .put("$ref", "#/components/schemas/" + name)
            .put("components", components().copy());
    return Validator.create(
            JsonSchema.of(root),
            new JsonSchemaOptions()
                .setDraft(Draft.DRAFT7)
                .setBaseUri("https://density/")
                .setOutputFormat(OutputFormat.Basic))
        .validate(body);
  }

  /** The body is a {@code name} (Count, SpaceAlert, DpuAlert) of the AsyncAPI document. */
  public static void assertSchema(String name, JsonObject body) {
    OutputUnit result = validate(name, body);
    assertTrue(result.getValid(), body + " is not a " + name + ": " + result.getErrors());
  }
}
