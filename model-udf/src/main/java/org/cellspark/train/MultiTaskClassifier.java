package org.cellspark.train;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.norm.Dropout;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.cellspark.error.Choices;
import org.cellspark.model.TrainableBert;

/**
 * Geneformer with a classification head per task, trained together (upstream's {@code
 * MTLClassifier}, its model {@code GeneformerMultiTask}): the last hidden states pooled once per
 * cell, dropout on the pooled vector, then one linear layer per task; the loss is the sum over
 * tasks of each task's cross-entropy times the task's weight. A cell without a class for a task
 * adds nothing to that task's loss (PyTorch's {@code ignore_index}), so tasks labelled on different
 * cells train together.
 *
 * <p>Pooling: the mean of the gene tokens (as {@code embed} and {@code finetune} pool), {@code
 * <cls>} (position 0, upstream's default without attention pooling), or upstream's attention pool:
 * a learnt vector scores each token, softmax over the cell's tokens, the weighted sum. Upstream's
 * softmax also runs over padding, which makes a cell's vector depend on the longest cell of its
 * batch; here padding is left out, so a cell pools the same in any batch.
 */
public final class MultiTaskClassifier implements Classifier<MultiLabelledCells> {
  /** How the cell's vector is made from its last hidden states. */
  public enum Pool {
    MEAN,
    CLS,
    ATTENTION;

    /**
     * {@code mean} (also {@code cell}, as {@code embed} takes it), {@code cls} or {@code
     * attention}.
     */
    public static Pool parse(String s) {
      if (s != null && s.trim().equalsIgnoreCase("cell")) {
        return MEAN;
      }
      return Choices.parse("--pooling", s, values());
    }
  }

  /** The weights upstream's model names them by. */
  public static final String ATTENTION_WEIGHTS = "attention_pool.attention_weights";

  private final TrainableBert encoder;
  private final Pool pool;
  private final int clsId;
  private final int eosId;
  private final List<LinearHead> heads;
  private final NDArray attention;
  private final float[] taskWeights;

  /**
   * @param heads each task's starting weights
   * @param attention the attention pool's starting vector (hidden), or null unless {@code pool} is
   *     {@link Pool#ATTENTION}
   * @param taskWeights each task's weight in the loss
   */
  public MultiTaskClassifier(
      TrainableBert encoder,
      Pool pool,
      int clsId,
      int eosId,
      List<Head> heads,
      float[] attention,
      float[] taskWeights) {
    if (heads.size() != taskWeights.length || heads.isEmpty()) {
      throw new IllegalArgumentException(
          heads.size() + " heads, " + taskWeights.length + " weights");
    }
    if ((pool == Pool.ATTENTION) != (attention != null)) {
      throw new IllegalArgumentException("an attention vector goes with attention pooling only");
    }
    this.encoder = encoder;
    this.pool = pool;
    this.clsId = clsId;
    this.eosId = eosId;
    int hidden = encoder.config().hiddenSize();
    List<LinearHead> made = new ArrayList<>();
    for (Head h : heads) {
      made.add(new LinearHead(encoder.manager(), h.weight(), h.bias(), hidden));
    }
    this.heads = List.copyOf(made);
    if (attention != null) {
      this.attention = encoder.manager().create(attention, new Shape(hidden, 1));
      this.attention.setRequiresGradient(true);
    } else {
      this.attention = null;
    }
    this.taskWeights = taskWeights.clone();
  }

  /** A task's linear layer: weight (classes x hidden) and bias (classes). */
  public record Head(float[] weight, float[] bias) {
    /**
     * A new head as upstream initialises one: Xavier-uniform weights (bound sqrt(6 / (hidden +
     * classes))), zero bias; drawn from {@code random}.
     */
    public static Head xavier(int classes, int hidden, Random random) {
      return new Head(
          xavierUniform(classes * hidden, hidden + classes, random), new float[classes]);
    }
  }

  /**
   * The attention pool's starting vector as upstream initialises its (hidden, 1) parameter:
   * Xavier-uniform, bound sqrt(6 / (hidden + 1)).
   */
  public static float[] newAttention(int hidden, Random random) {
    return xavierUniform(hidden, hidden + 1, random);
  }

  private static float[] xavierUniform(int size, int fans, Random random) {
    double bound = Math.sqrt(6.0 / fans);
    float[] w = new float[size];
    for (int i = 0; i < size; i++) {
      w[i] = (float) ((2 * random.nextDouble() - 1) * bound);
    }
    return w;
  }

  public Pool pool() {
    return pool;
  }

  public int tasks() {
    return heads.size();
  }

  public int classes(int task) {
    return heads.get(task).classes();
  }

  public float[] taskWeights() {
    return taskWeights.clone();
  }

  @Override
  public TrainableBert encoder() {
    return encoder;
  }

