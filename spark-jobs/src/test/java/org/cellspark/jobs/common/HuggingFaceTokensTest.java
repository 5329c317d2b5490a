package org.cellspark.jobs.common;

import static org.apache.spark.ml.functions.vector_to_array;
import static org.apache.spark.sql.functions.col;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.apache.arrow.memory.RootAllocator;
import org.apache.arrow.vector.VectorSchemaRoot;
import org.apache.arrow.vector.ipc.ArrowStreamWriter;
import org.apache.arrow.vector.types.pojo.ArrowType;
import org.apache.arrow.vector.types.pojo.Field;
import org.apache.arrow.vector.types.pojo.FieldType;
import org.apache.arrow.vector.types.pojo.Schema;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.assertj.core.data.Offset;
import org.cellspark.error.UserException;
import org.cellspark.jobs.embed.EmbedJob;
import org.cellspark.jobs.embed.EmbedOptions;
import org.cellspark.jobs.perturb.PerturbJob;
import org.cellspark.jobs.perturb.PerturbOptions;
import org.cellspark.jobs.tokenize.TokenizeJob;
import org.cellspark.jobs.tokenize.TokenizeOptions;
import org.cellspark.perturb.PerturbationType;
import org.cellspark.testing.Fixtures;
import org.cellspark.testing.SharedSpark;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

/**
 * The model jobs on token tables as upstream Geneformer's tokenizer saves them (Hugging Face
 * datasets, {@code *.dataset}), read in place: a screen matches PyTorch's reference for the same
 * cells (fixtures/perturb/job_reference.json, made from expected.json's tokens without the Java
 * code), and embeddings equal those of the same cells tokenized by Cellspark.
 */
@ExtendWith(SharedSpark.class)
class HuggingFaceTokensTest {
  @TempDir Path tmp;

  @Test
  void screenOfAnUpstreamDatasetMatchesPyTorch(SparkSession spark) throws IOException {
    String dataset = Fixtures.huggingFace("v2_tokens.dataset").toString();
    PerturbOptions options =
        PerturbOptions.of(
                dataset,
                Fixtures.vocab("models/tiny-v2").toString(),
                tmp.resolve("screen").toString(),
                PerturbationType.DELETE)
            .toBuilder()
            .vocabulary(Fixtures.vocab("vocab-v2-small").toString())
            .build();
    String output = PerturbJob.run(spark, options).output();

    // The dataset has no cell_id: cells are named FILE:ROW; its cell_barcode says which they are.
    Map<String, String> barcodeOf = new HashMap<>();
    TokenTable.read(spark, dataset)
        .cells()
        .select("cell_id", "cell_barcode")
        .collectAsList()
        .forEach(r -> barcodeOf.put(r.getString(0), r.getString(1)));
    assertThat(barcodeOf).containsKey("data-00001-of-00002.arrow:0");

    Map<String, Double> actual = new TreeMap<>();
    for (Row r : spark.read().parquet(output + "/cell_shifts").collectAsList()) {
      actual.put(
          barcodeOf.get(r.<String>getAs("cell_id"))
              + " "
              + r.getList(r.fieldIndex("perturbed_tokens")),
          r.getDouble(r.fieldIndex("cosine_similarity")));
    }
    Map<String, Double> expected = new TreeMap<>();
    JsonNode reference =
        new ObjectMapper().readTree(Fixtures.perturb("job_reference.json").toFile());
    for (JsonNode row : reference.get("delete_all_mean").get("rows")) {
      List<Integer> tokens = new ArrayList<>();
      row.get(1).forEach(t -> tokens.add(t.asInt()));
      expected.put(row.get(0).asText() + " " + tokens, row.get(2).asDouble());
    }
    assertThat(actual.keySet()).isEqualTo(expected.keySet());
    expected.forEach((k, v) -> assertThat(actual.get(k)).as(k).isCloseTo(v, Offset.offset(1e-4)));
  }

  @Test
  void embeddingsOfAnUpstreamDatasetEqualThoseOfCellsparkTokens(SparkSession spark) {
    String model = Fixtures.vocab("models/tiny-v1").toString();
    String vocabulary = Fixtures.vocab("vocab-v1-small").toString();
    String tokens =
        TokenizeJob.run(
                spark,
                TokenizeOptions.builder()
                    .input(Fixtures.atlas("csr_float32_gzip.h5ad").toString())
                    .vocabulary(vocabulary)
                    .output(tmp.resolve("tokens").toString())
                    .build())
            .output();
    Map<String, double[]> ours =
        embeddings(spark, EmbedOptions.of(tokens, model, tmp.resolve("ours").toString()));
    Map<String, double[]> upstream =
        embeddings(
            spark,
            EmbedOptions.of(
                    Fixtures.huggingFace("v1_tokens.dataset").toString(),
                    model,
                    tmp.resolve("upstream").toString())
                .toBuilder()
                .vocabulary(vocabulary)
                .build());
    assertThat(upstream).hasSize(37).containsOnlyKeys(ours.keySet()); // its own cell_id column
    ours.forEach((cell, v) -> assertThat(upstream.get(cell)).as(cell).containsExactly(v));
  }

  private static Map<String, double[]> embeddings(SparkSession spark, EmbedOptions options) {
    String out = EmbedJob.run(spark, options).output();
    Map<String, double[]> byCell = new HashMap<>();
    for (Row r :
        spark
            .read()
            .parquet(out + "/cells")
            .select(col("cell_id"), vector_to_array(col("embedding"), "float64"))
            .collectAsList()) {
      byCell.put(
          r.getString(0), r.<Double>getList(1).stream().mapToDouble(Double::doubleValue).toArray());
    }
    return byCell;
  }

  @Test
  void tokenIdsOfATypeSparkCannotReadAreRefusedWithTheType(SparkSession spark) throws IOException {
    // input_ids as unsigned ints, which Spark's Arrow reader has no type for: the source leaves the
    // column out, and the table is refused naming what it is.
    Path file = tmp.resolve("unsigned.arrow");
    Schema schema =
        new Schema(
            List.of(
                new Field(
                    "input_ids",
                    FieldType.nullable(new ArrowType.List()),
                    List.of(Field.nullable("item", new ArrowType.Int(32, false)))),
                Field.nullable("length", new ArrowType.Int(64, true))));
    try (RootAllocator allocator = new RootAllocator();
        VectorSchemaRoot root = VectorSchemaRoot.create(schema, allocator);
        OutputStream out = Files.newOutputStream(file);
        ArrowStreamWriter writer = new ArrowStreamWriter(root, null, out)) {
      writer.start();
      writer.end();
    }
    assertThatThrownBy(() -> TokenTable.read(spark, file.toString()))
        .isInstanceOf(UserException.class)
        .hasMessageContaining("input_ids is list<Int(32, false)>")
        .hasMessageContaining("cannot read as token ids");
  }

  @Test
  void anUpstreamDatasetNeedsItsVocabularyNamed(SparkSession spark) {
    assertThatThrownBy(
            () ->
                TokenTable.read(spark, Fixtures.huggingFace("v1_tokens.dataset").toString())
                    .vocabulary(null, "v1_tokens.dataset"))
        .isInstanceOf(UserException.class)
        .hasMessageContaining("pass --vocabulary");
  }
}
