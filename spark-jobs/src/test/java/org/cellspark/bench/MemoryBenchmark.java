package org.cellspark.bench;

import com.sun.management.GarbageCollectionNotificationInfo;
import java.io.IOException;
import java.lang.management.GarbageCollectorMXBean;
import java.lang.management.ManagementFactory;
import java.lang.management.MemoryPoolMXBean;
import java.lang.management.MemoryType;
import java.lang.management.MemoryUsage;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Locale;
import java.util.Set;
import java.util.concurrent.atomic.AtomicLong;
import java.util.stream.Collectors;
import javax.management.NotificationEmitter;
import javax.management.openmbean.CompositeData;
import org.cellspark.cli.Main;

/**
 * One command line run in this JVM (as {@code bin/cellspark} runs it), with its memory measured:
 * peak resident set (the kernel's VmHWM: heap, libtorch, buffers, everything), peak heap in use
 * (the heap pools' peaks, garbage included) and peak heap after a collection (what was still
 * reachable: the figure that must not grow with the cells per partition). bench/memory/run.sh runs
 * it once per configuration, each in a JVM of its own, and compares them.
 *
 * <pre>MemoryBenchmark LABEL cellspark-args...</pre>
 *
 * prints one {@code RESULT} line.
 */
public final class MemoryBenchmark {
  private MemoryBenchmark() {}

  public static void main(String[] args) throws Exception {
    String label = args[0];
    String[] command = Arrays.copyOfRange(args, 1, args.length);
    AtomicLong afterGc = watchHeapAfterCollections();
    long start = System.nanoTime();
    int code = Main.execute(command);
    double seconds = (System.nanoTime() - start) / 1e9;
    if (code != 0) {
      System.out.println("RESULT " + label + " failed with exit code " + code);
      System.exit(code);
    }
    System.out.printf(
        Locale.ROOT,
        "RESULT %s seconds=%.1f rss_mb=%d heap_peak_mb=%d heap_after_gc_mb=%d max_heap_mb=%d%n",
        label,
        seconds,
        peakRssKb() >> 10,
        peakHeap() >> 20,
        afterGc.get() >> 20,
        Runtime.getRuntime().maxMemory() >> 20);
    System.exit(0); // Spark's and DJL's non-daemon threads
  }

  /** The largest heap occupancy right after any collection, kept up to date by GC notifications. */
  private static AtomicLong watchHeapAfterCollections() {
    Set<String> heapPools =
        ManagementFactory.getMemoryPoolMXBeans().stream()
            .filter(p -> p.getType() == MemoryType.HEAP)
            .map(MemoryPoolMXBean::getName)
            .collect(Collectors.toSet());
    AtomicLong max = new AtomicLong();
    for (GarbageCollectorMXBean gc : ManagementFactory.getGarbageCollectorMXBeans()) {
      ((NotificationEmitter) gc)
          .addNotificationListener(
              (n, handback) -> {
                if (GarbageCollectionNotificationInfo.GARBAGE_COLLECTION_NOTIFICATION.equals(
                    n.getType())) {
                  GarbageCollectionNotificationInfo info =
                      GarbageCollectionNotificationInfo.from((CompositeData) n.getUserData());
                  long used =
                      info.getGcInfo().getMemoryUsageAfterGc().entrySet().stream()
                          .filter(e -> heapPools.contains(e.getKey()))
                          .mapToLong(e -> e.getValue().getUsed())
                          .sum();
                  max.accumulateAndGet(used, Math::max);
                }
              },
              null,
              null);
    }
    return max;
  }

  private static long peakHeap() {
    return ManagementFactory.getMemoryPoolMXBeans().stream()
        .filter(p -> p.getType() == MemoryType.HEAP)
        .map(MemoryPoolMXBean::getPeakUsage)
        .mapToLong(MemoryUsage::getUsed)
        .sum();
  }

  private static long peakRssKb() throws IOException {
    return Files.readAllLines(Path.of("/proc/self/status")).stream()
        .filter(l -> l.startsWith("VmHWM:"))
        .mapToLong(l -> Long.parseLong(l.replaceAll("[^0-9]", "")))
        .findFirst()
        .orElse(-1);
  }
}
