package org.cellspark.io.hdf5;

import io.jhdf.exceptions.HdfFilterException;
import io.jhdf.filter.Filter;
import java.util.Arrays;

/**
 * HDF5 filter 32000 (LZF, as written by h5py and anndata's {@code compression="lzf"}).
 *
 * <p>Replaces jHDF's own LZF filter, which takes the decompressed size from the filter's client
 * data ({@code cd_values[2]}): h5py leaves that empty for variable-length string datasets (every
 * anndata string column and index), and jHDF then fails with an ArrayIndexOutOfBoundsException.
 * h5py's own decoder treats the size as a hint and grows its buffer when it is missing; so do we.
 * compress-lzf has no raw-block decoder for an unknown output size, hence the small decoder below
 * (the LZF block format: literal runs and back-references, nothing else).
 */
public final class LzfFilter implements Filter {
  public static final int ID = 32000;

  @Override
  public int getId() {
    return ID;
  }

  @Override
  public String getName() {
    return "lzf";
  }

  @Override
  public byte[] decode(byte[] encoded, int[] filterData) {
    int hint =
        filterData != null && filterData.length >= 3 && filterData[2] > 0 ? filterData[2] : 0;
    if (hint == encoded.length) {
      return encoded; // h5py stores chunks that do not compress as they are
    }
    byte[] out = new byte[hint > 0 ? hint : Math.max(64, encoded.length * 4)];
    while (true) {
      int n = decodeInto(encoded, out);
      if (n >= 0) {
        return n == out.length ? out : Arrays.copyOf(out, n);
      }
      if (hint > 0 || out.length > (1 << 30)) {
        throw new HdfFilterException(
            "LZF chunk is corrupt or larger than its declared size " + hint);
      }
      out = new byte[out.length * 2];
    }
  }

  /** Decodes one raw LZF block; returns the decoded length, or -1 if {@code out} is too small. */
  static int decodeInto(byte[] in, byte[] out) {
    int ip = 0;
    int op = 0;
    while (ip < in.length) {
      int ctrl = in[ip++] & 0xFF;
      if (ctrl < 32) { // literal run of ctrl + 1 bytes
        int len = ctrl + 1;
        if (op + len > out.length) {
          return -1;
        }
        if (ip + len > in.length) {
          throw new HdfFilterException("LZF chunk is truncated");
        }
        System.arraycopy(in, ip, out, op, len);
        ip += len;
        op += len;
      } else { // back-reference: copy len + 2 bytes from earlier output
        int len = ctrl >>> 5;
        if (len == 7) {
          if (ip >= in.length) {
            throw new HdfFilterException("LZF chunk is truncated");
          }
          len += in[ip++] & 0xFF;
        }
        if (ip >= in.length) {
          throw new HdfFilterException("LZF chunk is truncated");
        }
        int ref = op - ((ctrl & 0x1F) << 8) - (in[ip++] & 0xFF) - 1;
        len += 2;
        if (ref < 0) {
          throw new HdfFilterException("LZF chunk is corrupt (reference before start)");
        }
        if (op + len > out.length) {
          return -1;
        }
        for (int i = 0; i < len; i++) { // may overlap its own output: copy byte by byte
          out[op++] = out[ref++];
        }
      }
    }
    return op;
  }
}
