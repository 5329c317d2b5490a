package org.cellspark.jobs.finetune;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.apache.spark.sql.SparkSession;
import org.cellspark.spark.FaultInjection;
import org.cellspark.testing.Fixtures;
import org.cellspark.testing.SharedSpark;
import org.cellspark.vocab.VocabularyLoader;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

/**
 * A fine-tune killed after its second epoch leaves its checkpoint beside the output (and no
 * output); the same command run again starts from it, runs the remaining epochs, and removes the
 * checkpoint folder once the output is committed.
 */
@ExtendWith(SharedSpark.class)
class FinetuneResumeTest {
  @TempDir Path tmp;

  @Test
  void aKilledFineTuneResumesFromItsLastEpoch(SparkSession spark) {
    String vocabulary = Fixtures.vocab("vocab-v2-small").toString();
    String tokens =
        FinetuneJobTest.tokens(
            spark, VocabularyLoader.load(vocabulary), tmp.resolve("tokens"), 480);
    Path output = tmp.resolve("ft");
    FinetuneOptions options =
        FinetuneOptions.builder()
            .input(tokens)
            .vocabulary(vocabulary)
            .label("label")
            .group("donor")
            .model(Fixtures.vocab("models/tiny-v2").toString())
            .output(output.toString())
            .epochs(4)
            .learningRate(3e-3)
            .warmupSteps(5)
            .batchTokens(512)
            .build();
    spark.conf().set(FaultInjection.STOP_FINETUNE_AFTER_EPOCHS, "2");
    try {
      assertThatThrownBy(() -> FinetuneJob.run(spark, options))
          .hasStackTraceContaining("stopped after epoch 2");
    } finally {
      spark.conf().unset(FaultInjection.STOP_FINETUNE_AFTER_EPOCHS);
    }
    Path work = tmp.resolve(".ft.cellspark-work");
    assertThat(work.resolve("state.safetensors")).exists();
    assertThat(output).doesNotExist();

    FinetuneResult r = FinetuneJob.run(spark, options);
    @SuppressWarnings("unchecked")
    Map<String, Object> training = (Map<String, Object>) r.summary().get("training");
    assertThat(training.get("resumed_after_epoch")).isEqualTo(2);
    assertThat(r.epochs()).isEqualTo(4);
    assertThat((List<?>) training.get("epochs")).hasSize(4);
    assertThat(work).doesNotExist();
    assertThat(Files.exists(output.resolve("model/model.safetensors"))).isTrue();
  }
}
