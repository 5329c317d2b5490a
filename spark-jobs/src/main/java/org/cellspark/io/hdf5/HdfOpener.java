package org.cellspark.io.hdf5;

import io.jhdf.HdfFile;
import io.jhdf.filter.FilterManager;
import java.io.FileNotFoundException;
import java.io.IOException;
import java.io.Serializable;
import java.io.UncheckedIOException;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.CancellationException;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.atomic.AtomicLong;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FSDataInputStream;
import org.apache.hadoop.fs.FileStatus;
import org.apache.hadoop.fs.FileSystem;
import org.apache.spark.SerializableWritable;
import org.apache.spark.SparkContext;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.broadcast.Broadcast;
import org.apache.spark.sql.SparkSession;
import org.cellspark.error.UserException;
import org.cellspark.files.FileSystemHints;
import org.cellspark.files.RemoteCopies;
import org.cellspark.io.InputFiles.InputFile;

/**
 * Opens HDF5 inputs (h5ad, loom, Cell Ranger .h5) wherever they are: local files directly; files on
 * any Hadoop file system (s3a://, gs://, hdfs://) either by ranged reads through {@link
 * HadoopByteChannel} ({@code range}, the default) or by a whole-file copy to local disk per
 * executor ({@code copy}), chosen with the Spark setting {@code spark.cellspark.hdf5.remote}
 * ({@code --conf spark.cellspark.hdf5.remote=copy}; docs/settings.md lists the others).
 * docs/object-storage.md has the measurements behind the default.
 *
 * <p>Executors get the driver's Hadoop configuration through a broadcast (as Spark's own file
 * sources do), so credentials and endpoints set at runtime on the driver ({@code
 * sc.hadoopConfiguration().set(...)}, common in notebooks) reach them too.
 */
public final class HdfOpener implements Serializable {
  private static final long serialVersionUID = 1L;

  private static volatile BlockCache cache;

  /** Reads sent to remote stores by this JVM, and bytes fetched (for benchmarks and logs). */
  public static final AtomicLong REMOTE_REQUESTS = new AtomicLong();

  public static final AtomicLong REMOTE_BYTES = new AtomicLong();

  static {
    // Before any file is read, and every HDF5 file is opened here: LZF datasets otherwise fail
    // in jHDF (LzfFilter), its deflate filter is the loom reader's largest cost
    // (DeflateFilter), and R's rhdf5 strings fail its shuffle filter (ShuffleFilter).
    FilterManager.addFilter(new LzfFilter());
    FilterManager.addFilter(new DeflateFilter());
    FilterManager.addFilter(new ShuffleFilter());
  }

  private final Broadcast<SerializableWritable<Configuration>> broadcast;
  private final transient Configuration driverConf;
  private final RemoteHdfReads reads;

  private HdfOpener(
      Broadcast<SerializableWritable<Configuration>> broadcast,
      Configuration driverConf,
      RemoteHdfReads reads) {
    this.broadcast = broadcast;
    this.driverConf = driverConf;
    this.reads = reads;
  }

  /**
   * For the driver: opens with {@code conf} (not serializable: do not ship it to executors) and the
   * active session's read settings.
   */
  public static HdfOpener onDriver(Configuration conf) {
    return new HdfOpener(null, conf, RemoteHdfReads.ofActiveSession());
  }

  /**
   * For tasks reading {@code files}: broadcasts the Hadoop configuration when one of them is
   * remote, and carries {@code spark}'s read settings.
   */
  public static HdfOpener forTasks(SparkSession spark, List<InputFile> files) {
    boolean remote = files.stream().anyMatch(f -> !isLocal(f.uri()));
    SparkContext sc = spark.sparkContext();
    return new HdfOpener(
        remote
            ? JavaSparkContext.fromSparkContext(sc)
                .broadcast(new SerializableWritable<>(sc.hadoopConfiguration()))
            : null,
        null,
        RemoteHdfReads.of(spark));
  }

  /**
   * Deletes this JVM's local copies of remote files and its cached blocks (benchmarks measure cold
   * reads; long sessions free disk).
   */
  public static void dropLocalCopies() {
    RemoteCopies.clear();
    if (cache != null) {
      cache.clear();
    }
  }

  private static BlockCache blockCache(RemoteHdfReads reads) {
    if (cache == null) {
      synchronized (HdfOpener.class) {
        if (cache == null) {
          cache = new BlockCache(reads.blockBytes(), reads.cacheBytes());
        }
      }
    }
    return cache;
  }

  public static boolean isLocal(String uri) {
    String scheme = URI.create(uri).getScheme();
    return scheme == null || "file".equals(scheme);
  }

  /**
   * An HDF5 file shared by the JVM's tasks ({@link SharedHdfFiles}); close the handle when done
   * (the file may stay open).
   */
  public final class Shared implements AutoCloseable {
    private final String key;
    private final HdfFile file;

    private Shared(String key, HdfFile file) {
      this.key = key;
      this.file = file;
    }

    public HdfFile file() {
      return file;
    }

    @Override
    public void close() {
      SharedHdfFiles.release(key);
    }
  }

