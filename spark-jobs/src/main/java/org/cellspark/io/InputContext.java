package org.cellspark.io;

import org.apache.spark.sql.SparkSession;
import org.cellspark.io.cells.CountsLocation;
import org.cellspark.io.hdf5.HdfOpener;

/**
 * What the options say about reading inputs, for every format alike (each uses what applies to it).
 *
 * @param counts which counts matrix (X, raw, a layer; in a MuData file, which modality)
 * @param geneIdColumn where gene keys are in a gene table (an AnnData var column, a loom row
 *     attribute); null = the table's index (AnnData) or loompy's {@code Gene} (loom)
 * @param bySymbol whether gene keys are symbols ({@code --gene-id-type symbol}) rather than IDs
 * @param geneNameColumn the AnnData var column of gene symbols ({@code --gene-name-column}); null =
 *     the index
 * @param cellTable a Parquet table of cell attributes for long-table inputs; null for none
 * @param genome the genome of a Cell Ranger file that holds several; null for its only one
 */
public record InputContext(
    SparkSession spark,
    HdfOpener hdf,
    CountsLocation counts,
    String geneIdColumn,
    boolean bySymbol,
    String geneNameColumn,
    String cellTable,
    String genome) {

  /** A context whose HDF5 files open on the driver with the session's settings. */
  public static InputContext onDriver(
      SparkSession spark,
      CountsLocation counts,
      String geneIdColumn,
      boolean bySymbol,
      String geneNameColumn,
      String cellTable,
      String genome) {
    return new InputContext(
        spark,
        HdfOpener.onDriver(spark.sparkContext().hadoopConfiguration()),
        counts,
        geneIdColumn,
        bySymbol,
        geneNameColumn,
        cellTable,
        genome);
  }

  /** Where an AnnData or loom input's gene keys come from, for messages. */
  public String geneIdColumnSource() {
    return geneIdColumn == null
        ? "the gene index"
        : "--gene-id-column (now '" + geneIdColumn + "')";
  }
}
