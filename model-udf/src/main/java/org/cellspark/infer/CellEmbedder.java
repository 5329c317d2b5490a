package org.cellspark.infer;

import ai.djl.Device;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.NDScope;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.function.ObjIntConsumer;
import org.cellspark.model.BertConfig;
import org.cellspark.model.Encoder;

/**
 * Embeds lists of tokenized cells with a shared {@link Encoder}: length-grouped batches under a
 * token budget, padded to each batch's longest cell, pooled on the device, results back in input
 * order. One per thread (it owns an NDManager for inputs); the encoder is shared.
 */
public final class CellEmbedder implements AutoCloseable {
  private final Encoder encoder;
  private final BertConfig config;
  private final EmbeddingSettings settings;
  private final NDManager manager;
  private final int hiddenIndex;
  private final boolean groupByLength;
  private final long batchTokens;
  private long tokens;
  private long paddedTokens;

  public CellEmbedder(Encoder encoder, Device device, EmbeddingSettings settings) {
    this(encoder, device, settings, true);
  }

  /**
   * @param groupByLength false batches cells in arrival order (for comparison in benchmarks only:
   *     it pads more)
   */
  public CellEmbedder(
      Encoder encoder, Device device, EmbeddingSettings settings, boolean groupByLength) {
    this.groupByLength = groupByLength;
    this.encoder = encoder;
    this.config = encoder.config();
    this.settings = settings;
    this.manager = NDManager.newBaseManager(device, "PyTorch");
    this.hiddenIndex = settings.hiddenStateIndex(config.numLayers());
    this.batchTokens =
        BatchBudget.resolve(settings.batchTokens(), device, encoder.fusedAttention());
  }

  public EmbeddingSettings settings() {
    return settings;
  }

  /** Padded tokens per batch: the settings', or the device's budget when they say auto. */
  public long batchTokens() {
    return batchTokens;
  }

  /** The device the embedder's inputs (and the hidden states it hands over) are on. */
  public Device device() {
    return manager.getDevice();
  }

  /** Hidden size: the length of every embedding. */
  public int dimension() {
    return config.hiddenSize();
  }

  /**
   * The pooled embedding of each cell, in input order; null for a cell without genes.
   *
   * @throws InvalidCellException naming the position of a cell the model cannot take
   */
  public float[][] embed(List<int[]> cells) {
    float[][] out = new float[cells.size()][];
    run(cells, (batch, hidden) -> pool(cells, batch, hidden, out));
    return out;
  }

  /**
   * Every token's vector of each cell ({@code length x hidden}, row-major), in input order; null
   * for an empty cell.
   */
  public float[][] tokenVectors(List<int[]> cells) {
    float[][] out = new float[cells.size()][];
    forEachTokenVectors(cells, (vectors, cell) -> out[cell] = vectors);
    return out;
  }

  /**
   * Streams every cell's token vectors ({@code length x hidden}, row-major) to {@code consumer} as
   * its batch completes, in batch order, so only one batch's vectors are held at a time. Empty
   * cells are skipped.
   */
  public void forEachTokenVectors(List<int[]> cells, ObjIntConsumer<float[]> consumer) {
    int h = config.hiddenSize();
    run(
        cells,
        (batch, hidden) -> {
          float[] all = hidden.toFloatArray();
          for (int b = 0; b < batch.cells().length; b++) {
            int cell = batch.cells()[b];
            int offset = b * batch.paddedLength() * h;
            consumer.accept(
                Arrays.copyOfRange(all, offset, offset + cells.get(cell).length * h), cell);
          }
        });
  }

  /**
   * What {@link #forEachBatch} hands over: a batch's cells and their hidden states, on the device.
   */
  @FunctionalInterface
  public interface HiddenBatch {
    /**
     * @param cells the batch's cells, as positions in the list given
     * @param hidden fp32 {@code (cells, width, hidden)}, right-padded to {@code width}; valid only
     *     during the call (it lives in the batch's NDScope)
     */
    void accept(int[] cells, NDArray hidden);
  }

  /**
   * Runs the cells in length-grouped batches and hands each batch's hidden states (the chosen
   * layer) to {@code consumer} where they are, on the device, so that a caller can reduce them
   * there and copy out only what it needs.
   */
  public void forEachBatch(List<int[]> cells, HiddenBatch consumer) {
    run(cells, (batch, hidden) -> consumer.accept(batch.cells(), hidden));
  }

