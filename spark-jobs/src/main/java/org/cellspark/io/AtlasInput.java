package org.cellspark.io;

import org.cellspark.error.UserException;
import org.cellspark.io.InputFiles.InputFile;

/**
 * One atlas input, opened and checked on the driver by its {@link AtlasFormat}: what a job needs to
 * know before any cell is read.
 */
public interface AtlasInput {
  InputFile file();

  AtlasFormat format();

  /** Cells in the input; -1 when only reading tells (a Parquet long table). */
  long cells();

  /** Genes in the input's gene table (features of other types left out). */
  int genes();

  /** The counts matrix described (format, shape, storage), for summaries. */
  String describe();

  /**
   * The gene of each counts column as the options ask for it: its Ensembl ID, or its symbol with
   * {@code --gene-id-type symbol}; null for a column that is no gene.
   */
  String[] geneKeys();

  /** Where {@link #geneKeys} come from, for messages: "features/id", "the gene index". */
  String geneKeySource();

  /**
   * The gene symbol of each counts column where the input keeps one (null entries otherwise); null
   * when it keeps none.
   */
  String[] symbols();

  /**
   * Where the input's gene IDs are when the format fixes their place (so {@code --gene-id-column}
   * does not apply), for messages; null for formats that read them from a chosen column.
   */
  String fixedGeneIdPlace();

  /**
   * Refuses a {@code --gene-id-column} the user gave ({@code given}; null when not given) for a
   * format whose gene IDs have one fixed place: accepting it and reading the fixed place anyway
   * would leave the user believing their column was used. {@code advice} ends the message.
   */
  default void refuseGeneIdColumn(String given, String advice) {
    if (given != null && fixedGeneIdPlace() != null) {
      throw UserException.of(
          "Input %s is %s, whose gene IDs are %s; --gene-id-column (here '%s') is for .h5ad,"
              + " .zarr and loom inputs only: leave it out%s",
          file().name(), format().describedAs(), fixedGeneIdPlace(), given, advice);
    }
  }

  /** The cell annotations the input keeps, or {@link Annotations#NONE}. */
  Annotations annotations();
}
