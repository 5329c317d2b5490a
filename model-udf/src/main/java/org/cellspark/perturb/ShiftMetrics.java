package org.cellspark.perturb;

import java.util.function.IntConsumer;
import org.cellspark.infer.Pooling;

/**
 * What a perturbation did, from the hidden states of the original and the perturbed copy (reference
 * 5.4), cosines as PyTorch's {@code cosine_similarity} (eps 1e-8):
 *
 * <ul>
 *   <li>cell-level similarity: with mean pooling, the mean over the genes both sequences keep of
 *       the cosine between each gene's vector in the perturbed copy and in the original; the
 *       perturbed gene is left out of both (a perturbation is judged by its effect on the other
 *       genes). With CLS pooling, the cosine of the {@code <cls>} vectors.
 *   <li>shift toward a state: {@code cos(perturbed cell, state) - cos(original cell, state)}, cells
 *       pooled as the state embeddings were (mean of gene tokens, or CLS).
 *   <li>gene shifts: the per-gene cosines, for each kept gene.
 * </ul>
 */
public final class ShiftMetrics {
  private final int hidden;
  private final Pooling pooling;
  private final float[][] states;
  private final int clsId;
  private final int eosId;

  /**
   * @param states state embeddings (start, goal, alternatives), or an empty array
   */
  public ShiftMetrics(int hidden, Pooling pooling, float[][] states, int clsId, int eosId) {
    this.hidden = hidden;
    this.pooling = pooling;
    this.states = states;
    this.clsId = clsId;
    this.eosId = eosId;
  }

  /** A perturbation's results. {@code geneCosines[j]} belongs to {@code affected[j]}. */
  public record Result(
      double cosineSimilarity, double[] shifts, int[] affected, double[] geneCosines) {}

  /**
   * @param original the comparison original's hidden states ({@code length x hidden}, row-major)
   * @param perturbed the perturbed copy's hidden states
   * @param withGenes also return the per-gene cosines
   */
  public Result compare(Perturbation p, float[] original, float[] perturbed, boolean withGenes) {
    int[] oi = p.originalIndex();
    int[] pi = p.perturbedIndex();
    double[] geneCos = new double[oi.length];
    for (int j = 0; j < oi.length; j++) {
      geneCos[j] = cosine(perturbed, pi[j], original, oi[j]);
    }
    double clsCos = pooling == Pooling.CLS ? cosine(perturbed, 0, original, 0) : Double.NaN;
    boolean cells = states.length > 0;
    return result(
        p,
        geneCos,
        clsCos,
        cells ? cellEmbedding(p.perturbed(), perturbed) : null,
        cells ? cellEmbedding(p.original(), original) : null,
        withGenes);
  }

  /** Whether {@link #result} needs the two cells' pooled vectors (to shift toward states). */
  public boolean needsCellVectors() {
    return states.length > 0;
  }

  public Pooling pooling() {
    return pooling;
  }

  /**
   * A perturbation's results from what the comparison reduces to, wherever it was computed: the
   * cosine of each aligned gene pair ({@code geneCos[j]} for {@code originalIndex[j]} / {@code
   * perturbedIndex[j]}), the cosine of the {@code <cls>} vectors (CLS pooling; else ignored), and,
   * when states are modelled, the two cells' pooled vectors.
   */
  public Result result(
      Perturbation p,
      double[] geneCos,
      double clsCos,
      float[] pertCell,
      float[] origCell,
      boolean withGenes) {
    int[] oi = p.originalIndex();
    double sum = 0;
    for (double c : geneCos) {
      sum += c;
    }
    double similarity =
        pooling == Pooling.CLS ? clsCos : oi.length == 0 ? Double.NaN : sum / oi.length;
    double[] shifts = new double[states.length];
    for (int s = 0; s < states.length; s++) {
      shifts[s] = cosine(pertCell, states[s]) - cosine(origCell, states[s]);
    }
    if (!withGenes) {
      return new Result(similarity, shifts, null, null);
    }
    int[] affected = new int[oi.length];
    for (int j = 0; j < oi.length; j++) {
      affected[j] = p.original()[oi[j]];
    }
    return new Result(similarity, shifts, affected, geneCos);
  }

  /**
   * The rows of {@code tokens} a cell's mean embedding averages: {@code [first, end)}, specials
   * left out.
   */
  int[] geneRows(int[] tokens) {
    int first = tokens.length > 0 && clsId >= 0 && tokens[0] == clsId ? 1 : 0;
    int end =
        tokens.length > 0 && eosId >= 0 && tokens[tokens.length - 1] == eosId
            ? tokens.length - 1
            : tokens.length;
    return new int[] {first, end};
  }

  /** The cell's vector as the state embeddings were made: mean of gene rows, or the CLS row. */
  float[] cellEmbedding(int[] tokens, float[] vectors) {
    float[] out = new float[hidden];
    if (pooling == Pooling.CLS) {
      System.arraycopy(vectors, 0, out, 0, hidden);
      return out;
    }
    int[] rows = geneRows(tokens);
    int first = rows[0];
    int end = rows[1];
    double[] acc = new double[hidden];
    forEach(
        first,
        end,
        r -> {
          for (int d = 0; d < hidden; d++) {
            acc[d] += vectors[r * hidden + d];
          }
        });
    for (int d = 0; d < hidden; d++) {
      out[d] = (float) (acc[d] / Math.max(1, end - first));
    }
    return out;
  }

  private static void forEach(int from, int to, IntConsumer row) {
    for (int r = from; r < to; r++) {
      row.accept(r);
    }
  }

  /** Rows {@code ra} of {@code a} and {@code rb} of {@code b}. */
  private double cosine(float[] a, int ra, float[] b, int rb) {
    double dot = 0;
    double na = 0;
    double nb = 0;
    int oa = ra * hidden;
    int ob = rb * hidden;
    for (int d = 0; d < hidden; d++) {
      double x = a[oa + d];
      double y = b[ob + d];
      dot += x * y;
      na += x * x;
      nb += y * y;
    }
    return dot / Math.max(Math.sqrt(na * nb), 1e-8);
  }

  static double cosine(float[] a, float[] b) {
    double dot = 0;
    double na = 0;
    double nb = 0;
    for (int d = 0; d < a.length; d++) {
      dot += (double) a[d] * b[d];
      na += (double) a[d] * a[d];
      nb += (double) b[d] * b[d];
    }
    return dot / Math.max(Math.sqrt(na * nb), 1e-8);
  }
}
