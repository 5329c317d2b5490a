package org.cellspark.jobs.tokenize;

import static org.apache.spark.sql.functions.col;
import static org.apache.spark.sql.functions.concat;
import static org.apache.spark.sql.functions.count;
import static org.apache.spark.sql.functions.element_at;
import static org.apache.spark.sql.functions.first;
import static org.apache.spark.sql.functions.lit;
import static org.apache.spark.sql.functions.map;

import java.io.IOException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.stream.Collectors;
import org.apache.hadoop.conf.Configuration;
import org.apache.spark.api.java.JavaRDD;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.broadcast.Broadcast;
import org.apache.spark.sql.Column;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.catalyst.InternalRow;
import org.apache.spark.sql.types.DataType;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructField;
import org.apache.spark.sql.types.StructType;
import org.cellspark.encode.EncodingSettings;
import org.cellspark.error.UserException;
import org.cellspark.files.FileSystemHints;
import org.cellspark.io.AtlasInputs;
import org.cellspark.io.InputContext;
import org.cellspark.io.InputFiles.InputFile;
import org.cellspark.io.ReadPlan;
import org.cellspark.io.arrow.HfDatasetWriter;
import org.cellspark.io.cells.CellCountsSchema;
import org.cellspark.io.cells.CountsLocation;
import org.cellspark.jobs.common.JobScope;
import org.cellspark.jobs.common.JobSummary;
import org.cellspark.jobs.common.ParquetFooters;
import org.cellspark.jobs.common.Progress;
import org.cellspark.jobs.common.SparkJobs;
import org.cellspark.jobs.common.StagedOutput;
import org.cellspark.spark.InternalRowsRelation;
import org.cellspark.vocab.Vocabulary;
import org.cellspark.vocab.VocabularyLoader;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * {@code cellspark tokenize}: AnnData atlases to Geneformer's rank-value-encoded tokens, as Parquet
 * ({@code cell_id, input_ids, length, n_counts, source, attributes...}) plus {@code
 * _cellspark.json}.
 *
 * <p>The driver inspects each input (gene table, obs columns: small) and checks everything it can
 * before any Spark work; executors read cells by row range through the {@code h5ad} data source and
 * encode them; the output is staged and moved into place only when complete.
 */
public final class TokenizeJob {
  private static final Logger LOG = LoggerFactory.getLogger(TokenizeJob.class);

  /**
   * How the token table is written. Measured on the 200k-cell benchmark (bench/tokenize): Parquet
   * v1's dictionary encoder spends most of the write hashing token ids (a 20-25k-entry dictionary)
   * and its plain int encoder writes byte by byte, so v2 data pages with delta-binary-packed ints
   * write faster; and Spark's standard three-level list layout costs a group per list element in
   * parquet-mr, so the two-level layout (Spark's "legacy" format: {@code repeated int32} inside the
   * LIST group) writes faster again. Together the write phase took 17.6 s instead of 32 s. Readers:
   * the two-level layout is the Parquet spec's first backward-compatibility rule ("a repeated field
   * that is not a group is the element, required"), which Spark, pyarrow (and so Hugging Face
   * datasets), DuckDB and Polars implement; all of them read v2 pages and delta encodings.
   */
  static final Map<String, String> TOKEN_PARQUET_OPTIONS =
      Map.of("parquet.writer.version", "PARQUET_2_0", "parquet.enable.dictionary", "false");

  /**
   * Row groups of 32 MiB instead of Parquet's 128 MiB: a writing task holds its current row group
   * on the heap, so until the first one is flushed a task's memory grows with its cells. Measured
   * with bench/memory (1M cells, 1 GB heap, local[2]): peak heap after GC 595 MB at 125,000 cells
   * per partition with 128 MiB row groups, 333 MB with 32 MiB, against 345 MB at 7,812 cells per
   * partition. A row group still holds about 4,000 cells of 2,048 tokens; readers split there. A
   * user's own {@code spark.hadoop.parquet.block.size} wins.
   */
  static final long TOKEN_ROW_GROUP_BYTES = 32L << 20;

  /** Session setting for the two-level list layout (see above); restored after the write. */
  static final String LEGACY_PARQUET_LISTS = "spark.sql.parquet.writeLegacyFormat";

  private TokenizeJob() {}

