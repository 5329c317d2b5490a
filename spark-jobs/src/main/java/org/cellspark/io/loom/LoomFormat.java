package org.cellspark.io.loom;

import java.util.List;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.types.StructType;
import org.cellspark.io.Annotations;
import org.cellspark.io.AtlasFormat;
import org.cellspark.io.AtlasInput;
import org.cellspark.io.InputContext;
import org.cellspark.io.InputFiles.InputFile;
import org.cellspark.io.ReadPlan;

/** loom files (loompy's layout): genes from a row attribute, annotations from column attributes. */
public final class LoomFormat implements AtlasFormat.OfFiles {
  public static final LoomFormat INSTANCE = new LoomFormat();

  private LoomFormat() {}

  @Override
  public String describedAs() {
    return "a loom file";
  }

  @Override
  public List<String> extensions() {
    return List.of(".loom");
  }

  /** An opened loom input; gene keys from the row attribute the options name. */
  record Input(LoomFile loom, String geneKeySource) implements AtlasInput {
    @Override
    public InputFile file() {
      return loom.file();
    }

    @Override
    public AtlasFormat format() {
      return INSTANCE;
    }

    @Override
    public long cells() {
      return loom.cells();
    }

    @Override
    public int genes() {
      return loom.genes();
    }

    @Override
    public String describe() {
      return loom.describe();
    }

    @Override
    public String[] geneKeys() {
      return loom.geneIds();
    }

    @Override
    public String[] symbols() {
      return loom.symbols();
    }

    @Override
    public String fixedGeneIdPlace() {
      return null;
    }

    @Override
    public Annotations annotations() {
      return Annotations.of("column attribute (col_attrs)", loom.columns());
    }
  }

  @Override
  public AtlasInput open(InputFile f, InputContext c) {
    return new Input(
        LoomFile.open(c.hdf(), f, c.geneIdColumn(), c.counts()), c.geneIdColumnSource());
  }

  @Override
  public Dataset<Row> read(
      SparkSession spark, List<AtlasInput> inputs, StructType obs, ReadPlan plan) {
    Dataset<Row> cells = null;
    for (AtlasInput i : inputs) {
      Dataset<Row> r = LoomCells.read(spark, ((Input) i).loom(), obs);
      cells = cells == null ? r : cells.union(r);
    }
    return cells;
  }
}
