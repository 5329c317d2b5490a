package org.cellspark.jobs.genes;

import java.nio.file.Path;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;
import org.apache.hadoop.conf.Configuration;
import org.apache.spark.api.java.JavaRDD;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;
import org.apache.spark.storage.StorageLevel;
import org.cellspark.error.UserException;
import org.cellspark.infer.BatchBudget;
import org.cellspark.infer.EmbeddingSettings;
import org.cellspark.infer.Pooling;
import org.cellspark.jobs.classify.ClassMetrics;
import org.cellspark.jobs.classify.ConfusionHeatmap;
import org.cellspark.jobs.classify.RocCurves;
import org.cellspark.jobs.common.CellSelection;
import org.cellspark.jobs.common.CsvField;
import org.cellspark.jobs.common.GeneList;
import org.cellspark.jobs.common.GeneNames;
import org.cellspark.jobs.common.JobScope;
import org.cellspark.jobs.common.JobSummary;
import org.cellspark.jobs.common.OptionProblems;
import org.cellspark.jobs.common.StagedOutput;
import org.cellspark.jobs.common.TokenTable;
import org.cellspark.jobs.finetune.ClassifierHead;
import org.cellspark.jobs.finetune.FineTunedApply;
import org.cellspark.model.Precision;
import org.cellspark.vocab.Vocabulary;
import org.cellspark.vocab.VocabularyLoader;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import scala.Tuple2;

/**
 * `cellspark classify apply --tokens` with a gene classifier (a {@code cellspark finetune-genes}
 * fold model, or one upstream's {@code Classifier(classifier="gene")} fine-tuned): every occurrence
 * of the genes asked for, in every cell, classified from its last hidden state where the cells are;
 * each gene's prediction is the class of highest mean probability over its occurrences (as
 * finetune-genes' predictions.csv). With genes of known classes (upstream's gene_class_dict), the
 * scores are upstream's {@code evaluate_saved_model} for a gene classifier: every occurrence of a
 * labelled gene one sample (accuracy, macro-F1, confusion matrix, two-class ROC), and, beside them,
 * each gene's verdict.
 */
public final class GeneClassifierApply {
  private static final Logger LOG = LoggerFactory.getLogger(GeneClassifierApply.class);

  private GeneClassifierApply() {}

  /**
   * @param genes the genes to classify: {@code all} (every gene of the vocabulary), or names and
   *     files of them as perturb's --genes takes them; the known classes' genes are always added
   * @param geneClasses upstream's gene_class_dict (pickle, JSON or a gene,class table) to score the
   *     predictions against; null: not scored
   * @param classes upstream's id_class_dict naming the model's classes; null: id2label
   * @param maxCells at most this many cells (the smallest seeded hashes of cell_id); 0: all
   * @param precision what the encoder computes in: fp32; fp16 on GPU executors; bf16 on GPUs and
   *     CPUs (the head's softmax is fp64 either way)
   */
  public record Options(
      String model,
      String tokens,
      String vocabulary,
      String output,
      boolean overwrite,
      List<String> genes,
      String geneClasses,
      String classes,
      long maxCells,
      long seed,
      Precision precision) {
    public Options {
      precision = precision == null ? Precision.FP32 : precision;
      OptionProblems problems = new OptionProblems();
      problems.requireValue(model, "--model is required (a gene classifier's folder)");
      problems.requireValue(tokens, "--tokens is required (the cells whose genes to classify)");
      problems.requireValue(output, "--output is required");
      genes = genes == null || genes.isEmpty() ? List.of("all") : List.copyOf(genes);
      if (maxCells < 0) {
        problems.add("--max-cells must be 0 (every cell) or a positive number; got " + maxCells);
      }
      problems.throwIfAny();
    }
  }

