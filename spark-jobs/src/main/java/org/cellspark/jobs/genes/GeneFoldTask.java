package org.cellspark.jobs.genes;

import java.io.IOException;
import java.io.Serializable;
import java.util.ArrayList;
import java.util.Collections;
import java.util.EnumMap;
import java.util.HashMap;
import java.util.Iterator;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.apache.hadoop.conf.Configuration;
import org.apache.spark.SerializableWritable;
import org.apache.spark.api.java.function.FlatMapFunction;
import org.apache.spark.broadcast.Broadcast;
import org.cellspark.error.UserException;
import org.cellspark.jobs.common.LocalFolders;
import org.cellspark.jobs.finetune.CellsDigest;
import org.cellspark.jobs.finetune.ClassWeights;
import org.cellspark.jobs.finetune.EpochCheckpoints;
import org.cellspark.jobs.finetune.SettingsSearch;
import org.cellspark.jobs.finetune.TrainingOptions;
import org.cellspark.jobs.finetune.Trials;
import org.cellspark.model.TrainableBert;
import org.cellspark.spark.FaultInjection;
import org.cellspark.spark.ResolvedModel;
import org.cellspark.spark.TaskDevice;
import org.cellspark.train.FineTunedCheckpoint;
import org.cellspark.train.FineTuner;
import org.cellspark.train.GeneClassifier;
import org.cellspark.train.LabelledTokens;
import org.cellspark.train.TokenEvaluation;
import scala.Tuple2;

/**
 * One fold of a gene classifier's cross-validation (with --search, one trial of a fold), in one
 * Spark task (on its executor's GPU, else the CPU): it gets its cells by part ({@link FoldCells})
 * and labels in them the fold's training genes for training, its validation genes for choosing the
 * epoch and its test genes for the test (a cell can serve all three, with other genes labelled in
 * each); fine-tunes a fresh copy of the checkpoint with its trial's settings; scores the validation
 * and test genes; writes its model into the job's staging folder and returns the numbers. The cells
 * are held as int arrays (4 bytes a token).
 */
