package org.cellspark.cli;

import java.io.PrintWriter;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;
import org.cellspark.infer.Pooling;
import org.cellspark.jobs.perturb.PerturbJob;
import org.cellspark.jobs.perturb.PerturbOptions;
import org.cellspark.jobs.perturb.PerturbResult;
import org.cellspark.perturb.PerturbationType;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

@Command(
    name = "perturb",
    mixinStandardHelpOptions = true,
    showDefaultValues = true,
    sortOptions = false,
    description = {
      "In silico perturbation screen over tokenized cells (Parquet: cell_shifts/, gene_shifts/).",
      "A stopped screen resumes when run again with the same options and output. Upstream's names"
          + " in brackets."
    })
final class PerturbCommand implements Callable<Integer> {
  @CommandLine.Spec CommandLine.Model.CommandSpec spec;

  @Mixin ModelJobArgs job;

  @Option(
      names = {"--perturbation", "--perturb-type"},
      required = true,
      paramLabel = "TYPE",
      description =
          "delete, overexpress, inhibit or activate (move the gene down / up by --rank-shift"
              + " quarters of the cell's genes) [perturb_type].")
  String perturbation;

  @Option(
      names = "--rank-shift",
      paramLabel = "1|2|3",
      description =
          "Quarters of the cell's genes inhibit/activate move a gene by [perturb_rank_shift].")
  int rankShift = 1;

  @Option(
      names = {"--genes", "--genes-to-perturb"},
      split = ",",
      paramLabel = "all|GENES|FILE",
      description =
          "all (every gene of every cell, one at a time), or Ensembl IDs / symbols / files of them"
              + " (one per line); each listed gene is its own screen unless --group"
              + " [genes_to_perturb].")
  List<String> genes = new ArrayList<>(List.of("all"));

  @Option(
      names = "--group",
      description = "Perturb the listed genes together, once per cell (upstream's gene-list mode).")
  boolean group;

  @Option(
      names = "--anchor-gene",
      paramLabel = "GENE",
      description = "Perturb this gene together with every other gene [anchor_gene, combos=1].")
  String anchorGene;

  @Option(
      names = "--states",
      paramLabel = "COLUMN:start=A,goal=B[,alt=C...]",
      description =
          "Screen cells in state A; report the shift toward every state [cell_states_to_model].")
  String states;

  @Option(
      names = "--state-embeddings",
      paramLabel = "DIR",
      description =
          "cellspark embed --summary output with the states' embeddings (same model, layer,"
              + " pooling) [state_embs_dict].")
  String stateEmbeddings;

  @Option(
      names = "--pooling",
      paramLabel = "mean|cls",
      description =
          "mean: effect = mean cosine over the other genes; cls: cosine of <cls> vectors (V2)"
              + " [emb_mode].")
  String pooling = "mean";

  @Mixin CellSampleArgs cells;

  @Option(
      names = "--gene-shifts",
      description =
          "Also the effect on every other gene: gene_shifts/ with mean, std, n per pair [emb_mode"
              + " *_and_gene].")
  boolean geneShifts;

  @Option(
      names = "--export-pickle",
      paramLabel = "DIR",
      description =
          "Also write upstream's raw pickles here, for Geneformer's InSilicoPerturberStats.")
  String exportPickle;

  @Option(
      names = "--partitions",
      paramLabel = "N",
      description = "Tasks to spread the work units over; 0 = twice the default parallelism.")
  int partitions;

  @Option(
      names = "--overwrite",
      description = "Replace the output folder (and --export-pickle folder) if they exist.")
  boolean overwrite;

  @Option(
      names = "--resume",
      description =
          "Keep an output that already holds this very screen (same options, model, state vectors,"
              + " cells and tokens) and finish at once, for a task run again by an orchestrator;"
              + " another screen there is replaced only with --overwrite. A stopped run always"
              + " resumes from its checkpoints.")
  boolean resume;

  @Mixin SparkArgs sparkArgs;

  @Override
  public Integer call() {
    PerturbOptions options =
        PerturbOptions.builder()
            .input(job.input)
            .model(job.model)
            .output(job.output)
            .vocabulary(job.vocabulary)
            .type(PerturbationType.parse(perturbation))
            .rankShift(rankShift)
            .genes(genes)
            .group(group)
            .anchorGene(anchorGene)
            .states(states == null ? null : PerturbOptions.States.parse(states))
            .stateEmbeddings(stateEmbeddings)
            .pooling(Pooling.parse(pooling))
            .layer(job.layer)
            .filters(cells.parsedFilters())
            .maxCells(cells.maxCells)
            .seed(cells.seed)
            .geneShifts(geneShifts)
            .exportPickle(exportPickle)
            .batchTokens(job.batchTokens)
            .precision(job.parsedPrecision())
            .partitions(partitions)
            .overwrite(overwrite)
            .resume(resume)
            .build();
    try (SparkArgs.Session s = sparkArgs.session("cellspark perturb")) {
      print(spec.commandLine().getOut(), PerturbJob.run(s.spark(), options));
    }
    return Main.OK;
  }

  static void print(PrintWriter out, PerturbResult r) {
    out.printf(
        Locale.ROOT,
        "perturbed %,d cells: %,d rows into %s (%.1f s)%n",
        r.cells(),
        r.rows(),
        r.output(),
        r.seconds());
    if (r.unitsResumed() > 0) {
      out.printf(
          Locale.ROOT,
          "  resumed: %,d of %,d work units were done by an earlier run%n",
          r.unitsResumed(),
          r.units());
    }
    if (r.genePairs() > 0) {
      out.printf(Locale.ROOT, "  gene shifts: %,d (perturbed, affected) pairs%n", r.genePairs());
    }
    out.printf(
        Locale.ROOT, "  straggler ratio (max / median task time): %.2f%n", r.stragglerRatio());
    out.flush();
  }
}
