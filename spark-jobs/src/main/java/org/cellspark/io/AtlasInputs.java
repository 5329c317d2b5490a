package org.cellspark.io;

import java.io.IOException;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.types.DataType;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;
import org.cellspark.error.UserException;
import org.cellspark.files.FileSystems;
import org.cellspark.io.InputFiles.InputFile;
import org.cellspark.io.cells.CellCountsSchema;
import org.cellspark.io.longtable.LongTableFormat;
import org.cellspark.io.tenx.TenxFormat;

/**
 * A job's atlas inputs, each opened and checked by its format ({@link AtlasFormats}), in the
 * registry's order (by format, then as the user listed them). Tokenize and medians find and read
 * their inputs through this class alone.
 */
public record AtlasInputs(List<AtlasInput> inputs) {

  /**
   * Finds every input the specs name (comma-separated lists, files, folders, globs) and opens it: a
   * path a folder format recognises is one input; a spec ending with a file format's extension is
   * expanded as a glob of such files; a folder is listed for every file format's extension; each
   * file goes to the first format that claims it, else to AnnData, as do the remaining specs.
   */
  public static AtlasInputs expand(List<String> specs, InputContext c) {
    return expand(specs, c, AtlasFormats.ALL);
  }

  /**
   * As {@link #expand(List, InputContext)}, with these formats (in this order; AnnData stays the
   * fallback): for tests of the contract with a format of their own.
   */
  static AtlasInputs expand(List<String> specs, InputContext c, List<AtlasFormat> formats) {
    Configuration conf = c.spark().sparkContext().hadoopConfiguration();
    List<AtlasInput> opened = new ArrayList<>();
    List<String> fallbackSpecs = new ArrayList<>();
    for (String raw : specs) {
      for (String spec : raw.split(",", -1)) {
        spec = spec.trim();
        if (!spec.isEmpty()) {
          expandOne(spec, c, conf, formats, opened, fallbackSpecs);
        }
      }
    }
    refuseUnusedOptions(c, opened);
    if (!fallbackSpecs.isEmpty() || opened.isEmpty()) {
      // AnnData expands its specs together: no match at all is refused naming them.
      for (InputFile f : InputFiles.expand(fallbackSpecs, ".h5ad", conf)) {
        opened.add(AtlasFormats.FALLBACK.open(f, c));
      }
    }
    if (c.counts().modality() != null
        && opened.stream().noneMatch(i -> i.file().uri().endsWith(".h5mu"))) {
      throw UserException.of(
          "--modality %s is for MuData (.h5mu) inputs, and none of the inputs is one",
          c.counts().modality());
    }
    List<AtlasInput> ordered = new ArrayList<>(opened);
    ordered.sort(Comparator.comparingInt(i -> formats.indexOf(i.format())));
    return new AtlasInputs(List.copyOf(ordered));
  }

  private static void expandOne(
      String spec,
      InputContext c,
      Configuration conf,
      List<AtlasFormat> formats,
      List<AtlasInput> opened,
      List<String> fallbackSpecs) {
    for (AtlasFormat format : formats) {
      if (format instanceof AtlasFormat.OfFolders folders && folders.recognises(spec, conf)) {
        opened.add(folders.open(spec, c));
        return;
      }
    }
    boolean folder = isFolder(spec, conf);
    int before = opened.size();
    for (AtlasFormat format : formats) {
      if (format instanceof AtlasFormat.OfFolders folders) {
        for (String inside : folders.within(spec, conf)) {
          opened.add(folders.open(inside, c));
        }
      }
    }
    if (opened.size() > before && !folder) {
      return; // a glob of folder inputs
    }
    for (AtlasFormat format : formats) {
      if (format != AtlasFormats.FALLBACK && format instanceof AtlasFormat.OfFiles files) {
        for (String extension : files.extensions()) {
          if (spec.endsWith(extension)) {
            for (InputFile f : InputFiles.expand(List.of(spec), extension, conf)) {
              place(f, c, formats, opened, fallbackSpecs);
            }
            return;
          }
        }
      }
    }
    if (folder) {
      List<InputFile> files = InputFiles.list(spec, conf, fileExtensions(formats));
      if (files.isEmpty() && opened.size() == before) {
        throw UserException.of(
            "Input folder %s holds no atlas files (%s) nor AnnData zarr stores, and is neither a"
                + " Matrix Market folder (matrix.mtx[.gz]) nor a Parquet table",
            spec, String.join(", ", fileExtensions(formats)));
      }
      files.forEach(f -> place(f, c, formats, opened, fallbackSpecs));
    } else {
      fallbackSpecs.add(spec);
    }
  }

