package io.density.counter;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;

import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

@DisplayName("A DPU's totals as Redis holds them")
class DpuTotalsTest {

  @Test
  @DisplayName("read back as written, µs timestamps exact")
  void roundTrip() {
    DpuTotals totals = new DpuTotals(1_764_000_000_123_456L, 1_764_000_000_223_456L, 7, 5, 12);
    assertEquals("1764000000123456,1764000000223456,7,5,12", totals.encode());
    assertEquals(totals, DpuTotals.parse(totals.encode()));
  }

  @Test
  @DisplayName("a DPU that never reported has none; a value of another shape is refused by name")
  void absentOrMalformed() {
    assertNull(DpuTotals.parse(null));
    IllegalArgumentException e =
        assertThrows(IllegalArgumentException.class, () -> DpuTotals.parse("1,2,3"));
    assertEquals("not a DPU's totals: 1,2,3", e.getMessage());
  }
}
