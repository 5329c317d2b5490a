package org.cellspark.jobs.demo;

import static org.apache.spark.sql.functions.avg;
import static org.apache.spark.sql.functions.col;
import static org.apache.spark.sql.functions.count;
import static org.apache.spark.sql.functions.lit;
import static org.apache.spark.sql.functions.max;
import static org.apache.spark.sql.functions.min;
import static org.apache.spark.sql.functions.percentile_approx;

import com.fasterxml.jackson.core.type.TypeReference;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Comparator;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.stream.Stream;
import org.apache.spark.ml.feature.PCA;
import org.apache.spark.ml.feature.PCAModel;
import org.apache.spark.ml.linalg.Vector;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.cellspark.error.Bug;
import org.cellspark.io.PathGlobs;
import org.cellspark.jobs.classify.ClassifyJob;
import org.cellspark.jobs.classify.ClassifyOptions;
import org.cellspark.jobs.classify.ClassifyResult;
import org.cellspark.jobs.common.CellSelection;
import org.cellspark.jobs.common.StagedOutput;
import org.cellspark.jobs.embed.EmbedJob;
import org.cellspark.jobs.embed.EmbedOptions;
import org.cellspark.jobs.embed.EmbedResult;
import org.cellspark.jobs.perturb.PerturbJob;
import org.cellspark.jobs.perturb.PerturbOptions;
import org.cellspark.jobs.perturb.PerturbResult;
import org.cellspark.jobs.stats.StatsJob;
import org.cellspark.jobs.stats.StatsMode;
import org.cellspark.jobs.stats.StatsOptions;
import org.cellspark.jobs.stats.StatsResult;
import org.cellspark.jobs.tokenize.TokenizeJob;
import org.cellspark.jobs.tokenize.TokenizeOptions;
import org.cellspark.jobs.tokenize.TokenizeResult;
import org.cellspark.perturb.PerturbationType;
import org.cellspark.vocab.BundledVocabulary;
import org.cellspark.vocab.Vocabulary;
import org.cellspark.vocab.VocabularyLoader;

/**
 * {@code cellspark demo}: the whole pipeline on a bundled synthetic atlas (2,000 blood cells of
 * four types with marker programmes, real Geneformer V1 gene IDs, six donors), the bundled V1
 * vocabulary and a bundled tiny random model (1 layer, hidden 16: the pipeline, not biology):
 * tokenize, embed (with per-cell-type state embeddings), perturb (delete every gene, one at a time,
 * in eight monocytes; shifts toward T cells), stats (goal-state shift with rank-sum p-values and
 * FDR), classify (cell type on the embeddings, donors held out), then report.html: quality control,
 * the numbers, four plots, links to every output, each job's settings and time.
 */
public final class DemoJob {
  static final String ATLAS_RESOURCE = "/org/cellspark/demo/sample_atlas.h5ad";
  static final String MODEL_RESOURCE = "/org/cellspark/demo/model/";
  static final String VOCABULARY = BundledVocabulary.PREFIX + BundledVocabulary.GENEFORMER_V1;
  static final String START = "monocyte";
  static final String GOAL = "T cell";

  /**
   * Monocytes screened, every gene of each deleted in turn: a few thousand perturbations, enough
   * for per-gene rank-sum p-values against the pool of all shifts, quick on two cores.
   */
  static final long SCREENED_CELLS = 8;

  /** Genes listed at each end of the screen's table in the report. */
  static final int GENES_SHOWN = 10;

  /**
   * Genes shown were deleted in at least this many of the screened cells: a mean over one or two
   * cells says little, however large.
   */
  public static final long MIN_CELLS_SHOWN = SCREENED_CELLS / 2;

  static final List<String> OUTPUTS =
      List.of("tokens", "model", "embeddings", "screen", "stats", "classify", "report");

  private DemoJob() {}

