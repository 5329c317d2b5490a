package org.cellspark.jobs.finetune;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.BufferedInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.Serializable;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.TreeMap;
import org.cellspark.error.UserException;
import org.cellspark.files.FileSystemHints;
import org.cellspark.files.HadoopConfs;
import org.cellspark.infer.Pooling;
import org.cellspark.model.ModelLoader;
import org.cellspark.model.WeightsFile;
import org.cellspark.train.FineTunedCheckpoint;
import org.cellspark.vocab.DictionaryFileReader;

/**
 * The classifier on top of a fine-tuned encoder, as `classify apply --tokens` runs it after the
 * executors pool each cell: its classes, how it pools, and its weights. Two kinds of folder:
 *
 * <ul>
 *   <li>{@code cellspark finetune}'s: a linear head on the mean of the gene tokens or on {@code
 *       <cls>} (config.json's {@code cellspark_pooling}), classes in {@code id2label};
 *   <li>upstream's ({@code Classifier} fine-tuned and saved it, or any Hugging Face
 *       BertForSequenceClassification): BERT's pooler ({@code bert.pooler.dense}, tanh) on the
 *       hidden state at position 0, then the linear {@code classifier}, exactly Hugging Face's
 *       forward. Its classes are named by upstream's {@code id_class_dict} pickle (or the same as
 *       JSON) when given, else by config.json's {@code id2label} ({@code LABEL_0}, ...).
 * </ul>
 *
 * @param classes class names, in the model's order
 * @param pooling how the encoder's last layer becomes one vector per cell; null for a gene
 *     classifier, whose head reads each token's own vector
 * @param poolerWeight BERT's pooler (hidden x hidden, row-major) for upstream's models; null for
 *     Cellspark's
 * @param poolerBias the pooler's bias; null for Cellspark's
 * @param weight the linear classifier (classes x hidden, row-major)
 * @param bias the classifier's bias
 */