final class GeneFoldTask
    implements FlatMapFunction<
        Iterator<Tuple2<Integer, FoldCells.FoldCell>>, GeneFoldTask.Outcome> {
  private static final long serialVersionUID = 1L;

  /**
   * What a fold returns to the driver.
   *
   * @param trial the --search trial trained (0 without a search)
   * @param genes the fold's genes in each role
   * @param cells the cells labelled in each role (after --max-cells)
   * @param validation the validation genes' occurrences, scored
   * @param test the test genes' occurrences, scored
   * @param trainedOn the executor and device that trained the fold
   * @param predicted the genes to predict as the fold's model scores them (none: empty)
   */
  record Outcome(
      int fold,
      int trial,
      String trainedOn,
      List<FineTuner.Epoch> epochs,
      int bestEpoch,
      int resumedAfter,
      Map<GeneFolds.Role, Integer> genes,
      Map<GeneFolds.Role, Integer> cells,
      TokenEvaluation validation,
      TokenEvaluation test,
      GeneScores predicted,
      float[] classWeights)
      implements Trials.Outcome, Serializable {}

  private final GeneFinetuneOptions o;
  private final GeneFolds folds;
  private final List<String> names;
  private final int vocabularySize;
  private final List<SettingsSearch.Trial> trials;
  private final String stagingLocation;
  private final String target;
  private final String plan;
  private final FaultInjection.TrainingStop stopAfter;
  private final Broadcast<SerializableWritable<Configuration>> hadoop;

  /**
   * @param trials the search's trials, each trained in every fold (one without a search)
   * @param stagingLocation the job's staging folder, where each training writes its model
   * @param target the output folder, beside which each fold's epoch checkpoints go
   * @param plan the job's fingerprint as the driver knows it (options, model, folds); each fold
   *     adds its cells'
   * @param stopAfter where a test kills the task (epochs or steps)
   */
  GeneFoldTask(
      GeneFinetuneOptions o,
      GeneFolds folds,
      List<String> names,
      int vocabularySize,
      List<SettingsSearch.Trial> trials,
      String stagingLocation,
      String target,
      String plan,
      FaultInjection.TrainingStop stopAfter,
      Broadcast<SerializableWritable<Configuration>> hadoop) {
    this.o = o;
    this.folds = folds;
    this.names = List.copyOf(names);
    this.vocabularySize = vocabularySize;
    this.trials = List.copyOf(trials);
    this.stagingLocation = stagingLocation;
    this.target = target;
    this.plan = plan;
    this.stopAfter = stopAfter;
    this.hadoop = hadoop;
  }

  @Override
  public Iterator<Outcome> call(Iterator<Tuple2<Integer, FoldCells.FoldCell>> rows)
      throws IOException {
    if (!rows.hasNext()) {
      return Collections.emptyIterator();
    }
    int unit = -1;
    Map<String, int[]> tokensOf = new HashMap<>(); // a cell in several parts is held once
    List<List<String>> idsByPart = new ArrayList<>();
    for (int p = 0; p < GeneFolds.Role.values().length; p++) {
      idsByPart.add(new ArrayList<>());
    }
    while (rows.hasNext()) {
      Tuple2<Integer, FoldCells.FoldCell> r = rows.next();
      unit = r._1();
      FoldCells.FoldCell cell = r._2();
      tokensOf.putIfAbsent(cell.cellId(), cell.tokens());
      for (int p = 0; p < idsByPart.size(); p++) {
        if ((cell.parts() & (1 << p)) != 0) {
          idsByPart.get(p).add(cell.cellId());
        }
      }
    }
    int fold = unit / trials.size();
    SettingsSearch.Trial trial = trials.get(unit % trials.size());
    Map<GeneFolds.Role, LabelledTokens> byRole = new EnumMap<>(GeneFolds.Role.class);
    Map<GeneFolds.Role, Integer> genes = new EnumMap<>(GeneFolds.Role.class);
    Map<GeneFolds.Role, Integer> cells = new EnumMap<>(GeneFolds.Role.class);
    for (GeneFolds.Role role : GeneFolds.Role.values()) {
      List<String> ids = idsByPart.get(role.ordinal());
      Collections.sort(ids); // the same order every run
      List<int[]> tokens = new ArrayList<>(ids.size());
      ids.forEach(id -> tokens.add(tokensOf.get(id)));
      byRole.put(role, new LabelledTokens(tokens, folds.classOfToken(fold, role, vocabularySize)));
      genes.put(role, folds.count(fold, role));
      cells.put(role, ids.size());
    }
    for (GeneFolds.Role role : List.of(GeneFolds.Role.TRAIN, GeneFolds.Role.VALIDATION)) {
      if (byRole.get(role).size() == 0) {
        throw UserException.of(
            "fold %d: no cell of %s holds any of the fold's %d %s genes; give more cells or"
                + " genes",
            fold + 1, o.input(), genes.get(role), role.name().toLowerCase(Locale.ROOT));
      }
    }
    EpochCheckpoints checkpoints =
        EpochCheckpoints.open(
            target,
            Trials.checkpointName(o.foldsToRun(), trials.size(), fold, trial.id()),
            plan
                + "\nfold "
                + (fold + 1)
                + (trials.size() == 1 ? "" : "\ntrial " + trial.id() + " " + trial.values())
                + "\ncells "
                + digest(idsByPart, tokensOf),
            hadoop.value().value(),
            stopAfter);
    return List.of(train(fold, trial, byRole, genes, cells, checkpoints)).iterator();
  }

  /** The fold's cells as a resumed run must find them: each part's IDs and every cell's tokens. */
  private static String digest(List<List<String>> idsByPart, Map<String, int[]> tokensOf) {
    CellsDigest d = new CellsDigest();
    for (List<String> ids : idsByPart) {
      d.text(Integer.toString(ids.size()));
      ids.forEach(id -> d.cell(id, tokensOf.get(id)));
    }
    return d.hex();
  }

  private Outcome train(
      int fold,
      SettingsSearch.Trial trial,
      Map<GeneFolds.Role, LabelledTokens> byRole,
      Map<GeneFolds.Role, Integer> genes,
      Map<GeneFolds.Role, Integer> cells,
      EpochCheckpoints checkpoints)
      throws IOException {
    TrainingOptions training = trial.training();
    LabelledTokens train = byRole.get(GeneFolds.Role.TRAIN);
    float[] weights = classWeights(train, names.size(), training.balanced());
    ResolvedModel model = ResolvedModel.of(o.model()); // resolved on this node
    try (TrainableBert encoder = training.encoder(model.path(), TaskDevice.current())) {
      GeneClassifier classifier =
          new GeneClassifier(
              encoder,
              FineTuner.initialHead(names.size(), model.config().hiddenSize(), training.seed()),
              new float[names.size()]);
      FineTuner.Result run =
          FineTuner.train(
              classifier,
              train,
              byRole.get(GeneFolds.Role.VALIDATION),
              training.settings(
                  train.lengths(), weights, training.dropoutRates(model.configFile())),
              checkpoints);
      long batchTokens = training.batchTokens();
      TokenEvaluation validation =
          TokenEvaluation.of(
              classifier, byRole.get(GeneFolds.Role.VALIDATION), batchTokens, weights);
      TokenEvaluation test =
          TokenEvaluation.of(classifier, byRole.get(GeneFolds.Role.TEST), batchTokens, weights);
      GeneScores predicted =
          GeneScores.of(
              TokenEvaluation.of(
                  classifier, byRole.get(GeneFolds.Role.PREDICT), batchTokens, weights),
              names.size());
      LocalFolders.publish(
          checkpoints.scratch(), // the executor's local disks, not /tmp
          Trials.modelLocation(stagingLocation, o.foldsToRun(), trials.size(), fold, trial.id()),
          hadoop.value().value(),
          local -> FineTunedCheckpoint.write(local, classifier, model.configFile(), names));
      String on = TaskDevice.where(encoder.manager().getDevice());
      return new Outcome(
          fold,
          trial.id(),
          on,
          run.epochs(),
          run.bestEpoch(),
          run.resumedAfter(),
          genes,
          cells,
          validation,
          test,
          predicted,
          weights);
    }
  }

  /**
   * Balanced: n / (classes x occurrences of the class) over the training genes' labelled
   * occurrences, as scikit-learn's "balanced" counts samples; else all 1.
   */
  static float[] classWeights(LabelledTokens train, int classes, boolean balanced) {
    long[] counts = new long[classes];
    for (int[] cell : train.tokens()) {
      for (int t : cell) {
        int c = train.classOf(t);
        if (c >= 0) {
          counts[c]++;
        }
      }
    }
    return ClassWeights.of(counts, balanced);
  }

  @Override
  public String toString() {
    return "GeneFoldTask" + names;
  }
}
