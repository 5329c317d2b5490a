package org.cellspark.encode;

/**
 * Checks that stored matrix values look like raw counts. Geneformer's normalisation assumes raw UMI
 * counts; normalised or log-transformed data silently produce wrong rankings, so such values are
 * errors unless the user says otherwise.
 */
public final class CountCheck {
  private CountCheck() {}

  /** What is wrong with a value, or null when it is a valid count. */
  public static String problem(double value, boolean allowNonInteger) {
    if (Double.isNaN(value)) {
      return "NaN";
    }
    if (Double.isInfinite(value)) {
      return "infinite";
    }
    if (value < 0) {
      return "negative";
    }
    if (!allowNonInteger && value != Math.rint(value)) {
      return "not an integer";
    }
    return null;
  }

  /** Index of the first of {@code values[0..n)} that is not a valid count, or -1. */
  public static int firstInvalid(double[] values, int n, boolean allowNonInteger) {
    for (int i = 0; i < n; i++) {
      double v = values[i];
      // Fast path: one comparison chain for the common case of a finite non-negative integer.
      if (v >= 0 && v < Double.POSITIVE_INFINITY && (allowNonInteger || v == Math.rint(v))) {
        continue;
      }
      return i;
    }
    return -1;
  }
}
