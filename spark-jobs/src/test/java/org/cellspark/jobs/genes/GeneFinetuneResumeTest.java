package org.cellspark.jobs.genes;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.apache.spark.sql.SparkSession;
import org.cellspark.spark.FaultInjection;
import org.cellspark.testing.Fixtures;
import org.cellspark.testing.SharedSpark;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

/**
 * A gene classifier killed after a fold's first epoch leaves that fold's checkpoint beside the
 * output (and no output); the same command run again resumes the fold from it, and ends with the
 * predictions an uninterrupted run makes; the checkpoints go once the output is committed.
 */
@ExtendWith(SharedSpark.class)
class GeneFinetuneResumeTest {
  @TempDir Path tmp;

  @Test
  void aKilledFoldResumesFromItsLastEpoch(SparkSession spark) throws Exception {
    String tokens = GeneFinetuneJobTest.tokens(spark, tmp.resolve("tokens"), 300, true);
    GeneFinetuneOptions.Builder options =
        GeneFinetuneOptions.builder()
            .input(tokens)
            .vocabulary(Fixtures.vocab("vocab-v2-small").toString())
            .geneClasses(Fixtures.genes("gene_classes.pickle").toString())
            .model(Fixtures.vocab("models/tiny-v2").toString())
            .folds(2)
            .epochs(3)
            .learningRate(3e-3)
            .warmupSteps(5)
            .batchTokens(512);
    Path output = tmp.resolve("genes");
    spark.conf().set(FaultInjection.STOP_FINETUNE_AFTER_EPOCHS, "1");
    try {
      assertThatThrownBy(
              () -> GeneFinetuneJob.run(spark, options.output(output.toString()).build()))
          .hasStackTraceContaining("stopped after epoch 1");
    } finally {
      spark.conf().unset(FaultInjection.STOP_FINETUNE_AFTER_EPOCHS);
    }
    Path work = tmp.resolve(".genes.cellspark-work");
    List<Path> states = new ArrayList<>();
    for (String fold : List.of("fold-1", "fold-2")) {
      Path state = work.resolve(fold).resolve("state.safetensors");
      if (Files.exists(state)) {
        states.add(state);
      }
    }
    assertThat(states).as("a checkpoint after the first epoch").isNotEmpty();
    assertThat(output).doesNotExist();

    GeneFinetuneResult resumed =
        GeneFinetuneJob.run(spark, options.output(output.toString()).build());
    JsonNode folds =
        new ObjectMapper()
            .readTree(output.resolve("metrics.json").toFile())
            .path("metrics")
            .path("folds");
    int resumedFolds = 0;
    for (JsonNode f : folds) {
      assertThat(f.path("epochs_run").asInt()).isEqualTo(3);
      resumedFolds += f.path("resumed_after_epoch").asInt() == 1 ? 1 : 0;
    }
    assertThat(resumedFolds).isEqualTo(states.size());
    assertThat(work).doesNotExist();

    Path fresh = tmp.resolve("uninterrupted");
    GeneFinetuneResult uninterrupted =
        GeneFinetuneJob.run(spark, options.output(fresh.toString()).build());
    assertThat(resumed.macroF1()).isEqualTo(uninterrupted.macroF1());
    List<String> a = Files.readAllLines(output.resolve("genes.csv"));
    List<String> b = Files.readAllLines(fresh.resolve("genes.csv"));
    assertThat(a).hasSameSizeAs(b);
    for (int i = 1; i < a.size(); i++) {
      String[] x = a.get(i).split(",");
      String[] y = b.get(i).split(",");
      assertThat(x[0]).isEqualTo(y[0]);
      assertThat(Double.parseDouble(x[8]))
          .as("%s: the resumed run's probability, the uninterrupted run's", x[0])
          .isCloseTo(Double.parseDouble(y[8]), org.assertj.core.data.Offset.offset(1e-4));
    }
  }
}
