package org.cellspark.jobs.stats;

import org.cellspark.jobs.common.CellSelection;
import org.cellspark.jobs.common.OptionProblems;

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
    String input,
    String output,
    StatsMode mode,
    String nullInput,
    int poolSize,
    long seed,
    double fdrThreshold,
    boolean overwrite) {
  public static final int DEFAULT_POOL_SIZE = 100_000;
  public static final long DEFAULT_SEED = CellSelection.DEFAULT_SEED;
  public static final double DEFAULT_FDR = 0.05;

  public StatsOptions {
    OptionProblems problems = new OptionProblems();
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
      problems.add(
          "--mode vs-null needs --null: a cellspark perturb output of the same perturbation in null"
              + " cells");
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
    problems.throwIfAny();
  }

  public static StatsOptions of(String input, String output, StatsMode mode) {
    return builder().input(input).output(output).mode(mode).build();
  }

  /** vs-null of a test screen against a null screen. */
  public static StatsOptions vsNull(String input, String nullInput, String output) {
    return builder()
        .input(input)
        .output(output)
        .mode(StatsMode.VS_NULL)
        .nullInput(nullInput)
        .build();
  }

  public StatsOptions withPool(int size, long sampleSeed) {
    return toBuilder().poolSize(size).seed(sampleSeed).build();
  }

  public StatsOptions withFdr(double threshold) {
    return toBuilder().fdrThreshold(threshold).build();
  }

  public StatsOptions withOverwrite(boolean replace) {
    return toBuilder().overwrite(replace).build();
  }

  /**
   * A builder with every option at its default (the command line's); {@link Builder#build} checks
   * them all.
   */
  public static Builder builder() {
    return new Builder();
  }

  /** A builder holding these options, to change some. */
  public Builder toBuilder() {
    Builder b = new Builder();
    b.input = input;
    b.output = output;
    b.mode = mode;
    b.nullInput = nullInput;
    b.poolSize = poolSize;
    b.seed = seed;
    b.fdrThreshold = fdrThreshold;
    b.overwrite = overwrite;
    return b;
  }

  /** The options by name; unset ones keep their defaults. */
  public static final class Builder {
    private String input;
    private String output;
    private StatsMode mode;
    private String nullInput;
    private int poolSize = DEFAULT_POOL_SIZE;
    private long seed = DEFAULT_SEED;
    private double fdrThreshold = DEFAULT_FDR;
    private boolean overwrite;

    private Builder() {}

    public Builder input(String v) {
      input = v;
      return this;
    }

    public Builder output(String v) {
      output = v;
      return this;
    }

    public Builder mode(StatsMode v) {
      mode = v;
      return this;
    }

    public Builder nullInput(String v) {
      nullInput = v;
      return this;
    }

    public Builder poolSize(int v) {
      poolSize = v;
      return this;
    }

    public Builder seed(long v) {
      seed = v;
      return this;
    }

    public Builder fdrThreshold(double v) {
      fdrThreshold = v;
      return this;
    }

    public Builder overwrite(boolean v) {
      overwrite = v;
      return this;
    }

    public StatsOptions build() {
      return new StatsOptions(
          input, output, mode, nullInput, poolSize, seed, fdrThreshold, overwrite);
    }
  }
}
