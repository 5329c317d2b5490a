package org.cellspark.io.h5ad;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;
import org.cellspark.error.UserException;
import org.cellspark.testing.Expected;
import org.cellspark.testing.Fixtures;
import org.cellspark.testing.SharedSpark;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;
import org.junit.jupiter.params.provider.ValueSource;

@ExtendWith(SharedSpark.class)
class H5adDataSourceTest {

  private static Dataset<Row> read(SparkSession spark, String fixture, String... options) {
    var reader = spark.read().format("h5ad");
    for (int i = 0; i < options.length; i += 2) {
      reader = reader.option(options[i], options[i + 1]);
    }
    return reader.load(Fixtures.atlas(fixture).toString());
  }

  @Test
  void exposesOneRowPerCellWithObsInAStruct(SparkSession spark) {
    Dataset<Row> df = read(spark, "csr_float32_gzip.h5ad");
    assertThat(df.columns())
        .containsExactly("cell_id", "source", "row_index", "gene_index", "counts", "obs");
    StructType obs = (StructType) df.schema().apply("obs").dataType();
    assertThat(obs.fieldNames())
        .containsExactly(
            "cell_type",
            "donor",
            "n_counts",
            "filter_pass",
            "age",
            "score",
            "is_control",
            "batch",
            "flag");
    assertThat(obs.apply("cell_type").dataType()).isEqualTo(DataTypes.StringType);
    assertThat(obs.apply("n_counts").dataType()).isEqualTo(DataTypes.DoubleType);
    assertThat(obs.apply("age").dataType()).isEqualTo(DataTypes.LongType);
    assertThat(obs.apply("score").dataType()).isEqualTo(DataTypes.DoubleType);
    assertThat(obs.apply("is_control").dataType()).isEqualTo(DataTypes.BooleanType);
    assertThat(obs.apply("batch").dataType()).isEqualTo(DataTypes.LongType);
    assertThat(obs.apply("flag").dataType()).isEqualTo(DataTypes.BooleanType);
    assertThat(df.count()).isEqualTo(40);
  }

  /** Every layout and dtype reads back exactly the cells anndata wrote. */
  @ParameterizedTest
  @MethodSource("org.cellspark.testing.AtlasLayouts#all")
  void readsTheCellsAnndataWrote(String fixture, String counts, SparkSession spark) {
    List<Row> rows =
        read(spark, fixture, "counts", counts, "partitions", "3")
            .orderBy("row_index")
            .collectAsList();
    JsonNode expected = Expected.cells();
    assertThat(rows).hasSize(expected.size());
    for (int r = 0; r < rows.size(); r++) {
      Row row = rows.get(r);
      JsonNode cell = expected.get(r);
      assertThat(row.getString(0)).isEqualTo(cell.get("cell_id").asText());
      assertThat(row.getLong(2)).isEqualTo(r);
      assertThat(nonZero(row)).as("cell %s", cell.get("cell_id")).isEqualTo(expectedCounts(cell));
      List<Integer> genes = row.getList(3);
      assertThat(genes).isSortedAccordingTo(Comparator.naturalOrder());
      Row obs = row.getStruct(5);
      assertThat((String) obs.getAs("cell_type")).isEqualTo(text(cell.get("obs").get("cell_type")));
      assertThat((String) obs.getAs("donor")).isEqualTo(cell.get("obs").get("donor").asText());
      assertThat((Double) obs.getAs("n_counts"))
          .isEqualTo(cell.get("obs").get("n_counts").asDouble());
    }
  }

  @Test
  void readsEveryObsEncodingIncludingMissingValues(SparkSession spark) {
    List<Row> rows = read(spark, "csr_float32_gzip.h5ad").orderBy("row_index").collectAsList();
    JsonNode expected = Expected.cells();
    for (int r = 0; r < rows.size(); r++) {
      Row obs = rows.get(r).getStruct(5);
      JsonNode e = expected.get(r).get("obs");
      assertThat((Long) obs.getAs("filter_pass")).isEqualTo(e.get("filter_pass").asLong());
      assertThat((Long) obs.getAs("age")).isEqualTo(e.get("age").asLong());
      assertThat((Double) obs.getAs("score"))
          .isCloseTo(e.get("score").asDouble(), org.assertj.core.data.Offset.offset(1e-7));
      assertThat((Boolean) obs.getAs("is_control")).isEqualTo(e.get("is_control").asBoolean());
      assertThat((Long) obs.getAs("batch"))
          .isEqualTo(e.get("batch").isNull() ? null : e.get("batch").asLong());
      assertThat((Boolean) obs.getAs("flag"))
          .isEqualTo(e.get("flag").isNull() ? null : e.get("flag").asBoolean());
    }
    // The fixture has one missing category and masked nullable values, so nulls were exercised.
    assertThat(rows.stream().filter(r -> r.getStruct(5).isNullAt(0)).count()).isEqualTo(1);
    assertThat(rows.stream().filter(r -> r.getStruct(5).isNullAt(7)).count()).isPositive();
  }

  @ParameterizedTest
  @ValueSource(ints = {1, 3, 8})
  void honoursTheRequestedNumberOfPartitions(int partitions, SparkSession spark) {
    for (String fixture :
        List.of("csr_float32_gzip.h5ad", "csc_int64_gzip.h5ad", "dense_float64_lzf.h5ad")) {
      Dataset<Row> df = read(spark, fixture, "partitions", String.valueOf(partitions));
      assertThat(df.rdd().getNumPartitions()).as(fixture).isEqualTo(partitions);
      assertThat(df.select("cell_id").distinct().count()).isEqualTo(40);
    }
  }