  private static Map<String, String> rowGroups(Configuration hadoop) {
    return hadoop.get("parquet.block.size") != null
        ? Map.of()
        : Map.of("parquet.block.size", Long.toString(TOKEN_ROW_GROUP_BYTES));
  }

  public static TokenizeResult run(SparkSession spark, TokenizeOptions o) {
    long start = System.nanoTime();
    Configuration hadoop = spark.sparkContext().hadoopConfiguration();
    CountsLocation countsAt = CountsLocation.parse(o.counts()).withModality(o.modality());
    AtlasInputs atlases = AtlasInputs.expand(o.inputs(), inputContext(spark, o, countsAt));
    List<InputFile> files = atlases.files();
    Vocabulary vocabulary = VocabularyLoader.load(o.vocabulary());
    EncodingSettings settings =
        EncodingSettings.resolve(vocabulary, o.specialTokens(), o.modelInputSize());
    if (o.geneIdType() == GeneIdType.SYMBOL && vocabulary.symbolToId().isEmpty()) {
      throw UserException.of(
          "--gene-id-type symbol needs the vocabulary's gene name dictionary (gene_name_id_dict.pkl"
              + " or .tsv), and %s has none; add one (cellspark medians writes it) or map the"
              + " symbols to Ensembl IDs first",
          o.vocabulary());
    }
    StagedOutput out =
        StagedOutput.prepare(
            o.output(), o.overwrite(), hadoop, files.stream().map(InputFile::uri).toList());
    try (ReadPlan.Held held = new ReadPlan.Held();
        JobScope job = JobScope.start(spark.sparkContext(), "cellspark tokenize", out)) {
      List<InspectedInput> inputs =
          atlases.inputs().stream().map(in -> InspectedInput.inspect(in, vocabulary, o)).toList();
      long inspected = System.nanoTime();
      LOG.info(
          "tokenize: {} input(s), {}; {}",
          inputs.size(),
          vocabulary.describe(),
          settings.describe());
      warnAboutSymbols(inputs);

      List<String> obsNeeded = obsColumnsNeeded(inputs);
      Dataset<Row> cells =
          atlases.read(spark, obsNeeded, new ReadPlan(countsAt, o.partitions(), held));
      checkUniqueCellIds(spark, cells, files);
      long checked = System.nanoTime();

      TokenizeCounters counters = new TokenizeCounters(spark.sparkContext());
      long written = encodeAndWrite(spark, cells, settings, o, inputs, counters, out);
      long tokenized = System.nanoTime();

      double seconds = (System.nanoTime() - start) / 1e9;
      JobSummary summary =
          TokenizeSummary.build(
              o,
              inputs,
              vocabulary,
              settings,
              counters,
              written,
              new double[] {
                (inspected - start) / 1e9, (checked - inspected) / 1e9, (tokenized - checked) / 1e9
              },
              seconds);
      job.commit(out, summary);
      LOG.info(
          "tokenize: {} of {} cells written to {} in {} s",
          written,
          counters.cellsRead.value(),
          out.targetLocation(),
          String.format(Locale.ROOT, "%.1f", seconds));
      return TokenizeResult.of(out.targetLocation(), counters, written, seconds, summary);
    }
  }

  /** What the options say about finding and opening inputs. */
  private static InputContext inputContext(
      SparkSession spark, TokenizeOptions o, CountsLocation countsAt) {
    return InputContext.onDriver(
        spark,
        countsAt,
        o.geneIdColumnOrDefault(),
        o.geneIdType() == GeneIdType.SYMBOL,
        null,
        o.cellTable(),
        o.genome());
  }

