package org.cellspark.jobs.embed;

import static org.apache.spark.sql.functions.col;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.apache.hadoop.conf.Configuration;
import org.apache.spark.ml.functions;
import org.apache.spark.ml.linalg.VectorUDT;
import org.apache.spark.ml.linalg.Vectors;
import org.apache.spark.sql.Column;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;
import org.apache.spark.util.LongAccumulator;
import org.cellspark.infer.BatchBudget;
import org.cellspark.infer.EmbeddingSettings;
import org.cellspark.infer.ModelCheck;
import org.cellspark.infer.TokenProfile;
import org.cellspark.jobs.common.CellSelection;
import org.cellspark.jobs.common.JobScope;
import org.cellspark.jobs.common.JobSummary;
import org.cellspark.jobs.common.ModelFingerprint;
import org.cellspark.jobs.common.ParquetFooters;
import org.cellspark.jobs.common.Progress;
import org.cellspark.jobs.common.StagedOutput;
import org.cellspark.jobs.common.TokenTable;
import org.cellspark.spark.EmbedTransform;
import org.cellspark.spark.ResolvedModel;
import org.cellspark.spark.TokenProfiles;
import org.cellspark.vocab.Vocabulary;
import org.cellspark.vocab.VocabularyLoader;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * {@code cellspark embed}: a token table to cell embeddings (and, on request, per-label state
 * embeddings and per-gene embeddings), as Parquet:
 *
 * <pre>
 * OUTPUT/cells/             cell_id, the table's columns (or --labels), embedding (ML vector)
 * OUTPUT/state_embeddings/  label, n_cells, embedding        (--summary mean|median --by col)
 * OUTPUT/gene_embeddings/   token, gene_id, symbol, n_cells, embedding   (--gene-embeddings)
 * OUTPUT/_cellspark.json
 * </pre>
 */
public final class EmbedJob {
  private static final Logger LOG = LoggerFactory.getLogger(EmbedJob.class);

  private EmbedJob() {}

  public static EmbedResult run(SparkSession spark, EmbedOptions o) {
    return TokenTable.withReaderBatches(spark, () -> runJob(spark, o));
  }

  private static EmbedResult runJob(SparkSession spark, EmbedOptions o) {
    long start = System.nanoTime();
    Configuration hadoop = spark.sparkContext().hadoopConfiguration();
    TokenTable table = TokenTable.read(spark, o.input());
    String vocabularyLocation = table.vocabulary(o.vocabulary(), o.input());
    Vocabulary vocabulary = VocabularyLoader.load(vocabularyLocation);
    ResolvedModel model = ResolvedModel.of(o.model());
    EmbeddingSettings settings =
        EmbeddingSettings.of(o.layer(), o.pooling(), o.batchTokens(), vocabulary);
    StagedOutput out = StagedOutput.prepare(o.output(), o.overwrite(), hadoop, List.of(o.input()));
    try (JobScope job = JobScope.start(spark.sparkContext(), "cellspark embed", out)) {
      Dataset<Row> cells = select(table.cells(), o);
      spark.sparkContext().setJobDescription("embed: check the model against the tokens");
      TokenProfile profile = TokenProfiles.of(cells, "input_ids", "cell_id", vocabulary);
      ModelCheck.check(model.config(), o.model(), profile, settings);
      LOG.info(
          "embed: {} cells (longest {} tokens) with {} ({} layers, hidden {}), layer {}, {}"
              + " pooling",
          profile.cells(),
          profile.longest(),
          o.model(),
          model.config().numLayers(),
          model.config().hiddenSize(),
          o.layer(),
          o.pooling().name().toLowerCase(Locale.ROOT));

      Timed<Long> written = writeCells(spark, cells, o, settings, profile, out);
      if (written.value() < profile.cells()) {
        LOG.warn(
            "embed: {} cell(s) hold no gene (special tokens alone), so have no mean embedding:"
                + " left out of cells/",
            profile.cells() - written.value());
      }
      long states = o.summary() == EmbedOptions.Summary.NONE ? 0 : writeStates(spark, o, out);
      long genes = o.geneEmbeddings() ? writeGenes(spark, cells, o, settings, vocabulary, out) : 0;
      spark.sparkContext().setJobDescription(null);

      double seconds = (System.nanoTime() - start) / 1e9;
      JobSummary summary =
          summary(
              o,
              vocabularyLocation,
              vocabulary,
              model,
              profile,
              written.value(),
              states,
              genes,
              written.seconds(),
              seconds);
      job.commit(out, summary);
      LOG.info(
          String.format(
              Locale.ROOT,
              "embed: %,d cells in %.1f s (%.1f cells/s) to %s",
              written.value(),
              seconds,
              written.value() / seconds,
              out.targetLocation()));
      return new EmbedResult(
          out.targetLocation(), written.value(), states, genes, seconds, summary.asMap());
    }
  }

