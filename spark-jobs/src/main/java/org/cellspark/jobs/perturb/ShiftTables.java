package org.cellspark.jobs.perturb;

import static org.apache.spark.sql.functions.avg;
import static org.apache.spark.sql.functions.col;
import static org.apache.spark.sql.functions.count;
import static org.apache.spark.sql.functions.stddev_pop;

import java.io.DataInputStream;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import org.apache.spark.api.java.JavaRDD;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.input.PortableDataStream;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;
import org.cellspark.error.UserException;
import org.cellspark.io.PathGlobs;
import org.cellspark.jobs.common.GeneNames;

/**
 * The screen's tables, built from the work units' checkpoint files (the only place results live, so
 * a resumed run and an uninterrupted one build the same tables):
 *
 * <pre>
 * cell_shifts/  cell_id, perturbed_tokens, perturbed_genes, perturbed_symbols, cosine_similarity,
 *               shift_&lt;state&gt;...            one row per perturbation, in cell_id order
 * gene_shifts/  perturbed, perturbed_tokens, perturbed_symbols, affected, affected_token,
 *               affected_symbol, mean, std, n   one row per (perturbed, affected gene) pair
 * </pre>
 */
final class ShiftTables {
  private ShiftTables() {}

  /**
   * Every finished unit's results, each once: from the files {@code index} lists (not temporaries,
   * hidden files or any file written since), a unit that two files hold from the one it names.
   */
  static JavaRDD<UnitResult> read(
      JavaSparkContext sc, String unitsUri, CheckpointIndex index, int partitions) {
    // The folder escaped: the output's name may hold glob characters of its own.
    return sc.binaryFiles(PathGlobs.literal(unitsUri) + "/" + CheckpointFiles.GLOB, partitions)
        .values()
        .flatMap(file -> readUnits(file, index).iterator());
  }

  private static List<UnitResult> readUnits(PortableDataStream file, CheckpointIndex index)
      throws IOException {
    String name = new org.apache.hadoop.fs.Path(file.getPath()).getName();
    if (!index.files().contains(name)) {
      return new ArrayList<>();
    }
    try (DataInputStream in = file.open()) {
      List<UnitResult> units = CheckpointFiles.read(in, file.getPath());
      units.removeIf(u -> !index.take(name, u.unit()));
      return units;
    }
  }

  /** The states' columns ({@link PerturbOptions.States#shiftColumn}), checked to be distinct. */
  static List<String> shiftColumns(List<String> states) {
    List<String> out = new ArrayList<>();
    for (String s : states) {
      String name = PerturbOptions.States.shiftColumn(s);
      if (out.contains(name)) {
        throw UserException.of(
            "--states: two states both become the column %s; rename one of them", name);
      }
      out.add(name);
    }
    return out;
  }

  static Dataset<Row> cellShifts(
      SparkSession spark, JavaRDD<UnitResult> units, GeneNames names, List<String> shiftColumns) {
    StructType schema =
        new StructType()
            .add("_unit", DataTypes.IntegerType, false)
            .add("_row", DataTypes.IntegerType, false)
            .add("cell_id", DataTypes.StringType, false)
            .add("perturbed_tokens", DataTypes.createArrayType(DataTypes.IntegerType, false), false)
            .add("perturbed_genes", DataTypes.createArrayType(DataTypes.StringType), false)
            .add("perturbed_symbols", DataTypes.createArrayType(DataTypes.StringType), false)
            .add("cosine_similarity", DataTypes.DoubleType, false);
    for (String c : shiftColumns) {
      schema = schema.add(c, DataTypes.DoubleType, false);
    }
    int states = shiftColumns.size();
    JavaRDD<Row> rows =
        units.flatMap(
            u -> {
              List<Row> out = new ArrayList<>(u.rows().size());
              for (int i = 0; i < u.rows().size(); i++) {
                UnitResult.Row r = u.rows().get(i);
                Object[] values = new Object[7 + states];
                values[0] = u.unit();
                values[1] = i;
                values[2] = r.cellId();
                values[3] = boxed(r.perturbed());
                values[4] = names.geneIds(r.perturbed());
                values[5] = names.symbols(r.perturbed());
                values[6] = r.cosineSimilarity();
                for (int s = 0; s < states; s++) {
                  values[7 + s] = r.shifts()[s];
                }
                out.add(RowFactory.create(values));
              }
              return out.iterator();
            });
    return spark.createDataFrame(rows, schema).orderBy("_unit", "_row").drop("_unit", "_row");
  }

  static Dataset<Row> geneShifts(SparkSession spark, JavaRDD<UnitResult> units, GeneNames names) {
    StructType pairs =
        new StructType()
            .add("perturbed_tokens", DataTypes.createArrayType(DataTypes.IntegerType, false), false)
            .add("affected_token", DataTypes.IntegerType, false)
            .add("cosine", DataTypes.DoubleType, false);
    JavaRDD<Row> values =
        units.flatMap(
            u -> {
              List<Row> out = new ArrayList<>();
              for (UnitResult.Row r : u.rows()) {
                Integer[] perturbed = boxed(r.perturbed());
                for (int j = 0; j < r.affected().length; j++) {
                  out.add(
                      RowFactory.create(perturbed, r.affected()[j], (double) r.geneCosines()[j]));
                }
              }
              return out.iterator();
            });
    // Population standard deviation (ddof 0), as upstream's aggregate_gene_shifts.
    Dataset<Row> aggregated =
        spark
            .createDataFrame(values, pairs)
            .groupBy("perturbed_tokens", "affected_token")
            .agg(avg("cosine").as("mean"), stddev_pop("cosine").as("std"), count("cosine").as("n"));
    StructType schema =
        new StructType()
            .add("perturbed", DataTypes.createArrayType(DataTypes.StringType), false)
            .add("perturbed_tokens", DataTypes.createArrayType(DataTypes.IntegerType, false), false)
            .add("perturbed_symbols", DataTypes.createArrayType(DataTypes.StringType), false)
            .add("affected", DataTypes.StringType)
            .add("affected_token", DataTypes.IntegerType, false)
            .add("affected_symbol", DataTypes.StringType)
            .add("mean", DataTypes.DoubleType, false)
            .add("std", DataTypes.DoubleType, false)
            .add("n", DataTypes.LongType, false);
    JavaRDD<Row> named =
        aggregated
            .javaRDD()
            .map(
                r -> {
                  int[] perturbed =
                      r.<Integer>getList(0).stream().mapToInt(Integer::intValue).toArray();
                  int affected = r.getInt(1);
                  return RowFactory.create(
                      names.geneIds(perturbed),
                      boxed(perturbed),
                      names.symbols(perturbed),
                      names.geneId(affected),
                      affected,
                      names.symbol(affected),
                      r.getDouble(2),
                      r.getDouble(3),
                      r.getLong(4));
                });
    return spark
        .createDataFrame(named, schema)
        .orderBy(col("perturbed_tokens"), col("affected_token"));
  }

  static Integer[] boxed(int[] a) {
    Integer[] out = new Integer[a.length];
    for (int i = 0; i < a.length; i++) {
      out[i] = a[i];
    }
    return out;
  }
}
