package org.cellspark.io.hdf5;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.jhdf.HdfFile;
import java.util.concurrent.CancellationException;
import org.apache.hadoop.conf.Configuration;
import org.cellspark.io.InputFiles.InputFile;
import org.cellspark.testing.Fixtures;
import org.junit.jupiter.api.Test;

class HdfOpenerTest {
  private static final String ATLAS = Fixtures.atlas("csr_float32_gzip.h5ad").toUri().toString();

  /**
   * Spark interrupts the other tasks of a failed job; an interrupted read closes the file under
   * jHDF, which would otherwise surface as "not an HDF5 file" in the executor's log.
   */
  @Test
  void aCancelledTaskIsNotReportedAsABadFile() {
    HdfOpener opener = HdfOpener.onDriver(new Configuration(false));
    try (HdfFile ok = opener.open(new InputFile(ATLAS, "atlas"))) {
      assertThat(ok.getChildren()).containsKey("X");
    }
    Thread.currentThread().interrupt();
    try {
      assertThatThrownBy(() -> opener.open(new InputFile(ATLAS, "atlas")))
          .isInstanceOf(CancellationException.class)
          .hasMessage("task cancelled while reading atlas");
    } finally {
      Thread.interrupted();
    }
  }
}
