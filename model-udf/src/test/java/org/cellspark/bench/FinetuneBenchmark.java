package org.cellspark.bench;

import ai.djl.Device;
import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.training.GradientCollector;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.TimeUnit;
import org.cellspark.infer.Pooling;
import org.cellspark.model.LoraAdapters;
import org.cellspark.model.MaskedLmHeadWeights;
import org.cellspark.model.TrainableBert;
import org.cellspark.train.AdamW;
import org.cellspark.train.CellClassifier;
import org.cellspark.train.Classifier;
import org.cellspark.train.DropoutRates;
import org.cellspark.train.Examples;
import org.cellspark.train.GeneClassifier;
import org.cellspark.train.LabelledTokens;
import org.cellspark.train.MaskedCells;
import org.cellspark.train.MaskedLanguageModel;
import org.cellspark.train.Masking;
import org.cellspark.train.MultiLabelledCells;
import org.cellspark.train.MultiTaskClassifier;
import org.cellspark.train.TrainingBatch;
import org.cellspark.train.WeightedCrossEntropy;

/**
 * The fine-tuning benchmark (bench/finetune/README.md): training cells/s of Cellspark's step (the
 * fused program's training forward with dropout 0.02, mean-pooled linear head, cross-entropy,
 * gradients clipped to norm 1, AdamW) against a PyTorch eager loop with the same model, cells,
 * batches and optimizer, in the same run on the same CPU threads.
 *
 * <p>Arguments: WORK (bench/work/embed: model/ and cells.txt), CELLS, LENGTH, BATCH, STEPS, ROUNDS
 * (default 3), HEAD (cell, the default; gene: a gene classifier's token labels and head; mlm:
 * pretraining's masked genes and head, against transformers' BertForMaskedLM step; multitask: three
 * tasks' heads on an attention pool, against upstream's GeneformerMultiTask step; lora: the cell
 * classifier with upstream's LoRA adapters, against the same in PyTorch and against Cellspark's
 * whole-model step in the same round). The sides alternate, a round each in turn, and the ratio
 * reported is the median of the rounds': this machine is shared, and a whole run of one side
 * against a whole run of the other measured the load as much as the code.
 */
public final class FinetuneBenchmark {
  private FinetuneBenchmark() {}

  public static void main(String[] args) throws Exception {
    Path work = Paths.get(args[0]);
    int n = Integer.parseInt(args[1]);
    int length = Integer.parseInt(args[2]);
    int batch = Integer.parseInt(args[3]);
    int steps = Integer.parseInt(args[4]);
    int rounds = args.length > 5 ? Integer.parseInt(args[5]) : 3;
    head = args.length > 6 ? args[6] : "cell";
    int threads = Integer.getInteger("ai.djl.pytorch.num_threads", 1);
    List<int[]> cells = new ArrayList<>();
    for (String line : Files.readAllLines(work.resolve("cells.txt"))) {
      if (cells.size() == n) {
        break;
      }
      int[] ids = Arrays.stream(line.trim().split(" ")).mapToInt(Integer::parseInt).toArray();
      cells.add(Arrays.copyOf(ids, Math.min(length, ids.length)));
    }
    System.out.printf(
        Locale.ROOT,
        "Fine-tuning steps of a %s, V1-sized model (6 layers, hidden 256), %d cells"
            + " of %d tokens, batches of %d, %d timed steps a side a round, %d round(s)"
            + " alternating sides, %d thread(s):%n",
        switch (head) {
          case "gene" -> "gene classifier (every token t with t % 7 == 0 labelled)";
          case "mlm" -> "masked language model (15% of genes masked, as pretraining)";
          case "multitask" ->
              "multi-task classifier (attention pool, tasks of 2, 5 and 10 classes, as"
                  + " MTLClassifier)";
          case "lora" ->
              "cell classifier with LoRA adapters (r 64, alpha 128, dropout 0.1 on query and"
                  + " value, as upstream's quantize), against the whole model's step too";
          default -> "cell classifier";
        },
        n,
        length,
        batch,
        steps,
        rounds,
        threads);
    List<Double> ratios = new ArrayList<>();
    List<Double> overFull = new ArrayList<>();
    boolean lora = head.equals("lora");
    for (int r = 1; r <= rounds; r++) {
      Double full = null;
      if (lora) { // the whole model's step first: the baseline LoRA is for
        head = "cell";
        forwardBackward = 0;
        optimizer = 0;
        full = cellspark(work.resolve("model"), cells, batch, steps);
        head = "lora";
        System.out.printf(
            Locale.ROOT,
            "  round %d: Cellspark, whole model %7.3f cells/s (forward and backward %.2f s,"
                + " optimizer %.2f s)%n",
            r,
            full,
            forwardBackward,
            optimizer);
      }
      forwardBackward = 0;
      optimizer = 0;
      double ours = cellspark(work.resolve("model"), cells, batch, steps);
      if (full != null) {
        overFull.add(ours / full);
      }
      Double torch = pytorch(work, n, length, batch, steps, threads);
      System.out.printf(
          Locale.ROOT,
          "  round %d: Cellspark %7.3f cells/s (forward and backward %.2f s, optimizer %.2f s),"
              + " PyTorch eager %s, ratio %s%n",
          r,
          ours,
          forwardBackward,
          optimizer,
          torch == null
              ? "not run (no /usr/bin/python3 with torch)"
              : String.format(Locale.ROOT, "%7.3f cells/s", torch),
          torch == null ? "-" : String.format(Locale.ROOT, "%.2f", ours / torch));
      if (torch != null) {
        ratios.add(ours / torch);
      }
    }
    if (!ratios.isEmpty()) {
      System.out.printf(
          Locale.ROOT,
          "  ratio Cellspark / PyTorch, median of %d rounds: %.2f  (target >= 0.80)%n",
          ratios.size(),
          median(ratios));
    }
    if (!overFull.isEmpty()) {
      System.out.printf(
          Locale.ROOT,
          "  ratio Cellspark LoRA / Cellspark whole model, median of %d rounds: %.2f%n",
          overFull.size(),
          median(overFull));
    }
  }

