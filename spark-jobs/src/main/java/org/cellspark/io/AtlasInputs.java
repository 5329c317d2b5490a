package org.cellspark.io;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;
import org.cellspark.error.UserException;
import org.cellspark.io.InputFiles.InputFile;
import org.cellspark.io.cells.CellCountsSchema;
import org.cellspark.io.h5ad.CountsLocation;
import org.cellspark.io.h5ad.H5adOptions;
import org.cellspark.io.mtx.MtxCells;
import org.cellspark.io.mtx.MtxFolder;
import org.cellspark.io.tenx.TenxCells;
import org.cellspark.io.tenx.TenxH5;

/**
 * Atlas inputs by format (tokenize and medians read them alike): a folder holding {@code matrix.mtx[.gz]} is one Matrix Market
 * input, a {@code .h5} file laid out as a Cell Ranger matrix is one, every other spec (files,
 * folders of .h5ad, globs) expands to AnnData files.
 */
public record AtlasInputs(List<InputFile> h5ad, List<MtxFolder> mtx, List<TenxH5> tenx) {

  public static AtlasInputs expand(List<String> specs, Configuration conf) {
    List<String> h5adSpecs = new ArrayList<>();
    List<MtxFolder> mtx = new ArrayList<>();
    List<TenxH5> tenx = new ArrayList<>();
    for (String raw : specs) {
      for (String spec : raw.split(",")) {
        spec = spec.trim();
        if (spec.isEmpty()) {
          continue;
        }
        if (isMtxFolder(spec, conf)) {
          mtx.add(MtxFolder.open(spec, spec, conf));
        } else if (spec.endsWith(".h5")) {
          // Cell Ranger matrices by their layout; any other .h5 is tried as AnnData (whose
          // refusal names both formats).
          for (InputFile f : InputFiles.expand(List.of(spec), ".h5", conf)) {
            if (TenxH5.looksLikeTenx(f.localPath())) {
              tenx.add(TenxH5.open(f));
            } else {
              h5adSpecs.add(f.uri());
            }
          }
        } else {
          h5adSpecs.add(spec);
        }
      }
    }
    List<InputFile> h5ad = h5adSpecs.isEmpty() && !(mtx.isEmpty() && tenx.isEmpty()) ? List.of()
        : InputFiles.expand(h5adSpecs, ".h5ad", conf);
    return new AtlasInputs(h5ad, mtx, tenx);
  }

  /** Every input as a file entry (a Matrix Market folder by its folder URI), h5ad first. */
  public List<InputFile> all() {
    List<InputFile> out = new ArrayList<>(h5ad);
    mtx.forEach(m -> out.add(new InputFile(m.uri(), m.name())));
    tenx.forEach(t -> out.add(t.file()));
    return out;
  }

  /**
   * Every input's cells as one table of {@link CellCountsSchema} rows: the .h5ad files through
   * the h5ad data source (with the {@code obs} columns asked for), then the Cell Ranger files and
   * the Matrix Market folders with the same obs struct (all null). The Matrix Market reads keep
   * their entries persisted: they are added to {@code mtxReads}, for the caller to release when
   * the job ends (also when this method fails part way).
   *
   * @param partitions h5ad and Matrix Market partitions; 0 = planned from the data
   */
  public Dataset<Row> read(SparkSession spark, CountsLocation counts, List<String> obs, int partitions,
      List<MtxCells.Read> mtxReads) {
    Dataset<Row> cells = h5ad.isEmpty() ? null : readH5ad(spark, counts, obs, partitions);
    // Without h5ad inputs there are no annotations; Spark cannot encode an empty struct, so obs
    // then holds one always-null placeholder field.
    StructType obsType = cells == null ? new StructType().add("_no_annotations", DataTypes.BooleanType, true)
        : (StructType) cells.schema().apply(CellCountsSchema.OBS).dataType();
    for (TenxH5 t : tenx) {
      Dataset<Row> r = TenxCells.read(spark, t, obsType);
      cells = cells == null ? r : cells.union(r);
    }
    for (MtxFolder m : mtx) {
      spark.sparkContext().setJobDescription("read and check " + m.name());
      MtxCells.Read r = MtxCells.read(spark, m, obsType,
          partitions > 0 ? partitions : spark.sparkContext().defaultParallelism() * 2, spark.sparkContext().hadoopConfiguration());
      mtxReads.add(r);
      cells = cells == null ? r.cells() : cells.union(r.cells());
    }
    return cells;
  }

  private Dataset<Row> readH5ad(SparkSession spark, CountsLocation counts, List<String> obs, int partitions) {
    try {
      return spark.read().format("h5ad")
          .option("paths", new ObjectMapper().writeValueAsString(h5ad.stream().map(InputFile::uri).toList()))
          .option(H5adOptions.COUNTS, counts.spelling())
          .option(H5adOptions.OBS_COLUMNS, String.join(",", obs))
          .option(H5adOptions.PARTITIONS, partitions)
          .load();
    } catch (JsonProcessingException e) {
      throw new IllegalStateException(e);
    }
  }

  private static boolean isMtxFolder(String spec, Configuration conf) {
    Path p = new Path(spec);
    try {
      FileSystem fs = p.getFileSystem(conf);
      return fs.exists(p) && MtxFolder.isMtxFolder(fs, p);
    } catch (IOException | IllegalArgumentException e) {
      return false; // a glob or an unreadable path: the .h5ad expansion reports it
    } catch (UserException e) {
      throw e;
    }
  }
}
