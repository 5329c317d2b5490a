package org.cellspark.jobs.demo;

import static org.apache.spark.sql.functions.avg;
import static org.apache.spark.sql.functions.col;
import static org.apache.spark.sql.functions.count;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.cellspark.vocab.VocabularyLoader;
import org.cellspark.jobs.tokenize.TokenizeJob;
import org.cellspark.jobs.tokenize.TokenizeOptions;
import org.cellspark.jobs.tokenize.TokenizeResult;
import org.cellspark.vocab.BundledVocabulary;
import org.cellspark.vocab.Vocabulary;

/**
 * {@code cellspark demo}: the pipeline on a bundled synthetic atlas (2,000 blood cells of four types
 * with marker programmes, real Geneformer V1 gene IDs) and the bundled V1 vocabulary. Today it
 * tokenizes and summarises the tokens; later steps (embed, perturb, stats, classify) join as they
 * land.
 */
public final class DemoJob {
  static final String ATLAS_RESOURCE = "/org/cellspark/demo/sample_atlas.h5ad";
  static final String VOCABULARY = BundledVocabulary.PREFIX + BundledVocabulary.GENEFORMER_V1;

  private DemoJob() {}

  public static DemoResult run(SparkSession spark, DemoOptions o) {
    Path work = Paths.get(o.workDir()).toAbsolutePath();
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
        table.groupBy("cell_type")
            .agg(count("*").as("cells"), avg("length").as("mean_length"))
            .orderBy(col("cell_type"))
            .collectAsList()) {
      byType.add(new DemoResult.CellTypeSummary(r.getString(0), r.getLong(1), r.getDouble(2)));
    }
    Row first = table.orderBy("cell_id").select("cell_id", "cell_type", "length", "input_ids").first();
    return new DemoResult(atlas.toString(), tokens, byType, example(first));
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
        throw new IllegalStateException("the demo atlas is missing from the jar: " + ATLAS_RESOURCE);
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
