package org.cellspark.train;

import ai.djl.Device;
import ai.djl.ndarray.NDManager;
import ai.djl.pytorch.jni.JniUtils;
import com.google.gson.JsonArray;
import com.google.gson.JsonObject;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.cellspark.model.MaskedLmHeadWeights;
import org.cellspark.model.TrainableBert;
import org.cellspark.testing.Fixtures;

/**
 * Writes a folder as {@code cellspark pretrain} does (the tiny V2 model after two pretraining
 * steps, its masked-LM head included) for bench/gpu/check_pretrained_folder.py to load with
 * transformers' {@code BertForMaskedLM}, and beside it {@code jvm_mlm_logits.json}: some cells with
 * genes masked, the masked positions, and the JVM's scores over the vocabulary there.
 *
 * <p>Args: OUT (OUT/pretrained and OUT/jvm_mlm_logits.json are written)
 */
public final class PretrainedFolderExport {
  private PretrainedFolderExport() {}

  public static void main(String[] args) throws Exception {
    Path out = Paths.get(args[0]);
    Files.createDirectories(out);
    Random r = new Random(5);
    List<int[]> cells = new ArrayList<>();
    for (int c = 0; c < 6; c++) {
      int[] cell = new int[10 + c];
      cell[0] = 2;
      for (int i = 1; i < cell.length - 1; i++) {
        cell[i] = 4 + r.nextInt(30);
      }
      cell[cell.length - 1] = 3;
      cells.add(cell);
    }
    Path base = Fixtures.vocab("models/tiny-v2");
    MaskedCells examples = new MaskedCells(cells, Masking.of(0.3, 34, 1, 0, 1, 2, 3), 0);
    int[] all = {0, 1, 2, 3, 4, 5};
    try (TrainableBert encoder = TrainableBert.load(base, Device.cpu())) {
      MaskedLanguageModel model = new MaskedLanguageModel(encoder, MaskedLmHeadWeights.of(base, 0));
      AdamW adam = new AdamW(1e-2, 0.9, 0.999, 1e-8, 0.01);
      FineTuner.Settings s =
          FineTuner.Settings.builder(new float[0]).learningRate(1e-2).batchTokens(1 << 20).build();
      for (int step = 0; step < 2; step++) {
        FineTuner.step(
            model,
            m -> model.loss(m, examples, all, s.dropout(), new float[0]),
            model.weights(),
            adam,
            1e-2,
            s);
      }
      FineTunedCheckpoint.write(out.resolve("pretrained"), model, base.resolve("config.json"));
      JsonObject json = new JsonObject();
      try (NDManager m = model.manager().newSubManager()) {
        JniUtils.setSeed(11);
        MaskedBatch b = MaskedLanguageModel.masked(m, examples, all);
        float[] logits = model.logits(m, b, DropoutRates.NONE).toFloatArray();
        JsonArray ids = new JsonArray();
        for (int c = 0; c < b.cells(); c++) {
          JsonArray row = new JsonArray();
          for (int i = 0; i < b.length(); i++) {
            row.add(b.ids()[c * b.length() + i]);
          }
          ids.add(row);
        }
        JsonArray mask = new JsonArray();
        for (int c = 0; c < b.cells(); c++) {
          JsonArray row = new JsonArray();
          for (int i = 0; i < b.length(); i++) {
            row.add(b.mask()[c * b.length() + i]);
          }
          mask.add(row);
        }
        JsonArray positions = new JsonArray();
        JsonArray scores = new JsonArray();
        int vocabulary = logits.length / b.masked();
        for (int k = 0; k < b.masked(); k++) {
          positions.add(b.positions()[k]);
          JsonArray row = new JsonArray();
          for (int t = 0; t < vocabulary; t++) {
            row.add(logits[k * vocabulary + t]);
          }
          scores.add(row);
        }
        json.add("input_ids", ids);
        json.add("attention_mask", mask);
        json.add("positions", positions);
        json.add("logits", scores);
      }
      Files.writeString(out.resolve("jvm_mlm_logits.json"), json.toString());
    }
    System.out.println("wrote " + out.resolve("pretrained") + " and jvm_mlm_logits.json");
  }
}