  private static double median(List<Double> values) {
    List<Double> sorted = values.stream().sorted().toList();
    return sorted.size() % 2 == 1
        ? sorted.get(sorted.size() / 2)
        : (sorted.get(sorted.size() / 2 - 1) + sorted.get(sorted.size() / 2)) / 2;
  }

  /** The multitask head's tasks' class counts. */
  private static final int[] TASK_CLASSES = {2, 5, 10};

  /**
   * cell, gene (a gene classifier's token labels), mlm (pretraining's masked genes) or multitask
   * (three tasks' heads on an attention pool).
   */
  private static String head;

  private static double cellspark(Path model, List<int[]> cells, int batch, int steps) {
    if (head.equals("cell") || head.equals("lora")) {
      return cellClassifier(model, cells, batch, steps);
    }
    try (TrainableBert encoder = TrainableBert.load(model, Device.cpu())) {
      if (head.equals("mlm")) {
        MaskedCells examples =
            new MaskedCells(cells, Masking.of(Masking.DEFAULT_FRACTION, 25_426, 1, 0, 1), 0);
        MaskedLanguageModel mlm =
            new MaskedLanguageModel(
                encoder, MaskedLmHeadWeights.initial(encoder.config(), 0.02, 1));
        return timedSteps(mlm, examples, batch, steps, new float[] {1, 1});
      }
      if (head.equals("multitask")) {
        // Cell c of the file labelled c % classes for each task, as the PyTorch side labels them.
        int[][] labels = new int[TASK_CLASSES.length][cells.size()];
        List<MultiTaskClassifier.Head> heads = new ArrayList<>();
        java.util.Random random = new java.util.Random(1);
        for (int t = 0; t < TASK_CLASSES.length; t++) {
          for (int c = 0; c < cells.size(); c++) {
            labels[t][c] = c % TASK_CLASSES[t];
          }
          heads.add(MultiTaskClassifier.Head.xavier(TASK_CLASSES[t], 256, random));
        }
        MultiTaskClassifier multitask =
            new MultiTaskClassifier(
                encoder,
                MultiTaskClassifier.Pool.ATTENTION,
                -1,
                -1,
                heads,
                MultiTaskClassifier.newAttention(256, random),
                new float[] {1, 1, 1});
        float[] ones = new float[Arrays.stream(TASK_CLASSES).sum()];
        Arrays.fill(ones, 1f);
        return timedSteps(multitask, new MultiLabelledCells(cells, labels), batch, steps, ones);
      }
      // Tokens t with t % 7 == 0 labelled (t / 7) % 2, the rest left out of the loss, as the
      // PyTorch side labels them (ignore_index -100).
      int[] classOf = new int[25_426];
      for (int t = 0; t < classOf.length; t++) {
        classOf[t] = t % 7 == 0 ? (t / 7) % 2 : -1;
      }
      GeneClassifier classifier = new GeneClassifier(encoder, new float[2 * 256], new float[2]);
      return timedSteps(
          classifier, new LabelledTokens(cells, classOf), batch, steps, new float[] {1, 1});
    }
  }

