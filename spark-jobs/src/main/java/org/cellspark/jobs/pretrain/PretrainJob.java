package org.cellspark.jobs.pretrain;

import static org.apache.spark.sql.functions.broadcast;
import static org.apache.spark.sql.functions.col;
import static org.apache.spark.sql.functions.lit;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.Path;
import org.apache.spark.SparkContext;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.types.DataTypes;
import org.cellspark.error.UserException;
import org.cellspark.infer.EmbeddingSettings;
import org.cellspark.infer.ModelCheck;
import org.cellspark.infer.Pooling;
import org.cellspark.jobs.common.CellSelection;
import org.cellspark.jobs.common.DataParallelStage;
import org.cellspark.jobs.common.JobScope;
import org.cellspark.jobs.common.JobSummary;
import org.cellspark.jobs.common.LocalFolders;
import org.cellspark.jobs.common.ModelFingerprint;
import org.cellspark.jobs.common.PngBytes;
import org.cellspark.jobs.common.SparkJobs;
import org.cellspark.jobs.common.StagedOutput;
import org.cellspark.jobs.common.TokenTable;
import org.cellspark.jobs.finetune.EpochCheckpoints;
import org.cellspark.jobs.finetune.TrainingCurve;
import org.cellspark.model.BertConfig;
import org.cellspark.model.MaskedLmHeadWeights;
import org.cellspark.spark.FaultInjection;
import org.cellspark.spark.ResolvedModel;
import org.cellspark.spark.TokenProfiles;
import org.cellspark.train.DropoutRates;
import org.cellspark.train.FineTuner;
import org.cellspark.train.Masking;
import org.cellspark.vocab.Vocabulary;
import org.cellspark.vocab.VocabularyLoader;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * {@code cellspark pretrain}: Geneformer's masked-language-model pretraining (upstream's {@code
 * GeneformerPretrainer}), continuing a checkpoint on a new corpus or starting a new model from a
 * config. A validation sample (the cells with the smallest seeded hash of cell_id) is held out and
 * scored after every epoch with the same masks; the rest (or a sample of --max-cells) trains in one
 * Spark task, on its executor's GPU when it has one. Writes model/ (a Hugging Face {@code
 * BertForMaskedLM} folder that embed, perturb, finetune and transformers read), training.csv and
 * .png, metrics.json and the summary; checkpoints after every epoch beside the output, so a killed
 * run resumes.
 */
public final class PretrainJob {
  private static final Logger LOG = LoggerFactory.getLogger(PretrainJob.class);

  /** Validation takes at most this share of the cells, however many --validation-cells asks. */
  static final double MAX_VALIDATION_SHARE = 0.1;

  private PretrainJob() {}

  /**
   * The model to start from, as the driver knows it.
   *
   * @param newModelConfig --new-model's config.json text; null when continuing --model
   * @param fingerprint what a resumed run's model must match: the checkpoint's fingerprint, or the
   *     new model's config
   */
  private record Start(
      BertConfig config,
      java.nio.file.Path configFile,
      String newModelConfig,
      String fingerprint) {}

