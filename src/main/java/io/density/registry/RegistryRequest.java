package io.density.registry;

import static io.density.registry.Fields.flag;
import static io.density.registry.Fields.localTime;
import static io.density.registry.Fields.optionalMicros;
import static io.density.registry.Fields.optionalText;
import static io.density.registry.Fields.placement;
import static io.density.registry.Fields.requiredText;
import static io.density.registry.Fields.whole;
import static io.density.registry.Fields.zone;

import io.density.api.BodyRules;
import io.density.bus.InvalidInput;
import io.density.ingest.Ids;
import io.density.time.Timestamps;
import io.vertx.core.Future;
import io.vertx.core.json.JsonObject;
import java.time.Instant;
import java.time.LocalTime;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

/**
 * The operations of {@code density.registry} (bus/Addresses.REGISTRY), each a record: spaces,
 * doorways, DPUs and links, one by one or in bulk. Bodies are read where they enter ({@code of},
 * called by http/RegistryRoutes), once they meet their schema in the API document (api/BodyRules:
 * the route's body, each bulk item against its own), with the rules of {@link Fields} for what a
 * schema cannot say; {@link RegistryVerticle} writes them, checking only what needs the database
 * (parents, links, what is registered). Instants in µs.
 */
public sealed interface RegistryRequest {
  /** Each operation, carried out: one method per record. */
  interface Operations {
    Future<JsonObject> putSpace(PutSpace r);

    Future<JsonObject> getSpace(GetSpace r);

    Future<JsonObject> listSpaces(ListSpaces r);

    Future<JsonObject> putDoorway(PutDoorway r);

    Future<JsonObject> getDoorway(GetDoorway r);

    Future<JsonObject> listDoorways(ListDoorways r);

    Future<JsonObject> putDpu(PutDpu r);

    Future<JsonObject> listDpus(ListDpus r);

    Future<JsonObject> moveDpu(MoveDpu r);

    Future<JsonObject> createLink(CreateLink r);

    Future<JsonObject> listLinks(ListLinks r);

    Future<JsonObject> bulkSpaces(BulkSpaces r);

    Future<JsonObject> bulkDoorways(BulkDoorways r);

    Future<JsonObject> bulkDpus(BulkDpus r);

    Future<JsonObject> bulkLinks(BulkLinks r);
  }

  /** This operation, carried out by {@code operations}. */
  Future<JsonObject> carryOut(Operations operations);

  // ------------------------------------------------------------------ the building's items

  /**
   * A space as stated: a time zone (IANA), a daily reset as a local time ({@code HH:mm[:ss]}, null:
   * none), idle reset minutes (null: never).
   */
  record Space(
      String id,
      String name,
      String parentId,
      String timeZone,
      Integer capacity,
      boolean clamp,
      String dailyReset,
      Integer idleResetMinutes) {

    /** The fields of {@code PUT /v1/spaces/{id}} or of a bulk item (a {@code SpaceBody}). */
    public static Space of(String id, JsonObject body) throws InvalidInput {
      String name = optionalText(body, "name");
      String parent = optionalText(body, "parent_id");
      String zone = zone(body.getValue("time_zone"));
      Integer capacity = whole(body.getValue("capacity"));
      boolean clamp = flag(body.getValue("clamp"), true);
      LocalTime reset = localTime(body.getValue("daily_reset"), "daily_reset");
      Integer idle = whole(body.getValue("idle_reset_minutes"));
      return new Space(
          id, name, parent, zone, capacity, clamp, reset == null ? null : reset.toString(), idle);
    }

    /** The daily reset as a local time, or null. */
    LocalTime resetTime() {
      return dailyReset == null ? null : LocalTime.parse(dailyReset);
    }
  }

  /** A doorway or a DPU: an id and a name (null: none). */
  record Named(String id, String name) {
    /** {@code {name?}} (a {@code NamedBody}). */
    public static Named of(String id, JsonObject body) throws InvalidInput {
      return new Named(id, optionalText(body, "name"));
    }
  }

