package org.cellspark.io.hdf5;

import static org.assertj.core.api.Assertions.assertThat;

import io.jhdf.exceptions.HdfException;
import org.junit.jupiter.api.Test;

/** A damaged file is told from a bug in the reader by where the exception was raised. */
class FileDamageTest {
  private static <T extends RuntimeException> T raisedIn(T e, String... classes) {
    StackTraceElement[] frames = new StackTraceElement[classes.length];
    for (int i = 0; i < classes.length; i++) {
      frames[i] = new StackTraceElement(classes[i], "m", null, -1);
    }
    e.setStackTrace(frames);
    return e;
  }

  @Test
  void jhdfsOwnErrorIsDamage() {
    assertThat(FileDamage.isFrom(new HdfException("bad superblock"))).isTrue();
  }

  @Test
  void anIndexErrorInsideJhdfOrAFilterIsDamage() {
    assertThat(
            FileDamage.isFrom(
                raisedIn(
                    new ArrayIndexOutOfBoundsException(3),
                    "java.lang.System",
                    "io.jhdf.filter.FilterPipeline",
                    "org.cellspark.io.h5ad.CellRangeReader")))
        .isTrue();
    assertThat(
            FileDamage.isFrom(
                raisedIn(
                    new IllegalArgumentException("bad length"),
                    "java.nio.Buffer",
                    LzfFilter.class.getName(),
                    "io.jhdf.dataset.chunked.ChunkedDatasetBase")))
        .isTrue();
  }

  @Test
  void theSameErrorInCellsparksReaderIsABug() {
    assertThat(
            FileDamage.isFrom(
                raisedIn(
                    new ArrayIndexOutOfBoundsException(3),
                    "org.cellspark.io.h5ad.CellBlock",
                    "io.jhdf.HdfFile")))
        .isFalse();
    assertThat(FileDamage.isFrom(new IndexOutOfBoundsException("raised here, in a test")))
        .isFalse();
    assertThat(FileDamage.isFrom(raisedIn(new NullPointerException(), "io.jhdf.HdfFile")))
        .isFalse();
  }
}
