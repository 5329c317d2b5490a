package org.cellspark.jobs.common;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.cellspark.jobs.embed.EmbedJob;
import org.cellspark.jobs.embed.EmbedOptions;
import org.cellspark.jobs.perturb.PerturbJob;
import org.cellspark.jobs.perturb.PerturbOptions;
import org.cellspark.jobs.perturb.PerturbResult;
import org.cellspark.jobs.tokenize.TokenizeJob;
import org.cellspark.perturb.PerturbationType;
import org.cellspark.testing.Fixtures;
import org.cellspark.testing.SharedSpark;
import org.cellspark.testing.TokenTables;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

/**
 * A token table without cell_id, as one converted from the Hugging Face dataset upstream's
 * tokenizer writes (input_ids as int64 lists, length, the attributes, no cell IDs): its cells are
 * named FILE:ROW, and the jobs that key results by cell_id run on it.
 */
@ExtendWith(SharedSpark.class)
class PositionalCellIdsTest {
  @TempDir Path tmp;

  @Test
  void cellsWithoutIdsAreNamedByTheirRowInTheirFile(SparkSession spark) throws Exception {
    String tokens =
        TokenizeJob.run(
                spark,
                TokenTables.v1(Fixtures.atlas("classify_atlas.h5ad").toString())
                    .attribute("cell_type")
                    .output(tmp.resolve("tokens").toString())
                    .build())
            .output();
    Path upstream = tmp.resolve("upstream");
    spark
        .read()
        .parquet(tokens)
        .selectExpr(
            "cast(input_ids as array<bigint>) as input_ids",
            "cast(length as bigint) as length",
            "cell_type")
        .repartition(3)
        .write()
        .parquet(upstream.toString());

    // Expected from each file on its own, in file order.
    Map<String, String> expected = new HashMap<>(); // id -> the cell's tokens
    List<Path> files;
    try (Stream<Path> s = Files.list(upstream)) {
      files = s.filter(p -> p.getFileName().toString().endsWith(".parquet")).toList();
    }
    assertThat(files).hasSize(3);
    for (Path f : files) {
      List<Row> rows = spark.read().parquet(f.toString()).select("input_ids").collectAsList();
      for (int i = 0; i < rows.size(); i++) {
        expected.put(f.getFileName() + ":" + i, rows.get(i).getList(0).toString());
      }
    }
    Map<String, String> named = new HashMap<>();
    for (Row r :
        TokenTable.read(spark, upstream.toString())
            .cells()
            .select("cell_id", "input_ids")
            .collectAsList()) {
      named.put(r.getString(0), r.getList(1).toString().replace(" ", ""));
    }
    expected.replaceAll((id, ids) -> ids.replace(" ", ""));
    assertThat(named).hasSize(600).isEqualTo(expected);

    // A table with its own cell_id keeps it.
    assertThat(
            TokenTable.read(spark, tokens)
                .cells()
                .select("cell_id")
                .limit(1)
                .collectAsList()
                .get(0))
        .satisfies(r -> assertThat(r.getString(0)).doesNotContain(".parquet:"));

    // The jobs that key their results by cell_id run on it.
    String model =
        Fixtures.repositoryRoot()
            .resolve("spark-jobs/src/test/resources/fixtures/models/v1-tiny")
            .toString();
    PerturbResult screen =
        PerturbJob.run(
            spark,
            PerturbOptions.of(
                    upstream.toString(),
                    model,
                    tmp.resolve("screen").toString(),
                    PerturbationType.DELETE)
                .withGenes(List.of("ENSG00000080986"), false, null)
                .toBuilder()
                .vocabulary("builtin:geneformer-v1")
                .build());
    assertThat(screen.rows()).isPositive();
    List<String> screened = new ArrayList<>();
    spark
        .read()
        .parquet(screen.output() + "/cell_shifts")
        .select("cell_id")
        .collectAsList()
        .forEach(r -> screened.add(r.getString(0)));
    assertThat(screened).allSatisfy(id -> assertThat(expected).containsKey(id));
    String embedded =
        EmbedJob.run(
                spark,
                EmbedOptions.of(upstream.toString(), model, tmp.resolve("emb").toString())
                    .toBuilder()
                    .vocabulary("builtin:geneformer-v1")
                    .build())
            .output();
    assertThat(spark.read().parquet(embedded + "/cells").select("cell_id").collectAsList())
        .hasSize(600)
        .allSatisfy(r -> assertThat(expected).containsKey(r.getString(0)));
  }
}
