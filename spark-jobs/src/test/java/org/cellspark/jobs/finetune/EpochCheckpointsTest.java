package org.cellspark.jobs.finetune;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.apache.hadoop.conf.Configuration;
import org.cellspark.error.UserException;
import org.cellspark.spark.FaultInjection;
import org.cellspark.train.FineTuner;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The epoch states a training keeps beside its output: a whole state is there to resume from
 * wherever a task dies while saving one, and a folder another training left is refused.
 */
class EpochCheckpointsTest {
  @TempDir Path tmp;

  private EpochCheckpoints open(String plan) {
    return EpochCheckpoints.open(
        tmp.resolve("out").toUri().toString(),
        "fold-1",
        plan,
        new Configuration(),
        FaultInjection.TrainingStop.NEVER);
  }

  private Path state(String text) throws Exception {
    Path f = Files.createTempFile(tmp, "state", ".safetensors");
    Files.writeString(f, text);
    return f;
  }

  private static String latest(EpochCheckpoints c, Path into) throws Exception {
    Files.deleteIfExists(into);
    return c.latest(into) ? Files.readString(into, StandardCharsets.UTF_8) : null;
  }

  private static FineTuner.Progress after(int epochs) {
    return new FineTuner.Progress(List.of(), epochs * 10, 0, 0, FineTuner.Current.NONE);
  }

  /** File names, without the checksum files Hadoop's local file system writes beside each. */
  private static List<String> names(java.util.stream.Stream<Path> files) {
    return files.map(p -> p.getFileName().toString()).filter(n -> !n.endsWith(".crc")).toList();
  }

  @Test
  void aWholeStateIsThereWhereverASaveIsCutOff() throws Exception {
    EpochCheckpoints c = open("plan A");
    Path into = tmp.resolve("restored.safetensors");
    assertThat(latest(c, into)).as("nothing saved yet").isNull();
    c.save(state("epoch 1"), after(1));
    c.save(state("epoch 2"), after(2));
    assertThat(latest(c, into)).isEqualTo("epoch 2");
    Path folder = tmp.resolve(".out.cellspark-work/fold-1");
    try (var files = Files.list(folder)) {
      assertThat(names(files))
          .as("the state and the plan, nothing else")
          .containsExactlyInAnyOrder("state.safetensors", "plan.txt");
    }

    // Cut off while copying the next state in: a part of it beside the kept one.
    Files.writeString(folder.resolve("state.safetensors.next"), "epoch 3, half");
    assertThat(latest(c, into)).isEqualTo("epoch 2");
    // Cut off between the renames: the kept state moved aside, the new one not in its place.
    Files.move(folder.resolve("state.safetensors"), folder.resolve("state.safetensors.previous"));
    assertThat(latest(open("plan A"), into)).as("the state before").isEqualTo("epoch 2");
    // The next save puts things right.
    c.save(state("epoch 3"), after(3));
    assertThat(latest(c, into)).isEqualTo("epoch 3");
    try (var files = Files.list(folder)) {
      assertThat(names(files)).containsExactlyInAnyOrder("state.safetensors", "plan.txt");
    }

    assertThatThrownBy(() -> open("plan B"))
        .isInstanceOf(UserException.class)
        .hasMessageContaining("holds the checkpoints of a different fine-tune");
  }
}
