package org.cellspark.jobs.finetune;

import static org.apache.spark.sql.functions.col;
import static org.apache.spark.sql.functions.udf;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.apache.spark.sql.Column;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.api.java.UDF1;
import org.apache.spark.sql.expressions.UserDefinedFunction;
import org.apache.spark.sql.types.DataTypes;
import org.cellspark.error.UserException;
import org.cellspark.files.FileSystemHints;
import org.cellspark.files.HadoopConfs;
import org.cellspark.files.Locations;
import org.cellspark.infer.BatchBudget;
import org.cellspark.infer.EmbeddingSettings;
import org.cellspark.infer.ModelCheck;
import org.cellspark.infer.Pooling;
import org.cellspark.jobs.classify.Applied;
import org.cellspark.jobs.classify.KnownLabels;
import org.cellspark.jobs.common.JobScope;
import org.cellspark.jobs.common.JobSummary;
import org.cellspark.jobs.common.OptionProblems;
import org.cellspark.jobs.common.StagedOutput;
import org.cellspark.jobs.common.TokenTable;
import org.cellspark.model.Precision;
import org.cellspark.spark.EmbedTransform;
import org.cellspark.spark.ResolvedModel;
import org.cellspark.spark.ShippedFiles;
import org.cellspark.spark.TokenProfiles;
import org.cellspark.vocab.Vocabulary;
import org.cellspark.vocab.VocabularyLoader;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import scala.collection.Seq;

/**
 * `cellspark classify apply --tokens`: labels cells with a model `cellspark finetune` wrote. The
 * executors pool each cell's last hidden states as the model's head was trained to read them (the
 * batched embed transform, layer 0), and the head's linear layer and softmax give each class's
 * probability. Writes predictions/ (the token table's columns but the tokens, then predicted,
 * confidence, probability) and _cellspark.json.
 */
public final class FineTunedApply {
  private static final Logger LOG = LoggerFactory.getLogger(FineTunedApply.class);

  private FineTunedApply() {}

  /**
   * @param model a `cellspark finetune` output folder, or its model/ folder
   * @param tokens the token table of the cells to label
   * @param vocabulary the tokens' vocabulary; null = the one the table's summary names
   * @param labels the columns of the cells' known labels to score the predictions against: one for
   *     a finetune model, tasks' columns for a finetune-multitask one; none: not scored
   * @param classes for a classifier upstream fine-tuned: its id_class_dict file naming the classes;
   *     null: config.json's id2label
   * @param precision what the encoder computes in: fp32; fp16 on GPU executors; bf16 on GPUs and
   *     CPUs (a finetune-multitask model: fp32 or bf16)
   */
  public record Options(
      String model,
      String tokens,
      String vocabulary,
      String output,
      boolean overwrite,
      List<String> labels,
      String classes,
      Precision precision) {
    public Options(
        String model, String tokens, String vocabulary, String output, boolean overwrite) {
      this(model, tokens, vocabulary, output, overwrite, List.of(), null, Precision.FP32);
    }

    public Options {
      precision = precision == null ? Precision.FP32 : precision;
      OptionProblems problems = new OptionProblems();
      problems.requireValue(model, "--model is required (a cellspark finetune output folder)");
      problems.requireValue(tokens, "--tokens is required (the cells to label)");
      problems.requireValue(output, "--output is required");
      labels = labels == null ? List.of() : List.copyOf(labels);
      problems.throwIfAny();
    }
  }

  /** Refuses a label column the token table lacks, naming its columns. */
  public static void requireLabelColumns(Dataset<Row> cells, Options o) {
    List<String> columns = java.util.Arrays.asList(cells.columns());
    for (String label : o.labels()) {
      if (!columns.contains(label)) {
        throw UserException.of(
            "--label %s: %s has no column '%s' (columns: %s); tokenize with --attribute %s to keep"
                + " it",
            label, o.tokens(), label, String.join(", ", columns), label);
      }
    }
  }

