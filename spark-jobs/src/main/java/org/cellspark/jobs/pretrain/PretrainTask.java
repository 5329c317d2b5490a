package org.cellspark.jobs.pretrain;

import java.io.IOException;
import java.io.Serializable;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Collections;
import java.util.Iterator;
import java.util.List;
import java.util.Locale;
import org.apache.hadoop.conf.Configuration;
import org.apache.spark.SerializableWritable;
import org.apache.spark.api.java.function.FlatMapFunction;
import org.apache.spark.broadcast.Broadcast;
import org.apache.spark.sql.Row;
import org.cellspark.collective.Collective;
import org.cellspark.infer.LengthBatcher;
import org.cellspark.jobs.common.DataParallelStage;
import org.cellspark.jobs.common.LocalFolders;
import org.cellspark.jobs.finetune.CellsDigest;
import org.cellspark.jobs.finetune.EpochCheckpoints;
import org.cellspark.jobs.finetune.TaskCells;
import org.cellspark.model.BertInitializer;
import org.cellspark.model.MaskedLmHeadWeights;
import org.cellspark.model.TrainableBert;
import org.cellspark.spark.DataParallelWorkers;
import org.cellspark.spark.FaultInjection;
import org.cellspark.spark.ResolvedModel;
import org.cellspark.spark.TaskDevice;
import org.cellspark.train.DropoutRates;
import org.cellspark.train.FineTunedCheckpoint;
import org.cellspark.train.FineTuner;
import org.cellspark.train.MaskedCells;
import org.cellspark.train.MaskedLanguageModel;
import org.cellspark.train.Masking;
import org.cellspark.train.Score;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The task that pretrains: it reads its partition (every training and validation cell: cell_id,
 * input_ids, part) into memory, loads the checkpoint (or makes the new model) on the task's device,
 * trains the masked language model, writes model/ into the job's staging folder and returns the
 * numbers. With --data-parallel, one of the workers of a barrier stage: each holds every training
 * cell, worker 0 also the validation cells; worker 0 keeps the states, writes model/ and returns
 * the numbers, the others return nothing. Tokens are held packed, 2 bytes a token ({@link
 * TaskCells}: a million cells of 2,048 tokens take 4 GB of the executor's heap; --max-cells caps
 * them).
 */
final class PretrainTask implements FlatMapFunction<Iterator<Row>, PretrainTask.Outcome> {
  private static final long serialVersionUID = 1L;
  private static final Logger LOG = LoggerFactory.getLogger(PretrainTask.class);

  /**
   * What training returns to the driver.
   *
   * @param headFromCheckpoint whether the checkpoint held a masked-LM head (else a new one)
   * @param before the validation cells' score with the model as it started (the same masks as the
   *     epochs' scores): what continued pretraining is measured against
   * @param trainedOn where each worker trained ("executor ID, DEVICE"), by rank
   * @param gradientSeconds data-parallel workers' seconds in the gradients' sums, by rank
   */
  record Outcome(
      List<FineTuner.Epoch> epochs,
      int bestEpoch,
      int resumedFrom,
      int batchesPerEpoch,
      long trainingCells,
      long trainingTokens,
      long validationCells,
      boolean headFromCheckpoint,
      Score before,
      List<String> trainedOn,
      double[] gradientSeconds)
      implements Serializable {}

  private final PretrainOptions o;
  private final String newModelConfig;
  private final Masking masking;
  private final DropoutRates dropout;
  private final String modelLocation;
  private final String target;
  private final String plan;
  private final FaultInjection.TrainingStop stopAfter;
  private final Broadcast<SerializableWritable<Configuration>> hadoop;
  private final byte[] secret;

  /**
   * @param newModelConfig the text of --new-model's config.json; null when continuing --model
   * @param modelLocation where model/ goes (in the staging folder)
   * @param target the output folder, beside which the epoch checkpoints go
   * @param plan the run's fingerprint as the driver knows it (options, model); the task adds its
   *     cells'
   * @param stopAfter where a test kills the task (epochs or steps)
   * @param secret the data-parallel workers' secret ({@link DataParallelStage#secret}); null when
   *     one task trains
   */
  PretrainTask(
      PretrainOptions o,
      String newModelConfig,
      Masking masking,
      DropoutRates dropout,
      String modelLocation,
      String target,
      String plan,
      FaultInjection.TrainingStop stopAfter,
      Broadcast<SerializableWritable<Configuration>> hadoop,
      byte[] secret) {
    this.o = o;
    this.newModelConfig = newModelConfig;
    this.masking = masking;
    this.dropout = dropout;
    this.modelLocation = modelLocation;
    this.target = target;
    this.plan = plan;
    this.stopAfter = stopAfter;
    this.hadoop = hadoop;
    this.secret = secret == null ? null : secret.clone();
  }

