package org.cellspark.io.hdf5;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;

/**
 * A local file read with one positional read ({@code pread}) per request, for jHDF. Given a file
 * path, jHDF memory-maps every buffer it reads, a chunk included: for a loom file's 16 KB chunks
 * the mapping and unmapping system calls cost more than inflating them. Through a channel that is
 * not a {@code FileChannel}, jHDF reads into heap buffers instead; this one keeps its position
 * itself ({@link PositionedReadChannel}), so a read is one system call (a {@code FileChannel}'s
 * position is a system call too).
 */
final class PositionalFileChannel extends PositionedReadChannel {
  private final FileChannel file;

  private PositionalFileChannel(FileChannel file) {
    this.file = file;
  }

  static PositionalFileChannel open(Path path) throws IOException {
    return new PositionalFileChannel(FileChannel.open(path, StandardOpenOption.READ));
  }

  @Override
  int readAt(ByteBuffer dst, long at) throws IOException {
    return file.read(dst, at);
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
  }
}
