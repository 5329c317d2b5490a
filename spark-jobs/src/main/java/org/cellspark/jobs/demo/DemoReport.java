package org.cellspark.jobs.demo;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.stream.Collectors;

/**
 * report.html: what the demo did and found, for a reader who opens one file: quality control, the
 * cells, the embeddings' principal components, the screen's genes with p-values and FDR, the
 * classifier, links to every output, and each job's settings and time. Plots are PNG files beside
 * it; numbers are in {@link Figures}' formats.
 */
final class DemoReport {
  private DemoReport() {}

  static void write(DemoResult r, Path html) throws IOException {
    StringBuilder b = new StringBuilder();
    header(b);
    b.append(
        String.format(
            Locale.ROOT,
            "<p>%,d cells of a bundled synthetic atlas (%s) tokenized with Geneformer's V1"
                + " vocabulary, embedded with a <b>tiny random model</b>, screened, tested and"
                + " classified. The model has no biology in it: the numbers and plots show what"
                + " the pipeline computes, not findings. Run the same commands with a trained"
                + " Geneformer checkpoint (docs/models.md) for real ones.</p>%n",
            r.tokenize().cellsWritten(),
            esc(r.atlas())));
    qc(b, r.qc());
    cells(b, r);
    embeddings(b, r);
    screen(b, r);
    classifier(b, r);
    outputs(b, html.getParent());
    runs(b, r.runs());
    b.append("</body></html>\n");
    Files.writeString(html, b.toString(), StandardCharsets.UTF_8);
  }

  private static void header(StringBuilder b) {
    b.append("<!DOCTYPE html>\n<html><head><meta charset=\"utf-8\"><title>Cellspark demo</title>\n")
        .append(
            "<style>body{font-family:sans-serif;max-width:64em;margin:2em"
                + " auto;line-height:1.4}table{border-collapse:collapse;margin:.5em"
                + " 0}td,th{border:1px solid #ccc;padding:.2em"
                + " .6em;text-align:right}td:first-child,th:first-child{text-align:left}"
                + " code{font-size:90%}</style>")
        .append("</head><body>\n<h1>Cellspark demo</h1>\n");
  }

  private static void qc(StringBuilder b, DemoResult.Qc q) {
    b.append("<h2>Quality control</h2>\n<table id=\"qc\">\n");
    row(b, "cells read", String.format(Locale.ROOT, "%,d", q.cellsRead()));
    row(b, "cells kept", String.format(Locale.ROOT, "%,d", q.cellsWritten()));
    row(b, "dropped: filter_pass is 0", String.format(Locale.ROOT, "%,d", q.droppedFilterPass()));
    row(
        b,
        "dropped: no gene of the vocabulary",
        String.format(Locale.ROOT, "%,d", q.droppedNoVocabularyGene()));
    row(b, "cut to the model's input size", String.format(Locale.ROOT, "%,d", q.truncated()));
    row(b, "genes in the atlas", String.format(Locale.ROOT, "%,d", q.inputGenes()));
    row(
        b,
        "vocabulary genes found in it",
        String.format(
            Locale.ROOT,
            "%,d (%s of the vocabulary)",
            q.vocabularyGenesMatched(),
            Figures.percent(q.coverage())));
    row(
        b,
        "tokens per cell: min / median / max",
        String.format(
            Locale.ROOT, "%,d / %,d / %,d", q.minTokens(), q.medianTokens(), q.maxTokens()));
    b.append("</table>\n<img src=\"lengths.png\" alt=\"tokens per cell\">\n");
  }

  private static void cells(StringBuilder b, DemoResult r) {
    b.append(
        "<h2>Cells</h2>\n<table id=\"cells\"><tr><th>cell type</th><th>cells</th><th>mean"
            + " tokens</th></tr>\n");
    for (DemoResult.CellTypeSummary t : r.byCellType()) {
      b.append(
          String.format(
              Locale.ROOT,
              "<tr><td>%s</td><td>%,d</td><td>%.1f</td></tr>%n",
              esc(t.cellType()),
              t.cells(),
              t.meanLength()));
    }
    DemoResult.ExampleCell c = r.exampleCell();
    b.append(
        String.format(
            Locale.ROOT,
            "</table>\n<p>Cell %s (%s, %,d tokens) starts with %s: its type's markers rank"
                + " first, which is what rank-value encoding is for.</p>%n",
            esc(c.cellId()),
            esc(c.cellType()),
            c.length(),
            esc(String.join(", ", c.topGenes()))));
  }

  private static void embeddings(StringBuilder b, DemoResult r) {
    b.append("<h2>Embeddings</h2>\n");
    b.append(
        String.format(
            Locale.ROOT,
            "<p id=\"embedded\">%,d cells embedded (mean of the gene tokens of the second-to-last"
                + " layer); the first two principal components hold <span id=\"pc1\">%s</span>"
                + " and <span id=\"pc2\">%s</span> of the variance.</p>%n",
            r.embed().cells(),
            Figures.percent(r.pca()[0]),
            Figures.percent(r.pca()[1])));
    b.append("<img src=\"embeddings.png\" alt=\"cell embeddings\">\n");
  }

