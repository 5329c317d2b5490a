package org.cellspark.spark;

import ai.djl.Device;
import java.io.Serializable;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Iterator;
import java.util.List;
import java.util.Locale;
import java.util.NoSuchElementException;
import org.apache.spark.TaskContext;
import org.apache.spark.api.java.function.FlatMapFunction;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.catalyst.InternalRow;
import org.apache.spark.sql.catalyst.expressions.GenericInternalRow;
import org.apache.spark.sql.catalyst.expressions.UnsafeArrayData;
import org.apache.spark.sql.types.ArrayType;
import org.apache.spark.sql.types.DataType;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructField;
import org.apache.spark.sql.types.StructType;
import org.apache.spark.util.LongAccumulator;
import org.apache.spark.util.TaskCompletionListener;
import org.cellspark.error.UserException;
import org.cellspark.infer.CellEmbedder;
import org.cellspark.infer.EmbeddingSettings;
import org.cellspark.infer.InvalidCellException;
import org.cellspark.infer.ModelCheck;
import org.cellspark.model.Encoder;
import org.cellspark.model.Precision;
import org.cellspark.vocab.Vocabulary;

/**
 * The batched embedding transform: adds an {@code array<float>} column with each cell's embedding
 * to a table of tokenized cells. Each task reads its partition a window at a time (a few hundred
 * cells), embeds the window in length-grouped batches with the executor's shared model, and emits
 * the rows in their input order. Memory per task: one window of tokens and one batch of
 * activations, whatever the partition size.
 */
public final class EmbedTransform {
  private EmbedTransform() {}

  /**
   * @param model model folder or file, readable at the same path on every executor
   * @param inputColumn the tokens column, {@code array<int>}
   * @param outputColumn the new column
   * @param idColumn a column naming cells in messages (e.g. cell_id), or null
   * @param windowTokens tokens buffered per task before embedding (length grouping works within
   *     it); 0: 32 batches of the task's budget
   * @param precision fp32; fp16 on GPU executors; bf16 on GPU executors and CPUs (see {@link
   *     org.cellspark.model.PrecisionOnDevice})
   * @param progress counts embedded cells (for progress logs), or null
   */
  public record Options(
      String model,
      EmbeddingSettings settings,
      String inputColumn,
      String outputColumn,
      String idColumn,
      long windowTokens,
      Precision precision,
      LongAccumulator progress)
      implements Serializable {

    public static Options of(String model, EmbeddingSettings settings) {
      return new Options(
          model, settings, "input_ids", "embedding", "cell_id", 0, Precision.FP32, null);
    }

    public Options with(Precision p, LongAccumulator counter) {
      return new Options(
          model, settings, inputColumn, outputColumn, idColumn, windowTokens, p, counter);
    }
  }

  /** Checks the model against the tokens (their data only), then adds the embeddings. */
  public static Dataset<Row> apply(Dataset<Row> cells, Options o) {
    return apply(cells, o, null);
  }

  /**
   * Checks the model against the tokens and the vocabulary they were made with (one aggregation
   * over the tokens column; see {@link ModelCheck}), then adds the embeddings.
   */
  public static Dataset<Row> apply(Dataset<Row> cells, Options o, Vocabulary vocabulary) {
    Dataset<Row> out = unchecked(cells, o);
    ModelCheck.check(
        ResolvedModel.of(o.model()).config(),
        o.model(),
        TokenProfiles.of(cells, o.inputColumn(), o.idColumn(), vocabulary),
        o.settings());
    return out;
  }

  /**
   * Adds the embeddings without the model check (cells the model cannot take fail on executors).
   */
  public static Dataset<Row> unchecked(Dataset<Row> cells, Options o) {
    StructType in = cells.schema();
    int inputAt = fieldIndex(in, o.inputColumn());
    if (inputAt < 0) {
      throw UserException.of(
          "The table has no column '%s' (columns: %s)",
          o.inputColumn(), String.join(", ", in.fieldNames()));
    }
    DataType type = in.fields()[inputAt].dataType();
    if (!(type instanceof ArrayType a) || a.elementType() != DataTypes.IntegerType) {
      throw UserException.of(
          "Column '%s' is %s; token ids must be array<int> (as cellspark tokenize writes them)",
          o.inputColumn(), type.simpleString());
    }
    if (fieldIndex(in, o.outputColumn()) >= 0) {
      throw UserException.of(
          "The table already has a column '%s'; choose another output column", o.outputColumn());
    }
    int idAt = o.idColumn() == null ? -1 : fieldIndex(in, o.idColumn());
    List<StructField> fields = new ArrayList<>(Arrays.asList(in.fields()));
    fields.add(
        DataTypes.createStructField(
            o.outputColumn(), DataTypes.createArrayType(DataTypes.FloatType, false), true));
    StructType out = DataTypes.createStructType(fields);
    DataType[] types =
        Arrays.stream(in.fields()).map(StructField::dataType).toArray(DataType[]::new);
    var rows =
        cells
            .queryExecution()
            .toRdd()
            .toJavaRDD()
            .mapPartitions(new Partition(o, types, inputAt, idAt));
    return InternalRowsRelation.dataFrame(cells.sparkSession(), out, rows.rdd());
  }

