package io.density.ingest;

/**
 * One validated datapoint as it travels from the HTTP verticle to persistence.
 *
 * @param dpuId the sensor
 * @param tsMicros the sensor's timestamp, microseconds since the epoch (PostgreSQL's precision)
 * @param direction +1 or -1
 * @param dedupeKey what makes a repeat a repeat within the DPU: its own id, or timestamp and
 *     direction
 * @param receivedMicros when the server received it
 * @param payload the datapoint exactly as received
 */
public record Datapoint(
    String dpuId,
    long tsMicros,
    int direction,
    String dedupeKey,
    long receivedMicros,
    String payload) {

  public static String timestampKey(long tsMicros, int direction) {
    return tsMicros + ":" + direction;
  }

  public static String idKey(String id) {
    return "id:" + id;
  }
}
