package org.cellspark.jobs.finetune;

import static org.apache.spark.sql.functions.col;

import ai.djl.engine.Engine;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Random;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.FileUtil;
import org.apache.spark.SparkContext;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;
import org.cellspark.error.UserException;
import org.cellspark.infer.EmbeddingSettings;
import org.cellspark.infer.ModelCheck;
import org.cellspark.jobs.classify.ConfusionHeatmap;
import org.cellspark.jobs.classify.LabelSplits;
import org.cellspark.jobs.common.CellSelection;
import org.cellspark.jobs.common.JobScope;
import org.cellspark.jobs.common.JobSummary;
import org.cellspark.jobs.common.StagedOutput;
import org.cellspark.jobs.common.TokenTable;
import org.cellspark.model.TrainableBert;
import org.cellspark.spark.ResolvedModel;
import org.cellspark.spark.TokenProfiles;
import org.cellspark.train.CellClassifier;
import org.cellspark.train.Evaluation;
import org.cellspark.train.FineTunedCheckpoint;
import org.cellspark.train.FineTuner;
import org.cellspark.train.LabelledCells;
import org.cellspark.vocab.Vocabulary;
import org.cellspark.vocab.VocabularyLoader;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * {@code cellspark finetune}: the whole model fine-tuned for a cell label, with a linear head on
 * the mean of the gene tokens' last hidden states (or on {@code <cls>}). The label's classes and
 * the donor-whole splits are made as {@code classify} makes them; the cells of each split are
 * gathered from the token table, and training runs in this JVM (the driver; on its GPU when it has
 * one) through the same TorchScript program inference uses. Writes model/ (a Hugging Face
 * sequence-classification folder), training.csv (loss and macro-F1 per epoch), metrics.json,
 * predictions/, confusion_matrix.csv and .png, and the summary.
 */
public final class FinetuneJob {
  private static final Logger LOG = LoggerFactory.getLogger(FinetuneJob.class);

  private FinetuneJob() {}

  /** Each split's cells, with their IDs, in one order. */
  private record SplitCells(List<String> ids, LabelledCells cells) {}

  public static FinetuneResult run(SparkSession spark, FinetuneOptions o) {
    long start = System.nanoTime();
    SparkContext sc = spark.sparkContext();
    Configuration hadoop = sc.hadoopConfiguration();
    TokenTable table = TokenTable.read(spark, o.input());
    List<String> columns = Arrays.asList(table.cells().columns());
    CellSelection.requireColumn(columns, "cell_id", "finetune (predictions are keyed by cell_id)");
    CellSelection.requireColumn(columns, o.label(), "--label");
    if (o.group() != null) {
      CellSelection.requireColumn(columns, o.group(), "--group");
    }
    String vocabularyLocation =
        o.vocabulary() != null ? o.vocabulary() : table.vocabularyLocation();
    if (vocabularyLocation == null) {
      throw UserException.of(
          "Input %s does not say which vocabulary its tokens were made with (no _cellspark.json);"
              + " pass --vocabulary",
          o.input());
    }
    Vocabulary vocabulary = VocabularyLoader.load(vocabularyLocation);
    ResolvedModel model = ResolvedModel.of(o.model());
    StagedOutput out = StagedOutput.prepare(o.output(), o.overwrite(), hadoop, List.of(o.input()));
    try (JobScope job = JobScope.start(sc, "cellspark finetune", out)) {
      Dataset<Row> cells = table.cells();
      sc.setJobDescription("finetune: check the model against the tokens");
      ModelCheck.check(
          model.config(),
          o.model(),
          TokenProfiles.of(cells, "input_ids", vocabulary),
          new EmbeddingSettings(
              -1,
              o.pooling(),
              o.batchTokens(),
              vocabulary.padId(),
              vocabulary.clsId().orElse(-1),
              vocabulary.eosId().orElse(-1)));
      sc.setJobDescription("finetune: classes and splits");
      LabelSplits.Settings labels = labelSettings(o);
      Dataset<Row> labelled =
          cells
              .filter(col(o.label()).isNotNull())
              .withColumn("_label", col(o.label()).cast(DataTypes.StringType));
      LabelSplits.Classes classes =
          LabelSplits.Classes.of(labelled, cells.count() - labelled.count(), labels);
      labelled = labelled.filter(col("_label").isin(classes.kept().toArray()));
      Map<String, Object> splitInfo = new LinkedHashMap<>();
      Dataset<Row> split = LabelSplits.withSplit(spark, labelled, labels, splitInfo, out);
      List<String> names = classes.kept().stream().sorted().toList();
      sc.setJobDescription("finetune: gather each split's cells");
      Map<String, SplitCells> bySplit = gather(split, names);

      Trained trained = train(o, model, vocabulary, bySplit, names);
      String reported = bySplit.get("test").ids().isEmpty() ? "validation" : "test";
      Evaluation shown = trained.evaluations().get(reported);
      writeOutputs(spark, out, hadoop, o, trained, bySplit, names, reported);
      double seconds = (System.nanoTime() - start) / 1e9;
      JobSummary summary =
          new JobSummary("finetune")
              .put("options", options(o, vocabularyLocation))
              .put("classes", classes.asMap(names.toArray(new String[0])))
              .put("split", splitInfo)
              .put("training", trainingMap(trained))
              .put("metrics", metricsMap(trained.evaluations()))
              .put("timings", Map.of("total_seconds", Math.round(seconds * 1000) / 1000.0));
      job.commit(out, summary);
      LOG.info(
          String.format(
              Locale.ROOT,
              "finetune: %s, %s accuracy %.3f, macro-F1 %.3f after %d epoch(s) (%.1f s) to %s",
              o.label(),
              reported,
              shown.accuracy(),
              shown.macroF1(),
              trained.epochs().size(),
              seconds,
              out.targetUri()));
      return new FinetuneResult(
          out.targetUri(),
          names,
          reported,
          shown.accuracy(),
          shown.macroF1(),
          trained.epochs().size(),
          trained.bestEpoch(),
          seconds,
          summary.asMap());
    }
  }

