package org.cellspark.jobs.check;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.apache.hadoop.conf.Configuration;
import org.cellspark.encode.EncodingSettings;
import org.cellspark.error.UserException;
import org.cellspark.infer.BatchBudget;
import org.cellspark.infer.EmbeddingSettings;
import org.cellspark.infer.ModelCheck;
import org.cellspark.infer.Pooling;
import org.cellspark.infer.TokenProfile;
import org.cellspark.model.BertConfig;
import org.cellspark.model.MaskedLmHeadWeights;
import org.cellspark.model.ModelLoader;
import org.cellspark.model.WeightsFile;
import org.cellspark.model.WeightsReport;
import org.cellspark.spark.ShippedFiles;
import org.cellspark.vocab.Vocabulary;
import org.cellspark.vocab.VocabularyLoader;

/**
 * {@code cellspark check-model}: a model and a vocabulary checked together before a long run, with
 * the checks embed and perturb make on their tokens (ModelCheck) applied to the tokens {@code
 * cellspark tokenize} would make with that vocabulary, plus what only the files tell: the config's
 * sizes, every encoder weight present with the config's shape and finite. Needs no Spark.
 */
public final class ModelVocabularyCheck {
  private ModelVocabularyCheck() {}

  /**
   * @param model a Hugging Face folder, its weights file (.safetensors, pytorch_model.bin) or a
   *     TorchScript file
   * @param vocabulary a folder of dictionaries, or builtin:geneformer-v1
   * @param modelInputSize tokens per cell the tokens will have; 0 = the tokenizer's default for the
   *     vocabulary (4,096 with <cls>/<eos>, else 2,048)
   * @param hadoopSettings Hadoop settings for a model or vocabulary on a Hadoop file system
   *     (s3a://: endpoint, credentials), there being no Spark session to take them from
   */
  public record Options(
      String model, String vocabulary, int modelInputSize, Map<String, String> hadoopSettings) {
    public Options(String model, String vocabulary, int modelInputSize) {
      this(model, vocabulary, modelInputSize, Map.of());
    }
  }

  /**
   * What was found, as lines for the console.
   *
   * @param lines the model, the weights, the vocabulary, and how they fit together
   */
  public record Report(List<String> lines) {}

  /** Refuses (exit 2) with every problem at once; else the report. */
  public static Report run(Options o) {
    Configuration hadoop = new Configuration();
    o.hadoopSettings().forEach(hadoop::set);
    ModelLoader.Inspection model = ModelLoader.inspect(ShippedFiles.resolve(o.model(), hadoop));
    Vocabulary v = VocabularyLoader.load(o.vocabulary(), hadoop);
    BertConfig c = model.config();
    int inputSize =
        EncodingSettings.resolve(v, EncodingSettings.SpecialTokens.AUTO, o.modelInputSize())
            .modelInputSize();
    List<String> lines = found(o, model, v);
    List<String> problems = new ArrayList<>();
    if (model.weights() != null && model.weights().nonFinite() > 0) {
      problems.add(
          String.format(
              Locale.ROOT,
              "%s holds %,d NaN or infinite values (first in %s); the file is damaged or the"
                  + " training diverged: download it again",
              model.weights().file().getFileName(),
              model.weights().nonFinite(),
              model.weights().firstNonFinite()));
    }
    problems.addAll(
        ModelCheck.problems(
            c,
            TokenProfile.ofVocabulary(
                v.size(), Collections.max(v.tokenIds().values()), v.hasClsAndEos(), inputSize),
            EmbeddingSettings.of(-1, Pooling.MEAN, BatchBudget.AUTO, v)));
    if (!problems.isEmpty()) {
      throw UserException.of(
          "Model %s and vocabulary %s do not fit together (judged on tokens as cellspark tokenize"
              + " makes them with this vocabulary, %,d per cell): %s.%nWhat was found:%n%s",
          o.model(),
          o.vocabulary(),
          inputSize,
          String.join("; ", problems),
          String.join(System.lineSeparator(), lines));
    }
    lines.add(
        String.format(
            Locale.ROOT,
            "Together: they fit. Tokenize with this vocabulary (%,d tokens per cell%s), then embed"
                + " or perturb with this model; pooling: %s.",
            inputSize,
            v.hasClsAndEos() ? ": <cls>, up to " + (inputSize - 2) + " genes, <eos>" : "",
            v.hasClsAndEos()
                ? "mean (default) or cls (the model was trained with <cls>)"
                : "mean (V1-style tokens have no <cls>)"));
    return new Report(lines);
  }

