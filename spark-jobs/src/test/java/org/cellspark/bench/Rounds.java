package org.cellspark.bench;

import java.util.ArrayList;
import java.util.List;

/** What benchmarks that alternate their sides over rounds report of each side: the median. */
public final class Rounds {
  private Rounds() {}

  public static double median(List<Double> xs) {
    List<Double> s = new ArrayList<>(xs);
    s.sort(null);
    int n = s.size();
    return n % 2 == 1 ? s.get(n / 2) : (s.get(n / 2 - 1) + s.get(n / 2)) / 2;
  }
}
