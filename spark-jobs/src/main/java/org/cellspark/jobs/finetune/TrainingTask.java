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
import org.cellspark.jobs.common.LocalFolders;
import org.cellspark.model.TrainableBert;
import org.cellspark.spark.FaultInjection;
import org.cellspark.spark.ResolvedModel;
import org.cellspark.spark.TaskDevice;
import org.cellspark.train.CellClassifier;
import org.cellspark.train.DropoutRates;
import org.cellspark.train.Evaluation;
import org.cellspark.train.FineTunedCheckpoint;
import org.cellspark.train.FineTuner;
import org.cellspark.train.LabelledCells;

/**
 * The one task that fine-tunes: it reads its partition (every labelled cell: cell_id, input_ids,
 * label, split) into memory, trains on the task's device (its GPU, else the CPU), evaluates every
 * split, writes model/ into the job's staging folder and returns the numbers to the driver. The
 * tokens are held packed, 2 bytes a token ({@link TaskCells}): a million cells of 2,048 tokens take
 * 4 GB of the executor's heap.
 */
final class TrainingTask implements FlatMapFunction<Iterator<Row>, TrainingTask.Outcome> {
  private static final long serialVersionUID = 1L;

  /** One split's cells as the driver needs them back: IDs, labels, the model's predictions. */
  record SplitResult(List<String> ids, int[] labels, Evaluation evaluation)
      implements Serializable {}

  /**
   * What training returns to the driver.
   *
   * @param bestEpoch the epoch whose weights were kept
   * @param splits train, validation, test (a split without cells has no evaluation)
   */
  record Outcome(
      List<FineTuner.Epoch> epochs,
      int bestEpoch,
      int resumedFrom,
      Map<String, SplitResult> splits,
      float[] classWeights)
      implements Serializable {}

  private final FinetuneOptions o;
  private final DropoutRates dropout;
  private final List<String> names;
  private final int clsId;
  private final int eosId;
  private final String modelUri;
  private final String target;
  private final String plan;
  private final FaultInjection.TrainingStop stopAfter;
  private final Broadcast<SerializableWritable<Configuration>> hadoop;

  /**
   * @param target the output folder, beside which the epoch checkpoints go
   * @param plan the fine-tune's fingerprint as the driver knows it (options, model); the task adds
   *     its cells'
   * @param stopAfter where a test kills the task (epochs or steps)
   */
  TrainingTask(
      FinetuneOptions o,
      DropoutRates dropout,
      List<String> names,
      int clsId,
      int eosId,
      String modelUri,
      String target,
      String plan,
      FaultInjection.TrainingStop stopAfter,
      Broadcast<SerializableWritable<Configuration>> hadoop) {
    this.o = o;
    this.dropout = dropout;
    this.names = List.copyOf(names);
    this.clsId = clsId;
    this.eosId = eosId;
    this.modelUri = modelUri;
    this.target = target;
    this.plan = plan;
    this.stopAfter = stopAfter;
    this.hadoop = hadoop;
  }

  @Override
  public Iterator<Outcome> call(Iterator<Row> rows) throws IOException {
    Map<String, TaskCells> bySplit = new LinkedHashMap<>();
    for (String s : List.of("train", "validation", "test")) {
      bySplit.put(s, new TaskCells());
    }
    rows.forEachRemaining(
        r ->
            bySplit
                .get(r.getString(3))
                .add(r.getString(0), r.<Integer>getList(1), names.indexOf(r.getString(2))));
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
    EpochCheckpoints checkpoints =
        EpochCheckpoints.open(
            target, plan + "\ncells " + digest.hex(), hadoop.value().value(), stopAfter);
    return List.of(train(cells, ids, checkpoints)).iterator();
  }

  private Outcome train(
      Map<String, LabelledCells> cells, Map<String, List<String>> ids, EpochCheckpoints checkpoints)
      throws IOException {
    LabelledCells train = cells.get("train"); // both hold cells: the driver checked
    LabelledCells validation = cells.get("validation");
    float[] weights = classWeights(train, names.size(), o.training().balanced());
    ResolvedModel model = ResolvedModel.of(o.model()); // resolved on this node
    try (TrainableBert encoder =
        TrainableBert.load(model.path(), TaskDevice.current(), o.training().precision())) {
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
              o.training().settings(train.lengths(), weights, dropout),
              checkpoints);
      Map<String, SplitResult> splits = new LinkedHashMap<>();
      for (String s : cells.keySet()) {
        LabelledCells c = cells.get(s);
        splits.put(
            s,
            new SplitResult(
                ids.get(s),
                c.labels(),
                c.size() == 0
                    ? null
                    : Evaluation.of(
                        classifier, c, o.training().batchTokens(), weights, names.size())));
      }
      writeModel(classifier, model, checkpoints.scratch());
      return new Outcome(run.epochs(), run.bestEpoch(), run.resumedAfter(), splits, weights);
    }
  }

  /** Balanced: n / (classes x cells of the class), as scikit-learn's "balanced"; else all 1. */
  static float[] classWeights(LabelledCells train, int classes, boolean balanced) {
    return ClassWeights.of(ClassWeights.counts(train.labels(), classes), balanced);
  }

  /** model/ written on this node's disk, then copied into the staging folder. */
  private void writeModel(CellClassifier classifier, ResolvedModel model, Path scratch)
      throws IOException {
    // Where the epoch states go too: the executor's local disks (1.3 GB for V2-316M), not /tmp.
    LocalFolders.publish(
        scratch,
        modelUri,
        hadoop.value().value(),
        local -> FineTunedCheckpoint.write(local, classifier, model.configFile(), names));
  }

  @Override
  public String toString() {
    return "TrainingTask" + Arrays.asList(o.label(), names);
  }
}
