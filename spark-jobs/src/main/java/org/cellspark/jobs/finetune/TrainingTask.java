package org.cellspark.jobs.finetune;

import java.io.IOException;
import java.io.Serializable;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.apache.hadoop.conf.Configuration;
import org.apache.spark.SerializableWritable;
import org.apache.spark.api.java.function.FlatMapFunction;
import org.apache.spark.broadcast.Broadcast;
import org.apache.spark.sql.Row;
import org.cellspark.collective.Collective;
import org.cellspark.jobs.common.DataParallelStage;
import org.cellspark.jobs.common.LocalFolders;
import org.cellspark.model.TrainableBert;
import org.cellspark.spark.DataParallelWorkers;
import org.cellspark.spark.FaultInjection;
import org.cellspark.spark.ResolvedModel;
import org.cellspark.spark.TaskDevice;
import org.cellspark.train.CellClassifier;
import org.cellspark.train.Evaluation;
import org.cellspark.train.FineTunedCheckpoint;
import org.cellspark.train.FineTuner;
import org.cellspark.train.LabelledCells;

/**
 * The task that fine-tunes (one, or one per unit: a search's trial, a cross-validation's fold, or a
 * trial within a fold): it reads its partition (every labelled cell: cell_id, input_ids, label, its
 * split in the unit's fold, the unit's number) into memory, trains with the trial's settings on the
 * task's device (its GPU, else the CPU), evaluates every split (with --folds validation and test
 * only: only the held-out fold's predictions are kept), writes its model into the job's staging
 * folder and returns the numbers to the driver. The tokens are held packed, 2 bytes a token ({@link
 * TaskCells}): a million cells of 2,048 tokens take 4 GB of the executor's heap.
 */
final class TrainingTask implements FlatMapFunction<Iterator<Row>, TrainingTask.Outcome> {
  private static final long serialVersionUID = 1L;

  /** One split's cells as the driver needs them back: IDs, labels, the model's predictions. */
  record SplitResult(List<String> ids, int[] labels, Evaluation evaluation)
      implements Serializable {

    /** The summary's and metrics.json's scores of the split: cells, accuracy, macro-F1, loss. */
    Map<String, Object> scores() {
      Map<String, Object> m = new LinkedHashMap<>();
      m.put("cells", ids.size());
      m.put("accuracy", evaluation.accuracy());
      m.put("macro_f1", evaluation.macroF1());
      m.put("loss", evaluation.loss());
      return m;
    }
  }

  /**
   * What training returns to the driver.
   *
   * @param bestEpoch the epoch whose weights were kept
   * @param fold the cross-validation fold (0 without --folds)
   * @param trial the search's trial (0 without a search)
   * @param trainedOn the executor and device that trained it
   * @param splits train, validation, test (a split without cells has no evaluation)
   * @param gradientSeconds data-parallel workers' seconds in the gradients' sums, by rank
   */
  record Outcome(
      int fold,
      int trial,
      String trainedOn,
      List<FineTuner.Epoch> epochs,
      int bestEpoch,
      int resumedFrom,
      Map<String, SplitResult> splits,
      float[] classWeights,
      double[] gradientSeconds)
      implements Serializable, Trials.Outcome {}

  private final FinetuneOptions o;
  private final List<SettingsSearch.Trial> trials;
  private final int folds;
  private final List<String> names;
  private final int clsId;
  private final int eosId;
  private final String stagingLocation;
  private final String target;
  private final String plan;
  private final FaultInjection.TrainingStop stopAfter;
  private final Broadcast<SerializableWritable<Configuration>> hadoop;
  private final byte[] secret;

  /**
   * @param trials the settings to train with: one, or a search's trials (a partition holds one
   *     unit's cells, its number in each row: fold unit / trials, trial unit % trials)
   * @param folds the cross-validation's folds; 0: one split
   * @param out the job's output: model/ goes into its staging folder (a search's trial: a folder of
   *     its own there), the epoch checkpoints beside it
   * @param plan the fine-tune's fingerprint as the driver knows it (options, model); the task adds
   *     its cells'
   * @param stopAfter where a test kills the task (epochs or steps)
   * @param secret the data-parallel workers' secret ({@link DataParallelStage#secret}; their
   *     partitions hold every training cell, worker 0's the other splits too); null: one task
   *     trains each unit
   */
  TrainingTask(
      FinetuneOptions o,
      List<SettingsSearch.Trial> trials,
      int folds,
      List<String> names,
      int clsId,
      int eosId,
      String stagingLocation,
      String target,
      String plan,
      FaultInjection.TrainingStop stopAfter,
      Broadcast<SerializableWritable<Configuration>> hadoop,
      byte[] secret) {
    this.o = o;
    this.trials = List.copyOf(trials);
    this.folds = folds;
    this.names = List.copyOf(names);
    this.clsId = clsId;
    this.eosId = eosId;
    this.stagingLocation = stagingLocation;
    this.target = target;
    this.plan = plan;
    this.stopAfter = stopAfter;
    this.hadoop = hadoop;
    this.secret = secret == null ? null : secret.clone();
  }