  /** A step's result and its wall time. */
  private record Timed<T>(T value, double seconds) {}

  /**
   * Embeds every selected cell and writes cells/ (the tokens stay in the token table); the cells
   * written, as Parquet's footers count them, and the time it took.
   */
  private static Timed<Long> writeCells(
      SparkSession spark,
      Dataset<Row> cells,
      EmbedOptions o,
      EmbeddingSettings settings,
      TokenProfile profile,
      StagedOutput out) {
    LongAccumulator embedded = spark.sparkContext().longAccumulator("embed: cells embedded");
    Dataset<Row> result =
        EmbedTransform.unchecked(
            cells, EmbedTransform.Options.of(o.model(), settings).with(o.precision(), embedded));
    // A cell holding no gene (<cls> and <eos> alone) has no mean to pool: no embedding, no row.
    result = result.drop("input_ids").filter(col("embedding").isNotNull());
    if (!o.asArray()) {
      result = result.withColumn("embedding", functions.array_to_vector(col("embedding")));
    }
    String cellsUri = out.stagingLocation() + "/cells";
    double seconds;
    Progress progress =
        new Progress(spark.sparkContext(), "embed", "cells", embedded, profile.cells());
    try {
      spark.sparkContext().setJobDescription("embed: embed cells, write cells/");
      long t = System.nanoTime();
      result.write().parquet(cellsUri);
      seconds = (System.nanoTime() - t) / 1e9;
    } finally {
      progress.close();
    }
    return new Timed<>(
        ParquetFooters.rowCount(spark.sparkContext().hadoopConfiguration(), cellsUri), seconds);
  }

  /** state_embeddings/ from cells/: one summary vector per value of --by. */
  private static long writeStates(SparkSession spark, EmbedOptions o, StagedOutput out) {
    spark.sparkContext().setJobDescription("embed: state embeddings by " + o.by());
    Dataset<Row> embeddings = spark.read().parquet(out.stagedTable("cells"));
    StateEmbeddings.summarise(embeddings, o.by(), o.summary())
        .write()
        .parquet(out.stagingLocation() + "/state_embeddings");
    return ParquetFooters.rowCount(
        spark.sparkContext().hadoopConfiguration(), out.stagingLocation() + "/state_embeddings");
  }

  /** gene_embeddings/: each gene's mean contextual embedding (a second model pass). */
  private static long writeGenes(
      SparkSession spark,
      Dataset<Row> cells,
      EmbedOptions o,
      EmbeddingSettings settings,
      Vocabulary vocabulary,
      StagedOutput out) {
    spark.sparkContext().setJobDescription("embed: gene embeddings (second model pass)");
    geneTable(spark, cells, o, settings, vocabulary)
        .write()
        .parquet(out.stagingLocation() + "/gene_embeddings");
    return ParquetFooters.rowCount(
        spark.sparkContext().hadoopConfiguration(), out.stagingLocation() + "/gene_embeddings");
  }

  /** Filters, the optional sample, the carried columns; checked against the table's columns. */
  static Dataset<Row> select(Dataset<Row> cells, EmbedOptions o) {
    List<String> columns = Arrays.asList(cells.columns());
    cells = CellSelection.filter(cells, o.filters());
    if (o.summary() != EmbedOptions.Summary.NONE) {
      CellSelection.requireColumn(columns, o.by(), "--by");
    }
    cells = CellSelection.sample(cells, o.maxCells(), o.seed());
    List<Column> keep = new ArrayList<>();
    if (o.labels().isEmpty()) {
      for (String c : TokenTable.cellColumns(cells)) {
        keep.add(col(c));
      }
      keep.add(col("input_ids"));
    } else {
      if (columns.contains("cell_id")) {
        keep.add(col("cell_id"));
      }
      for (String l : o.labels()) {
        CellSelection.requireColumn(columns, l, "--labels");
        if (!l.equals("cell_id")) {
          keep.add(col(l));
        }
      }
      if (o.summary() != EmbedOptions.Summary.NONE
          && !o.labels().contains(o.by())
          && !o.by().equals("cell_id")) {
        keep.add(col(o.by()));
      }
      keep.add(col("input_ids"));
    }
    Dataset<Row> selected = cells.select(keep.toArray(new Column[0]));
    return o.partitions() > 0 ? selected.repartition(o.partitions()) : selected;
  }

