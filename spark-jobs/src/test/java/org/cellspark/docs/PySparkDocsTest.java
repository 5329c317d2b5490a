package org.cellspark.docs;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.cellspark.jobs.tokenize.TokenizeJob;
import org.cellspark.testing.Fixtures;
import org.cellspark.testing.SharedSpark;
import org.cellspark.testing.TokenTables;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

/**
 * docs/pyspark.md's SQL, statement by statement as the page has it (its example paths replaced by
 * fixtures), on a Java session with the settings the page starts PySpark with: what `spark.sql`
 * runs in the JVM when called from Python.
 */
@ExtendWith(SharedSpark.class)
class PySparkDocsTest {
  @TempDir Path tmp;

  private static List<String> sqlStatements() throws IOException {
    String page = Files.readString(Fixtures.repositoryRoot().resolve("docs/pyspark.md"));
    List<String> out = new ArrayList<>();
    Matcher m = Pattern.compile("```sql\\n(.*?)```", Pattern.DOTALL).matcher(page);
    while (m.find()) {
      for (String s : m.group(1).split(";\\s*\\n")) {
        if (!s.isBlank()) {
          out.add(s.trim().replaceAll(";$", ""));
        }
      }
    }
    return out;
  }

  @Test
  void everySqlStatementOfThePageRuns(SparkSession spark) throws IOException {
    String tokens = tmp.resolve("tokens").toString();
    TokenizeJob.run(
        spark,
        TokenTables.v1(Fixtures.atlas("classify_atlas.h5ad").toString())
            .attribute("cell_type")
            .output(tokens)
            .build());
    String model =
        Fixtures.repositoryRoot()
            .resolve("spark-jobs/src/test/resources/fixtures/models/v1-tiny")
            .toString();
    List<String> statements = sqlStatements();
    assertThat(statements).hasSize(9);
    List<Dataset<Row>> results = new ArrayList<>();
    // A session of its own: the page's views and SET statements stay out of the shared one.
    SparkSession session = spark.newSession();
    for (String s : statements) {
      results.add(
          session.sql(
              s.replace("/data/atlas.h5ad", Fixtures.atlas("classify_atlas.h5ad").toString())
                  .replace("/data/tokens", tokens)
                  .replace(
                      "/data/cells.dataset", Fixtures.huggingFace("v2_tokens.dataset").toString())
                  .replace("/models/Geneformer-V1-10M", model)));
    }
    List<Row> byType = results.get(1).collectAsList();
    assertThat(byType.stream().mapToLong(r -> r.getLong(1)).sum()).isEqualTo(600);
    assertThat(byType).extracting(r -> r.getString(0)).contains("B cell", "T cell");
    List<Row> upstream = results.get(3).collectAsList(); // expected.json: 37 cells, 3 typed
    assertThat(upstream.stream().mapToLong(r -> r.getLong(1)).sum()).isEqualTo(37);
    assertThat(upstream).extracting(r -> r.getString(0)).contains("monocyte", "B cell", null);
    List<Row> five = results.get(7).collectAsList();
    assertThat(five).hasSize(5).allSatisfy(r -> assertThat(r.getList(1)).hasSize(16));
    Dataset<Row> table = results.get(8);
    assertThat(table.columns()).contains("cell_id", "input_ids", "cell_type", "embedding");
    assertThat(table.count()).isEqualTo(spark.read().parquet(tokens).count());
    assertThat(spark.catalog().tableExists("tokens")).isFalse();
  }
}