  /** Labels the cells, and with a label column scores the labels against it. */
  public static Applied run(SparkSession spark, Options o) {
    long start = System.nanoTime();
    Path folder = modelFolder(o.model());
    ClassifierHead head = ClassifierHead.read(folder, o.model(), o.classes());
    if (o.labels().size() > 1) {
      throw UserException.of(
          "--label %s: a finetune model predicts one label; give the one column that holds it",
          String.join(",", o.labels()));
    }
    TokenTable table = TokenTable.read(spark, o.tokens());
    requireLabelColumns(table.cells(), o);
    String vocabularyLocation = table.vocabulary(o.vocabulary(), o.tokens());
    Vocabulary v = VocabularyLoader.load(vocabularyLocation);
    StagedOutput out =
        StagedOutput.prepare(
            o.output(),
            o.overwrite(),
            spark.sparkContext().hadoopConfiguration(),
            List.of(o.tokens(), o.model()));
    try (JobScope job = JobScope.start(spark.sparkContext(), "cellspark classify apply", out)) {
      EmbeddingSettings settings = EmbeddingSettings.of(0, head.pooling(), BatchBudget.AUTO, v);
      EmbedTransform.Options embed = EmbedTransform.Options.of(forExecutors(o.model()), settings);
      Dataset<Row> pooled =
          EmbedTransform.apply(
              table.cells(),
              new EmbedTransform.Options(
                  embed.model(),
                  settings,
                  embed.inputColumn(),
                  "_pooled",
                  embed.idColumn(),
                  embed.windowTokens(),
                  o.precision(),
                  null),
              v);
      // A cell holding no gene (<cls> and <eos> alone) has no mean to pool: no prediction.
      scored(pooled.filter(col("_pooled").isNotNull()), TokenTable.cellColumns(table.cells()), head)
          .write()
          .parquet(out.stagingLocation() + "/predictions");
      Dataset<Row> written = spark.read().parquet(out.stagedTable("predictions"));
      long rows = written.count();
      List<KnownLabels> scores =
          o.labels().stream()
              .map(
                  l ->
                      KnownLabels.score(
                          written, l, "predicted", "probability", List.of(head.classes()), null))
              .toList();
      long cells = table.cells().count();
      if (rows < cells) {
        LOG.warn(
            "classify apply: {} cell(s) hold no gene (special tokens alone), so have no mean to"
                + " pool: left out of predictions/",
            cells - rows);
      }
      double seconds = (System.nanoTime() - start) / 1e9;
      Map<String, Object> options = new LinkedHashMap<>();
      options.put("model", o.model());
      options.put("tokens", o.tokens());
      options.put("vocabulary", vocabularyLocation);
      options.put("label", o.labels().isEmpty() ? null : o.labels().get(0));
      options.put("precision", o.precision().name().toLowerCase(Locale.ROOT));
      JobSummary summary =
          new JobSummary("classify apply")
              .put("options", options)
              .put("classes", List.of(head.classes()))
              .put(
                  "head",
                  head.upstream()
                      ? "upstream's (BERT pooler on position 0, then the classifier)"
                      : "cellspark finetune's, on the "
                          + head.pooling().name().toLowerCase(Locale.ROOT)
                          + " of the last layer")
              .put("counts", Map.of("cells", rows));
      Applied applied = Applied.commit(job, out, summary, rows, scores, false, seconds);
      LOG.info(
          String.format(
              Locale.ROOT,
              "classify apply: %,d cells labelled with a fine-tuned model in %.1f s to %s",
              rows,
              seconds,
              out.targetLocation()));
      return applied;
    }
  }

  /**
   * The token table's columns but the tokens, then predicted, confidence and probability, from each
   * cell's pooled vector.
   */
  private static Dataset<Row> scored(
      Dataset<Row> pooled, List<String> columns, ClassifierHead head) {
    UserDefinedFunction probabilities =
        udf(new Scores(head), DataTypes.createArrayType(DataTypes.DoubleType, false));
    List<Column> keep = new ArrayList<>();
    for (String c : columns) {
      keep.add(col(c));
    }
    Dataset<Row> scored = pooled.withColumn("probability", probabilities.apply(col("_pooled")));
    UserDefinedFunction predicted = udf(new Predicted(head.classes()), DataTypes.StringType);
    keep.add(predicted.apply(col("probability")).as("predicted"));
    keep.add(org.apache.spark.sql.functions.array_max(col("probability")).as("confidence"));
    keep.add(col("probability"));
    return scored.select(keep.toArray(new Column[0]));
  }

