package org.cellspark.io.tenx;

import java.util.List;
import java.util.Locale;
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
import org.cellspark.io.hdf5.HdfOpener;

/**
 * Cell Ranger's HDF5 matrices ({@code .h5}, every version): gene expression features only; no cell
 * annotations.
 */
public final class TenxFormat implements AtlasFormat.OfFiles {
  public static final TenxFormat INSTANCE = new TenxFormat();

  private TenxFormat() {}

  @Override
  public String describedAs() {
    return "a Cell Ranger matrix (.h5)";
  }

  @Override
  public List<String> extensions() {
    return List.of(".h5");
  }

  /** An .h5 file is a Cell Ranger matrix when laid out as one; else it is AnnData's to read. */
  @Override
  public boolean claims(HdfOpener hdf, InputFile f) {
    return TenxH5.looksLikeTenx(hdf, f);
  }

  /** An opened Cell Ranger input; gene keys are its IDs, or its names with symbols. */
  record Input(TenxH5 matrix, boolean bySymbol) implements AtlasInput {
    @Override
    public InputFile file() {
      return matrix.file();
    }

    @Override
    public AtlasFormat format() {
      return INSTANCE;
    }

    @Override
    public long cells() {
      return matrix.cells();
    }

    @Override
    public int genes() {
      return matrix.genes();
    }

    @Override
    public String describe() {
      return String.format(
          Locale.ROOT,
          "Cell Ranger HDF5, %,d features x %,d cells, %,d values%s",
          matrix.genes(),
          matrix.cells(),
          matrix.stored(),
          matrix.otherFeatures() == 0
              ? ""
              : String.format(
                  Locale.ROOT, " (%,d features of other types left out)", matrix.otherFeatures()));
    }

    @Override
    public String[] geneKeys() {
      return bySymbol ? matrix.geneNames() : matrix.geneIds();
    }

    @Override
    public String geneKeySource() {
      return bySymbol ? matrix.symbolSource() : matrix.idSource();
    }

    @Override
    public String[] symbols() {
      return matrix.geneNames();
    }

    @Override
    public String fixedGeneIdPlace() {
      return matrix.idSource() + ", symbols " + matrix.symbolSource();
    }

    @Override
    public Annotations annotations() {
      return Annotations.NONE;
    }
  }

  @Override
  public AtlasInput open(InputFile f, InputContext c) {
    return new Input(TenxH5.open(c.hdf(), f, c.genome()), c.bySymbol());
  }

  @Override
  public Dataset<Row> read(
      SparkSession spark, List<AtlasInput> inputs, StructType obs, ReadPlan plan) {
    Dataset<Row> cells = null;
    for (AtlasInput i : inputs) {
      Dataset<Row> r = TenxCells.read(spark, ((Input) i).matrix(), obs);
      cells = cells == null ? r : cells.union(r);
    }
    return cells;
  }
}
