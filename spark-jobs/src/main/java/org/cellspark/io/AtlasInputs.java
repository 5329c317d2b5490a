package org.cellspark.io;

import static org.apache.spark.sql.functions.col;
import static org.apache.spark.sql.functions.lit;
import static org.apache.spark.sql.functions.struct;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;
import org.apache.spark.sql.Column;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.types.DataType;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructField;
import org.apache.spark.sql.types.StructType;
import org.cellspark.error.Bug;
import org.cellspark.error.UserException;
import org.cellspark.io.InputFiles.InputFile;
import org.cellspark.io.cells.CellCountsSchema;
import org.cellspark.io.h5ad.CountsLocation;
import org.cellspark.io.h5ad.H5adFile;
import org.cellspark.io.h5ad.H5adOptions;
import org.cellspark.io.h5ad.ObsColumn;
import org.cellspark.io.longtable.LongTable;
import org.cellspark.io.longtable.LongTableCells;
import org.cellspark.io.loom.LoomCells;
import org.cellspark.io.loom.LoomFile;
import org.cellspark.io.mtx.MtxCells;
import org.cellspark.io.mtx.MtxFolder;
import org.cellspark.io.storage.HdfOpener;
import org.cellspark.io.tenx.TenxCells;
import org.cellspark.io.tenx.TenxH5;

/**
 * Atlas inputs by format (tokenize and medians read them alike): a folder holding {@code
 * matrix.mtx[.gz]} is one Matrix Market input, a {@code .h5} file laid out as a Cell Ranger matrix
 * is one, {@code .loom} files (or globs of them) are loom inputs, every other spec (files, folders
 * of .h5ad, globs) expands to AnnData files; a MuData {@code .h5mu} file is read as the AnnData of
 * one of its modalities.
 */
