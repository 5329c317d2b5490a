package org.cellspark.io.storage;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.NonWritableChannelException;
import java.nio.channels.SeekableByteChannel;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.atomic.AtomicLong;
import org.apache.hadoop.fs.FSDataInputStream;

/**
 * A read-only channel over a Hadoop file (s3a://, gs://, hdfs://) for jHDF, which reads HDF5
 * metadata in many small pieces (object headers, B-tree nodes, heaps) and chunk data in large
 * ones. Small reads are served from an LRU cache of aligned blocks, so the metadata of a file costs
 * a few ranged GETs instead of thousands; reads of at least one block (compressed chunks) go to
 * the store directly as one positioned read each. Only the bytes a task needs are fetched.
 */
final class HadoopByteChannel implements SeekableByteChannel {
  private final FSDataInputStream in;
  private final long size;
  private final int blockSize;
  private final Map<Long, byte[]> blocks;
  private final AtomicLong requests;
  private final AtomicLong bytes;
  private long position;
  private boolean open = true;

  /**
   * @param blockSize bytes per cached block
   * @param cachedBlocks blocks kept
   * @param requests counts reads sent to the store
   * @param bytes counts bytes fetched from the store
   */
  HadoopByteChannel(FSDataInputStream in, long size, int blockSize, int cachedBlocks, AtomicLong requests, AtomicLong bytes) {
    this.in = in;
    this.size = size;
    this.blockSize = blockSize;
    this.requests = requests;
    this.bytes = bytes;
    this.blocks = new LinkedHashMap<>(16, 0.75f, true) {
      @Override
      protected boolean removeEldestEntry(Map.Entry<Long, byte[]> eldest) {
        return size() > cachedBlocks;
      }
    };
  }

  @Override
  public int read(ByteBuffer dst) throws IOException {
    if (position >= size) {
      return -1;
    }
    int n = (int) Math.min(dst.remaining(), size - position);
    if (n >= blockSize) {
      byte[] direct = new byte[n];
      fetch(position, direct, n);
      dst.put(direct);
    } else {
      int done = 0;
      while (done < n) {
        long at = position + done;
        long block = at / blockSize;
        byte[] b = block(block);
        int offset = (int) (at - block * blockSize);
        int take = Math.min(n - done, b.length - offset);
        dst.put(b, offset, take);
        done += take;
      }
    }
    position += n;
    return n;
  }

  private byte[] block(long block) throws IOException {
    byte[] b = blocks.get(block);
    if (b == null) {
      long start = block * blockSize;
      b = new byte[(int) Math.min(blockSize, size - start)];
      fetch(start, b, b.length);
      blocks.put(block, b);
    }
    return b;
  }

  private void fetch(long at, byte[] into, int n) throws IOException {
    in.readFully(at, into, 0, n);
    requests.incrementAndGet();
    bytes.addAndGet(n);
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
  public long size() {
    return size;
  }

  @Override
  public SeekableByteChannel truncate(long s) {
    throw new NonWritableChannelException();
  }

  @Override
  public boolean isOpen() {
    return open;
  }

  @Override
  public void close() throws IOException {
    open = false;
    blocks.clear();
    in.close();
  }
}
