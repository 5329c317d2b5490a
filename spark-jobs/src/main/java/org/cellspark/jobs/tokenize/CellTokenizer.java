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
import org.apache.spark.unsafe.Platform;
import org.apache.spark.unsafe.types.UTF8String;
import org.cellspark.encode.CountCheck;
import org.cellspark.encode.RankValueEncoder;
import org.cellspark.error.UserException;
import org.cellspark.spark.FaultInjection;

/**
 * Executor side of {@code tokenize}: turns reader rows ({@code cell_id, source, gene_index, counts,
 * obs}) into token rows ({@code cell_id, input_ids, length, n_counts, source, attributes...}, then
 * with {@code --keep-counts} {@code counts}), dropping cells that fail {@code filter_pass} or have
 * no vocabulary gene, and refusing counts that are not raw counts with a message naming the file,
 * cell and gene.
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
    Scratch scratch = new Scratch();
    return new Iterator<>() {
      private InternalRow next;
      private long returned;

      @Override
      public boolean hasNext() {
        if (next == null && returned == 1) {
          FaultInjection.midTask("tokenize"); // tests only: one row is in the task's output
        }
        while (next == null && rows.hasNext()) {
          next = tokenize(p, encoder, scratch, rows.next());
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
        returned++;
        return r;
      }
    };
  }

  /** The token row for one cell, or null when the cell is dropped. */
  private InternalRow tokenize(
      TokenizePlan p, RankValueEncoder encoder, Scratch scratch, InternalRow in) {
    counters.cellsRead.add(1);
    String uri = in.getUTF8String(SOURCE).toString();
    TokenizePlan.FilePlan file = p.file(uri);
    InternalRow obs = in.getStruct(OBS, p.obsWidth());

    if (file.hasFilterPass() && !passes(obs, p.filterPassField(), p.filterPassType())) {
      counters.droppedFilterPass.add(1);
      return null;
    }
    int stored = scratch.load(in.getArray(GENE_INDEX), in.getArray(COUNTS));
    int[] genes = scratch.genes;
    double[] counts = scratch.counts;
    int bad = CountCheck.firstInvalid(counts, stored, p.allowNonInteger());
    if (bad >= 0) {
      throw invalidCount(p, file, in, genes[bad], counts[bad]);
    }

    double nCounts;
    if (file.hasNCounts()) {
      nCounts = number(obs, p.nCountsField(), p.nCountsType());
    } else {
      nCounts = 0;
      for (int i = 0; i < stored; i++) {
        nCounts += counts[i];
      }
      counters.nCountsComputed.add(1);
    }
    if (!(nCounts > 0) || Double.isInfinite(nCounts)) {
      if (hasNonZero(counts, stored)) {
        throw UserException.of(
            "Input %s, %s: n_counts is %s but the cell has counts; n_counts must be the cell's"
                + " total count (fix the obs column '%s', or drop it so Cellspark computes it)",
            file.name(),
            cell(in),
            Double.isNaN(nCounts) ? "missing" : String.valueOf(nCounts),
            "n_counts");
      }
      counters.droppedEmpty.add(1);
      return null;
    }
    int[] tokens = encoder.encode(file.mapping(), genes, counts, stored, nCounts);
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
    GenericInternalRow out = new GenericInternalRow(5 + attrs + (p.keepCounts() ? 1 : 0));
    UTF8String id = in.getUTF8String(CELL_ID);
    out.update(
        0,
        file.cellIdPrefix().isEmpty()
            ? id.copy()
            : UTF8String.fromString(file.cellIdPrefix() + id));
    out.update(1, UnsafeArrayData.fromPrimitiveArray(tokens));
    out.setInt(2, tokens.length);
    out.setDouble(3, nCounts);
    out.update(4, UTF8String.fromString(file.sourceName()));
    for (int a = 0; a < attrs; a++) {
      int field = p.attributeFields().get(a);
      out.update(
          5 + a, obs.isNullAt(field) ? null : copy(obs.get(field, p.attributeTypes().get(a))));
    }
    if (p.keepCounts()) {
      out.update(
          5 + attrs, UnsafeArrayData.fromPrimitiveArray(encoder.normalisedCountsOfLastCell()));
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

  private static boolean hasNonZero(double[] counts, int n) {
    for (int i = 0; i < n; i++) {
      if (counts[i] != 0) {
        return true;
      }
    }
    return false;
  }

  /**
   * A task's buffers for one cell's stored genes and counts, copied out of Spark's arrays without
   * allocating per cell (cells hold thousands of values; per-cell arrays were most of the garbage).
   */
  private static final class Scratch {
    int[] genes = new int[4096];
    double[] counts = new double[4096];

    int load(ArrayData geneArray, ArrayData countArray) {
      int n = geneArray.numElements();
      if (genes.length < n) {
        genes = new int[Math.max(n, genes.length * 2)];
        counts = new double[genes.length];
      }
      if (geneArray instanceof UnsafeArrayData g && countArray instanceof UnsafeArrayData c) {
        long header = UnsafeArrayData.calculateHeaderPortionInBytes(n);
        Platform.copyMemory(
            g.getBaseObject(),
            g.getBaseOffset() + header,
            genes,
            Platform.INT_ARRAY_OFFSET,
            4L * n);
        Platform.copyMemory(
            c.getBaseObject(),
            c.getBaseOffset() + header,
            counts,
            Platform.DOUBLE_ARRAY_OFFSET,
            8L * n);
      } else {
        for (int i = 0; i < n; i++) {
          genes[i] = geneArray.getInt(i);
          counts[i] = countArray.getDouble(i);
        }
      }
      return n;
    }
  }

  /** "cell 'ID' (row N)"; long tables have no rows in order (-1), so just the ID there. */
  private static String cell(InternalRow in) {
    long row = in.getLong(ROW_INDEX);
    return row < 0
        ? String.format(Locale.ROOT, "cell '%s'", in.getUTF8String(CELL_ID))
        : String.format(Locale.ROOT, "cell '%s' (row %d)", in.getUTF8String(CELL_ID), row);
  }

  private static UserException invalidCount(
      TokenizePlan p, TokenizePlan.FilePlan file, InternalRow in, int gene, double value) {
    String problem = CountCheck.problem(value, p.allowNonInteger());
    String what =
        String.format(
            Locale.ROOT,
            "Input %s, %s, gene %s (column %d): the count %s is %s.",
            file.name(),
            cell(in),
            file.geneIds()[gene],
            gene,
            value,
            problem);
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
