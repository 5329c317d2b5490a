package org.cellspark.jobs.demo;

import static org.apache.spark.sql.functions.avg;
import static org.apache.spark.sql.functions.col;
import static org.apache.spark.sql.functions.count;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
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
import org.cellspark.jobs.classify.ClassifyJob;
import org.cellspark.jobs.classify.ClassifyOptions;
import org.cellspark.jobs.classify.ClassifyResult;
import org.cellspark.jobs.common.CellSelection;
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
 * tokenize, embed (with per-cell-type state embeddings), perturb (delete eight monocyte markers in
 * monocytes, shifts toward T cells), stats (goal-state shift), classify (cell type on the
 * embeddings, donors held out), then report.html with the numbers and three plots.
 */
public final class DemoJob {
  static final String ATLAS_RESOURCE = "/org/cellspark/demo/sample_atlas.h5ad";
  static final String MODEL_RESOURCE = "/org/cellspark/demo/model/";
  static final String VOCABULARY = BundledVocabulary.PREFIX + BundledVocabulary.GENEFORMER_V1;
  static final String START = "monocyte";
  static final String GOAL = "T cell";
  static final List<String> GENES =
      List.of("CD14", "LYZ", "FCN1", "S100A8", "S100A9", "CSF1R", "VCAN", "CD68");

  /** Monocytes screened: enough for stable means, few enough for a quick demo. */
  static final long SCREENED_CELLS = 120;

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

    Dataset<Row> table = spark.read().parquet(tokens.output());
    List<DemoResult.CellTypeSummary> byType = new ArrayList<>();
    for (Row r :
        table
            .groupBy("cell_type")
            .agg(count("*").as("cells"), avg("length").as("mean_length"))
            .orderBy(col("cell_type"))
            .collectAsList()) {
      byType.add(new DemoResult.CellTypeSummary(r.getString(0), r.getLong(1), r.getDouble(2)));
    }
    Row first =
        table.orderBy("cell_id").select("cell_id", "cell_type", "length", "input_ids").first();

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
                .withGenes(GENES, false, null)
                .withStates(
                    PerturbOptions.States.parse("cell_type:start=" + START + ",goal=" + GOAL),
                    embed.output())
                .withSelection(null, List.of(), SCREENED_CELLS, CellSelection.DEFAULT_SEED));
    StatsResult stats =
        StatsJob.run(
            spark,
            StatsOptions.of(
                screen.output(), work.resolve("stats").toString(), StatsMode.GOAL_STATE_SHIFT));
    List<DemoResult.GeneShift> shifts = new ArrayList<>();
    for (Row r :
        spark
            .read()
            .parquet(stats.output() + "/goal_state_shift")
            .select(col("Gene_name"), col("Shift_to_goal_end"), col("N_Detections"))
            .orderBy(col("Shift_to_goal_end").desc())
            .collectAsList()) {
      shifts.add(new DemoResult.GeneShift(r.getString(0), r.getDouble(1), r.getLong(2)));
    }
    ClassifyResult classify =
        ClassifyJob.run(
            spark,
            ClassifyOptions.of(
                embed.output(), "cell_type", "donor", work.resolve("classify").toString()));

    Path report = work.resolve("report");
    DemoResult result =
        new DemoResult(
            atlas.toString(),
            tokens,
            byType,
            example(first),
            embed,
            screen,
            START,
            GOAL,
            stats,
            shifts,
            "logistic regression (" + classify.chosen() + ")",
            ((Number) classify.test().get("accuracy")).doubleValue(),
            ((Number) classify.test().get("macro_f1")).doubleValue(),
            report.resolve("report.html").toString());
    try {
      Files.createDirectories(report);
      DemoCharts.embeddingScatter(
          principalComponents(spark, embed.output() + "/cells"), report.resolve("embeddings.png"));
      DemoCharts.shiftBars(shifts, GOAL, report.resolve("shifts.png"));
      Files.copy(
          Paths.get(URI.create(classify.output())).resolve("confusion_matrix.png"),
          report.resolve("confusion_matrix.png"),
          StandardCopyOption.REPLACE_EXISTING);
      DemoReport.write(result, report.resolve("report.html"));
    } catch (IOException e) {
      throw new UncheckedIOException("cannot write the demo report under " + report, e);
    }
    return result;
  }

  /** Each cell's first two principal components (MLlib's PCA over the embeddings), by cell type. */
  static Map<String, List<double[]>> principalComponents(SparkSession spark, String cells) {
    Dataset<Row> embeddings = spark.read().parquet(cells);
    PCAModel pca = new PCA().setInputCol("embedding").setOutputCol("pc").setK(2).fit(embeddings);
    Map<String, List<double[]>> out = new TreeMap<>();
    for (Row r : pca.transform(embeddings).select("cell_type", "pc").collectAsList()) {
      out.computeIfAbsent(r.getString(0), k -> new ArrayList<>())
          .add(((Vector) r.get(1)).toArray());
    }
    return out;
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
