package io.density.persistence.counting;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.vertx.core.Future;
import io.vertx.core.Promise;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

/**
 * A shard's lane: the next part is applied while the one before is stored, the stores still go one
 * after another, and any other work waits for every store.
 */
@DisplayName("A counting lane: parts applied while earlier parts are stored, stores in order")
class LaneTest {

  @Test
  @DisplayName("the next turn starts once the previous one is over, before its store has ended")
  void nextTurnOverlapsStore() {
    Lane lane = new Lane();
    Promise<Void> firstStore = Promise.promise();
    List<String> seen = new ArrayList<>();
    lane.runStoring(
        firstStore.future(),
        before -> {
          seen.add("first applied");
          return Future.succeededFuture();
        });
    Promise<Void> secondStore = Promise.promise();
    List<Future<Void>> secondBefore = new ArrayList<>();
    lane.runStoring(
        secondStore.future(),
        before -> {
          seen.add("second applied");
          secondBefore.add(before);
          return Future.succeededFuture();
        });

    assertEquals(List.of("first applied", "second applied"), seen);
    assertFalse(secondBefore.get(0).isComplete(), "the second store must wait for the first");
    firstStore.complete();
    assertTrue(secondBefore.get(0).succeeded(), "the first store ended: the second may begin");
  }

  @Test
  @DisplayName("a failed store lets the next one begin: it does not hold the lane for good")
  void failedStoreEndsToo() {
    Lane lane = new Lane();
    Promise<Void> firstStore = Promise.promise();
    lane.runStoring(firstStore.future(), before -> Future.succeededFuture());
    List<Future<Void>> secondBefore = new ArrayList<>();
    lane.runStoring(
        Future.succeededFuture(),
        before -> {
          secondBefore.add(before);
          return Future.succeededFuture();
        });

    firstStore.fail("PostgreSQL went away");
    assertTrue(secondBefore.get(0).succeeded());
  }

  @Test
  @DisplayName("other work in the lane (an idle reset, a hand-over) waits for every store")
  void otherWorkWaitsForStores() {
    Lane lane = new Lane();
    Promise<Void> store = Promise.promise();
    lane.runStoring(store.future(), before -> Future.succeededFuture());
    List<String> ran = new ArrayList<>();
    Future<String> work =
        lane.run(
            () -> {
              ran.add("idle reset");
              return Future.succeededFuture("written");
            });
    Future<Void> idle = lane.idle();

    assertTrue(ran.isEmpty(), "work ran while a part's store was still going");
    assertFalse(idle.isComplete());
    store.complete();
    assertEquals("written", work.result());
    assertTrue(idle.succeeded());
  }

  @Test
  @DisplayName("a turn that is not over holds the lane, even with no store")
  void turnHoldsLane() {
    Lane lane = new Lane();
    Promise<Void> applying = Promise.promise();
    lane.runStoring(Future.succeededFuture(), before -> applying.future());
    List<String> ran = new ArrayList<>();
    lane.runStoring(
        Future.succeededFuture(),
        before -> {
          ran.add("second");
          return Future.succeededFuture();
        });

    assertTrue(ran.isEmpty());
    applying.complete();
    assertEquals(List.of("second"), ran);
  }
}
