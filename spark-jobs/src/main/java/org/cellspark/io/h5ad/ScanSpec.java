package org.cellspark.io.h5ad;

import java.io.Serializable;
import java.util.Arrays;
import java.util.List;
import org.apache.spark.sql.catalyst.InternalRow;
import org.apache.spark.sql.catalyst.expressions.GenericInternalRow;
import org.apache.spark.sql.catalyst.expressions.UnsafeArrayData;
import org.apache.spark.unsafe.Platform;
import org.apache.spark.unsafe.types.UTF8String;
import org.cellspark.io.cells.CellCountsSchema;
import org.cellspark.io.cells.CountsLocation;

/**
 * What one scan reads and how it lays out rows: which of the schema's columns were asked for (Spark
 * prunes columns, so a scan of {@code cell_id} alone never touches the matrix) and in what order,
 * and the obs struct's fields. Shipped to executors with each task.
 */
final class ScanSpec implements Serializable {
  private static final long serialVersionUID = 1L;

  final CountsLocation counts;
  final List<String> obsFields;
  private final int width;
  private final int cellIdAt;
  private final int sourceAt;
  private final int rowAt;
  private final int geneIndexAt;
  private final int countsAt;
  private final int obsAt;

  ScanSpec(CountsLocation counts, List<String> obsFields, String[] required) {
    this.counts = counts;
    this.obsFields = List.copyOf(obsFields);
    List<String> r = Arrays.asList(required);
    this.width = required.length;
    this.cellIdAt = r.indexOf(CellCountsSchema.CELL_ID);
    this.sourceAt = r.indexOf(CellCountsSchema.SOURCE);
    this.rowAt = r.indexOf(CellCountsSchema.ROW_INDEX);
    this.geneIndexAt = r.indexOf(CellCountsSchema.GENE_INDEX);
    this.countsAt = r.indexOf(CellCountsSchema.COUNTS);
    this.obsAt = r.indexOf(CellCountsSchema.OBS);
  }

  boolean needsMatrix() {
    return geneIndexAt >= 0 || countsAt >= 0;
  }

  boolean needsCellIds() {
    return cellIdAt >= 0;
  }

  boolean needsObs() {
    return obsAt >= 0 && !obsFields.isEmpty();
  }

  /** Builds the requested columns of one cell; {@code obs} holds one value per obs field. */
  InternalRow row(
      String cellId, UTF8String source, long rowIndex, CellBlock block, int cell, Object[] obs) {
    GenericInternalRow row = new GenericInternalRow(width);
    if (cellIdAt >= 0) {
      row.update(cellIdAt, UTF8String.fromString(cellId));
    }
    if (sourceAt >= 0) {
      row.update(sourceAt, source);
    }
    if (rowAt >= 0) {
      row.setLong(rowAt, rowIndex);
    }
    if (block != null) {
      int from = block.offsets()[cell];
      int n = block.offsets()[cell + 1] - from;
      if (geneIndexAt >= 0) {
        row.update(
            geneIndexAt,
            UnsafeArrayData.fromPrimitiveArray(
                block.genes(), Platform.INT_ARRAY_OFFSET + 4 * from, n, 4));
      }
      if (countsAt >= 0) {
        row.update(
            countsAt,
            UnsafeArrayData.fromPrimitiveArray(
                block.values(), Platform.DOUBLE_ARRAY_OFFSET + 8 * from, n, 8));
      }
    }
    if (obsAt >= 0) {
      row.update(obsAt, new GenericInternalRow(obs == null ? new Object[obsFields.size()] : obs));
    }
    return row;
  }
}
