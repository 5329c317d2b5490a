package org.cellspark.jobs.stats;

import java.util.ArrayList;
import java.util.List;
import org.cellspark.error.UserException;
import org.cellspark.jobs.common.CellSelection;

/**
 * What `cellspark stats` was asked to do.
 *
 * @param input a `cellspark perturb` output folder
 * @param output the folder to write ({@code <mode>.csv}, {@code <mode>/} Parquet, summary)
 * @param mode what to compute
 * @param nullInput for {@link StatsMode#VS_NULL}: the same perturbation screened in null cells
 * @param poolSize the most values of the pooled null distribution (goal-state-shift); above it a
 *     seeded sample of exactly this many is taken (upstream: 100,000)
 * @param seed the sample's seed
 * @param fdrThreshold {@code Sig} is 1 when the FDR is below it (upstream: 0.05)
 * @param overwrite replace an existing output folder
 */
public record StatsOptions(
    String input, String output, StatsMode mode, String nullInput, int poolSize, long seed, double fdrThreshold, boolean overwrite) {
  public static final int DEFAULT_POOL_SIZE = 100_000;
  public static final long DEFAULT_SEED = CellSelection.DEFAULT_SEED;
  public static final double DEFAULT_FDR = 0.05;

  public StatsOptions {
    List<String> problems = new ArrayList<>();
    if (input == null || input.isBlank()) {
      problems.add("--input is required (a cellspark perturb output folder)");
    }
    if (output == null || output.isBlank()) {
      problems.add("--output is required");
    }
    if (mode == null) {
      problems.add("--mode is required");
    }
    if (mode == StatsMode.VS_NULL && (nullInput == null || nullInput.isBlank())) {
      problems.add("--mode vs-null needs --null: a cellspark perturb output of the same perturbation in null cells");
    }
    if (mode != StatsMode.VS_NULL && nullInput != null) {
      problems.add("--null is only read by --mode vs-null");
    }
    if (poolSize < 2) {
      problems.add("--null-pool-size must be at least 2, got " + poolSize);
    }
    if (!(fdrThreshold > 0 && fdrThreshold <= 1)) {
      problems.add("--fdr must be in (0, 1], got " + fdrThreshold);
    }
    if (!problems.isEmpty()) {
      throw UserException.of("%s", String.join("; ", problems));
    }
  }

  public static StatsOptions of(String input, String output, StatsMode mode) {
    return new StatsOptions(input, output, mode, null, DEFAULT_POOL_SIZE, DEFAULT_SEED, DEFAULT_FDR, false);
  }

  /** vs-null of a test screen against a null screen. */
  public static StatsOptions vsNull(String input, String nullInput, String output) {
    return new StatsOptions(input, output, StatsMode.VS_NULL, nullInput, DEFAULT_POOL_SIZE, DEFAULT_SEED, DEFAULT_FDR, false);
  }

  public StatsOptions withPool(int size, long sampleSeed) {
    return new StatsOptions(input, output, mode, nullInput, size, sampleSeed, fdrThreshold, overwrite);
  }

  public StatsOptions withFdr(double threshold) {
    return new StatsOptions(input, output, mode, nullInput, poolSize, seed, threshold, overwrite);
  }

  public StatsOptions withOverwrite(boolean replace) {
    return new StatsOptions(input, output, mode, nullInput, poolSize, seed, fdrThreshold, replace);
  }
}
