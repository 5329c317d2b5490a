package org.cellspark.spark;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.cellspark.testing.Vectors.floats;
import static org.cellspark.testing.Vectors.maxAbsDiff;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import com.google.gson.JsonArray;
import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import java.io.IOException;
import java.nio.file.Files;
import java.util.ArrayList;
import java.util.List;
import org.apache.spark.SparkException;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;
import org.cellspark.error.UserException;
import org.cellspark.infer.EmbeddingSettings;
import org.cellspark.infer.Pooling;
import org.cellspark.model.GpuReach;
import org.cellspark.model.Precision;
import org.cellspark.testing.Fixtures;
import org.cellspark.testing.SharedSpark;
import org.cellspark.testing.Vectors;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

@ExtendWith(SharedSpark.class)
class EmbedTransformTest {
  private static JsonObject reference;
  private static final String MODEL = Fixtures.vocab("models/tiny-v2").toString();
  private static final EmbeddingSettings MEAN =
      new EmbeddingSettings(-1, Pooling.MEAN, 64, 0, 2, 3);
  private static final StructType SCHEMA =
      new StructType()
          .add("cell_id", DataTypes.StringType)
          .add("input_ids", DataTypes.createArrayType(DataTypes.IntegerType))
          .add("donor", DataTypes.StringType);

  @BeforeAll
  static void read() throws IOException {
    reference =
        JsonParser.parseString(Files.readString(Fixtures.vocab("models/reference.json")))
            .getAsJsonObject();
  }

  /** 3 copies of the 4 reference cells, an empty cell and a null one, in 3 partitions. */
  private static Dataset<Row> cells(SparkSession spark, int partitions) {
    List<Row> rows = new ArrayList<>();
    JsonArray cells = reference.getAsJsonObject("tiny-v2").getAsJsonArray("cells");
    for (int copy = 0; copy < 3; copy++) {
      for (int c = 0; c < cells.size(); c++) {
        List<Integer> ids = new ArrayList<>();
        for (JsonElement t : cells.get(c).getAsJsonObject().getAsJsonArray("input_ids")) {
          ids.add(t.getAsInt());
        }
        rows.add(RowFactory.create("c" + copy + "_" + c, ids, "donor" + copy));
      }
      if (copy == 1) {
        rows.add(RowFactory.create("empty", List.of(), "donor1"));
        rows.add(RowFactory.create("null", null, "donor1"));
      }
    }
    return spark.createDataFrame(rows, SCHEMA).repartition(partitions);
  }

  private static float[] expected(int cell) {
    return floats(
        reference
            .getAsJsonObject("tiny-v2")
            .getAsJsonArray("cells")
            .get(cell)
            .getAsJsonObject()
            .getAsJsonObject("mean")
            .getAsJsonArray("-1"));
  }

  @Test
  void embedsEveryCellIntoItsOwnRow(SparkSession spark) {
    Dataset<Row> in = cells(spark, 3);
    Dataset<Row> out = EmbedTransform.apply(in, EmbedTransform.Options.of(MODEL, MEAN));
    assertThat(out.columns()).containsExactly("cell_id", "input_ids", "donor", "embedding");
    List<Row> rows = out.collectAsList();
    assertThat(rows).hasSize(14);
    for (Row r : rows) {
      String id = r.getString(0);
      if (id.equals("empty") || id.equals("null")) {
        assertThat(r.isNullAt(3)).as(id).isTrue();
        continue;
      }
      int cell = Integer.parseInt(id.substring(id.indexOf('_') + 1));
      float[] actual = floats(r.<Float>getList(3));
      assertThat(maxAbsDiff(actual, expected(cell))).as(id).isLessThanOrEqualTo(1e-4);
      assertThat(r.getString(2)).isEqualTo("donor" + id.charAt(1));
    }
  }

  /** Rows filtered out before the transform (and empty cells among the rest) shift nothing. */
  @Test
  void filteredRowsDoNotShiftEmbeddingsOntoOtherCells(SparkSession spark) {
    Dataset<Row> in = cells(spark, 3).where("donor != 'donor0' AND cell_id != 'c2_1'");
    List<Row> rows =
        EmbedTransform.apply(in, EmbedTransform.Options.of(MODEL, MEAN)).collectAsList();
    assertThat(rows).hasSize(9); // 14 - 4 (donor0) - 1
    for (Row r : rows) {
      String id = r.getString(0);
      if (r.isNullAt(3)) {
        assertThat(id).isIn("empty", "null");
        continue;
      }
      float[] actual = floats(r.<Float>getList(3));
      assertThat(maxAbsDiff(actual, expected(Integer.parseInt(id.substring(id.indexOf('_') + 1)))))
          .as(id)
          .isLessThanOrEqualTo(1e-4);
    }
  }

  @Test
  void partitioningDoesNotChangeEmbeddingsAndTheModelLoadsOnce(SparkSession spark) {
    List<Row> one =
        EmbedTransform.apply(cells(spark, 1), EmbedTransform.Options.of(MODEL, MEAN))
            .orderBy("cell_id")
            .collectAsList();
    List<Row> seven =
        EmbedTransform.apply(cells(spark, 7), EmbedTransform.Options.of(MODEL, MEAN))
            .orderBy("cell_id")
            .collectAsList();
    for (int i = 0; i < one.size(); i++) {
      assertThat(seven.get(i).getString(0)).isEqualTo(one.get(i).getString(0));
      if (!one.get(i).isNullAt(3)) {
        List<Float> a = one.get(i).getList(3);
        List<Float> b = seven.get(i).getList(3);
        for (int k = 0; k < a.size(); k++) {
          assertThat((double) Math.abs(a.get(k) - b.get(k))).isLessThanOrEqualTo(1e-5);
        }
      }
    }
    assertThat(ModelCache.size()).isEqualTo(1); // local mode: one JVM, one model
  }