  /**
   * What the run did: the genes classified and, with known classes, the scores.
   *
   * @param metrics per-occurrence scores of the labelled genes; null without --gene-classes
   * @param genesRight labelled genes whose mean-probability class is theirs (-1 without)
   */
  public record Result(
      long cells,
      int genes,
      long occurrences,
      ClassMetrics metrics,
      double rocAuc,
      int genesScored,
      int genesRight) {
    /** One line for the console and the log. */
    public String line() {
      if (metrics == null) {
        return String.format(
            Locale.ROOT, "%,d genes classified over %,d occurrences", genes, occurrences);
      }
      return String.format(
          Locale.ROOT,
          "gene classes: %,d occurrences scored, accuracy %.3f, macro-F1 %.3f%s; %d of %d genes"
              + " right by their mean probability",
          metrics.cells(),
          metrics.accuracy(),
          metrics.macroF1(),
          Double.isNaN(rocAuc) ? "" : String.format(Locale.ROOT, ", ROC AUC %.3f", rocAuc),
          genesRight,
          genesScored);
    }
  }

  public static Result run(SparkSession spark, Options o) {
    long start = System.nanoTime();
    Path folder = FineTunedApply.modelFolder(o.model());
    ClassifierHead head = ClassifierHead.readGeneClassifier(folder, o.model(), o.classes());
    List<String> classes = List.of(head.classes());
    TokenTable table = TokenTable.read(spark, o.tokens());
    String vocabularyLocation = table.vocabulary(o.vocabulary(), o.tokens());
    Vocabulary v = VocabularyLoader.load(vocabularyLocation);
    Configuration hadoop = spark.sparkContext().hadoopConfiguration();
    GeneClasses labelled =
        o.geneClasses() == null ? null : GeneClasses.read(o.geneClasses(), v, hadoop);
    int[] known = knownClasses(o, labelled, classes, v.size());
    boolean[] wanted = wanted(o, v, hadoop, known);
    StagedOutput out =
        StagedOutput.prepare(o.output(), o.overwrite(), hadoop, List.of(o.tokens(), o.model()));
    try (JobScope job = JobScope.start(spark.sparkContext(), "cellspark classify apply", out)) {
      Dataset<Row> cells = CellSelection.sample(table.cells(), o.maxCells(), o.seed());
      FineTunedApply.checkModel(cells, o.model(), v);
      EmbeddingSettings settings = EmbeddingSettings.of(0, Pooling.MEAN, BatchBudget.AUTO, v);
      JavaRDD<GeneProbabilities.Part> parts =
          GeneProbabilities.parts(
                  cells,
                  FineTunedApply.forExecutors(o.model()),
                  settings,
                  o.precision(),
                  head,
                  wanted,
                  known)
              .persist(StorageLevel.MEMORY_AND_DISK());
      try {
        Map<Integer, double[]> byGene = new TreeMap<>();
        parts
            .filter(p -> !p.occurrence())
            .mapToPair(p -> new Tuple2<>(p.token(), p.values()))
            .reduceByKey(GeneClassifierApply::plus)
            .collect()
            .forEach(t -> byGene.put(t._1(), t._2()));
        long occurrences = byGene.values().stream().mapToLong(s -> (long) s[classes.size()]).sum();
        int[] verdict = verdicts(byGene, known, classes.size());
        out.writeText("predictions.csv", predictionsCsv(byGene, known, classes, new GeneNames(v)));
        Scores scores =
            labelled == null ? Scores.NONE : Scores.write(spark, parts, known, head, out);
        Map<String, Object> evaluation =
            scores.metrics() == null ? null : evaluation(scores, verdict, labelled);
        if (evaluation != null) {
          JobSummary m = new JobSummary("classify-apply-gene-metrics");
          m.asMap().putAll(evaluation);
          out.writeText("metrics.json", m.toJson());
        }
        // The sample's size without sorting the cells again: at most --max-cells of the table's.
        long inTable = table.cells().count();
        Result result =
            new Result(
                o.maxCells() > 0 ? Math.min(inTable, o.maxCells()) : inTable,
                byGene.size(),
                occurrences,
                scores.metrics(),
                scores.auc(),
                verdict[0],
                verdict[1]);
        double seconds = (System.nanoTime() - start) / 1e9;
        job.commit(out, summary(o, vocabularyLocation, classes, result, evaluation, seconds));
        LOG.info("classify apply: " + result.line());
        return result;
      } finally {
        parts.unpersist();
      }
    }
  }

