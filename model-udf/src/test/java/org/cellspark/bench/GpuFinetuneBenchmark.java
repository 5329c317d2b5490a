package org.cellspark.bench;

import ai.djl.Device;
import ai.djl.engine.Engine;
import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.List;
import java.util.Locale;
import java.util.stream.IntStream;
import org.cellspark.infer.Pooling;
import org.cellspark.model.LoraAdapters;
import org.cellspark.model.MaskedLmHeadWeights;
import org.cellspark.model.Precision;
import org.cellspark.model.TrainableBert;
import org.cellspark.train.AdamW;
import org.cellspark.train.CellClassifier;
import org.cellspark.train.DropoutRates;
import org.cellspark.train.FineTuner;
import org.cellspark.train.MaskedCells;
import org.cellspark.train.MaskedLanguageModel;
import org.cellspark.train.Masking;
import org.cellspark.train.TrainingBatch;

/**
 * The JVM's side of the GPU fine-tuning benchmark (bench/gpu/README.md): {@link FineTuner#step},
 * the step {@code cellspark finetune} takes (dropout as the model's config says, mean-pooled head,
 * cross-entropy, gradients clipped to norm 1, AdamW), in bf16 mixed precision on a GPU (fp32 on a
 * CPU), on the cells and batches of bench/gpu's PyTorch baseline (finetune_baseline.py). Three
 * warm-up steps, then the timed ones; prints cells/s, training TFLOP/s and the ratio to PyTorch's
 * figure for the same shape; writes every figure as JSON.
 *
 * <p>With HEAD mlm, pretraining steps instead ({@code cellspark pretrain}: 15% of the genes masked
 * as {@link Masking} masks them, the masked-LM head at the masked positions, cross-entropy),
 * against finetune_baseline.py's {@code --head mlm} (transformers' BertForMaskedLM). With HEAD
 * lora, the cell classifier's step with upstream's LoRA adapters ({@code cellspark finetune
 * --lora}: r 64, alpha 128, dropout 0.1 on every layer's query and value, only they and the head
 * training), against {@code --head lora} (the same adapters on transformers' BertModel).
 *
 * <p>Args: WORK BASELINE_JSON OUT_JSON [PEAK_JSON [HEAD]]: PEAK_JSON, the inference baseline's
 * output, gives the device's bf16 matrix throughput for scale (left out when that file is absent:
 * the inference part did not run); HEAD cell (the default), mlm or lora.
 */
public final class GpuFinetuneBenchmark {
  private GpuFinetuneBenchmark() {}

  public static void main(String[] args) throws Exception {
    Path work = Paths.get(args[0]);
    JsonObject baseline =
        JsonParser.parseString(Files.readString(Paths.get(args[1]))).getAsJsonObject();
    Path out = Paths.get(args[2]);
    double peak = Double.NaN;
    if (args.length > 3 && Files.exists(Paths.get(args[3]))) {
      JsonObject p = JsonParser.parseString(Files.readString(Paths.get(args[3]))).getAsJsonObject();
      peak = p.get("bf16_tflops").isJsonNull() ? Double.NaN : p.get("bf16_tflops").getAsDouble();
    }
    int steps = baseline.get("steps").getAsInt();
    String head = args.length > 4 ? args[4] : "cell";
    boolean mlm = head.equals("mlm");
    Device device = Engine.getInstance().getGpuCount() > 0 ? Device.gpu() : Device.cpu();
    Precision precision = device.isGpu() ? Precision.BF16 : Precision.FP32;
    System.out.printf(
        Locale.ROOT,
        "GPU %s benchmark on %s (PyTorch side: %s), %s, %d timed steps%n",
        switch (head) {
          case "mlm" -> "pretraining (masked genes)";
          case "lora" -> "LoRA fine-tuning (upstream's adapters on query and value)";
          default -> "fine-tuning";
        },
        device,
        baseline.get("device").getAsString(),
        precision.name().toLowerCase(Locale.ROOT),
        steps);
    JsonObject header = new JsonObject();
    header.addProperty("device", device.toString());
    header.addProperty("steps", steps);
    header.addProperty("head", head);
    ResultsFile results = new ResultsFile(out, header);
    for (JsonElement e :
        JsonParser.parseString(Files.readString(work.resolve("plan.json"))).getAsJsonArray()) {
      JsonObject p = e.getAsJsonObject();
      String shape = p.get("shape").getAsString();
      int length = p.getAsJsonObject("finetune").get("length").getAsInt();
      int batch = p.getAsJsonObject("finetune").get("batch").getAsInt();
      List<int[]> cells =
          GpuBenchmark.cells(work.resolve(shape).resolve("cells_" + length + ".txt"));
      JsonObject r = new JsonObject();
      r.addProperty("shape", shape);
      r.addProperty("length", length);
      r.addProperty("batch", batch);
      r.addProperty("precision", precision.name().toLowerCase(Locale.ROOT));
      double rate;
      try {
        rate =
            mlm
                ? maskedLmRate(work.resolve(shape), device, precision, cells, batch, steps)
                : rate(
                    work.resolve(shape),
                    device,
                    precision,
                    cells,
                    batch,
                    steps,
                    head.equals("lora"));
      } catch (RuntimeException failure) {
        results.failed(r, failure);
        continue;
      }
      // Forward and backward: three times the forward's multiply-adds, every layer.
      double tflops = rate * 3 * GpuBenchmark.flops(p, length, p.get("layers").getAsInt()) / 1e12;
      double pytorch = pytorchRate(baseline, shape);
      System.out.printf(
          Locale.ROOT,
          "  %-8s %5d tokens x %2d  %9.2f cells/s  %7.1f TFLOP/s (%4.1f%% of bf16 peak)"
              + "  PyTorch %9.2f  ratio %5.2f%n",
          shape,
          length,
          batch,
          rate,
          tflops,
          100 * tflops / peak,
          pytorch,
          rate / pytorch);
      r.addProperty("cells_per_s", rate);
      r.addProperty("tflops", tflops);
      r.addProperty("pytorch_cells_per_s", pytorch);
      results.add(r);
    }
  }

