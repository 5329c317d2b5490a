package org.cellspark.jobs.finetune;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.net.URI;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.cellspark.error.UserException;
import org.cellspark.model.LoraAdapters;
import org.cellspark.model.WeightsFile;
import org.cellspark.testing.Fixtures;
import org.cellspark.testing.SharedSpark;
import org.cellspark.vocab.VocabularyLoader;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code finetune --lora}: adapters on the query and value projections and the head learn
 * FinetuneJobTest's gene-order label on held-out donors; the saved model is a plain checkpoint
 * whose only changed encoder weights are the query and value projections (the adapters folded in),
 * and it labels the cells as the training run's adapted model did.
 */
@ExtendWith(SharedSpark.class)
class LoraFinetuneTest {
  @TempDir Path tmp;

  @Test
  void adaptersLearnTheLabelAndFoldIntoTheSavedModel(SparkSession spark) {
    String vocabularyFolder = Fixtures.vocab("vocab-v2-small").toString();
    Path base = Fixtures.vocab("models/tiny-v2");
    String tokens =
        FinetuneJobTest.tokens(
            spark, VocabularyLoader.load(vocabularyFolder), tmp.resolve("t"), 600);
    FinetuneOptions.Builder options =
        FinetuneOptions.builder()
            .input(tokens)
            .vocabulary(vocabularyFolder)
            .label("label")
            .group("donor")
            .model(base.toString())
            .output(tmp.resolve("lora").toString())
            .epochs(20)
            .learningRate(2e-2)
            .warmupSteps(10)
            .batchTokens(512)
            .lora(new LoraAdapters.Settings(8, 16, 0.1));
    FinetuneResult r = FinetuneJob.run(spark, options.build());
    assertThat(r.macroF1()).as("held-out donors").isGreaterThan(0.8);
    assertThat(r.summary().get("options").toString())
        .contains("lora={rank=8, alpha=16.0, dropout=0.1, targets=[query, value]}")
        .contains("dropout={hidden=0.02, attention=0.02, classifier=0.02, from=config.json}");

    Path out = Path.of(URI.create(r.output()));
    WeightsFile saved = WeightsFile.open(out.resolve("model/model.safetensors"));
    WeightsFile checkpoint = WeightsFile.open(base.resolve("model.safetensors"));
    assertThat(saved.tensors().keySet()).noneMatch(LoraAdapters::isAdapter);
    int changed = 0;
    for (String name : checkpoint.tensors().keySet()) {
      if (!name.startsWith("bert.") || name.startsWith("bert.pooler.")) {
        continue; // the pooler is not part of a fine-tuned model (it never was)
      }
      assertThat(saved.tensors()).containsKey(name);
      boolean adapted =
          name.matches("bert\\.encoder\\.layer\\.\\d+\\.attention\\.self\\.(query|value)\\.weight");
      if (adapted) {
        assertThat(saved.floatArray(name)).as(name).isNotEqualTo(checkpoint.floatArray(name));
        changed++;
      } else {
        assertThat(saved.floatArray(name)).as(name).containsExactly(checkpoint.floatArray(name));
      }
    }
    assertThat(changed).isEqualTo(4);

    // The merged model labels the cells as the adapted model did at the end of training.
    String applied = tmp.resolve("applied").toString();
    FineTunedApply.run(
        spark, new FineTunedApply.Options(r.output(), tokens, vocabularyFolder, applied, false));
    Map<String, Double> trained = new HashMap<>();
    for (Row row : spark.read().parquet(out.resolve("predictions").toString()).collectAsList()) {
      trained.put(row.getAs("cell_id"), row.<Double>getAs("confidence"));
    }
    List<Row> labelled = spark.read().parquet(applied + "/predictions").collectAsList();
    assertThat(labelled).hasSize(trained.size());
    for (Row row : labelled) {
      assertThat(row.<Double>getAs("confidence"))
          .as("cell %s", row.<String>getAs("cell_id"))
          .isCloseTo(
              trained.get(row.<String>getAs("cell_id")), org.assertj.core.data.Offset.offset(1e-4));
    }

    assertThatThrownBy(() -> options.lora(new LoraAdapters.Settings(0, 0, 1)).build())
        .isInstanceOf(UserException.class)
        .hasMessageContaining("--lora-rank must be at least 1")
        .hasMessageContaining("--lora-alpha must be > 0")
        .hasMessageContaining("--lora-dropout must be at least 0 and below 1");
  }
}
