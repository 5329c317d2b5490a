package org.cellspark.cli;

import java.util.Locale;
import java.util.concurrent.Callable;
import org.cellspark.jobs.stats.StatsJob;
import org.cellspark.jobs.stats.StatsMode;
import org.cellspark.jobs.stats.StatsOptions;
import org.cellspark.jobs.stats.StatsResult;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

@Command(
    name = "stats",
    mixinStandardHelpOptions = true,
    showDefaultValues = true,
    sortOptions = false,
    description = {
      "Statistics over a perturbation screen (cellspark perturb's output), as Geneformer's"
          + " InSilicoPerturberStats.",
      "Writes <mode>.csv with upstream's columns, <mode>/ Parquet and _cellspark.json. Upstream's"
          + " names in brackets."
    })
final class StatsCommand implements Callable<Integer> {
  @CommandLine.Spec CommandLine.Model.CommandSpec spec;

  @Option(
      names = "--input",
      required = true,
      paramLabel = "DIR",
      description = "A cellspark perturb output folder [input_data_directory].")
  String input;

  @Option(
      names = "--output",
      required = true,
      paramLabel = "DIR",
      description = "Output folder [output_directory].")
  String output;

  @Option(
      names = "--mode",
      required = true,
      paramLabel = "MODE",
      description =
          "goal-state-shift (needs --states in the screen), vs-null (needs --null), mixture-model"
              + " (needs --genes all), aggregate-data (gene lists), aggregate-gene-shifts (needs"
              + " --gene-shifts) [mode].")
  String mode;

  @Option(
      names = "--null",
      paramLabel = "DIR",
      description =
          "vs-null: a perturb output of the same perturbation in null cells"
              + " [null_dist_data_directory].")
  String nullInput;

  @Option(
      names = "--null-pool-size",
      paramLabel = "N",
      description =
          "goal-state-shift: at most this many pooled shifts; larger pools are sampled with"
              + " --seed.")
  int poolSize = StatsOptions.DEFAULT_POOL_SIZE;

  @Option(names = "--seed", paramLabel = "S", description = "Seed of the pool's sample.")
  long seed = StatsOptions.DEFAULT_SEED;

  @Option(
      names = "--fdr",
      paramLabel = "Q",
      description = "Sig = 1 when the Benjamini-Hochberg FDR is below this.")
  double fdr = StatsOptions.DEFAULT_FDR;

  @Option(names = "--overwrite", description = "Replace the output folder if it exists.")
  boolean overwrite;

  @Mixin SparkArgs sparkArgs;

  @Override
  public Integer call() {
    StatsOptions options =
        StatsOptions.builder()
            .input(input)
            .output(output)
            .mode(StatsMode.parse(mode))
            .nullInput(nullInput)
            .poolSize(poolSize)
            .seed(seed)
            .fdrThreshold(fdr)
            .overwrite(overwrite)
            .build();
    try (SparkArgs.Session s = sparkArgs.session("cellspark stats")) {
      StatsResult r = StatsJob.run(s.spark(), options);
      spec.commandLine()
          .getOut()
          .printf(
              Locale.ROOT,
              "%s: %,d rows into %s/%s.csv and %s/ (%.1f s)%n",
              options.mode().label(),
              r.rows(),
              r.output(),
              r.table(),
              r.table(),
              r.seconds());
      spec.commandLine().getOut().flush();
    }
    return Main.OK;
  }
}