  public static PretrainResult run(SparkSession spark, PretrainOptions o) {
    long start = System.nanoTime();
    SparkContext sc = spark.sparkContext();
    Configuration hadoop = sc.hadoopConfiguration();
    int workers = o.training().dataParallel();
    DataParallelStage.check(sc, workers, "pretrain");
    TokenTable table = TokenTable.read(spark, o.input());
    CellSelection.requireColumn(
        Arrays.asList(table.cells().columns()),
        "cell_id",
        "pretrain (validation cells are chosen by cell_id)");
    String vocabularyLocation = table.vocabulary(o.vocabulary(), o.input());
    Vocabulary vocabulary = VocabularyLoader.load(vocabularyLocation);
    Masking masking = masking(o, vocabulary, vocabularyLocation);
    java.nio.file.Path driverScratch = null;
    try {
      driverScratch = Files.createTempDirectory("cellspark-pretrain-");
      Start from = start(o, hadoop, driverScratch);
      DropoutRates dropout = o.training().dropoutRates(from.configFile());
      StagedOutput out =
          StagedOutput.prepare(o.output(), o.overwrite(), hadoop, List.of(o.input()));
      try (JobScope job = JobScope.start(sc, "cellspark pretrain", out)) {
        Dataset<Row> cells =
            CellSelection.filter(table.cells(), o.filters())
                .select(col("cell_id").cast(DataTypes.StringType).as("cell_id"), col("input_ids"));
        sc.setJobDescription("pretrain: check the model against the tokens");
        ModelCheck.check(
            from.config(),
            o.model() != null ? o.model() : o.newModel(),
            TokenProfiles.of(cells, "input_ids", "cell_id", vocabulary),
            EmbeddingSettings.of(-1, Pooling.MEAN, o.training().batchTokens(), vocabulary));
        sc.setJobDescription("pretrain: validation cells");
        Dataset<Row> parts = parts(CellSelection.withGenes(cells, vocabulary), o);
        Map<String, Object> options = options(o, vocabularyLocation, dropout);
        String plan = options + "\nmodel " + from.fingerprint();
        PretrainTask task =
            new PretrainTask(
                o,
                from.newModelConfig(),
                masking,
                dropout,
                out.stagingLocation() + "/model",
                out.targetLocation(),
                plan,
                FaultInjection.trainingStop(spark),
                SparkJobs.hadoopConf(spark),
                workers > 1 ? DataParallelStage.secret() : null);
        PretrainTask.Outcome trained;
        if (workers > 1) {
          sc.setJobDescription("pretrain: train (" + workers + " data-parallel tasks)");
          trained =
              DataParallelStage.run(
                      parts,
                      col("_part").equalTo("train"), // validation: worker 0's alone
                      workers,
                      task,
                      PretrainTask.Outcome.class)
                  .get(0);
        } else {
          sc.setJobDescription("pretrain: train (one task)");
          trained = parts.repartition(1).toJavaRDD().mapPartitions(task).collect().get(0);
        }
        sc.setJobDescription(null);
        FineTuner.Epoch best = trained.epochs().get(trained.bestEpoch() - 1);
        Map<String, Object> metrics = metrics(trained, best);
        writeOutputs(out, trained, metrics);
        double seconds = (System.nanoTime() - start) / 1e9;
        JobSummary summary =
            new JobSummary("pretrain")
                .put("options", options)
                .put("training", training(trained))
                .put("metrics", metrics)
                .put("timings", Map.of("total_seconds", Math.round(seconds * 1000) / 1000.0));
        job.commit(out, summary);
        EpochCheckpoints.delete(out.targetLocation(), hadoop);
        LOG.info(
            String.format(
                Locale.ROOT,
                "pretrain: %,d cells, validation masked-gene accuracy %.3f, loss %.4f after %d"
                    + " epoch(s) (%.1f s) to %s",
                trained.trainingCells(),
                best.validationMetric(),
                best.validationLoss(),
                trained.epochs().size(),
                seconds,
                out.targetLocation()));
        return new PretrainResult(
            out.targetLocation(),
            trained.trainingCells(),
            trained.validationCells(),
            trained.epochs().size(),
            trained.bestEpoch(),
            best.validationLoss(),
            best.validationMetric(),
            trained.before().loss(),
            trained.before().metric(),
            seconds,
            summary.asMap());
      }
    } catch (IOException e) {
      throw new java.io.UncheckedIOException(e);
    } finally {
      deleteQuietly(driverScratch);
    }
  }

  /** The vocabulary's <mask> and specials; refused without <mask>. */
  private static Masking masking(PretrainOptions o, Vocabulary v, String location) {
    int mask =
        v.tokenId(Vocabulary.MASK)
            .orElseThrow(
                () ->
                    UserException.of(
                        "Vocabulary %s has no %s token, which pretraining puts in place of the"
                            + " masked genes; Geneformer's dictionaries (V1 and V2) have one: use"
                            + " the vocabulary the model was trained with",
                        location, Vocabulary.MASK));
    return Masking.of(
        o.maskFraction(),
        v.size(),
        mask,
        v.padId(),
        mask,
        v.clsId().orElse(-1),
        v.eosId().orElse(-1));
  }

  /** The checkpoint's config, or the new model's config.json read (from any file system). */
  private static Start start(PretrainOptions o, Configuration hadoop, java.nio.file.Path scratch)
      throws IOException {
    if (o.model() != null) {
      ResolvedModel model = ResolvedModel.of(o.model());
      // Its head checked here, before any Spark job (a partial or untied one is refused).
      MaskedLmHeadWeights.of(model.path(), o.seed());
      return new Start(model.config(), model.configFile(), null, ModelFingerprint.of(model.path()));
    }
    String text;
    Path p = new Path(o.newModel());
    try (InputStream in = p.getFileSystem(hadoop).open(p)) {
      text = new String(in.readAllBytes(), StandardCharsets.UTF_8);
    } catch (IOException e) {
      throw UserException.because(
          e, "--new-model: cannot read %s: %s", o.newModel(), e.getMessage());
    }
    java.nio.file.Path local = scratch.resolve("config.json");
    Files.writeString(local, text, StandardCharsets.UTF_8);
    try {
      return new Start(BertConfig.read(local), local, text, text);
    } catch (UserException e) { // its message names the local copy; the user knows the original
      throw UserException.because(e, "%s", e.getMessage().replace(local.toString(), o.newModel()));
    }
  }

