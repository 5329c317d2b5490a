package org.cellspark.jobs.classify;

import static org.apache.spark.sql.functions.array_max;
import static org.apache.spark.sql.functions.col;

import java.io.IOException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.apache.hadoop.fs.Path;
import org.apache.spark.ml.PipelineModel;
import org.apache.spark.ml.Transformer;
import org.apache.spark.ml.classification.ProbabilisticClassificationModel;
import org.apache.spark.ml.feature.IndexToString;
import org.apache.spark.ml.functions;
import org.apache.spark.ml.linalg.Vector;
import org.apache.spark.sql.Column;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.cellspark.error.UserException;
import org.cellspark.io.PathGlobs;
import org.cellspark.jobs.common.EmbeddingTable;
import org.cellspark.jobs.common.JobScope;
import org.cellspark.jobs.common.JobSummary;
import org.cellspark.jobs.common.OptionProblems;
import org.cellspark.jobs.common.StagedOutput;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * `cellspark classify apply`: labels new cells with a classifier `cellspark classify` trained.
 * Writes predictions/ (the input's columns but the embedding, then predicted, confidence,
 * probability) and _cellspark.json.
 */
public final class ClassifierApply {
  private static final Logger LOG = LoggerFactory.getLogger(ClassifierApply.class);

  /**
   * @param model a `cellspark classify` output folder (or its model/ folder)
   * @param embeddings embeddings of the cells to label (as for training)
   * @param output the folder to write
   * @param overwrite replace an existing output folder
   * @param label the column of the cells' known labels to score the predictions against; null: none
   */
  public record Options(
      String model, String embeddings, String output, boolean overwrite, String label) {
    public Options(String model, String embeddings, String output, boolean overwrite) {
      this(model, embeddings, output, overwrite, null);
    }

    public Options {
      OptionProblems problems = new OptionProblems();
      if (model == null || model.isBlank()) {
        problems.add("--model is required (a cellspark classify output folder)");
      }
      if (embeddings == null || embeddings.isBlank()) {
        problems.add("--embeddings is required");
      }
      if (output == null || output.isBlank()) {
        problems.add("--output is required");
      }
      problems.throwIfAny();
    }
  }

  /** Labels the cells, and with a label column scores the labels against it. */
  public static Applied run(SparkSession spark, Options o) {
    long start = System.nanoTime();
    PipelineModel model = load(spark, o.model());
    ProbabilisticClassificationModel<?, ?> classifier = null;
    String[] classes = null;
    for (Transformer t : model.stages()) {
      if (t instanceof ProbabilisticClassificationModel<?, ?> c) {
        classifier = c;
      } else if (t instanceof IndexToString d) {
        classes = d.getLabels();
      }
    }
    if (classifier == null || classes == null) {
      throw UserException.of(
          "--model %s is an MLlib pipeline, but not one cellspark classify wrote (no classifier and"
              + " label decoder in it)",
          o.model());
    }
    Dataset<Row> cells = EmbeddingTable.read(spark, o.embeddings(), "--embeddings");
    if (o.label() != null) {
      EmbeddingTable.requireColumn(cells, o.label(), "--embeddings", o.embeddings());
    }
    List<Row> sample = cells.select(EmbeddingTable.EMBEDDING).limit(1).collectAsList();
    Row first = sample.isEmpty() ? null : sample.get(0);
    if (first != null && first.<Vector>getAs(0).size() != classifier.numFeatures()) {
      throw UserException.of(
          "--embeddings %s has %d-dimensional embeddings, the model was trained on %d: embed the"
              + " cells with the model (and layer) the classifier was trained on",
          o.embeddings(), first.<Vector>getAs(0).size(), classifier.numFeatures());
    }
    StagedOutput out =
        StagedOutput.prepare(
            o.output(),
            o.overwrite(),
            spark.sparkContext().hadoopConfiguration(),
            List.of(o.embeddings(), o.model()));
    try (JobScope job = JobScope.start(spark.sparkContext(), "cellspark classify apply", out)) {
      List<Column> keep = new ArrayList<>();
      for (String c : cells.columns()) {
        if (!c.equals(EmbeddingTable.EMBEDDING)) {
          keep.add(col(c));
        }
      }
      keep.add(col("predicted"));
      keep.add(functions.vector_to_array(col("probability"), "float64").as("probability"));
      model
          .transform(cells)
          .select(keep.toArray(new Column[0]))
          .withColumn("confidence", array_max(col("probability")))
          .write()
          .parquet(out.stagingLocation() + "/predictions");
      Dataset<Row> written = spark.read().parquet(out.stagedTable("predictions"));
      long rows = written.count();
      List<KnownLabels> scores =
          o.label() == null
              ? List.of()
              : List.of(
                  KnownLabels.score(
                      written,
                      o.label(),
                      "predicted",
                      "probability",
                      Arrays.asList(classes),
                      null));
      double seconds = (System.nanoTime() - start) / 1e9;
      Map<String, Object> options = new LinkedHashMap<>();
      options.put("model", o.model());
      options.put("embeddings", o.embeddings());
      options.put("label", o.label());
      JobSummary summary =
          new JobSummary("classify apply")
              .put("options", options)
              .put("classes", Arrays.asList(classes))
              .put("counts", Map.of("cells", rows));
      Applied applied = Applied.commit(job, out, summary, rows, scores, false, seconds);
      LOG.info(
          String.format(
              Locale.ROOT,
              "classify apply: %,d cells labelled in %.1f s to %s",
              rows,
              seconds,
              out.targetLocation()));
      return applied;
    }
  }

  private static PipelineModel load(SparkSession spark, String folder) {
    Path dir = new Path(folder);
    try {
      var fs = dir.getFileSystem(spark.sparkContext().hadoopConfiguration());
      if (!fs.exists(dir)) {
        throw UserException.of(
            "--model %s does not exist; pass the output folder of cellspark classify", folder);
      }
      Path modelDir =
          fs.exists(new Path(dir, ClassifyJob.MODEL)) ? new Path(dir, ClassifyJob.MODEL) : dir;
      if (!fs.exists(new Path(modelDir, "metadata"))) {
        throw UserException.of(
            "--model %s holds no MLlib model (no %s/metadata); pass the output folder of cellspark"
                + " classify",
            folder, ClassifyJob.MODEL);
      }
      // MLlib reads through textFile, which reads a path as a glob pattern.
      return PipelineModel.load(PathGlobs.literal(modelDir.toString()));
    } catch (IOException e) {
      throw UserException.because(e, "Cannot read --model %s: %s", folder, e.getMessage());
    }
  }

  private ClassifierApply() {}
}
