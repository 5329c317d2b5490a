package org.cellspark.io.hdf5;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.NonWritableChannelException;
import java.nio.channels.SeekableByteChannel;

/**
 * A read-only channel for jHDF that keeps its own position: jHDF reads through any {@link
 * SeekableByteChannel} by setting the position and reading, so a subclass only says how to read at
 * an offset ({@link #readAt}). Writing is refused.
 */
abstract class PositionedReadChannel implements SeekableByteChannel {
  private long position;

  /** Reads into {@code dst} from byte {@code at} of the file: the bytes read, or -1 at its end. */
  abstract int readAt(ByteBuffer dst, long at) throws IOException;

  @Override
  public final int read(ByteBuffer dst) throws IOException {
    int n = readAt(dst, position);
    if (n > 0) {
      position += n;
    }
    return n;
  }

  @Override
  public final int write(ByteBuffer src) {
    throw new NonWritableChannelException();
  }

  @Override
  public final long position() {
    return position;
  }

  @Override
  public final SeekableByteChannel position(long newPosition) {
    position = newPosition;
    return this;
  }

  @Override
  public final SeekableByteChannel truncate(long size) {
    throw new NonWritableChannelException();
  }
}
