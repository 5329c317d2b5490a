package org.cellspark.io.hdf5;

import io.jhdf.HdfFile;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.Map;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Open HDF5 files shared by the tasks of one JVM, for files whose chunk index is expensive to
 * build: jHDF reads a chunked dataset's whole B-tree into a lookup table on first access, and a
 * loom matrix of 200,000 cells has about a million 64 x 64 chunks, which took 10 s per open, for
 * every task. jHDF reads an open file from several threads safely (positioned reads, lazily built
 * and then read-only tables). Files stay open while in use and a few stay open idle for the next
 * task; beyond {@link #IDLE} idle files the least recently used is closed.
 */
final class SharedHdfFiles {
  private static final Logger LOG = LoggerFactory.getLogger(SharedHdfFiles.class);
  static final int IDLE = 4;

  private static final class Entry {
    final HdfFile file;
    int users;

    Entry(HdfFile file) {
      this.file = file;
    }
  }

  private static final LinkedHashMap<String, Entry> OPEN = new LinkedHashMap<>(16, 0.75f, true);

  private SharedHdfFiles() {}

  interface Opener {
    HdfFile open();
  }

  /**
   * The open file for {@code key} (a file's identity: URI, length, modification time), opened by
   * {@code opener} if needed.
   */
  static synchronized HdfFile acquire(String key, Opener opener) {
    Entry e = OPEN.get(key);
    if (e == null) {
      e = new Entry(opener.open());
      OPEN.put(key, e);
    }
    e.users++;
    return e.file;
  }

  static synchronized void release(String key) {
    Entry e = OPEN.get(key);
    if (e == null) {
      return;
    }
    e.users--;
    int idle = 0;
    for (Entry x : OPEN.values()) {
      idle += x.users == 0 ? 1 : 0;
    }
    Iterator<Map.Entry<String, Entry>> it = OPEN.entrySet().iterator(); // least recently used first
    while (idle > IDLE && it.hasNext()) {
      Map.Entry<String, Entry> x = it.next();
      if (x.getValue().users == 0) {
        it.remove();
        idle--;
        closeQuietly(x.getKey(), x.getValue().file);
      }
    }
  }

  /**
   * Closes an idle file on its way out. The task releasing some other file must not fail for it: an
   * idle file's stream can be unusable by now (its Hadoop file system closed, an HDFS DataNode or
   * S3 connection gone), and nothing more is read from it.
   */
  private static void closeQuietly(String key, HdfFile file) {
    try {
      file.close();
    } catch (RuntimeException e) {
      LOG.warn("could not close the idle HDF5 file {}: {}", key, e.toString());
    }
  }
}
