package io.density.support;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.density.egress.TopicIds;
import io.nats.client.Connection;
import io.nats.client.JetStreamApiException;
import io.nats.client.JetStreamManagement;
import io.nats.client.Nats;
import io.nats.client.api.MessageInfo;
import io.vertx.core.json.JsonObject;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.function.ToLongFunction;

/**
 * A JetStream stream of the shared NATS (127.0.0.1:4222) that egress publishes to, of a test's own
 * name and subject prefix, read back with JetStream's API and deleted at the end.
 */
public final class NatsStreamCheck implements AutoCloseable {
  public static final String NATS = "nats://127.0.0.1:4222";

  public final String stream;
  public final String prefix;
  private final Connection admin;
  private final JetStreamManagement jsm;

  public NatsStreamCheck() throws Exception {
    String run = UUID.randomUUID().toString().replace("-", "").substring(0, 12);
    stream = "TEST_" + run;
    prefix = "t" + run + ".density";
    admin = Nats.connect(NATS);
    jsm = admin.jetStreamManagement();
  }

  /** The {@code egress.nats} section that publishes to this stream through {@code url}. */
  public JsonObject config(String url) {
    return new JsonObject().put("url", url).put("stream", stream).put("subjectPrefix", prefix);
  }

  /** A received message: its subject, body and message id. */
  public record Received(String subject, JsonObject body, String msgId) {}

  /** Every message of the stream, in stream order (none when the stream is not there yet). */
  public List<Received> messages() {
    List<Received> all = new ArrayList<>();
    try {
      long last = jsm.getStreamInfo(stream).getStreamState().getLastSequence();
      for (long seq = 1; seq <= last; seq++) {
        MessageInfo m = jsm.getMessage(stream, seq);
        all.add(
            new Received(
                m.getSubject(),
                new JsonObject(new String(m.getData(), StandardCharsets.UTF_8)),
                m.getHeaders().getFirst("Nats-Msg-Id")));
      }
    } catch (JetStreamApiException notThereYet) {
      return all;
    } catch (Exception e) {
      throw new AssertionError(e);
    }
    return all;
  }

  public String countSubject(String space) {
    return prefix + ".count." + TopicIds.encode(space);
  }

  /** The count messages of each space, in stream order. */
  public Map<String, List<JsonObject>> counts(List<String> spaces) {
    Map<String, List<JsonObject>> bySpace = new HashMap<>();
    spaces.forEach(s -> bySpace.put(s, new ArrayList<>()));
    for (Received r : messages()) {
      for (String space : spaces) {
        if (r.subject().equals(countSubject(space))) {
          bySpace.get(space).add(r.body());
        }
      }
    }
    return bySpace;
  }

  /** Whether the last count message of every space is its realtime count. */
  public boolean converged(Map<String, Integer> realtime) {
    Map<String, List<JsonObject>> counts = counts(List.copyOf(realtime.keySet()));
    for (var e : realtime.entrySet()) {
      List<JsonObject> of = counts.get(e.getKey());
      if (of.isEmpty() || of.get(of.size() - 1).getInteger("count").intValue() != e.getValue()) {
        return false;
      }
    }
    return true;
  }

  /**
   * The stream holds every change of every space once, in order: each space's counts and alerts
   * together have seq 1, 2, … up to the last seq the outbox gave the space ({@code lastSeq}),
   * without a gap or a repeat; each on its encoded subject with its message id, its body one of the
   * AsyncAPI document's; and the last count of each space is its realtime count.
   */
  public void assertEveryChangeOnceInOrder(
      Map<String, Integer> realtime, ToLongFunction<String> lastSeq) {
    List<Received> messages = messages();
    Map<String, Long> seqOf = new HashMap<>();
    Map<String, JsonObject> lastCount = new HashMap<>();
    for (Received r : messages) {
      String space = r.body().getString("space_id");
      boolean count = r.subject().startsWith(prefix + ".count.");
      boolean dpuAlert = r.subject().startsWith(prefix + ".alert.dpu.");
      if (dpuAlert || !realtime.containsKey(space)) {
        continue;
      }
      String kind = count ? "count" : "space_alert";
      String subject = prefix + (count ? ".count." : ".alert.") + TopicIds.encode(space);
      assertEquals(subject, r.subject(), "the space's encoded subject");
      long seq = r.body().getLong("seq");
      assertEquals(kind + ":" + TopicIds.encode(space) + ":" + seq, r.msgId(), "message id");
      EgressMessages.assertSchema(count ? "Count" : "SpaceAlert", r.body());
      long before = seqOf.getOrDefault(space, 0L);
      assertEquals(before + 1, seq, space + ": seq " + seq + " after " + before);
      seqOf.put(space, seq);
      if (count) {
        lastCount.put(space, r.body());
      }
    }
    for (var e : realtime.entrySet()) {
      String space = e.getKey();
      assertEquals(
          lastSeq.applyAsLong(space),
          seqOf.getOrDefault(space, 0L),
          space + ": every seq the outbox gave is in the stream");
      assertTrue(lastCount.containsKey(space), space + " has counts in the stream");
      assertEquals(
          e.getValue(),
          lastCount.get(space).getInteger("count"),
          space + ": the last count is the realtime count");
    }
  }

  @Override
  public void close() throws Exception {
    try {
      jsm.deleteStream(stream);
    } catch (JetStreamApiException none) {
      // the server never reached the shared NATS
    }
    admin.close();
  }
}
