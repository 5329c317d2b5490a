package org.cellspark.jobs.check;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;
import org.cellspark.error.UserException;
import org.cellspark.testing.Fixtures;
import org.junit.jupiter.api.Test;

/**
 * A model and a vocabulary checked together: what is printed comes from the files (the parameter
 * count is recomputed here from config.json alone: BERT's embeddings and per-layer weights), a
 * fitting pair passes, and a mismatch is refused with every problem.
 */
class ModelVocabularyCheckTest {
  private static final Path TINY_V2 = Fixtures.vocab("models/tiny-v2");
  private static final String V2 = Fixtures.vocab("vocab-v2-small").toString();

  /** BERT encoder parameters from the config: embeddings, then L layers. */
  private static long parameters(Path configFile) throws IOException {
    JsonObject c = JsonParser.parseString(Files.readString(configFile)).getAsJsonObject();
    long v = c.get("vocab_size").getAsLong();
    long h = c.get("hidden_size").getAsLong();
    long i = c.get("intermediate_size").getAsLong();
    long p = c.get("max_position_embeddings").getAsLong();
    long t = c.get("type_vocab_size").getAsLong();
    long l = c.get("num_hidden_layers").getAsLong();
    long embeddings = (v + p + t) * h + 2 * h;
    long layer = 4 * (h * h + h) + 2 * h + (i * h + i) + (h * i + h) + 2 * h;
    return embeddings + l * layer;
  }

  @Test
  void aFittingPairPrintsWhatTheFilesHold() throws IOException {
    ModelVocabularyCheck.Report r =
        ModelVocabularyCheck.run(new ModelVocabularyCheck.Options(TINY_V2.toString(), V2, 64));
    String all = String.join("\n", r.lines());
    assertThat(all)
        .contains("layers 2, hidden 32, heads 4")
        .contains(
            String.format(
                Locale.ROOT, "%,d parameters", parameters(TINY_V2.resolve("config.json"))))
        .contains("all finite")
        .contains("masked-LM head (cls.predictions): present; pretrain continues it")
        .contains("34 tokens")
        .contains("Together: they fit")
        .contains("64 tokens per cell: <cls>, up to 62 genes, <eos>");
  }

  /**
   * The same model saved in shards (save_pretrained's index and three shards) is checked as the
   * whole file: every line the same but the one naming the weights file.
   */
  @Test
  void aShardedCheckpointIsCheckedAsTheWholeFile() {
    for (String sharded : new String[] {"tiny-v2-sharded", "tiny-v2-sharded-bin"}) {
      Path model = Fixtures.vocab("checkpoints/" + sharded);
      java.util.List<String> lines =
          ModelVocabularyCheck.run(new ModelVocabularyCheck.Options(model.toString(), V2, 64))
              .lines();
      java.util.List<String> whole =
          ModelVocabularyCheck.run(new ModelVocabularyCheck.Options(TINY_V2.toString(), V2, 64))
              .lines();
      assertThat(lines.get(0)).contains(sharded).contains(".index.json");
      assertThat(lines.subList(1, lines.size())).isEqualTo(whole.subList(1, whole.size()));
    }
  }

  @Test
  void sayWhetherPretrainWouldContinueTheHeadOrStartOne() {
    ModelVocabularyCheck.Report r =
        ModelVocabularyCheck.run(
            new ModelVocabularyCheck.Options(
                Fixtures.vocab("models/tiny-v1").toString(),
                Fixtures.vocab("vocab-v1-small").toString(),
                64));
    assertThat(String.join("\n", r.lines()))
        .contains("masked-LM head (cls.predictions): none; pretrain would start a new one");
  }

  @Test
  void aMismatchIsRefusedWithEveryProblem() {
    assertThatThrownBy(
            () ->
                ModelVocabularyCheck.run(
                    new ModelVocabularyCheck.Options(
                        TINY_V2.toString(), "builtin:geneformer-v1", 0)))
        .isInstanceOf(UserException.class)
        .hasMessageContaining("do not fit together")
        .hasMessageContaining("a V1 vocabulary (25,426 tokens) but the model has vocab_size 34")
        .hasMessageContaining("the tokens include id 25,425")
        .hasMessageContaining("the model takes at most 64 (max_position_embeddings)")
        .hasMessageContaining("What was found:");
  }

  /** The report of a model and a vocabulary that fit, as one text. */
  private static String report(Path model, String vocabulary) {
    return String.join(
        "\n",
        ModelVocabularyCheck.run(new ModelVocabularyCheck.Options(model.toString(), vocabulary, 64))
            .lines());
  }

  /** A fine-tuned classifier's head is named, with what classify apply does with it. */
  @Test
  void fineTunedClassifiersHeadsAreNamed() {
    Path models =
        Fixtures.repositoryRoot().resolve("spark-jobs/src/test/resources/fixtures/models");
    String v1 = Fixtures.vocab("vocab-v1-small").toString();
    assertThat(report(models.resolve("upstream-gene-classifier"), v1))
        .contains("(pytorch_model.bin)")
        .contains(
            "classifier head: a gene classifier (BertForTokenClassification), 2 classes (LABEL_0,"
                + " LABEL_1); classify apply --tokens classifies the genes of cells; name"
                + " upstream's classes with --classes ID_CLASS_DICT");
    assertThat(report(models.resolve("upstream-cell-classifier"), v1))
        .contains("classifier head: a cell classifier (BertForSequenceClassification), 3 classes");
    assertThat(report(TINY_V2, V2)).doesNotContain("classifier head");
  }
}
