package org.cellspark.io.mtx;

import java.io.IOException;
import java.util.List;
import java.util.Locale;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.types.StructType;
import org.cellspark.files.FileSystems;
import org.cellspark.io.Annotations;
import org.cellspark.io.AtlasFormat;
import org.cellspark.io.AtlasInput;
import org.cellspark.io.InputContext;
import org.cellspark.io.InputFiles.InputFile;
import org.cellspark.io.ReadPlan;

/**
 * Matrix Market folders as Cell Ranger writes them ({@code matrix.mtx[.gz]}, {@code features.tsv}
 * or {@code genes.tsv}, {@code barcodes.tsv}): gene expression features only; no cell annotations.
 */
public final class MtxFormat implements AtlasFormat.OfFolders {
  public static final MtxFormat INSTANCE = new MtxFormat();

  private MtxFormat() {}

  @Override
  public String describedAs() {
    return "a Matrix Market folder";
  }

  @Override
  public boolean recognises(String spec, Configuration conf) {
    Path p = new Path(spec);
    try {
      FileSystem fs = FileSystems.of(p, conf);
      return fs.exists(p) && MtxFolder.isMtxFolder(fs, p);
    } catch (IOException | IllegalArgumentException e) {
      return false; // a glob or an unreadable path: the AnnData expansion reports it
    }
  }

  /** An opened Matrix Market input; gene keys from features.tsv's first column, or its second. */
  record Input(MtxFolder folder, boolean bySymbol) implements AtlasInput {
    @Override
    public InputFile file() {
      return new InputFile(folder.uri(), folder.name());
    }

    @Override
    public AtlasFormat format() {
      return INSTANCE;
    }

    @Override
    public long cells() {
      return folder.cols();
    }

    @Override
    public int genes() {
      return folder.rows();
    }

    @Override
    public String describe() {
      return String.format(
          Locale.ROOT,
          "Matrix Market, %,d genes x %,d cells, %,d entries%s",
          folder.rows(),
          folder.cols(),
          folder.entries(),
          folder.otherFeatures() == 0
              ? ""
              : String.format(
                  Locale.ROOT, " (%,d features of other types left out)", folder.otherFeatures()));
    }

    @Override
    public String[] geneKeys() {
      return bySymbol ? folder.symbols() : folder.geneIds();
    }

    @Override
    public String geneKeySource() {
      return bySymbol ? "the second column of features.tsv" : "the first column of features.tsv";
    }

    @Override
    public String[] symbols() {
      return folder.symbols();
    }

    @Override
    public String fixedGeneIdPlace() {
      return "the first column of features.tsv (genes.tsv), symbols the second";
    }

    @Override
    public Annotations annotations() {
      return Annotations.NONE;
    }
  }

  @Override
  public AtlasInput open(String spec, InputContext c) {
    return new Input(
        MtxFolder.open(spec, spec, c.spark().sparkContext().hadoopConfiguration()), c.bySymbol());
  }

  /**
   * Each folder checked and its entries persisted (released when the job ends), then grouped into
   * cells; partitions as asked, else two per core.
   */
  @Override
  public Dataset<Row> read(
      SparkSession spark, List<AtlasInput> inputs, StructType obs, ReadPlan plan) {
    Dataset<Row> cells = null;
    for (AtlasInput i : inputs) {
      MtxFolder m = ((Input) i).folder();
      spark.sparkContext().setJobDescription("read and check " + m.name());
      MtxCells.Read r =
          MtxCells.read(
              spark,
              m,
              obs,
              plan.partitions() > 0
                  ? plan.partitions()
                  : spark.sparkContext().defaultParallelism() * 2,
              spark.sparkContext().hadoopConfiguration());
      plan.held().add(r::release);
      cells = cells == null ? r.cells() : cells.union(r.cells());
    }
    return cells;
  }
}