  private static double rate(
      Path model,
      Device device,
      Precision precision,
      List<int[]> cells,
      int batch,
      int steps,
      boolean lora) {
    try (TrainableBert encoder = TrainableBert.load(model, device, precision)) {
      DropoutRates dropout = DropoutRates.read(model.resolve("config.json"));
      if (lora) { // upstream's settings; the smoke shape is narrower than their rank
        LoraAdapters.Settings upstream = LoraAdapters.Settings.UPSTREAM;
        encoder.addAdapters(
            new LoraAdapters.Settings(
                Math.min(upstream.rank(), encoder.config().hiddenSize()),
                upstream.alpha(),
                upstream.dropout()),
            1);
        dropout = dropout.withAdapters(upstream.dropout());
      }
      int hidden = encoder.config().hiddenSize();
      CellClassifier classifier =
          new CellClassifier(encoder, Pooling.MEAN, -1, -1, new float[2 * hidden], new float[2]);
      AdamW adam = new AdamW(5e-5, 0.9, 0.999, 1e-8, 0.001);
      FineTuner.Settings settings =
          FineTuner.Settings.builder(new float[] {1, 1})
              .batchTokens((long) batch * cells.get(0).length)
              .dropout(dropout)
              .build();
      // With adapters, only they and the head train (the checkpoint's weights record no gradient).
      List<TrainableBert.NamedWeight> trained =
          classifier.weights().stream().filter(w -> w.value().hasGradient()).toList();
      for (int i = 0; i < 3; i++) {
        FineTuner.step(classifier, batch(cells, batch, i), trained, adam, 5e-5, settings);
      }
      long t = System.nanoTime();
      for (int i = 3; i < 3 + steps; i++) {
        FineTuner.step(classifier, batch(cells, batch, i), trained, adam, 5e-5, settings);
      }
      return (double) steps * batch / ((System.nanoTime() - t) / 1e9);
    }
  }

  /**
   * Pretraining steps: the masked language model on the checkpoint (its head if it has one), 15% of
   * the genes masked (<pad>, <mask>, <cls>, <eos> never), the config's dropout, AdamW.
   */
  private static double maskedLmRate(
      Path model, Device device, Precision precision, List<int[]> cells, int batch, int steps) {
    try (TrainableBert encoder = TrainableBert.load(model, device, precision)) {
      MaskedLanguageModel mlm = new MaskedLanguageModel(encoder, MaskedLmHeadWeights.of(model, 1));
      int vocabulary = encoder.config().vocabSize();
      MaskedCells examples =
          new MaskedCells(
              cells, Masking.of(Masking.DEFAULT_FRACTION, vocabulary, 1, 0, 1, 2, 3), 0);
      AdamW adam = new AdamW(5e-5, 0.9, 0.999, 1e-8, 0.001);
      FineTuner.Settings settings =
          FineTuner.Settings.builder(new float[0])
              .batchTokens((long) batch * cells.get(0).length)
              .dropout(DropoutRates.read(model.resolve("config.json")))
              .build();
      long t = 0;
      for (int i = 0; i < 3 + steps; i++) {
        if (i == 3) {
          t = System.nanoTime();
        }
        int from = (i * batch) % cells.size();
        int[] chunk = IntStream.range(from, Math.min(cells.size(), from + batch)).toArray();
        FineTuner.step(
            mlm,
            m -> mlm.loss(m, examples, chunk, settings.dropout(), new float[0]),
            mlm.weights(),
            adam,
            5e-5,
            settings);
      }
      return (double) steps * batch / ((System.nanoTime() - t) / 1e9);
    }
  }

  /** Step i's cells (in file order, as the PyTorch side takes them), labels alternating. */
  private static TrainingBatch batch(List<int[]> cells, int batch, int i) {
    int from = (i * batch) % cells.size();
    List<int[]> chunk = cells.subList(from, Math.min(cells.size(), from + batch));
    int[] labels = new int[chunk.size()];
    for (int k = 0; k < labels.length; k++) {
      labels[k] = (i * batch + k) % 2;
    }
    return TrainingBatch.of(chunk, labels, -1, -1);
  }

  private static double pytorchRate(JsonObject baseline, String shape) {
    for (JsonElement e : baseline.getAsJsonArray("runs")) {
      JsonObject r = e.getAsJsonObject();
      if (r.get("shape").getAsString().equals(shape)) {
        return r.get("cells_per_s").getAsDouble();
      }
    }
    return Double.NaN;
  }
}