  private static void screen(StringBuilder b, DemoResult r) {
    b.append(
        String.format(
            Locale.ROOT,
            "<h2>Perturbation screen: every gene deleted in %s cells, shift toward %s</h2>%n",
            esc(r.startState()),
            esc(r.goalState())));
    b.append(
        String.format(
            Locale.ROOT,
            "<p id=\"screen\">%,d cells, %,d deletions; %,d genes tested (rank-sum test of each"
                + " gene's shifts against the pool of all shifts, Benjamini-Hochberg FDR), %,d"
                + " with FDR below %s. With a random model and %,d cells, none is expected to"
                + " matter.</p>%n",
            r.perturb().cells(),
            r.perturb().rows(),
            r.screen().genes(),
            r.screen().significant(),
            Figures.text(r.screen().fdrThreshold()),
            r.perturb().cells()));
    b.append(
        String.format(
            Locale.ROOT,
            "<p>The tables list genes deleted in at least %d of the %d cells (the full table:"
                + " <a href=\"../stats/goal_state_shift.csv\">goal_state_shift.csv</a>).</p>%n",
            DemoJob.MIN_CELLS_SHOWN,
            r.perturb().cells()));
    shiftTable(b, "toward", "Most toward " + r.goalState(), r.towardGoal());
    shiftTable(b, "away", "Most away from " + r.goalState(), r.awayFromGoal());
    b.append("<img src=\"shifts.png\" alt=\"shifts toward the goal state\">\n");
  }

  private static void shiftTable(
      StringBuilder b, String id, String title, List<DemoResult.GeneShift> genes) {
    b.append(String.format(Locale.ROOT, "<h3>%s</h3>%n", esc(title)));
    b.append(
        String.format(
            Locale.ROOT,
            "<table id=\"%s\"><tr><th>gene</th><th>mean shift</th><th>p-value</th><th>FDR</th>"
                + "<th>cells</th></tr>%n",
            id));
    for (DemoResult.GeneShift g : genes) {
      b.append(
          String.format(
              Locale.ROOT,
              "<tr><td>%s</td><td>%s</td><td>%s</td><td>%s</td><td>%d</td></tr>%n",
              esc(g.gene()),
              Figures.html(g.shiftToGoal()),
              Figures.html(g.pValue()),
              Figures.html(g.fdr()),
              g.cells()));
    }
    b.append("</table>\n");
  }

  private static void classifier(StringBuilder b, DemoResult r) {
    b.append("<h2>Cell type classifier on the embeddings</h2>\n");
    b.append(
        String.format(
            Locale.ROOT,
            "<p id=\"classify\">%s, donors held out: test accuracy <b>%.3f</b>, macro-F1 %.3f"
                + " (chance is 0.25: the tiny random model's mean-pooled embeddings barely reflect"
                + " a few marker genes among a thousand; a trained Geneformer checkpoint separates"
                + " these types).</p>%n",
            esc(r.classifier()),
            r.testAccuracy(),
            r.testMacroF1()));
    b.append("<img src=\"confusion_matrix.png\" alt=\"confusion matrix\">\n");
  }

  /** Every output the demo wrote, linked relative to the report (those that exist). */
  private static void outputs(StringBuilder b, Path reportFolder) {
    Map<String, String> links = new LinkedHashMap<>();
    links.put("../tokens/", "token table (Parquet; _cellspark.json: QC counts, vocabulary)");
    links.put("../embeddings/cells/", "cell embeddings (Parquet, ML vectors)");
    links.put("../embeddings/state_embeddings/", "mean embedding per cell type");
    links.put("../screen/cell_shifts/", "every deletion's shift, per cell (Parquet)");
    links.put("../stats/goal_state_shift.csv", "per-gene statistics (CSV, upstream's columns)");
    links.put("../stats/goal_state_shift/", "the same as Parquet");
    links.put("../classify/metrics.json", "classifier metrics per split");
    links.put("../classify/per_class.csv", "precision, recall, F1 per class");
    links.put("../classify/confusion_matrix.csv", "confusion matrix (CSV)");
    links.put("../classify/predictions/", "each cell's predicted type");
    links.put("../classify/model/", "the fitted MLlib pipeline");
    b.append("<h2>Outputs</h2>\n<ul id=\"outputs\">\n");
    links.forEach(
        (href, what) -> {
          if (Files.exists(reportFolder.resolve(href).normalize())) {
            b.append(
                String.format(
                    Locale.ROOT, "<li><a href=\"%s\">%s</a>: %s</li>%n", href, href, esc(what)));
          }
        });
    b.append("</ul>\n");
  }

  private static void runs(StringBuilder b, List<DemoResult.JobRun> runs) {
    b.append(
        "<h2>Settings and timings</h2>\n<table id=\"runs\"><tr><th>job</th><th>seconds</th>"
            + "<th style=\"text-align:left\">options (from its _cellspark.json)</th></tr>\n");
    for (DemoResult.JobRun run : runs) {
      String options =
          run.options().entrySet().stream()
              .filter(e -> e.getValue() != null)
              .map(e -> e.getKey() + "=" + e.getValue())
              .collect(Collectors.joining(", "));
      b.append(
          String.format(
              Locale.ROOT,
              "<tr><td>%s</td><td>%.1f</td><td"
                  + " style=\"text-align:left\"><code>%s</code></td></tr>%n",
              esc(run.job()),
              run.seconds(),
              esc(options)));
    }
    b.append("</table>\n");
  }

  private static void row(StringBuilder b, String what, String value) {
    b.append(String.format(Locale.ROOT, "<tr><td>%s</td><td>%s</td></tr>%n", esc(what), value));
  }

  private static String esc(String s) {
    return s.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;");
  }
}
