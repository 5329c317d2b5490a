package org.cellspark.cli;

import java.io.PrintWriter;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;
import org.cellspark.jobs.demo.DemoJob;
import org.cellspark.jobs.demo.DemoOptions;
import org.cellspark.jobs.demo.DemoResult;
import org.cellspark.jobs.demo.Figures;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

@Command(
    name = "demo",
    mixinStandardHelpOptions = true,
    showDefaultValues = true,
    description = {
      "Run the pipeline on a bundled atlas and print a summary.",
      // One element per paragraph: picocli wraps each element and breaks the line after it.
      "The atlas: 2,000 synthetic cells of four types with marker programmes and real Geneformer"
          + " V1 gene IDs; the vocabulary: Geneformer's V1 dictionaries; the model: a tiny random"
          + " one (all bundled). Runs tokenize, embed, perturb, stats and classify, and writes"
          + " report.html with plots."
    })
final class DemoCommand implements Callable<Integer> {
  @CommandLine.Spec CommandLine.Model.CommandSpec spec;

  @Option(
      names = "--workdir",
      paramLabel = "DIR",
      description = "Folder for the demo's input copy and outputs (its sub-folders are replaced).")
  String workDir = DemoOptions.DEFAULT_WORK_DIR;

  @Mixin SparkArgs sparkArgs;

  @Override
  public Integer call() {
    DemoOptions options = new DemoOptions(workDir);
    try (SparkArgs.Session s = sparkArgs.session("cellspark demo")) {
      print(spec.commandLine().getOut(), DemoJob.run(s.spark(), options));
    }
    return Main.OK;
  }

  static void print(PrintWriter out, DemoResult r) {
    out.println(
        "Cellspark demo: tokenize -> embed -> perturb -> stats -> classify on a bundled atlas");
    out.println("  input   " + r.atlas());
    TokenizeCommand.print(out, r.tokenize());
    out.println();
    out.printf(Locale.ROOT, "  %-12s %8s %12s%n", "cell type", "cells", "mean tokens");
    for (DemoResult.CellTypeSummary t : r.byCellType()) {
      out.printf(Locale.ROOT, "  %-12s %,8d %12.1f%n", t.cellType(), t.cells(), t.meanLength());
    }
    DemoResult.ExampleCell c = r.exampleCell();
    out.println();
    out.printf(
        Locale.ROOT,
        "  cell %s (%s, %d tokens), top genes by rank: %s%n",
        c.cellId(),
        c.cellType(),
        c.length(),
        String.join(" ", c.topGenes()));
    out.println("  tokens: " + r.tokenize().output());
    out.println();
    out.printf(
        Locale.ROOT,
        "  embed     %,d cells with a tiny random model (pipeline, not biology); %d state"
            + " embeddings%n",
        r.embed().cells(),
        r.embed().states());
    out.printf(
        Locale.ROOT,
        "  perturb   %,d %s cells, every gene deleted in turn (%,d deletions), shifts toward %s%n",
        r.perturb().cells(),
        r.startState(),
        r.perturb().rows(),
        r.goalState());
    printStats(out, r);
    out.printf(
        Locale.ROOT,
        "  classify  %s on the embeddings, donors held out: test accuracy %.3f, macro-F1 %.3f%n",
        r.classifier(),
        r.testAccuracy(),
        r.testMacroF1());
    out.println("  report:   " + r.report());
    String embeddings = r.embed().output();
    if (embeddings.startsWith("file:")) {
      // As the user would type it. A Hadoop path string, not a URI: spaces stay spaces.
      embeddings = new org.apache.hadoop.fs.Path(embeddings).toUri().getPath();
    }
    out.println(
        "  next:     bin/cellspark plot --input "
            + shellWord(embeddings)
            + " --labels cell_type,donor --output "
            + shellWord(java.nio.file.Path.of(embeddings).resolveSibling("plots").toString())
            + "  (a UMAP per label)");
    out.flush();
  }

  /** {@code s} as one word of a shell command line to copy: quoted when it holds a space, say. */
  static String shellWord(String s) {
    return s.matches("[A-Za-z0-9_./:@%+=,-]+") ? s : "'" + s.replace("'", "'\\''") + "'";
  }

  /** The screen's statistics: genes tested and significant, the top of the table. */
  private static void printStats(PrintWriter out, DemoResult r) {
    out.printf(
        Locale.ROOT,
        "  stats     %,d genes tested, %,d with FDR < %s; most toward %s (deleted in %d+ cells):%n",
        r.screen().genes(),
        r.screen().significant(),
        Figures.text(r.screen().fdrThreshold()),
        r.goalState(),
        DemoJob.MIN_CELLS_SHOWN);
    List<DemoResult.GeneShift> top = r.towardGoal().subList(0, Math.min(5, r.towardGoal().size()));
    // A gene without a symbol shows its Ensembl ID (15 characters): the column fits the longest.
    int width = top.stream().mapToInt(g -> g.gene().length()).max().orElse(0);
    String line =
        "              %-" + Math.max(10, width) + "s shift %-9s p %-9s FDR %-9s in %d cells%n";
    for (DemoResult.GeneShift g : top) {
      out.printf(
          Locale.ROOT,
          line,
          g.gene(),
          Figures.signedText(g.shiftToGoal()),
          Figures.text(g.pValue()),
          Figures.text(g.fdr()),
          g.cells());
    }
  }
}