  /** What the files hold, as the report's first lines. */
  private static List<String> found(Options o, ModelLoader.Inspection model, Vocabulary v) {
    BertConfig c = model.config();
    List<String> lines = new ArrayList<>();
    lines.add("Model " + o.model() + " (" + model.weightsFile().getFileName() + ")");
    lines.add(
        String.format(
            Locale.ROOT,
            "  layers %d, hidden %d, heads %d, intermediate %d, %s, max positions %,d, vocab_size"
                + " %,d, pad_token_id %d",
            c.numLayers(),
            c.hiddenSize(),
            c.numHeads(),
            c.intermediateSize(),
            c.hiddenAct(),
            c.maxPositions(),
            c.vocabSize(),
            c.padTokenId()));
    lines.add("  " + describe(model.weights()));
    if (model.weights() != null) {
      lines.add("  " + maskedLmHead(model.weightsFile()));
      String head = classifierHead(model);
      if (head != null) {
        lines.add("  " + head);
      }
    }
    lines.add("Vocabulary " + v.describe());
    return lines;
  }

  /** Whether pretrain would continue the checkpoint's masked-LM head, start one, or refuse it. */
  private static String maskedLmHead(java.nio.file.Path weights) {
    try {
      return MaskedLmHeadWeights.of(weights, 0).fromCheckpoint()
          ? "masked-LM head (cls.predictions): present; pretrain continues it"
          : "masked-LM head (cls.predictions): none; pretrain would start a new one";
    } catch (UserException e) {
      return "masked-LM head: not usable, pretrain would refuse it (" + e.getMessage() + ")";
    }
  }

  /**
   * A fine-tuned classifier's head (a {@code classifier.weight}), and what classify apply does with
   * it; null for a checkpoint without one.
   */
  private static String classifierHead(ModelLoader.Inspection model) {
    WeightsFile.Tensor weight = model.tensors().tensors().get("classifier.weight");
    if (weight == null || weight.shape().length != 2) {
      return null;
    }
    JsonNode config;
    try {
      config = new ObjectMapper().readTree(model.configFile().toFile());
    } catch (IOException e) {
      return null; // the config was read already; a second read failing says nothing new
    }
    List<String> names = new ArrayList<>();
    config.path("id2label").forEach(n -> names.add(n.asText()));
    String architectures = config.path("architectures").toString();
    String classes =
        String.format(
            Locale.ROOT,
            "%d classes%s",
            weight.shape()[0],
            names.isEmpty()
                ? ""
                : " ("
                    + String.join(", ", names.subList(0, Math.min(10, names.size())))
                    + (names.size() > 10 ? ", ..." : "")
                    + ")");
    boolean upstreamNames = names.stream().allMatch(n -> n.startsWith("LABEL_"));
    String naming = upstreamNames ? "; name upstream's classes with --classes ID_CLASS_DICT" : "";
    if (architectures.contains("BertForTokenClassification")) {
      return "classifier head: a gene classifier (BertForTokenClassification), "
          + classes
          + "; classify apply --tokens classifies the genes of cells"
          + naming;
    }
    return "classifier head: a cell classifier"
        + (architectures.contains("BertForSequenceClassification")
            ? " (BertForSequenceClassification)"
            : "")
        + ", "
        + classes
        + "; classify apply --tokens labels cells"
        + naming;
  }

  private static String describe(WeightsReport w) {
    if (w == null) {
      return "TorchScript file: its weights are inside the program and are checked when it loads";
    }
    return String.format(
        Locale.ROOT,
        "weights: %,d encoder tensors of the config's shapes (%s), %,d parameters, %s%s",
        w.encoderTensors(),
        String.join("/", w.dtypes()),
        w.parameters(),
        w.nonFinite() == 0
            ? "all finite"
            : String.format(Locale.ROOT, "%,d not finite", w.nonFinite()),
        w.ignored().isEmpty()
            ? ""
            : String.format(
                Locale.ROOT,
                "; %,d other tensors ignored (first: %s)",
                w.ignored().size(),
                w.ignored().get(0)));
  }
}
