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
import org.cellspark.perturb.ComparisonsOnDevice;
import org.cellspark.perturb.Perturbation;
import org.cellspark.perturb.PerturbationBuilder;
import org.cellspark.perturb.PerturbationType;
import org.cellspark.perturb.ShiftMetrics;

/**
 * The JVM's side of the GPU perturbation benchmark (bench/gpu/README.md): deleting genes of one
 * cell the way a perturb task does it on a GPU (PerturbWorker: the original's hidden states kept on
 * the device, the copies in token-budget batches through the fused program, each batch compared
 * there, only cosines back), layer -1, mean pooling. The figure to beat is bench/perturb's
 * gpu_rate.py: an op-for-op PyTorch restatement of the task as it was (copies' token vectors to the
 * host), same shape, length, precision and budget.
 *
 * <p>Args: WORK (bench/gpu/make_inputs.py's) RATES_JSON (gpu_rate.py's) OUT_JSON [SHAPE=V2-104M]
 * [LENGTH=4096] [COPIES=1024] [BUDGETS=16384,65536] (gpu_rate.py measures V2-104M at both; 65,536
 * is a GPU's budget for a Hugging Face folder, --batch-tokens auto).
 */
public final class GpuPerturbBenchmark {
  private GpuPerturbBenchmark() {}

  public static void main(String[] args) throws Exception {
    Path work = Paths.get(args[0]);
    JsonObject rates =
        JsonParser.parseString(Files.readString(Paths.get(args[1]))).getAsJsonObject();
    Path out = Paths.get(args[2]);
    String shape = args.length > 3 ? args[3] : "V2-104M";
    int length = args.length > 4 ? Integer.parseInt(args[4]) : 4096;
    int copies = args.length > 5 ? Integer.parseInt(args[5]) : 1024;
    long[] budgets =
        Arrays.stream((args.length > 6 ? args[6] : "16384,65536").split(","))
            .mapToLong(Long::parseLong)
            .toArray();
    Device device = Engine.getInstance().getGpuCount() > 0 ? Device.gpu() : Device.cpu();
    Precision precision = device.isGpu() ? Precision.FP16 : Precision.FP32;
    String p = precision.name().toLowerCase(Locale.ROOT);
    int[] cell = GpuBenchmark.cells(work.resolve(shape).resolve("cells_" + length + ".txt")).get(0);
    PerturbationBuilder builder =
        new PerturbationBuilder(PerturbationType.DELETE, 1, length, -1, -1);
    List<Perturbation> all = new ArrayList<>();
    for (int i = 0; i < Math.min(copies, cell.length); i++) {
      all.add(builder.single(cell, i));
    }
    JsonObject header = new JsonObject();
    header.addProperty("device", device.toString());
    header.addProperty("shape", shape);
    header.addProperty("length", length);
    header.addProperty("precision", p);
    header.addProperty("perturbations", all.size());
    ResultsFile results = new ResultsFile(out, header);
    double best = 0;
    double bestRestated = 0;
    try (Encoder encoder = ModelLoader.load(work.resolve(shape), device, precision)) {
      ShiftMetrics metrics =
          new ShiftMetrics(encoder.config().hiddenSize(), Pooling.MEAN, new float[0][], -1, -1);
      for (long budget : budgets) {
        double rate;
        try (CellEmbedder embedder =
            new CellEmbedder(
                encoder, device, new EmbeddingSettings(-1, Pooling.MEAN, budget, 0, -1, -1))) {
          screen(embedder, metrics, cell, all.subList(0, Math.min(all.size(), 32))); // warm-up
          long t = System.nanoTime();
          double checksum = screen(embedder, metrics, cell, all);
          rate = all.size() / ((System.nanoTime() - t) / 1e9);
          System.out.printf(Locale.ROOT, "  (cosine checksum %.6f)%n", checksum);
        }
        double pytorch = restated(rates, shape, length, p, budget);
        best = Math.max(best, rate);
        bestRestated = Double.isNaN(pytorch) ? bestRestated : Math.max(bestRestated, pytorch);
        System.out.printf(
            Locale.ROOT,
            "GPU perturbation benchmark on %s: %s, %d tokens, %s, %,d tokens a batch, delete %d"
                + " genes of one cell: %.1f perturbations/s; PyTorch restatement (gpu_rate.py) at"
                + " the same budget %.1f; ratio %.2f (target >= 1.3)%n",
            device,
            shape,
            length,
            p,
            budget,
            all.size(),
            rate,
            pytorch,
            rate / pytorch);
        JsonObject r = new JsonObject();
        r.addProperty("batch_tokens", budget);
        r.addProperty("perturbations_per_s", rate);
        r.addProperty("pytorch_restated_per_s", pytorch);
        results.add(r);
      }
    }
    System.out.printf(
        Locale.ROOT,
        "  each side at its best budget: %.1f / %.1f perturbations/s, ratio %.2f%n",
        best,
        bestRestated,
        best / bestRestated);
  }

  /** What a perturb task does for one cell: the original kept on the device, copies compared. */
  private static double screen(
      CellEmbedder embedder, ShiftMetrics metrics, int[] cell, List<Perturbation> perturbations) {
    double[] sum = new double[1];
    List<int[]> originals = List.<int[]>of(cell);
    try (ComparisonsOnDevice d =
        new ComparisonsOnDevice(metrics, embedder.dimension(), embedder.device())) {
      embedder.forEachBatch(originals, (cells, hidden) -> d.keep(originals, cells, hidden));
      embedder.forEachBatch(
          perturbations.stream().map(Perturbation::perturbed).toList(),
          (cells, hidden) -> {
            for (ShiftMetrics.Result r : d.compare(perturbations, cells, hidden, false)) {
              sum[0] += r.cosineSimilarity();
            }
          });
    }
    return sum[0];
  }

  /** gpu_rate.py's "cellspark" rate (copies' vectors to the host) for this configuration. */
  private static double restated(
      JsonObject rates, String shape, int length, String precision, long budget) {
    for (JsonElement e : rates.getAsJsonArray("rates")) {
      JsonObject r = e.getAsJsonObject();
      if (r.get("what").getAsString().equals("cellspark")
          && r.get("shape").getAsString().equals(shape)
          && r.get("length").getAsInt() == length
          && r.get("precision").getAsString().equals(precision)
          && r.get("batch_tokens").getAsLong() == budget
          && r.get("compare").getAsString().equals("host")) {
        return r.get("perturbations_per_s").getAsDouble();
      }
    }
    return Double.NaN;
  }
}
