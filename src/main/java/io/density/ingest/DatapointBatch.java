package io.density.ingest;

import io.density.bus.Wire;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.eventbus.MessageCodec;
import java.util.ArrayList;
import java.util.List;

/**
 * Validated datapoints on their way from the HTTP verticle to persistence: the body of {@code
 * density.ingest}. On the same node the message is passed by reference (it is immutable); between
 * nodes it travels in a compact binary form, not as JSON.
 */
public record DatapointBatch(List<Datapoint> items) {
  public DatapointBatch {
    items = List.copyOf(items);
  }

  /** Makes the codec the default one for this type on the node's event bus (once per Vertx). */
  public static void registerCodec(Vertx vertx) {
    try {
      vertx.eventBus().registerDefaultCodec(DatapointBatch.class, new Codec());
    } catch (IllegalStateException alreadyRegistered) {
      // another deployment on this Vertx registered it
    }
  }

  /** Length-prefixed fields, datapoint after datapoint. */
  static final class Codec implements MessageCodec<DatapointBatch, DatapointBatch> {
    @Override
    public void encodeToWire(Buffer buffer, DatapointBatch batch) {
      buffer.appendInt(batch.items.size());
      for (Datapoint d : batch.items) {
        Wire.writeString(buffer, d.dpuId());
        buffer.appendLong(d.tsMicros()).appendByte((byte) d.direction());
        Wire.writeString(buffer, d.dedupeKey());
        buffer.appendLong(d.receivedMicros());
        Wire.writeString(buffer, d.payload());
      }
    }

    @Override
    public DatapointBatch decodeFromWire(int pos, Buffer buffer) {
      int[] at = {pos};
      int n = buffer.getInt(at[0]);
      at[0] += 4;
      List<Datapoint> items = new ArrayList<>(n);
      for (int i = 0; i < n; i++) {
        String dpu = Wire.readString(buffer, at);
        long ts = buffer.getLong(at[0]);
        int direction = buffer.getByte(at[0] + 8);
        at[0] += 9;
        String key = Wire.readString(buffer, at);
        long received = buffer.getLong(at[0]);
        at[0] += 8;
        items.add(new Datapoint(dpu, ts, direction, key, received, Wire.readString(buffer, at)));
      }
      return new DatapointBatch(items);
    }

    @Override
    public DatapointBatch transform(DatapointBatch batch) {
      return batch; // immutable: no copy on the same node
    }

    @Override
    public String name() {
      return "density.datapoint-batch";
    }

    @Override
    public byte systemCodecID() {
      return -1;
    }
  }
}