  /**
   * Per token: its known class's index among the model's classes, or -1; a class of the file the
   * model lacks is refused.
   */
  private static int[] knownClasses(
      Options o, GeneClasses labelled, List<String> classes, int vocabularySize) {
    int[] known = new int[vocabularySize];
    Arrays.fill(known, -1);
    if (labelled == null) {
      return known;
    }
    for (int c = 0; c < labelled.names().size(); c++) {
      int index = classes.indexOf(labelled.names().get(c));
      if (index < 0) {
        throw UserException.of(
            "--gene-classes %s: class '%s' is not one of the model's (%s); pass the classes the"
                + " model was trained on, or name its classes with --classes",
            o.geneClasses(), labelled.names().get(c), String.join(", ", classes));
      }
      for (int token : labelled.tokens().get(c)) {
        known[token] = index;
      }
    }
    return known;
  }

  /**
   * Upstream's scores of the labelled occurrences (MLlib's, where they are) and their files:
   * confusion_matrix.csv/.png, and roc.csv/.png for two classes.
   *
   * @param auc the ROC curve's area, NaN without one
   */
  private record Scores(ClassMetrics metrics, double auc) {
    static final Scores NONE = new Scores(null, Double.NaN);

    static Scores write(
        SparkSession spark,
        JavaRDD<GeneProbabilities.Part> parts,
        int[] known,
        ClassifierHead head,
        StagedOutput out) {
      Dataset<Row> scored = occurrences(spark, parts, known);
      ClassMetrics metrics = ClassMetrics.of(scored, head.classes());
      RocCurves.Curve roc =
          RocCurves.ofSecondClass(
              metrics,
              () ->
                  scored
                      .javaRDD()
                      .map(r -> new Tuple2<Object, Object>(r.getDouble(2), r.getDouble(0)))
                      .rdd());
      if (roc != null) {
        RocCurves.writeFiles(out, "roc", List.of(roc), "occurrences", head.classes()[1]);
      }
      ConfusionHeatmap.writeFiles(
          out,
          "confusion_matrix",
          metrics.confusion(),
          head.classes(),
          ConfusionHeatmap.title(
              "occurrences of the labelled genes",
              metrics.cells(),
              metrics.accuracy(),
              metrics.macroF1()));
      return new Scores(metrics, roc == null ? Double.NaN : roc.auc());
    }
  }

  private static JobSummary summary(
      Options o,
      String vocabularyLocation,
      List<String> classes,
      Result r,
      Map<String, Object> evaluation,
      double seconds) {
    Map<String, Object> options = new LinkedHashMap<>();
    options.put("model", o.model());
    options.put("tokens", o.tokens());
    options.put("vocabulary", vocabularyLocation);
    options.put("genes", o.genes());
    options.put("gene_classes", o.geneClasses());
    options.put("classes", o.classes());
    options.put("max_cells", o.maxCells());
    options.put("seed", o.seed());
    options.put("precision", o.precision().name().toLowerCase(Locale.ROOT));
    JobSummary summary =
        new JobSummary("classify apply")
            .put("options", options)
            .put("classes", classes)
            .put(
                "head",
                "a gene classifier (BertForTokenClassification): each token's last hidden state,"
                    + " the classifier, softmax")
            .put(
                "counts",
                Map.of("cells", r.cells(), "genes", r.genes(), "occurrences", r.occurrences()));
    if (evaluation != null) {
      summary.put("evaluation", evaluation);
    }
    return summary.put("timings", Map.of("total_seconds", Math.round(seconds * 1000) / 1000.0));
  }

  /** The genes to classify: --genes (all, or names and files), and every gene of known class. */
  private static boolean[] wanted(Options o, Vocabulary v, Configuration hadoop, int[] known) {
    boolean[] wanted = new boolean[v.size()];
    for (int token : GeneList.tokensOrAll(o.genes(), "--genes", "classify apply", v, hadoop)) {
      wanted[token] = true;
    }
    for (int t = 0; t < known.length; t++) {
      wanted[t] |= known[t] >= 0;
    }
    return wanted;
  }

