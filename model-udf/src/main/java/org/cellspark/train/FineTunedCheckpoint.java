package org.cellspark.train;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import com.google.gson.Gson;
import com.google.gson.GsonBuilder;
import com.google.gson.JsonArray;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import java.io.IOException;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import org.cellspark.model.TrainableBert;

/**
 * A fine-tuned classifier as a Hugging Face folder: {@code config.json} (the base model's, with
 * {@code BertForSequenceClassification} as its architecture, {@code id2label} / {@code label2id},
 * and {@code cellspark_pooling}: how the head pools, since Hugging Face's own head reads the pooled
 * {@code <cls>}) and {@code model.safetensors} ({@code bert.*} encoder weights, {@code
 * classifier.weight} and {@code classifier.bias}), written with DJL's safetensors encoder. {@code
 * cellspark embed} reads the encoder from it as from any checkpoint.
 */
public final class FineTunedCheckpoint {
  public static final String POOLING_KEY = "cellspark_pooling";

  private FineTunedCheckpoint() {}

  /**
   * @param baseConfig the config.json of the model fine-tuning started from
   * @param classes class names, by class number
   */
  public static void write(
      Path folder, CellClassifier model, Path baseConfig, List<String> classes) {
    try {
      Files.createDirectories(folder);
      JsonObject config = JsonParser.parseString(Files.readString(baseConfig)).getAsJsonObject();
      JsonArray architectures = new JsonArray();
      architectures.add("BertForSequenceClassification");
      config.add("architectures", architectures);
      JsonObject id2label = new JsonObject();
      JsonObject label2id = new JsonObject();
      for (int i = 0; i < classes.size(); i++) {
        id2label.addProperty(Integer.toString(i), classes.get(i));
        label2id.addProperty(classes.get(i), i);
      }
      config.add("id2label", id2label);
      config.add("label2id", label2id);
      config.addProperty("problem_type", "single_label_classification");
      config.addProperty(POOLING_KEY, model.pooling().name().toLowerCase(Locale.ROOT));
      Gson gson = new GsonBuilder().setPrettyPrinting().create();
      Files.writeString(folder.resolve("config.json"), gson.toJson(config), StandardCharsets.UTF_8);

      NDList tensors = new NDList();
      for (TrainableBert.NamedWeight w : model.weights()) {
        NDArray a = w.value();
        // Names are the file's keys (the training forward names its inputs again on each call).
        a.setName(
            switch (w.name()) {
              case "head.weight" -> "classifier.weight";
              case "head.bias" -> "classifier.bias";
              default -> "bert." + w.name();
            });
        tensors.add(a);
      }
      Path weights = folder.resolve("model.safetensors");
      try (OutputStream out = Files.newOutputStream(weights)) {
        tensors.encode(out, NDList.Encoding.SAFETENSORS);
      }
    } catch (IOException e) {
      throw new UncheckedIOException("cannot write the fine-tuned model into " + folder, e);
    }
  }
}