  @Override
  public Iterator<Outcome> call(Iterator<Row> rows) throws IOException {
    TaskCells train = new TaskCells();
    TaskCells validation = new TaskCells();
    rows.forEachRemaining(
        r ->
            ("validation".equals(r.getString(2)) ? validation : train)
                .add(r.getString(0), r.<Integer>getList(1), 0));
    CellsDigest digest = new CellsDigest();
    MaskedCells trainCells = cells(train, "train", digest);
    MaskedCells validationCells = cells(validation, "validation", digest);
    // Joined once the cells are read: the barrier waits for the slowest worker's rows.
    DataParallelWorkers.Joined joined = DataParallelWorkers.join(secret);
    try (Collective workers = joined.ring()) {
      boolean keeper = workers.rank() == 0;
      EpochCheckpoints checkpoints =
          keeper
              ? EpochCheckpoints.open(
                  target,
                  "pretrain",
                  plan + "\ncells " + digest.hex(),
                  hadoop.value().value(),
                  stopAfter)
              : EpochCheckpoints.follow(target, "pretrain", hadoop.value().value());
      Path scratch = Files.createTempDirectory(checkpoints.scratch(), "cellspark-pretrain-");
      try {
        Outcome done = train(trainCells, validationCells, checkpoints, scratch, joined);
        return keeper ? List.of(done).iterator() : Collections.emptyIterator();
      } finally {
        LocalFolders.delete(scratch);
      }
    }
  }

  /** A part's cells in cell_id order (the same every run), fed to the digest. */
  private MaskedCells cells(TaskCells arrived, String part, CellsDigest digest) {
    TaskCells.InOrder cells = arrived.inIdOrder();
    digest.text(part);
    for (int i = 0; i < cells.size(); i++) {
      digest.cell(cells.ids().get(i), cells.tokens().get(i));
    }
    return new MaskedCells(cells.tokens(), masking, o.seed());
  }

  /** Trains; worker 0 (or the one task) writes model/ and returns the numbers, the others null. */
  private Outcome train(
      MaskedCells train,
      MaskedCells validation,
      EpochCheckpoints checkpoints,
      Path scratch,
      DataParallelWorkers.Joined workers)
      throws IOException {
    boolean keeper = workers.ring().rank() == 0;
    Path location;
    Path config;
    if (newModelConfig != null) {
      config = scratch.resolve("new-model.json");
      Files.writeString(config, newModelConfig, StandardCharsets.UTF_8);
      location = scratch.resolve("new-model");
      BertInitializer.write(config, location, o.seed());
    } else {
      ResolvedModel model = ResolvedModel.of(o.model()); // resolved on this node
      location = model.path();
      config = model.configFile();
    }
    try (TrainableBert encoder =
        TrainableBert.load(location, TaskDevice.current(), o.training().precision())) {
      MaskedLmHeadWeights head = MaskedLmHeadWeights.of(location, o.seed());
      if (!head.fromCheckpoint() && newModelConfig == null && keeper) {
        LOG.warn(
            "pretrain: {} has no masked-language-model head (cls.predictions.*: a bare encoder or"
                + " a fine-tuned classifier); starting a new one",
            o.model());
      }
      MaskedLanguageModel model = new MaskedLanguageModel(encoder, head);
      int[] lengths = train.lengths();
      Score before = null;
      if (keeper) {
        before = model.score(validation, o.training().batchTokens(), new float[0]);
        LOG.info(
            String.format(
                Locale.ROOT,
                "pretrain: the model as it starts: validation loss %.4f, masked-gene accuracy %.4f",
                before.loss(),
                before.metric()));
      }
      FineTuner.Result run =
          FineTuner.train(
              model,
              train,
              validation,
              o.training().settings(lengths, new float[0], dropout),
              checkpoints,
              workers.ring());
      if (!keeper) {
        return null;
      }
      LocalFolders.publish(
          scratch,
          modelLocation,
          hadoop.value().value(),
          local -> FineTunedCheckpoint.write(local, model, config));
      long tokens = 0;
      for (int length : lengths) {
        tokens += length;
      }
      return new Outcome(
          run.epochs(),
          run.bestEpoch(),
          run.resumedAfter(),
          LengthBatcher.byLength(lengths, o.training().batchTokens()).size(),
          train.size(),
          tokens,
          validation.size(),
          head.fromCheckpoint(),
          before,
          workers.where(),
          run.gradientSeconds());
    }
  }
}
