package io.density.ingest;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;

import io.vertx.core.buffer.Buffer;
import java.util.List;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

@DisplayName("Datapoints on the event bus: by reference on a node, compact between nodes")
class DatapointBatchTest {
  private final DatapointBatch.Codec codec = new DatapointBatch.Codec();
  private final DatapointBatch batch =
      new DatapointBatch(
          List.of(
              new Datapoint("283", 1_519_453_346_970_000L, 1, "1519453346970000:1", 42L, "{}"),
              new Datapoint(
                  "dpu-ü", -5L, -1, "id:évènement", 1_700_000_000_000_000L, "{\"a\":\"☃\"}")));

  @Test
  @DisplayName("between nodes every field arrives as it was sent, after what came before it")
  void wire() {
    Buffer buffer = Buffer.buffer().appendString("header");
    codec.encodeToWire(buffer, batch);
    assertEquals(batch, codec.decodeFromWire(6, buffer));
  }

  @Test
  @DisplayName("on the same node the batch itself is delivered, not a copy")
  void local() {
    assertSame(batch, codec.transform(batch));
  }
}
