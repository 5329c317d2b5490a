package org.cellspark.io.hdf5;

import io.jhdf.filter.ByteShuffleFilter;
import io.jhdf.filter.Filter;

/**
 * HDF5 filter 2 (shuffle), replacing jHDF's own for one case it gets wrong: a shuffle filter
 * without its parameter (the element size). rhdf5, the writer of R's anndataR (and of other R
 * packages' HDF5 files), adds shuffle to every dataset it creates, variable-length strings
 * included; the HDF5 library does not give a variable-length dataset's filters their parameters
 * (their {@code set_local} step is skipped), so shuffle, which needs the element size, fails on
 * every chunk and, being an optional filter, is skipped: each chunk is stored unshuffled, with the
 * skip recorded in the chunk's filter mask. jHDF 0.13 ignores chunk filter masks and unshuffles
 * anyway, failing with an ArrayIndexOutOfBoundsException on the missing parameter (so every cell
 * and gene name of an anndataR .h5ad was unreadable). A shuffle filter without a parameter can
 * never have been applied, so its chunks are passed through as they are; with the parameter, jHDF's
 * filter decodes.
 */
public final class ShuffleFilter implements Filter {
  public static final int ID = 2;

  private final ByteShuffleFilter shuffle = new ByteShuffleFilter();

  @Override
  public int getId() {
    return ID;
  }

  @Override
  public String getName() {
    return "shuffle";
  }

  @Override
  public byte[] decode(byte[] encoded, int[] filterData) {
    if (filterData == null || filterData.length == 0 || filterData[0] <= 0) {
      return encoded;
    }
    return shuffle.decode(encoded, filterData);
  }
}
