package org.cellspark.io;

import java.util.List;
import org.apache.hadoop.conf.Configuration;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.types.StructType;
import org.cellspark.io.InputFiles.InputFile;
import org.cellspark.io.cells.CellCountsSchema;
import org.cellspark.io.hdf5.HdfOpener;

/**
 * One atlas format: how an input of it is recognised, opened on the driver and read on the
 * executors. Tokenize, medians and the cell reading they share know formats only through this
 * contract; {@link AtlasFormats#ALL} is the one place a format is registered.
 *
 * <p>A format is either {@link OfFiles} (HDF5 files found by their extension, in folders and globs:
 * AnnData, loom, Cell Ranger) or {@link OfFolders} (a path that is one input as a whole: a Matrix
 * Market folder, a Parquet table).
 */
public interface AtlasFormat {

  /** One input of this format as messages name it: "a Matrix Market folder". */
  String describedAs();

  /**
   * Reads the cells of this format's inputs (all of them, in order) as {@link CellCountsSchema}
   * rows whose obs struct is {@code obs}: the input's columns of those names, null where it has
   * none. Runs on the driver; the rows are produced by executor tasks.
   */
  Dataset<Row> read(SparkSession spark, List<AtlasInput> inputs, StructType obs, ReadPlan plan);

  /** A format whose inputs are files, found by their extension in folders and globs. */
  interface OfFiles extends AtlasFormat {
    /** The file name endings of this format (".loom"); the first is the one globs are read with. */
    List<String> extensions();

    /**
     * Whether {@code f}, whose name ends with one of {@link #extensions}, is laid out as this
     * format (a Cell Ranger .h5 and an AnnData .h5 share the extension).
     */
    default boolean claims(HdfOpener hdf, InputFile f) {
      return true;
    }

    /** Opens and checks one file on the driver. */
    AtlasInput open(InputFile f, InputContext context);
  }

  /** A format whose input is a path as a whole (a folder or a table). */
  interface OfFolders extends AtlasFormat {
    /** Whether {@code spec}, as the user gave it, is one input of this format. */
    boolean recognises(String spec, Configuration conf);

    /** Opens and checks the input on the driver. */
    AtlasInput open(String spec, InputContext context);

    /**
     * This format's inputs inside {@code spec} when {@code spec} is a folder (inputs among its
     * subfolders) or a glob (the folders it matches), for formats whose inputs are told by their
     * names (a {@code .zarr} store); none by default.
     */
    default List<String> within(String spec, Configuration conf) {
      return List.of();
    }
  }
}
