package org.cellspark.jobs.perturb;

import ai.djl.Device;
import java.io.IOException;
import java.io.Serializable;
import java.util.ArrayList;
import java.util.BitSet;
import java.util.Comparator;
import java.util.IdentityHashMap;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;
import org.apache.spark.SerializableWritable;
import org.apache.spark.TaskContext;
import org.apache.spark.api.java.function.VoidFunction;
import org.apache.spark.util.CollectionAccumulator;
import org.cellspark.error.UserException;
import org.cellspark.infer.CellEmbedder;
import org.cellspark.infer.EmbeddingSettings;
import org.cellspark.infer.InvalidCellException;
import org.cellspark.model.Precision;
import org.cellspark.perturb.ComparisonsOnDevice;
import org.cellspark.perturb.Perturbation;
import org.cellspark.perturb.ShiftMetrics;
import org.cellspark.spark.FaultInjection;
import org.cellspark.spark.ModelCache;
import org.cellspark.spark.TaskDevice;
import scala.Tuple2;

/**
 * One task of a perturbation screen: its work units, a window at a time. A window's original cells
 * run once, then all its perturbed copies stream through the model in length-grouped batches (a
 * unit's copies share one length: no padding), each compared with its original as it comes.
 * Finished units are checkpointed, many to a file ({@link CheckpointFiles}, written aside then
 * renamed: a unit is there whole or not at all), which is what lets a stopped screen resume.
 */
