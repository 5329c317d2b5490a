package org.cellspark.io.arrow;

import static org.assertj.core.api.Assertions.assertThat;

import org.apache.arrow.memory.ArrowBuf;
import org.apache.arrow.memory.RootAllocator;
import org.junit.jupiter.api.Test;

/**
 * When Arrow's allocator is refused (a real Java 25 without the option: app module's NewerJavaIT).
 */
class ArrowMemoryTest {
  @Test
  void aNettyWithoutUnsafeIsRefusedWithTheOptionThatTurnsItOn() {
    assertThat(ArrowMemory.problem(25, false))
        .hasValueSatisfying(
            m ->
                assertThat(m)
                    .startsWith("Arrow, which reads and writes Hugging Face datasets, cannot")
                    .contains("(Java 25)")
                    .contains("--sun-misc-unsafe-memory-access=allow")
                    .contains("spark.executor.extraJavaOptions"));
    assertThat(ArrowMemory.problem(25, true)).isEmpty();
  }

  @Test
  void theTestJvmsAllocatorStarts() {
    try (RootAllocator allocator = ArrowMemory.newAllocator();
        ArrowBuf buffer = allocator.buffer(64)) {
      assertThat(buffer.capacity()).isGreaterThanOrEqualTo(64);
    }
  }
}
