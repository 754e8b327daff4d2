package io.density.persistence.counting;

import io.density.bus.Wire;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.eventbus.MessageCodec;
import java.util.ArrayList;
import java.util.List;

/**
 * A {@link CountingBatch.Part} on its way to the owner of its shard: by reference on the same node
 * (parts are not changed once made), in a compact binary form between nodes.
 */
public final class PartCodec implements MessageCodec<CountingBatch.Part, CountingBatch.Part> {

  /** Makes this the default codec for parts on the node's event bus (once per Vertx). */
  public static void register(Vertx vertx) {
    try {
      vertx.eventBus().registerDefaultCodec(CountingBatch.Part.class, new PartCodec());
    } catch (IllegalStateException alreadyRegistered) {
      // another deployment on this Vertx registered it
    }
  }

  @Override
  public void encodeToWire(Buffer buffer, CountingBatch.Part part) {
    buffer.appendLong(part.batchId()).appendInt(part.shard());
    buffer.appendInt(part.batchShards().size());
    part.batchShards().forEach(buffer::appendInt);
    buffer.appendInt(part.datapoints().size());
    for (CountingBatch.Seen d : part.datapoints()) {
      Wire.writeString(buffer, d.dpuId());
      buffer.appendLong(d.ts()).appendByte((byte) d.direction()).appendLong(d.receivedMicros());
    }
    buffer.appendInt(part.effects().size());
    for (CountingBatch.Effect e : part.effects()) {
      Wire.writeString(buffer, e.spaceId());
      buffer.appendLong(e.ts()).appendByte((byte) e.delta()).appendLong(e.datapointId());
      buffer.appendByte((byte) (e.clamp() ? 1 : 0));
    }
  }

  @Override
  public CountingBatch.Part decodeFromWire(int pos, Buffer buffer) {
    int[] at = {pos};
    long batchId = buffer.getLong(at[0]);
    int shard = buffer.getInt(at[0] + 8);
    int k = buffer.getInt(at[0] + 12);
    at[0] += 16;
    List<Integer> batchShards = new ArrayList<>(k);
    for (int i = 0; i < k; i++) {
      batchShards.add(buffer.getInt(at[0]));
      at[0] += 4;
    }
    int n = buffer.getInt(at[0]);
    at[0] += 4;
    List<CountingBatch.Seen> datapoints = new ArrayList<>(n);
    for (int i = 0; i < n; i++) {
      String dpu = Wire.readString(buffer, at);
      datapoints.add(
          new CountingBatch.Seen(
              dpu, buffer.getLong(at[0]), buffer.getByte(at[0] + 8), buffer.getLong(at[0] + 9)));
      at[0] += 17;
    }
    int m = buffer.getInt(at[0]);
    at[0] += 4;
    List<CountingBatch.Effect> effects = new ArrayList<>(m);
    for (int i = 0; i < m; i++) {
      String space = Wire.readString(buffer, at);
      effects.add(
          new CountingBatch.Effect(
              space,
              buffer.getLong(at[0]),
              buffer.getByte(at[0] + 8),
              buffer.getLong(at[0] + 9),
              buffer.getByte(at[0] + 17) == 1));
      at[0] += 18;
    }
    return new CountingBatch.Part(batchId, shard, datapoints, effects, List.copyOf(batchShards));
  }

  @Override
  public CountingBatch.Part transform(CountingBatch.Part part) {
    return part;
  }

  @Override
  public String name() {
    return "density.counting-part";
  }

  @Override
  public byte systemCodecID() {
    return -1;
  }
}
