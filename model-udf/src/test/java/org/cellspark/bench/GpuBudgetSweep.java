package org.cellspark.bench;

import ai.djl.Device;
import ai.djl.engine.Engine;
import com.google.gson.JsonObject;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import org.cellspark.infer.CellEmbedder;
import org.cellspark.infer.EmbeddingSettings;
import org.cellspark.infer.Pooling;
import org.cellspark.model.Encoder;
import org.cellspark.model.ModelLoader;
import org.cellspark.model.Precision;

/**
 * What the embed batch budget and libtorch's graph optimiser should be on a GPU, measured
 * (bench/gpu/README.md): cells of every length from 256 tokens to the shape's longest, as an atlas
 * holds them ({@code cells_mixed.txt} of make_inputs.py), embedded as an embed task does
 * (length-grouped batches under the budget, layer -1, mean pooling, fp16 on a GPU) with each
 * budget, graph optimiser off and on. Each run loads the model afresh, so its first pass meets
 * every batch shape for the first time, as a task over a real atlas mostly does (the optimiser
 * re-profiles each new shape); the second pass repeats the same cells (shapes seen). Ratios are
 * against the first budget with the optimiser off (by default 16,384 tokens: a CPU's budget) in the
 * same run.
 *
 * <p>Args: WORK OUT_JSON [SHAPES=V1-10M,V2-104M] [BUDGETS=16384,32768,65536,131072] [CELLS=all]
 * (the first CELLS cells of each shape's file: fewer for a CPU).
 */
public final class GpuBudgetSweep {
  private static final String OPTIMIZER = "ai.djl.pytorch.graph_optimizer";

  private GpuBudgetSweep() {}

  public static void main(String[] args) throws Exception {
    Path work = Paths.get(args[0]);
    Path out = Paths.get(args[1]);
    List<String> shapes = Arrays.asList((args.length > 2 ? args[2] : "V1-10M,V2-104M").split(","));
    long[] budgets =
        Arrays.stream((args.length > 3 ? args[3] : "16384,32768,65536,131072").split(","))
            .mapToLong(Long::parseLong)
            .toArray();
    Device device = Engine.getInstance().getGpuCount() > 0 ? Device.gpu() : Device.cpu();
    Precision precision = device.isGpu() ? Precision.FP16 : Precision.FP32;
    System.out.printf(
        Locale.ROOT,
        "Batch budget and graph optimiser sweep on %s, %s, cells of mixed lengths%n",
        device,
        precision);
    JsonObject header = new JsonObject();
    header.addProperty("device", device.toString());
    header.addProperty("precision", precision.name().toLowerCase(Locale.ROOT));
    ResultsFile runs = new ResultsFile(out, header);
    for (String shape : shapes) {
      List<int[]> cells = GpuBenchmark.cells(work.resolve(shape).resolve("cells_mixed.txt"));
      if (args.length > 4) {
        cells = cells.subList(0, Math.min(cells.size(), Integer.parseInt(args[4])));
      }
      double baseline = Double.NaN;
      for (boolean optimizer : new boolean[] {false, true}) {
        for (long budget : budgets) {
          JsonObject r = new JsonObject();
          r.addProperty("shape", shape);
          r.addProperty("graph_optimizer", optimizer);
          r.addProperty("budget", budget);
          double[] passes;
          try {
            passes = passes(work.resolve(shape), device, precision, optimizer, budget, cells);
          } catch (RuntimeException failure) {
            runs.failed(r, failure);
            continue;
          }
          if (Double.isNaN(baseline)) {
            baseline = passes[0];
          }
          System.out.printf(
              Locale.ROOT,
              "  %-8s optimiser %-3s %,8d tokens a batch: first pass %8.2f cells/s, second %8.2f,"
                  + " padding %4.1f%%, first pass / first budget's without optimiser %5.2f%n",
              shape,
              optimizer ? "on" : "off",
              budget,
              passes[0],
              passes[1],
              100 * passes[2],
              passes[0] / baseline);
          r.addProperty("first_pass_cells_per_s", passes[0]);
          r.addProperty("second_pass_cells_per_s", passes[1]);
          r.addProperty("padding", passes[2]);
          r.addProperty("first_pass_vs_first_budget", passes[0] / baseline);
          runs.add(r);
        }
      }
    }
  }

  /** Cells/s of a fresh model's first and second pass over the cells, and the padding share. */
  private static double[] passes(
      Path model,
      Device device,
      Precision precision,
      boolean optimizer,
      long budget,
      List<int[]> cells) {
    // Read when the encoder loads (FusedBertEncoder), so set it for this load only.
    System.setProperty(OPTIMIZER, Boolean.toString(optimizer));
    Encoder encoder = ModelLoader.load(model, device, precision);
    System.clearProperty(OPTIMIZER);
    EmbeddingSettings settings = new EmbeddingSettings(-1, Pooling.MEAN, budget, 0, -1, -1);
    try (encoder;
        CellEmbedder embedder = new CellEmbedder(encoder, device, settings)) {
      // Libraries and kernels loaded, one shape that no later batch has: not the shapes measured.
      embedder.embed(new ArrayList<>(List.of(Arrays.copyOf(cells.get(0), 17))));
      double[] rates = new double[3];
      for (int pass = 0; pass < 2; pass++) {
        long t = System.nanoTime();
        embedder.embed(cells);
        rates[pass] = cells.size() / ((System.nanoTime() - t) / 1e9);
      }
      rates[2] = embedder.paddingFraction();
      return rates;
    }
  }
}
