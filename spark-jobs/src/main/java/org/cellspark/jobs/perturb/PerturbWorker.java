package org.cellspark.jobs.perturb;

import ai.djl.Device;
import java.io.BufferedOutputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.io.Serializable;
import java.util.ArrayList;
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
 * unit's copies share one length: no padding), each compared with its original as it comes. Every
 * finished unit is written to its own checkpoint file (written aside, then renamed: a unit is there
 * whole or not at all), which is what lets a stopped screen resume.
 */
final class PerturbWorker
    implements VoidFunction<Iterator<Tuple2<Integer, Tuple2<WorkUnit, int[]>>>>, Serializable {
  private static final long serialVersionUID = 1L;

  private static final int[] NONE = new int[0];

  /** Perturbations per window: enough copies to fill batches, few enough originals to hold. */
  static final int WINDOW_PERTURBATIONS = 256;

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
    FileSystem fs = new Path(unitsDir).getFileSystem(hadoop.value());
    if (TaskContext.get().attemptNumber() > 0) {
      // A retried task (lost executor, failed attempt): keep what the earlier attempt finished.
      units.removeIf(t -> exists(fs, new Path(unitsDir, UnitFiles.name(t._1().id()))));
    }
    if (units.isEmpty()) {
      return;
    }
    Device device = TaskDevice.current();
    int done = 0;
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
          WorkUnit u = units.get(i)._1();
          int[] cell = units.get(i)._2();
          Pending p = new Pending(u, planner.perturbations(cell, u.from(), u.to()));
          window.add(p);
          perturbations += p.perturbations.size();
          i++;
        }
        run(embedder, metrics, window);
        for (Pending p : window) {
          write(fs, p);
          done++;
          if (done == 1) {
            FaultInjection.midTask("perturb"); // tests only: one unit's file is written
          }
          if (failAfterUnits > 0 && done >= failAfterUnits) {
            throw new IllegalStateException("test hook: stopping after " + done + " work units");
          }
        }
      }
    } finally {
      taskSeconds.add((System.nanoTime() - start) / 1e9);
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

  private void write(FileSystem fs, Pending p) throws IOException {
    List<UnitResult.Row> rows = new ArrayList<>();
    for (UnitResult.Row r : p.rows) {
      if (r != null) {
        rows.add(r);
      }
    }
    Path target = new Path(unitsDir, UnitFiles.name(p.unit.id()));
    Path temp =
        new Path(
            unitsDir,
            "." + UnitFiles.name(p.unit.id()) + ".tmp-" + TaskContext.get().taskAttemptId());
    try (DataOutputStream out =
        new DataOutputStream(new BufferedOutputStream(fs.create(temp, true)))) {
      new UnitResult(p.unit.id(), rows).write(out);
    }
    if (!fs.rename(temp, target)) {
      fs.delete(temp, false); // another attempt finished this unit first: same content
    }
  }

  private static boolean exists(FileSystem fs, Path p) {
    try {
      return fs.exists(p);
    } catch (IOException e) {
      return false;
    }
  }
}