  /**
   * A link of a DPU in a doorway to a space, with the sensor's placement (+1 or -1), valid from
   * {@code from} (null: now) to {@code to} (null: open), {@code to} after {@code from}.
   */
  record Link(String dpu, String doorway, String space, short placement, Long from, Long to) {
    /**
     * {@code {dpu_id, doorway_id, space_id, sensor_placement, valid_from?, valid_to?}} (a {@code
     * LinkBody}).
     */
    public static Link of(JsonObject body) throws InvalidInput {
      Long from = optionalMicros(body, "valid_from");
      Long to = optionalMicros(body, "valid_to");
      if (to != null && to <= (from != null ? from : Timestamps.toMicros(Instant.now()))) {
        throw new InvalidInput("valid_to", "valid_to must be after valid_from");
      }
      return new Link(
          requiredText(body, "dpu_id"),
          requiredText(body, "doorway_id"),
          requiredText(body, "space_id"),
          Fields.placement(body.getValue("sensor_placement")),
          from,
          to);
    }
  }

  /** A space a moved DPU is linked to, with the sensor's placement. */
  record MovedLink(String space, short placement) {}

  // ------------------------------------------------------------------ one by one

  /** Writes a space (created or updated) → the space. */
  record PutSpace(Space space) implements RegistryRequest {
    @Override
    public Future<JsonObject> carryOut(Operations operations) {
      return operations.putSpace(this);
    }
  }

  record GetSpace(String id) implements RegistryRequest {
    @Override
    public Future<JsonObject> carryOut(Operations operations) {
      return operations.getSpace(this);
    }
  }

  record ListSpaces() implements RegistryRequest {
    @Override
    public Future<JsonObject> carryOut(Operations operations) {
      return operations.listSpaces(this);
    }
  }

  record PutDoorway(Named doorway) implements RegistryRequest {
    @Override
    public Future<JsonObject> carryOut(Operations operations) {
      return operations.putDoorway(this);
    }
  }

  record GetDoorway(String id) implements RegistryRequest {
    @Override
    public Future<JsonObject> carryOut(Operations operations) {
      return operations.getDoorway(this);
    }
  }

  record ListDoorways() implements RegistryRequest {
    @Override
    public Future<JsonObject> carryOut(Operations operations) {
      return operations.listDoorways(this);
    }
  }

  record PutDpu(Named dpu) implements RegistryRequest {
    @Override
    public Future<JsonObject> carryOut(Operations operations) {
      return operations.putDpu(this);
    }
  }

  record ListDpus() implements RegistryRequest {
    @Override
    public Future<JsonObject> carryOut(Operations operations) {
      return operations.listDpus(this);
    }
  }

  /**
   * Moves a DPU at an instant ({@code at}, null: now; never in the future): its links valid then
   * are closed, the given ones opened, each space once.
   */
  record MoveDpu(String dpu, String doorway, Long at, List<MovedLink> links)
      implements RegistryRequest {
    public MoveDpu {
      links = List.copyOf(links);
    }

    /**
     * {@code {doorway_id, at?, links: [{space_id, sensor_placement}]}} (a {@code MoveBody});
     * checked here: not in the future, each space once.
     */
    public static MoveDpu of(String dpu, JsonObject body) throws InvalidInput {
      String doorway = requiredText(body, "doorway_id");
      Long at = optionalMicros(body, "at");
      if (at != null && at > Timestamps.toMicros(Instant.now().plus(5, ChronoUnit.MINUTES))) {
        throw new InvalidInput(
            "at", "at must not be in the future: a move is effective now or in the past");
      }
      List<MovedLink> moved = new ArrayList<>();
      Set<String> spaces = new HashSet<>();
      for (Object o : body.getJsonArray("links")) {
        JsonObject l = (JsonObject) o;
        String space = requiredText(l, "space_id");
        if (!spaces.add(space)) {
          throw new InvalidInput("links", "space " + space + " appears twice");
        }
        moved.add(new MovedLink(space, placement(l.getValue("sensor_placement"))));
      }
      return new MoveDpu(dpu, doorway, at, moved);
    }

    @Override
    public Future<JsonObject> carryOut(Operations operations) {
      return operations.moveDpu(this);
    }
  }

  /** Creates a link, or answers the equal one that exists. */
  record CreateLink(Link link) implements RegistryRequest {
    @Override
    public Future<JsonObject> carryOut(Operations operations) {
      return operations.createLink(this);
    }
  }

  /** The links, of a DPU and of a space if given. */
  record ListLinks(String dpu, String space) implements RegistryRequest {
    @Override
    public Future<JsonObject> carryOut(Operations operations) {
      return operations.listLinks(this);
    }
  }

  // ------------------------------------------------------------------ in bulk

