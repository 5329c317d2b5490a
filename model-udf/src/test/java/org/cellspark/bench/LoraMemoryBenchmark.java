package org.cellspark.bench;

import ai.djl.Device;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import org.cellspark.infer.Pooling;
import org.cellspark.model.LoraAdapters;
import org.cellspark.model.TrainableBert;
import org.cellspark.train.CellClassifier;
import org.cellspark.train.DropoutRates;
import org.cellspark.train.FineTuner;
import org.cellspark.train.LabelledCells;

/**
 * One mode of the LoRA memory benchmark (bench/finetune/run-lora-memory.sh, which runs each mode in
 * a JVM of its own): an epoch of {@code FineTuner.train}, what {@code cellspark finetune} runs, on
 * a cell classifier over MODEL (bench/work/v2-104m: V2-104M's shape), training the whole model or
 * upstream's LoRA adapters (rank 64, alpha 128, dropout 0.1 on query and value). Prints the
 * process's peak resident set (the kernel's VmHWM: the weights, gradients, AdamW's moments, the
 * best epoch's copy and the activations all live in libtorch's memory, outside the heap), the
 * epoch's seconds and the values that train.
 *
 * <p>Arguments: MODEL, CELLS_FILE (bench/work/embed/cells.txt; ids the model's vocabulary lacks
 * dropped), MODE (whole or lora), CELLS, LENGTH, BATCH (cells a batch).
 */
public final class LoraMemoryBenchmark {
  private LoraMemoryBenchmark() {}

  public static void main(String[] args) throws Exception {
    Path model = Paths.get(args[0]);
    boolean lora = args[2].equals("lora");
    int n = Integer.parseInt(args[3]);
    int length = Integer.parseInt(args[4]);
    int batch = Integer.parseInt(args[5]);
    try (TrainableBert encoder = TrainableBert.load(model, Device.cpu())) {
      int vocabulary = encoder.config().vocabSize();
      List<int[]> cells = new ArrayList<>();
      for (String line : Files.readAllLines(Paths.get(args[1]))) {
        if (cells.size() == n) {
          break;
        }
        int[] ids =
            Arrays.stream(line.trim().split(" "))
                .mapToInt(Integer::parseInt)
                .filter(t -> t < vocabulary)
                .limit(length)
                .toArray();
        cells.add(ids);
      }
      int[] labels = new int[cells.size()];
      for (int c = 0; c < labels.length; c++) {
        labels[c] = c % 2;
      }
      DropoutRates dropout = DropoutRates.of(0.1);
      if (lora) {
        encoder.addAdapters(LoraAdapters.Settings.UPSTREAM, 1);
        dropout = dropout.withAdapters(LoraAdapters.Settings.UPSTREAM.dropout());
      }
      int hidden = encoder.config().hiddenSize();
      CellClassifier classifier =
          new CellClassifier(
              encoder, Pooling.MEAN, -1, -1, FineTuner.initialHead(2, hidden, 1), new float[2]);
      long trained =
          classifier.weights().stream()
              .filter(w -> w.value().hasGradient())
              .mapToLong(w -> w.value().size())
              .sum();
      LabelledCells train = new LabelledCells(cells, labels);
      LabelledCells validation =
          new LabelledCells(cells.subList(0, batch), Arrays.copyOf(labels, batch));
      long start = System.nanoTime();
      FineTuner.train(
          classifier,
          train,
          validation,
          FineTuner.Settings.builder(new float[] {1, 1})
              .epochs(1)
              .batchTokens((long) batch * length)
              .dropout(dropout)
              .checkpointEvery(Duration.ZERO)
              .build());
      double seconds = (System.nanoTime() - start) / 1e9;
      System.out.printf(
          Locale.ROOT,
          "mode %s peak_rss_mb %d seconds %.1f cells %d trained_values %d%n",
          lora ? "lora" : "whole",
          peakRssKb() / 1024,
          seconds,
          cells.size(),
          trained);
    }
  }

  private static long peakRssKb() throws java.io.IOException {
    return Files.readAllLines(Path.of("/proc/self/status")).stream()
        .filter(l -> l.startsWith("VmHWM:"))
        .mapToLong(l -> Long.parseLong(l.replaceAll("[^0-9]", "")))
        .findFirst()
        .orElse(-1);
  }
}
