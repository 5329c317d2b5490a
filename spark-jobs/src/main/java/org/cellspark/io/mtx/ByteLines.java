package org.cellspark.io.mtx;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;

/**
 * Lines of a byte stream with the byte offset of each, for reading a byte range of a text file as
 * Hadoop's line reader does: a range owns the lines that start inside it. ASCII or UTF-8 text;
 * {@code \n} or {@code \r\n} line ends.
 */
final class ByteLines implements AutoCloseable {
  private final InputStream in;
  private final byte[] buffer = new byte[1 << 16];
  private int at;
  private int filled;
  private long position;
  private byte[] line = new byte[256];

  /**
   * @param position the stream's offset in the file
   */
  ByteLines(InputStream in, long position) {
    this.in = in;
    this.position = position;
  }

  /** The offset of the next line's first byte. */
  long position() {
    return position;
  }

  /** The next line without its end, or null at the end of the stream. */
  String next() throws IOException {
    int n = 0;
    boolean any = false;
    while (true) {
      if (at == filled) {
        filled = in.read(buffer);
        at = 0;
        if (filled <= 0) {
          filled = 0;
          return any ? text(n) : null;
        }
      }
      any = true;
      byte b = buffer[at++];
      position++;
      if (b == '\n') {
        return text(n);
      }
      if (n == line.length) {
        line = Arrays.copyOf(line, n * 2);
      }
      line[n++] = b;
    }
  }

  private String text(int n) {
    if (n > 0 && line[n - 1] == '\r') {
      n--;
    }
    return new String(line, 0, n, StandardCharsets.UTF_8);
  }

  @Override
  public void close() throws IOException {
    in.close();
  }
}
