package org.cellspark.io.zarr;

import java.util.ArrayList;
import java.util.List;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FileStatus;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.types.StructType;
import org.cellspark.error.UserException;
import org.cellspark.files.FileSystems;
import org.cellspark.io.Annotations;
import org.cellspark.io.AtlasFormat;
import org.cellspark.io.AtlasInput;
import org.cellspark.io.InputContext;
import org.cellspark.io.InputFiles.InputFile;
import org.cellspark.io.OpenedInput;
import org.cellspark.io.PathGlobs;
import org.cellspark.io.ReadPlan;
import org.cellspark.io.cells.CountsLocation;

/**
 * AnnData zarr stores ({@code adata.write_zarr}; upstream's tokenizer reads them with {@code
 * file_format="zarr"}): a folder that is one input as a whole, read wherever Hadoop reads (local,
 * s3a://, gs://, hdfs://). The same options as an {@code .h5ad}: {@code --counts}, {@code
 * --gene-id-column}, {@code --gene-name-column}, {@code --attribute}.
 */
public final class ZarrFormat implements AtlasFormat.OfFolders {
  public static final ZarrFormat INSTANCE = new ZarrFormat();

  private ZarrFormat() {}

  @Override
  public String describedAs() {
    return "an AnnData zarr store";
  }

  @Override
  public boolean recognises(String spec, Configuration conf) {
    Path p = new Path(spec);
    try {
      FileSystem fs = FileSystems.of(p, conf);
      return fs.getFileStatus(p).isDirectory() && AnnDataZarr.recognises(spec, conf);
    } catch (java.io.IOException | IllegalArgumentException e) {
      return false; // a glob or an unreadable path: the AnnData expansion reports it
    }
  }

  /**
   * The stores a glob ending in {@code .zarr} matches ({@code atlases/*.zarr}), or the stores
   * directly inside a folder (subfolders named {@code *.zarr}), sorted. Other specs (an {@code
   * .h5ad} glob, say) are not listed here: only the format they name lists them.
   */
  @Override
  public List<String> within(String spec, Configuration conf) {
    Path p = new Path(spec);
    List<String> out = new ArrayList<>();
    try {
      FileSystem fs = FileSystems.of(p, conf);
      boolean named = p.getName().endsWith(".zarr");
      if (!named && !(fs.exists(p) && fs.getFileStatus(p).isDirectory())) {
        return List.of();
      }
      FileStatus[] matches = PathGlobs.matches(fs, p);
      if (matches == null) {
        return List.of();
      }
      boolean glob = matches.length != 1 || !matches[0].getPath().equals(fs.makeQualified(p));
      for (FileStatus m : matches) {
        if (!m.isDirectory()) {
          continue;
        }
        if (glob) {
          if (AnnDataZarr.recognises(m.getPath().toString(), conf)) {
            out.add(m.getPath().toString());
          }
        } else {
          for (FileStatus child : fs.listStatus(m.getPath())) {
            if (child.isDirectory()
                && child.getPath().getName().endsWith(".zarr")
                && AnnDataZarr.recognises(child.getPath().toString(), conf)) {
              out.add(child.getPath().toString());
            }
          }
        }
      }
    } catch (java.io.IOException | IllegalArgumentException e) {
      return List.of(); // unreadable: the AnnData expansion reports it
    }
    out.sort(null);
    return out;
  }

  /**
   * Opens the store, checks the counts against obs and the gene table, and reads its gene keys,
   * symbols and obs columns' kinds.
   */
  @Override
  public AtlasInput open(String spec, InputContext c) {
    if (c.counts().modality() != null) {
      throw UserException.of(
          "Input %s is an AnnData zarr store; --modality is for MuData (.h5mu) files: leave it"
              + " out",
          spec);
    }
    String uri = new Path(spec).toUri().toString();
    InputFile file = new InputFile(uri, spec);
    AnnDataZarr z = AnnDataZarr.open(file, c.spark().sparkContext().hadoopConfiguration());
    CountsLocation counts = c.counts();
    String describe = z.describe(counts);
    String[] keys =
        c.bySymbol()
            ? z.geneStrings(counts, c.geneIdColumn(), "--gene-id-column")
            : z.geneIds(counts, c.geneIdColumn());
    return new OpenedInput(
        INSTANCE,
        file,
        z.cells(),
        keys.length,
        describe,
        keys,
        c.geneIdColumnSource(),
        z.geneStrings(counts, c.geneNameColumn(), "--gene-name-column"),
        annotations(z.obs()));
  }

  /** Every obs column, with its kind or, for an encoding Cellspark cannot read, the refusal. */
  private static Annotations annotations(ZarrFrame obs) {
    return Annotations.probed("obs column", obs.columnNames(), name -> obs.column(name).kind());
  }

  @Override
  public Dataset<Row> read(
      SparkSession spark, List<AtlasInput> inputs, StructType obs, ReadPlan plan) {
    Dataset<Row> cells = null;
    for (AtlasInput i : inputs) {
      Dataset<Row> r =
          ZarrCells.read(spark, i.file(), i.cells(), plan.counts(), obs, plan.partitions());
      cells = cells == null ? r : cells.union(r);
    }
    return cells;
  }
}
