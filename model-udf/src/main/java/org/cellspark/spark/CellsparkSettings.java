package org.cellspark.spark;

import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Function;
import org.apache.spark.SparkConf;
import org.apache.spark.sql.RuntimeConfig;
import org.apache.spark.sql.SparkSession;
import org.cellspark.error.UserException;
import org.cellspark.infer.BatchBudget;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Every setting a user can give Cellspark through Spark, in one namespace ({@code
 * spark.cellspark.*}) and read in one place: the session's configuration, which holds what {@code
 * --conf} and spark-defaults files set when the application started and what {@code SET} (SQL) or
 * {@code spark.conf.set} (a notebook) changed since. Each setting is typed, has a default and says
 * what it does; docs/settings.md lists them (a test keeps that page and {@link #all()} equal).
 *
 * <p>Precedence: a job's own command-line option, where it has one, then the Spark setting, then
 * the default. Settings are read on the driver, where a job plans its work or a query is analysed,
 * and travel to executors inside what the tasks run, so a change made while a job runs does not
 * reach that job.
 */
public final class CellsparkSettings {
  private static final Logger LOG = LoggerFactory.getLogger(CellsparkSettings.class);
  private static final Set<String> WARNED = ConcurrentHashMap.newKeySet();

  private CellsparkSettings() {}

  /**
   * One setting: its name, default, parser and meaning. {@code formerName} is the Hadoop key it was
   * read from before (earlier versions read the HDF5 and Matrix Market settings from the Hadoop
   * configuration): still honoured, with a warning, where the new name is not set.
   */
  public record Key<T>(
      String name, T fallback, Function<String, T> parse, String meaning, String formerName) {
    /** The setting in the active session, else the default (no session: the default). */
    public T inActiveSession() {
      Optional<SparkSession> spark = activeSession();
      return spark.isPresent() ? in(spark.get()) : fallback;
    }

    /** The setting in {@code spark}'s configuration, else the default. */
    public T in(SparkSession spark) {
      String raw = spark.conf().get(name, null);
      if ((raw == null || raw.isBlank()) && formerName != null) {
        raw = spark.sparkContext().hadoopConfiguration().get(formerName);
        if (raw != null && WARNED.add(formerName)) {
          LOG.warn(
              "The Hadoop setting {} is read for now; set {} instead (--conf {}={})",
              formerName,
              name,
              name,
              raw);
        }
      }
      return value(raw);
    }

    /** The setting in {@code conf} (a session's), else the default. */
    public T in(RuntimeConfig conf) {
      return value(conf.get(name, null));
    }

    /**
     * The setting as the application started with it ({@code conf}: a context's), else the default.
     */
    public T in(SparkConf conf) {
      return value(conf.get(name, null));
    }

    /**
     * The setting in {@code conf}; refused, saying to set it to {@code what}, when it has no value
     * and no default.
     */
    public T required(RuntimeConfig conf, String what) {
      T v = in(conf);
      if (v == null) {
        throw UserException.of("Set %s to %s first (SQL: SET %s=...)", name, what, name);
      }
      return v;
    }

    /** The setting's value written as {@code raw} (null or blank: the default). */
    public T value(String raw) {
      if (raw == null || raw.isBlank()) {
        return fallback;
      }
      try {
        return parse.apply(raw.trim());
      } catch (IllegalArgumentException e) { // the parsers' refusal (NumberFormatException is one)
        throw UserException.because(
            e,
            "Spark setting %s='%s' is not valid (%s): it is %s",
            name,
            raw,
            e.getMessage(),
            meaning);
      }
    }
  }

  private static Optional<SparkSession> activeSession() {
    scala.Option<SparkSession> s = SparkSession.getActiveSession();
    if (s.isEmpty()) {
      s = SparkSession.getDefaultSession();
    }
    return s.isDefined() ? Optional.of(s.get()) : Optional.empty();
  }

  private static <T> Key<T> key(
      String name, T fallback, Function<String, T> parse, String meaning) {
    return new Key<>("spark.cellspark." + name, fallback, parse, meaning, null);
  }

  private static <T> Key<T> key(
      String name, T fallback, Function<String, T> parse, String meaning, String former) {
    return new Key<>("spark.cellspark." + name, fallback, parse, meaning, former);
  }

  private static Long positive(String s) {
    long v = Long.parseLong(s);
    if (v <= 0) {
      throw new IllegalArgumentException("must be a positive whole number");
    }
    return v;
  }

  private static Integer layer(String s) {
    int v = Integer.parseInt(s);
    if (v != -1 && v != 0) {
      throw new IllegalArgumentException("must be -1 or 0");
    }
    return v;
  }

  private static String oneOf(String s, String... allowed) {
    String v = s.toLowerCase(Locale.ROOT);
    if (!List.of(allowed).contains(v)) {
      throw new IllegalArgumentException("must be one of " + String.join(", ", allowed));
    }
    return v;
  }

  /** The SQL functions' model. */
  public static final Key<String> MODEL =
      key(
          "model",
          null,
          s -> s,
          "the model of geneformer_embed and geneformer_embed_table: a Hugging Face folder or a"
              + " TorchScript file");

  /** The SQL functions' vocabulary. */
  public static final Key<String> VOCABULARY =
      key(
          "vocabulary",
          null,
          s -> s,
          "the vocabulary the SQL functions' tokens were made with: a folder, or"
              + " builtin:geneformer-v1");

  /** The SQL functions' layer (upstream's emb_layer). */
  public static final Key<Integer> EMBED_LAYER =
      key(
          "embed.layer",
          -1,
          CellsparkSettings::layer,
          "the SQL functions' layer: -1 (second to last) or 0 (last)");

  /** Padded tokens per batch of the table function: a number, or auto (the device's budget). */
  public static final Key<String> EMBED_BATCH_TOKENS =
      key(
          "embed.batchTokens",
          "auto",
          s -> BatchBudget.describe(BatchBudget.parse(s, "spark.cellspark.embed.batchTokens")),
          "padded tokens per batch of geneformer_embed_table (auto: the device's budget)");

  /** The GPUs of embedded Spark's tasks: auto, none, or device numbers. */
  public static final Key<String> EMBEDDED_GPUS =
      key(
          "embedded.gpus",
          "auto",
          s -> EmbeddedGpus.describe(EmbeddedGpus.parse(s)),
          "the GPUs embedded Spark (local[...]) runs models on: auto (every GPU the loaded libtorch"
              + " can use; none with its CPU build), none (the CPU), or device numbers such as 0,1."
              + " Clusters use the GPUs Spark assigns to tasks instead");

  /** Model batches at once per GPU in embedded Spark. */
  public static final Key<Long> EMBEDDED_TASKS_PER_GPU =
      key(
          "embedded.tasksPerGpu",
          2L,
          CellsparkSettings::positive,
          "embedded Spark: model batches running at once on each GPU (its tasks, one per core,"
              + " take turns; their reading and writing goes on meanwhile). Fixed by the first job"
              + " to use the GPU in that JVM");

  /** How HDF5 files on a remote file system are read. */
  public static final Key<String> HDF5_REMOTE =
      key(
          "hdf5.remote",
          "range",
          s -> oneOf(s, "range", "copy"),
          "how HDF5 inputs on a remote file system are read: range (ranged reads) or copy (the"
              + " whole file to local disk, once per executor)",
          "cellspark.hdf5.remote");

  /** Ranged HDF5 reads: bytes per cached block. */
  public static final Key<Long> HDF5_BLOCK_BYTES =
      key(
          "hdf5.range.blockBytes",
          64L << 10,
          CellsparkSettings::positive,
          "ranged HDF5 reads: bytes per cached metadata block",
          "cellspark.hdf5.range.block-size");

  /** Ranged HDF5 reads: megabytes of cached blocks per JVM. */
  public static final Key<Long> HDF5_CACHE_MB =
      key(
          "hdf5.range.cacheMb",
          256L,
          CellsparkSettings::positive,
          "ranged HDF5 reads: megabytes of cached blocks per JVM, shared by its tasks (fixed by the"
              + " first job to read a remote file in that JVM)",
          "cellspark.hdf5.range.cache-mb");

  /** Ranged HDF5 reads: read-ahead window of chunk reads. */
  public static final Key<Long> HDF5_READ_AHEAD_MB =
      key(
          "hdf5.range.readAheadMb",
          8L,
          CellsparkSettings::positive,
          "ranged HDF5 reads: megabytes fetched at once for chunk reads (four such windows per open"
              + " file)",
          "cellspark.hdf5.range.read-ahead-mb");

  /** Matrix Market: bytes per task. */
  public static final Key<Long> MTX_SPLIT_BYTES =
      key(
          "mtx.splitBytes",
          64L << 20,
          CellsparkSettings::positive,
          "uncompressed matrix.mtx files above this many bytes are read by several tasks, a byte"
              + " range each",
          "cellspark.mtx.split-bytes");

  /** Every setting, in the order docs/settings.md lists them. */
  public static List<Key<?>> all() {
    return List.of(
        MODEL,
        VOCABULARY,
        EMBED_LAYER,
        EMBED_BATCH_TOKENS,
        EMBEDDED_GPUS,
        EMBEDDED_TASKS_PER_GPU,
        HDF5_REMOTE,
        HDF5_BLOCK_BYTES,
        HDF5_CACHE_MB,
        HDF5_READ_AHEAD_MB,
        MTX_SPLIT_BYTES);
  }
}
