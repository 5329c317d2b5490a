package org.cellspark.infer;

import ai.djl.Device;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Semaphore;

/**
 * Turns on a device shared by more tasks than should run the model on it at once. On a cluster
 * Spark bounds the tasks per GPU ({@code spark.task.resource.gpu.amount}); embedded Spark cannot
 * (its local scheduler offers tasks no GPUs), and runs a task per core, every one of them on the
 * machine's GPU: sixteen batches of V2-316M activations at once would not fit most GPUs, and the
 * GPU runs them one after another anyway. Where a limit is set, each batch (forward pass and what
 * is done with its hidden states on the device) takes a turn; the rest of a task's work (reading,
 * writing) goes on meanwhile. Without a limit, as on clusters, taking a turn does nothing. A turn
 * is not reentrant: what runs inside one must not take another on the same device.
 */
public final class DeviceTurns {
  private static final Map<String, Semaphore> LIMITS = new ConcurrentHashMap<>();

  private DeviceTurns() {}

  /**
   * At most {@code turns} batches at a time on {@code device} in this JVM (the first limit set
   * stays).
   */
  public static void limit(Device device, int turns) {
    LIMITS.computeIfAbsent(device.toString(), d -> new Semaphore(Math.max(1, turns), true));
  }

  /** A turn on {@code device}, held until closed; immediate where the device has no limit. */
  static Turn take(Device device) {
    Semaphore limit = LIMITS.get(device.toString());
    if (limit == null) {
      return () -> {};
    }
    limit.acquireUninterruptibly();
    return limit::release;
  }

  /** Clears every limit (tests). */
  static void clear() {
    LIMITS.clear();
  }

  /** A held turn. */
  @FunctionalInterface
  interface Turn extends AutoCloseable {
    @Override
    void close();
  }
}
