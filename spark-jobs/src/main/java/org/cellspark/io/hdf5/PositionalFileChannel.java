package org.cellspark.io.hdf5;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.channels.NonWritableChannelException;
import java.nio.channels.SeekableByteChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;

/**
 * A local file read with one positional read ({@code pread}) per request, for jHDF. Given a file
 * path, jHDF memory-maps every buffer it reads, a chunk included: for a loom file's 16 KB chunks
 * the mapping and unmapping system calls cost more than inflating them. Through a channel that is
 * not a {@code FileChannel}, jHDF reads into heap buffers instead; this one keeps its position
 * itself, so a read is one system call (a {@code FileChannel}'s position is a system call too).
 */
final class PositionalFileChannel implements SeekableByteChannel {
  private final FileChannel file;
  private long position;

  private PositionalFileChannel(FileChannel file) {
    this.file = file;
  }

  static PositionalFileChannel open(Path path) throws IOException {
    return new PositionalFileChannel(FileChannel.open(path, StandardOpenOption.READ));
  }

  @Override
  public int read(ByteBuffer dst) throws IOException {
    int n = file.read(dst, position);
    if (n > 0) {
      position += n;
    }
    return n;
  }

  @Override
  public int write(ByteBuffer src) {
    throw new NonWritableChannelException();
  }

  @Override
  public long position() {
    return position;
  }

  @Override
  public SeekableByteChannel position(long newPosition) {
    position = newPosition;
    return this;
  }

  @Override
  public long size() throws IOException {
    return file.size();
  }

  @Override
  public SeekableByteChannel truncate(long size) {
    throw new NonWritableChannelException();
  }

  @Override
  public boolean isOpen() {
    return file.isOpen();
  }

  @Override
  public void close() throws IOException {
    file.close();
  }
}