  private static LabelSplits.Settings labelSettings(FinetuneOptions o) {
    return new LabelSplits.Settings(
        o.label(),
        o.group(),
        o.input(),
        o.fractions(),
        o.seed(),
        o.minClassSize(),
        o.rareThreshold());
  }

  /** Each split's cells (train, validation, test), gathered to this JVM in cell_id order. */
  private static Map<String, SplitCells> gather(Dataset<Row> split, List<String> names) {
    Map<String, List<String>> ids = new LinkedHashMap<>();
    Map<String, List<int[]>> tokens = new LinkedHashMap<>();
    Map<String, List<Integer>> labels = new LinkedHashMap<>();
    for (String s : List.of("train", "validation", "test")) {
      ids.put(s, new ArrayList<>());
      tokens.put(s, new ArrayList<>());
      labels.put(s, new ArrayList<>());
    }
    for (Row r :
        split
            .select(
                col("cell_id").cast(DataTypes.StringType),
                col("input_ids"),
                col("_label"),
                col("_split"))
            .orderBy("cell_id")
            .collectAsList()) {
      String s = r.getString(3);
      ids.get(s).add(r.getString(0));
      tokens.get(s).add(r.<Integer>getList(1).stream().mapToInt(Integer::intValue).toArray());
      labels.get(s).add(names.indexOf(r.getString(2)));
    }
    Map<String, SplitCells> out = new LinkedHashMap<>();
    for (String s : ids.keySet()) {
      out.put(
          s,
          new SplitCells(
              ids.get(s),
              new LabelledCells(
                  tokens.get(s), labels.get(s).stream().mapToInt(Integer::intValue).toArray())));
    }
    return out;
  }

  /**
   * The fine-tuned model's numbers: the epochs, the one kept, each split's evaluation, and where
   * the model was written (a local folder, copied into the output).
   */
  private record Trained(
      List<FineTuner.Epoch> epochs,
      int bestEpoch,
      Map<String, Evaluation> evaluations,
      Path modelFolder,
      float[] classWeights) {}

