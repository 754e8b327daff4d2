package io.density.ingest;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import io.density.bus.InvalidInput;
import io.density.time.Timestamps;
import io.vertx.core.json.JsonObject;
import java.time.Clock;
import java.time.Instant;
import java.time.ZoneOffset;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

@DisplayName("The ingest rules for one datapoint")
class DatapointParserTest {
  private static final Instant NOW = Instant.parse("2026-01-01T12:00:00Z");
  private final DatapointParser parser =
      new DatapointParser(Clock.fixed(NOW, ZoneOffset.UTC), 300, 0);

  private Datapoint parse(Object timestamp, Object direction, Object dpu) throws InvalidInput {
    JsonObject item =
        new JsonObject().put("timestamp", timestamp).put("direction", direction).put("dpu_id", dpu);
    return parser.parse(DatapointParser.Fields.of(item), item.encode(), 0);
  }

  @ParameterizedTest(name = "[{index}] {0}")
  @DisplayName("accepts ISO-8601 as sensors and people write it")
  @CsvSource(
      delimiter = '|',
      value = {
        "2018-02-24T17:24:25.493Z      | 2018-02-24T17:24:25.493Z",
        "2018-02-24 17:24:25.493z      | 2018-02-24T17:24:25.493Z",
        "2018-02-24t17:24:25Z          | 2018-02-24T17:24:25Z",
        "2018-02-24T18:24:25.493+01:00 | 2018-02-24T17:24:25.493Z",
        "2018-02-24T18:24:25.493+0100  | 2018-02-24T17:24:25.493Z",
        "2018-02-24T16:24:25-01        | 2018-02-24T17:24:25Z",
        "2018-02-24T17:24:25.123456789Z | 2018-02-24T17:24:25.123456Z",
        "2018-02-24T17:24:25.5Z        | 2018-02-24T17:24:25.500Z",
        "2018-02-24 18:24:25.493 01:00 | 2018-02-24T17:24:25.493Z",
      })
  void acceptsTimestamps(String text, String expected) throws InvalidInput {
    assertEquals(Timestamps.toMicros(Instant.parse(expected)), parse(text, 1, "423").tsMicros());
  }

  @ParameterizedTest(name = "[{index}] {0}")
  @DisplayName("rejects timestamps that are not ISO-8601 with a zone, naming the field")
  @ValueSource(
      strings = {
        "",
        "yesterday",
        "2018-02-24T17:24:25",
        "2018-02-24T17:24:25.1234567890Z",
        "2018-02-30T17:24:25Z",
        "2018-02-24T25:00:00Z",
        "1519493065493"
      })
  void rejectsTimestamps(String text) {
    InvalidInput e = assertThrows(InvalidInput.class, () -> parse(text, 1, "423"));
    assertEquals("timestamp", e.field());
  }

  @Test
  @DisplayName("rejects a timestamp more than 5 minutes ahead of the server clock, accepts 4")
  void rejectsTheFarFuture() throws InvalidInput {
    InvalidInput e =
        assertThrows(InvalidInput.class, () -> parse(NOW.plusSeconds(301).toString(), 1, "423"));
    assertEquals("timestamp", e.field());
    assertEquals(
        Timestamps.toMicros(NOW.plusSeconds(240)),
        parse(NOW.plusSeconds(240).toString(), 1, "423").tsMicros());
  }

  @Test
  @DisplayName("with a retention period, rejects timestamps older than it")
  void rejectsWhatRetentionDrops() throws InvalidInput {
    DatapointParser keeps30Days = new DatapointParser(Clock.fixed(NOW, ZoneOffset.UTC), 300, 30);
    JsonObject old =
        new JsonObject()
            .put("timestamp", NOW.minusSeconds(31 * 86_400).toString())
            .put("direction", 1)
            .put("dpu_id", "d");
    assertEquals(
        "timestamp",
        assertThrows(
                InvalidInput.class, () -> keeps30Days.parse(DatapointParser.Fields.of(old), "", 0))
            .field());
    JsonObject recent = old.copy().put("timestamp", NOW.minusSeconds(29 * 86_400).toString());
    assertEquals("d", keeps30Days.parse(DatapointParser.Fields.of(recent), "", 0).dpuId());
  }

  @ParameterizedTest(name = "[{index}] {0}")
  @DisplayName("takes +1 and -1 as numbers or numeric strings")
  @CsvSource({"1,1", "-1,-1", "+1,1"})
  void directionsAsStrings(String text, int expected) throws InvalidInput {
    assertEquals(expected, parse("2018-02-24T17:24:25Z", text, "423").direction());
  }

  @Test
  @DisplayName("takes numeric directions and DPU ids")
  void numbers() throws InvalidInput {
    Datapoint d = parse("2018-02-24T17:24:25Z", -1, 423);
    assertEquals(-1, d.direction());
    assertEquals("423", d.dpuId());
  }

  @Test
  @DisplayName("rejects any other direction, naming the field")
  void badDirections() {
    for (Object direction : new Object[] {0, 2, "2", "in", 1.5, true, null, ""}) {
      InvalidInput e =
          assertThrows(InvalidInput.class, () -> parse("2018-02-24T17:24:25Z", direction, "423"));
      assertEquals("direction", e.field(), String.valueOf(direction));
    }
  }

  @Test
  @DisplayName("rejects a missing, empty, oversized or non-scalar dpu_id")
  void badDpuIds() {
    for (Object dpu :
        new Object[] {null, "", "  ", "x".repeat(65), "a\u0000b", true, new JsonObject()}) {
      InvalidInput e =
          assertThrows(InvalidInput.class, () -> parse("2018-02-24T17:24:25Z", 1, dpu));
      assertEquals("dpu_id", e.field(), String.valueOf(dpu));
    }
  }

  @Test
  @DisplayName("dedupes on the datapoint's own id when it has one, else on timestamp and direction")
  void dedupeKeys() throws InvalidInput {
    Datapoint plain = parse("2018-02-24T17:24:25.493Z", 1, "423");
    Datapoint sameInstant = parse("2018-02-24 18:24:25.493+01:00", "1", 423);
    assertEquals(plain.dedupeKey(), sameInstant.dedupeKey());
    JsonObject withId =
        new JsonObject()
            .put("timestamp", "2018-02-24T17:24:25Z")
            .put("direction", 1)
            .put("dpu_id", "423")
            .put("id", 77);
    assertEquals(
        "id:77", parser.parse(DatapointParser.Fields.of(withId), withId.encode(), 0).dedupeKey());
  }

  @ParameterizedTest(name = "[{index}] {0}")
  @DisplayName("microseconds become the same instant in UTC, before 1970 too")
  @ValueSource(longs = {0L, -1L, 1L, 1_519_493_065_493_123L, -62_135_596_800_000_000L, -999_999L})
  void microsToOffsetDateTime(long micros) {
    var odt = Timestamps.toOffsetDateTime(micros);
    assertEquals(ZoneOffset.UTC, odt.getOffset());
    assertEquals(Timestamps.fromMicros(micros), odt.toInstant());
    assertEquals(micros, Timestamps.toMicros(odt));
  }
}
