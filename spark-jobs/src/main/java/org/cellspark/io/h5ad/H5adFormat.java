package org.cellspark.io.h5ad;

import static org.apache.spark.sql.functions.col;
import static org.apache.spark.sql.functions.lit;
import static org.apache.spark.sql.functions.struct;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.apache.spark.sql.Column;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.types.StructField;
import org.apache.spark.sql.types.StructType;
import org.cellspark.error.Bug;
import org.cellspark.error.UserException;
import org.cellspark.io.Annotations;
import org.cellspark.io.AtlasFormat;
import org.cellspark.io.AtlasInput;
import org.cellspark.io.InputContext;
import org.cellspark.io.InputFiles.InputFile;
import org.cellspark.io.OpenedInput;
import org.cellspark.io.ReadPlan;
import org.cellspark.io.cells.CellCountsSchema;

/**
 * AnnData ({@code .h5ad}), and the AnnData of one modality of a MuData file ({@code .h5mu}): the
 * format every other file falls back to (an {@code .h5} file that is not a Cell Ranger matrix is
 * read as AnnData, and refused naming both). Cells are read through the {@code h5ad} data source.
 */
public final class H5adFormat implements AtlasFormat.OfFiles {
  public static final H5adFormat INSTANCE = new H5adFormat();

  private H5adFormat() {}

  @Override
  public String describedAs() {
    return "an AnnData file (.h5ad)";
  }

  @Override
  public List<String> extensions() {
    return List.of(".h5ad", ".h5mu");
  }

  /**
   * Opens the file, checks the counts matrix against obs and the gene table, and reads its gene
   * keys and symbols and its obs columns' kinds.
   */
  @Override
  public AtlasInput open(InputFile f, InputContext c) {
    try (H5adFile h5 = H5adFile.open(c.hdf(), f, c.counts().modality())) {
      CountsMatrix matrix = h5.counts(c.counts());
      String[] keys =
          c.bySymbol()
              ? h5.geneSymbols(c.counts(), c.geneIdColumn())
              : h5.geneIds(c.counts(), c.geneIdColumn());
      return new OpenedInput(
          INSTANCE,
          f,
          h5.cellCount(),
          keys.length,
          matrix.describe(),
          keys,
          c.geneIdColumnSource(),
          symbols(f, h5.genes(c.counts()), c.geneNameColumn()),
          annotations(h5.obs()));
    }
  }

  private static String[] symbols(InputFile f, DataFrameGroup var, String column) {
    if (column == null) {
      return var.allIndexStrings();
    }
    if (!var.hasColumn(column)) {
      throw UserException.of(
          "Input %s: gene table has no column '%s' (--gene-name-column); its columns: %s",
          f.name(), column, String.join(", ", var.columnNames()));
    }
    return var.allStrings(column);
  }

  /** Every obs column, with its kind or, for an encoding Cellspark cannot read, the refusal. */
  private static Annotations annotations(DataFrameGroup obs) {
    return Annotations.probed("obs column", obs.columnNames(), name -> obs.column(name).kind());
  }

  /**
   * All AnnData inputs through the {@code h5ad} data source (one relation, so its partitions are
   * planned over every file), the obs struct recast to {@code obs} where other formats widened a
   * column or added one.
   */
  @Override
  public Dataset<Row> read(
      SparkSession spark, List<AtlasInput> inputs, StructType obs, ReadPlan plan) {
    List<String> columns =
        Arrays.stream(obs.fieldNames())
            .filter(name -> inputs.stream().anyMatch(i -> i.annotations().has(name)))
            .toList();
    Dataset<Row> cells;
    try {
      cells =
          spark
              .read()
              .format("h5ad")
              .option(
                  "paths",
                  new ObjectMapper()
                      .writeValueAsString(inputs.stream().map(i -> i.file().location()).toList()))
              .option(H5adOptions.COUNTS, plan.counts().spelling())
              .option(
                  H5adOptions.MODALITY,
                  plan.counts().modality() == null ? "" : plan.counts().modality())
              .option(H5adOptions.OBS_COLUMNS, String.join(",", columns))
              .option(H5adOptions.PARTITIONS, plan.partitions())
              .load();
    } catch (JsonProcessingException e) {
      throw new Bug("the h5ad data source's options could not be written as JSON", e);
    }
    return CellCountsSchema.obsOf(cells.schema()).equals(obs) ? cells : conform(cells, obs);
  }

  /** The rows with obs recast to {@code obs} (missing columns null; the rows may have no obs). */
  private static Dataset<Row> conform(Dataset<Row> cells, StructType obs) {
    StructType have = CellCountsSchema.obsOf(cells.schema());
    List<Column> fields = new ArrayList<>();
    for (StructField f : obs.fields()) {
      Column c =
          Arrays.asList(have.fieldNames()).contains(f.name())
              ? col(CellCountsSchema.OBS).getField(f.name())
              : lit(null);
      fields.add(c.cast(f.dataType()).as(f.name()));
    }
    return cells.select(
        col(CellCountsSchema.CELL_ID),
        col(CellCountsSchema.SOURCE),
        col(CellCountsSchema.ROW_INDEX),
        col(CellCountsSchema.GENE_INDEX),
        col(CellCountsSchema.COUNTS),
        struct(fields.toArray(new Column[0])).as(CellCountsSchema.OBS));
  }
}