  @Test
  void refusesBadInputsNamingTheCellOrColumn(SparkSession spark) {
    Dataset<Row> bad =
        spark.createDataFrame(
            List.of(
                RowFactory.create("ok", List.of(2, 5, 3), "d"),
                RowFactory.create("out_of_vocab", List.of(2, 99, 3), "d")),
            SCHEMA);
    // Checked before any embedding: the model's vocabulary has 34 entries.
    assertThatThrownBy(() -> EmbedTransform.apply(bad, EmbedTransform.Options.of(MODEL, MEAN)))
        .isInstanceOf(UserException.class)
        .hasMessageContaining(
            "the tokens include id 99 (cell 'out_of_vocab') but the model's vocabulary has 34"
                + " entries");
    // A table without the id column: the id alone.
    assertThatThrownBy(
            () -> EmbedTransform.apply(bad.drop("cell_id"), EmbedTransform.Options.of(MODEL, MEAN)))
        .isInstanceOf(UserException.class)
        .hasMessageContaining("the tokens include id 99 but the model's vocabulary has 34 entries");
    // Unchecked, the executor names the cell.
    assertThatThrownBy(
            () ->
                EmbedTransform.unchecked(bad, EmbedTransform.Options.of(MODEL, MEAN))
                    .collectAsList())
        .isInstanceOf(SparkException.class)
        .satisfies(
            t ->
                assertThat(UserException.findIn(t).getMessage())
                    .contains("cannot embed cell 'out_of_vocab'")
                    .contains("token id 99 is outside the model's vocabulary (vocab_size 34)"));
    Dataset<Row> longs = spark.sql("SELECT 'x' AS cell_id, array(2L, 5L) AS input_ids");
    assertThatThrownBy(() -> EmbedTransform.apply(longs, EmbedTransform.Options.of(MODEL, MEAN)))
        .isInstanceOf(UserException.class)
        .hasMessageContaining("Column 'input_ids' is array<bigint>; token ids must be array<int>");
  }

  @Test
  void checksTheVocabularyTheTokensWereMadeWith(SparkSession spark) {
    Dataset<Row> v1Cells =
        spark.createDataFrame(List.of(RowFactory.create("a", List.of(5, 6, 7), "d")), SCHEMA);
    var v1 = org.cellspark.vocab.VocabularyLoader.load(Fixtures.vocab("vocab-v1-small"));
    assertThatThrownBy(
            () -> EmbedTransform.apply(v1Cells, EmbedTransform.Options.of(MODEL, MEAN), v1))
        .isInstanceOf(UserException.class)
        .hasMessageContaining(
            "the tokens were made with a V1 vocabulary (32 tokens) but the model has vocab_size"
                + " 34");
  }

  /**
   * CPU executors run bf16 (fast where the CPU has bf16 instructions) and refuse fp16, naming the
   * reason, before any model is loaded.
   */
  @Test
  void aCpuTaskEmbedsInBf16AndRefusesFp16(SparkSession spark) {
    List<Row> bf16 =
        EmbedTransform.apply(
                cells(spark, 2), EmbedTransform.Options.of(MODEL, MEAN).with(Precision.BF16, null))
            .collectAsList();
    for (Row r : bf16) {
      String id = r.getString(0);
      if (!r.isNullAt(3)) {
        int cell = Integer.parseInt(id.substring(id.indexOf('_') + 1));
        assertThat(Vectors.cosine(floats(r.<Float>getList(3)), expected(cell)))
            .as(id + ": bf16 against PyTorch's fp32")
            .isGreaterThan(0.995);
      }
    }
    assertThatThrownBy(
            () ->
                EmbedTransform.apply(
                        cells(spark, 2),
                        EmbedTransform.Options.of(MODEL, MEAN).with(Precision.FP16, null))
                    .collectAsList())
        .satisfies(
            t ->
                assertThat(UserException.findIn(t).getMessage())
                    .contains("--precision fp16 needs GPU executors"));
  }

  /**
   * Embedded Spark's tasks take the machine's GPU where spark.cellspark.embedded.gpus says so, set
   * on the session: here, with libtorch's CPU build, the task's model load onto GPU 0 is refused
   * with what to install (GpuReach), which shows the task did choose the GPU.
   */
  @Test
  void anEmbeddedSessionsTasksTakeTheGpusItNames(SparkSession spark) {
    assumeTrue(GpuReach.gpus() == 0, "this machine's libtorch reaches a GPU");
    String key = CellsparkSettings.EMBEDDED_GPUS.name();
    spark.conf().set(key, "0");
    try {
      Dataset<Row> in = cells(spark, 2);
      assertThatThrownBy(
              () ->
                  EmbedTransform.apply(in, EmbedTransform.Options.of(MODEL, MEAN)).collectAsList())
          .satisfies(
              e ->
                  assertThat(UserException.findIn(e))
                      .isNotNull()
                      .hasMessageStartingWith("This task was given GPU 0"));
    } finally {
      spark.conf().unset(key);
    }
    // Unset, the session is back on the CPU.
    assertThat(
            EmbedTransform.apply(cells(spark, 2), EmbedTransform.Options.of(MODEL, MEAN)).count())
        .isEqualTo(14);
  }
}
