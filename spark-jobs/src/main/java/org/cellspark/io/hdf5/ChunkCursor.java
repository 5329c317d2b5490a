package org.cellspark.io.hdf5;

import io.jhdf.api.Dataset;
import io.jhdf.api.dataset.ChunkedDataset;

/**
 * Reads ranges of a 1-D numeric dataset (a sparse matrix's {@code data} or {@code indices}) that
 * move forward through the file, decompressing each chunk once and decoding it into buffers that
 * are reused, instead of asking jHDF for a fresh array per range. A range that ends inside a chunk
 * leaves that chunk cached for the next range, so no chunk is inflated twice, and garbage stays at
 * one chunk per chunk read (large per-range arrays are humongous objects for G1, which showed up as
 * a third of the CPU time in the tokenize benchmark).
 *
 * <p>Random access works too (any range may be asked for); it just re-reads chunks. Contiguous
 * (unchunked) datasets are read through jHDF's slicing in pieces of {@link #PIECE} values.
 */
public final class ChunkCursor {
  static final int PIECE = 1 << 17;

  private final Dataset dataset;
  private final long size;
  private final int chunk;
  private final boolean chunked;
  private final NumericDecoder decoder;

  private long cachedStart = -1;
  private int cachedLength;
  private double[] cachedDoubles = new double[0];
  private int[] cachedInts = new int[0];
  private boolean cachedAsInts;

  public ChunkCursor(Dataset dataset) {
    this.dataset = dataset;
    this.size = dataset.getDimensionsAsLong()[0];
    this.chunked = dataset instanceof ChunkedDataset;
    this.chunk = chunked ? ((ChunkedDataset) dataset).getChunkDimensions()[0] : PIECE;
    this.decoder = NumericDecoder.of(dataset);
  }

  /** Values {@code [from, from + n)} as doubles into {@code dst[off ...]}. */
  public void readDoubles(long from, int n, double[] dst, int off) {
    long pos = from;
    int o = off;
    long end = from + n;
    while (pos < end) {
      load(pos, false);
      int at = (int) (pos - cachedStart);
      int take = (int) Math.min(end - pos, cachedLength - at);
      System.arraycopy(cachedDoubles, at, dst, o, take);
      pos += take;
      o += take;
    }
  }

  /** Values {@code [from, from + n)} as ints (indices) into {@code dst[off ...]}. */
  public void readInts(long from, int n, int[] dst, int off) {
    long pos = from;
    int o = off;
    long end = from + n;
    while (pos < end) {
      load(pos, true);
      int at = (int) (pos - cachedStart);
      int take = (int) Math.min(end - pos, cachedLength - at);
      System.arraycopy(cachedInts, at, dst, o, take);
      pos += take;
      o += take;
    }
  }

  /** Makes the cache hold the chunk (or piece) containing {@code pos}. */
  private void load(long pos, boolean asInts) {
    if (cachedStart >= 0
        && pos >= cachedStart
        && pos < cachedStart + cachedLength
        && asInts == cachedAsInts) {
      return;
    }
    long start = pos / chunk * chunk;
    int length = (int) Math.min(chunk, size - start);
    if (asInts && cachedInts.length < length) {
      cachedInts = new int[chunk];
    } else if (!asInts && cachedDoubles.length < length) {
      cachedDoubles = new double[chunk];
    }
    if (chunked) {
      decode(
          ((ChunkedDataset) dataset).getDecompressedChunk(new int[] {(int) start}), length, asInts);
    } else {
      Object slice = dataset.getData(new long[] {start}, new int[] {length});
      if (asInts) {
        int[] v = ArrayConversions.toInts(slice);
        System.arraycopy(v, 0, cachedInts, 0, length);
      } else {
        double[] v = ArrayConversions.toDoubles(slice);
        System.arraycopy(v, 0, cachedDoubles, 0, length);
      }
    }
    cachedStart = start;
    cachedLength = length;
    cachedAsInts = asInts;
  }

  private void decode(byte[] chunk, int length, boolean asInts) {
    if (asInts) {
      decoder.ints(decoder.wrap(chunk), length, cachedInts);
    } else {
      decoder.doubles(decoder.wrap(chunk), length, cachedDoubles);
    }
  }
}
