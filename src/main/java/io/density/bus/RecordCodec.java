package io.density.bus;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.eventbus.MessageCodec;
import io.vertx.core.json.jackson.DatabindCodec;
import java.io.IOException;
import java.io.UncheckedIOException;

/**
 * The event-bus form of a typed request, a record: passed by reference on the node (a request
 * record holds only immutable values), and between nodes as its JSON (Jackson: the record's
 * components by name), read back into the same record type. One codec per record type, named after
 * the type, so the receiving node knows what to read.
 */
public final class RecordCodec<T extends Record> implements MessageCodec<T, T> {
  private static final ObjectMapper MAPPER = DatabindCodec.mapper();

  private final Class<T> type;

  RecordCodec(Class<T> type) {
    this.type = type;
  }

  /**
   * Makes a codec the default one for each record that the sealed request type permits (nested
   * sealed types included), on the node's event bus. Idempotent: the clients and the consumer of a
   * service each call it.
   */
  public static void register(Vertx vertx, Class<?> requests) {
    if (!requests.isSealed()) {
      throw new IllegalArgumentException(requests + " is not a sealed type of requests");
    }
    for (Class<?> permitted : requests.getPermittedSubclasses()) {
      if (permitted.isRecord()) {
        registerRecord(vertx, permitted.asSubclass(Record.class));
      } else {
        register(vertx, permitted);
      }
    }
  }

  /**
   * Makes a codec the default one for a record that a service answers with, on the node's event
   * bus. Idempotent: the service and its clients each call it.
   */
  public static void registerReply(Vertx vertx, Class<? extends Record> type) {
    registerRecord(vertx, type);
  }

  private static <R extends Record> void registerRecord(Vertx vertx, Class<R> type) {
    try {
      vertx.eventBus().registerDefaultCodec(type, new RecordCodec<>(type));
    } catch (IllegalStateException alreadyRegistered) {
      // another client or consumer on this Vertx registered it
    }
  }

  @Override
  public void encodeToWire(Buffer buffer, T request) {
    try {
      byte[] json = MAPPER.writeValueAsBytes(request);
      buffer.appendInt(json.length).appendBytes(json);
    } catch (JsonProcessingException e) {
      throw new IllegalStateException(type.getName() + " cannot be written as JSON", e);
    }
  }

  @Override
  public T decodeFromWire(int pos, Buffer buffer) {
    int length = buffer.getInt(pos);
    try {
      return MAPPER.readValue(buffer.getBytes(pos + 4, pos + 4 + length), type);
    } catch (IOException e) {
      throw new UncheckedIOException("a " + type.getName() + " could not be read", e);
    }
  }

  @Override
  public T transform(T request) {
    return request; // immutable: no copy on the same node
  }

  @Override
  public String name() {
    return type.getName();
  }

  @Override
  public byte systemCodecID() {
    return -1;
  }
}