  /** A file to the first format that claims it; else AnnData's (whose refusal names both). */
  private static void place(
      InputFile f,
      InputContext c,
      List<AtlasFormat> formats,
      List<AtlasInput> opened,
      List<String> fallbackSpecs) {
    for (AtlasFormat format : formats) {
      if (format != AtlasFormats.FALLBACK
          && format instanceof AtlasFormat.OfFiles files
          && files.extensions().stream().anyMatch(f.uri()::endsWith)
          && files.claims(c.hdf(), f)) {
        opened.add(files.open(f, c));
        return;
      }
    }
    fallbackSpecs.add(f.location());
  }

  /** Every file format's extensions, in registry order. */
  private static String[] fileExtensions(List<AtlasFormat> formats) {
    return formats.stream()
        .filter(AtlasFormat.OfFiles.class::isInstance)
        .flatMap(f -> ((AtlasFormat.OfFiles) f).extensions().stream())
        .distinct()
        .toArray(String[]::new);
  }

  /** Options for one format given when no input is of it: the user expected them to be used. */
  private static void refuseUnusedOptions(InputContext c, List<AtlasInput> opened) {
    if (c.cellTable() != null
        && opened.stream().noneMatch(i -> i.format() == LongTableFormat.INSTANCE)) {
      throw UserException.of(
          "--cell-table %s is for Parquet long-table inputs, and none of the inputs is one",
          c.cellTable());
    }
    if (c.genome() != null && opened.stream().noneMatch(i -> i.format() == TenxFormat.INSTANCE)) {
      throw UserException.of(
          "--genome %s is for Cell Ranger .h5 inputs, and none of the inputs is one", c.genome());
    }
  }

  /** Every input's file entry (a folder input by its folder URI), in order. */
  public List<InputFile> files() {
    return inputs.stream().map(AtlasInput::file).toList();
  }

  /**
   * Every input's cells as one table of {@link CellCountsSchema} rows, each format's inputs read by
   * their format, in registry order. The obs struct holds the asked-for columns that some input
   * has, each typed to fit every input (integers and floats meet as doubles); a cell whose input
   * lacks a column has null there. What the reading keeps alive goes to {@code plan.held()}, for
   * the caller to close when the job ends (also when this method fails part way).
   */
  public Dataset<Row> read(SparkSession spark, List<String> obs, ReadPlan plan) {
    StructType obsType = obsType(obs);
    Map<AtlasFormat, List<AtlasInput>> byFormat = new LinkedHashMap<>(); // in registry order
    inputs.forEach(i -> byFormat.computeIfAbsent(i.format(), k -> new ArrayList<>()).add(i));
    Dataset<Row> cells = null;
    for (Map.Entry<AtlasFormat, List<AtlasInput>> e : byFormat.entrySet()) {
      Dataset<Row> r = e.getKey().read(spark, e.getValue(), obsType, plan);
      cells = cells == null ? r : cells.union(r);
    }
    return cells;
  }

  /**
   * The obs struct: each asked-for column some input has, widened to fit all of them. Without any
   * annotation Spark cannot encode an empty struct, so obs then holds one always-null placeholder
   * field.
   */
  StructType obsType(List<String> obs) {
    Map<String, DataType> types = new LinkedHashMap<>();
    Map<String, String> from = new HashMap<>();
    for (String name : obs) {
      for (AtlasInput input : inputs) {
        if (!input.annotations().has(name)) {
          continue;
        }
        DataType type = input.annotations().kind(name).sparkType();
        DataType before = types.get(name);
        DataType merged = before == null ? type : widen(before, type);
        if (merged == null) {
          throw UserException.of(
              "Column '%s' is %s in %s but %s in %s; make it the same type in every input or leave"
                  + " it out",
              name,
              before.simpleString(),
              from.get(name),
              type.simpleString(),
              input.file().name());
        }
        types.put(name, merged);
        from.putIfAbsent(name, input.file().name());
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

  private static boolean isFolder(String spec, Configuration conf) {
    Path p = new Path(spec);
    try {
      FileSystem fs = FileSystems.of(p, conf);
      return fs.exists(p) && fs.getFileStatus(p).isDirectory();
    } catch (IOException | IllegalArgumentException e) {
      return false; // globs and unreadable paths: the AnnData expansion reports them
    }
  }
}
