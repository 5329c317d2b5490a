package org.cellspark.io.arrow;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.UUID;
import java.util.stream.Stream;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FileSystem;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** What the writer removes after its tasks: only files of attempts that died before renaming. */
class HfDatasetWriterTest {
  @TempDir Path tmp;

  @Test
  void filesOfDeadAttemptsGoAndNothingElse() throws IOException {
    String aside = ".data-00001-of-00002.arrow." + UUID.randomUUID();
    List<String> kept =
        List.of(
            "data-00000-of-00002.arrow",
            ".data-00000-of-00002.arrow.crc",
            "data-00001-of-00002.arrow",
            "state.json",
            ".hidden-by-the-user");
    for (String name : kept) {
      Files.writeString(tmp.resolve(name), "x");
    }
    Files.writeString(tmp.resolve(aside), "half a file");
    Files.writeString(tmp.resolve("." + aside + ".crc"), "its checksum");
    HfDatasetWriter.removeAsideFiles(
        FileSystem.getLocal(new Configuration()), new org.apache.hadoop.fs.Path(tmp.toUri()));
    try (Stream<Path> left = Files.list(tmp)) {
      assertThat(left.map(p -> p.getFileName().toString()).toList())
          .containsExactlyInAnyOrderElementsOf(kept);
    }
  }
}
