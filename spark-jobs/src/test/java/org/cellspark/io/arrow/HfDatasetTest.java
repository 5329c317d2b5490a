package org.cellspark.io.arrow;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.apache.commons.io.FileUtils;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.types.DataTypes;
import org.cellspark.error.UserException;
import org.cellspark.jobs.common.SparkJobs;
import org.cellspark.testing.Fixtures;
import org.cellspark.testing.SharedSpark;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

/**
 * Hugging Face datasets as upstream's tokenizer saves them, read with {@code format("hf_dataset")}:
 * the fixtures were written by Apache Arrow's JavaScript implementation (src/test/node) from
 * fixtures/atlas/expected.json, which is what every value here is checked against.
 */
@ExtendWith(SharedSpark.class)
class HfDatasetTest {
  private static final String SOURCE = "hf_dataset";
  @TempDir Path tmp;

  /** expected.json's V2 cells in its order: [cell_id, tokens, obs]. */
  private static List<Object[]> expectedCells(String version) throws IOException {
    JsonNode json = new ObjectMapper().readTree(Fixtures.atlas("expected.json").toFile());
    Map<String, JsonNode> obs = new java.util.HashMap<>();
    json.get("cells").forEach(c -> obs.put(c.get("cell_id").asText(), c.get("obs")));
    List<Object[]> out = new ArrayList<>();
    for (Map.Entry<String, JsonNode> e : json.get(version).get("tokens").properties()) {
      List<Long> tokens = new ArrayList<>();
      e.getValue().forEach(t -> tokens.add(t.asLong()));
      out.add(new Object[] {e.getKey(), tokens, obs.get(e.getKey())});
    }
    return out;
  }

  private static List<Row> inDatasetOrder(Dataset<Row> rows) {
    return rows.orderBy("_metadata.file_name", "_metadata.row_index").collectAsList();
  }

  @Test
  void readsTokensAndAttributesAsWritten(SparkSession spark) throws IOException {
    String dataset = Fixtures.huggingFace("v2_tokens.dataset").toString();
    Dataset<Row> table = spark.read().format(SOURCE).load(dataset);
    assertThat(table.schema().apply("input_ids").dataType())
        .isEqualTo(DataTypes.createArrayType(DataTypes.LongType, true));
    assertThat(table.schema().apply("score").dataType()).isEqualTo(DataTypes.FloatType);
    assertThat(table.columns()).doesNotContain("note"); // Arrow's null type: left out
    assertThat(HfDataset.open(spark.sessionState().newHadoopConf(), dataset).leftOut())
        .containsOnlyKeys("note");

    List<Row> rows =
        inDatasetOrder(
            table.select(
                "input_ids",
                "length",
                "cell_type",
                "donor",
                "age",
                "batch",
                "flag",
                "is_control",
                "n_counts",
                "score",
                "cell_barcode",
                "_metadata.file_name",
                "_metadata.row_index"));
    List<Object[]> expected = expectedCells("v2");
    assertThat(rows).hasSize(expected.size());
    long firstShard = rows.stream().filter(r -> r.getString(11).startsWith("data-00000")).count();
    for (int i = 0; i < rows.size(); i++) {
      Row r = rows.get(i);
      Object[] e = expected.get(i);
      JsonNode obs = (JsonNode) e[2];
      assertThat(r.getString(10)).as("row %d", i).isEqualTo(e[0]);
      assertThat(r.<Long>getList(0)).as("%s input_ids", e[0]).isEqualTo(e[1]);
      assertThat(r.getLong(1)).isEqualTo(((List<?>) e[1]).size());
      assertThat(r.get(2))
          .isEqualTo(obs.get("cell_type").isNull() ? null : obs.get("cell_type").asText());
      assertThat(r.getString(3)).isEqualTo(obs.get("donor").asText());
      assertThat(r.getLong(4)).isEqualTo(obs.get("age").asLong());
      assertThat(r.get(5)).isEqualTo(obs.get("batch").isNull() ? null : obs.get("batch").asLong());
      assertThat(r.get(6)).isEqualTo(obs.get("flag").isNull() ? null : obs.get("flag").asBoolean());
      assertThat(r.getBoolean(7)).isEqualTo(obs.get("is_control").asBoolean());
      assertThat(r.getDouble(8)).isEqualTo(obs.get("n_counts").asDouble());
      assertThat(r.getFloat(9)).isEqualTo((float) obs.get("score").asDouble());
      // Rows are numbered within their own file.
      assertThat(r.getLong(12)).isEqualTo(i < firstShard ? i : i - firstShard);
    }
    assertThat(firstShard).isEqualTo((expected.size() + 1) / 2); // datasets' contiguous shards
  }

  @Test
  void largeFilesAreReadAsRunsOfRecordBatchesWithTheSameRows(SparkSession spark) {
    String dataset = Fixtures.huggingFace("v2_tokens.dataset").toString();
    List<Row> whole =
        inDatasetOrder(
            spark
                .read()
                .format(SOURCE)
                .load(dataset)
                .select("cell_barcode", "input_ids", "_metadata.file_name", "_metadata.row_index"));
    // A split size below one file's size: each file is cut between its record batches (8 rows).
    SparkJobs.withSessionConf(
        spark,
        "spark.sql.files.maxPartitionBytes",
        "3000",
        () -> {
          Dataset<Row> split =
              spark
                  .read()
                  .format(SOURCE)
                  .load(dataset)
                  .select(
                      "cell_barcode", "input_ids", "_metadata.file_name", "_metadata.row_index");
          assertThat(split.rdd().getNumPartitions()).isGreaterThan(2);
          assertThat(inDatasetOrder(split)).isEqualTo(whole);
        });
    assertThat(spark.read().format(SOURCE).load(dataset).rdd().getNumPartitions()).isEqualTo(2);
  }

