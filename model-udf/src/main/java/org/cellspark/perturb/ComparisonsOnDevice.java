package org.cellspark.perturb;

import ai.djl.Device;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDArrays;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.NDScope;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.ndarray.types.Shape;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;
import org.cellspark.error.Bug;
import org.cellspark.infer.Pooling;

/**
 * {@link ShiftMetrics}' comparisons made where the hidden states are, for one window of a screen:
 * the originals' hidden states stay on the device (one bank of rows), and each batch of perturbed
 * copies is reduced there to what the results need: one cosine per aligned gene pair (and the
 * {@code <cls>} pair), and, when states are modelled, each cell's pooled vector. Only those cross
 * to the host (a few KB per copy instead of its length x hidden token vectors, which on a GPU cost
 * as much as a good part of the forward pass); {@link ShiftMetrics#result} turns them into the same
 * results the host comparison gives. Cosines are PyTorch's ({@code dot / max(|a||b|, 1e-8)}),
 * computed in fp32. Not thread-safe: one per task.
 */
public final class ComparisonsOnDevice implements AutoCloseable {
  private final ShiftMetrics metrics;
  private final int hidden;
  private final NDManager manager;
  private final List<NDArray> originals = new ArrayList<>();

  /** Each original's first row in the bank. */
  private final Map<int[], Integer> firstRow = new IdentityHashMap<>();

  /** Each original's pooled vector, when states are modelled. */
  private final Map<int[], float[]> pooled = new IdentityHashMap<>();

  private int rows;
  private NDArray bank;

  public ComparisonsOnDevice(ShiftMetrics metrics, int hidden, Device device) {
    this.metrics = metrics;
    this.hidden = hidden;
    this.manager = NDManager.newBaseManager(device, "PyTorch");
  }

  /**
   * Keeps a batch of originals' hidden states on the device for the copies to come.
   *
   * @param tokens every original, by the batch's cell positions
   * @param cells the batch's cells (positions in {@code tokens})
   * @param states the batch's hidden states {@code (cells, width, hidden)}, fp32
   */
  public void keep(List<int[]> tokens, int[] cells, NDArray states) {
    if (bank != null) {
      throw new Bug("originals come before the copies they are compared with");
    }
    float[][] cellVectors = metrics.needsCellVectors() ? cellVectors(tokens, cells, states) : null;
    for (int b = 0; b < cells.length; b++) {
      int[] original = tokens.get(cells[b]);
      NDArray own = states.get(new NDIndex("{}, :{}", b, original.length));
      NDArray kept = own.duplicate(); // its own storage: the batch's goes when its scope ends
      NDScope.unregister(kept);
      kept.attach(manager);
      originals.add(kept);
      firstRow.put(original, rows);
      rows += original.length;
      if (cellVectors != null) {
        pooled.put(original, cellVectors[b]);
      }
    }
  }

  /**
   * Compares a batch of perturbed copies with their originals (kept before).
   *
   * @param perturbations every copy, by the batch's cell positions
   * @param cells the batch's cells (positions in {@code perturbations})
   * @param states the copies' hidden states {@code (cells, width, hidden)}, fp32
   * @return each copy's results, in the batch's order
   */
  public ShiftMetrics.Result[] compare(
      List<Perturbation> perturbations, int[] cells, NDArray states, boolean withGenes) {
    NDArray originalRows = bank();
    long width = states.getShape().get(1);
    boolean cls = metrics.pooling() == Pooling.CLS;
    int pairs = 0;
    for (int c : cells) {
      pairs += perturbations.get(c).originalIndex().length + (cls ? 1 : 0);
    }
    long[] copyRow = new long[pairs];
    long[] originalRow = new long[pairs];
    int k = 0;
    for (int b = 0; b < cells.length; b++) {
      Perturbation q = perturbations.get(cells[b]);
      int base = firstRow.get(q.original());
      int[] oi = q.originalIndex();
      int[] pi = q.perturbedIndex();
      for (int j = 0; j < oi.length; j++) {
        copyRow[k] = b * width + pi[j];
        originalRow[k++] = base + oi[j];
      }
      if (cls) {
        copyRow[k] = b * width;
        originalRow[k++] = base;
      }
    }
    NDManager m = states.getManager();
    NDArray a = states.reshape(cells.length * width, hidden).get(m.create(copyRow));
    NDArray o = originalRows.get(m.create(originalRow));
    float[] cos =
        a.mul(o)
            .sum(new int[] {1})
            .div(a.mul(a).sum(new int[] {1}).mul(o.mul(o).sum(new int[] {1})).sqrt().maximum(1e-8f))
            .toFloatArray();
    List<int[]> copies = new ArrayList<>();
    for (int c : cells) {
      copies.add(perturbations.get(c).perturbed());
    }
    float[][] copyVectors = metrics.needsCellVectors() ? cellVectors(copies, null, states) : null;
    ShiftMetrics.Result[] out = new ShiftMetrics.Result[cells.length];
    k = 0;
    for (int b = 0; b < cells.length; b++) {
      Perturbation q = perturbations.get(cells[b]);
      double[] geneCos = new double[q.originalIndex().length];
      for (int j = 0; j < geneCos.length; j++) {
        geneCos[j] = cos[k++];
      }
      double clsCos = cls ? cos[k++] : Double.NaN;
      out[b] =
          metrics.result(
              q,
              geneCos,
              clsCos,
              copyVectors == null ? null : copyVectors[b],
              copyVectors == null ? null : pooled.get(q.original()),
              withGenes);
    }
    return out;
  }

  /** The originals' rows as one array, made once the originals are all in. */
  private NDArray bank() {
    if (bank == null) {
      bank = originals.size() == 1 ? originals.get(0) : NDArrays.concat(new NDList(originals));
      NDScope.unregister(bank);
      bank.attach(manager);
    }
    return bank;
  }

  /**
   * Each batch row's cell vector as the state embeddings were made: the mean of its gene rows
   * (specials left out), or its {@code <cls>} row. {@code cells} maps batch rows to {@code tokens}
   * (null: row b is tokens.get(b)).
   */
  private float[][] cellVectors(List<int[]> tokens, int[] cells, NDArray states) {
    int batch = (int) states.getShape().get(0);
    int width = (int) states.getShape().get(1);
    float[] weights = new float[batch * width];
    for (int b = 0; b < batch; b++) {
      int[] t = tokens.get(cells == null ? b : cells[b]);
      int[] rows = metrics.pooling() == Pooling.CLS ? new int[] {0, 1} : metrics.geneRows(t);
      for (int j = rows[0]; j < rows[1]; j++) {
        weights[b * width + j] = 1f / Math.max(1, rows[1] - rows[0]);
      }
    }
    float[] flat =
        states
            .mul(states.getManager().create(weights, new Shape(batch, width, 1)))
            .sum(new int[] {1})
            .toFloatArray();
    float[][] out = new float[batch][];
    for (int b = 0; b < batch; b++) {
      out[b] = Arrays.copyOfRange(flat, b * hidden, (b + 1) * hidden);
    }
    return out;
  }

  @Override
  public void close() {
    manager.close();
  }
}