  @Test
  void prunesColumnsAndRestrictsObs(SparkSession spark) {
    Dataset<Row> ids = read(spark, "csr_float32_gzip.h5ad").select("cell_id");
    assertThat(ids.orderBy("cell_id").first().getString(0)).isEqualTo("cell04");
    Dataset<Row> some = read(spark, "csr_float32_gzip.h5ad", "obsColumns", "donor,age");
    assertThat(((StructType) some.schema().apply("obs").dataType()).fieldNames())
        .containsExactly("donor", "age");
    assertThatThrownBy(() -> read(spark, "csr_float32_gzip.h5ad", "obsColumns", "nope"))
        .isInstanceOf(UserException.class)
        .hasMessageContaining("obs column 'nope' is in none of the inputs");
  }

  @Test
  void worksFromSql(SparkSession spark) {
    read(spark, "csc_int64_gzip.h5ad").createOrReplaceTempView("atlas");
    List<Row> rows =
        spark
            .sql(
                "SELECT obs.donor, count(*) AS n, sum(size(gene_index)) AS stored FROM atlas GROUP"
                    + " BY 1 ORDER BY 1")
            .collectAsList();
    assertThat(rows)
        .extracting(r -> r.getString(0))
        .containsExactly("donor0", "donor1", "donor2", "donor3");
    assertThat(rows.stream().mapToLong(r -> r.getLong(1)).sum()).isEqualTo(40);
    long stored = 0;
    for (JsonNode c : Expected.cells()) {
      stored += c.get("genes").size();
    }
    assertThat(rows.stream().mapToLong(r -> r.getLong(2)).sum()).isEqualTo(stored);
  }

  /** The SQL shown in docs/tokenize.md and notebooks/README.md. */
  @Test
  void worksAsASqlDataSource(SparkSession spark) {
    spark.sql(
        "CREATE OR REPLACE TEMPORARY VIEW atlas_sql USING h5ad OPTIONS (path '"
            + Fixtures.atlas("csr_float32_gzip.h5ad")
            + "')");
    List<Row> rows =
        spark
            .sql(
                "SELECT obs.cell_type, count(*) AS cells, avg(size(gene_index)) AS genes_detected "
                    + "FROM atlas_sql GROUP BY obs.cell_type ORDER BY 1")
            .collectAsList();
    long typed = 0;
    for (JsonNode c : Expected.cells()) {
      typed += c.get("obs").get("cell_type").isNull() ? 0 : 1;
    }
    assertThat(rows).hasSize(4); // three types and the missing one
    assertThat(rows.stream().filter(r -> !r.isNullAt(0)).mapToLong(r -> r.getLong(1)).sum())
        .isEqualTo(typed);
  }

  @Test
  void readsSeveralFilesFromAGlob(SparkSession spark) {
    Path folder = Fixtures.atlas("csr_float32_gzip.h5ad").getParent();
    Dataset<Row> df =
        spark.read().format("h5ad").option("obsColumns", "donor").load(folder + "/csr_*.h5ad");
    assertThat(df.select("source").distinct().count()).isEqualTo(3);
    assertThat(df.count()).isEqualTo(120);
  }

  @Test
  void refusesFilesThatAreNotAnnData(SparkSession spark) {
    assertThatThrownBy(
            () -> spark.read().format("h5ad").load(Fixtures.bad("not_hdf5.h5ad").toString()))
        .isInstanceOf(UserException.class)
        .hasMessageContaining("is not an HDF5 file");
    assertThatThrownBy(
            () -> spark.read().format("h5ad").load(Fixtures.bad("not_anndata.h5").toString()))
        .isInstanceOf(UserException.class)
        .hasMessageContaining(
            "is HDF5 but not AnnData: it has no obs or var dataframe (top level holds: matrix)");
    assertThatThrownBy(() -> read(spark, "csr_float32_gzip.h5ad", "counts", "layers/spliced"))
        .isInstanceOf(UserException.class)
        .hasMessageContaining("has no counts at 'layers/spliced' (available: X)");
    assertThatThrownBy(() -> read(spark, "x_none.h5ad", "counts", "X"))
        .isInstanceOf(UserException.class)
        .hasMessageContaining(
            "has no counts at 'X' (it is empty: anndata 0.12 and later write X=None so)"
                + " (available: raw, layers/counts)");
  }

  private static Map<Integer, Double> nonZero(Row row) {
    List<Integer> genes = row.getList(3);
    List<Double> counts = row.getList(4);
    Map<Integer, Double> out = new TreeMap<>();
    for (int i = 0; i < genes.size(); i++) {
      if (counts.get(i) != 0) {
        out.put(genes.get(i), counts.get(i));
      }
    }
    return out;
  }

  private static Map<Integer, Double> expectedCounts(JsonNode cell) {
    Map<Integer, Double> out = new TreeMap<>();
    List<Integer> genes = new ArrayList<>();
    cell.get("genes").forEach(g -> genes.add(g.asInt()));
    for (int i = 0; i < genes.size(); i++) {
      out.put(genes.get(i), cell.get("counts").get(i).asDouble());
    }
    return out;
  }

  private static String text(JsonNode n) {
    return n == null || n.isNull() ? null : n.asText();
  }
}
