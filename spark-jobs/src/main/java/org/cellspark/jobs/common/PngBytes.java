package org.cellspark.jobs.common;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import org.cellspark.error.Bug;

/** A chart drawn into memory, for {@link StagedOutput#writeBytes} to write anywhere Hadoop can. */
public final class PngBytes {
  private PngBytes() {}

  /** Something that draws a PNG onto a stream (a JFreeChart chart's writer). */
  public interface Drawing {
    void to(OutputStream out) throws IOException;
  }

  public static byte[] of(Drawing drawing) {
    ByteArrayOutputStream bytes = new ByteArrayOutputStream();
    try {
      drawing.to(bytes);
    } catch (IOException e) {
      throw new Bug("drawing a PNG in memory failed", e); // a memory stream does not fail
    }
    return bytes.toByteArray();
  }
}
