package org.cellspark.jobs.medians;

import java.io.BufferedReader;
import java.io.FileNotFoundException;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.SortedMap;
import java.util.TreeMap;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.Path;
import org.apache.spark.SparkContext;
import org.apache.spark.api.java.JavaRDD;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.broadcast.Broadcast;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.catalyst.InternalRow;
import org.apache.spark.util.LongAccumulator;
import org.cellspark.error.UserException;
import org.cellspark.io.AtlasInputs;
import org.cellspark.io.InputContext;
import org.cellspark.io.InputFiles.InputFile;
import org.cellspark.io.ReadPlan;
import org.cellspark.io.cells.CellCountsSchema;
import org.cellspark.io.cells.CountsLocation;
import org.cellspark.jobs.common.JobScope;
import org.cellspark.jobs.common.JobSummary;
import org.cellspark.jobs.common.StagedOutput;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * `cellspark medians`: a Geneformer vocabulary for a new corpus (Geneformer's per-gene medians).
 * Every counted cell (filter_pass 1 where the column exists) is depth-normalised as the tokenizer
 * does it, {@code count / n_counts x 10,000} (n_counts from obs, else the cell's total), a cell's
 * columns with the same gene ID summed first; zeros are left out; each gene's median over the cells
 * that express it is its entry in the median dictionary.
 *
 * <p>Inputs: .h5ad files, Cell Ranger .h5 files and Matrix Market folders, as the tokenizer reads
 * them. Medians are exact by default (each gene's values gathered and sorted; the mean of the two
 * middle values for an even count, as numpy's median). Upstream uses t-digests, whose medians are
 * approximate; {@code --approximate} uses Spark's {@code percentile_approx} (Greenwald-Khanna,
 * accuracy 100,000: the returned value's rank is within n / 100,000 of the middle) for corpora
 * where one gene's values do not fit an executor's memory.
 */
public final class MediansJob {
  private static final Logger LOG = LoggerFactory.getLogger(MediansJob.class);

  private MediansJob() {}

  public static MediansResult run(SparkSession spark, MediansOptions o) {
    long start = System.nanoTime();
    SparkContext sc = spark.sparkContext();
    Configuration hadoop = sc.hadoopConfiguration();
    CountsLocation countsAt = CountsLocation.parse(o.counts()).withModality(o.modality());
    AtlasInputs atlases =
        AtlasInputs.expand(
            o.inputs(),
            InputContext.onDriver(
                spark,
                countsAt,
                o.geneIdColumnOrDefault(),
                false,
                o.geneNameColumn(),
                o.cellTable(),
                o.genome()));
    atlases.inputs().forEach(in -> in.refuseGeneIdColumn(o.geneIdColumn(), ""));
    Map<String, String> listed = o.genesFile() == null ? null : readGeneList(o.genesFile(), hadoop);
    GeneNumbering genes = GeneNumbering.of(atlases.inputs(), listed);
    StagedOutput out =
        StagedOutput.prepare(
            o.output(),
            o.overwrite(),
            hadoop,
            atlases.files().stream().map(InputFile::uri).toList());
    try (ReadPlan.Held held = new ReadPlan.Held();
        JobScope job = JobScope.start(sc, "cellspark medians", out)) {
      LongAccumulator counted = sc.longAccumulator("cells counted");
      LongAccumulator filtered = sc.longAccumulator("cells left out by filter_pass");
      sc.setJobDescription("medians: depth-normalised non-zero values per gene");
      Dataset<Row> cells =
          atlases.read(spark, annotationsUsed(atlases, o), new ReadPlan(countsAt, 0, held));
      NormalizedValues values = normalizedValues(spark, cells, genes, o, counted, filtered);
      JavaRDD<InternalRow> rows = countsOf(cells);
      List<long[]> perGene =
          o.approximate()
              ? PerGeneMedians.approximate(spark, rows, values)
              : PerGeneMedians.exact(rows, values, sc.defaultParallelism() * 2);
      sc.setJobDescription(null);

      Dictionaries vocabulary = Dictionaries.of(perGene, genes, o, listed);
      Map<String, Integer> tokens =
          VocabularyWriter.write(
              out, vocabulary.medians(), vocabulary.symbols(), o.specialTokens());
      double seconds = (System.nanoTime() - start) / 1e9;
      JobSummary summary =
          summary(o, atlases, counted, filtered, perGene, vocabulary, tokens, listed, seconds);
      job.commit(out, summary);
      LOG.info(
          String.format(
              Locale.ROOT,
              "medians: %,d genes from %,d cells in %.1f s to %s",
              vocabulary.medians().size(),
              counted.value(),
              seconds,
              out.targetLocation()));
      return new MediansResult(
          out.targetLocation(),
          counted.value(),
          perGene.size(),
          vocabulary.medians().size(),
          seconds,
          summary.asMap());
    } catch (IOException e) {
      throw UserException.because(
          e, "Cannot write the vocabulary into %s: %s", o.output(), e.getMessage());
    }
  }

  /** The n_counts and filter_pass columns, where some input has them. */
  private static List<String> annotationsUsed(AtlasInputs atlases, MediansOptions o) {
    return List.of(o.nCountsColumn(), o.filterPassColumn()).stream()
        .filter(c -> atlases.inputs().stream().anyMatch(i -> i.annotations().has(c)))
        .toList();
  }

  /** How each counted cell's depth-normalised non-zero values are read, on the executors. */
  private static NormalizedValues normalizedValues(
      SparkSession spark,
      Dataset<Row> cells,
      GeneNumbering genes,
      MediansOptions o,
      LongAccumulator counted,
      LongAccumulator filtered) {
    Broadcast<Map<String, int[]>> slots =
        JavaSparkContext.fromSparkContext(spark.sparkContext()).broadcast(genes.slots());
    return new NormalizedValues(
        slots,
        genes.genes(),
        CellCountsSchema.obsOf(cells.schema()),
        o.nCountsColumn(),
        o.filterPassColumn(),
        counted,
        filtered);
  }

  /** The cells as (source, gene index, counts, obs) rows, what {@link NormalizedValues} reads. */
  private static JavaRDD<InternalRow> countsOf(Dataset<Row> cells) {
    return cells
        .select(
            CellCountsSchema.SOURCE,
            CellCountsSchema.GENE_INDEX,
            CellCountsSchema.COUNTS,
            CellCountsSchema.OBS)
        .queryExecution()
        .toRdd()
        .toJavaRDD();
  }

  /**
   * The vocabulary: the median of each gene detected in at least {@code --min-cells} cells, and the
   * symbols of those genes (a symbol shared by several genes goes to the first, by ID).
   *
   * @param rare genes detected in fewer cells
   * @param sharedSymbols symbols left out because an earlier gene has them
   */
  private record Dictionaries(
      SortedMap<String, Double> medians,
      Map<String, String> symbols,
      long rare,
      long sharedSymbols) {
    static Dictionaries of(
        List<long[]> perGene, GeneNumbering genes, MediansOptions o, Map<String, String> listed) {
      SortedMap<String, Double> medians = new TreeMap<>();
      long rare = 0;
      for (long[] g : perGene) { // {gene, median bits, cells}
        if (g[2] >= o.minCells()) {
          medians.put(genes.geneOf()[(int) g[0]], Double.longBitsToDouble(g[1]));
        } else {
          rare++;
        }
      }
      if (medians.isEmpty()) {
        throw UserException.of(
            "No gene of %s is detected in at least %d cell(s)%s; nothing to write",
            String.join(", ", o.inputs()),
            o.minCells(),
            listed == null ? "" : " among the " + listed.size() + " listed genes");
      }
      Map<String, String> symbolToGene = new LinkedHashMap<>();
      long shared = 0;
      for (String id : medians.keySet()) {
        String s = genes.symbolOf().get(id);
        if (s != null && !s.equals(id) && symbolToGene.putIfAbsent(s, id) != null) {
          shared++;
        }
      }
      return new Dictionaries(medians, symbolToGene, rare, shared);
    }
  }

  private static JobSummary summary(
      MediansOptions o,
      AtlasInputs atlases,
      LongAccumulator counted,
      LongAccumulator filtered,
      List<long[]> perGene,
      Dictionaries vocabulary,
      Map<String, Integer> tokens,
      Map<String, String> listed,
      double seconds) {
    Map<String, Object> counts = new LinkedHashMap<>();
    counts.put("inputs", atlases.inputs().size());
    counts.put("cells_counted", counted.value());
    counts.put("cells_left_out_by_filter_pass", filtered.value());
    counts.put("genes_detected", perGene.size());
    counts.put("genes_below_min_cells", vocabulary.rare());
    counts.put("genes_written", vocabulary.medians().size());
    counts.put("tokens", tokens.size());
    counts.put("symbols", vocabulary.symbols().size());
    counts.put("symbols_shared_by_several_genes", vocabulary.sharedSymbols());
    if (listed != null) {
      counts.put("genes_listed", listed.size());
      counts.put(
          "genes_listed_not_detected",
          listed.keySet().stream().filter(g -> !vocabulary.medians().containsKey(g)).count());
    }
    return new JobSummary("medians")
        .put("options", options(o))
        .put(
            "method",
            o.approximate()
                ? "percentile_approx(value, 0.5, "
                    + MediansOptions.APPROX_ACCURACY
                    + "): rank within n / "
                    + MediansOptions.APPROX_ACCURACY
                    + " of the middle"
                : "exact: percentile(value, 0.5), the mean of the two middle values for an"
                    + " even count")
        .put("counts", counts)
        .put("timings", Map.of("total_seconds", Math.round(seconds * 1000) / 1000.0));
  }

  /** TSV: Ensembl ID, optional symbol; '#' lines and blank lines skipped. */
  static Map<String, String> readGeneList(String file, Configuration hadoop) {
    Map<String, String> out = new LinkedHashMap<>();
    Path p = new Path(file);
    try (BufferedReader r =
        new BufferedReader(
            new InputStreamReader(p.getFileSystem(hadoop).open(p), StandardCharsets.UTF_8))) {
      String line;
      int n = 0;
      while ((line = r.readLine()) != null) {
        n++;
        if (line.isBlank() || line.startsWith("#")) {
          continue;
        }
        String[] parts = line.split("\t", -1);
        String id = parts[0].trim().toUpperCase(Locale.ROOT);
        if (id.isEmpty()) {
          throw UserException.of("--genes %s line %d has no gene ID in its first column", file, n);
        }
        String symbol = parts.length > 1 && !parts[1].isBlank() ? parts[1].trim() : null;
        if (out.containsKey(id)) {
          throw UserException.of(
              "--genes %s lists %s twice (line %d); list each gene once", file, id, n);
        }
        out.put(id, symbol);
      }
    } catch (FileNotFoundException e) {
      throw UserException.because(e, "--genes %s does not exist", file);
    } catch (IOException e) {
      throw UserException.because(e, "Cannot read --genes %s: %s", file, e.getMessage());
    }
    if (out.isEmpty()) {
      throw UserException.of("--genes %s lists no gene", file);
    }
    return out;
  }

  private static Map<String, Object> options(MediansOptions o) {
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("inputs", o.inputs());
    m.put("genes", o.genesFile());
    m.put("min_cells", o.minCells());
    m.put("special_tokens", o.specialTokens());
    m.put("approximate", o.approximate());
    m.put("counts", o.counts());
    m.put("gene_id_column", o.geneIdColumnOrDefault());
    m.put("gene_name_column", o.geneNameColumn());
    if (o.cellTable() != null) {
      m.put("cell_table", o.cellTable());
    }
    return m;
  }
}