final class PerturbWorker
    implements VoidFunction<Iterator<Tuple2<Integer, Tuple2<WorkUnit, int[]>>>>, Serializable {
  private static final long serialVersionUID = 1L;

  private static final int[] NONE = new int[0];

  /** Perturbations per window: enough copies to fill batches, few enough originals to hold. */
  static final int WINDOW_PERTURBATIONS = 256;

  /**
   * Seconds of work between a task's checkpoint files: writing one costs about 0.1 s on HDFS or an
   * object store, so 1% at most, and a lost task loses at most this much more than its window.
   */
  static final long CHECKPOINT_SECONDS = 30;

  /** Results a task holds before writing them, whatever the time (gene shifts can be large). */
  static final long CHECKPOINT_BYTES = 32L << 20;

  private final String model;
  private final Precision precision;
  private final EmbeddingSettings settings;
  private final PerturbationPlanner planner;
  private final float[][] states;
  private final boolean geneShifts;
  private final String unitsDir;
  private final SerializableWritable<Configuration> hadoop;
  private final CollectionAccumulator<Double> taskSeconds;
  private final int failAfterUnits;

  PerturbWorker(
      String model,
      Precision precision,
      EmbeddingSettings settings,
      PerturbationPlanner planner,
      float[][] states,
      boolean geneShifts,
      String unitsDir,
      Configuration hadoop,
      CollectionAccumulator<Double> taskSeconds,
      int failAfterUnits) {
    this.model = model;
    this.precision = precision;
    this.settings = settings;
    this.planner = planner;
    this.states = states;
    this.geneShifts = geneShifts;
    this.unitsDir = unitsDir;
    this.hadoop = new SerializableWritable<>(hadoop);
    this.taskSeconds = taskSeconds;
    this.failAfterUnits = failAfterUnits;
  }

  /** One unit in progress: its perturbations and what came of them so far. */
  private static final class Pending {
    final WorkUnit unit;
    final List<Perturbation> perturbations;
    final UnitResult.Row[] rows;

    Pending(WorkUnit unit, List<Perturbation> perturbations) {
      this.unit = unit;
      this.perturbations = perturbations;
      this.rows = new UnitResult.Row[perturbations.size()];
    }
  }

  @Override
  public void call(Iterator<Tuple2<Integer, Tuple2<WorkUnit, int[]>>> input) throws Exception {
    long start = System.nanoTime();
    List<Tuple2<WorkUnit, int[]>> units = new ArrayList<>();
    input.forEachRemaining(t -> units.add(t._2()));
    units.sort(Comparator.comparingInt(t -> t._1().id()));
    Path dir = new Path(unitsDir);
    FileSystem fs = dir.getFileSystem(hadoop.value());
    if (TaskContext.get().attemptNumber() > 0) {
      // A retried task (lost executor, failed attempt): keep what the earlier attempt finished.
      BitSet finished = CheckpointIndex.scan(fs, dir).finished();
      units.removeIf(t -> finished.get(t._1().id()));
    }
    if (units.isEmpty()) {
      return;
    }
    Device device = TaskDevice.current();
    Checkpointer checkpoints = new Checkpointer(fs, dir);
    try (CellEmbedder embedder =
        new CellEmbedder(ModelCache.get(model, device, precision), device, settings)) {
      ShiftMetrics metrics =
          new ShiftMetrics(
              embedder.dimension(), settings.pooling(), states, settings.clsId(), settings.eosId());
      int i = 0;
      while (i < units.size()) {
        List<Pending> window = new ArrayList<>();
        int perturbations = 0;
        while (i < units.size() && (window.isEmpty() || perturbations < WINDOW_PERTURBATIONS)) {
          if (failAfterUnits > 0 && checkpoints.finished() + window.size() == failAfterUnits) {
            break; // tests only: the stop comes after exactly that many units are checkpointed
          }
          WorkUnit u = units.get(i)._1();
          int[] cell = units.get(i)._2();
          Pending p = new Pending(u, planner.perturbations(cell, u.from(), u.to()));
          window.add(p);
          perturbations += p.perturbations.size();
          i++;
        }
        run(embedder, metrics, window);
        for (Pending p : window) {
          checkpoints.add(p);
        }
        if (failAfterUnits > 0 && checkpoints.finished() >= failAfterUnits) {
          // Tests only: a task that fails holding finished units, which the failure path writes.
          throw new IllegalStateException(
              "test hook: stopping after " + checkpoints.finished() + " work units");
        }
        if (checkpoints.due() || i == units.size()) {
          checkpoints.write();
          if (checkpoints.files == 1) {
            FaultInjection.midTask("perturb"); // tests only: some units are checkpointed
          }
        }
      }
    } catch (Exception e) {
      // Units finished before the failure are whole: keep them for the retry or the next run.
      try {
        checkpoints.write();
      } catch (IOException | RuntimeException w) {
        e.addSuppressed(w);
      }
      throw e;
    } finally {
      taskSeconds.add((System.nanoTime() - start) / 1e9);
    }
  }

  /**
   * A task's finished units, held until a checkpoint is due and then written as one file. The first
   * window's units are written at once (a lost task then keeps them); after that, every {@link
   * #CHECKPOINT_SECONDS} or {@link #CHECKPOINT_BYTES} of results, whichever comes first, and at the
   * task's end. Results are only ever held for whole windows, so a window of a large model
   * (minutes) is still written as soon as it finishes.
   */
  private static final class Checkpointer {
    private final FileSystem fs;
    private final Path dir;
    private final List<UnitResult> held = new ArrayList<>();
    private long heldBytes;
    private long lastWrite = System.nanoTime();
    private int written;
    int files;

    Checkpointer(FileSystem fs, Path dir) {
      this.fs = fs;
      this.dir = dir;
    }

    void add(Pending p) {
      List<UnitResult.Row> rows = new ArrayList<>(p.rows.length);
      for (UnitResult.Row r : p.rows) {
        if (r != null) {
          rows.add(r);
          heldBytes +=
              64L + 4L * r.perturbed().length + 8L * r.shifts().length + 8L * r.affected().length;
        }
      }
      held.add(new UnitResult(p.unit.id(), rows));
    }

    /** Units finished by this task: written or held. */
    int finished() {
      return written + held.size();
    }

    boolean due() {
      return files == 0
          || heldBytes >= CHECKPOINT_BYTES
          || System.nanoTime() - lastWrite >= CHECKPOINT_SECONDS * 1_000_000_000L;
    }

    void write() throws IOException {
      if (held.isEmpty()) {
        return;
      }
      CheckpointFiles.write(fs, dir, held);
      written += held.size();
      files++;
      held.clear();
      heldBytes = 0;
      lastWrite = System.nanoTime();
    }
  }

  private void run(CellEmbedder embedder, ShiftMetrics metrics, List<Pending> window) {
    // Originals: each unit's cell, and truncated originals of overflowing overexpressions.
    Map<int[], Boolean> seen = new IdentityHashMap<>();
    List<int[]> originals = new ArrayList<>();
    List<Perturbation> all = new ArrayList<>();
    List<int[]> owner = new ArrayList<>(); // {window unit, perturbation index}
    for (int w = 0; w < window.size(); w++) {
      Pending p = window.get(w);
      for (int k = 0; k < p.perturbations.size(); k++) {
        Perturbation q = p.perturbations.get(k);
        if (q == null) {
          continue;
        }
        if (seen.put(q.original(), Boolean.TRUE) == null) {
          originals.add(q.original());
        }
        all.add(q);
        owner.add(new int[] {w, k});
      }
    }
    // The originals' hidden states stay on the device; each batch of copies is compared there, and
    // only cosines (and pooled vectors, with states) come back.
    List<int[]> copies = all.stream().map(Perturbation::perturbed).toList();
    try (ComparisonsOnDevice device =
        new ComparisonsOnDevice(metrics, embedder.dimension(), embedder.device())) {
      embedder.forEachBatch(originals, (cells, hidden) -> device.keep(originals, cells, hidden));
      embedder.forEachBatch(
          copies,
          (cells, hidden) -> {
            ShiftMetrics.Result[] results = device.compare(all, cells, hidden, geneShifts);
            for (int b = 0; b < cells.length; b++) {
              int c = cells[b];
              Perturbation q = all.get(c);
              Pending p = window.get(owner.get(c)[0]);
              ShiftMetrics.Result r = results[b];
              int[] affected = geneShifts ? r.affected() : NONE;
              float[] cosines = new float[affected.length];
              for (int j = 0; j < cosines.length; j++) {
                cosines[j] = (float) r.geneCosines()[j];
              }
              p.rows[owner.get(c)[1]] =
                  new UnitResult.Row(
                      p.unit.cellId(),
                      q.perturbedGenes(),
                      r.cosineSimilarity(),
                      r.shifts(),
                      affected,
                      cosines);
            }
          });
    } catch (InvalidCellException e) {
      throw UserException.because(
          e, "The model cannot take a cell of this screen: %s", e.getMessage());
    }
  }
}
