package org.cellspark.jobs.tokenize;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.InputStream;
import java.nio.channels.Channels;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.apache.arrow.vector.ipc.ReadChannel;
import org.apache.arrow.vector.ipc.message.MessageSerializer;
import org.apache.arrow.vector.types.pojo.Field;
import org.apache.arrow.vector.types.pojo.Schema;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.cellspark.jobs.common.TokenTable;
import org.cellspark.jobs.embed.EmbedJob;
import org.cellspark.jobs.embed.EmbedOptions;
import org.cellspark.testing.Fixtures;
import org.cellspark.testing.SharedSpark;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code tokenize --output-format dataset}: the token table in save_to_disk's layout, as datasets'
 * load_from_disk opens it. The layout and the features are checked against datasets' format as
 * written out here by hand (datasets itself cannot be installed on the build machines), the tokens
 * against expected.json (computed independently), and the rows against the Parquet output.
 */
@ExtendWith(SharedSpark.class)
class DatasetOutputTest {
  private static final org.apache.spark.sql.Column[] COLUMNS =
      Stream.of(
              "cell_id",
              "input_ids",
              "length",
              "n_counts",
              "source",
              "cell_type",
              "age",
              "batch",
              "flag",
              "score")
          .map(org.apache.spark.sql.functions::col)
          .toArray(org.apache.spark.sql.Column[]::new);

  @TempDir Path tmp;

  private static TokenizeOptions.Builder options(Path out) {
    return TokenizeOptions.builder()
        .input(Fixtures.atlas("csr_float32_gzip.h5ad").toString())
        .vocabulary(Fixtures.vocab("vocab-v2-small").toString())
        .attribute("cell_type")
        .attribute("age") // integers, with nulls (batch), booleans with nulls (flag), floats
        .attribute("batch")
        .attribute("flag")
        .attribute("score")
        .partitions(3)
        .output(out.toString());
  }