  public static DemoResult run(SparkSession spark, DemoOptions o) {
    Path work = Paths.get(o.workDir()).toAbsolutePath();
    for (String folder : OUTPUTS) {
      deleteRecursively(work.resolve(folder)); // the demo's own folders, replaced on every run
    }
    Path atlas = copyAtlas(work.resolve("input"));
    TokenizeResult tokens =
        TokenizeJob.run(
            spark,
            TokenizeOptions.builder()
                .input(atlas.toString())
                .output(work.resolve("tokens").toString())
                .vocabulary(VOCABULARY)
                .attribute("cell_type")
                .attribute("donor")
                .overwrite(true)
                .build());
    Dataset<Row> table = spark.read().parquet(PathGlobs.literal(tokens.output()));
    String model = copyModel(work.resolve("model")).toString();
    EmbedResult embed =
        EmbedJob.run(
            spark,
            EmbedOptions.of(tokens.output(), model, work.resolve("embeddings").toString())
                .withOutputs(false, EmbedOptions.Summary.MEAN, "cell_type", false));
    PerturbResult screen =
        PerturbJob.run(
            spark,
            PerturbOptions.of(
                    tokens.output(),
                    model,
                    work.resolve("screen").toString(),
                    PerturbationType.DELETE)
                .withGenes(List.of("all"), false, null)
                .withStates(
                    PerturbOptions.States.parse("cell_type:start=" + START + ",goal=" + GOAL),
                    embed.output())
                .withSelection(null, List.of(), SCREENED_CELLS, CellSelection.DEFAULT_SEED));
    StatsResult stats =
        StatsJob.run(
            spark,
            StatsOptions.of(
                screen.output(), work.resolve("stats").toString(), StatsMode.GOAL_STATE_SHIFT));
    List<DemoResult.GeneShift> shifts = geneShifts(spark, stats.output());
    List<DemoResult.GeneShift> shown =
        shifts.stream().filter(g -> g.cells() >= MIN_CELLS_SHOWN).toList();
    ClassifyResult classify =
        ClassifyJob.run(
            spark,
            ClassifyOptions.of(
                embed.output(), "cell_type", "donor", work.resolve("classify").toString()));
    Pca pca = principalComponents(spark, embed.output() + "/cells");

    Path report = work.resolve("report");
    DemoResult result =
        new DemoResult(
            atlas.toString(),
            tokens,
            qc(table, tokens.output()),
            byCellType(table),
            example(
                table
                    .orderBy("cell_id")
                    .select("cell_id", "cell_type", "length", "input_ids")
                    .first()),
            embed,
            pca.explained(),
            screen,
            START,
            GOAL,
            stats,
            screenSummary(shifts, stats.output()),
            shown.subList(0, Math.min(GENES_SHOWN, shown.size())),
            reversed(shown.subList(Math.max(0, shown.size() - GENES_SHOWN), shown.size())),
            "logistic regression (" + classify.chosen() + ")",
            ((Number) classify.test().get("accuracy")).doubleValue(),
            ((Number) classify.test().get("macro_f1")).doubleValue(),
            jobRuns(
                tokens.output(),
                embed.output(),
                screen.output(),
                stats.output(),
                classify.output()),
            report.resolve("report.html").toString());
    try {
      Files.createDirectories(report);
      DemoCharts.embeddingScatter(
          pca.pointsByType(), pca.explained(), report.resolve("embeddings.png"));
      DemoCharts.shiftBars(
          result.towardGoal(), result.awayFromGoal(), GOAL, report.resolve("shifts.png"));
      DemoCharts.lengthHistogram(lengths(table), report.resolve("lengths.png"));
      Files.copy(
          work.resolve("classify").resolve("confusion_matrix.png"),
          report.resolve("confusion_matrix.png"),
          StandardCopyOption.REPLACE_EXISTING);
      DemoReport.write(result, report.resolve("report.html"));
    } catch (IOException e) {
      throw new UncheckedIOException("cannot write the demo report under " + report, e);
    }
    return result;
  }

