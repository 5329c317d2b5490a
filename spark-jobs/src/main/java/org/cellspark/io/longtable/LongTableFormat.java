package org.cellspark.io.longtable;

import java.io.IOException;
import java.util.List;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.Path;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.types.StructType;
import org.cellspark.error.UserException;
import org.cellspark.files.FileSystemHints;
import org.cellspark.files.FileSystems;
import org.cellspark.io.Annotations;
import org.cellspark.io.AtlasFormat;
import org.cellspark.io.AtlasInput;
import org.cellspark.io.InputContext;
import org.cellspark.io.InputFiles.InputFile;
import org.cellspark.io.ReadPlan;

/**
 * Parquet long tables (one row per stored value: cell_id, gene_id, count), with cell attributes on
 * the rows or in a cell table ({@code --cell-table}).
 */
public final class LongTableFormat implements AtlasFormat.OfFolders {
  public static final LongTableFormat INSTANCE = new LongTableFormat();

  private LongTableFormat() {}

  @Override
  public String describedAs() {
    return "a Parquet long table";
  }

  @Override
  public boolean recognises(String spec, Configuration conf) {
    return LongTable.isLongTable(spec, conf);
  }

  /** An opened long table; its gene keys are its gene_id values, as they are. */
  record Input(LongTable table) implements AtlasInput {
    @Override
    public InputFile file() {
      return table.file();
    }

    @Override
    public AtlasFormat format() {
      return INSTANCE;
    }

    @Override
    public long cells() {
      return -1;
    }

    @Override
    public int genes() {
      return table.geneIds().length;
    }

    @Override
    public String describe() {
      return table.describe();
    }

    @Override
    public String[] geneKeys() {
      return table.geneIds();
    }

    @Override
    public String geneKeySource() {
      return "its gene_id column";
    }

    @Override
    public String[] symbols() {
      return null;
    }

    @Override
    public String fixedGeneIdPlace() {
      return "its gene_id column";
    }

    @Override
    public Annotations annotations() {
      return Annotations.of(
          table.cellTable() == null ? "column" : "column of " + table.cellTable(), table.columns());
    }
  }

  @Override
  public AtlasInput open(String spec, InputContext c) {
    Configuration conf = c.spark().sparkContext().hadoopConfiguration();
    return new Input(
        LongTable.open(c.spark(), new InputFile(qualified(spec, conf), spec), c.cellTable()));
  }

  @Override
  public Dataset<Row> read(
      SparkSession spark, List<AtlasInput> inputs, StructType obs, ReadPlan plan) {
    Dataset<Row> cells = null;
    for (AtlasInput i : inputs) {
      Dataset<Row> r = LongTableCells.read(spark, ((Input) i).table(), obs);
      cells = cells == null ? r : cells.union(r);
    }
    return cells;
  }

  private static String qualified(String spec, Configuration conf) {
    Path p = new Path(spec);
    try {
      return FileSystems.of(p, conf).makeQualified(p).toUri().toString();
    } catch (IOException e) {
      throw UserException.because(
          e, "Cannot open input %s: %s", spec, FileSystemHints.explain(spec, e));
    }
  }
}
