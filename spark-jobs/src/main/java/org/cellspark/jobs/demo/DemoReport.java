package org.cellspark.jobs.demo;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;

/**
 * report.html: the demo's numbers as tables, with its plots beside them (PNG files in the same
 * folder).
 */
final class DemoReport {
  private DemoReport() {}

  static void write(DemoResult r, Path html) throws IOException {
    StringBuilder b = new StringBuilder();
    b.append("<!DOCTYPE html>\n<html><head><meta charset=\"utf-8\"><title>Cellspark demo</title>\n")
        .append(
            "<style>body{font-family:sans-serif;max-width:60em;margin:2em"
                + " auto}table{border-collapse:collapse}")
        .append(
            "td,th{border:1px solid #ccc;padding:.2em"
                + " .6em;text-align:right}td:first-child,th:first-child{text-align:left}</style>")
        .append("</head><body>\n<h1>Cellspark demo</h1>\n");
    b.append(
        String.format(
            Locale.ROOT,
            "<p>%,d cells of %s tokenized with Geneformer's V1 vocabulary, embedded with a tiny"
                + " random model (no biology: the plots show the pipeline, not findings), screened,"
                + " tested and classified.</p>%n",
            r.tokenize().cellsWritten(),
            esc(r.atlas())));
    b.append(
        "<h2>Cells</h2>\n"
            + "<table id=\"cells\"><tr><th>cell type</th><th>cells</th><th>mean"
            + " tokens</th></tr>\n");
    for (DemoResult.CellTypeSummary t : r.byCellType()) {
      b.append(
          String.format(
              Locale.ROOT,
              "<tr><td>%s</td><td>%d</td><td>%.1f</td></tr>%n",
              esc(t.cellType()),
              t.cells(),
              t.meanLength()));
    }
    b.append("</table>\n<h2>Embeddings</h2>\n");
    b.append(
        String.format(
            Locale.ROOT,
            "<p id=\"embedded\">%d cells embedded (%s).</p>%n",
            r.embed().cells(),
            esc(r.embed().output())));
    b.append("<img src=\"embeddings.png\" alt=\"cell embeddings\">\n");
    b.append(
        String.format(
            Locale.ROOT,
            "<h2>Perturbation screen: %s cells, deleted genes, shift toward %s</h2>%n",
            esc(r.startState()),
            esc(r.goalState())));
    b.append(
        String.format(
            Locale.ROOT,
            "<p id=\"screen\">%d cells, %d perturbations.</p>%n",
            r.perturb().cells(),
            r.perturb().rows()));
    b.append("<table id=\"shifts\"><tr><th>gene</th><th>shift to goal</th><th>cells</th></tr>\n");
    for (DemoResult.GeneShift s : r.shifts()) {
      b.append(
          String.format(
              Locale.ROOT,
              "<tr><td>%s</td><td>%.6f</td><td>%d</td></tr>%n",
              esc(s.gene()),
              s.shiftToGoal(),
              s.cells()));
    }
    b.append("</table>\n<img src=\"shifts.png\" alt=\"shifts toward the goal state\">\n");
    b.append("<h2>Cell type classifier on the embeddings</h2>\n");
    b.append(
        String.format(
            Locale.ROOT,
            "<p id=\"classify\">%s, donors held out: test accuracy <b>%.4f</b>, macro-F1 %.4f"
                + " (chance is 0.25: the tiny random model's mean-pooled embeddings barely reflect"
                + " eight marker genes among a thousand; run the same pipeline with a trained"
                + " Geneformer checkpoint for real embeddings).</p>%n",
            esc(r.classifier()),
            r.testAccuracy(),
            r.testMacroF1()));
    b.append("<img src=\"confusion_matrix.png\" alt=\"confusion matrix\">\n</body></html>\n");
    Files.writeString(html, b.toString(), StandardCharsets.UTF_8);
  }

  private static String esc(String s) {
    return s.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;");
  }
}