  private static double cellClassifier(Path model, List<int[]> cells, int batch, int steps) {
    try (TrainableBert encoder = TrainableBert.load(model, Device.cpu())) {
      if (head.equals("lora")) {
        encoder.addAdapters(LoraAdapters.Settings.UPSTREAM, 1);
      }
      CellClassifier classifier =
          new CellClassifier(encoder, Pooling.MEAN, -1, -1, new float[2 * 256], new float[2]);
      AdamW adam = new AdamW(5e-5, 0.9, 0.999, 1e-8, 0.001);
      step(classifier, adam, cells, batch, 0);
      long start = System.nanoTime();
      for (int i = 1; i <= steps; i++) {
        step(classifier, adam, cells, batch, i);
      }
      return steps * batch / ((System.nanoTime() - start) / 1e9);
    }
  }

  /** One warm-up step, then {@code steps} timed ones of {@code batch} cells in file order. */
  private static <E extends Examples> double timedSteps(
      Classifier<E> model, E examples, int batch, int steps, float[] classWeights) {
    AdamW adam = new AdamW(5e-5, 0.9, 0.999, 1e-8, 0.001);
    for (int i = 0; i <= steps; i++) {
      int from = (i * batch) % examples.size();
      int[] chunk =
          java.util.stream.IntStream.range(from, Math.min(examples.size(), from + batch)).toArray();
      if (i == 1) {
        timed = System.nanoTime(); // after the warm-up step, as the cell classifier's
      }
      try (NDManager m = model.manager().newSubManager()) {
        long t0 = System.nanoTime();
        try (GradientCollector collector = Engine.getInstance().newGradientCollector()) {
          collector.backward(model.loss(m, examples, chunk, DROPOUT, classWeights));
        }
        long t1 = System.nanoTime();
        adam.step(model.encoder(), model.weights(), Double.NaN, 1.0, m);
        if (i > 0) {
          forwardBackward += (t1 - t0) / 1e9;
          optimizer += (System.nanoTime() - t1) / 1e9;
        }
      }
    }
    return steps * batch / ((System.nanoTime() - timed) / 1e9);
  }

  private static long timed;

  /** Seconds spent in forward and backward, and in the optimizer, over the timed steps. */
  private static double forwardBackward;

  private static double optimizer;

  /** Geneformer V1's rates (its config.json: 0.02), as the PyTorch side trains. */
  private static final DropoutRates DROPOUT = DropoutRates.of(0.02);

  private static void step(CellClassifier model, AdamW adam, List<int[]> cells, int batch, int i) {
    int from = (i * batch) % cells.size();
    List<int[]> chunk = cells.subList(from, Math.min(cells.size(), from + batch));
    int[] labels = new int[chunk.size()];
    for (int k = 0; k < labels.length; k++) {
      labels[k] = (i * batch + k) % 2;
    }
    TrainingBatch b = TrainingBatch.of(chunk, labels, -1, -1);
    try (NDManager m = model.manager().newSubManager()) {
      long t0 = System.nanoTime();
      try (GradientCollector collector = Engine.getInstance().newGradientCollector()) {
        NDArray loss =
            WeightedCrossEntropy.loss(
                model.logits(m, b, head.equals("lora") ? DROPOUT.withAdapters(0.1) : DROPOUT),
                labels,
                new float[] {1, 1});
        collector.backward(loss);
      }
      long t1 = System.nanoTime();
      adam.step(model.encoder(), trained(model), Double.NaN, 1.0, m);
      if (i > 0) {
        forwardBackward += (t1 - t0) / 1e9;
        optimizer += (System.nanoTime() - t1) / 1e9;
      }
    }
  }

  /** The weights that train: all, or with adapters the adapters and the head. */
  private static List<TrainableBert.NamedWeight> trained(CellClassifier model) {
    return model.weights().stream().filter(w -> w.value().hasGradient()).toList();
  }

  private static Double pytorch(Path work, int n, int length, int batch, int steps, int threads)
      throws IOException, InterruptedException {
    Path python = Paths.get("/usr/bin/python3");
    if (!Files.isExecutable(python)) {
      return null;
    }
    Process p =
        new ProcessBuilder(
                python.toString(),
                Paths.get("bench/finetune/pytorch_baseline.py").toAbsolutePath().toString(),
                work.resolve("model").toString(),
                work.resolve("cells.txt").toString(),
                Integer.toString(n),
                Integer.toString(length),
                Integer.toString(batch),
                Integer.toString(steps),
                Integer.toString(threads),
                head)
            .redirectErrorStream(true)
            .start();
    String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    if (!p.waitFor(1, TimeUnit.HOURS) || p.exitValue() != 0) {
      return null;
    }
    for (String line : out.split("\n")) {
      if (line.startsWith("cells_per_second ")) {
        return Double.parseDouble(line.substring(17).trim());
      }
    }
    return null;
  }
}
