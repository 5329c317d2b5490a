package org.cellspark.jobs.medians;

import static org.apache.spark.sql.functions.col;
import static org.apache.spark.sql.functions.count;
import static org.apache.spark.sql.functions.lit;
import static org.apache.spark.sql.functions.percentile_approx;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
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
import org.apache.spark.sql.catalyst.expressions.GenericInternalRow;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;
import org.apache.spark.util.LongAccumulator;
import org.cellspark.error.UserException;
import org.cellspark.io.AtlasInputs;
import org.cellspark.io.InputFiles.InputFile;
import org.cellspark.io.cells.CellCountsSchema;
import org.cellspark.io.h5ad.CountsLocation;
import org.cellspark.io.h5ad.DataFrameGroup;
import org.cellspark.io.h5ad.H5adFile;
import org.cellspark.io.longtable.LongTable;
import org.cellspark.io.loom.LoomFile;
import org.cellspark.io.mtx.MtxCells;
import org.cellspark.io.mtx.MtxFolder;
import org.cellspark.io.storage.HdfOpener;
import org.cellspark.io.tenx.TenxH5;
import org.cellspark.jobs.common.JobScope;
import org.cellspark.jobs.common.JobSummary;
import org.cellspark.jobs.common.StagedOutput;
import org.cellspark.spark.InternalRowsRelation;
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

  /** A file's gene IDs (upper case, as the tokenizer maps them) and symbols. */
  private record GeneTable(String[] ids, String[] symbols) {}

  public static MediansResult run(SparkSession spark, MediansOptions o) {
    long start = System.nanoTime();
    SparkContext sc = spark.sparkContext();
    Configuration hadoop = sc.hadoopConfiguration();
    CountsLocation countsAt = CountsLocation.parse(o.counts()).withModality(o.modality());
    AtlasInputs atlases =
        AtlasInputs.expand(spark, o.inputs(), o.geneIdColumn(), null, countsAt, o.genome());
    List<InputFile> files = atlases.h5ad();
    Map<String, String> listed = o.genesFile() == null ? null : readGeneList(o.genesFile(), hadoop);
    Map<String, String[]> idsBySource = new HashMap<>();
    Map<String, String> symbolOf = new TreeMap<>();
    Set<String> obsPresent = new LinkedHashSet<>();
    for (InputFile f : files) {
      GeneTable genes = inspect(HdfOpener.onDriver(hadoop), f, countsAt, o, obsPresent);
      addGenes(f.uri(), genes.ids(), genes.symbols(), idsBySource, symbolOf);
    }
    for (MtxFolder m : atlases.mtx()) {
      addGenes(m.uri(), upperCase(m.geneIds()), m.symbols(), idsBySource, symbolOf);
    }
    for (TenxH5 t : atlases.tenx()) {
      addGenes(t.file().uri(), upperCase(t.geneIds()), null, idsBySource, symbolOf);
    }
    for (LongTable t : atlases.longTables()) {
      addGenes(t.file().uri(), upperCase(t.geneIds()), null, idsBySource, symbolOf);
      addAnnotations(t.columns()::containsKey, o, obsPresent);
    }
    for (LoomFile l : atlases.loom()) {
      addGenes(l.file().uri(), upperCase(l.geneIds()), l.symbols(), idsBySource, symbolOf);
      addAnnotations(l.columns()::containsKey, o, obsPresent);
    }
    if (listed != null) {
      listed.forEach(
          (id, symbol) -> {
            if (symbol != null) {
              symbolOf.put(id, symbol);
            }
          });
    }
    StagedOutput out =
        StagedOutput.prepare(
            o.output(), o.overwrite(), hadoop, atlases.all().stream().map(InputFile::uri).toList());
    List<MtxCells.Read> mtxReads = new ArrayList<>();
    try (JobScope job = JobScope.start(sc, "cellspark medians", out)) {
      JavaSparkContext jsc = JavaSparkContext.fromSparkContext(sc);
      // Genes are numbered once on the driver (every ID of every file, listed ones only with
      // --genes); executors see, per file, each column's gene number (-1: no gene or not kept).
      java.util.TreeSet<String> all = new java.util.TreeSet<>();
      idsBySource
          .values()
          .forEach(
              a ->
                  Arrays.stream(a)
                      .filter(java.util.Objects::nonNull)
                      .filter(g -> listed == null || listed.containsKey(g))
                      .forEach(all::add));
      String[] geneOf = all.toArray(new String[0]);
      Map<String, Integer> number = new HashMap<>();
      for (int i = 0; i < geneOf.length; i++) {
        number.put(geneOf[i], i);
      }
      Map<String, int[]> slots = new HashMap<>();
      idsBySource.forEach(
          (source, a) ->
              slots.put(
                  source,
                  Arrays.stream(a)
                      .mapToInt(g -> g == null ? -1 : number.getOrDefault(g, -1))
                      .toArray()));
      Broadcast<Map<String, int[]>> slotsOf = jsc.broadcast(slots);
      LongAccumulator counted = sc.longAccumulator("cells counted");
      LongAccumulator filtered = sc.longAccumulator("cells left out by filter_pass");
      int genesTotal = geneOf.length;

      sc.setJobDescription("medians: depth-normalised non-zero values per gene");
      Dataset<Row> cells = atlases.read(spark, countsAt, new ArrayList<>(obsPresent), 0, mtxReads);
      StructType obsType = (StructType) cells.schema().apply(CellCountsSchema.OBS).dataType();
      int nCountsField = Arrays.asList(obsType.fieldNames()).indexOf(o.nCountsColumn());
      int filterField = Arrays.asList(obsType.fieldNames()).indexOf(o.filterPassColumn());
      org.apache.spark.sql.types.DataType nCountsType =
          nCountsField < 0 ? null : obsType.fields()[nCountsField].dataType();
      org.apache.spark.sql.types.DataType filterType =
          filterField < 0 ? null : obsType.fields()[filterField].dataType();
      JavaRDD<InternalRow> values =
          cells
              .select(
                  CellCountsSchema.SOURCE,
                  CellCountsSchema.GENE_INDEX,
                  CellCountsSchema.COUNTS,
                  CellCountsSchema.OBS)
              .queryExecution()
              .toRdd()
              .toJavaRDD()
              .mapPartitions(
                  it -> {
                    // Per task: one accumulator slot per gene, so a cell's columns sharing a gene
                    // ID are
                    // summed (as the tokenizer collapses them) in O(stored values); cells are
                    // expanded
                    // one at a time (a lazy flatMap), so a task holds one cell's values, not its
                    // range's.
                    double[] sum = new double[genesTotal];
                    int[] touched = new int[genesTotal];
                    Iterable<InternalRow> rows = () -> it;
                    return java.util.stream.StreamSupport.stream(rows.spliterator(), false)
                        .flatMap(
                            r -> {
                              InternalRow obs = r.getStruct(3, obsType.fields().length);
                              if (filterField >= 0
                                  && !obs.isNullAt(filterField)
                                  && !passes(obs.get(filterField, filterType))) {
                                filtered.add(1);
                                return java.util.stream.Stream.<InternalRow>empty();
                              }
                              int[] slot = slotsOf.value().get(r.getUTF8String(0).toString());
                              org.apache.spark.sql.catalyst.util.ArrayData genes = r.getArray(1);
                              org.apache.spark.sql.catalyst.util.ArrayData c = r.getArray(2);
                              double total = 0;
                              int n = 0;
                              for (int k = 0; k < genes.numElements(); k++) {
                                double x = c.getDouble(k);
                                total += x;
                                int g = slot[genes.getInt(k)];
                                if (g >= 0 && x != 0) {
                                  if (sum[g] == 0) {
                                    touched[n++] = g;
                                  }
                                  sum[g] += x;
                                }
                              }
                              double depth =
                                  nCountsField >= 0 && !obs.isNullAt(nCountsField)
                                      ? ((Number) obs.get(nCountsField, nCountsType)).doubleValue()
                                      : total;
                              counted.add(1);
                              List<InternalRow> emitted = new ArrayList<>(n);
                              for (int k = 0; k < n; k++) {
                                int g = touched[k];
                                if (depth > 0 && sum[g] != 0) {
                                  emitted.add(
                                      new GenericInternalRow(
                                          new Object[] {g, sum[g] / depth * 10_000}));
                                }
                                sum[g] = 0;
                              }
                              return emitted.stream();
                            })
                        .iterator();
                  });
      List<long[]> perGene =
          o.approximate()
              ? approximate(spark, values)
              : exact(values, genesTotal, sc.defaultParallelism() * 2);
      sc.setJobDescription(null);

      SortedMap<String, Double> medians = new TreeMap<>();
      long rare = 0;
      for (long[] g : perGene) { // {gene, median bits, cells}
        if (g[2] >= o.minCells()) {
          medians.put(geneOf[(int) g[0]], Double.longBitsToDouble(g[1]));
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
      long duplicateSymbols = 0;
      for (String id : medians.keySet()) {
        String s = symbolOf.get(id);
        if (s != null && !s.equals(id)) {
          if (symbolToGene.putIfAbsent(s, id) != null) {
            duplicateSymbols++;
          }
        }
      }
      Map<String, Integer> tokens =
          VocabularyWriter.write(out, medians, symbolToGene, o.specialTokens());
      double seconds = (System.nanoTime() - start) / 1e9;
      Map<String, Object> counts = new LinkedHashMap<>();
      counts.put("inputs", atlases.all().size());
      counts.put("cells_counted", counted.value());
      counts.put("cells_left_out_by_filter_pass", filtered.value());
      counts.put("genes_detected", perGene.size());
      counts.put("genes_below_min_cells", rare);
      counts.put("genes_written", medians.size());
      counts.put("tokens", tokens.size());
      counts.put("symbols", symbolToGene.size());
      counts.put("symbols_shared_by_several_genes", duplicateSymbols);
      if (listed != null) {
        counts.put("genes_listed", listed.size());
        counts.put(
            "genes_listed_not_detected",
            listed.keySet().stream().filter(g -> !medians.containsKey(g)).count());
      }
      JobSummary summary =
          new JobSummary("medians")
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
      job.commit(out, summary);
      LOG.info(
          String.format(
              Locale.ROOT,
              "medians: %,d genes from %,d cells in %.1f s to %s",
              medians.size(),
              counted.value(),
              seconds,
              out.targetUri()));
      return new MediansResult(
          out.targetUri(),
          counted.value(),
          perGene.size(),
          medians.size(),
          seconds,
          summary.asMap());
    } catch (IOException e) {
      throw UserException.because(
          e, "Cannot write the vocabulary into %s: %s", o.output(), e.getMessage());
    } finally {
      mtxReads.forEach(MtxCells.Read::release);
    }
  }

  /** percentile_approx per gene: {gene, median bits, cells}. */
  private static List<long[]> approximate(SparkSession spark, JavaRDD<InternalRow> values) {
    StructType schema =
        new StructType()
            .add("gene", DataTypes.IntegerType, false)
            .add("value", DataTypes.DoubleType, false);
    List<long[]> out = new ArrayList<>();
    for (Row g :
        InternalRowsRelation.dataFrame(spark, schema, values.rdd())
            .groupBy("gene")
            .agg(
                percentile_approx(col("value"), lit(0.5), lit(MediansOptions.APPROX_ACCURACY)),
                count(lit(1)))
            .collectAsList()) {
      out.add(new long[] {g.getInt(0), Double.doubleToLongBits(g.getDouble(1)), g.getLong(2)});
    }
    return out;
  }

  /**
   * Exact medians: each task packs its values into one primitive array per gene (flushed every
   * {@link GeneChunks#FLUSH_VALUES} values, so a task holds a bounded buffer), the arrays travel to
   * one task per gene, are concatenated and sorted, and the median is the middle value (the mean of
   * the two middle values for an even count, as numpy). A gene's values must fit one task's memory:
   * 8 bytes per cell that expresses it (80 MB for 10 million cells).
   */
  private static List<long[]> exact(JavaRDD<InternalRow> values, int genes, int partitions) {
    return values
        .mapPartitionsToPair(it -> new GeneChunks(it, genes))
        .groupByKey(Math.max(1, partitions))
        .map(
            g -> {
              int n = 0;
              for (double[] c : g._2()) {
                n += c.length;
              }
              double[] all = new double[n];
              int at = 0;
              for (double[] c : g._2()) {
                System.arraycopy(c, 0, all, at, c.length);
                at += c.length;
              }
              Arrays.sort(all);
              double median = n % 2 == 1 ? all[n / 2] : (all[n / 2 - 1] + all[n / 2]) / 2;
              return new long[] {g._1(), Double.doubleToLongBits(median), n};
            })
        .collect();
  }

  /**
   * A task's (gene, value) stream as (gene, values) chunks, one buffer per gene, flushed when full.
   */
  private static final class GeneChunks
      implements java.util.Iterator<scala.Tuple2<Integer, double[]>> {
    static final int FLUSH_VALUES = 4 << 20;
    private final java.util.Iterator<InternalRow> in;
    private final double[][] buffers;
    private final int[] lengths;
    private final int[] used; // genes with a non-empty buffer
    private int usedCount;
    private final java.util.ArrayDeque<scala.Tuple2<Integer, double[]>> ready =
        new java.util.ArrayDeque<>();
    private long buffered;

    GeneChunks(java.util.Iterator<InternalRow> in, int genes) {
      this.in = in;
      this.buffers = new double[genes][];
      this.lengths = new int[genes];
      this.used = new int[genes];
    }

    @Override
    public boolean hasNext() {
      while (ready.isEmpty() && in.hasNext()) {
        InternalRow r = in.next();
        int g = r.getInt(0);
        int len = lengths[g];
        if (len == 0) {
          used[usedCount++] = g;
        }
        if (buffers[g] == null || len == buffers[g].length) {
          buffers[g] =
              buffers[g] == null
                  ? new double[16]
                  : Arrays.copyOf(buffers[g], buffers[g].length * 2);
        }
        buffers[g][len] = r.getDouble(1);
        lengths[g] = len + 1;
        if (++buffered >= FLUSH_VALUES) {
          flush();
        }
      }
      if (ready.isEmpty() && usedCount > 0) {
        flush();
      }
      return !ready.isEmpty();
    }

    private void flush() {
      for (int k = 0; k < usedCount; k++) {
        int g = used[k];
        ready.add(new scala.Tuple2<>(g, Arrays.copyOf(buffers[g], lengths[g])));
        lengths[g] = 0; // the buffer is kept for the next values
      }
      usedCount = 0;
      buffered = 0;
    }

    @Override
    public scala.Tuple2<Integer, double[]> next() {
      if (!hasNext()) {
        throw new java.util.NoSuchElementException();
      }
      return ready.poll();
    }
  }

  /**
   * filter_pass: 1 / true passes; a missing value passes (the column is absent for that cell's
   * file).
   */
  private static boolean passes(Object v) {
    if (v == null) {
      return true;
    }
    return v instanceof Boolean b ? b : ((Number) v).doubleValue() == 1;
  }

  private static GeneTable inspect(
      HdfOpener hdf,
      InputFile f,
      CountsLocation countsAt,
      MediansOptions o,
      Set<String> obsPresent) {
    try (H5adFile h5 = H5adFile.open(hdf, f, countsAt.modality())) {
      h5.counts(countsAt); // checks the matrix's shape against obs and the gene table
      String[] raw = h5.geneIds(countsAt, o.geneIdColumn());
      String[] ids = new String[raw.length];
      for (int i = 0; i < raw.length; i++) {
        ids[i] = raw[i] == null || raw[i].isBlank() ? null : raw[i].trim().toUpperCase(Locale.ROOT);
      }
      DataFrameGroup var = h5.genes(countsAt);
      String[] symbols;
      if (o.geneNameColumn() != null) {
        if (!var.hasColumn(o.geneNameColumn())) {
          throw UserException.of(
              "Input %s: gene table has no column '%s' (--gene-name-column); its columns: %s",
              f.name(), o.geneNameColumn(), String.join(", ", var.columnNames()));
        }
        symbols = var.allStrings(o.geneNameColumn());
      } else {
        // IDs in a column: the index usually holds the symbols (scanpy's var_names).
        symbols = var.hasColumn(o.geneIdColumn()) ? var.allIndexStrings() : null;
      }
      addAnnotations(h5.obs()::hasColumn, o, obsPresent);
      return new GeneTable(ids, symbols);
    }
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
    } catch (java.io.FileNotFoundException e) {
      throw UserException.because(e, "--genes %s does not exist", file);
    } catch (IOException e) {
      throw UserException.because(e, "Cannot read --genes %s: %s", file, e.getMessage());
    }
    if (out.isEmpty()) {
      throw UserException.of("--genes %s lists no gene", file);
    }
    return out;
  }

  /**
   * One input's gene table (IDs, upper case, null where none) and the symbols it gives, where it
   * gives them.
   */
  private static void addGenes(
      String source,
      String[] ids,
      String[] symbols,
      Map<String, String[]> idsBySource,
      Map<String, String> symbolOf) {
    idsBySource.put(source, ids);
    for (int i = 0; symbols != null && i < ids.length; i++) {
      if (ids[i] != null && symbols[i] != null && !symbols[i].isBlank()) {
        symbolOf.putIfAbsent(ids[i], symbols[i]);
      }
    }
  }

  /**
   * The n_counts and filter_pass columns an input has (its obs, loom col_attrs, long-table
   * columns).
   */
  private static void addAnnotations(
      java.util.function.Predicate<String> has, MediansOptions o, Set<String> obsPresent) {
    for (String c : List.of(o.nCountsColumn(), o.filterPassColumn())) {
      if (has.test(c)) {
        obsPresent.add(c);
      }
    }
  }

  private static String[] upperCase(String[] ids) {
    String[] out = new String[ids.length];
    for (int i = 0; i < ids.length; i++) {
      out[i] = ids[i] == null || ids[i].isBlank() ? null : ids[i].trim().toUpperCase(Locale.ROOT);
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
    m.put("gene_id_column", o.geneIdColumn());
    m.put("gene_name_column", o.geneNameColumn());
    return m;
  }
}
