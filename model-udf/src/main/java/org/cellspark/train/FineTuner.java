package org.cellspark.train;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.pytorch.jni.JniUtils;
import ai.djl.training.GradientCollector;
import java.io.IOException;
import java.io.Serializable;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Random;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.Consumer;
import java.util.function.Function;
import org.cellspark.collective.Collective;
import org.cellspark.error.UserException;
import org.cellspark.infer.LengthBatcher;
import org.cellspark.model.TrainableBert;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Trains a {@link Classifier} (a cell or a gene classifier, or the masked language model that
 * pretraining trains): epochs over the training cells in length-grouped batches under a token
 * budget (the batches' order shuffled each epoch with the seed), dropout as the checkpoint's config
 * gives it, the classifier's loss, gradients clipped by their global norm, AdamW on a
 * warm-up-then-decay schedule, the first {@code freezeLayers} encoder layers (and the embeddings
 * with them) left as they are; after each epoch the validation cells' metric (macro-F1 for a
 * classifier), and the best epoch's weights kept (early stopping after {@code patience} epochs
 * without a better one).
 *
 * <p>Everything random comes from the seed, by position: epoch {@code e}'s batch order from {@code
 * java.util.Random(seed + e)} ({@link StepOrder}: when a step takes several batches, batches of
 * about the same cost share a step); the dropout masks (and a masked language model's masked genes)
 * of step {@code t}'s batch {@code g} (its place among the batches whose gradients add up to the
 * step, from 0) from libtorch's generator seeded with {@code seed + t + g * 0x9E3779B9} (steps
 * counted from 0). So the same seed gives the same model twice on one device, a run resumed from a
 * checkpoint continues as the uninterrupted run would, with no generator state to save, and a batch
 * draws the same masks wherever it is computed.
 *
 * <p>Data-parallel ({@link Collective}): each of {@code n} workers holds a copy of the model and
 * every training cell, follows the same batch order, and computes its own {@code accumulate}
 * batches of each step (worker {@code r} the step's batches {@code r * accumulate} on); the
 * gradients are summed between the workers before the step, which every worker then takes alike. So
 * {@code n} workers accumulating {@code a} batches train the model one worker accumulating {@code n
 * * a} batches trains. Worker 0 scores the validation cells (the others take its numbers, so they
 * stop early together) and keeps the states.
 */
public final class FineTuner {
  private static final Logger LOG = LoggerFactory.getLogger(FineTuner.class);

  /**
   * Padded tokens per training batch unless set: fixed, not the device's inference budget, because
   * the backward pass keeps every layer's activations (docs/finetune.md sizes it for a GPU).
   */
  public static final long DEFAULT_BATCH_TOKENS = 16_384;

  /**
   * One training at a time in a JVM (tasks of one executor, e.g. the folds of a gene classifier):
   * the dropout masks come from libtorch's generator, one per device and shared by every thread, so
   * two trainings drawing from it at once would each draw masks that depend on the other's timing,
   * and DJL records gradients for one thread of a JVM at a time. On a cluster, trainings spread
   * over executors (one GPU each) and run at once.
   */
  private static final ReentrantLock ONE_AT_A_TIME = new ReentrantLock();

  /**
   * One batch's forward and backward at a time in a JVM, for the same two reasons, when the workers
   * of a data-parallel training share one (tasks of one executor): each batch seeds the generator
   * and draws its masks while no other batch draws, and one thread records gradients at a time.
   */
  private static final ReentrantLock ONE_BATCH_AT_A_TIME = new ReentrantLock();

  /**
   * What a batch's seed adds per place in its step ({@code seed + step + place * this}): 2^32
   * divided by the golden ratio, so the places' seeds lie far apart (and far from other steps') in
   * the low 32 bits, all of a seed libtorch's CPU generator (a Mersenne Twister) keeps.
   */
  private static final long SEED_PER_PLACE = 0x9E3779B9L;

  /**
   * How often a state is saved within an epoch unless set: an epoch of a pretraining corpus can
   * take hours, and a preempted executor (a spot instance) should lose at most this much.
   */
  public static final Duration DEFAULT_CHECKPOINT_EVERY = Duration.ofMinutes(30);

  /** A progress line within an epoch at most this often (each epoch's end has its own line). */
  private static final long PROGRESS_EVERY_NANOS = 30_000_000_000L;

  /**
   * How to train; built with {@link #builder(float[])}.
   *
   * @param classWeights a weight per class for the loss (all 1: plain cross-entropy)
   * @param patience epochs without a better validation metric before stopping; 0 = never stop early
   * @param maxGradNorm gradients clipped to this global norm before each step (0: not clipped)
   * @param checkpointEvery within an epoch, a state is also saved once this long has passed since
   *     the last (zero: at the ends of epochs only)
   * @param accumulate batches whose gradients add up before each optimizer step (the Trainer's
   *     gradient_accumulation_steps): each batch's loss counts 1/accumulate
   */
  public record Settings(
      int epochs,
      double learningRate,
      double weightDecay,
      double warmupFraction,
      LearningRateSchedule.Decay decay,
      long batchTokens,
      int freezeLayers,
      float[] classWeights,
      int patience,
      DropoutRates dropout,
      double maxGradNorm,
      long seed,
      Duration checkpointEvery,
      int accumulate) {

    /**
     * Settings for a classifier whose classes weigh {@code classWeights} in the loss, starting from
     * {@code cellspark finetune}'s defaults (upstream Classifier's): 10 epochs, learning rate 5e-5,
     * weight decay 0.001, linear decay, 16,384 tokens a batch, no frozen layers, no early stopping,
     * clipping at norm 1, seed 42, a state saved every 30 minutes within an epoch; and no warm-up
     * and no dropout, which the job derives from the run's steps and the checkpoint's config.
     */
    public static Builder builder(float[] classWeights) {
      return new Builder(classWeights);
    }

    /** Settings field by field; every setter returns the builder. */
    public static final class Builder {
      private int epochs = 10;
      private double learningRate = 5e-5;
      private double weightDecay = 0.001;
      private double warmupFraction;
      private LearningRateSchedule.Decay decay = LearningRateSchedule.Decay.LINEAR;
      private long batchTokens = DEFAULT_BATCH_TOKENS;
      private int freezeLayers;
      private final float[] classWeights;
      private int patience;
      private DropoutRates dropout = DropoutRates.NONE;
      private double maxGradNorm = 1.0;
      private long seed = 42;
      private Duration checkpointEvery = DEFAULT_CHECKPOINT_EVERY;
      private int accumulate = 1;

      private Builder(float[] classWeights) {
        this.classWeights = classWeights.clone();
      }

      public Builder epochs(int epochs) {
        this.epochs = epochs;
        return this;
      }

      public Builder learningRate(double learningRate) {
        this.learningRate = learningRate;
        return this;
      }

      public Builder weightDecay(double weightDecay) {
        this.weightDecay = weightDecay;
        return this;
      }

      /** The share of all steps spent warming the learning rate up from 0. */
      public Builder warmupFraction(double warmupFraction) {
        this.warmupFraction = warmupFraction;
        return this;
      }

      public Builder decay(LearningRateSchedule.Decay decay) {
        this.decay = decay;
        return this;
      }

      public Builder batchTokens(long batchTokens) {
        this.batchTokens = batchTokens;
        return this;
      }

      public Builder freezeLayers(int freezeLayers) {
        this.freezeLayers = freezeLayers;
        return this;
      }

      public Builder patience(int patience) {
        this.patience = patience;
        return this;
      }

      public Builder dropout(DropoutRates dropout) {
        this.dropout = dropout;
        return this;
      }

      public Builder maxGradNorm(double maxGradNorm) {
        this.maxGradNorm = maxGradNorm;
        return this;
      }

      public Builder seed(long seed) {
        this.seed = seed;
        return this;
      }

      public Builder checkpointEvery(Duration checkpointEvery) {
        this.checkpointEvery = checkpointEvery;
        return this;
      }

      public Builder accumulate(int accumulate) {
        if (accumulate < 1) {
          throw new IllegalArgumentException("accumulate at least 1 batch, not " + accumulate);
        }
        this.accumulate = accumulate;
        return this;
      }

      public Settings build() {
        return new Settings(
            epochs,
            learningRate,
            weightDecay,
            warmupFraction,
            decay,
            batchTokens,
            freezeLayers,
            classWeights.clone(),
            patience,
            dropout,
            maxGradNorm,
            seed,
            checkpointEvery,
            accumulate);
      }
    }
  }

  /** One epoch's numbers; the metric is the classifier's ({@link Classifier#metric()}). */
  public record Epoch(int epoch, double trainLoss, double validationLoss, double validationMetric)
      implements Serializable {}

  /**
   * Where training stands, besides its tensors (weights, best weights, the optimizer's moments):
   * after an epoch, or part-way through one.
   *
   * @param epochs the finished epochs
   * @param steps optimizer steps taken
   * @param best the best validation metric so far
   * @param sinceBest epochs since the best one
   * @param current how far the epoch under way has come ({@link Current#NONE} between epochs)
   */
  public record Progress(
      List<Epoch> epochs, int steps, double best, int sinceBest, Current current) {
    public Progress {
      epochs = List.copyOf(epochs);
    }

    public int epochsDone() {
      return epochs.size();
    }
  }

  /**
   * The epoch under way: the batches of its (seeded) order done, and the sum of their cells' losses
   * and the cells, for the epoch's mean training loss.
   */
  public record Current(int batches, double lossSum, long cells) {
    public static final Current NONE = new Current(0, 0, 0);
  }

  /**
   * What a run did: its epochs, after how many epochs it resumed a saved state (0: none), and with
   * data-parallel workers each worker's seconds in the gradients' sums, by rank (waiting for the
   * others included: a worker that waits long computes less than they do; empty for one worker).
   */
  public record Result(List<Epoch> epochs, int resumedAfter, double[] gradientSeconds) {
    /** The epoch whose weights the model ends with: the first with the best validation metric. */
    public int bestEpoch() {
      Epoch best = epochs.get(0);
      for (Epoch e : epochs) {
        if (e.validationMetric() > best.validationMetric()) {
          best = e;
        }
      }
      return best.epoch();
    }
  }

  /**
   * Optimizer steps in an epoch of {@code batches} batches, {@code perStep} of them a step (the
   * batches accumulated, times the data-parallel workers); the last step takes what is left.
   */
  public static int stepsPerEpoch(int batches, int perStep) {
    return (batches + perStep - 1) / perStep;
  }

  /**
   * A classification head's starting weights (classes x hidden) as BERT initialises a linear layer
   * (normal, standard deviation 0.02), drawn from {@code java.util.Random(seed)}; its bias starts
   * at 0.
   */
  public static float[] initialHead(int classes, int hidden, long seed) {
    Random init = new Random(seed);
    float[] head = new float[classes * hidden];
    for (int i = 0; i < head.length; i++) {
      head[i] = (float) (0.02 * init.nextGaussian());
    }
    return head;
  }

  /**
   * Keeps the state file written after each epoch, and gives the latest one back to a run that
   * starts again.
   */
  public interface Checkpoints {
    /** Copies the latest state file to {@code into} (on this node's disk); false if none. */
    boolean latest(Path into);

    /**
     * Keeps {@code state} (on this node's disk) as the latest: after {@code progress}'s epochs, and
     * part-way through the next when its {@code current} says so.
     */
    void save(Path state, Progress progress);

    /** Where the states are kept, as a user would find them (for messages). */
    String location();

    /**
     * Called before each optimizer step; throws to end the training when whoever runs it has given
     * up on it (a Spark task killed because its job failed or was cancelled, which would otherwise
     * train on, holding its device, in a session that outlives the job: a notebook's).
     */
    default void stopIfCancelled() {}

    /**
     * A folder on this node's disk for writing a state before it is kept (a V2-316M state is about
     * 5 GB): the JVM's temporary folder unless the keeper knows a roomier one.
     */
    default Path scratch() {
      return Path.of(System.getProperty("java.io.tmpdir"));
    }
  }

  private static final Checkpoints NO_CHECKPOINTS =
      new Checkpoints() {
        @Override
        public boolean latest(Path into) {
          return false;
        }

        @Override
        public void save(Path state, Progress progress) {}

        @Override
        public String location() {
          return "(none)";
        }
      };

  private FineTuner() {}

  /**
   * Trains in place; returns each epoch's numbers (the model ends with the best epoch's weights).
   */
  public static <E extends Examples> Result train(
      Classifier<E> model, E train, E validation, Settings s) {
    return train(model, train, validation, s, NO_CHECKPOINTS);
  }

  /** As above, saving a state after each epoch and starting from the latest saved one. */
  public static <E extends Examples> Result train(
      Classifier<E> model, E train, E validation, Settings s, Checkpoints checkpoints) {
    return train(model, train, validation, s, checkpoints, Collective.ALONE);
  }

  /**
   * As above, as one of the data-parallel {@code workers} (each given the same cells and settings):
   * only worker 0 scores {@code validation} and keeps states (the others may pass no validation
   * cells).
   */
  public static <E extends Examples> Result train(
      Classifier<E> model,
      E train,
      E validation,
      Settings s,
      Checkpoints checkpoints,
      Collective workers) {
    if (workers.size() > 1) { // its peers may be tasks of this JVM: they take turns by the batch
      return trainAlone(model, train, validation, s, checkpoints, workers);
    }
    if (!ONE_AT_A_TIME.tryLock()) {
      LOG.info("fine-tune: waiting for the training already running in this JVM to end");
      ONE_AT_A_TIME.lock();
    }
    try {
      return trainAlone(model, train, validation, s, checkpoints, workers);
    } finally {
      ONE_AT_A_TIME.unlock();
    }
  }

  private static <E extends Examples> Result trainAlone(
      Classifier<E> model,
      E train,
      E validation,
      Settings s,
      Checkpoints checkpoints,
      Collective workers) {
    List<LengthBatcher.Batch> batches = LengthBatcher.byLength(train.lengths(), s.batchTokens());
    int perStep = s.accumulate() * workers.size();
    int total = s.epochs() * stepsPerEpoch(batches.size(), perStep);
    LearningRateSchedule schedule =
        new LearningRateSchedule(
            s.learningRate(), (int) Math.round(s.warmupFraction() * total), total, s.decay());
    AdamW adam = new AdamW(s.learningRate(), 0.9, 0.999, 1e-8, s.weightDecay());
    Path file = stateFile(checkpoints.scratch());
    boolean keeper = workers.rank() == 0;
    try (TrainedWeights weights = TrainedWeights.of(model, s.freezeLayers())) {
      List<TrainableBert.NamedWeight> trained = weights.list();
      Progress progress = resume(checkpoints, file, adam, weights);
      agree(workers, progress, batches.size(), train.size());
      GradientSum gradients = null;
      if (workers.size() > 1) {
        withGradients(model, trained);
        gradients = new GradientSum(trained, workers);
      }
      int resumedAfter = progress.epochsDone();
      Current current = progress.current();
      String line =
          String.format(
              Locale.ROOT,
              "fine-tune: %,d training cells in %,d batches an epoch%s, %d epochs (%,d steps), %,d"
                  + " validation cells, on %s%s%s%s",
              train.size(),
              batches.size(),
              perStep > 1 ? " (" + perStep + " to a step)" : "",
              s.epochs(),
              total,
              validation.size(),
              model.manager().getDevice(),
              weights.describeAdapters(model.encoder()),
              workers.size() > 1
                  ? String.format(Locale.ROOT, " (worker %d of %d)", workers.rank(), workers.size())
                  : "",
              resumedFrom(progress, batches.size()));
      LOG.info(line); // every worker's, in its executor's log
      List<Epoch> epochs = new ArrayList<>(progress.epochs());
      Consumer<Progress> keep =
          p -> {
            if (keeper) {
              TrainingState.write(file, p, weights.stateTensors(adam));
              checkpoints.save(file, p);
            }
          };
      double bestScore = progress.best();
      int sinceBest = progress.sinceBest();
      boolean stopped = s.patience() > 0 && sinceBest >= s.patience();
      for (int e = epochs.size() + 1; e <= s.epochs() && !stopped; e++) {
        List<LengthBatcher.Batch> order =
            StepOrder.of(batches, perStep, s.seed() + e, model.encoder().config());
        long start = System.nanoTime();
        double bestBefore = bestScore; // as they stand until the epoch ends
        int sinceBestBefore = sinceBest;
        Consumer<Current> partial =
            c -> keep.accept(new Progress(epochs, adam.steps(), bestBefore, sinceBestBefore, c));
        double trainLoss =
            epoch(
                e,
                model,
                train,
                order,
                current,
                partial,
                checkpoints::stopIfCancelled,
                trained,
                adam,
                schedule,
                s,
                workers,
                gradients);
        current = Current.NONE;
        Score v = validate(model, validation, s, workers);
        epochs.add(new Epoch(e, trainLoss, v.loss(), v.metric()));
        boolean better = v.metric() > bestScore;
        if (better) {
          bestScore = v.metric();
          weights.keepAsBest();
          sinceBest = 0;
        } else if (s.patience() > 0 && ++sinceBest >= s.patience()) {
          stopped = true;
        }
        LOG.atInfo() // every worker's: each says how long it spent summing (and so waiting)
            .log(
            String.format(
                Locale.ROOT,
                "fine-tune: epoch %d/%d: training loss %.4f, validation loss %.4f, %s %.4f%s"
                    + " (%.1f s%s)%s",
                e,
                s.epochs(),
                trainLoss,
                v.loss(),
                model.metric(),
                v.metric(),
                better ? ", the best so far" : "",
                (System.nanoTime() - start) / 1e9,
                gradients == null
                    ? ""
                    : String.format(
                        Locale.ROOT, "; gradients summed in %.1f s so far", gradients.seconds()),
                stopped
                    ? "; stopping: no better " + model.metric() + " for " + s.patience() + " epochs"
                    : ""));
        keep.accept(new Progress(epochs, adam.steps(), bestScore, sinceBest, Current.NONE));
      }
      if (!epochs.isEmpty()) {
        weights.restoreBest();
      }
      return new Result(List.copyOf(epochs), resumedAfter, gradientSeconds(workers, gradients));
    } finally {
      try {
        Files.deleteIfExists(file);
      } catch (IOException e) {
        file.toFile().deleteOnExit();
      }
    }
  }

  /** Every worker's seconds in the gradients' sums, by rank (one collective); none alone. */
  private static double[] gradientSeconds(Collective workers, GradientSum gradients) {
    if (gradients == null) {
      return new double[0];
    }
    double[] seconds = new double[workers.size()];
    seconds[workers.rank()] = gradients.seconds();
    workers.sum(seconds);
    return seconds;
  }

  /**
   * Worker 0's validation score, which every worker takes (so all judge each epoch alike, whatever
   * their devices' rounding).
   */
  private static <E extends Examples> Score validate(
      Classifier<E> model, E validation, Settings s, Collective workers) {
    if (workers.size() == 1) {
      return model.score(validation, s.batchTokens(), s.classWeights());
    }
    double[] shared = new double[2];
    if (workers.rank() == 0) {
      Score v = model.score(validation, s.batchTokens(), s.classWeights());
      shared[0] = v.loss();
      shared[1] = v.metric();
    }
    workers.sum(shared);
    return new Score(shared[0], shared[1]);
  }

  /**
   * Every worker resumed from the same state and holds the same cells, or none trains: a state kept
   * while the workers read it (by a task of an earlier attempt still running) would have them train
   * different models from then on. Not a user's error: Spark runs the workers' tasks again.
   */
  private static void agree(Collective workers, Progress p, int batches, int cells) {
    if (workers.size() == 1) {
      return;
    }
    double[] mine = {p.steps(), p.epochsDone(), p.current().batches(), batches, cells};
    double[] all = mine.clone();
    workers.sum(all);
    for (int i = 0; i < mine.length; i++) {
      if (all[i] != mine[i] * workers.size()) {
        throw new IllegalStateException(
            String.format(
                Locale.ROOT,
                "data-parallel training: worker %d of %d resumed after %d steps (epoch %d, batch"
                    + " %d) with %,d batches of %,d cells, and another worker from elsewhere; the"
                    + " workers must start alike",
                workers.rank(),
                workers.size(),
                p.steps(),
                p.epochsDone() + 1,
                p.current().batches(),
                batches,
                cells));
      }
    }
  }

  /** The saved state read into the model, optimizer and best weights; empty progress if none. */
  private static Progress resume(
      Checkpoints checkpoints, Path file, AdamW adam, TrainedWeights weights) {
    if (!checkpoints.latest(file)) {
      return new Progress(List.of(), 0, Double.NEGATIVE_INFINITY, 0, Current.NONE);
    }
    Progress p;
    try {
      p = TrainingState.read(file, weights.stateTensors(adam));
    } catch (UserException e) { // the message names the local copy; the user needs the original
      throw UserException.because(
          e,
          "Cannot resume the fine-tune from its checkpoint in %s: %s. Delete %s to start afresh",
          checkpoints.location(),
          e.getMessage(),
          checkpoints.location());
    }
    adam.resumeAt(p.steps());
    return p;
  }

  private static Path stateFile(Path folder) {
    try {
      return Files.createTempFile(folder, "cellspark-training-state-", ".safetensors");
    } catch (IOException e) {
      throw new UncheckedIOException("cannot create a file for the training state", e);
    }
  }

  /**
   * One pass over the training cells in a shuffled batch order, from where {@code from} says it
   * stood (a resumed epoch); the mean training loss. Within the epoch, {@code save} keeps how far
   * it has come once {@code checkpointEvery} has passed since the last save (on worker 0's clock:
   * the workers save, or not, together).
   */
  private static <E extends Examples> double epoch(
      int e,
      Classifier<E> model,
      E train,
      List<LengthBatcher.Batch> order,
      Current from,
      Consumer<Current> save,
      Runnable beforeStep,
      List<TrainableBert.NamedWeight> trained,
      AdamW adam,
      LearningRateSchedule schedule,
      Settings s,
      Collective workers,
      GradientSum gradients) {
    double lossSum = from.lossSum();
    long cells = from.cells();
    long lastLine = System.nanoTime();
    long lastSave = System.nanoTime();
    long saveEvery = s.checkpointEvery().toNanos();
    int perStep = s.accumulate() * workers.size();
    int first = workers.rank() * s.accumulate(); // this worker's first batch in each step
    for (int i = from.batches(); i < order.size(); i += perStep) {
      beforeStep.run();
      int count = Math.min(perStep, order.size() - i);
      List<Function<NDManager, NDArray>> losses = new ArrayList<>();
      int[] sizes = new int[Math.max(0, Math.min(s.accumulate(), count - first))];
      for (int k = 0; k < sizes.length; k++) {
        int[] batch = order.get(i + first + k).cells();
        sizes[k] = batch.length;
        losses.add(m -> model.loss(m, train, batch, s.dropout(), s.classWeights()));
      }
      float[] values =
          step(model, losses, first, count, trained, adam, schedule.at(adam.steps()), s, gradients);
      // The step's loss sum and cells over every worker, and worker 0's word on saving (its
      // clock decides for all, so the workers save, or not, together).
      double[] shared = new double[3];
      for (int k = 0; k < sizes.length; k++) {
        shared[0] += values[k] * sizes[k];
        shared[1] += sizes[k];
      }
      int done = i + count;
      boolean due = saveEvery > 0 && System.nanoTime() - lastSave >= saveEvery;
      shared[2] = workers.rank() == 0 && due ? 1 : 0;
      workers.sum(shared);
      lossSum += shared[0];
      cells += (long) shared[1];
      if (shared[2] > 0 && done < order.size()) {
        save.accept(new Current(done, lossSum, cells));
        lastSave = System.nanoTime();
      }
      if (workers.rank() == 0 && System.nanoTime() - lastLine > PROGRESS_EVERY_NANOS) {
        lastLine = System.nanoTime();
        LOG.info(
            String.format(
                Locale.ROOT,
                "fine-tune: epoch %d/%d, batch %d/%d, training loss so far %.4f",
                e,
                s.epochs(),
                done,
                order.size(),
                lossSum / cells));
      }
    }
    return lossSum / Math.max(1, cells);
  }

  /** What the start line says of a resumed run: nothing for a new one. */
  private static String resumedFrom(Progress p, int batches) {
    if (p.current().batches() > 0) {
      return String.format(
          Locale.ROOT,
          "; resuming epoch %d at batch %d of %d",
          p.epochsDone() + 1,
          p.current().batches() + 1,
          batches);
    }
    return p.epochsDone() > 0 ? "; resuming after epoch " + p.epochsDone() : "";
  }

  /**
   * One optimizer step on one batch: forward with dropout (its masks drawn from libtorch's
   * generator seeded with {@code seed + step}), loss, backward, gradients clipped to their global
   * norm, AdamW update. Returns the loss. The weights outside {@code trained} must not record
   * gradients ({@link #train} stops the frozen ones).
   */
  public static float step(
      CellClassifier model,
      TrainingBatch batch,
      List<TrainableBert.NamedWeight> trained,
      AdamW adam,
      double learningRate,
      Settings s) {
    return step(
        model,
        m ->
            WeightedCrossEntropy.loss(
                model.logits(m, batch, s.dropout()), batch.labels(), s.classWeights()),
        trained,
        adam,
        learningRate,
        s);
  }

  /** As above, for any head: {@code loss} computes the batch's loss in the manager it is given. */
  public static float step(
      Classifier<?> model,
      Function<NDManager, NDArray> loss,
      List<TrainableBert.NamedWeight> trained,
      AdamW adam,
      double learningRate,
      Settings s) {
    return step(model, List.of(loss), trained, adam, learningRate, s)[0];
  }

  /**
   * One optimizer step on several batches (gradient accumulation): each batch's loss, divided by
   * their number, goes backward in turn (libtorch adds the gradients up), then one clipped AdamW
   * update. Batch {@code g}'s random draws follow from {@code seed + step + g * 0x9E3779B9}.
   * Returns each batch's loss.
   */
  public static float[] step(
      Classifier<?> model,
      List<Function<NDManager, NDArray>> losses,
      List<TrainableBert.NamedWeight> trained,
      AdamW adam,
      double learningRate,
      Settings s) {
    return step(model, losses, 0, losses.size(), trained, adam, learningRate, s, null);
  }

  /**
   * One step's batches computed here, then (given {@code gradients}) the gradients summed over the
   * workers, then the update.
   *
   * @param first the place of this worker's first batch among the step's batches
   * @param count the step's batches on every worker: each loss counts 1/count
   */
  private static float[] step(
      Classifier<?> model,
      List<Function<NDManager, NDArray>> losses,
      int first,
      int count,
      List<TrainableBert.NamedWeight> trained,
      AdamW adam,
      double learningRate,
      Settings s,
      GradientSum gradients) {
    float[] values = new float[losses.size()];
    for (int k = 0; k < values.length; k++) {
      ONE_BATCH_AT_A_TIME.lock();
      try (NDManager m = model.manager().newSubManager();
          GradientCollector collector = Engine.getInstance().newGradientCollector()) {
        JniUtils.setSeed(s.seed() + adam.steps() + (first + k) * SEED_PER_PLACE);
        NDArray l = losses.get(k).apply(m);
        values[k] = l.getFloat();
        collector.backward(l.div(count)); // by 1 exactly when there is one batch
      } finally {
        ONE_BATCH_AT_A_TIME.unlock();
      }
    }
    try (NDManager m = model.manager().newSubManager()) {
      if (gradients != null) {
        gradients.sum(m);
      }
      adam.step(model.encoder(), trained, learningRate, s.maxGradNorm(), m);
    }
    return values;
  }

  /**
   * Gives each weight a gradient of zeros where it has none yet (a zero loss made of them goes
   * backward): a worker with no batch in a step (the last of an epoch with fewer batches than
   * workers) still takes part in the gradients' sum.
   */
  private static void withGradients(Classifier<?> model, List<TrainableBert.NamedWeight> trained) {
    ONE_BATCH_AT_A_TIME.lock();
    try (NDManager m = model.manager().newSubManager();
        GradientCollector collector = Engine.getInstance().newGradientCollector()) {
      NDArray zero = m.zeros(new Shape());
      for (TrainableBert.NamedWeight w : trained) {
        zero = zero.add(w.value().sum().mul(0));
      }
      collector.backward(zero);
    } finally {
      ONE_BATCH_AT_A_TIME.unlock();
    }
  }
}
