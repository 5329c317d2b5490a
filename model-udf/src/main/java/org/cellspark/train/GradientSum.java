package org.cellspark.train;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import java.nio.FloatBuffer;
import java.util.ArrayList;
import java.util.List;
import org.cellspark.collective.Collective;
import org.cellspark.model.TrainableBert;

/**
 * The trained weights' gradients summed over the workers of a data-parallel training, in place:
 * copied to the host a bucket of weights at a time (at most {@link #BUCKET} values, or one weight
 * if larger), summed with the other workers, copied back. A step's gradients are computed before
 * its sum and the update follows it, so a bucket's transfer does not overlap the backward pass (the
 * overlap PyTorch's DistributedDataParallel has); {@code --accumulate} spreads one sum over more
 * batches.
 */
final class GradientSum {
  /** Values summed at a time: 64 MB of the heap, whatever the model's size. */
  static final int BUCKET = 16 << 20;

  private final List<TrainableBert.NamedWeight> trained;
  private final Collective workers;
  private final float[] bucket;
  private long nanos;

  /** Every weight of {@code trained} must have a gradient (see {@link FineTuner}). */
  GradientSum(List<TrainableBert.NamedWeight> trained, Collective workers) {
    this.trained = trained;
    this.workers = workers;
    long largest = 0;
    for (TrainableBert.NamedWeight w : trained) {
      largest = Math.max(largest, w.value().size());
    }
    this.bucket = new float[(int) Math.max(Math.min(BUCKET, total(trained)), largest)];
  }

  private static long total(List<TrainableBert.NamedWeight> weights) {
    long n = 0;
    for (TrainableBert.NamedWeight w : weights) {
      n += w.value().size();
    }
    return n;
  }

  /**
   * Seconds spent summing so far: the copies to and from the device, the transfers, and the wait
   * for the other workers to finish their batches.
   */
  double seconds() {
    return nanos / 1e9;
  }

  /** Every trained weight's gradient replaced by its sum over the workers. */
  void sum(NDManager m) {
    long start = System.nanoTime();
    try {
      sumAll(m);
    } finally {
      nanos += System.nanoTime() - start;
    }
  }

  private void sumAll(NDManager m) {
    List<NDArray> held = new ArrayList<>();
    int filled = 0;
    for (TrainableBert.NamedWeight w : trained) {
      NDArray g = w.value().getGradient();
      int n = (int) g.size();
      if (filled + n > bucket.length) {
        exchange(held, filled, m);
        filled = 0;
      }
      if (g.getDataType() != DataType.FLOAT32) { // the weights train in fp32, bf16 or not
        throw new IllegalStateException(w.name() + "'s gradient is " + g.getDataType());
      }
      g.toByteBuffer().asFloatBuffer().get(bucket, filled, n); // no array of its own a step
      held.add(g);
      filled += n;
    }
    exchange(held, filled, m);
  }

  /** Sums the bucket's first {@code filled} values, and copies them back into these gradients. */
  private void exchange(List<NDArray> gradients, int filled, NDManager m) {
    if (gradients.isEmpty()) {
      return;
    }
    workers.sum(bucket, 0, filled);
    int at = 0;
    for (NDArray g : gradients) {
      int n = (int) g.size();
      try (NDArray summed = m.create(FloatBuffer.wrap(bucket, at, n), g.getShape())) {
        TrainingState.assign(g, summed);
      }
      at += n;
      g.close(); // the handle only: the weight keeps its gradient
    }
    gradients.clear();
  }
}