public record ClassifierHead(
    String[] classes,
    Pooling pooling,
    float[] poolerWeight,
    float[] poolerBias,
    float[] weight,
    float[] bias)
    implements Serializable {
  static final String POOLER_WEIGHT = "bert.pooler.dense.weight";
  static final String POOLER_BIAS = "bert.pooler.dense.bias";

  /** Whether the head is upstream's (a pooler before the classifier). */
  boolean upstream() {
    return poolerWeight != null;
  }

  /**
   * The head of the model in {@code folder}.
   *
   * @param model the folder as the user named it, for messages
   * @param classesFile upstream's id_class_dict (pickle or JSON); null: id2label
   */
  static ClassifierHead read(Path folder, String model, String classesFile) {
    Path config = folder.resolve("config.json");
    if (!Files.isRegularFile(config)) {
      throw UserException.of(
          "--model %s holds no config.json; pass the output folder of cellspark finetune, or a"
              + " classifier upstream's Classifier saved",
          model);
    }
    JsonNode c;
    try {
      c = new ObjectMapper().readTree(config.toFile());
    } catch (IOException e) {
      throw UserException.because(e, "Cannot read %s: %s", config, e.getMessage());
    }
    WeightsFile file = ModelLoader.weights(folder, "classify apply --tokens");
    if (c.has(FineTunedCheckpoint.POOLING_KEY) && c.has("id2label")) {
      if (classesFile != null) {
        throw UserException.of(
            "--classes %s: %s is a cellspark finetune output, which names its classes itself",
            classesFile, model);
      }
      return new ClassifierHead(
          id2label(c, model),
          Pooling.parse(c.get(FineTunedCheckpoint.POOLING_KEY).asText()),
          null,
          null,
          file.floatArray("classifier.weight"),
          file.floatArray("classifier.bias"));
    }
    boolean sequenceClassifier =
        c.path("architectures").toString().contains("BertForSequenceClassification");
    if (!sequenceClassifier
        || !file.tensors().containsKey(POOLER_WEIGHT)
        || !file.tensors().containsKey("classifier.weight")) {
      throw UserException.of(
          "--model %s is neither a cellspark finetune output nor a Hugging Face"
              + " BertForSequenceClassification with its pooler (bert.pooler.dense) and classifier"
              + " weights (upstream's fine-tuned cell classifiers are); a classify output takes"
              + " --embeddings instead of --tokens",
          model);
    }
    float[] bias = file.floatArray("classifier.bias");
    String[] classes = upstreamClasses(c, model, classesFile, bias.length);
    return new ClassifierHead(
        classes,
        Pooling.FIRST,
        file.floatArray(POOLER_WEIGHT),
        file.floatArray(POOLER_BIAS),
        file.floatArray("classifier.weight"),
        bias);
  }

  /**
   * The names of an upstream model's {@code count} classes: its id_class_dict file's when given,
   * else config.json's id2label (LABEL_0, ...), refused when they are not {@code count}.
   */
  private static String[] upstreamClasses(JsonNode c, String model, String classesFile, int count) {
    String[] classes =
        classesFile == null ? id2label(c, model) : classesFromFile(classesFile, count);
    if (classes.length != count) {
      throw UserException.of(
          "--model %s: config.json's id2label names %d classes, its classifier has %d; pass"
              + " upstream's id_class_dict with --classes",
          model, classes.length, count);
    }
    return classes;
  }

  private static String[] id2label(JsonNode c, String model) {
    JsonNode names = c.path("id2label");
    String[] classes = new String[names.size()];
    for (int i = 0; i < classes.length; i++) {
      JsonNode name = names.get(Integer.toString(i));
      if (name == null) {
        throw UserException.of(
            "--model %s: config.json's id2label has no class %d (it has %s)", model, i, names);
      }
      classes[i] = name.asText();
    }
    return classes;
  }

  /**
   * Upstream's id_class_dict ({class id: name}, pickled by its Classifier as {@code
   * <prefix>_id_class_dict.pkl}), or the same as JSON; ids 0 to classes - 1.
   */
  static String[] classesFromFile(String file, int classes) {
    // Through Hadoop: a local file, or one in a bucket or on HDFS beside the model.
    org.apache.hadoop.fs.Path path = new org.apache.hadoop.fs.Path(file);
    Map<String, Object> byId = new TreeMap<>();
    try (InputStream in =
        new BufferedInputStream(path.getFileSystem(HadoopConfs.forThisJvm()).open(path))) {
      Object top =
          file.endsWith(".json")
              ? new ObjectMapper().readValue(in, Map.class)
              : DictionaryFileReader.unpickle(
                  in, file, "--classes takes upstream's id_class_dict: a dict of class id to name");
      if (!(top instanceof Map<?, ?> map)) {
        throw UserException.of(
            "--classes %s holds no dict; pass upstream's id_class_dict (class id to name)", file);
      }
      map.forEach((k, v) -> byId.put(String.valueOf(k), String.valueOf(v)));
    } catch (IOException e) {
      throw UserException.because(
          e, "Cannot read --classes %s: %s", file, FileSystemHints.explain(file, e));
    }
    String[] names = new String[classes];
    for (int i = 0; i < classes; i++) {
      Object name = byId.get(Integer.toString(i));
      if (name == null) {
        throw UserException.of(
            "--classes %s names the classes %s; the model has %d (ids 0 to %d)",
            file, byId.keySet(), classes, classes - 1);
      }
      names[i] = name.toString();
    }
    if (byId.size() != classes) {
      throw UserException.of(
          "--classes %s names %d classes; the model has %d", file, byId.size(), classes);
    }
    return names;
  }

  /** Whether the model at {@code folder} is a gene classifier (BertForTokenClassification). */
  public static boolean isGeneClassifier(Path folder) {
    return isGeneClassifier(configOrNull(folder));
  }

  private static boolean isGeneClassifier(JsonNode config) {
    return config != null
        && config.path("architectures").toString().contains("BertForTokenClassification");
  }

  /** The folder's config.json, or null when it has none it can read. */
  private static JsonNode configOrNull(Path folder) {
    Path config = folder.resolve("config.json");
    try {
      return Files.isRegularFile(config) ? new ObjectMapper().readTree(config.toFile()) : null;
    } catch (IOException e) {
      return null; // read again, and refused with the reason, by whoever reads the model
    }
  }

  /**
   * The head of a gene classifier (Hugging Face's {@code BertForTokenClassification}: {@code
   * cellspark finetune-genes}' fold models, or one upstream's {@code Classifier(classifier="gene")}
   * fine-tuned): the linear {@code classifier} on each token's last hidden state, no pooler. Its
   * classes are named by upstream's {@code id_class_dict} when given, else by config.json's {@code
   * id2label}.
   *
   * @param model the folder as the user named it, for messages
   * @param classesFile upstream's id_class_dict (pickle or JSON); null: id2label
   */
  public static ClassifierHead readGeneClassifier(Path folder, String model, String classesFile) {
    JsonNode c = configOrNull(folder);
    if (!isGeneClassifier(c)) {
      throw UserException.of(
          "--model %s is not a gene classifier (config.json's architectures does not name"
              + " BertForTokenClassification): pass a fold model of cellspark finetune-genes"
              + " (models/fold-N) or one upstream's gene Classifier saved",
          model);
    }
    WeightsFile file = ModelLoader.weights(folder, "a gene classifier");
    if (!file.tensors().containsKey("classifier.weight")) {
      throw UserException.of(
          "--model %s has no classifier weights (classifier.weight): not a fine-tuned gene"
              + " classifier",
          model);
    }
    float[] bias = file.floatArray("classifier.bias");
    String[] classes = upstreamClasses(c, model, classesFile, bias.length);
    return new ClassifierHead(
        classes, null, null, null, file.floatArray("classifier.weight"), bias);
  }

  /**
   * Each class's probability for one vector (a cell's pooled vector, or a gene classifier's token):
   * softmax of the head's logits.
   */
  public double[] probabilities(float[] pooled) {
    double[] x = new double[pooled.length];
    for (int i = 0; i < x.length; i++) {
      x[i] = pooled[i];
    }
    if (upstream()) {
      x = tanh(dense(poolerWeight, poolerBias, x));
    }
    double[] z = dense(weight, bias, x);
    double max = Double.NEGATIVE_INFINITY;
    for (double v : z) {
      max = Math.max(max, v);
    }
    double sum = 0;
    for (int k = 0; k < z.length; k++) {
      z[k] = Math.exp(z[k] - max);
      sum += z[k];
    }
    for (int k = 0; k < z.length; k++) {
      z[k] /= sum;
    }
    return z;
  }

  /** {@code w x + b}, w row-major (outputs x inputs), as torch.nn.Linear. */
  private static double[] dense(float[] w, float[] b, double[] x) {
    double[] out = new double[b.length];
    for (int o = 0; o < out.length; o++) {
      double s = b[o];
      for (int i = 0; i < x.length; i++) {
        s += w[o * x.length + i] * x[i];
      }
      out[o] = s;
    }
    return out;
  }

  private static double[] tanh(double[] x) {
    for (int i = 0; i < x.length; i++) {
      x[i] = Math.tanh(x[i]);
    }
    return x;
  }
}
