package io.density.support;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;

import io.vertx.core.json.JsonObject;

/** Comparing a time bucket of the API with the contract's. */
public final class BucketAssertions {
  private BucketAssertions() {}

  /** The bucket's count, entries, exits, min and max equal the expected ones, in that order. */
  public static void assertBucket(int[] expected, JsonObject bucket, String what) {
    assertArrayEquals(
        expected,
        new int[] {
          bucket.getInteger("count"),
          bucket.getInteger("entries"),
          bucket.getInteger("exits"),
          bucket.getInteger("min"),
          bucket.getInteger("max")
        },
        what + " [count, entries, exits, min, max]");
  }
}
