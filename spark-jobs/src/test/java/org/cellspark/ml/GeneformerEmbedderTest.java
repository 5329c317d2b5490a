package org.cellspark.ml;

import static org.apache.spark.sql.functions.col;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.google.gson.JsonArray;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;
import org.apache.spark.ml.Pipeline;
import org.apache.spark.ml.PipelineModel;
import org.apache.spark.ml.PipelineStage;
import org.apache.spark.ml.classification.LogisticRegression;
import org.apache.spark.ml.feature.StringIndexer;
import org.apache.spark.ml.linalg.Vector;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;
import org.cellspark.error.UserException;
import org.cellspark.jobs.tokenize.TokenizeJob;
import org.cellspark.jobs.tokenize.TokenizeOptions;
import org.cellspark.testing.Fixtures;
import org.cellspark.testing.SharedSpark;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

/**
 * The Spark ML stage: its vectors equal PyTorch's embeddings of the reference cells (committed by
 * model-udf's reference script), it fits into a Pipeline with an MLlib classifier that finds the
 * cell types of the synthetic atlas, and the fitted pipeline saved and loaded with MLlib's writers
 * predicts the same.
 */
@ExtendWith(SharedSpark.class)
class GeneformerEmbedderTest {
  @TempDir Path tmp;

  private static final String V2_MODEL = Fixtures.vocab("models/tiny-v2").toString();
  private static final String V2_VOCABULARY = Fixtures.vocab("vocab-v2-small").toString();

  private static JsonArray referenceCells() throws IOException {
    JsonObject reference =
        JsonParser.parseString(Files.readString(Fixtures.vocab("models/reference.json")))
            .getAsJsonObject();
    return reference.getAsJsonObject("tiny-v2").getAsJsonArray("cells");
  }

  private static Dataset<Row> referenceTokens(SparkSession spark, JsonArray cells) {
    List<Row> rows = new ArrayList<>();
    for (int c = 0; c < cells.size(); c++) {
      JsonArray ids = cells.get(c).getAsJsonObject().getAsJsonArray("input_ids");
      Integer[] tokens = new Integer[ids.size()];
      for (int i = 0; i < tokens.length; i++) {
        tokens[i] = ids.get(i).getAsInt();
      }
      rows.add(RowFactory.create("cell" + c, tokens));
    }
    StructType schema =
        new StructType()
            .add("cell_id", DataTypes.StringType)
            .add("input_ids", DataTypes.createArrayType(DataTypes.IntegerType, false));
    return spark.createDataFrame(rows, schema);
  }

  private static double maxAbsDiff(Vector v, JsonArray expected) {
    double worst = 0;
    for (int i = 0; i < expected.size(); i++) {
      worst = Math.max(worst, Math.abs(v.apply(i) - expected.get(i).getAsDouble()));
    }
    return v.size() == expected.size() ? worst : Double.POSITIVE_INFINITY;
  }

  @Test
  void vectorsEqualPyTorchsEmbeddingsForEachPoolingAndLayer(SparkSession spark) throws IOException {
    JsonArray cells = referenceCells();
    Dataset<Row> tokens = referenceTokens(spark, cells);
    for (String[] setting : new String[][] {{"mean", "-1"}, {"cell", "-1"}, {"cls", "0"}}) {
      String reference = setting[0].equals("cls") ? "cls" : "mean";
      GeneformerEmbedder embedder =
          new GeneformerEmbedder()
              .setModel(V2_MODEL)
              .setVocabulary(V2_VOCABULARY)
              .setPooling(setting[0])
              .setLayer(Integer.parseInt(setting[1]))
              .setOutputCol("features");
      Map<String, Vector> out =
          embedder.transform(tokens).collectAsList().stream()
              .collect(Collectors.toMap(r -> r.getString(0), r -> r.<Vector>getAs("features")));
      assertThat(out).hasSize(cells.size());
      for (int c = 0; c < cells.size(); c++) {
        JsonArray expected =
            cells.get(c).getAsJsonObject().getAsJsonObject(reference).getAsJsonArray(setting[1]);
        assertThat(maxAbsDiff(out.get("cell" + c), expected))
            .as("cell %d, %s pooling, layer %s", c, setting[0], setting[1])
            .isLessThanOrEqualTo(1e-4);
      }
    }
  }

  @Test
  void aPipelineWithAClassifierFitsSavesAndLoads(SparkSession spark) throws IOException {
    String tokens = tmp.resolve("tokens").toString();
    TokenizeJob.run(
        spark,
        TokenizeOptions.builder()
            .input(Fixtures.atlas("classify_atlas.h5ad").toString())
            .vocabulary("builtin:geneformer-v1")
            .minGeneMatch(0.1)
            .attribute("cell_type")
            .attribute("donor")
            .output(tokens)
            .build());
    Dataset<Row> cells = spark.read().parquet(tokens);
    Dataset<Row> train = cells.where(col("donor").isin("D1", "D2", "D3", "D4"));
    Dataset<Row> test = cells.where(col("donor").isin("D5", "D6"));
    assertThat(test.count()).isPositive();

    GeneformerEmbedder embedder =
        new GeneformerEmbedder()
            .setModel(
                Fixtures.repositoryRoot()
                    .resolve("spark-jobs/src/test/resources/fixtures/models/v1-tiny")
                    .toString())
            .setOutputCol("features");
    Pipeline pipeline =
        new Pipeline()
            .setStages(
                new PipelineStage[] {
                  embedder,
                  new StringIndexer().setInputCol("cell_type").setOutputCol("label"),
                  new LogisticRegression().setMaxIter(200)
                });
    PipelineModel fitted = pipeline.fit(train);
    Dataset<Row> predicted = fitted.transform(test);
    double accuracy =
        predicted.where(col("prediction").equalTo(col("label"))).count()
            / (double) predicted.count();
    assertThat(accuracy).isGreaterThan(0.9);

    String saved = tmp.resolve("pipeline").toString();
    fitted.write().save(saved);
    PipelineModel loaded = PipelineModel.load(saved);
    GeneformerEmbedder stage = (GeneformerEmbedder) loaded.stages()[0];
    assertThat(stage.getOrDefault(stage.model()))
        .isEqualTo(embedder.getOrDefault(embedder.model()));
    assertThat(stage.getOrDefault(stage.outputCol())).isEqualTo("features");
    Map<String, Double> before = predictions(predicted);
    Map<String, Double> after = predictions(loaded.transform(test));
    assertThat(after).isEqualTo(before);
  }

  private static Map<String, Double> predictions(Dataset<Row> predicted) {
    return predicted.select("cell_id", "prediction").collectAsList().stream()
        .collect(Collectors.toMap(r -> r.getString(0), r -> r.getDouble(1)));
  }

  @Test
  void refusesWhatItCannotEmbed(SparkSession spark) throws IOException {
    Dataset<Row> tokens = referenceTokens(spark, referenceCells());
    assertThatThrownBy(() -> new GeneformerEmbedder().transform(tokens))
        .isInstanceOf(UserException.class)
        .hasMessageContaining("set the model");
    assertThatThrownBy(
            () ->
                new GeneformerEmbedder()
                    .setModel(V2_MODEL)
                    .setInputCol("cell_id")
                    .transformSchema(tokens.schema()))
        .isInstanceOf(UserException.class)
        .hasMessageContaining("column 'cell_id' is string");
    assertThatThrownBy(() -> new GeneformerEmbedder().setPooling("max"))
        .isInstanceOf(IllegalArgumentException.class);
  }
}