  @Override
  public Iterator<Outcome> call(Iterator<Row> rows) throws IOException {
    Map<String, TaskCells> bySplit = new LinkedHashMap<>();
    for (String s : List.of("train", "validation", "test")) {
      bySplit.put(s, new TaskCells());
    }
    int[] unit = {-1};
    rows.forEachRemaining(
        r -> {
          unit[0] = r.getInt(r.length() - 1);
          bySplit
              .get(r.getString(3))
              .add(r.getString(0), r.<Integer>getList(1), names.indexOf(r.getString(2)));
        });
    if (unit[0] < 0) {
      return java.util.Collections.emptyIterator(); // a partition no unit was dealt to
    }
    Map<String, LabelledCells> cells = new LinkedHashMap<>();
    Map<String, List<String>> ids = new LinkedHashMap<>();
    CellsDigest digest = new CellsDigest();
    bySplit.forEach(
        (s, arrived) -> {
          TaskCells.InOrder part = arrived.inIdOrder(); // the same order every run
          digest.text(s);
          for (int i = 0; i < part.size(); i++) {
            digest.cell(part.ids().get(i), part.tokens().get(i), part.labels()[i]);
          }
          cells.put(s, new LabelledCells(part.tokens(), part.labels()));
          ids.put(s, part.ids());
        });
    SettingsSearch.Trial t = trials.get(unit[0] % trials.size());
    int fold = folds == 0 ? 0 : unit[0] / trials.size();
    String fingerprint = plan + "\ncells " + digest.hex();
    Configuration conf = hadoop.value().value();
    String name = Trials.checkpointName(folds, trials.size(), fold, t.id());
    // Joined once the cells are read: the barrier waits for the slowest worker's rows.
    DataParallelWorkers.Joined workers = DataParallelWorkers.join(secret);
    try (Collective ring = workers.ring()) {
      if (ring.rank() > 0) { // one training, the job's own folder: worker 0 checks the plan
        train(fold, t, cells, ids, EpochCheckpoints.follow(target, null, conf), workers);
        return java.util.Collections.emptyIterator();
      }
      EpochCheckpoints checkpoints =
          name == null
              ? EpochCheckpoints.open(target, fingerprint, conf, stopAfter)
              : EpochCheckpoints.open(
                  target, name, fingerprint + "\n" + name + " " + t.values(), conf, stopAfter);
      return List.of(train(fold, t, cells, ids, checkpoints, workers)).iterator();
    }
  }

  /** Trains; worker 0 (or the one task) evaluates, writes the model and returns the numbers. */
  private Outcome train(
      int fold,
      SettingsSearch.Trial trial,
      Map<String, LabelledCells> cells,
      Map<String, List<String>> ids,
      EpochCheckpoints checkpoints,
      DataParallelWorkers.Joined workers)
      throws IOException {
    TrainingOptions training = trial.training();
    LabelledCells train = cells.get("train"); // both hold cells: the driver checked
    LabelledCells validation = cells.get("validation");
    float[] weights = classWeights(train, names.size(), training.balanced());
    ResolvedModel model = ResolvedModel.of(o.model()); // resolved on this node
    try (TrainableBert encoder = training.encoder(model.path(), TaskDevice.current())) {
      CellClassifier classifier =
          new CellClassifier(
              encoder,
              o.pooling(),
              clsId,
              eosId,
              FineTuner.initialHead(names.size(), model.config().hiddenSize(), o.seed()),
              new float[names.size()]);
      FineTuner.Result run =
          FineTuner.train(
              classifier,
              train,
              validation,
              training.settings(
                  train.lengths(), weights, training.dropoutRates(model.configFile())),
              checkpoints,
              workers.ring());
      if (workers.ring().rank() > 0) {
        return null;
      }
      Map<String, SplitResult> splits = new LinkedHashMap<>();
      for (String s : cells.keySet()) {
        LabelledCells c = cells.get(s);
        if (folds > 0 && s.equals("train")) {
          // A fold's training cells are other folds' test cells: their predictions come from there.
          splits.put(s, new SplitResult(List.of(), new int[0], null));
          continue;
        }
        splits.put(
            s,
            new SplitResult(
                ids.get(s),
                c.labels(),
                c.size() == 0
                    ? null
                    : Evaluation.of(classifier, c, training.batchTokens(), weights, names.size())));
      }
      writeModel(
          classifier,
          model,
          checkpoints.scratch(),
          Trials.modelLocation(stagingLocation, folds, trials.size(), fold, trial.id()));
      String on = String.join("; ", workers.where());
      return new Outcome(
          fold,
          trial.id(),
          on,
          run.epochs(),
          run.bestEpoch(),
          run.resumedAfter(),
          splits,
          weights,
          run.gradientSeconds());
    }
  }

  /** Balanced: n / (classes x cells of the class), as scikit-learn's "balanced"; else all 1. */
  static float[] classWeights(LabelledCells train, int classes, boolean balanced) {
    return ClassWeights.of(ClassWeights.counts(train.labels(), classes), balanced);
  }

  /** model/ written on this node's disk, then copied into the staging folder. */
  private void writeModel(
      CellClassifier classifier, ResolvedModel model, Path scratch, String modelLocation)
      throws IOException {
    // Where the epoch states go too: the executor's local disks (1.3 GB for V2-316M), not /tmp.
    LocalFolders.publish(
        scratch,
        modelLocation,
        hadoop.value().value(),
        local -> FineTunedCheckpoint.write(local, classifier, model.configFile(), names));
  }

  @Override
  public String toString() {
    return "TrainingTask" + Arrays.asList(o.label(), names);
  }
}
