package org.cellspark.io.hdf5;

import static org.assertj.core.api.Assertions.assertThat;

import io.jhdf.HdfFile;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.util.concurrent.atomic.AtomicInteger;
import org.cellspark.testing.Fixtures;
import org.junit.jupiter.api.Test;

class SharedHdfFilesTest {
  private static final Path ATLAS = Fixtures.atlas("csr_float32_gzip.h5ad");

  /** A real file whose stream fails to close, as one whose Hadoop file system was closed does. */
  private static final class ClosedUnderneath extends PositionedReadChannel {
    private final PositionalFileChannel file;

    ClosedUnderneath() throws IOException {
      file = PositionalFileChannel.open(ATLAS);
    }

    @Override
    int readAt(ByteBuffer dst, long at) throws IOException {
      return file.readAt(dst, at);
    }

    @Override
    public long size() throws IOException {
      return file.size();
    }

    @Override
    public boolean isOpen() {
      return file.isOpen();
    }

    @Override
    public void close() throws IOException {
      file.close();
      throw new IOException("Filesystem closed");
    }
  }

  @Test
  void anIdleFileThatFailsToCloseIsDroppedWithoutFailingTheTaskThatEvictsIt() {
    AtomicInteger opened = new AtomicInteger();
    SharedHdfFiles.Opener broken =
        () -> {
          opened.incrementAndGet();
          try {
            return new HdfFile(new ClosedUnderneath(), ATLAS.toUri());
          } catch (IOException e) {
            throw new IllegalStateException(e);
          }
        };
    String key = "test:broken#" + System.nanoTime();
    SharedHdfFiles.acquire(key, broken);
    SharedHdfFiles.release(key); // idle now, least recently used
    // Enough other files go idle to evict it: its close fails, and no release throws.
    for (int i = 0; i <= SharedHdfFiles.IDLE; i++) {
      String other = "test:other-" + i + "#" + System.nanoTime();
      SharedHdfFiles.acquire(other, () -> new HdfFile(ATLAS));
      SharedHdfFiles.release(other);
    }
    // It was dropped: the next task opens it afresh.
    assertThat(SharedHdfFiles.acquire(key, broken).getChildren()).containsKey("X");
    assertThat(opened).hasValue(2);
    SharedHdfFiles.release(key);
  }
}