  @Test
  void aDatasetAsLoadFromDiskOpensIt(SparkSession spark) throws IOException {
    Path dataset = tmp.resolve("tokens.dataset");
    TokenizeResult r =
        TokenizeJob.run(spark, options(dataset).outputFormat(OutputFormat.DATASET).build());
    Path parquet = tmp.resolve("tokens.parquet");
    TokenizeJob.run(spark, options(parquet).build());

    // state.json: the data files in order, as save_to_disk names them; each file is there.
    ObjectMapper json = new ObjectMapper();
    JsonNode state = json.readTree(dataset.resolve("state.json").toFile());
    List<String> files = new ArrayList<>();
    state.get("_data_files").forEach(f -> files.add(f.get("filename").asText()));
    assertThat(files).isNotEmpty();
    for (int i = 0; i < files.size(); i++) {
      assertThat(files.get(i)).isEqualTo(String.format("data-%05d-of-%05d.arrow", i, files.size()));
      assertThat(dataset.resolve(files.get(i))).isRegularFile();
    }
    assertThat(state.get("_fingerprint").asText()).hasSize(16);
    assertThat(state.get("_format_type").isNull()).isTrue();
    List<String> expectedNames = new ArrayList<>(files);
    expectedNames.addAll(List.of("state.json", "dataset_info.json", "_cellspark.json"));
    try (Stream<Path> all = Files.list(dataset)) {
      assertThat(
              all.map(p -> p.getFileName().toString())
                  .filter(n -> !n.endsWith(".crc")) // the local file system's checksums
                  .toList())
          .as("nothing else, and no file written aside, is left")
          .containsExactlyInAnyOrderElementsOf(expectedNames);
    }

    // dataset_info.json's features, as datasets writes them for these Arrow types.
    JsonNode expectedFeatures =
        json.readTree(
            "{\"cell_id\": {\"dtype\": \"string\", \"_type\": \"Value\"},"
                + " \"input_ids\": {\"feature\": {\"dtype\": \"int32\", \"_type\": \"Value\"},"
                + " \"_type\": \"Sequence\"},"
                + " \"length\": {\"dtype\": \"int32\", \"_type\": \"Value\"},"
                + " \"n_counts\": {\"dtype\": \"float64\", \"_type\": \"Value\"},"
                + " \"source\": {\"dtype\": \"string\", \"_type\": \"Value\"},"
                + " \"cell_type\": {\"dtype\": \"string\", \"_type\": \"Value\"},"
                + " \"age\": {\"dtype\": \"int64\", \"_type\": \"Value\"},"
                + " \"batch\": {\"dtype\": \"int64\", \"_type\": \"Value\"},"
                + " \"flag\": {\"dtype\": \"bool\", \"_type\": \"Value\"},"
                + " \"score\": {\"dtype\": \"float64\", \"_type\": \"Value\"}}");
    JsonNode info = json.readTree(dataset.resolve("dataset_info.json").toFile());
    assertThat(info.get("features")).isEqualTo(expectedFeatures);

    // Each file's Arrow schema: the types those features mean to pyarrow (a list's element is
    // "item"), and the same features in its "huggingface" metadata.
    for (String f : files) {
      Schema schema;
      try (InputStream in = Files.newInputStream(dataset.resolve(f))) {
        schema = MessageSerializer.deserializeSchema(new ReadChannel(Channels.newChannel(in)));
      }
      Map<String, String> types = new HashMap<>();
      for (Field field : schema.getFields()) {
        types.put(field.getName(), field.getType().toString());
      }
      assertThat(types)
          .containsOnly(
              Map.entry("cell_id", "Utf8"),
              Map.entry("input_ids", "List"),
              Map.entry("length", "Int(32, true)"),
              Map.entry("n_counts", "FloatingPoint(DOUBLE)"),
              Map.entry("source", "Utf8"),
              Map.entry("cell_type", "Utf8"),
              Map.entry("age", "Int(64, true)"),
              Map.entry("batch", "Int(64, true)"),
              Map.entry("flag", "Bool"),
              Map.entry("score", "FloatingPoint(DOUBLE)"));
      Field item = schema.findField("input_ids").getChildren().get(0);
      assertThat(item.getName()).isEqualTo("item");
      assertThat(item.getType().toString()).isEqualTo("Int(32, true)");
      assertThat(json.readTree(schema.getCustomMetadata().get("huggingface")))
          .isEqualTo(
              json.createObjectNode()
                  .set("info", json.createObjectNode().set("features", expectedFeatures)));
    }

    // The rows: the Parquet output's, in the same order, and expected.json's tokens.
    List<Row> fromDataset =
        TokenTable.read(spark, dataset.toString())
            .cells()
            .orderBy("_metadata.file_name", "_metadata.row_index")
            .select(COLUMNS)
            .collectAsList();
    List<Row> fromParquet =
        spark
            .read()
            .parquet(parquet.toString())
            .orderBy("_metadata.file_name", "_metadata.row_index") // part files in input order
            .select(COLUMNS)
            .collectAsList();
    assertThat(fromDataset).hasSize((int) r.cellsWritten()).isEqualTo(fromParquet);
    assertThat(fromDataset).anyMatch(row -> row.isNullAt(7)).anyMatch(row -> row.isNullAt(8));
    JsonNode tokens =
        json.readTree(Fixtures.atlas("expected.json").toFile()).get("v2").get("tokens");
    assertThat(fromDataset).hasSize(tokens.size());
    for (Row row : fromDataset) {
      List<Integer> want = new ArrayList<>();
      tokens.get(row.getString(0)).forEach(t -> want.add(t.asInt()));
      assertThat(row.<Integer>getList(1)).as(row.getString(0)).isEqualTo(want);
    }

    // The jobs read it with the vocabulary its summary names (no --vocabulary).
    String embedded =
        EmbedJob.run(
                spark,
                EmbedOptions.of(
                    dataset.toString(),
                    Fixtures.vocab("models/tiny-v2").toString(),
                    tmp.resolve("emb").toString()))
            .output();
    assertThat(spark.read().parquet(embedded + "/cells").count()).isEqualTo(37);
  }
}
