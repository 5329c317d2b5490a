package org.cellspark.statistics;

import java.io.Serializable;
import java.util.Arrays;

/**
 * A two-component Gaussian mixture on one-dimensional values, fitted the way scikit-learn's {@code
 * GaussianMixture(n_components=2)} fits it for Geneformer's mixture-model statistics: EM from a
 * k-means start, {@code reg_covar = 1e-6} added to each variance at every M-step, and {@code 10
 * eps} added to each component's weight sum. The components come back ordered by mean (component 0
 * has the lower mean), which upstream silently assumes of sklearn's fit.
 *
 * <p>Why not Spark MLlib's GaussianMixture: it has no variance regularisation, and at the scale of
 * cosine similarities (variances near 1e-5) sklearn's 1e-6 moves the fitted mixture by percents;
 * its random start also makes results depend on the sample drawn. Commons Math's mixture EM needs
 * two or more dimensions. This fit is deterministic: a 1-D k-means start from the smallest and
 * largest values, then EM until the mean log-likelihood changes by less than {@code tol}.
 */
public final class GaussianMixture1D {
  public static final double REG_COVAR = 1e-6;
  private static final double EPS10 = 10 * Math.ulp(1.0);

  /** Means (ascending), variances and weights of the two components, and the iterations run. */
  public record Fit(
      double[] means, double[] variances, double[] weights, int iterations, boolean converged)
      implements Serializable {
    /** The component (0: lower mean) with the larger posterior probability for x. */
    public int predict(double x) {
      return logDensity(0, x) >= logDensity(1, x) ? 0 : 1;
    }

    double logDensity(int k, double x) {
      double d = x - means[k];
      return Math.log(weights[k])
          - 0.5 * (Math.log(2 * Math.PI * variances[k]) + d * d / variances[k]);
    }
  }

  private GaussianMixture1D() {}

  /** Fits to at least two values; converged when the change is below tol within maxIterations. */
  public static Fit fit(double[] values, double tol, int maxIterations) {
    if (values.length < 2) {
      throw new IllegalArgumentException(
          "a two-component mixture needs at least two values, got " + values.length);
    }
    double[][] resp = kMeansStart(values);
    Fit fit = mStep(values, resp);
    double previous = Double.NEGATIVE_INFINITY;
    for (int it = 1; it <= maxIterations; it++) {
      double meanLogLikelihood = eStep(values, fit, resp);
      fit = mStep(values, resp);
      if (Math.abs(meanLogLikelihood - previous) < tol) {
        return ordered(fit, it, true);
      }
      previous = meanLogLikelihood;
    }
    return ordered(fit, maxIterations, false);
  }

  /** One-hot responsibilities of a 1-D two-means clustering started at the extremes. */
  private static double[][] kMeansStart(double[] x) {
    double lo = Arrays.stream(x).min().orElseThrow();
    double hi = Arrays.stream(x).max().orElseThrow();
    boolean[] high = new boolean[x.length];
    for (int it = 0; it < 1000; it++) {
      double border = (lo + hi) / 2;
      boolean changed = false;
      double sumLo = 0;
      double sumHi = 0;
      int nLo = 0;
      for (int i = 0; i < x.length; i++) {
        boolean h = x[i] > border;
        changed |= h != high[i];
        high[i] = h;
        if (h) {
          sumHi += x[i];
        } else {
          sumLo += x[i];
          nLo++;
        }
      }
      if (nLo == 0 || nLo == x.length) {
        break; // every value equal: one cluster, EM sorts it out
      }
      lo = sumLo / nLo;
      hi = sumHi / (x.length - nLo);
      if (!changed && it > 0) {
        break;
      }
    }
    double[][] resp = new double[x.length][2];
    for (int i = 0; i < x.length; i++) {
      resp[i][high[i] ? 1 : 0] = 1;
    }
    return resp;
  }

  private static Fit mStep(double[] x, double[][] resp) {
    double[] nk = new double[2];
    double[] means = new double[2];
    double[] variances = new double[2];
    for (int k = 0; k < 2; k++) {
      double sum = 0;
      for (int i = 0; i < x.length; i++) {
        nk[k] += resp[i][k];
        sum += resp[i][k] * x[i];
      }
      nk[k] += EPS10;
      means[k] = sum / nk[k];
      double sq = 0;
      for (int i = 0; i < x.length; i++) {
        double d = x[i] - means[k];
        sq += resp[i][k] * d * d;
      }
      variances[k] = sq / nk[k] + REG_COVAR;
    }
    double total = nk[0] + nk[1];
    return new Fit(means, variances, new double[] {nk[0] / total, nk[1] / total}, 0, false);
  }

  /** Fills the responsibilities; returns the mean log-likelihood (sklearn's lower bound). */
  private static double eStep(double[] x, Fit fit, double[][] resp) {
    double total = 0;
    for (int i = 0; i < x.length; i++) {
      double a = fit.logDensity(0, x[i]);
      double b = fit.logDensity(1, x[i]);
      double max = Math.max(a, b);
      double norm = max + Math.log(Math.exp(a - max) + Math.exp(b - max));
      resp[i][0] = Math.exp(a - norm);
      resp[i][1] = Math.exp(b - norm);
      total += norm;
    }
    return total / x.length;
  }

  private static Fit ordered(Fit f, int iterations, boolean converged) {
    int lo = f.means()[0] <= f.means()[1] ? 0 : 1;
    int hi = 1 - lo;
    return new Fit(
        new double[] {f.means()[lo], f.means()[hi]},
        new double[] {f.variances()[lo], f.variances()[hi]},
        new double[] {f.weights()[lo], f.weights()[hi]},
        iterations,
        converged);
  }
}
