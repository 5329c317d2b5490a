package org.cellspark.bench;

import ai.djl.Device;
import ai.djl.engine.Engine;
import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import java.io.IOException;
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
  private final Path work;
  private final JsonObject baseline;
  private final Device device;
  private final long budget;
  private final double peak;
  private final ResultsFile results;

  /** One engine in one precision, measured at every length of a shape. */
  private record Run(ModelLoader.Engine engine, String precision) {
    String engineName() {
      return engine.name().toLowerCase(Locale.ROOT);
    }
  }

  private GpuBenchmark(Path work, JsonObject baseline, Path out, long budget) {
    this.work = work;
    this.baseline = baseline;
    this.budget = budget;
    this.device = Engine.getInstance().getGpuCount() > 0 ? Device.gpu() : Device.cpu();
    this.peak =
        baseline.has("bf16_tflops") && !baseline.get("bf16_tflops").isJsonNull()
            ? baseline.get("bf16_tflops").getAsDouble()
            : Double.NaN;
    JsonObject header = new JsonObject();
    header.addProperty("device", device.toString());
    header.addProperty("budget", budget);
    this.results = new ResultsFile(out, header);
  }

  public static void main(String[] args) throws Exception {
    JsonObject baseline =
        JsonParser.parseString(Files.readString(Paths.get(args[1]))).getAsJsonObject();
    GpuBenchmark b =
        new GpuBenchmark(
            Paths.get(args[0]),
            baseline,
            Paths.get(args[2]),
            args.length > 3 ? Long.parseLong(args[3]) : 131_072);
    System.out.printf(
        Locale.ROOT,
        "GPU benchmark on %s (PyTorch side: %s, torch %s), %,d tokens per batch, bf16 matrix peak"
            + " %.0f TFLOP/s%n",
        b.device,
        baseline.get("device").getAsString(),
        baseline.get("torch").getAsString(),
        b.budget,
        b.peak);
    for (JsonElement e :
        JsonParser.parseString(Files.readString(b.work.resolve("plan.json"))).getAsJsonArray()) {
      JsonObject p = e.getAsJsonObject();
      List<Run> runs = new ArrayList<>();
      for (JsonElement pr : p.getAsJsonArray("precisions")) {
        runs.add(new Run(ModelLoader.Engine.FUSED, pr.getAsString()));
      }
      runs.add(new Run(ModelLoader.Engine.NATIVE, b.device.isGpu() ? "fp16" : "fp32"));
      for (Run run : runs) {
        b.shape(p, run);
      }
    }
  }

  /** One load of the shape's model for the run, then every length. */
  private void shape(JsonObject p, Run run) throws IOException {
    String shape = p.get("shape").getAsString();
    Precision precision = Precision.parse(run.precision());
    try (Encoder encoder = ModelLoader.load(work.resolve(shape), device, precision, run.engine())) {
      for (JsonElement l : p.getAsJsonArray("lengths")) {
        int length = l.getAsInt();
        // The native engine for reference where the issue measured it (up to 2,048 tokens): its
        // unfused attention holds cells x heads x length^2 scores (19 GB a layer for V2-316M's
        // 32 cells of 4,096 tokens); time better spent on the targets' figures.
        if (run.engine() == ModelLoader.Engine.NATIVE && length > 2048) {
          continue;
        }
        JsonObject r = describe(shape, run);
        r.addProperty("length", length);
        try {
          measure(encoder, p, length, run, r);
        } catch (RuntimeException failure) {
          results.failed(r, failure);
        }
      }
    } catch (RuntimeException failure) {
      results.failed(describe(shape, run), failure);
    }
  }

  private static JsonObject describe(String shape, Run run) {
    JsonObject r = new JsonObject();
    r.addProperty("shape", shape);
    r.addProperty("engine", run.engineName());
    r.addProperty("precision", run.precision());
    return r;
  }

  /** Measures one length, prints the line and records the figures in r. */
  private void measure(Encoder encoder, JsonObject p, int length, Run run, JsonObject r)
      throws IOException {
    String shape = p.get("shape").getAsString();
    double rate =
        rate(
            encoder,
            device,
            cells(work.resolve(shape).resolve("cells_" + length + ".txt")),
            budget);
    double tflops = rate * flopsPerCell(p, length) / 1e12;
    // The same computation in PyTorch (bf16: bf16 weights), and for bf16 also what most Python
    // users run, autocast over fp32 weights.
    double pytorch = pytorchRate(baseline, shape, length, run.precision());
    boolean bf16 = run.precision().equals("bf16");
    double autocast = pytorchRate(baseline, shape, length, "bf16-autocast");
    System.out.printf(
        Locale.ROOT,
        "  %-8s %5d tokens  %-6s %-4s %9.2f cells/s  %7.1f TFLOP/s (%4.1f%% of bf16 peak)"
            + "  PyTorch %9.2f  ratio %5.2f%s%n",
        shape,
        length,
        run.engineName(),
        run.precision(),
        rate,
        tflops,
        100 * tflops / peak,
        pytorch,
        rate / pytorch,
        bf16 ? String.format(Locale.ROOT, "  (vs autocast %.2f)", rate / autocast) : "");
    r.addProperty("cells_per_s", rate);
    r.addProperty("tflops", tflops);
    r.addProperty("pytorch_cells_per_s", pytorch);
    if (bf16) {
      r.addProperty("pytorch_autocast_cells_per_s", autocast);
    }
    results.add(r);
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
  static List<int[]> cells(Path file) throws IOException {
    List<int[]> out = new ArrayList<>();
    for (String line : Files.readAllLines(file)) {
      out.add(Arrays.stream(line.trim().split(" ")).mapToInt(Integer::parseInt).toArray());
    }
    return out;
  }
}
