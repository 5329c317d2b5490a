package org.cellspark.io.hdf5;

import io.jhdf.api.Dataset;
import io.jhdf.object.datatype.DataType;
import io.jhdf.object.datatype.FixedPoint;
import io.jhdf.object.datatype.FloatingPoint;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;

/**
 * Decodes a numeric HDF5 dataset's raw (decompressed) chunk bytes into Java arrays: integers of 1,
 * 2, 4 or 8 bytes, signed or not, and 4- or 8-byte floats, in the dataset's byte order. Shared by
 * the readers that inflate chunks themselves instead of asking jHDF for a fresh array per slice
 * (1-D sparse arrays in {@link ChunkCursor}, 2-D loom matrices).
 */
public final class NumericDecoder {
  private final int width;
  private final boolean floating;
  private final boolean signed;
  private final ByteOrder order;

  private NumericDecoder(DataType type) {
    this.width = type.getSize();
    this.floating = type instanceof FloatingPoint;
    this.signed = !(type instanceof FixedPoint f) || f.isSigned();
    this.order =
        type instanceof FloatingPoint f
            ? f.getByteOrder()
            : type instanceof FixedPoint f ? f.getByteOrder() : ByteOrder.LITTLE_ENDIAN;
  }

  public static NumericDecoder of(Dataset dataset) {
    return new NumericDecoder(dataset.getDataType());
  }

  /** Whether the values are floating point (else integers). */
  public boolean floating() {
    return floating;
  }

  /** The chunk's bytes in the dataset's byte order. */
  public ByteBuffer wrap(byte[] chunk) {
    return ByteBuffer.wrap(chunk).order(order);
  }

  /**
   * Whether the values are 4-byte floats (loom's usual type), which {@link #floats} copies in bulk.
   */
  public boolean isFloat32() {
    return floating && width == 4;
  }

  /**
   * The first {@code length} values of {@code b}, 4-byte floats, into {@code out} (one bulk copy).
   */
  public void floats(ByteBuffer b, int length, float[] out) {
    b.asFloatBuffer().get(out, 0, length);
  }

  /** The first {@code length} values of {@code b} as ints (indices). */
  public void ints(ByteBuffer b, int length, int[] out) {
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
  }

  /** The first {@code length} values of {@code b} as doubles. */
  public void doubles(ByteBuffer b, int length, double[] out) {
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