  @Test
  void oneArrowFileAsDatasetFromFileOpensIt(SparkSession spark) throws IOException {
    List<Object[]> expected = expectedCells("v1");
    Path shard = Fixtures.huggingFace("v1_tokens.dataset").resolve("data-00001-of-00002.arrow");
    List<Row> second =
        inDatasetOrder(
            spark.read().format(SOURCE).load(shard.toString()).select("cell_id", "input_ids"));
    int firstShard = (expected.size() + 1) / 2;
    assertThat(second).hasSize(expected.size() - firstShard);
    for (int i = 0; i < second.size(); i++) {
      assertThat(second.get(i).getString(0)).isEqualTo(expected.get(firstShard + i)[0]);
      assertThat(second.get(i).<Long>getList(1)).isEqualTo(expected.get(firstShard + i)[1]);
    }
  }

  @Test
  void datasetsThatCannotBeReadAreRefusedByName(SparkSession spark) throws IOException {
    Path source = Fixtures.huggingFace("v1_tokens.dataset");

    Path dict = tmp.resolve("dict.dataset");
    copy(source, dict.resolve("train"));
    copy(source, dict.resolve("test"));
    Files.writeString(dict.resolve("dataset_dict.json"), "{\"splits\": [\"train\", \"test\"]}");
    assertThatThrownBy(() -> spark.read().format(SOURCE).load(dict.toString()))
        .isInstanceOf(UserException.class)
        .hasMessageContaining("DatasetDict (splits: train, test)")
        .hasMessageContaining(dict.resolve("train").toString());
    assertThat(spark.read().format(SOURCE).load(dict.resolve("test").toString()).count())
        .isEqualTo(37);

    Path incomplete = tmp.resolve("incomplete.dataset");
    copy(source, incomplete);
    Files.delete(incomplete.resolve("data-00001-of-00002.arrow"));
    assertThatThrownBy(() -> spark.read().format(SOURCE).load(incomplete.toString()))
        .hasMessageContaining("lists data-00001-of-00002.arrow, which is not in the folder");

    Path indexed = tmp.resolve("indexed.dataset");
    copy(source, indexed);
    String state = Files.readString(indexed.resolve("state.json"));
    Files.writeString(
        indexed.resolve("state.json"),
        state.replaceFirst(
            "\\{", "{\"_indices_data_files\": [{\"filename\": \"indices.arrow\"}],"));
    assertThatThrownBy(() -> spark.read().format(SOURCE).load(indexed.toString()))
        .hasMessageContaining("indices mapping")
        .hasMessageContaining("flatten_indices()");

    Path notArrow = tmp.resolve("cells.arrow");
    Files.writeString(notArrow, "cell_id,input_ids\nc1,\"[1,2,3]\"\n");
    assertThatThrownBy(() -> spark.read().format(SOURCE).load(notArrow.toString()))
        .hasMessageContaining(notArrow.toString())
        .hasMessageContaining("is not an Arrow IPC stream");

    // The random-access IPC file format (Feather V2), written by Arrow's JavaScript library.
    Path ipcFile = Fixtures.huggingFace("v1_tokens_ipc_file.arrow");
    assertThatThrownBy(() -> spark.read().format(SOURCE).load(ipcFile.toString()))
        .hasMessageContaining(ipcFile.toString())
        .hasMessageContaining("is an Arrow IPC file")
        .hasMessageContaining("Parquet");

    // A file whose columns differ from the first file's is named.
    Path mixed = tmp.resolve("mixed.dataset");
    copy(source, mixed);
    Files.copy(
        Fixtures.huggingFace("v2_tokens.dataset").resolve("data-00001-of-00002.arrow"),
        mixed.resolve("data-00001-of-00002.arrow"),
        StandardCopyOption.REPLACE_EXISTING);
    assertThatThrownBy(
            () ->
                spark
                    .read()
                    .format(SOURCE)
                    .load(mixed.toString())
                    .select("cell_id")
                    .collectAsList())
        .satisfies(
            e ->
                assertThat(UserException.findIn(e))
                    .isNotNull()
                    .hasMessageContaining("data-00001-of-00002.arrow: column 'cell_id' is missing")
                    .hasMessageContaining("must share their columns"));

    Path cut = tmp.resolve("cut.dataset");
    copy(source, cut);
    Path second = cut.resolve("data-00001-of-00002.arrow");
    byte[] bytes = Files.readAllBytes(second);
    Files.write(second, java.util.Arrays.copyOf(bytes, bytes.length / 2));
    assertThatThrownBy(() -> spark.read().format(SOURCE).load(cut.toString()).count())
        .satisfies(
            e ->
                assertThat(UserException.findIn(e))
                    .isNotNull()
                    .hasMessageContaining(second.toUri().getPath())
                    .hasMessageContaining("damaged or cut short"));
  }

  private static void copy(Path from, Path to) throws IOException {
    FileUtils.copyDirectory(from.toFile(), to.toFile());
  }
}