  /** Pad tokens / tokens processed so far. */
  public double paddingFraction() {
    return paddedTokens == 0 ? 0 : (double) (paddedTokens - tokens) / paddedTokens;
  }

  private interface BatchConsumer {
    void accept(LengthBatcher.Batch batch, NDArray hidden);
  }

  private void run(List<int[]> cells, BatchConsumer consumer) {
    int[] lengths = new int[cells.size()];
    for (int i = 0; i < lengths.length; i++) {
      int[] c = cells.get(i);
      check(i, c);
      lengths[i] = c.length;
    }
    List<LengthBatcher.Batch> batches =
        groupByLength
            ? LengthBatcher.byLength(lengths, batchTokens)
            : LengthBatcher.inArrivalOrder(lengths, batchTokens);
    for (LengthBatcher.Batch batch : batches) {
      int rows = batch.cells().length;
      int width = batch.paddedLength();
      long[] ids = new long[rows * width];
      float[] mask = new float[rows * width];
      Arrays.fill(ids, settings.padId());
      for (int b = 0; b < rows; b++) {
        int[] c = cells.get(batch.cells()[b]);
        for (int j = 0; j < c.length; j++) {
          ids[b * width + j] = c[j];
          mask[b * width + j] = 1;
        }
        tokens += c.length;
      }
      paddedTokens += (long) rows * width;
      // The device's turn covers the batch's arrays from creation to release (the scope's end).
      DeviceTurns.Turn turn = DeviceTurns.take(manager.getDevice());
      try (NDScope scope = new NDScope()) {
        scope.suppressNotUsedWarning();
        NDArray hidden =
            encoder.hiddenState(
                manager.create(ids, new Shape(rows, width)),
                manager.create(mask, new Shape(rows, width)),
                hiddenIndex);
        // Pooling and results in fp32 whatever the model computes in.
        consumer.accept(batch, hidden.toType(DataType.FLOAT32, false));
      } finally {
        turn.close();
      }
    }
  }

  private void pool(List<int[]> cells, LengthBatcher.Batch batch, NDArray hidden, float[][] out) {
    int rows = batch.cells().length;
    int width = batch.paddedLength();
    int h = config.hiddenSize();
    NDArray pooled;
    if (settings.pooling().firstPosition()) {
      pooled = hidden.get(new NDIndex(":, 0, :"));
    } else {
      // Mean over each cell's gene positions as a weighted sum: weights 1/n on genes, 0 elsewhere.
      float[] weights = new float[rows * width];
      for (int b = 0; b < rows; b++) {
        int[] c = cells.get(batch.cells()[b]);
        int from = Pooling.firstGene(c, settings.clsId());
        int to = Pooling.endOfGenes(c, settings.eosId());
        for (int j = from; j < to; j++) {
          weights[b * width + j] = 1f / (to - from);
        }
      }
      pooled = hidden.mul(manager.create(weights, new Shape(rows, width, 1))).sum(new int[] {1});
    }
    float[] flat = pooled.toFloatArray();
    for (int b = 0; b < rows; b++) {
      int cell = batch.cells()[b];
      int[] c = cells.get(cell);
      boolean noGenes =
          settings.pooling() == Pooling.MEAN
              && Pooling.endOfGenes(c, settings.eosId()) <= Pooling.firstGene(c, settings.clsId());
      out[cell] = noGenes ? null : Arrays.copyOfRange(flat, b * h, (b + 1) * h);
    }
  }

  private void check(int position, int[] cell) {
    if (cell.length > config.maxPositions()) {
      throw new InvalidCellException(
          position,
          String.format(
              Locale.ROOT,
              "the cell has %d tokens but the model takes at most %d (max_position_embeddings)",
              cell.length,
              config.maxPositions()));
    }
    for (int t : cell) {
      if (t < 0 || t >= config.vocabSize()) {
        throw new InvalidCellException(
            position,
            String.format(
                Locale.ROOT,
                "token id %d is outside the model's vocabulary (vocab_size %d)",
                t,
                config.vocabSize()));
      }
    }
    if (settings.pooling() == Pooling.CLS && cell.length > 0 && cell[0] != settings.clsId()) {
      throw new InvalidCellException(
          position,
          String.format(
              Locale.ROOT,
              "--pooling cls needs cells that start with <cls> (id %d), this one starts with %d:"
                  + " the tokens were made without special tokens (V1); use --pooling mean",
              settings.clsId(),
              cell[0]));
    }
  }

  @Override
  public void close() {
    manager.close();
  }
}
