package org.cellspark.jobs.medians;

import java.io.Serializable;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.stream.StreamSupport;
import org.apache.spark.api.java.function.FlatMapFunction;
import org.apache.spark.broadcast.Broadcast;
import org.apache.spark.sql.catalyst.InternalRow;
import org.apache.spark.sql.catalyst.expressions.GenericInternalRow;
import org.apache.spark.sql.catalyst.util.ArrayData;
import org.apache.spark.sql.types.DataType;
import org.apache.spark.sql.types.StructType;
import org.apache.spark.unsafe.types.UTF8String;
import org.apache.spark.util.LongAccumulator;

/**
 * Cells' depth-normalised values per gene, as the tokenizer normalises them: {@code count /
 * n_counts x 10,000} (n_counts from the annotations, else the cell's total), a cell's columns with
 * the same gene ID summed first, zeros left out, cells that fail filter_pass left out. Input rows
 * are (source, gene index, counts, obs). Shipped to the tasks; each task reads its cells with a
 * {@link Reader} of its own.
 */
final class NormalizedValues implements Serializable {
  private static final long serialVersionUID = 1L;

  /** Where a cell's values go, one (gene number, value) pair at a time. */
  @FunctionalInterface
  interface Sink {
    void accept(int gene, double value);
  }

  private final Broadcast<Map<String, int[]>> slotsOf;
  private final int genes;
  private final int obsFields;
  private final int nCountsField;
  private final DataType nCountsType;
  private final int filterField;
  private final DataType filterType;
  private final LongAccumulator counted;
  private final LongAccumulator filtered;

  NormalizedValues(
      Broadcast<Map<String, int[]>> slotsOf,
      int genes,
      StructType obs,
      String nCountsColumn,
      String filterPassColumn,
      LongAccumulator counted,
      LongAccumulator filtered) {
    this.slotsOf = slotsOf;
    this.genes = genes;
    this.obsFields = obs.fields().length;
    this.nCountsField = Arrays.asList(obs.fieldNames()).indexOf(nCountsColumn);
    this.nCountsType = nCountsField < 0 ? null : obs.fields()[nCountsField].dataType();
    this.filterField = Arrays.asList(obs.fieldNames()).indexOf(filterPassColumn);
    this.filterType = filterField < 0 ? null : obs.fields()[filterField].dataType();
    this.counted = counted;
    this.filtered = filtered;
  }

  /** The number of genes: every gene number is below it. */
  int genes() {
    return genes;
  }

  /** A reader for one task's cells. */
  Reader reader() {
    return new Reader();
  }

  /**
   * The values as (gene number, value) rows, for Spark SQL's aggregates. Cells are expanded one at
   * a time (a lazy flatMap), so a task holds one cell's rows, not its range's.
   */
  FlatMapFunction<Iterator<InternalRow>, InternalRow> asRows() {
    return cells -> {
      Reader reader = reader();
      Iterable<InternalRow> in = () -> cells;
      return StreamSupport.stream(in.spliterator(), false)
          .flatMap(
              cell -> {
                List<InternalRow> rows = new ArrayList<>();
                reader.read(cell, (g, v) -> rows.add(new GenericInternalRow(new Object[] {g, v})));
                return rows.stream();
              })
          .iterator();
    };
  }

  /**
   * Reads cells into a {@link Sink}. One accumulator slot per gene, so a cell's columns sharing a
   * gene ID are summed in O(stored values); the slots are cleared after each cell, not reallocated.
   */
  final class Reader {
    private final Map<String, int[]> slots = slotsOf.value();
    private final double[] sum = new double[genes];
    private final int[] touched = new int[genes];
    // The last cell's input and its gene slots: cells come input by input, and looking the input's
    // path up in a map for every cell cost more than reading the cell's genes.
    private UTF8String source;
    private int[] slot;

    private Reader() {}

    /** Hands each non-zero normalised value of the cell to {@code sink}, in no set gene order. */
    void read(InternalRow cell, Sink sink) {
      InternalRow obs = cell.getStruct(3, obsFields);
      if (filterField >= 0
          && !obs.isNullAt(filterField)
          && !passes(obs.get(filterField, filterType))) {
        filtered.add(1);
        return;
      }
      UTF8String from = cell.getUTF8String(0);
      if (!from.equals(source)) {
        source = from.clone();
        slot = slots.get(from.toString());
      }
      ArrayData geneIndex = cell.getArray(1);
      ArrayData counts = cell.getArray(2);
      double total = 0;
      int n = 0;
      for (int k = 0; k < geneIndex.numElements(); k++) {
        double x = counts.getDouble(k);
        total += x;
        int g = slot[geneIndex.getInt(k)];
        if (g >= 0 && x != 0) {
          if (sum[g] == 0) {
            touched[n++] = g;
          }
          sum[g] += x;
        }
      }
      double depth =
          nCountsField >= 0 && !obs.isNullAt(nCountsField)
              ? ((Number) obs.get(nCountsField, nCountsType)).doubleValue()
              : total;
      counted.add(1);
      for (int k = 0; k < n; k++) {
        int g = touched[k];
        if (depth > 0 && sum[g] != 0) {
          sink.accept(g, sum[g] / depth * 10_000);
        }
        sum[g] = 0;
      }
    }
  }

  /**
   * filter_pass: 1 / true passes; a missing value passes (the column is absent for that cell's
   * input).
   */
  static boolean passes(Object v) {
    if (v == null) {
      return true;
    }
    return v instanceof Boolean b ? b : ((Number) v).doubleValue() == 1;
  }
}
