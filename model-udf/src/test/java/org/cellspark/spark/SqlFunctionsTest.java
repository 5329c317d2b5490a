package org.cellspark.spark;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.cellspark.testing.Vectors.floats;
import static org.cellspark.testing.Vectors.maxAbsDiff;

import com.google.gson.JsonArray;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import java.io.IOException;
import java.nio.file.Files;
import java.util.List;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.cellspark.error.UserException;
import org.cellspark.testing.Fixtures;
import org.cellspark.testing.SharedSpark;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/** The SQL functions, in a session made by SparkSessionFactory (which registers the extension). */
@ExtendWith(SharedSpark.class)
class SqlFunctionsTest {
  private JsonArray cells;

  @BeforeEach
  void setUp(SparkSession spark) throws IOException {
    JsonObject reference =
        JsonParser.parseString(Files.readString(Fixtures.vocab("models/reference.json")))
            .getAsJsonObject();
    cells = reference.getAsJsonObject("tiny-v2").getAsJsonArray("cells");
    StringBuilder values = new StringBuilder();
    for (int c = 0; c < cells.size(); c++) {
      values.append(c == 0 ? "" : ", ").append("('c").append(c).append("', array(");
      JsonArray ids = cells.get(c).getAsJsonObject().getAsJsonArray("input_ids");
      for (int i = 0; i < ids.size(); i++) {
        values.append(i == 0 ? "" : ", ").append(ids.get(i).getAsInt());
      }
      values.append("))");
    }
    spark.sql(
        "CREATE OR REPLACE TEMPORARY VIEW cells AS SELECT * FROM VALUES "
            + values
            + " AS t(cell_id, input_ids)");
    spark.sql("SET " + CellsparkSettings.MODEL.name() + "=" + Fixtures.vocab("models/tiny-v2"));
    spark.sql(
        "SET " + CellsparkSettings.VOCABULARY.name() + "=" + Fixtures.vocab("vocab-v2-small"));
  }

  @AfterEach
  void tearDown(SparkSession spark) {
    spark.conf().unset(CellsparkSettings.MODEL.name());
    spark.conf().unset(CellsparkSettings.VOCABULARY.name());
  }

  @Test
  void rowWiseAndBatchedFunctionsReturnPyTorchsEmbeddings(SparkSession spark) {
    List<Row> rowWise =
        spark
            .sql("SELECT cell_id, geneformer_embed(input_ids) AS e FROM cells ORDER BY cell_id")
            .collectAsList();
    List<Row> cls =
        spark
            .sql(
                "SELECT cell_id, geneformer_embed(input_ids, 'cls') AS e FROM cells ORDER BY"
                    + " cell_id")
            .collectAsList();
    List<Row> batched =
        spark
            .sql("SELECT cell_id, embedding FROM geneformer_embed_table('cells') ORDER BY cell_id")
            .collectAsList();
    assertThat(rowWise).hasSize(cells.size());
    for (int c = 0; c < cells.size(); c++) {
      JsonObject cell = cells.get(c).getAsJsonObject();
      float[] mean = floats(cell.getAsJsonObject("mean").getAsJsonArray("-1"));
      assertThat(maxAbsDiff(floats(rowWise.get(c).<Float>getList(1)), mean))
          .isLessThanOrEqualTo(1e-4);
      assertThat(maxAbsDiff(floats(batched.get(c).<Float>getList(1)), mean))
          .isLessThanOrEqualTo(1e-4);
      assertThat(
              maxAbsDiff(
                  floats(cls.get(c).<Float>getList(1)),
                  floats(cell.getAsJsonObject("cls").getAsJsonArray("-1"))))
          .isLessThanOrEqualTo(1e-4);
    }
  }

  @Test
  void describesItselfAndSaysWhatIsMissing(SparkSession spark) {
    String usage = spark.sql("DESCRIBE FUNCTION geneformer_embed").collectAsList().toString();
    assertThat(usage).contains("The Geneformer embedding of one tokenized cell");
    spark.conf().unset(CellsparkSettings.MODEL.name());
    assertThatThrownBy(() -> spark.sql("SELECT geneformer_embed(input_ids) FROM cells").collect())
        .satisfies(
            t ->
                assertThat(UserException.findIn(t).getMessage())
                    .contains(
                        "Set spark.cellspark.model to a model folder or TorchScript file first"));
  }

  @Test
  void theBatchBudgetSettingTakesANumberOrAutoAndRefusesAnythingElse(SparkSession spark) {
    String budget = CellsparkSettings.EMBED_BATCH_TOKENS.name();
    try {
      // A budget of 64 tokens: every cell in a batch of its own; the embeddings do not change.
      spark.sql("SET " + budget + "=64");
      List<Row> small =
          spark
              .sql(
                  "SELECT cell_id, embedding FROM geneformer_embed_table('cells') ORDER BY cell_id")
              .collectAsList();
      for (int c = 0; c < cells.size(); c++) {
        float[] mean =
            floats(cells.get(c).getAsJsonObject().getAsJsonObject("mean").getAsJsonArray("-1"));
        assertThat(maxAbsDiff(floats(small.get(c).<Float>getList(1)), mean))
            .isLessThanOrEqualTo(1e-4);
      }
      spark.sql("SET " + budget + "=none");
      assertThatThrownBy(() -> spark.sql("SELECT * FROM geneformer_embed_table('cells')").collect())
          .satisfies(
              t ->
                  assertThat(UserException.findIn(t).getMessage())
                      .contains(budget + " 'none' is not a number of tokens"));
    } finally {
      spark.conf().unset(budget);
    }
  }
}
