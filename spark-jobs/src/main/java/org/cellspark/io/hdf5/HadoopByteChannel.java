package org.cellspark.io.hdf5;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.atomic.AtomicLong;
import org.apache.hadoop.fs.FSDataInputStream;

/**
 * A read-only channel over a Hadoop file (s3a://, gs://, hdfs://) for jHDF, which reads HDF5
 * metadata in many small pieces (object headers, B-tree nodes, heaps) and chunk data in large ones.
 * Small reads are served from aligned blocks kept in a cache shared by every task of the JVM
 * ({@link BlockCache}): each task opens the file and walks the same chunk index, whose nodes lie
 * scattered through the file, so without sharing every task would fetch them again (measured: 15x
 * the file's size fetched for a full scan). Reads of at least one block (compressed chunks, 100-200
 * KB each) are served from read-ahead windows of several MB: a task reads its cell range's chunks
 * in file order, one stream per dataset (data and indices), so a few windows per channel turn
 * thousands of chunk-sized GETs into tens (each GET to S3 costs tens of milliseconds before the
 * first byte). Only about the bytes the tasks need are fetched.
 */
final class HadoopByteChannel extends PositionedReadChannel {
  private final FSDataInputStream in;
  private final long size;
  private final int blockSize;
  private final BlockCache cache;
  private final String key;
  private final int readAhead;

  /** Read-ahead windows, most recently used last: start offset -> bytes. */
  private final LinkedHashMap<Long, byte[]> windows = new LinkedHashMap<>(8, 0.75f, true);

  static final int WINDOWS = 4;
  private final AtomicLong requests;
  private final AtomicLong bytes;
  private boolean open = true;

  /**
   * @param key the file's identity in the cache (URI, length, modification time)
   * @param requests counts reads sent to the store
   * @param bytes counts bytes fetched from the store
   */
  HadoopByteChannel(
      FSDataInputStream in,
      String key,
      long size,
      BlockCache cache,
      int readAhead,
      AtomicLong requests,
      AtomicLong bytes) {
    this.in = in;
    this.readAhead = readAhead;
    this.key = key;
    this.size = size;
    this.cache = cache;
    this.blockSize = cache.blockSize();
    this.requests = requests;
    this.bytes = bytes;
  }

  @Override
  int readAt(ByteBuffer dst, long position) throws IOException {
    if (position >= size) {
      return -1;
    }
    int n = (int) Math.min(dst.remaining(), size - position);
    if (n >= blockSize) {
      readLarge(dst, position, n);
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
    return n;
  }

  /** A large read from a read-ahead window holding it, or from a new window starting here. */
  private void readLarge(ByteBuffer dst, long position, int n) throws IOException {
    for (Map.Entry<Long, byte[]> w : windows.entrySet()) {
      long start = w.getKey();
      if (position >= start && position + n <= start + w.getValue().length) {
        dst.put(w.getValue(), (int) (position - start), n);
        windows.get(start); // most recently used
        return;
      }
    }
    byte[] window = new byte[(int) Math.min(Math.max(n, readAhead), size - position)];
    fetch(position, window, window.length);
    windows.put(position, window);
    if (windows.size() > WINDOWS) {
      windows.remove(windows.keySet().iterator().next());
    }
    dst.put(window, 0, n);
  }

  private byte[] block(long block) throws IOException {
    byte[] b = cache.get(key, block);
    if (b == null) {
      long start = block * blockSize;
      b = new byte[(int) Math.min(blockSize, size - start)];
      fetch(
          start, b,
          b.length); // two tasks missing together both fetch: harmless, and no lock is held across
      // a GET
      cache.put(key, block, b);
    }
    return b;
  }

  private void fetch(long at, byte[] into, int n) throws IOException {
    in.readFully(at, into, 0, n);
    requests.incrementAndGet();
    bytes.addAndGet(n);
  }

  @Override
  public long size() {
    return size;
  }

  @Override
  public boolean isOpen() {
    return open;
  }

  @Override
  public void close() throws IOException {
    open = false;
    windows.clear();
    in.close();
  }
}
