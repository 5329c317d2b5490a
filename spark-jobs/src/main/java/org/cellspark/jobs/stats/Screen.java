package org.cellspark.jobs.stats;

import static org.apache.spark.sql.functions.array_join;
import static org.apache.spark.sql.functions.col;
import static org.apache.spark.sql.functions.expr;
import static org.apache.spark.sql.functions.lit;
import static org.apache.spark.sql.functions.transform;
import static org.apache.spark.sql.functions.when;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.InputStream;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;
import org.apache.spark.sql.Column;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;
import org.cellspark.error.UserException;
import org.cellspark.io.PathGlobs;
import org.cellspark.jobs.common.StagedOutput;
import org.cellspark.jobs.perturb.PerturbOptions;

/**
 * A finished `cellspark perturb` output, as the statistics read it: its summary (what was
 * perturbed, which states) and its tables. A screen stopped midway has no summary and no tables
 * (they appear only on success), so it is refused here rather than half-counted.
 *
 * <p>Every row is keyed by its perturbation without the anchor gene: the gene for one-gene and
 * anchor screens (upstream keys anchor screens by the partner gene too), the group for groups.
 */
record Screen(
    String folder,
    String perturbation,
    boolean allGenes,
    boolean group,
    Integer anchor,
    PerturbOptions.States states,
    Dataset<Row> cellShifts,
    Dataset<Row> geneShifts) {

  static final String GENE = "Gene";
  static final String GENE_NAME = "Gene_name";
  static final String ENSEMBL_ID = "Ensembl_ID";

  static Screen read(SparkSession spark, String folder, String option) {
    JsonNode summary = summary(spark, folder, option);
    JsonNode o = summary.get("options");
    String perturbation = o.path("perturbation").asText();
    JsonNode genes = o.path("genes");
    boolean all = genes.isTextual() && genes.asText().equals("all");
    Integer anchor =
        o.path("anchor_gene").isNull() || o.path("anchor_gene").isMissingNode()
            ? null
            : o.get("anchor_gene").asInt();
    PerturbOptions.States states =
        o.path("states").isTextual() ? PerturbOptions.States.parse(o.get("states").asText()) : null;
    Dataset<Row> cells = table(spark, folder, "cell_shifts", option, true);
    if (states != null) {
      for (String s : states.all()) {
        requireColumn(cells, PerturbOptions.States.shiftColumn(s), folder, "cell_shifts");
      }
    }
    Dataset<Row> pairs = table(spark, folder, "gene_shifts", option, false);
    return new Screen(
        folder, perturbation, all, o.path("group").asBoolean(false), anchor, states, cells, pairs);
  }

  private static JsonNode summary(SparkSession spark, String folder, String option) {
    Path dir = new Path(folder);
    try {
      FileSystem fs = dir.getFileSystem(spark.sparkContext().hadoopConfiguration());
      if (!fs.exists(dir)) {
        throw UserException.of(
            "%s %s does not exist; pass the output folder of cellspark perturb", option, folder);
      }
      Path file = new Path(dir, StagedOutput.SUMMARY_FILE);
      if (!fs.exists(file)) {
        throw UserException.of(
            "%s %s has no %s: it is not the output of a finished cellspark perturb run"
                + " (a stopped screen resumes when run again)",
            option, folder, StagedOutput.SUMMARY_FILE);
      }
      try (InputStream in = fs.open(file)) {
        JsonNode json = new ObjectMapper().readTree(in);
        if (!"perturb".equals(json.path("job").asText()) || !json.path("options").isObject()) {
          throw UserException.of(
              "%s %s was written by cellspark %s, not cellspark perturb; pass a perturb output"
                  + " folder",
              option, folder, json.path("job").asText("(unknown)"));
        }
        return json;
      }
    } catch (IOException e) {
      throw UserException.because(e, "Cannot read %s %s: %s", option, folder, e.getMessage());
    }
  }

  private static Dataset<Row> table(
      SparkSession spark, String folder, String name, String option, boolean required) {
    Path path = new Path(folder, name);
    try {
      if (!path.getFileSystem(spark.sparkContext().hadoopConfiguration()).exists(path)) {
        if (required) {
          throw UserException.of(
              "%s %s has no %s/ table; pass a complete cellspark perturb output folder",
              option, folder, name);
        }
        return null;
      }
    } catch (IOException e) {
      throw UserException.because(e, "Cannot read %s %s: %s", option, folder, e.getMessage());
    }
    return spark.read().parquet(PathGlobs.literal(path.toString()));
  }

  private static void requireColumn(Dataset<Row> table, String column, String folder, String name) {
    if (!Arrays.asList(table.columns()).contains(column)) {
      throw UserException.of(
          "%s/%s has no column %s although its summary names that state; the folder was changed"
              + " after perturb wrote it: run the screen again",
          folder, name, column);
    }
  }

  /** The key columns every per-gene table starts with: Gene, Gene_name, Ensembl_ID. */
  static StructType geneColumns() {
    return new StructType()
        .add(GENE, DataTypes.StringType, false)
        .add(GENE_NAME, DataTypes.StringType)
        .add(ENSEMBL_ID, DataTypes.StringType);
  }

  /** Upstream's name for the screen's genes: "all" or the list. */
  String genesLabel() {
    return allGenes ? "all" : group ? "group" : "each listed gene";
  }

  /**
   * cell_shifts with the key columns Gene (tokens joined by '+'), Gene_name, Ensembl_ID and _key
   * (the token array).
   */
  Dataset<Row> keyedCells() {
    return keyed(cellShifts, "perturbed_tokens", "perturbed_symbols", "perturbed_genes");
  }

  /** gene_shifts with the same key columns for the perturbation. */
  Dataset<Row> keyedPairs() {
    return keyed(geneShifts, "perturbed_tokens", "perturbed_symbols", "perturbed");
  }

  private Dataset<Row> keyed(Dataset<Row> t, String tokens, String symbols, String ids) {
    return t.withColumn("_key", withoutAnchor(tokens))
        .withColumn(
            GENE, array_join(transform(col("_key"), x -> x.cast(DataTypes.StringType)), "+"))
        .withColumn(GENE_NAME, emptyAsNull(array_join(withoutAnchor(symbols), "+")))
        .withColumn(ENSEMBL_ID, emptyAsNull(array_join(withoutAnchor(ids), "+")));
  }

  private static Column emptyAsNull(Column c) {
    return when(c.notEqual(lit("")), c);
  }

  /** An anchor screen's arrays are [anchor, gene]: the key is the gene. */
  private Column withoutAnchor(String column) {
    return anchor == null
        ? col(column)
        : expr("slice(" + column + ", 2, size(" + column + ") - 1)");
  }

  /** The shift column toward the goal, then one per alternative state. */
  List<String> goalAndAlternativeColumns() {
    List<String> out = new ArrayList<>();
    out.add(PerturbOptions.States.shiftColumn(states.goal()));
    states.alternatives().forEach(a -> out.add(PerturbOptions.States.shiftColumn(a)));
    return out;
  }

  Map<String, Object> describe() {
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("folder", folder);
    m.put("perturbation", perturbation);
    m.put("genes", genesLabel());
    m.put("anchor_gene", anchor);
    m.put("states", states == null ? null : states.toString());
    return m;
  }
}