  private static Dataset<Row> geneTable(
      SparkSession spark,
      Dataset<Row> cells,
      EmbedOptions o,
      EmbeddingSettings settings,
      Vocabulary vocabulary) {
    Map<Integer, String> geneOf = new HashMap<>();
    vocabulary.tokenIds().forEach((gene, id) -> geneOf.put(id, gene));
    Map<String, String> symbolOf = new HashMap<>();
    vocabulary.symbolToId().forEach((symbol, gene) -> symbolOf.putIfAbsent(gene, symbol));
    List<Row> rows = new ArrayList<>();
    for (var t : GeneEmbeddings.sums(cells, o.model(), settings, o.precision()).collect()) {
      double[] mean = t._2().vector().clone();
      for (int i = 0; i < mean.length; i++) {
        mean[i] /= t._2().cells();
      }
      String gene = geneOf.get(t._1());
      rows.add(
          RowFactory.create(
              t._1(),
              gene,
              gene == null ? null : symbolOf.get(gene),
              t._2().cells(),
              Vectors.dense(mean)));
    }
    StructType schema =
        new StructType()
            .add("token", DataTypes.IntegerType, false)
            .add("gene_id", DataTypes.StringType)
            .add("symbol", DataTypes.StringType)
            .add("n_cells", DataTypes.LongType, false)
            .add("embedding", new VectorUDT(), false);
    return spark.createDataFrame(rows, schema).orderBy("token");
  }

  private static JobSummary summary(
      EmbedOptions o,
      String vocabularyLocation,
      Vocabulary vocabulary,
      ResolvedModel resolved,
      TokenProfile profile,
      long cells,
      long states,
      long genes,
      double embedSeconds,
      double seconds) {
    Map<String, Object> options = new LinkedHashMap<>();
    options.put("input", o.input());
    options.put("model", o.model());
    options.put("vocabulary", vocabularyLocation);
    options.put("layer", o.layer());
    options.put("pooling", o.pooling().name().toLowerCase(Locale.ROOT));
    options.put("filters", o.filters().stream().map(CellSelection.Filter::toString).toList());
    options.put("max_cells", o.maxCells());
    options.put("seed", o.seed());
    options.put("labels", o.labels());
    options.put("as_array", o.asArray());
    options.put("summary", o.summary().name().toLowerCase(Locale.ROOT));
    options.put("by", o.by());
    options.put("gene_embeddings", o.geneEmbeddings());
    options.put("batch_tokens", BatchBudget.describe(o.batchTokens()));
    options.put("precision", o.precision().name().toLowerCase(Locale.ROOT));
    Map<String, Object> model = new LinkedHashMap<>();
    model.put("path", o.model());
    model.put("fingerprint", ModelFingerprint.of(resolved.path()));
    model.put("layers", resolved.config().numLayers());
    model.put("hidden_size", resolved.config().hiddenSize());
    model.put("vocab_size", resolved.config().vocabSize());
    model.put("max_position_embeddings", resolved.config().maxPositions());
    Map<String, Object> counts = new LinkedHashMap<>();
    counts.put("cells_with_tokens", profile.cells());
    counts.put("cells_written", cells);
    counts.put("cells_without_genes", profile.cells() - cells);
    counts.put("longest_cell_tokens", profile.longest());
    counts.put("state_embeddings", states);
    counts.put("gene_embeddings", genes);
    Map<String, Object> timings = new LinkedHashMap<>();
    timings.put("embed_and_write_seconds", Math.round(embedSeconds * 1e3) / 1e3);
    timings.put("total_seconds", Math.round(seconds * 1e3) / 1e3);
    timings.put("cells_per_second", Math.round(cells / Math.max(embedSeconds, 1e-9) * 1e3) / 1e3);
    return new JobSummary("embed")
        .put("options", options)
        .put("model", model)
        .put("vocabulary", Map.of("location", vocabularyLocation, "tokens", vocabulary.size()))
        .put("counts", counts)
        .put("timings", timings);
  }
}