  /**
   * Rank-value encodes every cell on the executors (the plan broadcast once) and writes the token
   * table into the staging folder; returns the cells written, as the table holds them.
   */
  private static long encodeAndWrite(
      SparkSession spark,
      Dataset<Row> cells,
      EncodingSettings settings,
      TokenizeOptions o,
      List<InspectedInput> inputs,
      TokenizeCounters counters,
      StagedOutput out) {
    Configuration hadoop = spark.sparkContext().hadoopConfiguration();
    StructType obsType = (StructType) cells.schema().apply(CellCountsSchema.OBS).dataType();
    TokenizePlan plan = plan(settings, o, inputs, obsType);
    Broadcast<TokenizePlan> planBroadcast =
        JavaSparkContext.fromSparkContext(spark.sparkContext()).broadcast(plan);

    JavaRDD<InternalRow> tokens =
        cells
            .select(
                CellCountsSchema.CELL_ID,
                CellCountsSchema.SOURCE,
                CellCountsSchema.ROW_INDEX,
                CellCountsSchema.GENE_INDEX,
                CellCountsSchema.COUNTS,
                CellCountsSchema.OBS)
            .queryExecution()
            .toRdd()
            .toJavaRDD()
            .mapPartitions(new CellTokenizer(planBroadcast, counters));
    StructType schema = outputSchema(o, obsType);
    spark
        .sparkContext()
        .setJobDescription(
            "tokenize: read cells, rank-value encode, write "
                + (o.outputFormat() == OutputFormat.DATASET
                    ? "a Hugging Face dataset"
                    : "Parquet"));
    long totalCells =
        inputs.stream().allMatch(i -> i.cells() >= 0)
            ? inputs.stream().mapToLong(InspectedInput::cells).sum()
            : 0;
    Progress progress =
        new Progress(spark.sparkContext(), "tokenize", "cells", counters.cellsRead, totalCells);
    long written;
    try {
      if (o.outputFormat() == OutputFormat.DATASET) {
        written = writeDataset(spark, tokens, schema, out.stagingLocation());
      } else {
        Dataset<Row> table = InternalRowsRelation.dataFrame(spark, schema, tokens.rdd());
        SparkJobs.withSessionConf(
            spark,
            LEGACY_PARQUET_LISTS,
            "true",
            () ->
                table
                    .write()
                    .options(TOKEN_PARQUET_OPTIONS)
                    .options(rowGroups(hadoop))
                    .parquet(out.stagingLocation()));
        written = ParquetFooters.rowCount(hadoop, out.stagingLocation());
      }
    } finally {
      progress.close();
    }
    spark.sparkContext().setJobDescription(null);
    if (written != counters.cellsWritten.value()) {
      LOG.warn(
          "tokenize: counters say {} cells written, the table holds {}; reporting the table's",
          counters.cellsWritten.value(),
          written);
    }
    planBroadcast.destroy();
    return written;
  }

  /** The token table as a Hugging Face dataset, one Arrow file per partition; the rows written. */
  private static long writeDataset(
      SparkSession spark, JavaRDD<InternalRow> tokens, StructType schema, String folder) {
    try {
      return HfDatasetWriter.write(spark, tokens, schema, folder);
    } catch (IOException e) {
      throw UserException.because(
          e, "Cannot write the dataset to %s: %s", folder, FileSystemHints.explain(folder, e));
    }
  }

  /** Symbol inputs: says which symbols were left out, summed or matched only upper-cased. */
  private static void warnAboutSymbols(List<InspectedInput> inputs) {
    for (InspectedInput i : inputs) {
      SymbolMatch s = i.symbols();
      if (s == null) {
        continue;
      }
      if (s.unmatched() > 0) {
        LOG.warn(
            "tokenize: {}: {} symbol(s) not in the gene name dictionary, left out (first: {})",
            i.file().name(),
            s.unmatched(),
            String.join(", ", s.unmatchedExamples()));
      }
      if (s.duplicated() > 0) {
        LOG.warn(
            "tokenize: {}: {} column(s) repeat another's symbol and are summed with it (first:"
                + " {})",
            i.file().name(),
            s.duplicated(),
            String.join(", ", s.duplicatedExamples()));
      }
      if (s.byCase() > 0) {
        LOG.warn(
            "tokenize: {}: {} symbol(s) matched the gene name dictionary only once upper-cased"
                + " (first: {})",
            i.file().name(),
            s.byCase(),
            String.join(", ", s.byCaseExamples()));
      }
    }
  }

  private static List<String> obsColumnsNeeded(List<InspectedInput> inputs) {
    Set<String> needed = new LinkedHashSet<>();
    for (InspectedInput i : inputs) {
      needed.addAll(i.obsKinds().keySet());
    }
    return new ArrayList<>(needed);
  }

