package org.cellspark.bench;

import ai.djl.Device;
import com.google.gson.JsonArray;
import com.google.gson.JsonObject;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.List;
import java.util.Random;
import org.cellspark.infer.Pooling;
import org.cellspark.model.TrainableBert;
import org.cellspark.testing.Fixtures;
import org.cellspark.train.AdamW;
import org.cellspark.train.CellClassifier;
import org.cellspark.train.Evaluation;
import org.cellspark.train.FineTunedCheckpoint;
import org.cellspark.train.FineTuner;
import org.cellspark.train.LabelledCells;
import org.cellspark.train.TrainingBatch;

/**
 * Writes a fine-tuned folder for transformers to load (bench/gpu/check_finetuned_folder.py, run
 * where transformers is installed): the tiny V2 test model with a mean-pooled head, after three
 * training steps (so every weight has moved from the checkpoint's), written by {@link
 * FineTunedCheckpoint}; beside it {@code jvm_probabilities.json}, the JVM's class probabilities for
 * the cells (Evaluation, as {@code cellspark finetune} writes its predictions).
 *
 * <p>Args: OUT (a folder: OUT/model and OUT/jvm_probabilities.json are written)
 */
public final class FineTunedFolderExport {
  private static final int CLS = 2;
  private static final int EOS = 3;

  private FineTunedFolderExport() {}

  public static void main(String[] args) throws Exception {
    Path out = Paths.get(args[0]);
    Files.createDirectories(out);
    Random r = new Random(3);
    List<int[]> cells = new java.util.ArrayList<>();
    int[] labels = new int[12];
    for (int c = 0; c < labels.length; c++) {
      int[] cell = new int[8 + c % 5];
      cell[0] = CLS;
      for (int i = 1; i < cell.length - 1; i++) {
        cell[i] = 4 + r.nextInt(30);
      }
      cell[cell.length - 1] = EOS;
      cells.add(cell);
      labels[c] = c % 3;
    }
    float[] head = new float[3 * 32];
    for (int i = 0; i < head.length; i++) {
      head[i] = (float) (0.1 * r.nextGaussian());
    }
    try (TrainableBert encoder =
        TrainableBert.load(Fixtures.vocab("models/tiny-v2"), Device.cpu())) {
      CellClassifier model =
          new CellClassifier(encoder, Pooling.MEAN, CLS, EOS, head, new float[3]);
      AdamW adam = new AdamW(1e-2, 0.9, 0.999, 1e-8, 0.01);
      FineTuner.Settings s =
          FineTuner.Settings.builder(new float[] {1, 1, 1})
              .learningRate(1e-2)
              .weightDecay(0.01)
              .batchTokens(1 << 20)
              .build();
      for (int step = 0; step < 3; step++) {
        FineTuner.step(
            model, TrainingBatch.of(cells, labels, CLS, EOS), model.weights(), adam, 1e-2, s);
      }
      FineTunedCheckpoint.write(
          out.resolve("model"),
          model,
          Fixtures.vocab("models/tiny-v2/config.json"),
          List.of("alpha", "beta", "gamma"));
      Evaluation e =
          Evaluation.of(model, new LabelledCells(cells, labels), 1 << 20, s.classWeights(), 3);
      JsonObject json = new JsonObject();
      JsonArray rows = new JsonArray();
      for (int c = 0; c < cells.size(); c++) {
        JsonObject row = new JsonObject();
        JsonArray ids = new JsonArray();
        for (int t : cells.get(c)) {
          ids.add(t);
        }
        row.add("input_ids", ids);
        JsonArray p = new JsonArray();
        for (float v : e.probabilities()[c]) {
          p.add(v);
        }
        row.add("probabilities", p);
        rows.add(row);
      }
      json.add("cells", rows);
      json.addProperty("cls_id", CLS);
      json.addProperty("eos_id", EOS);
      Files.writeString(out.resolve("jvm_probabilities.json"), json.toString());
    }
    System.out.println("wrote " + out.resolve("model") + " and jvm_probabilities.json");
  }
}