  /**
   * {@code f} opened once per JVM and shared by its tasks, for files whose metadata is costly to
   * read (a loom matrix's chunk index). The key includes the file's length and modification time,
   * so a changed file is opened again.
   */
  public Shared openShared(InputFile f) {
    String key;
    if (isLocal(f.uri())) {
      Path p = f.localPath();
      try {
        key = f.uri() + "#" + Files.size(p) + "#" + Files.getLastModifiedTime(p).toMillis();
      } catch (IOException e) {
        throw UserException.because(
            e, "Input %s does not exist or is not readable (%s)", f.name(), e.getMessage());
      }
    } else {
      org.apache.hadoop.fs.Path path = f.hadoopPath();
      try {
        FileStatus s = path.getFileSystem(conf()).getFileStatus(path);
        key = f.uri() + "#" + s.getLen() + "#" + s.getModificationTime();
      } catch (IOException e) {
        throw UserException.because(
            e, "Cannot open input %s: %s", f.name(), FileSystemHints.explain(f.uri(), e));
      }
    }
    return new Shared(key, SharedHdfFiles.acquire(key, () -> open(f)));
  }

  private Configuration conf() {
    return driverConf != null
        ? driverConf
        : broadcast == null ? new Configuration() : broadcast.value().value();
  }

  /**
   * Call where a read of {@code f} failed, before reporting the file as bad. A task Spark cancels
   * (another task failed, the job was stopped) is interrupted, which closes the file channel under
   * jHDF: its "Failed to open file ... Is it a HDF5 file?" would otherwise go into the executor's
   * log as a bad file. Throws a CancellationException saying what happened instead.
   */
  public static void failIfCancelled(InputFile f) {
    if (Thread.currentThread().isInterrupted()) {
      throw new CancellationException("task cancelled while reading " + f.name());
    }
  }

  /**
   * A local file (the input, or an executor's copy of a remote one) through {@link
   * PositionalFileChannel}: read, not memory-mapped buffer by buffer.
   */
  private HdfFile openLocal(Path p, InputFile f) {
    PositionalFileChannel channel;
    try {
      channel = PositionalFileChannel.open(p);
    } catch (IOException e) {
      throw UserException.because(e, "Cannot open input %s: %s", f.name(), e.getMessage());
    }
    return hdfFile(channel, p.toUri(), f);
  }

  /**
   * {@code f} opened as HDF5 through {@code channel}; one that is not HDF5, is damaged or could not
   * be read is reported as such, the channel closed (it is ours until jHDF has it).
   */
  private static HdfFile hdfFile(PositionedReadChannel channel, URI uri, InputFile f) {
    try {
      return new HdfFile(channel, uri);
    } catch (RuntimeException e) {
      try {
        channel.close();
      } catch (IOException closing) {
        e.addSuppressed(closing);
      }
      failIfCancelled(f);
      throw readFailure(f, e);
    }
  }

  /**
   * What jHDF reports when the file could not be read at all: it turns a failed read into a bad
   * file ("Failed to read from address: 0x0"), which the readers would report as not HDF5. When a
   * read itself failed underneath (the store refused it, the network or the disk failed), the file
   * is not to blame: that failure is the message. A file that ends too soon stays jHDF's (the
   * readers report it as damaged or cut short).
   */
  private static RuntimeException readFailure(InputFile f, RuntimeException e) {
    Throwable io =
        org.cellspark.error.Causes.first(
            e, c -> c instanceof IOException && !(c instanceof java.io.EOFException));
    return io == null
        ? e
        : UserException.because(
            e,
            "Cannot read input %s: %s",
            f.name(),
            FileSystemHints.explain(f.uri(), (IOException) io));
  }

  /**
   * Opens {@code f} as HDF5; a missing file or one that is not HDF5 is the caller's to report
   * (jHDF's exceptions pass).
   */
  public HdfFile open(InputFile f) {
    if (isLocal(f.uri())) {
      Path p = f.localPath();
      if (!Files.isRegularFile(p)) {
        throw UserException.of("Input %s does not exist or is not a file", f.name());
      }
      return openLocal(p, f);
    }
    Configuration conf = conf();
    org.apache.hadoop.fs.Path path = f.hadoopPath();
    try {
      FileSystem fs = path.getFileSystem(conf);
      FileStatus status;
      try {
        status = fs.getFileStatus(path);
      } catch (FileNotFoundException e) {
        throw UserException.because(e, "Input %s does not exist", f.name());
      }
      if (reads.copy()) {
        return openLocal(RemoteCopies.file(f.uri(), status, fs, REMOTE_REQUESTS, REMOTE_BYTES), f);
      }
      FSDataInputStream in =
          fs.openFile(path)
              .opt("fs.s3a.experimental.input.fadvise", "random")
              .opt("fs.option.openfile.read.policy", "random")
              .build()
              .get();
      String key = f.uri() + "#" + status.getLen() + "#" + status.getModificationTime();
      HadoopByteChannel channel =
          new HadoopByteChannel(
              in,
              key,
              status.getLen(),
              blockCache(reads),
              reads.readAheadBytes(),
              REMOTE_REQUESTS,
              REMOTE_BYTES);
      return hdfFile(channel, path.toUri(), f);
    } catch (IOException e) {
      throw UserException.because(
          e, "Cannot open input %s: %s", f.name(), FileSystemHints.explain(f.uri(), e));
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException(e);
    } catch (ExecutionException e) {
      // openFile's future: Hadoop 3.5's S3A opens (a HEAD of the object) here.
      Throwable cause = e.getCause();
      throw UserException.because(
          e,
          "Cannot open input %s: %s",
          f.name(),
          cause instanceof IOException io
              ? FileSystemHints.explain(f.uri(), io)
              : cause.getMessage());
    } catch (UncheckedIOException e) {
      throw UserException.because(e, "%s", e.getMessage());
    }
  }
}
