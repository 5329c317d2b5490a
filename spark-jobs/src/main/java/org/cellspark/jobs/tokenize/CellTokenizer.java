package org.cellspark.jobs.tokenize;

import java.util.Iterator;
import java.util.Locale;
import java.util.NoSuchElementException;
import org.apache.spark.api.java.function.FlatMapFunction;
import org.apache.spark.broadcast.Broadcast;
import org.apache.spark.sql.catalyst.InternalRow;
import org.apache.spark.sql.catalyst.expressions.GenericInternalRow;
import org.apache.spark.sql.catalyst.expressions.UnsafeArrayData;
import org.apache.spark.sql.catalyst.util.ArrayData;
import org.apache.spark.sql.types.DataType;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.unsafe.types.UTF8String;
import org.cellspark.encode.CountCheck;
import org.cellspark.encode.RankValueEncoder;
import org.cellspark.error.UserException;

/**
 * Executor side of {@code tokenize}: turns reader rows ({@code cell_id, source, gene_index, counts,
 * obs}) into token rows ({@code cell_id, input_ids, length, n_counts, source, attributes...}),
 * dropping cells that fail {@code filter_pass} or have no vocabulary gene, and refusing counts that
 * are not raw counts with a message naming the file, cell and gene.
 */
final class CellTokenizer implements FlatMapFunction<Iterator<InternalRow>, InternalRow> {
  private static final long serialVersionUID = 1L;

  /** Positions in the reader rows the job selects. */
  static final int CELL_ID = 0;
  static final int SOURCE = 1;
  static final int ROW_INDEX = 2;
  static final int GENE_INDEX = 3;
  static final int COUNTS = 4;
  static final int OBS = 5;

  private final Broadcast<TokenizePlan> plan;
  private final TokenizeCounters counters;

  CellTokenizer(Broadcast<TokenizePlan> plan, TokenizeCounters counters) {
    this.plan = plan;
    this.counters = counters;
  }

  @Override
  public Iterator<InternalRow> call(Iterator<InternalRow> rows) {
    TokenizePlan p = plan.value();
    RankValueEncoder encoder = new RankValueEncoder(p.settings());
    return new Iterator<>() {
      private InternalRow next;

      @Override
      public boolean hasNext() {
        while (next == null && rows.hasNext()) {
          next = tokenize(p, encoder, rows.next());
        }
        return next != null;
      }

      @Override
      public InternalRow next() {
        if (!hasNext()) {
          throw new NoSuchElementException();
        }
        InternalRow r = next;
        next = null;
        return r;
      }
    };
  }

  /** The token row for one cell, or null when the cell is dropped. */
  private InternalRow tokenize(TokenizePlan p, RankValueEncoder encoder, InternalRow in) {
    counters.cellsRead.add(1);
    String uri = in.getUTF8String(SOURCE).toString();
    TokenizePlan.FilePlan file = p.file(uri);
    InternalRow obs = in.getStruct(OBS, p.obsWidth());

    if (file.hasFilterPass() && !passes(obs, p.filterPassField(), p.filterPassType())) {
      counters.droppedFilterPass.add(1);
      return null;
    }
    ArrayData geneArray = in.getArray(GENE_INDEX);
    ArrayData countArray = in.getArray(COUNTS);
    int[] genes = geneArray.toIntArray();
    double[] counts = countArray.toDoubleArray();
    int bad = CountCheck.firstInvalid(counts, counts.length, p.allowNonInteger());
    if (bad >= 0) {
      throw invalidCount(p, file, in, genes[bad], counts[bad]);
    }

    double nCounts;
    if (file.hasNCounts()) {
      nCounts = number(obs, p.nCountsField(), p.nCountsType());
    } else {
      nCounts = 0;
      for (double c : counts) {
        nCounts += c;
      }
      counters.nCountsComputed.add(1);
    }
    if (!(nCounts > 0) || Double.isInfinite(nCounts)) {
      if (hasNonZero(counts)) {
        throw UserException.of(
            "Input %s, cell '%s' (row %d): n_counts is %s but the cell has counts; n_counts must be"
                + " the cell's total count (fix the obs column '%s', or drop it so Cellspark computes"
                + " it)",
            file.name(), in.getUTF8String(CELL_ID), in.getLong(ROW_INDEX),
            Double.isNaN(nCounts) ? "missing" : String.valueOf(nCounts), "n_counts");
      }
      counters.droppedEmpty.add(1);
      return null;
    }
    int[] tokens = encoder.encode(file.mapping(), genes, counts, genes.length, nCounts);
    if (tokens.length == 0) {
      counters.droppedEmpty.add(1);
      return null;
    }
    if (encoder.rankedGenesOfLastCell() > p.settings().maxGenes()) {
      counters.truncated.add(1);
    }
    counters.cellsWritten.add(1);
    counters.tokensWritten.add(tokens.length);

    int attrs = p.attributeFields().size();
    GenericInternalRow out = new GenericInternalRow(5 + attrs);
    UTF8String id = in.getUTF8String(CELL_ID);
    out.update(0, file.cellIdPrefix().isEmpty() ? id.copy() : UTF8String.fromString(file.cellIdPrefix() + id));
    out.update(1, UnsafeArrayData.fromPrimitiveArray(tokens));
    out.setInt(2, tokens.length);
    out.setDouble(3, nCounts);
    out.update(4, UTF8String.fromString(file.sourceName()));
    for (int a = 0; a < attrs; a++) {
      int field = p.attributeFields().get(a);
      out.update(5 + a, obs.isNullAt(field) ? null : copy(obs.get(field, p.attributeTypes().get(a))));
    }
    return out;
  }

  private static Object copy(Object v) {
    return v instanceof UTF8String s ? s.copy() : v; // reader rows may reuse their buffers
  }

  /** Upstream keeps cells whose filter_pass == 1; missing values (NaN upstream) fail. */
  private static boolean passes(InternalRow obs, int field, DataType type) {
    if (obs.isNullAt(field)) {
      return false;
    }
    if (type == DataTypes.BooleanType) {
      return obs.getBoolean(field);
    }
    return number(obs, field, type) == 1.0;
  }

  private static double number(InternalRow obs, int field, DataType type) {
    if (field < 0 || obs.isNullAt(field)) {
      return Double.NaN;
    }
    return type == DataTypes.LongType ? obs.getLong(field) : obs.getDouble(field);
  }

  private static boolean hasNonZero(double[] counts) {
    for (double c : counts) {
      if (c != 0) {
        return true;
      }
    }
    return false;
  }

  private static UserException invalidCount(
      TokenizePlan p, TokenizePlan.FilePlan file, InternalRow in, int gene, double value) {
    String problem = CountCheck.problem(value, p.allowNonInteger());
    String what =
        String.format(
            Locale.ROOT,
            "Input %s, cell '%s' (row %d), gene %s (column %d): the count %s is %s.",
            file.name(), in.getUTF8String(CELL_ID), in.getLong(ROW_INDEX), file.geneIds()[gene], gene,
            value, problem);
    String fix =
        "not an integer".equals(problem)
            ? " The matrix looks normalised; Geneformer needs raw counts. Point --counts at them"
                + " (e.g. --counts raw or --counts layers/counts), or pass --allow-non-integer if"
                + " these really are counts (e.g. after ambient-RNA correction)."
            : " Geneformer needs raw counts: point --counts at the raw counts (e.g. --counts raw or"
                + " --counts layers/counts).";
    return new UserException(what + fix);
  }
}