public record AtlasInputs(
    List<InputFile> h5ad,
    List<MtxFolder> mtx,
    List<TenxH5> tenx,
    List<LoomFile> loom,
    List<LongTable> longTables) {

  /**
   * @param geneIdColumn the loom row attribute holding gene IDs (else loompy's {@code Accession});
   *     null = gene symbols (loompy's {@code Gene})
   * @param cellTable Parquet table of cell attributes for the long-table inputs, or null
   * @param counts which counts to read (loom: X = its main matrix, or layers/NAME; MuData: in which
   *     modality)
   * @param genome the genome of Cell Ranger files holding several; null for the only one
   */
  public static AtlasInputs expand(
      SparkSession spark,
      List<String> specs,
      String geneIdColumn,
      String cellTable,
      CountsLocation counts,
      String genome) {
    Configuration conf = spark.sparkContext().hadoopConfiguration();
    Found found = new Found(HdfOpener.onDriver(conf), geneIdColumn, counts, genome);
    for (String raw : specs) {
      for (String spec : raw.split(",", -1)) {
        spec = spec.trim();
        if (spec.isEmpty()) {
          continue;
        }
        if (isMtxFolder(spec, conf)) {
          found.mtx.add(MtxFolder.open(spec, spec, conf));
        } else if (LongTable.isLongTable(spec, conf)) {
          found.longTables.add(
              LongTable.open(spark, new InputFile(qualified(spec, conf), spec), cellTable));
        } else if (LoomFile.isLoom(spec)) {
          InputFiles.expand(List.of(spec), ".loom", conf).forEach(found::file);
        } else if (spec.endsWith(".h5")) {
          InputFiles.expand(List.of(spec), ".h5", conf).forEach(found::file);
        } else if (isFolder(spec, conf)) {
          // A folder of atlas files: each by its extension (h5ad, MuData, loom, Cell Ranger .h5).
          List<InputFile> files = InputFiles.list(spec, conf, ".h5ad", ".h5mu", ".loom", ".h5");
          if (files.isEmpty()) {
            throw UserException.of(
                "Input folder %s holds no atlas files (.h5ad, .h5mu, .loom, Cell Ranger .h5), and"
                    + " is neither a Matrix Market folder (matrix.mtx[.gz]) nor a Parquet table",
                spec);
          }
          files.forEach(found::file);
        } else {
          found.h5adSpecs.add(spec);
        }
      }
    }
    if (cellTable != null && found.longTables.isEmpty()) {
      throw UserException.of(
          "--cell-table %s is for Parquet long-table inputs, and none of the inputs is one",
          cellTable);
    }
    if (genome != null && found.tenx.isEmpty()) {
      throw UserException.of(
          "--genome %s is for Cell Ranger .h5 inputs, and none of the inputs is one", genome);
    }
    boolean onlyOthers =
        found.h5adSpecs.isEmpty()
            && !(found.mtx.isEmpty()
                && found.tenx.isEmpty()
                && found.loom.isEmpty()
                && found.longTables.isEmpty());
    List<InputFile> h5ad =
        onlyOthers ? List.of() : InputFiles.expand(found.h5adSpecs, ".h5ad", conf);
    if (counts.modality() != null && h5ad.stream().noneMatch(f -> f.uri().endsWith(".h5mu"))) {
      throw UserException.of(
          "--modality %s is for MuData (.h5mu) inputs, and none of the inputs is one",
          counts.modality());
    }
    return new AtlasInputs(h5ad, found.mtx, found.tenx, found.loom, found.longTables);
  }

  /**
   * The inputs found so far, by format; {@link #file} places one HDF5 file by its extension and
   * layout.
   */
  private static final class Found {
    final HdfOpener hdf;
    final String geneIdColumn;
    final CountsLocation counts;
    final String genome;
    final List<String> h5adSpecs = new ArrayList<>();
    final List<MtxFolder> mtx = new ArrayList<>();
    final List<TenxH5> tenx = new ArrayList<>();
    final List<LoomFile> loom = new ArrayList<>();
    final List<LongTable> longTables = new ArrayList<>();

    Found(HdfOpener hdf, String geneIdColumn, CountsLocation counts, String genome) {
      this.hdf = hdf;
      this.geneIdColumn = geneIdColumn;
      this.counts = counts;
      this.genome = genome;
    }

    /**
     * .loom as loom; .h5 as a Cell Ranger matrix when laid out as one, else (like .h5ad and .h5mu)
     * as AnnData, whose refusal names both formats.
     */
    void file(InputFile f) {
      if (f.uri().endsWith(".loom")) {
        loom.add(LoomFile.open(hdf, f, geneIdColumn, counts));
      } else if (f.uri().endsWith(".h5") && TenxH5.looksLikeTenx(hdf, f)) {
        tenx.add(TenxH5.open(hdf, f, genome));
      } else {
        h5adSpecs.add(f.uri());
      }
    }
  }

  /** Every input as a file entry (a Matrix Market folder by its folder URI), h5ad first. */
  public List<InputFile> all() {
    List<InputFile> out = new ArrayList<>(h5ad);
    mtx.forEach(m -> out.add(new InputFile(m.uri(), m.name())));
    tenx.forEach(t -> out.add(t.file()));
    loom.forEach(l -> out.add(l.file()));
    longTables.forEach(t -> out.add(t.file()));
    return out;
  }

  /**
   * Every input's cells as one table of {@link CellCountsSchema} rows: the .h5ad files through the
   * h5ad data source, the loom files with their column attributes, then the Cell Ranger files and
   * the Matrix Market folders (no annotations). The obs struct holds the asked-for columns that
   * some input has, each typed to fit every input (integers and floats meet as doubles); a cell
   * whose input lacks a column has null there. The Matrix Market reads keep their entries
   * persisted: they are added to {@code mtxReads}, for the caller to release when the job ends
   * (also when this method fails part way).
   *
   * @param partitions h5ad and Matrix Market partitions; 0 = planned from the data
   */
  public Dataset<Row> read(
      SparkSession spark,
      CountsLocation counts,
      List<String> obs,
      int partitions,
      List<MtxCells.Read> mtxReads) {
    List<String> h5adObs =
        loom.isEmpty() && longTables.isEmpty()
            ? obs
            : obs.stream()
                .filter(
                    h5adColumns(
                            HdfOpener.onDriver(spark.sparkContext().hadoopConfiguration()), counts)
                        ::contains)
                .toList();
    Dataset<Row> cells = h5ad.isEmpty() ? null : readH5ad(spark, counts, h5adObs, partitions);
    StructType obsType = obsType(cells, obs);
    if (cells != null && !CellCountsSchema.obsOf(cells.schema()).equals(obsType)) {
      cells = conform(cells, obsType);
    }
    for (LoomFile l : loom) {
      Dataset<Row> r = LoomCells.read(spark, l, obsType);
      cells = cells == null ? r : cells.union(r);
    }
    for (LongTable t : longTables) {
      Dataset<Row> r = LongTableCells.read(spark, t, obsType);
      cells = cells == null ? r : cells.union(r);
    }
    for (TenxH5 t : tenx) {
      Dataset<Row> r = TenxCells.read(spark, t, obsType);
      cells = cells == null ? r : cells.union(r);
    }
    for (MtxFolder m : mtx) {
      spark.sparkContext().setJobDescription("read and check " + m.name());
      MtxCells.Read r =
          MtxCells.read(
              spark,
              m,
              obsType,
              partitions > 0 ? partitions : spark.sparkContext().defaultParallelism() * 2,
              spark.sparkContext().hadoopConfiguration());
      mtxReads.add(r);
      cells = cells == null ? r.cells() : cells.union(r.cells());
    }
    return cells;
  }

  /** Every obs column name of the .h5ad inputs. */
  private Set<String> h5adColumns(HdfOpener hdf, CountsLocation counts) {
    Set<String> out = new HashSet<>();
    for (InputFile f : h5ad) {
      try (H5adFile h5 = H5adFile.open(hdf, f, counts.modality())) {
        out.addAll(h5.obs().columnNames());
      }
    }
    return out;
  }

  /**
   * The obs struct: the h5ad source's columns, widened with the loom files' attributes of the
   * asked-for names. Without any annotation Spark cannot encode an empty struct, so obs then holds
   * one always-null placeholder field.
   */
  private StructType obsType(Dataset<Row> h5adCells, List<String> obs) {
    Map<String, DataType> types = new LinkedHashMap<>();
    Map<String, String> from = new HashMap<>();
    StructType fromH5ad =
        h5adCells == null ? new StructType() : CellCountsSchema.obsOf(h5adCells.schema());
    for (String name : obs) {
      if (Arrays.asList(fromH5ad.fieldNames()).contains(name)) {
        types.put(name, fromH5ad.apply(name).dataType());
        from.put(name, h5ad.size() == 1 ? h5ad.get(0).name() : "the .h5ad inputs");
      }
      Map<InputFile, Map<String, ObsColumn.Kind>> annotated = new LinkedHashMap<>();
      loom.forEach(l -> annotated.put(l.file(), l.columns()));
      longTables.forEach(t -> annotated.put(t.file(), t.columns()));
      for (Map.Entry<InputFile, Map<String, ObsColumn.Kind>> input : annotated.entrySet()) {
        ObsColumn.Kind k = input.getValue().get(name);
        if (k == null) {
          continue;
        }
        DataType before = types.get(name);
        DataType merged = before == null ? k.sparkType() : widen(before, k.sparkType());
        if (merged == null) {
          throw UserException.of(
              "Column '%s' is %s in %s but %s in %s; make it the same type in every input or leave"
                  + " it out",
              name,
              before.simpleString(),
              from.get(name),
              k.sparkType().simpleString(),
              input.getKey().name());
        }
        types.put(name, merged);
        from.putIfAbsent(name, input.getKey().name());
      }
    }
    if (types.isEmpty()) {
      return new StructType().add("_no_annotations", DataTypes.BooleanType, true);
    }
    StructType out = new StructType();
    for (Map.Entry<String, DataType> e : types.entrySet()) {
      out = out.add(e.getKey(), e.getValue(), true);
    }
    return out;
  }

  private static DataType widen(DataType a, DataType b) {
    if (a.equals(b)) {
      return a;
    }
    boolean numeric =
        (a.equals(DataTypes.LongType) || a.equals(DataTypes.DoubleType))
            && (b.equals(DataTypes.LongType) || b.equals(DataTypes.DoubleType));
    return numeric ? DataTypes.DoubleType : null;
  }

  /**
   * The h5ad rows with obs recast to {@code obsType} (missing columns null; the h5ad rows may have
   * no obs at all).
   */
  private static Dataset<Row> conform(Dataset<Row> cells, StructType obsType) {
    StructType have = CellCountsSchema.obsOf(cells.schema());
    List<Column> fields = new ArrayList<>();
    for (StructField f : obsType.fields()) {
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

  private Dataset<Row> readH5ad(
      SparkSession spark, CountsLocation counts, List<String> obs, int partitions) {
    try {
      return spark
          .read()
          .format("h5ad")
          .option(
              "paths",
              new ObjectMapper().writeValueAsString(h5ad.stream().map(InputFile::uri).toList()))
          .option(H5adOptions.COUNTS, counts.spelling())
          .option(H5adOptions.MODALITY, counts.modality() == null ? "" : counts.modality())
          .option(H5adOptions.OBS_COLUMNS, String.join(",", obs))
          .option(H5adOptions.PARTITIONS, partitions)
          .load();
    } catch (JsonProcessingException e) {
      throw new Bug("the h5ad data source's options could not be written as JSON", e);
    }
  }

  private static boolean isFolder(String spec, Configuration conf) {
    Path p = new Path(spec);
    try {
      FileSystem fs = p.getFileSystem(conf);
      return fs.exists(p) && fs.getFileStatus(p).isDirectory();
    } catch (IOException | IllegalArgumentException e) {
      return false; // globs and unreadable paths: the .h5ad expansion reports them
    }
  }

  private static String qualified(String spec, Configuration conf) {
    Path p = new Path(spec);
    try {
      return p.getFileSystem(conf).makeQualified(p).toUri().toString();
    } catch (IOException e) {
      throw UserException.because(
          e, "Cannot open input %s: %s", spec, FileSystemHints.explain(spec, e));
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