  private static List<DemoResult.CellTypeSummary> byCellType(Dataset<Row> table) {
    List<DemoResult.CellTypeSummary> byType = new ArrayList<>();
    for (Row r :
        table
            .groupBy("cell_type")
            .agg(count("*").as("cells"), avg("length").as("mean_length"))
            .orderBy(col("cell_type"))
            .collectAsList()) {
      byType.add(new DemoResult.CellTypeSummary(r.getString(0), r.getLong(1), r.getDouble(2)));
    }
    return byType;
  }

  /** Cells kept and dropped and gene coverage from the tokenize summary; lengths from the table. */
  private static DemoResult.Qc qc(Dataset<Row> table, String tokens) {
    JsonNode s = summary(tokens);
    JsonNode c = s.get("counts");
    JsonNode in = s.get("inputs").get(0);
    Row l =
        table
            .agg(
                min("length"),
                percentile_approx(col("length"), lit(0.5), lit(10_000)),
                max("length"))
            .first();
    return new DemoResult.Qc(
        c.get("cells_read").asLong(),
        c.get("cells_written").asLong(),
        c.get("dropped_filter_pass").asLong(),
        c.get("dropped_no_vocabulary_gene").asLong(),
        c.get("truncated_to_input_size").asLong(),
        in.get("input_genes").asLong(),
        in.get("vocabulary_genes_matched").asLong(),
        in.get("vocabulary_coverage").asDouble(),
        l.getInt(0),
        l.getInt(1),
        l.getInt(2));
  }

  private static int[] lengths(Dataset<Row> table) {
    return table.select("length").collectAsList().stream().mapToInt(r -> r.getInt(0)).toArray();
  }

  /** Every gene of the statistics table, largest shift toward the goal first. */
  private static List<DemoResult.GeneShift> geneShifts(SparkSession spark, String stats) {
    List<DemoResult.GeneShift> shifts = new ArrayList<>();
    for (Row r :
        spark
            .read()
            .parquet(PathGlobs.literal(stats + "/goal_state_shift"))
            .select(
                col("Gene_name"),
                col("Shift_to_goal_end"),
                col("Goal_end_vs_random_pval"),
                col("Goal_end_FDR"),
                col("N_Detections"),
                col("Ensembl_ID"))
            .orderBy(col("Shift_to_goal_end").desc(), col("Ensembl_ID"))
            .collectAsList()) {
      shifts.add(
          new DemoResult.GeneShift(
              r.isNullAt(0) ? r.getString(5) : r.getString(0), // no symbol: the Ensembl ID
              r.getDouble(1),
              r.getDouble(2),
              r.getDouble(3),
              r.getLong(4)));
    }
    return shifts;
  }

  private static DemoResult.ScreenSummary screenSummary(
      List<DemoResult.GeneShift> shifts, String stats) {
    double threshold = summary(stats).get("options").get("fdr").asDouble();
    long significant = shifts.stream().filter(g -> g.fdr() < threshold).count();
    return new DemoResult.ScreenSummary(shifts.size(), significant, threshold);
  }

  private static <T> List<T> reversed(List<T> list) {
    List<T> out = new ArrayList<>(list);
    Collections.reverse(out);
    return out;
  }

  /** Each job's wall time and options, from the _cellspark.json beside its output. */
  private static List<DemoResult.JobRun> jobRuns(String... outputs) {
    List<DemoResult.JobRun> runs = new ArrayList<>();
    ObjectMapper json = new ObjectMapper();
    for (String output : outputs) {
      JsonNode s = summary(output);
      JsonNode t = s.get("timings");
      double seconds =
          t.has("total_seconds")
              ? t.get("total_seconds").asDouble()
              : sum(t); // tokenize times its phases
      runs.add(
          new DemoResult.JobRun(
              s.get("job").asText(),
              output,
              seconds,
              json.convertValue(
                  s.get("options"), new TypeReference<LinkedHashMap<String, Object>>() {})));
    }
    return runs;
  }

