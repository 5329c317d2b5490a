package org.cellspark.jobs.multitask;

import java.io.IOException;
import java.io.Serializable;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.apache.hadoop.conf.Configuration;
import org.apache.spark.SerializableWritable;
import org.apache.spark.api.java.function.FlatMapFunction;
import org.apache.spark.broadcast.Broadcast;
import org.apache.spark.sql.Row;
import org.cellspark.collective.Collective;
import org.cellspark.jobs.common.LocalFolders;
import org.cellspark.jobs.finetune.CellsDigest;
import org.cellspark.jobs.finetune.ClassWeights;
import org.cellspark.jobs.finetune.EpochCheckpoints;
import org.cellspark.jobs.finetune.SettingsSearch;
import org.cellspark.jobs.finetune.TaskCells;
import org.cellspark.jobs.finetune.TrainingOptions;
import org.cellspark.jobs.finetune.Trials;
import org.cellspark.model.TrainableBert;
import org.cellspark.spark.DataParallelWorkers;
import org.cellspark.spark.FaultInjection;
import org.cellspark.spark.ResolvedModel;
import org.cellspark.spark.TaskDevice;
import org.cellspark.train.FineTunedCheckpoint;
import org.cellspark.train.FineTuner;
import org.cellspark.train.MultiLabelledCells;
import org.cellspark.train.MultiTaskClassifier;
import org.cellspark.train.MultiTaskEvaluation;

/**
 * The one task that trains the multi-task model: it reads its partition (every cell with a class
 * for at least one task: cell_id, input_ids, split, then one class name or null per task) into
 * memory, packed as finetune's task holds cells, trains on the task's device, predicts every task
 * for every cell of every split, writes model/ into the staging folder and returns the numbers.
 */
