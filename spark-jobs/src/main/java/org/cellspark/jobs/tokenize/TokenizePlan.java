package org.cellspark.jobs.tokenize;

import java.io.Serializable;
import java.util.List;
import java.util.Map;
import org.apache.spark.sql.types.DataType;
import org.cellspark.encode.EncodingSettings;
import org.cellspark.encode.GeneIndexMapping;
import org.cellspark.error.Bug;

/**
 * What executors need to tokenize any cell, decided once on the driver and broadcast: the encoding,
 * each input file's gene mapping, where the obs values the job uses sit in the reader's {@code obs}
 * struct, and whether the depth-normalised counts are written too (after the attributes).
 */
record TokenizePlan(
    EncodingSettings settings,
    boolean allowNonInteger,
    Map<String, FilePlan> files,
    int obsWidth,
    int nCountsField,
    DataType nCountsType,
    int filterPassField,
    DataType filterPassType,
    List<Integer> attributeFields,
    List<DataType> attributeTypes,
    boolean keepCounts)
    implements Serializable {

  /**
   * One input file.
   *
   * @param name how messages name it
   * @param sourceName the output's {@code source} value (the file name)
   * @param cellIdPrefix prepended to cell IDs ("stem:") when several files are read, else ""
   * @param geneIds the file's gene IDs by column, for messages naming a gene
   * @param hasNCounts whether the file's obs has the n_counts column (else it is computed)
   * @param hasFilterPass whether the file's obs has the filter-pass column and it is used
   */
  record FilePlan(
      String name,
      String sourceName,
      String cellIdPrefix,
      GeneIndexMapping mapping,
      String[] geneIds,
      boolean hasNCounts,
      boolean hasFilterPass)
      implements Serializable {}

  FilePlan file(String uri) {
    FilePlan f = files.get(uri);
    if (f == null) {
      throw new Bug("row from a file that was not planned: " + uri);
    }
    return f;
  }
}
