package org.cellspark.io.hdf5;

import java.io.Serializable;
import org.apache.spark.sql.SparkSession;
import org.cellspark.spark.CellsparkSettings;

/**
 * How HDF5 files on a remote file system are read ({@code spark.cellspark.hdf5.*}), read once on
 * the driver and shipped with the tasks that open the files.
 *
 * @param copy whole-file copies to local disk instead of ranged reads
 * @param blockBytes bytes per cached metadata block of ranged reads
 * @param cacheBytes bytes of cached blocks per JVM
 * @param readAheadBytes bytes fetched at once for chunk reads
 */
record RemoteHdfReads(boolean copy, int blockBytes, long cacheBytes, int readAheadBytes)
    implements Serializable {
  /** The settings of {@code spark}. */
  static RemoteHdfReads of(SparkSession spark) {
    return new RemoteHdfReads(
        "copy".equals(CellsparkSettings.HDF5_REMOTE.in(spark)),
        Math.toIntExact(CellsparkSettings.HDF5_BLOCK_BYTES.in(spark)),
        CellsparkSettings.HDF5_CACHE_MB.in(spark) << 20,
        Math.toIntExact(CellsparkSettings.HDF5_READ_AHEAD_MB.in(spark) << 20));
  }

  /** The settings of the active session, else the defaults. */
  static RemoteHdfReads ofActiveSession() {
    return new RemoteHdfReads(
        "copy".equals(CellsparkSettings.HDF5_REMOTE.inActiveSession()),
        Math.toIntExact(CellsparkSettings.HDF5_BLOCK_BYTES.inActiveSession()),
        CellsparkSettings.HDF5_CACHE_MB.inActiveSession() << 20,
        Math.toIntExact(CellsparkSettings.HDF5_READ_AHEAD_MB.inActiveSession() << 20));
  }
}
