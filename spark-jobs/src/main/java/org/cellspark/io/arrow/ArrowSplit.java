package org.cellspark.io.arrow;

import org.apache.spark.sql.connector.read.InputPartition;

/**
 * A part of one Arrow file for one task: the whole stream, or a run of its record batches.
 *
 * @param file the file's URI
 * @param fileName its name, for {@code _metadata.file_name}
 * @param schemaEnd the offset just after the stream's schema message; 0 = read the whole stream
 * @param start the first byte of the split's first record batch
 * @param batches how many record batches the split reads from {@code start}
 * @param firstRow the row in the file of the split's first row
 */
record ArrowSplit(
    String file, String fileName, long schemaEnd, long start, int batches, long firstRow)
    implements InputPartition {
  private static final long serialVersionUID = 1L;

  static ArrowSplit whole(String file, String fileName) {
    return new ArrowSplit(file, fileName, 0, 0, 0, 0);
  }

  boolean isWhole() {
    return schemaEnd == 0;
  }
}