  private static Trained train(
      FinetuneOptions o,
      ResolvedModel model,
      Vocabulary vocabulary,
      Map<String, SplitCells> bySplit,
      List<String> names) {
    LabelledCells trainCells = bySplit.get("train").cells();
    LabelledCells validation = bySplit.get("validation").cells();
    if (trainCells.size() == 0 || validation.size() == 0) {
      throw UserException.of(
          "--label %s of %s leaves %d training and %d validation cells; fine-tuning needs both"
              + " (more cells or groups, or another --split)",
          o.label(), o.input(), trainCells.size(), validation.size());
    }
    float[] weights = classWeights(trainCells, names.size(), o.balanced());
    int hidden = model.config().hiddenSize();
    Random init = new Random(o.seed());
    float[] head = new float[names.size() * hidden];
    for (int i = 0; i < head.length; i++) {
      head[i] = (float) (0.02 * init.nextGaussian()); // BERT's initializer_range
    }
    try (TrainableBert encoder =
        TrainableBert.load(model.path(), Engine.getInstance().defaultDevice())) {
      CellClassifier classifier =
          new CellClassifier(
              encoder,
              o.pooling(),
              vocabulary.clsId().orElse(-1),
              vocabulary.eosId().orElse(-1),
              head,
              new float[names.size()]);
      int steps = o.epochs() * batchesPerEpoch(trainCells, o.batchTokens());
      List<FineTuner.Epoch> epochs =
          FineTuner.train(
              classifier,
              trainCells,
              validation,
              new FineTuner.Settings(
                  o.epochs(),
                  o.learningRate(),
                  o.weightDecay(),
                  steps == 0 ? 0 : Math.min(1.0, (double) o.warmupSteps() / steps),
                  o.decay(),
                  o.batchTokens(),
                  o.freezeLayers(),
                  weights,
                  o.patience(),
                  o.seed()),
              names.size());
      int best = 1;
      for (FineTuner.Epoch e : epochs) {
        if (e.validationMacroF1() > epochs.get(best - 1).validationMacroF1()) {
          best = e.epoch();
        }
      }
      Map<String, Evaluation> evaluations = new LinkedHashMap<>();
      for (Map.Entry<String, SplitCells> s : bySplit.entrySet()) {
        if (s.getValue().cells().size() > 0) {
          evaluations.put(
              s.getKey(),
              Evaluation.of(
                  classifier, s.getValue().cells(), o.batchTokens(), weights, names.size()));
        }
      }
      Path folder = Files.createTempDirectory("cellspark-finetune-");
      FineTunedCheckpoint.write(folder, classifier, model.configFile(), names);
      return new Trained(epochs, best, evaluations, folder, weights);
    } catch (IOException e) {
      throw UserException.because(e, "Cannot write the fine-tuned model: %s", e.getMessage());
    }
  }

  private static int batchesPerEpoch(LabelledCells cells, long batchTokens) {
    int[] lengths = cells.tokens().stream().mapToInt(t -> t.length).toArray();
    return org.cellspark.infer.LengthBatcher.byLength(lengths, batchTokens).size();
  }

  /** Balanced: n / (classes x cells of the class), as scikit-learn's "balanced"; else all 1. */
  static float[] classWeights(LabelledCells train, int classes, boolean balanced) {
    float[] w = new float[classes];
    Arrays.fill(w, 1f);
    if (!balanced) {
      return w;
    }
    long[] counts = new long[classes];
    for (int l : train.labels()) {
      counts[l]++;
    }
    for (int k = 0; k < classes; k++) {
      w[k] = counts[k] == 0 ? 0f : (float) train.size() / (classes * counts[k]);
    }
    return w;
  }

  /** model/, training.csv, metrics.json, predictions/, the confusion matrix (CSV and PNG). */
  private static void writeOutputs(
      SparkSession spark,
      StagedOutput out,
      Configuration hadoop,
      FinetuneOptions o,
      Trained trained,
      Map<String, SplitCells> bySplit,
      List<String> names,
      String reported) {
    try {
      org.apache.hadoop.fs.Path target = new org.apache.hadoop.fs.Path(out.stagingUri(), "model");
      FileSystem fs = target.getFileSystem(hadoop);
      FileUtil.copy(
          trained.modelFolder().toFile(), fs, target, true, hadoop); // the local copy goes
      StringBuilder csv =
          new StringBuilder("epoch,train_loss,validation_loss,validation_macro_f1\n");
      for (FineTuner.Epoch e : trained.epochs()) {
        csv.append(
            String.format(
                Locale.ROOT,
                "%d,%.6f,%.6f,%.6f%n",
                e.epoch(),
                e.trainLoss(),
                e.validationLoss(),
                e.validationMacroF1()));
      }
      out.writeText("training.csv", csv.toString());
      Evaluation shown = trained.evaluations().get(reported);
      long[][] confusion = confusion(shown, bySplit.get(reported).cells(), names.size());
      out.writeText("confusion_matrix.csv", confusionCsv(confusion, names));
      try (OutputStream s =
          fs.create(
              new org.apache.hadoop.fs.Path(out.stagingUri(), "confusion_matrix.png"), true)) {
        ConfusionHeatmap.write(
            confusion,
            names.toArray(new String[0]),
            ConfusionHeatmap.title(
                reported, bySplit.get(reported).ids().size(), shown.accuracy(), shown.macroF1()),
            s);
      }
      out.writeText(
          "metrics.json",
          new JobSummary("finetune-metrics")
              .put("metrics", metricsMap(trained.evaluations()))
              .put("classes", names)
              .toJson());
      predictions(spark, trained, bySplit, names, o)
          .write()
          .parquet(out.stagingUri() + "/predictions");
    } catch (IOException e) {
      throw UserException.because(
          e, "Cannot write the fine-tune's outputs into %s: %s", out.targetUri(), e.getMessage());
    }
  }

