package io.density.bus;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;

import io.density.alerts.AlertRequest;
import io.density.auth.Scope;
import io.density.auth.TokenRequest;
import io.density.history.HistoryRequest;
import io.density.history.HistoryRequest.Cursor;
import io.density.history.HistoryRequest.Window;
import io.density.query.QueryRequest;
import io.density.registry.RegistryRequest;
import io.density.registry.RegistryRequest.Item;
import io.density.registry.RegistryRequest.Link;
import io.density.registry.RegistryRequest.MovedLink;
import io.density.registry.RegistryRequest.Named;
import io.density.registry.RegistryRequest.Rejection;
import io.density.registry.RegistryRequest.Space;
import io.vertx.core.buffer.Buffer;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.stream.Stream;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

@DisplayName("Typed requests on the event bus: by reference on a node, as JSON between nodes")
class RecordCodecTest {
  private static final Window WINDOW =
      new Window(1_700_000_000_000_000L, 1_700_086_400_000_000L, "15m", "Europe/Paris");

  private static final Space SPACE =
      new Space("s", "Hall, east", "b", "Europe/Paris", 120, false, "04:00", 30);
  private static final Link LINK =
      new Link("283", "d", "s", (short) -1, 1_700_000_000_000_000L, null);
  private static final Rejection REJECTED = new Rejection(null, "an item must be a JSON object");

  /** One request of every operation of every service, with values that test the encoding. */
  private static final List<Record> REQUESTS =
      List.of(
          new QueryRequest.Realtime("lobby-ü"),
          new QueryRequest.AsOf("a,b", -5L),
          new QueryRequest.Nearest("a", Long.MAX_VALUE / 2),
          new QueryRequest.Dpu("283"),
          new QueryRequest.DpuActivity(60, 1000),
          new HistoryRequest.Series("s", WINDOW, true),
          new HistoryRequest.DoorwaySeries("d☃", WINDOW),
          new HistoryRequest.Events("s", Long.MIN_VALUE / 2, 7L, 10, new Cursor(5L, -1, 99L), true),
          new HistoryRequest.Events("s", 1L, 2L, 1000, null, false),
          new HistoryRequest.Resets("s", 1L, 2L),
          new HistoryRequest.UtilizationReport("s", "2024-03-01", "2024-04-01", null, true),
          new TokenRequest.Create(Scope.ADMIN, "ci ☃", 1_900_000_000_000L),
          new TokenRequest.Create(Scope.READ, null, null),
          new TokenRequest.ListTokens(),
          new TokenRequest.Revoke(42L),
          new TokenRequest.Check("q1w2-_"),
          new AlertRequest.PutRules(
              "s",
              List.of(
                  new AlertRequest.Level("full", null, 1, 60),
                  new AlertRequest.Level("busy", 40, 3, 0))),
          new AlertRequest.GetRules("s"),
          new AlertRequest.PutWebhook("w", "https://example.com/h?k=v", List.of("a", "b"), true),
          new AlertRequest.PutWebhook("w", "http://10.0.0.1/", null, false),
          new AlertRequest.ListWebhooks(false),
          new AlertRequest.ListAlerts(null, "283", 100),
          new AlertRequest.PutHealthRules(
              "283", null, List.of(new AlertRequest.HealthRule("silent", 30))),
          new AlertRequest.PutHealthRules(null, "s", List.of()),
          new AlertRequest.GetDpuHealthRules("283"),
          new AlertRequest.GetSpaceHealthRules("s"),
          new RegistryRequest.PutSpace(SPACE),
          new RegistryRequest.PutSpace(new Space("s", null, null, "UTC", null, true, null, null)),
          new RegistryRequest.GetSpace("s"),
          new RegistryRequest.ListSpaces(),
          new RegistryRequest.PutDoorway(new Named("d", "Main door")),
          new RegistryRequest.GetDoorway("d"),
          new RegistryRequest.ListDoorways(),
          new RegistryRequest.PutDpu(new Named("283", null)),
          new RegistryRequest.ListDpus(),
          new RegistryRequest.MoveDpu(
              "283",
              "d",
              1_700_000_000_000_000L,
              List.of(new MovedLink("a", (short) 1), new MovedLink("b", (short) -1))),
          new RegistryRequest.MoveDpu("283", "d", null, List.of(new MovedLink("a", (short) 1))),
          new RegistryRequest.CreateLink(LINK),
          new RegistryRequest.ListLinks("283", null),
          new RegistryRequest.BulkSpaces(
              List.of(new Item<>(SPACE, null), new Item<>(null, new Rejection("id", "twice")))),
          new RegistryRequest.BulkDoorways(
              List.of(new Item<>(new Named("d", null), null), new Item<>(null, REJECTED))),
          new RegistryRequest.BulkDpus(List.of(new Item<>(new Named("283", "ü"), null))),
          new RegistryRequest.BulkLinks(
              List.of(new Item<>(LINK, null), new Item<>(null, REJECTED))));

  /** The records a service answers with instead of JSON. */
  private static final List<Record> ANSWERS =
      List.of(
          new TokenRequest.Grant(7L, Scope.INGEST, 1_900_000_000_000L),
          new TokenRequest.Grant(8L, Scope.ADMIN, null));

  /** The sealed request types, each of which the list above must cover whole. */
  private static final List<Class<?>> SERVICES =
      List.of(
          QueryRequest.class,
          HistoryRequest.class,
          TokenRequest.class,
          AlertRequest.class,
          RegistryRequest.class);

  @Test
  @DisplayName(
      "between nodes every request and record answer arrives equal to what was sent, after what"
          + " came before")
  void wire() {
    for (Record request : Stream.concat(REQUESTS.stream(), ANSWERS.stream()).toList()) {
      Buffer buffer = Buffer.buffer().appendString("header");
      codec(request).encodeToWire(buffer, request);
      assertEquals(request, codec(request).decodeFromWire(6, buffer));
    }
  }

  @Test
  @DisplayName("on the same node the request or answer itself is delivered, not a copy")
  void local() {
    for (Record request : Stream.concat(REQUESTS.stream(), ANSWERS.stream()).toList()) {
      assertSame(request, codec(request).transform(request));
    }
  }

  @Test
  @DisplayName("every operation of every service is among the requests tested")
  void everyOperation() {
    Set<String> operations = new TreeSet<>();
    for (Class<?> service : SERVICES) {
      for (Class<?> permitted : service.getPermittedSubclasses()) {
        operations.add(permitted.getName());
      }
    }
    Set<String> tested = new TreeSet<>();
    REQUESTS.forEach(r -> tested.add(r.getClass().getName()));
    assertEquals(operations, tested);
  }

  @Test
  @DisplayName("each record type has a codec of its own name, so the receiving node reads its type")
  void names() {
    Set<String> names = new TreeSet<>();
    Set<Class<?>> types = new HashSet<>();
    for (Record r : REQUESTS) {
      names.add(codec(r).name());
      types.add(r.getClass());
    }
    assertEquals(types.size(), names.size());
  }

  @SuppressWarnings({"unchecked", "rawtypes"})
  private static RecordCodec<Record> codec(Record request) {
    return new RecordCodec(request.getClass());
  }
}
