package org.cellspark.jobs.common;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.stream.Stream;
import org.cellspark.testing.Fixtures;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A model's fingerprint (in every summary, and what a resumed screen or training checks its model
 * against) covers every file the model is read from, shards and their index included, and nothing
 * else in its folder.
 */
class ModelFingerprintTest {
  @TempDir Path tmp;

  @Test
  void everyShardAndTheIndexCountAndOtherFilesDoNot() throws IOException {
    Path model = Files.createDirectories(tmp.resolve("model"));
    try (Stream<Path> files = Files.list(Fixtures.vocab("checkpoints/tiny-v2-sharded-bin"))) {
      for (Path f : files.toList()) {
        Files.copy(f, model.resolve(f.getFileName()));
      }
    }
    String before = ModelFingerprint.of(model);
    assertThat(before).startsWith("sha256:");

    // What upstream's Trainer leaves beside a model: not the model.
    Files.writeString(model.resolve("training_args.bin"), "arguments");
    Files.writeString(model.resolve("README.md"), "# model card");
    assertThat(ModelFingerprint.of(model)).isEqualTo(before);

    String fingerprint = before;
    for (String file :
        new String[] {
          "pytorch_model-00003-of-00003.bin", "pytorch_model.bin.index.json", "config.json"
        }) {
      Files.write(model.resolve(file), new byte[] {'\n'}, java.nio.file.StandardOpenOption.APPEND);
      String changed = ModelFingerprint.of(model);
      assertThat(changed).as("after a change to %s", file).isNotEqualTo(fingerprint);
      fingerprint = changed;
    }
  }
}
