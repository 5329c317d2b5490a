package org.cellspark.io.h5ad;

import io.jhdf.api.Dataset;
import io.jhdf.api.dataset.ChunkedDataset;
import io.jhdf.object.datatype.DataType;
import io.jhdf.object.datatype.FixedPoint;
import io.jhdf.object.datatype.FloatingPoint;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;

/**
 * Reads ranges of a 1-D numeric dataset (a sparse matrix's {@code data} or {@code indices}) that
 * move forward through the file, decompressing each chunk once and decoding it into buffers that
 * are reused, instead of asking jHDF for a fresh array per range. A range that ends inside a chunk
 * leaves that chunk cached for the next range, so no chunk is inflated twice, and garbage stays at
 * one chunk per chunk read (large per-range arrays are humongous objects for G1, which showed up
 * as a third of the CPU time in the tokenize benchmark).
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
  private final DataType type;
  private final int width;
  private final boolean floating;
  private final boolean signed;
  private final ByteOrder order;

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
    this.type = dataset.getDataType();
    this.width = type.getSize();
    this.floating = type instanceof FloatingPoint;
    this.signed = !(type instanceof FixedPoint f) || f.isSigned();
    this.order =
        type instanceof FloatingPoint f
            ? f.getByteOrder()
            : type instanceof FixedPoint f ? f.getByteOrder() : ByteOrder.LITTLE_ENDIAN;
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
    if (cachedStart >= 0 && pos >= cachedStart && pos < cachedStart + cachedLength && asInts == cachedAsInts) {
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
      decode(ByteBuffer.wrap(((ChunkedDataset) dataset).getDecompressedChunk(new int[] {(int) start})).order(order),
          length, asInts);
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

  private void decode(ByteBuffer b, int length, boolean asInts) {
    if (asInts) {
      int[] out = cachedInts;
      switch (width) {
        case 4 -> b.asIntBuffer().get(out, 0, length);
        case 8 -> {
          for (int i = 0; i < length; i++) {
            out[i] = Math.toIntExact(b.getLong(i * 8));
          }
        }
        case 2 -> {
          for (int i = 0; i < length; i++) {
            short s = b.getShort(i * 2);
            out[i] = signed ? s : s & 0xFFFF;
          }
        }
        default -> {
          for (int i = 0; i < length; i++) {
            byte s = b.get(i);
            out[i] = signed ? s : s & 0xFF;
          }
        }
      }
      return;
    }
    double[] out = cachedDoubles;
    if (floating) {
      if (width == 4) {
        for (int i = 0; i < length; i++) {
          out[i] = b.getFloat(i * 4);
        }
      } else {
        b.asDoubleBuffer().get(out, 0, length);
      }
      return;
    }
    for (int i = 0; i < length; i++) {
      out[i] =
          switch (width) {
            case 8 -> signed ? b.getLong(i * 8) : unsignedLong(b.getLong(i * 8));
            case 4 -> signed ? b.getInt(i * 4) : b.getInt(i * 4) & 0xFFFFFFFFL;
            case 2 -> signed ? b.getShort(i * 2) : b.getShort(i * 2) & 0xFFFF;
            default -> signed ? b.get(i) : b.get(i) & 0xFF;
          };
    }
  }

  private static double unsignedLong(long v) {
    return v >= 0 ? v : (double) (v >>> 1) * 2.0 + (v & 1);
  }
}
