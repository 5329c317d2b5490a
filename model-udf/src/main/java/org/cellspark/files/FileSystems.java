package org.cellspark.files;

import java.io.IOException;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;
import org.apache.hadoop.fs.UnsupportedFileSystemException;

/** The Hadoop file system of a path a user gave, where a missing connector is an IOException. */
public final class FileSystems {
  private FileSystems() {}

  /**
   * {@code path.getFileSystem(conf)}, except that a scheme whose file system class the
   * configuration names but the classpath lacks (Hadoop 3.5, the next Spark's, maps gs:// to a
   * connector class of its own that no Spark distribution carries; a core-site.xml copied from
   * another cluster does the same) is refused as a scheme with no file system, as Hadoop refuses a
   * scheme it has no name for, instead of a RuntimeException with a ClassNotFoundException in it.
   * {@link FileSystemHints#explain} then names the connector to add.
   */
  public static FileSystem of(Path path, Configuration conf) throws IOException {
    try {
      return path.getFileSystem(conf);
    } catch (RuntimeException e) {
      if (!(e.getCause() instanceof ClassNotFoundException missing)) {
        throw e;
      }
      UnsupportedFileSystemException unsupported =
          new UnsupportedFileSystemException(
              "No FileSystem for scheme \""
                  + path.toUri().getScheme()
                  + "\": "
                  + missing.getMessage());
      unsupported.initCause(e);
      throw unsupported;
    }
  }
}