  /**
   * Every cell with its part: the validation sample (the cells with the smallest seeded hash of
   * cell_id: --validation-cells, at most a tenth of the cells) and the training cells (the rest, or
   * a sample of --max-cells of them).
   */
  private static Dataset<Row> parts(Dataset<Row> cells, PretrainOptions o) {
    long all = cells.count();
    long wanted = Math.min(o.validationCells(), (long) Math.floor(all * MAX_VALIDATION_SHARE));
    if (wanted < 1) {
      throw UserException.of(
          "%s has %,d cell(s)%s; pretraining needs at least 10 (a tenth is held out to validate"
              + " each epoch)",
          o.input(), all, o.filters().isEmpty() ? "" : " passing --filter " + o.filters());
    }
    Dataset<Row> validation = CellSelection.sample(cells, wanted, o.seed());
    Dataset<Row> rest =
        cells.join(
            broadcast(validation.select(col("cell_id").as("_validation_id"))),
            col("cell_id").equalTo(col("_validation_id")),
            "left_anti");
    Dataset<Row> train = CellSelection.sample(rest, o.maxCells(), o.seed() + 1);
    return train
        .withColumn("_part", lit("train"))
        .unionByName(validation.withColumn("_part", lit("validation")));
  }

  private static Map<String, Object> metrics(PretrainTask.Outcome t, FineTuner.Epoch best) {
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("epoch", best.epoch());
    m.put("validation_loss", best.validationLoss());
    m.put("validation_perplexity", Math.exp(best.validationLoss()));
    m.put("validation_masked_gene_accuracy", best.validationMetric());
    Map<String, Object> before = new LinkedHashMap<>();
    before.put("validation_loss", t.before().loss());
    before.put("validation_perplexity", Math.exp(t.before().loss()));
    before.put("validation_masked_gene_accuracy", t.before().metric());
    m.put("before_training", before);
    m.put("training_cells", t.trainingCells());
    m.put("training_tokens", t.trainingTokens());
    m.put("validation_cells", t.validationCells());
    return m;
  }

  private static Map<String, Object> training(PretrainTask.Outcome t) {
    Map<String, Object> m =
        TrainingCurve.summary(
            t.epochs(),
            t.bestEpoch(),
            t.resumedFrom(),
            "validation_masked_gene_accuracy",
            t.gradientSeconds());
    m.put("batches_per_epoch", t.batchesPerEpoch());
    m.put("trained_on", t.trainedOn());
    m.put("head", t.headFromCheckpoint() ? "the checkpoint's" : "new");
    return m;
  }

  /** training.csv and .png, metrics.json. */
  private static void writeOutputs(
      StagedOutput out, PretrainTask.Outcome trained, Map<String, Object> metrics) {
    StringBuilder csv =
        new StringBuilder(
            "epoch,train_loss,validation_loss,validation_perplexity,"
                + "validation_masked_gene_accuracy\n");
    // Epoch 0: the model as it started, scored with the same masks (no training loss).
    csv.append(
        String.format(
            Locale.ROOT,
            "0,,%.6f,%.4f,%.6f%n",
            trained.before().loss(),
            Math.exp(trained.before().loss()),
            trained.before().metric()));
    for (FineTuner.Epoch e : trained.epochs()) {
      csv.append(
          String.format(
              Locale.ROOT,
              "%d,%.6f,%.6f,%.4f,%.6f%n",
              e.epoch(),
              e.trainLoss(),
              e.validationLoss(),
              Math.exp(e.validationLoss()),
              e.validationMetric()));
    }
    out.writeText("training.csv", csv.toString());
    out.writeText(
        "metrics.json", new JobSummary("pretrain-metrics").put("metrics", metrics).toJson());
    out.writeBytes(
        "training.png",
        PngBytes.of(
            s ->
                TrainingCurve.write(
                    trained.epochs(), "Pretraining (masked genes)", "masked-gene accuracy", s)));
  }

  private static Map<String, Object> options(
      PretrainOptions o, String vocabulary, DropoutRates dropout) {
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("input", o.input());
    m.put("model", o.model());
    m.put("new_model", o.newModel());
    m.put("vocabulary", vocabulary);
    m.put("mask_fraction", o.maskFraction());
    m.put("validation_cells", o.validationCells());
    m.put("max_cells", o.maxCells());
    m.put("filters", o.filters().stream().map(Object::toString).toList());
    o.training().describe(m, dropout);
    m.put("seed", o.seed());
    return m;
  }

  private static void deleteQuietly(java.nio.file.Path folder) {
    try {
      LocalFolders.delete(folder);
    } catch (IOException e) {
      LOG.debug("cannot delete {}", folder, e);
    }
  }
}
