package org.cellspark.train;

import ai.djl.ndarray.NDArray;
import com.google.gson.Gson;
import com.google.gson.GsonBuilder;
import com.google.gson.JsonArray;
import com.google.gson.JsonObject;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.cellspark.model.BertConfig;
import org.cellspark.model.SafetensorsWriter;
import org.cellspark.model.TrainableBert;
import org.cellspark.model.WeightsFile;

/**
 * A fine-tuned classifier (or a pretrained masked language model) as a Hugging Face folder (a gene
 * classifier's is the same, as {@code BertForTokenClassification}, without pooling): {@code
 * config.json} (the base model's, with {@code BertForSequenceClassification} as its architecture,
 * {@code id2label} / {@code label2id}, and {@code cellspark_pooling}: how the head pools, since
 * Hugging Face's own head reads the pooled {@code <cls>}) and {@code model.safetensors} ({@code
 * bert.*} encoder weights, {@code classifier.weight} and {@code classifier.bias}, with {@code
 * "format": "pt"} in the metadata as transformers writes it). {@code cellspark embed} reads the
 * encoder from it as from any checkpoint.
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
    JsonObject config = config(baseConfig, "BertForSequenceClassification", classes);
    config.addProperty("problem_type", "single_label_classification");
    config.addProperty(POOLING_KEY, model.pooling().name().toLowerCase(Locale.ROOT));
    write(folder, config, model.encoder().forSaving(model.weights()));
  }

  /**
   * A gene classifier as transformers' {@code BertForTokenClassification} folder: the same weights'
   * names, the architecture and the labels in config.json.
   */
  public static void write(
      Path folder, GeneClassifier model, Path baseConfig, List<String> classes) {
    write(
        folder,
        config(baseConfig, "BertForTokenClassification", classes),
        model.encoder().forSaving(model.weights()));
  }

  /**
   * A pretrained model as transformers' {@code BertForMaskedLM} folder: {@code bert.*} and the
   * head's {@code cls.predictions.*} weights (its output weights are the word embeddings, tied, so
   * not written, as transformers leaves them out), the base config with that architecture (any
   * classifier's labels dropped). The same folder continues pretraining or starts a fine-tune.
   */
  public static void write(Path folder, MaskedLanguageModel model, Path baseConfig) {
    JsonObject config = BertConfig.json(baseConfig);
    for (String key : List.of("id2label", "label2id", "problem_type", POOLING_KEY)) {
      config.remove(key);
    }
    JsonArray architectures = new JsonArray();
    architectures.add("BertForMaskedLM");
    config.add("architectures", architectures);
    write(folder, config, model.encoder().forSaving(model.weights()));
  }

  /** The key of a multi-task model's tasks in its config.json: each task's name and classes. */
  public static final String TASKS_KEY = "cellspark_tasks";

  /**
   * A multi-task classifier as upstream's {@code GeneformerMultiTask} names its weights ({@code
   * bert.*}, {@code attention_pool.attention_weights} as a (hidden, 1) matrix, {@code
   * classification_heads.N.weight} and {@code .bias}), so {@code load_state_dict} reads them in
   * Python; config.json is the base model's with that architecture, the pooling, and the tasks
   * (name and classes, by class number) in task order under {@value #TASKS_KEY}.
   *
   * @param tasks each task's name and its class names
   */
  public static void write(
      Path folder, MultiTaskClassifier model, Path baseConfig, Map<String, List<String>> tasks) {
    JsonObject config = BertConfig.json(baseConfig);
    for (String key : List.of("id2label", "label2id", "problem_type")) {
      config.remove(key);
    }
    JsonArray architectures = new JsonArray();
    architectures.add("GeneformerMultiTask");
    config.add("architectures", architectures);
    config.addProperty(POOLING_KEY, model.pool().name().toLowerCase(Locale.ROOT));
    JsonArray list = new JsonArray();
    float[] weights = model.taskWeights();
    int t = 0;
    for (Map.Entry<String, List<String>> task : tasks.entrySet()) {
      JsonObject one = new JsonObject();
      one.addProperty("name", task.getKey());
      JsonArray classes = new JsonArray();
      task.getValue().forEach(classes::add);
      one.add("classes", classes);
      one.addProperty("weight", weights[t++]);
      list.add(one);
    }
    config.add(TASKS_KEY, list);
    write(folder, config, model.encoder().forSaving(model.weights()));
  }

  /** Whether {@code folder}'s config.json is a multi-task model's ({@link #TASKS_KEY}). */
  public static boolean isMultiTask(Path folder) {
    Path config = folder.resolve("config.json");
    return Files.isRegularFile(config) && BertConfig.json(config).has(TASKS_KEY);
  }

  /** A multi-task folder's tasks: each task's name and its classes, in task order. */
  public static Map<String, List<String>> tasks(Path folder) {
    Map<String, List<String>> out = new LinkedHashMap<>();
    for (var task : BertConfig.json(folder.resolve("config.json")).getAsJsonArray(TASKS_KEY)) {
      JsonObject t = task.getAsJsonObject();
      List<String> classes = new java.util.ArrayList<>();
      t.getAsJsonArray("classes").forEach(c -> classes.add(c.getAsString()));
      out.put(t.get("name").getAsString(), List.copyOf(classes));
    }
    return out;
  }

  /**
   * The multi-task classifier a folder {@link #write(Path, MultiTaskClassifier, Path, Map)} wrote,
   * its heads (and attention vector) read onto {@code encoder}, which was loaded from the same
   * folder.
   */
  public static MultiTaskClassifier readMultiTask(
      Path folder, TrainableBert encoder, int clsId, int eosId) {
    JsonObject config = BertConfig.json(folder.resolve("config.json"));
    MultiTaskClassifier.Pool pool =
        MultiTaskClassifier.Pool.parse(config.get(POOLING_KEY).getAsString());
    WeightsFile file = WeightsFile.open(folder.resolve("model.safetensors"));
    List<MultiTaskClassifier.Head> heads = new java.util.ArrayList<>();
    var tasks = config.getAsJsonArray(TASKS_KEY);
    float[] weights = new float[tasks.size()];
    for (int t = 0; t < tasks.size(); t++) {
      heads.add(
          new MultiTaskClassifier.Head(
              file.floatArray("classification_heads." + t + ".weight"),
              file.floatArray("classification_heads." + t + ".bias")));
      weights[t] = tasks.get(t).getAsJsonObject().get("weight").getAsFloat();
    }
    float[] attention =
        pool == MultiTaskClassifier.Pool.ATTENTION
            ? file.floatArray(MultiTaskClassifier.ATTENTION_WEIGHTS)
            : null;
    return new MultiTaskClassifier(encoder, pool, clsId, eosId, heads, attention, weights);
  }

  private static JsonObject config(Path baseConfig, String architecture, List<String> classes) {
    JsonObject config = BertConfig.json(baseConfig);
    JsonArray architectures = new JsonArray();
    architectures.add(architecture);
    config.add("architectures", architectures);
    JsonObject id2label = new JsonObject();
    JsonObject label2id = new JsonObject();
    for (int i = 0; i < classes.size(); i++) {
      id2label.addProperty(Integer.toString(i), classes.get(i));
      label2id.addProperty(classes.get(i), i);
    }
    config.add("id2label", id2label);
    config.add("label2id", label2id);
    return config;
  }

  private static void write(
      Path folder, JsonObject config, List<TrainableBert.NamedWeight> weights) {
    try {
      Files.createDirectories(folder);
      Gson gson = new GsonBuilder().setPrettyPrinting().create();
      Files.writeString(folder.resolve("config.json"), gson.toJson(config), StandardCharsets.UTF_8);
      Map<String, NDArray> tensors = new LinkedHashMap<>();
      for (TrainableBert.NamedWeight w : weights) {
        String name =
            switch (w.name()) {
              case "head.weight" -> "classifier.weight";
              case "head.bias" ->
                  // a masked language model's output bias, else a classifier's
                  weights.stream().anyMatch(x -> x.name().startsWith("head.transform."))
                      ? "cls.predictions.bias"
                      : "classifier.bias";
              default ->
                  w.name().startsWith("classification_heads.")
                          || w.name().equals(MultiTaskClassifier.ATTENTION_WEIGHTS)
                      ? w.name()
                      : w.name().startsWith("head.transform.")
                          ? "cls.predictions." + w.name().substring("head.".length())
                          : "bert." + w.name();
            };
        tensors.put(name, w.value());
      }
      SafetensorsWriter.write(folder.resolve("model.safetensors"), Map.of(), tensors);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot write the fine-tuned model into " + folder, e);
    }
  }
}