  private static double sum(JsonNode timings) {
    double total = 0;
    for (JsonNode v : timings) {
      total += v.asDouble();
    }
    return total;
  }

  private static JsonNode summary(String output) {
    JsonNode s =
        StagedOutput.summaryOf(output, SparkSession.active().sparkContext().hadoopConfiguration());
    if (s == null) {
      throw new Bug("the demo's job wrote no summary into " + output);
    }
    return s;
  }

  /**
   * The embeddings' first two principal components (MLlib's PCA): each cell's coordinates by cell
   * type, and each component's share of the variance.
   */
  record Pca(Map<String, List<double[]>> pointsByType, double[] explained) {}

  static Pca principalComponents(SparkSession spark, String cells) {
    Dataset<Row> embeddings = spark.read().parquet(PathGlobs.literal(cells));
    PCAModel pca = new PCA().setInputCol("embedding").setOutputCol("pc").setK(2).fit(embeddings);
    Map<String, List<double[]>> out = new TreeMap<>();
    for (Row r : pca.transform(embeddings).select("cell_type", "pc").collectAsList()) {
      out.computeIfAbsent(r.getString(0), k -> new ArrayList<>())
          .add(((Vector) r.get(1)).toArray());
    }
    return new Pca(out, pca.explainedVariance().toArray());
  }

  private static Path copyModel(Path folder) {
    try {
      Files.createDirectories(folder);
      for (String file : List.of("config.json", "model.safetensors")) {
        try (InputStream in = DemoJob.class.getResourceAsStream(MODEL_RESOURCE + file)) {
          if (in == null) {
            throw new Bug("the demo model is missing from the jar: " + MODEL_RESOURCE + file);
          }
          Files.copy(in, folder.resolve(file), StandardCopyOption.REPLACE_EXISTING);
        }
      }
      return folder;
    } catch (IOException e) {
      throw new UncheckedIOException("cannot write the demo model under " + folder, e);
    }
  }

  private static void deleteRecursively(Path p) {
    if (!Files.exists(p)) {
      return;
    }
    try (Stream<Path> all = Files.walk(p)) {
      for (Path f : all.sorted(Comparator.reverseOrder()).toList()) {
        Files.delete(f);
      }
    } catch (IOException e) {
      throw new UncheckedIOException("cannot replace the demo folder " + p, e);
    }
  }

  private static DemoResult.ExampleCell example(Row r) {
    Vocabulary v = VocabularyLoader.load(VOCABULARY);
    Map<Integer, String> geneOfToken = new HashMap<>();
    v.tokenIds().forEach((gene, id) -> geneOfToken.put(id, gene));
    Map<String, String> symbolOf = new HashMap<>();
    v.symbolToId().forEach((symbol, gene) -> symbolOf.putIfAbsent(gene, symbol));
    List<Integer> ids = r.getList(3);
    List<String> top = new ArrayList<>();
    for (int i = 0; i < Math.min(8, ids.size()); i++) {
      String gene = geneOfToken.get(ids.get(i));
      top.add(symbolOf.getOrDefault(gene, gene));
    }
    return new DemoResult.ExampleCell(r.getString(0), r.getString(1), r.getInt(2), top);
  }

  private static Path copyAtlas(Path folder) {
    try (InputStream in = DemoJob.class.getResourceAsStream(ATLAS_RESOURCE)) {
      if (in == null) {
        throw new Bug("the demo atlas is missing from the jar: " + ATLAS_RESOURCE);
      }
      Files.createDirectories(folder);
      Path target = folder.resolve("sample_atlas.h5ad");
      Files.copy(in, target, StandardCopyOption.REPLACE_EXISTING);
      return target;
    } catch (IOException e) {
      throw new UncheckedIOException("cannot write the demo atlas under " + folder, e);
    }
  }
}
