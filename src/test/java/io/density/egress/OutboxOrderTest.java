package io.density.egress;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.vertx.core.json.JsonObject;
import java.util.List;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

@DisplayName("Outbox: the changes of a page go out in seq order per key")
class OutboxOrderTest {
  private static Change change(Change.Kind kind, String key, long seq) {
    return new Change(kind, key, seq, new JsonObject());
  }

  @Test
  @DisplayName(
      "a space's alert read before a count change of a lower seq goes after it; a DPU's own"
          + " numbering is apart")
  void perKey() {
    List<Change> read =
        List.of(
            change(Change.Kind.COUNT, "A", 4),
            change(Change.Kind.SPACE_ALERT, "A", 6),
            change(Change.Kind.DPU_ALERT, "A", 1),
            change(Change.Kind.COUNT, "B", 9),
            change(Change.Kind.COUNT, "A", 5));
    List<String> order =
        Outbox.inSeqOrder(read).stream()
            .map(c -> c.kind() + " " + c.key() + " " + c.seq())
            .toList();
    assertEquals(
        List.of("COUNT A 4", "COUNT A 5", "SPACE_ALERT A 6", "DPU_ALERT A 1", "COUNT B 9"), order);
  }
}