  /**
   * Every trained weight by upstream's names: the encoder's, then {@code
   * attention_pool.attention_weights} (attention pooling only) and each task's {@code
   * classification_heads.N.weight} and {@code .bias}.
   */
  @Override
  public List<TrainableBert.NamedWeight> weights() {
    List<TrainableBert.NamedWeight> out = new ArrayList<>(encoder.weights());
    if (attention != null) {
      out.add(new TrainableBert.NamedWeight(ATTENTION_WEIGHTS, attention));
    }
    for (int t = 0; t < heads.size(); t++) {
      out.addAll(heads.get(t).named("classification_heads." + t));
    }
    return out;
  }

  /** Each cell's pooled vector (cells, hidden), with the pooled vector's dropout applied. */
  NDArray pooled(NDManager m, TrainingBatch b, DropoutRates dropout) {
    NDArray mask = b.mask(m);
    NDArray last =
        encoder.lastHiddenState(
            b.ids(m), mask, dropout.hidden(), dropout.attention(), dropout.adapters());
    NDArray pooled =
        switch (pool) {
          case CLS -> last.get(":, 0, :");
          case MEAN -> {
            NDArray genes = b.genes(m).expandDims(-1);
            yield last.mul(genes).sum(new int[] {1}).div(genes.sum(new int[] {1}));
          }
          case ATTENTION -> {
            // log(1) = 0 on the cell's tokens, log(0) = -inf on padding: softmax gives it 0.
            NDArray padding = mask.toType(DataType.FLOAT32, false).log().expandDims(-1);
            NDArray p = last.matMul(attention).add(padding).softmax(1);
            yield last.mul(p).sum(new int[] {1});
          }
        };
    if (dropout.classifier() > 0) {
      pooled = Dropout.dropout(pooled, (float) dropout.classifier(), true).singletonOrThrow();
    }
    return pooled;
  }

  /** Each task's scores (cells, classes) for a batch, recording gradients inside a collector. */
  public List<NDArray> logits(NDManager m, TrainingBatch b, DropoutRates dropout) {
    NDArray pooled = pooled(m, b, dropout);
    List<NDArray> out = new ArrayList<>(heads.size());
    for (LinearHead h : heads) {
      out.add(h.apply(pooled));
    }
    return out;
  }

  /**
   * The sum over tasks of the task's weight times its cross-entropy over the batch's cells labelled
   * for it (each class weighing {@code classWeights}, every task's classes one after the other).
   */
  @Override
  public NDArray loss(
      NDManager m,
      MultiLabelledCells cells,
      int[] positions,
      DropoutRates dropout,
      float[] classWeights) {
    List<NDArray> logits = logits(m, batch(cells, positions), dropout);
    NDArray total = null;
    int offset = 0;
    for (int t = 0; t < heads.size(); t++) {
      int classes = classes(t);
      float[] weights = java.util.Arrays.copyOfRange(classWeights, offset, offset + classes);
      offset += classes;
      long[] rows = new long[positions.length];
      int[] labels = new int[positions.length];
      int n = 0;
      for (int i = 0; i < positions.length; i++) {
        int label = cells.label(t, positions[i]);
        if (label != MultiLabelledCells.UNLABELLED) {
          rows[n] = i;
          labels[n++] = label;
        }
      }
      if (n == 0) {
        // No cell of the batch has this task's class: the task adds 0, but its head stays in the
        // graph so that every weight has a gradient (0) for the optimizer step.
        NDArray none = logits.get(t).sum().mul(0);
        total = total == null ? none : total.add(none);
        continue;
      }
      NDArray picked =
          logits.get(t).get(new NDIndex("{}", m.create(java.util.Arrays.copyOf(rows, n))));
      NDArray one =
          WeightedCrossEntropy.loss(picked, java.util.Arrays.copyOf(labels, n), weights)
              .mul(taskWeights[t]);
      total = total == null ? one : total.add(one);
    }
    return total;
  }

  /** The loss, and the mean over tasks of each task's macro-F1. */
  @Override
  public Score score(MultiLabelledCells cells, long batchTokens, float[] classWeights) {
    MultiTaskEvaluation e = MultiTaskEvaluation.of(this, cells, batchTokens, classWeights);
    return new Score(e.loss(), e.meanMacroF1());
  }

  @Override
  public String metric() {
    return "mean macro-F1 over tasks";
  }

  /** The cells at {@code positions}, padded into one batch (labels travel beside it). */
  TrainingBatch batch(Examples cells, int[] positions) {
    List<int[]> tokens = new ArrayList<>(positions.length);
    for (int p : positions) {
      tokens.add(cells.tokens().get(p));
    }
    return TrainingBatch.of(tokens, new int[positions.length], clsId, eosId);
  }
}
