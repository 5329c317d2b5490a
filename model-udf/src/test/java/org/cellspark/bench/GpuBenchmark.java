package org.cellspark.bench;

import ai.djl.Device;
import ai.djl.engine.Engine;
import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import java.nio.file.Files;
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
 * The JVM's side of the GPU benchmark (bench/gpu/README.md): the fused program (and, for reference,
 * the native DJL forward in fp16) on the cells and token budget of bench/gpu's PyTorch baseline,
 * layer -1, mean pooling, one embedder (one task) on the device. Prints cells/s, the model's
 * TFLOP/s and the ratio to PyTorch's figure for the same shape, length and precision read from the
 * baseline's JSON, and writes every figure as JSON.
 *
 * <p>Args: WORK BASELINE_JSON OUT_JSON [BUDGET=131072]
 */
public final class GpuBenchmark {
  private GpuBenchmark() {}

  public static void main(String[] args) throws Exception {
    Path work = Paths.get(args[0]);
    JsonObject baseline =
        JsonParser.parseString(Files.readString(Paths.get(args[1]))).getAsJsonObject();
    Path out = Paths.get(args[2]);
    long budget = args.length > 3 ? Long.parseLong(args[3]) : 131_072;
    Device device = Engine.getInstance().getGpuCount() > 0 ? Device.gpu() : Device.cpu();
    double peak =
        baseline.has("bf16_tflops") && !baseline.get("bf16_tflops").isJsonNull()
            ? baseline.get("bf16_tflops").getAsDouble()
            : Double.NaN;
    System.out.printf(
        Locale.ROOT,
        "GPU benchmark on %s (PyTorch side: %s, torch %s), %,d tokens per batch, bf16 matrix peak"
            + " %.0f TFLOP/s%n",
        device,
        baseline.get("device").getAsString(),
        baseline.get("torch").getAsString(),
        budget,
        peak);
    JsonObject header = new JsonObject();
    header.addProperty("device", device.toString());
    header.addProperty("budget", budget);
    ResultsFile results = new ResultsFile(out, header);
    for (JsonElement e :
        JsonParser.parseString(Files.readString(work.resolve("plan.json"))).getAsJsonArray()) {
      JsonObject p = e.getAsJsonObject();
      String shape = p.get("shape").getAsString();
      List<String[]> runs = new ArrayList<>();
      for (JsonElement pr : p.getAsJsonArray("precisions")) {
        runs.add(new String[] {pr.getAsString(), "FUSED"});
      }
      runs.add(new String[] {device.isGpu() ? "fp16" : "fp32", "NATIVE"});
      for (String[] run : runs) {
        Precision precision = Precision.parse(run[0]);
        ModelLoader.Engine engine = ModelLoader.Engine.valueOf(run[1]);
        // One load per shape, engine and precision, then every length.
        try (Encoder encoder = ModelLoader.load(work.resolve(shape), device, precision, engine)) {
          for (JsonElement l : p.getAsJsonArray("lengths")) {
            int length = l.getAsInt();
            // The native engine for reference where the issue measured it (up to 2,048 tokens):
            // its unfused attention holds cells x heads x length^2 scores (19 GB a layer for
            // V2-316M's 32 cells of 4,096 tokens); time better spent on the targets' figures.
            if (engine == ModelLoader.Engine.NATIVE && length > 2048) {
              continue;
            }
            JsonObject r = new JsonObject();
            r.addProperty("shape", shape);
            r.addProperty("length", length);
            r.addProperty("engine", engine.name().toLowerCase(Locale.ROOT));
            r.addProperty("precision", run[0]);
            List<int[]> cells = cells(work.resolve(shape).resolve("cells_" + length + ".txt"));
            double rate;
            try {
              rate = rate(encoder, device, cells, budget);
            } catch (RuntimeException failure) {
              results.failed(r, failure);
              continue;
            }
            double tflops = rate * flopsPerCell(p, length) / 1e12;
            // The same computation in PyTorch (bf16: bf16 weights), and for bf16 also what most
            // Python users run, autocast over fp32 weights.
            double pytorch = pytorchRate(baseline, shape, length, run[0]);
            double autocast = pytorchRate(baseline, shape, length, "bf16-autocast");
            System.out.printf(
                Locale.ROOT,
                "  %-8s %5d tokens  %-6s %-4s %9.2f cells/s  %7.1f TFLOP/s (%4.1f%% of bf16 peak)"
                    + "  PyTorch %9.2f  ratio %5.2f%s%n",
                shape,
                length,
                engine.name().toLowerCase(Locale.ROOT),
                run[0],
                rate,
                tflops,
                100 * tflops / peak,
                pytorch,
                rate / pytorch,
                precision == Precision.BF16
                    ? String.format(Locale.ROOT, "  (vs autocast %.2f)", rate / autocast)
                    : "");
            r.addProperty("cells_per_s", rate);
            r.addProperty("tflops", tflops);
            r.addProperty("pytorch_cells_per_s", pytorch);
            if (precision == Precision.BF16) {
              r.addProperty("pytorch_autocast_cells_per_s", autocast);
            }
            results.add(r);
          }
        } catch (RuntimeException failure) {
          JsonObject r = new JsonObject();
          r.addProperty("shape", shape);
          r.addProperty("engine", engine.name().toLowerCase(Locale.ROOT));
          r.addProperty("precision", run[0]);
          results.failed(r, failure);
        }
      }
    }
  }

  /** Cells/s of one embedder on the loaded model, after a warm-up batch of the cells' shape. */
  private static double rate(Encoder encoder, Device device, List<int[]> cells, long budget) {
    EmbeddingSettings settings = new EmbeddingSettings(-1, Pooling.MEAN, budget, 0, -1, -1);
    try (CellEmbedder embedder = new CellEmbedder(encoder, device, settings)) {
      int perBatch = (int) Math.max(1, budget / cells.get(0).length);
      embedder.embed(cells.subList(0, Math.min(perBatch, cells.size())));
      long t = System.nanoTime();
      embedder.embed(cells);
      return cells.size() / ((System.nanoTime() - t) / 1e9);
    }
  }

  /** Multiply-adds x 2 of one cell's forward to layer -1 (every layer but the last). */
  static double flopsPerCell(JsonObject p, int n) {
    return flops(p, n, p.get("layers").getAsInt() - 1);
  }

  /** Multiply-adds x 2 of one cell of n tokens through {@code layers} layers of shape p. */
  static double flops(JsonObject p, int n, int layers) {
    double h = p.get("hidden").getAsDouble();
    double i = p.get("intermediate").getAsDouble();
    return layers * (8 * n * h * h + 4 * n * h * i + 4.0 * n * n * h);
  }

  private static double pytorchRate(
      JsonObject baseline, String shape, int length, String precision) {
    for (JsonElement e : baseline.getAsJsonArray("runs")) {
      JsonObject r = e.getAsJsonObject();
      if (r.get("shape").getAsString().equals(shape)
          && r.get("length").getAsInt() == length
          && r.get("precision").getAsString().equals(precision)) {
        return r.get("cells_per_s").getAsDouble();
      }
    }
    return Double.NaN;
  }

  /** A cells file of make_inputs.py: one cell a line, token IDs separated by spaces. */
  static List<int[]> cells(Path file) throws Exception {
    List<int[]> out = new ArrayList<>();
    for (String line : Files.readAllLines(file)) {
      out.add(Arrays.stream(line.trim().split(" ")).mapToInt(Integer::parseInt).toArray());
    }
    return out;
  }
}