  private static int fieldIndex(StructType t, String name) {
    return Arrays.asList(t.fieldNames()).indexOf(name);
  }

  /** One task's work: windows of rows in, the same rows plus an embedding out. */
  private static final class Partition
      implements FlatMapFunction<Iterator<InternalRow>, InternalRow> {
    private static final long serialVersionUID = 1L;
    private final Options options;
    private final DataType[] types;
    private final int inputAt;
    private final int idAt;

    Partition(Options options, DataType[] types, int inputAt, int idAt) {
      this.options = options;
      this.types = types;
      this.inputAt = inputAt;
      this.idAt = idAt;
    }

    @Override
    public Iterator<InternalRow> call(Iterator<InternalRow> rows) {
      Device device = TaskDevice.current();
      Encoder encoder = ModelCache.get(options.model(), device, options.precision());
      CellEmbedder embedder = new CellEmbedder(encoder, device, options.settings());
      TaskContext task = TaskContext.get();
      if (task != null) {
        task.addTaskCompletionListener((TaskCompletionListener) t -> embedder.close());
      }
      long windowTokens =
          options.windowTokens() > 0 ? options.windowTokens() : 32 * embedder.batchTokens();
      return new EmbeddedRows(rows, embedder, windowTokens, task == null);
    }

    /**
     * The task's rows with their embeddings: a window of rows read and embedded at a time, so that
     * length grouping works across the window and memory holds one window.
     */
    private final class EmbeddedRows implements Iterator<InternalRow> {
      private final Iterator<InternalRow> rows;
      private final CellEmbedder embedder;
      private final long windowTokens;
      private final boolean closeAtEnd;
      private final List<InternalRow> window = new ArrayList<>();
      private float[][] embeddings;
      private int next;
      private int windows;

      /**
       * @param closeAtEnd close the embedder after the last row (outside a Spark task, where no
       *     completion listener does)
       */
      EmbeddedRows(
          Iterator<InternalRow> rows,
          CellEmbedder embedder,
          long windowTokens,
          boolean closeAtEnd) {
        this.rows = rows;
        this.embedder = embedder;
        this.windowTokens = windowTokens;
        this.closeAtEnd = closeAtEnd;
      }

      @Override
      public boolean hasNext() {
        if (next < window.size()) {
          return true;
        }
        fill();
        if (window.isEmpty()) {
          if (closeAtEnd) {
            embedder.close();
          }
          return false;
        }
        return true;
      }

      @Override
      public InternalRow next() {
        if (!hasNext()) {
          throw new NoSuchElementException();
        }
        InternalRow r = window.get(next);
        float[] e = embeddings[next];
        next++;
        GenericInternalRow out = new GenericInternalRow(types.length + 1);
        for (int i = 0; i < types.length; i++) {
          out.update(i, r.isNullAt(i) ? null : r.get(i, types[i]));
        }
        out.update(types.length, e == null ? null : UnsafeArrayData.fromPrimitiveArray(e));
        return out;
      }

      private void fill() {
        if (windows++ == 1) {
          FaultInjection.midTask("embed"); // tests only: the first window is in the task's output
        }
        window.clear();
        next = 0;
        List<int[]> cells = new ArrayList<>();
        long tokens = 0;
        while (rows.hasNext() && tokens < windowTokens) {
          InternalRow r = rows.next().copy(); // the scan reuses its row objects
          int[] ids = r.isNullAt(inputAt) ? new int[0] : r.getArray(inputAt).toIntArray();
          window.add(r);
          cells.add(ids);
          tokens += Math.max(1, ids.length);
        }
        if (cells.isEmpty()) {
          return;
        }
        try {
          embeddings = embedder.embed(cells);
          if (options.progress() != null) {
            options.progress().add(cells.size());
          }
        } catch (InvalidCellException e) {
          throw invalid(window.get(e.position()), e);
        }
      }

      /** The refusal naming the cell (by its id column, when the table has one) and the model. */
      private UserException invalid(InternalRow bad, InvalidCellException e) {
        String id =
            idAt >= 0 && !bad.isNullAt(idAt)
                ? "cell '" + bad.get(idAt, types[idAt]) + "'"
                : "a cell";
        return new UserException(
            String.format(
                Locale.ROOT,
                "Model %s cannot embed %s (partition %d): %s",
                options.model(),
                id,
                TaskContext.getPartitionId(),
                e.getMessage()));
      }
    }
  }
}
