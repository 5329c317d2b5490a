package org.cellspark.jobs.medians;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import java.util.stream.StreamSupport;
import org.apache.spark.api.java.function.FlatMapFunction;
import org.apache.spark.broadcast.Broadcast;
import org.apache.spark.sql.catalyst.InternalRow;
import org.apache.spark.sql.catalyst.expressions.GenericInternalRow;
import org.apache.spark.sql.catalyst.util.ArrayData;
import org.apache.spark.sql.types.DataType;
import org.apache.spark.sql.types.StructType;
import org.apache.spark.util.LongAccumulator;

/**
 * A task's cells as (gene number, depth-normalised value) rows, as the tokenizer normalises them:
 * {@code count / n_counts x 10,000} (n_counts from the annotations, else the cell's total), a
 * cell's columns with the same gene ID summed first, zeros left out, cells that fail filter_pass
 * left out. Input rows are (source, gene index, counts, obs).
 */
final class NormalizedValues implements FlatMapFunction<Iterator<InternalRow>, InternalRow> {
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

  /**
   * One accumulator slot per gene, so a cell's columns sharing a gene ID are summed in O(stored
   * values); cells are expanded one at a time (a lazy flatMap), so a task holds one cell's values,
   * not its range's.
   */
  @Override
  public Iterator<InternalRow> call(Iterator<InternalRow> cells) {
    double[] sum = new double[genes];
    int[] touched = new int[genes];
    Iterable<InternalRow> rows = () -> cells;
    return StreamSupport.stream(rows.spliterator(), false)
        .flatMap(r -> values(r, sum, touched))
        .iterator();
  }

  private Stream<InternalRow> values(InternalRow r, double[] sum, int[] touched) {
    InternalRow obs = r.getStruct(3, obsFields);
    if (filterField >= 0
        && !obs.isNullAt(filterField)
        && !passes(obs.get(filterField, filterType))) {
      filtered.add(1);
      return Stream.empty();
    }
    int[] slot = slotsOf.value().get(r.getUTF8String(0).toString());
    ArrayData geneIndex = r.getArray(1);
    ArrayData counts = r.getArray(2);
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
    List<InternalRow> emitted = new ArrayList<>(n);
    for (int k = 0; k < n; k++) {
      int g = touched[k];
      if (depth > 0 && sum[g] != 0) {
        emitted.add(new GenericInternalRow(new Object[] {g, sum[g] / depth * 10_000}));
      }
      sum[g] = 0;
    }
    return emitted.stream();
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