final class MultitaskTrainingTask
    implements FlatMapFunction<Iterator<Row>, MultitaskTrainingTask.Outcome> {
  private static final long serialVersionUID = 1L;

  /** One split's cells: IDs, each task's class numbers (-1: none), the model's predictions. */
  record SplitResult(List<String> ids, int[][] labels, MultiTaskEvaluation evaluation)
      implements Serializable {}

  /**
   * What training returns to the driver.
   *
   * @param trial the search's trial (0 without a search)
   * @param trainedOn the executor and device that trained it
   * @param splits train, validation, test (a split without cells has no evaluation)
   * @param gradientSeconds data-parallel workers' seconds in the gradients' sums, by rank
   */
  record Outcome(
      int trial,
      String trainedOn,
      List<FineTuner.Epoch> epochs,
      int bestEpoch,
      int resumedFrom,
      Map<String, SplitResult> splits,
      float[] classWeights,
      double[] gradientSeconds)
      implements Serializable, Trials.Outcome {}

  private final MultitaskOptions o;
  private final List<SettingsSearch.Trial> trials;
  private final Map<String, List<String>> classes;
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
   *     trial's cells, its number in each row's last column)
   * @param classes each task's class names, in task order
   * @param stagingLocation the job's staging folder, where model/ goes (a trial's: a folder of its
   *     own)
   * @param target the output folder, beside which the training's states go
   * @param plan the training's fingerprint as the driver knows it; the task adds its cells'
   * @param secret the data-parallel workers' secret (their partitions hold every training cell,
   *     worker 0's the other splits too); null: one task trains each trial
   */
  MultitaskTrainingTask(
      MultitaskOptions o,
      List<SettingsSearch.Trial> trials,
      Map<String, List<String>> classes,
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
    this.classes = new LinkedHashMap<>(classes);
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
    if (!rows.hasNext()) {
      return java.util.Collections.emptyIterator(); // a partition no trial was dealt to
    }
    List<List<String>> names = new ArrayList<>(classes.values());
    int tasks = names.size();
    Map<String, TaskCells> bySplit = new LinkedHashMap<>();
    for (String s : List.of("train", "validation", "test")) {
      bySplit.put(s, new TaskCells());
    }
    // TaskCells keeps one int beside each cell: the cell's arrival number, which finds its classes.
    List<int[]> arrived = new ArrayList<>();
    int[] trial = {-1};
    rows.forEachRemaining(
        r -> {
          trial[0] = r.getInt(r.length() - 1);
          int[] labels = new int[tasks];
          for (int t = 0; t < tasks; t++) {
            labels[t] =
                r.isNullAt(3 + t)
                    ? MultiLabelledCells.UNLABELLED
                    : names.get(t).indexOf(r.getString(3 + t));
          }
          bySplit.get(r.getString(2)).add(r.getString(0), r.<Integer>getList(1), arrived.size());
          arrived.add(labels);
        });
    Map<String, MultiLabelledCells> cells = new LinkedHashMap<>();
    Map<String, List<String>> ids = new LinkedHashMap<>();
    CellsDigest digest = new CellsDigest();
    bySplit.forEach(
        (s, part) -> {
          TaskCells.InOrder inOrder = part.inIdOrder(); // the same order every run
          int[][] labels = new int[tasks][inOrder.size()];
          digest.text(s);
          for (int i = 0; i < inOrder.size(); i++) {
            int[] own = arrived.get(inOrder.labels()[i]);
            for (int t = 0; t < tasks; t++) {
              labels[t][i] = own[t];
            }
            digest.cell(inOrder.ids().get(i), inOrder.tokens().get(i), own);
          }
          cells.put(s, new MultiLabelledCells(inOrder.tokens(), labels));
          ids.put(s, inOrder.ids());
        });
    SettingsSearch.Trial t = trials.get(trial[0]);
    String name = trials.size() == 1 ? "multitask" : "multitask/trial-" + t.id();
    // Joined once the cells are read: the barrier waits for the slowest worker's rows.
    DataParallelWorkers.Joined workers = DataParallelWorkers.join(secret);
    try (Collective ring = workers.ring()) {
      if (ring.rank() > 0) { // worker 0 checks the plan and keeps the states
        train(
            t, cells, ids, EpochCheckpoints.follow(target, name, hadoop.value().value()), workers);
        return java.util.Collections.emptyIterator();
      }
      EpochCheckpoints checkpoints =
          EpochCheckpoints.open(
              target,
              name,
              plan
                  + "\ncells "
                  + digest.hex()
                  + (trials.size() == 1 ? "" : "\ntrial " + t.values()),
              hadoop.value().value(),
              stopAfter);
      return List.of(train(t, cells, ids, checkpoints, workers)).iterator();
    }
  }

  /** Trains; worker 0 (or the one task) evaluates, writes the model and returns the numbers. */
  private Outcome train(
      SettingsSearch.Trial trial,
      Map<String, MultiLabelledCells> cells,
      Map<String, List<String>> ids,
      EpochCheckpoints checkpoints,
      DataParallelWorkers.Joined workers)
      throws IOException {
    TrainingOptions training = trial.training();
    MultiLabelledCells train = cells.get("train"); // every task has cells there: the driver checked
    float[] weights = classWeights(train, training.balanced());
    ResolvedModel model = ResolvedModel.of(o.model()); // resolved on this node
    try (TrainableBert encoder = training.encoder(model.path(), TaskDevice.current())) {
      MultiTaskClassifier classifier = newClassifier(encoder, model.config().hiddenSize());
      FineTuner.Result run =
          FineTuner.train(
              classifier,
              train,
              cells.get("validation"),
              training.settings(
                  train.lengths(), weights, training.dropoutRates(model.configFile())),
              checkpoints,
              workers.ring());
      if (workers.ring().rank() > 0) {
        return null;
      }
      Map<String, SplitResult> splits = new LinkedHashMap<>();
      cells.forEach(
          (s, c) ->
              splits.put(
                  s,
                  new SplitResult(
                      ids.get(s),
                      c.labels(),
                      c.size() == 0
                          ? null
                          : MultiTaskEvaluation.of(
                              classifier, c, training.batchTokens(), weights))));
      writeModel(
          classifier,
          model,
          checkpoints.scratch(),
          Trials.modelLocation(stagingLocation, trials.size(), trial.id()));
      String on = String.join("; ", workers.where());
      return new Outcome(
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

  /** New heads (and attention vector) as upstream initialises them, drawn from the seed. */
  private MultiTaskClassifier newClassifier(TrainableBert encoder, int hidden) {
    Random random = new Random(o.seed());
    float[] attention =
        o.pool() == MultiTaskClassifier.Pool.ATTENTION
            ? MultiTaskClassifier.newAttention(hidden, random)
            : null;
    List<MultiTaskClassifier.Head> heads = new ArrayList<>();
    for (List<String> names : classes.values()) {
      heads.add(MultiTaskClassifier.Head.xavier(names.size(), hidden, random));
    }
    double[] w = o.taskWeights();
    float[] taskWeights = new float[w.length];
    for (int t = 0; t < w.length; t++) {
      taskWeights[t] = (float) w[t];
    }
    return new MultiTaskClassifier(encoder, o.pool(), clsId, eosId, heads, attention, taskWeights);
  }

  /**
   * Every task's class weights, one task after the other: balanced over the task's labelled
   * training cells (scikit-learn's "balanced"), else all 1.
   */
  private float[] classWeights(MultiLabelledCells train, boolean balanced) {
    List<float[]> tasks = new ArrayList<>();
    int t = 0;
    for (List<String> names : classes.values()) {
      tasks.add(ClassWeights.of(ClassWeights.counts(train.labels(t++), names.size()), balanced));
    }
    float[] w = new float[tasks.stream().mapToInt(a -> a.length).sum()];
    int at = 0;
    for (float[] a : tasks) {
      System.arraycopy(a, 0, w, at, a.length);
      at += a.length;
    }
    return w;
  }

  /** model/ written on this node's disk, then copied into the staging folder. */
  private void writeModel(
      MultiTaskClassifier classifier, ResolvedModel model, Path scratch, String modelLocation)
      throws IOException {
    LocalFolders.publish(
        scratch,
        modelLocation,
        hadoop.value().value(),
        local -> FineTunedCheckpoint.write(local, classifier, model.configFile(), classes));
  }

  @Override
  public String toString() {
    return "MultitaskTrainingTask" + Arrays.asList(o.tasks(), classes);
  }
}