  /**
   * The model folder {@code --model} names on this node: a fine-tune's output folder (its model/)
   * or the model folder itself, local, a file: URI, or shipped with the job.
   */
  /**
   * Checks a fine-tuned model against the cells it is to label ({@link ModelCheck}: token ids in
   * its vocabulary, none null, the longest cell within its positions), on the driver, before any
   * cell reaches the model: what {@link EmbedTransform#apply} does for the cell classifiers, for
   * the jobs that run the model themselves (multi-task and gene classifiers).
   */
  public static void checkModel(Dataset<Row> cells, String model, Vocabulary v) {
    ModelCheck.check(
        ResolvedModel.of(forExecutors(model)).config(),
        model,
        TokenProfiles.of(cells, "input_ids", "cell_id", v),
        EmbeddingSettings.of(0, Pooling.MEAN, BatchBudget.AUTO, v));
  }

  public static Path modelFolder(String model) {
    if (Locations.isRemote(model)) {
      return ShippedFiles.resolve(remoteModelFolder(model));
    }
    Path given = given(model);
    return hasModelSubfolder(given) ? given.resolve("model") : given;
  }

  /**
   * The model folder as the executors are to name it, each resolving it on its own node: a folder
   * shipped with {@code --archives} has a path of its own on every node, and the driver's copy is
   * not on the executors' (the name as the user gave it, with {@code /model} for a finetune output
   * folder); a {@code file:} URI as its local path.
   */
  public static String forExecutors(String model) {
    if (Locations.isRemote(model)) {
      return remoteModelFolder(model); // each node copies it from the store
    }
    Path given = given(model);
    String spec = model.startsWith("file:") ? given.toString() : model;
    return hasModelSubfolder(given) ? spec + "/model" : spec;
  }

  /** The folder the user named, on this node: a local folder, or one shipped with the job. */
  private static Path given(String model) {
    return model.startsWith("file:")
        ? Path.of(new org.apache.hadoop.fs.Path(model).toUri().getPath()) // spaces as typed
        : ShippedFiles.resolve(model); // a local folder (or one shipped with the job)
  }

  /**
   * The model folder of a remote {@code --model}: its model/ when it is a finetune output folder
   * (looked for in the store, so that only the model is copied, not the predictions beside it).
   */
  private static String remoteModelFolder(String model) {
    String folder = model.replaceAll("/+$", "");
    org.apache.hadoop.fs.Path config = new org.apache.hadoop.fs.Path(folder + "/model/config.json");
    try {
      return config.getFileSystem(HadoopConfs.forThisJvm()).exists(config)
          ? folder + "/model"
          : model;
    } catch (java.io.IOException e) {
      throw UserException.because(
          e, "Cannot read --model %s: %s", model, FileSystemHints.explain(model, e));
    }
  }

  /** A finetune output folder holds its model in model/. */
  private static boolean hasModelSubfolder(Path given) {
    return Files.isRegularFile(given.resolve("model/config.json"));
  }

  /** Each class's probability from a cell's pooled vector, by the model's head. */
  private static final class Scores implements UDF1<Seq<Float>, double[]> {
    private static final long serialVersionUID = 1L;
    private final ClassifierHead head;

    Scores(ClassifierHead head) {
      this.head = head;
    }

    @Override
    public double[] call(Seq<Float> pooled) {
      float[] x = new float[pooled.size()];
      for (int i = 0; i < x.length; i++) {
        x[i] = pooled.apply(i);
      }
      return head.probabilities(x);
    }
  }

  /** The most probable class's name. */
  private static final class Predicted implements UDF1<Seq<Double>, String> {
    private static final long serialVersionUID = 1L;
    private final String[] classes;

    Predicted(String[] classes) {
      this.classes = classes;
    }

    @Override
    public String call(Seq<Double> p) {
      int best = 0;
      for (int k = 1; k < p.size(); k++) {
        best = p.apply(k) > p.apply(best) ? k : best;
      }
      return classes[best];
    }
  }
}
