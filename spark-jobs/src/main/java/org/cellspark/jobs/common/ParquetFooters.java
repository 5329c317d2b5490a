package org.cellspark.jobs.common;

import java.io.IOException;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FileStatus;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;
import org.apache.parquet.hadoop.ParquetFileReader;
import org.apache.parquet.hadoop.util.HadoopInputFile;

/**
 * Row counts straight from Parquet footers. Used on staging folders, whose hidden names Spark's own
 * reader skips, and cheaper than a Spark job.
 */
public final class ParquetFooters {
  private ParquetFooters() {}

  public static long rowCount(Configuration conf, String folder) {
    Path dir = new Path(folder);
    long rows = 0;
    try {
      FileSystem fs = dir.getFileSystem(conf);
      for (FileStatus f : fs.listStatus(dir)) {
        if (f.isFile() && f.getPath().getName().endsWith(".parquet")) {
          try (ParquetFileReader r = ParquetFileReader.open(HadoopInputFile.fromStatus(f, conf))) {
            rows += r.getRecordCount();
          }
        }
      }
    } catch (IOException e) {
      throw new IllegalStateException("cannot read the Parquet footers under " + folder, e);
    }
    return rows;
  }
}