  /** Cell IDs key every downstream table; duplicates are refused before any tokenizing. */
  private static void checkUniqueCellIds(
      SparkSession spark, Dataset<Row> cells, List<InputFile> files) {
    Column id = col(CellCountsSchema.CELL_ID);
    if (files.size() > 1) {
      List<Column> kv = new ArrayList<>();
      for (InputFile f : files) {
        kv.add(lit(f.uri()));
        kv.add(lit(f.stem() + ":"));
      }
      id = concat(element_at(map(kv.toArray(new Column[0])), col(CellCountsSchema.SOURCE)), id);
    }
    spark.sparkContext().setJobDescription("tokenize: check cell IDs are unique");
    List<Row> duplicates =
        cells
            .select(id.as("id"), col(CellCountsSchema.SOURCE))
            .groupBy("id")
            .agg(count(lit(1)).as("n"), first(CellCountsSchema.SOURCE).as("source"))
            .where(col("n").gt(1))
            .limit(5)
            .collectAsList();
    spark.sparkContext().setJobDescription(null);
    if (!duplicates.isEmpty()) {
      Map<String, String> names =
          files.stream().collect(Collectors.toMap(InputFile::uri, InputFile::name));
      String list =
          duplicates.stream()
              .map(
                  r ->
                      String.format(
                          Locale.ROOT,
                          "'%s' (%d times, in %s)",
                          r.getString(0),
                          r.getLong(1),
                          names.getOrDefault(r.getString(2), r.getString(2))))
              .collect(Collectors.joining(", "));
      throw UserException.of(
          "Cell IDs are not unique: %s. Output rows are keyed by cell_id; make the IDs unique first"
              + " (in Python: adata.obs_names_make_unique(); then write the file again).",
          list);
    }
  }

  private static TokenizePlan plan(
      EncodingSettings settings,
      TokenizeOptions o,
      List<InspectedInput> inputs,
      StructType obsType) {
    Map<String, TokenizePlan.FilePlan> files = new LinkedHashMap<>();
    boolean several = inputs.size() > 1;
    for (InspectedInput i : inputs) {
      String uri = i.file().uri();
      files.put(
          uri,
          new TokenizePlan.FilePlan(
              i.file().name(),
              i.file().hadoopPath().getName(),
              several ? i.file().stem() + ":" : "",
              i.mapping(),
              i.geneIds(),
              i.hasNCounts(),
              i.hasFilterPass()));
    }
    List<Integer> attributeFields = new ArrayList<>();
    List<DataType> attributeTypes = new ArrayList<>();
    for (TokenizeOptions.Attribute a : o.attributes()) {
      attributeFields.add(obsType.fieldIndex(a.obsColumn()));
      attributeTypes.add(obsType.apply(a.obsColumn()).dataType());
    }
    int nCounts = fieldIndex(obsType, o.nCountsColumn());
    int filterPass = o.useFilterPass() ? fieldIndex(obsType, o.filterPassColumn()) : -1;
    return new TokenizePlan(
        settings,
        o.allowNonInteger(),
        files,
        obsType.fields().length,
        nCounts,
        nCounts < 0 ? null : obsType.fields()[nCounts].dataType(),
        filterPass,
        filterPass < 0 ? null : obsType.fields()[filterPass].dataType(),
        attributeFields,
        attributeTypes,
        o.keepCounts());
  }

  private static int fieldIndex(StructType t, String name) {
    return Arrays.asList(t.fieldNames()).indexOf(name);
  }

  static StructType outputSchema(TokenizeOptions o, StructType obsType) {
    List<StructField> fields = new ArrayList<>();
    fields.add(DataTypes.createStructField("cell_id", DataTypes.StringType, false));
    fields.add(
        DataTypes.createStructField(
            "input_ids", DataTypes.createArrayType(DataTypes.IntegerType, false), false));
    fields.add(DataTypes.createStructField("length", DataTypes.IntegerType, false));
    fields.add(DataTypes.createStructField("n_counts", DataTypes.DoubleType, false));
    fields.add(DataTypes.createStructField("source", DataTypes.StringType, false));
    for (TokenizeOptions.Attribute a : o.attributes()) {
      fields.add(
          DataTypes.createStructField(
              a.outputColumn(), obsType.apply(a.obsColumn()).dataType(), true));
    }
    if (o.keepCounts()) {
      fields.add(
          DataTypes.createStructField(
              TokenizeOptions.COUNTS_COLUMN,
              DataTypes.createArrayType(DataTypes.FloatType, false),
              false));
    }
    return DataTypes.createStructType(fields);
  }
}