  /** Why an item of a bulk request was rejected where it entered ({@code field} may be null). */
  record Rejection(String field, String error) {}

  /** An item of a bulk request: its value, checked, or why it was rejected. */
  record Item<T>(T value, Rejection rejection) {
    /** Reads one item (a JSON object) into its value, or throws naming what is wrong. */
    interface Reader<T> {
      T read(JsonObject item) throws InvalidInput;
    }

    /** Every item, in order, read by {@code reader}; a bad item is a rejection, not a throw. */
    static <T> List<Item<T>> all(List<Object> items, Reader<T> reader) {
      List<Item<T>> out = new ArrayList<>(items.size());
      for (Object o : items) {
        try {
          if (!(o instanceof JsonObject item)) {
            throw InvalidInput.malformed(null, "an item must be a JSON object");
          }
          out.add(new Item<>(reader.read(item), null));
        } catch (InvalidInput e) {
          out.add(new Item<>(null, new Rejection(e.field(), e.getMessage())));
        }
      }
      return out;
    }

    /** The id of a doorway or a DPU (a {@code NamedItem}), once per request. */
    static String named(JsonObject item, Set<String> seen) throws InvalidInput {
      BodyRules.check("NamedItem", item);
      return id(item, seen);
    }

    /** The id of an item: required, 1 to 64 characters, once per request. */
    static String id(JsonObject item, Set<String> seen) throws InvalidInput {
      String id = Ids.check(requiredText(item, "id"), "id");
      if (!seen.add(id)) {
        throw new InvalidInput("id", "id " + id + " appears twice in this request");
      }
      return id;
    }
  }

  /** Spaces, each shaped as {@code PUT /v1/spaces/{id}}'s body with its id. */
  record BulkSpaces(List<Item<Space>> items) implements RegistryRequest {
    public BulkSpaces {
      items = List.copyOf(items);
    }

    public static BulkSpaces of(List<Object> items) {
      Set<String> seen = new HashSet<>();
      return new BulkSpaces(
          Item.all(
              items,
              body -> {
                BodyRules.check("SpaceItem", body);
                Space space = Space.of(Item.id(body, seen), body);
                if (space.id().equals(space.parentId())) {
                  throw new InvalidInput("parent_id", "a space cannot be its own parent");
                }
                return space;
              }));
    }

    @Override
    public Future<JsonObject> carryOut(Operations operations) {
      return operations.bulkSpaces(this);
    }
  }

  /** Doorways, {@code {id, name?}} each. */
  record BulkDoorways(List<Item<Named>> items) implements RegistryRequest {
    public BulkDoorways {
      items = List.copyOf(items);
    }

    public static BulkDoorways of(List<Object> items) {
      Set<String> seen = new HashSet<>();
      return new BulkDoorways(Item.all(items, body -> Named.of(Item.named(body, seen), body)));
    }

    @Override
    public Future<JsonObject> carryOut(Operations operations) {
      return operations.bulkDoorways(this);
    }
  }

  /** DPUs, {@code {id, name?}} each. */
  record BulkDpus(List<Item<Named>> items) implements RegistryRequest {
    public BulkDpus {
      items = List.copyOf(items);
    }

    public static BulkDpus of(List<Object> items) {
      Set<String> seen = new HashSet<>();
      return new BulkDpus(Item.all(items, body -> Named.of(Item.named(body, seen), body)));
    }

    @Override
    public Future<JsonObject> carryOut(Operations operations) {
      return operations.bulkDpus(this);
    }
  }

  /** Links, each shaped as {@code POST /v1/links}'s body; a DPU and a space once per request. */
  record BulkLinks(List<Item<Link>> items) implements RegistryRequest {
    public BulkLinks {
      items = List.copyOf(items);
    }

    public static BulkLinks of(List<Object> items) {
      Set<String> pairs = new HashSet<>();
      return new BulkLinks(
          Item.all(
              items,
              body -> {
                BodyRules.check("LinkBody", body);
                Link link = Link.of(body);
                if (!pairs.add(link.dpu() + '\u0000' + link.space())) {
                  throw new InvalidInput(
                      "space_id",
                      "DPU "
                          + link.dpu()
                          + " and space "
                          + link.space()
                          + " appear twice in this request");
                }
                return link;
              }));
    }

    @Override
    public Future<JsonObject> carryOut(Operations operations) {
      return operations.bulkLinks(this);
    }
  }
}
