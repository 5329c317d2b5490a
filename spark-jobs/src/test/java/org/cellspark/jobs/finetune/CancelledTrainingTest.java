package org.cellspark.jobs.finetune;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.BooleanSupplier;
import org.apache.spark.SparkStatusTracker;
import org.apache.spark.sql.SparkSession;
import org.cellspark.cli.Main;
import org.cellspark.testing.Fixtures;
import org.cellspark.testing.SharedSpark;
import org.cellspark.vocab.VocabularyLoader;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

/**
 * A notebook cancels a fine-tune: it runs the command (Main.execute) in a job group of its own and
 * cancels the group (Zeppelin's cancel button does): the command ends, exit 130, saying it was
 * cancelled (not that Cellspark has a bug), and the training's task stops. Before, the job ran in a
 * group of Cellspark's that replaced the notebook's, so the cancel reached nothing and the training
 * ran to its last epoch, holding its device, while the session lived on. The training's own check
 * between steps is FineTunerTest's.
 */
@ExtendWith(SharedSpark.class)
class CancelledTrainingTest {
  @TempDir Path tmp;

  @Test
  void aCancelledFineTuneStopsTrainingAtItsNextStep(SparkSession spark) throws Exception {
    String vocabulary = Fixtures.vocab("vocab-v2-small").toString();
    String tokens =
        FinetuneJobTest.tokens(
            spark, VocabularyLoader.load(vocabulary), tmp.resolve("tokens"), 200);
    // Hours of epochs on this model: only a stop ends the task in the time waited below.
    String[] finetune = {
      "finetune",
      "--input",
      tokens,
      "--vocabulary",
      vocabulary,
      "--label",
      "label",
      "--model",
      Fixtures.vocab("models/tiny-v2").toString(),
      "--epochs",
      "100000",
      "--batch-tokens",
      "512",
      "--output",
      tmp.resolve("out").toString()
    };
    StringWriter err = new StringWriter();
    AtomicInteger exit = new AtomicInteger(-1);
    Thread driver =
        new Thread(
            () -> {
              spark
                  .sparkContext()
                  .setJobGroup("cancelled-training", "a notebook's fine-tune", false);
              exit.set(
                  Main.execute(
                      new PrintWriter(new StringWriter()), new PrintWriter(err, true), finetune));
            });
    driver.start();
    try {
      // Under way: its first epoch's state kept.
      Path state = tmp.resolve(".out.cellspark-work/state.safetensors");
      await(() -> Files.exists(state), 120, "the training's first epoch state at " + state);
      spark.sparkContext().cancelJobGroup("cancelled-training");
      driver.join(TimeUnit.SECONDS.toMillis(60));
      assertThat(driver.isAlive()).as("the command returned").isFalse();
    } finally {
      spark.sparkContext().cancelAllJobs(); // should the test fail: not to train on for the others
    }
    assertThat(exit.get()).as("exit code; its message: %s", err).isEqualTo(Main.CANCELLED);
    assertThat(err.toString())
        .startsWith("cancelled: Job ")
        .contains("cancelled part of cancelled job group cancelled-training")
        .doesNotContain("bug");
    SparkStatusTracker tracker = spark.sparkContext().statusTracker();
    await(
        () -> Arrays.stream(tracker.getExecutorInfos()).allMatch(e -> e.numRunningTasks() == 0),
        60,
        "no task left running after the cancel");
    assertThat(tmp.resolve("out")).doesNotExist();
  }

  /** Polls {@code condition} until it holds; fails after {@code seconds}. */
  private static void await(BooleanSupplier condition, int seconds, String what)
      throws InterruptedException {
    long end = System.nanoTime() + TimeUnit.SECONDS.toNanos(seconds);
    while (!condition.getAsBoolean()) {
      assertThat(System.nanoTime()).as("waited %d s for %s", seconds, what).isLessThan(end);
      Thread.sleep(50);
    }
  }
}