  private static long[][] confusion(Evaluation e, LabelledCells cells, int classes) {
    long[][] m = new long[classes][classes];
    for (int i = 0; i < cells.size(); i++) {
      m[cells.labels()[i]][e.predicted()[i]]++;
    }
    return m;
  }

  private static String confusionCsv(long[][] m, List<String> names) {
    StringBuilder b = new StringBuilder("true\\predicted");
    names.forEach(n -> b.append(',').append(n));
    b.append('\n');
    for (int t = 0; t < m.length; t++) {
      b.append(names.get(t));
      for (long c : m[t]) {
        b.append(',').append(c);
      }
      b.append('\n');
    }
    return b.toString();
  }

  /** Every cell's split, label, predicted class, confidence and class probabilities. */
  private static Dataset<Row> predictions(
      SparkSession spark,
      Trained trained,
      Map<String, SplitCells> bySplit,
      List<String> names,
      FinetuneOptions o) {
    List<Row> rows = new ArrayList<>();
    for (Map.Entry<String, SplitCells> s : bySplit.entrySet()) {
      Evaluation e = trained.evaluations().get(s.getKey());
      if (e == null) {
        continue;
      }
      for (int i = 0; i < s.getValue().ids().size(); i++) {
        float[] p = e.probabilities()[i];
        Double[] probability = new Double[p.length];
        double confidence = 0;
        for (int k = 0; k < p.length; k++) {
          probability[k] = (double) p[k];
          confidence = Math.max(confidence, p[k]);
        }
        rows.add(
            RowFactory.create(
                s.getValue().ids().get(i),
                names.get(s.getValue().cells().labels()[i]),
                s.getKey(),
                names.get(e.predicted()[i]),
                confidence,
                probability));
      }
    }
    StructType schema =
        new StructType()
            .add("cell_id", DataTypes.StringType, false)
            .add(o.label(), DataTypes.StringType, false)
            .add("split", DataTypes.StringType, false)
            .add("predicted", DataTypes.StringType, false)
            .add("confidence", DataTypes.DoubleType, false)
            .add("probability", DataTypes.createArrayType(DataTypes.DoubleType, false), false);
    return spark.createDataFrame(rows, schema);
  }

  private static Map<String, Object> metricsMap(Map<String, Evaluation> evaluations) {
    Map<String, Object> m = new LinkedHashMap<>();
    evaluations.forEach(
        (s, e) -> {
          Map<String, Object> one = new LinkedHashMap<>();
          one.put("cells", e.predicted().length);
          one.put("accuracy", e.accuracy());
          one.put("macro_f1", e.macroF1());
          one.put("loss", e.loss());
          m.put(s, one);
        });
    return m;
  }

  private static Map<String, Object> trainingMap(Trained t) {
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("epochs_run", t.epochs().size());
    m.put("best_epoch", t.bestEpoch());
    m.put("class_weights", t.classWeights());
    List<Map<String, Object>> epochs = new ArrayList<>();
    for (FineTuner.Epoch e : t.epochs()) {
      Map<String, Object> one = new LinkedHashMap<>();
      one.put("epoch", e.epoch());
      one.put("train_loss", e.trainLoss());
      one.put("validation_loss", e.validationLoss());
      one.put("validation_macro_f1", e.validationMacroF1());
      epochs.add(one);
    }
    m.put("epochs", epochs);
    return m;
  }

  private static Map<String, Object> options(FinetuneOptions o, String vocabulary) {
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("input", o.input());
    m.put("label", o.label());
    m.put("group", o.group());
    m.put("model", o.model());
    m.put("vocabulary", vocabulary);
    m.put("pooling", o.pooling().name().toLowerCase(Locale.ROOT));
    m.put("epochs", o.epochs());
    m.put("learning_rate", o.learningRate());
    m.put("weight_decay", o.weightDecay());
    m.put("warmup_steps", o.warmupSteps());
    m.put("schedule", o.decay().name().toLowerCase(Locale.ROOT));
    m.put("batch_tokens", o.batchTokens());
    m.put("freeze_layers", o.freezeLayers());
    m.put("class_weights", o.balanced() ? "balanced" : "none");
    m.put("patience", o.patience());
    m.put("split", Arrays.stream(o.fractions()).boxed().toList());
    m.put("min_class_size", o.minClassSize());
    m.put("rare_threshold", o.rareThreshold());
    m.put("seed", o.seed());
    return m;
  }
}
