package org.cellspark.jobs.perturb;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.DataOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.BitSet;
import java.util.List;
import java.util.stream.Stream;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FileSystem;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class CheckpointFilesTest {
  @TempDir Path dir;

  private static UnitResult unit(int id, String cell) {
    return new UnitResult(
        id,
        List.of(
            new UnitResult.Row(
                cell,
                new int[] {id},
                0.5,
                new double[] {0.1},
                new int[] {7, 8},
                new float[] {0.9f, 0.8f})));
  }

  private FileSystem fs() throws IOException {
    return FileSystem.getLocal(new Configuration());
  }

  private org.apache.hadoop.fs.Path hadoop() {
    return new org.apache.hadoop.fs.Path(dir.toUri());
  }

  private List<Path> files() throws IOException {
    try (Stream<Path> s = Files.list(dir)) {
      return s.filter(p -> !p.getFileName().toString().startsWith(".")).sorted().toList();
    }
  }

  @Test
  void manyUnitsGoIntoOneFileWrittenWholeAndReadBack() throws IOException {
    String name = CheckpointFiles.write(fs(), hadoop(), List.of(unit(3, "a"), unit(9, "b")));
    assertThat(CheckpointFiles.isBatch(name)).isTrue();
    assertThat(files()).extracting(p -> p.getFileName().toString()).containsExactly(name);
    assertThat(CheckpointFiles.unitsOf(fs(), new org.apache.hadoop.fs.Path(hadoop(), name)))
        .containsExactly(3, 9);
    List<UnitResult> back;
    try (InputStream in = Files.newInputStream(dir.resolve(name))) {
      back = CheckpointFiles.read(in, dir.resolve(name).toString());
    }
    assertThat(back).extracting(UnitResult::unit).containsExactly(3, 9);
    assertThat(back.get(1).rows().get(0).cellId()).isEqualTo("b");
    assertThat(back.get(1).rows().get(0).geneCosines()).containsExactly(0.9f, 0.8f);

    // A cut file is refused, not taken for fewer units.
    byte[] bytes = Files.readAllBytes(dir.resolve(name));
    Path cut = dir.resolve("units-cut.bin");
    Files.write(cut, Arrays.copyOf(bytes, bytes.length - 4));
    assertThatThrownBy(
            () -> {
              try (InputStream in = Files.newInputStream(cut)) {
                CheckpointFiles.read(in, cut.toString());
              }
            })
        .isInstanceOf(IOException.class)
        .hasMessageContaining("incomplete");
  }

  @Test
  void theIndexTakesEachUnitOnceAndReadsOlderOneUnitFiles() throws IOException {
    String first = CheckpointFiles.write(fs(), hadoop(), List.of(unit(0, "a"), unit(1, "a")));
    String second = CheckpointFiles.write(fs(), hadoop(), List.of(unit(1, "a"), unit(2, "b")));
    try (DataOutputStream out =
        new DataOutputStream(Files.newOutputStream(dir.resolve(CheckpointFiles.legacyName(5))))) {
      unit(5, "c").write(out);
    }
    Files.writeString(dir.resolve("." + CheckpointFiles.legacyName(6) + ".tmp-3"), "partial");
    Files.writeString(dir.resolve(".units-x.bin.tmp"), "partial");

    CheckpointIndex index = CheckpointIndex.scan(fs(), hadoop());
    BitSet expected = new BitSet();
    expected.set(0, 3);
    expected.set(5);
    assertThat(index.finished()).isEqualTo(expected);
    // Unit 1 is in both files: read from whichever sorts first, skipped in the other.
    String earlier = first.compareTo(second) < 0 ? first : second;
    String later = earlier.equals(first) ? second : first;
    assertThat(index.take(earlier, 1)).isTrue();
    assertThat(index.take(later, 1)).isFalse();
    assertThat(index.take(later, later.equals(second) ? 2 : 0)).isTrue();
    assertThat(index.duplicates()).containsOnlyKeys(later);
    // A file written after the index was taken is not read.
    assertThat(index.take("units-written-later.bin", 7)).isFalse();
    assertThat(index.files())
        .containsExactlyInAnyOrder(first, second, CheckpointFiles.legacyName(5));

    assertThat(CheckpointFiles.legacyUnitOf(CheckpointFiles.legacyName(12))).isEqualTo(12);
    assertThat(CheckpointFiles.legacyUnitOf("." + CheckpointFiles.legacyName(12) + ".tmp-3"))
        .isEqualTo(-1);
    assertThat(CheckpointFiles.legacyUnitOf(first)).isEqualTo(-1);

    // A damaged file is named, so that it can be deleted.
    Files.write(dir.resolve("units-damaged.bin"), new byte[] {0x43, 0x53});
    assertThatThrownBy(() -> CheckpointIndex.scan(fs(), hadoop()))
        .isInstanceOf(IOException.class)
        .hasMessageContaining("units-damaged.bin is incomplete");
  }
}
