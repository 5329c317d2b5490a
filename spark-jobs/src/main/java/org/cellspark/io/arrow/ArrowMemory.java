package org.cellspark.io.arrow;

import java.util.Locale;
import java.util.Optional;
import org.apache.arrow.memory.RootAllocator;
import org.cellspark.error.UserException;

/**
 * Arrow's memory, for reading and writing Hugging Face datasets. Arrow takes its buffers from
 * Netty, and they need Netty's use of {@code sun.misc.Unsafe}, which Netty leaves off from Java 24
 * on unless the JVM allows it ({@code --sun-misc-unsafe-memory-access=allow}, which Spark 4.2's
 * spark-submit and pyspark add). Without it Arrow's allocator fails as it starts, an {@code
 * ExceptionInInitializerError} in the task and "Could not initialize class RootAllocator" in every
 * later one; so it is refused first, with the option to add.
 */
final class ArrowMemory {
  private ArrowMemory() {}

  /** A new root allocator (its owner closes it), or a refusal with the way out. */
  static RootAllocator newAllocator() {
    problem(Runtime.version().feature(), io.netty.util.internal.PlatformDependent.hasUnsafe())
        .ifPresent(
            message -> {
              throw new UserException(message);
            });
    return new RootAllocator();
  }

  /** What keeps Arrow's allocator from starting on Java {@code feature}, if anything. */
  static Optional<String> problem(int feature, boolean nettyUsesUnsafe) {
    if (nettyUsesUnsafe) {
      return Optional.empty();
    }
    return Optional.of(
        String.format(
            Locale.ROOT,
            "Arrow, which reads and writes Hugging Face datasets, cannot allocate memory in this"
                + " JVM (Java %d): its buffers need Netty's use of sun.misc.Unsafe, which Netty"
                + " leaves off from Java 24 on. Start the JVMs with"
                + " --sun-misc-unsafe-memory-access=allow (Spark 4.2's spark-submit and pyspark"
                + " add it; a JVM started otherwise needs it on its java command line, and"
                + " executors in spark.executor.extraJavaOptions), or run on Java 17 or 21.",
            feature));
  }
}