  private static double[] plus(double[] a, double[] b) {
    double[] s = a.clone();
    for (int i = 0; i < s.length; i++) {
      s[i] += b[i];
    }
    return s;
  }

  /** The labelled occurrences: label_index, prediction, the second class's probability. */
  private static Dataset<Row> occurrences(
      SparkSession spark, JavaRDD<GeneProbabilities.Part> parts, int[] known) {
    JavaRDD<Row> rows =
        parts
            .filter(GeneProbabilities.Part::occurrence)
            .map(p -> row(known[p.token()], p.values()));
    StructType schema =
        new StructType()
            .add("label_index", DataTypes.DoubleType, false)
            .add("prediction", DataTypes.DoubleType, false)
            .add("score", DataTypes.DoubleType, false);
    return spark.createDataFrame(rows, schema);
  }

  private static Row row(int label, double[] probability) {
    return RowFactory.create(
        (double) label,
        (double) argmax(probability),
        probability.length > 1 ? probability[1] : 0.0);
  }

  static int argmax(double[] p) {
    int best = 0;
    for (int k = 1; k < p.length; k++) {
      best = p[k] > p[best] ? k : best;
    }
    return best;
  }

  /** Of the labelled genes seen: how many, and how many whose mean-probability class is theirs. */
  private static int[] verdicts(Map<Integer, double[]> byGene, int[] known, int classes) {
    int scored = 0;
    int right = 0;
    for (Map.Entry<Integer, double[]> e : byGene.entrySet()) {
      int label = known[e.getKey()];
      if (label >= 0) {
        scored++;
        right += argmax(Arrays.copyOf(e.getValue(), classes)) == label ? 1 : 0;
      }
    }
    return new int[] {scored, right};
  }

  private static Map<String, Object> evaluation(
      Scores scores, int[] verdict, GeneClasses labelled) {
    double auc = scores.auc();
    Map<String, Object> m = new LinkedHashMap<>(scores.metrics().asMap());
    Object occurrences = m.remove("cells");
    Map<String, Object> out = new LinkedHashMap<>();
    out.put("gene_classes", labelled.names());
    out.put("occurrences_scored", occurrences);
    out.putAll(m);
    if (!Double.isNaN(auc)) {
      out.put("roc_auc", auc);
    }
    out.put("genes_scored", verdict[0]);
    out.put("genes_right", verdict[1]);
    out.put("gene_accuracy", verdict[0] == 0 ? Double.NaN : verdict[1] / (double) verdict[0]);
    out.put(
        "genes_not_in_cells",
        labelled.tokens().stream().mapToInt(t -> t.length).sum() - verdict[0]);
    return out;
  }

  /** predictions.csv: a row per gene seen, its mean probabilities and the class they favour. */
  private static String predictionsCsv(
      Map<Integer, double[]> byGene, int[] known, List<String> classes, GeneNames names) {
    StringBuilder csv = new StringBuilder("gene_id,symbol,occurrences,predicted,class,correct");
    for (String c : classes) {
      csv.append(",probability_").append(CsvField.of(c));
    }
    csv.append('\n');
    int k = classes.size();
    for (Map.Entry<Integer, double[]> e : byGene.entrySet()) {
      double[] s = e.getValue();
      double[] mean = new double[k];
      for (int i = 0; i < k; i++) {
        mean[i] = s[i] / s[k];
      }
      int predicted = argmax(mean);
      int label = known[e.getKey()];
      csv.append(CsvField.of(names.geneId(e.getKey())))
          .append(',')
          .append(names.symbol(e.getKey()) == null ? "" : CsvField.of(names.symbol(e.getKey())))
          .append(',')
          .append((long) s[k])
          .append(',')
          .append(CsvField.of(classes.get(predicted)))
          .append(',')
          .append(label < 0 ? "" : CsvField.of(classes.get(label)))
          .append(',')
          .append(label < 0 ? "" : Boolean.toString(label == predicted));
      for (double p : mean) {
        csv.append(',').append(p);
      }
      csv.append('\n');
    }
    return csv.toString();
  }
}
