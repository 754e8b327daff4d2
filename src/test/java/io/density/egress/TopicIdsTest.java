package io.density.egress;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.util.List;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

@DisplayName("Ids in MQTT topics and NATS subjects: one reversible encoding")
class TopicIdsTest {

  @Test
  @DisplayName("plain ids stay as they are in topics and subjects")
  void plain() {
    assertEquals("lobby-1_east~2", TopicIds.encode("lobby-1_east~2"));
  }

  @Test
  @DisplayName("characters that MQTT topics or NATS subjects give meaning to are encoded, and back")
  void reserved() {
    assertEquals("a%2Fb%2B%23", TopicIds.encode("a/b+#"));
    assertEquals("floor%2E2%2A%3E", TopicIds.encode("floor.2*>"));
    assertEquals("main%20hall%25", TopicIds.encode("main hall%"));
    for (String id : List.of("a/b+#", "floor.2*>", "main hall%", "Café ☕", "%41", "x\ty")) {
      String token = TopicIds.encode(id);
      for (char c : "/+#.*> %\t".toCharArray()) {
        if (c != '%') {
          assertFalse(token.indexOf(c) >= 0, token + " holds '" + c + "'");
        }
      }
      assertEquals(id, TopicIds.decode(token));
    }
  }

  @Test
  @DisplayName("a token that no id encodes to is refused, naming it")
  void notAToken() {
    assertThrows(IllegalArgumentException.class, () -> TopicIds.decode("a/b"));
    assertThrows(IllegalArgumentException.class, () -> TopicIds.decode("a%2"));
  }
}
