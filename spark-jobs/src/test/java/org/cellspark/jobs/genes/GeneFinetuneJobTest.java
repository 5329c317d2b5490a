package org.cellspark.jobs.genes;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.FloatBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.apache.commons.io.FileUtils;
import org.apache.spark.sql.SparkSession;
import org.cellspark.cli.Main;
import org.cellspark.error.UserException;
import org.cellspark.jobs.classify.RocCurves;
import org.cellspark.jobs.common.CellSelection;
import org.cellspark.jobs.finetune.SettingsSearch;
import org.cellspark.model.Precision;
import org.cellspark.model.WeightsFile;
import org.cellspark.spark.FaultInjection;
import org.cellspark.testing.Fixtures;
import org.cellspark.testing.SharedSpark;
import org.cellspark.testing.TokenTables;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

/**
 * A gene classifier fine-tuned on the tiny V2 model, cross-validated over genes. In the cells, the
 * "sensitive" genes (1-10 of the small vocabulary, as gene_classes.pickle names them) always rank
 * among a cell's first three genes and the "insensitive" ones (11-20) among its last three, with
 * unlabelled genes (21-30) between: a held-out gene's class shows in where it stands, so
 * fine-tuning must predict genes it never trained on. With the same genes placed at random, it
 * stays at chance: the score measures what the cells show.
 */
@ExtendWith(SharedSpark.class)
class GeneFinetuneJobTest {
  @TempDir Path tmp;

  private static final String VOCABULARY = Fixtures.vocab("vocab-v2-small").toString();
  private static final String MODEL = Fixtures.vocab("models/tiny-v2").toString();

  /**
   * V2 cells (<cls> first, <eos> last) of 3 sensitive genes, 4 to 8 unlabelled ones and 3
   * insensitive ones: in that order when {@code ordered}, else shuffled.
   */
  static String tokens(SparkSession spark, Path folder, int n, boolean ordered) {
    Random r = new Random(11);
    List<List<Integer>> cells = new ArrayList<>();
    for (int c = 0; c < n; c++) {
      List<Integer> cell = new ArrayList<>();
      cell.addAll(pick(r, 4, 3)); // tokens 4-13: genes 1-10
      cell.addAll(pick(r, 24, 4 + r.nextInt(5))); // tokens 24-33: genes 21-30
      cell.addAll(pick(r, 14, 3)); // tokens 14-23: genes 11-20
      if (!ordered) {
        Collections.shuffle(cell, r);
      }
      cell.add(0, 2);
      cell.add(3);
      cells.add(cell);
    }
    return TokenTables.write(spark, folder, cells, c -> c % 2 == 0 ? "A" : "B");
  }

  private static List<Integer> pick(Random r, int first, int count) {
    List<Integer> ten = new ArrayList<>();
    for (int t = first; t < first + 10; t++) {
      ten.add(t);
    }
    Collections.shuffle(ten, r);
    return ten.subList(0, count);
  }

  /**
   * The tiny V2 model with each class's genes given a shared direction in its gene embeddings (each
   * row halved, plus its class's random vector of the embeddings' own scale), as pretraining puts
   * genes of like function near each other: what lets a fine-tuned gene classifier place genes it
   * never trained on.
   */
  private Path modelWithGeneFamilies() throws IOException {
    Path model = tmp.resolve("families");
    FileUtils.copyDirectory(Path.of(MODEL).toFile(), model.toFile());
    Path file = model.resolve("model.safetensors");
    WeightsFile weights = WeightsFile.open(file);
    String name = "bert.embeddings.word_embeddings.weight";
    WeightsFile.Tensor t = weights.tensors().get(name);
    int hidden = (int) t.shape()[1];
    FloatBuffer values = weights.floats(name);
    double sum = 0;
    for (int i = 0; i < values.limit(); i++) {
      sum += values.get(i) * values.get(i);
    }
    double scale = Math.sqrt(sum / values.limit());
    Random r = new Random(3);
    float[][] family = new float[2][hidden];
    for (float[] f : family) {
      for (int j = 0; j < hidden; j++) {
        f[j] = (float) (scale * r.nextGaussian());
      }
    }
    ByteBuffer rows = ByteBuffer.allocate(4 * 20 * hidden).order(ByteOrder.LITTLE_ENDIAN);
    for (int token = 4; token < 24; token++) { // genes 1-10 and 11-20
      for (int j = 0; j < hidden; j++) {
        rows.putFloat(0.5f * values.get(token * hidden + j) + family[token < 14 ? 0 : 1][j]);
      }
    }
    rows.flip();
    try (FileChannel ch =
        FileChannel.open(file, StandardOpenOption.READ, StandardOpenOption.WRITE)) {
      ch.write(rows, t.begin() + 4L * 4 * hidden); // begin: from the start of the file
    }
    return model;
  }

  private GeneFinetuneOptions.Builder options(String tokens, String output) {
    return GeneFinetuneOptions.builder()
        .input(tokens)
        .vocabulary(VOCABULARY)
        .geneClasses(Fixtures.genes("gene_classes.pickle").toString())
        .model(MODEL)
        .output(tmp.resolve(output).toString())
        .folds(3)
        .epochs(6)
        .learningRate(3e-3)
        .warmupSteps(10)
        .batchTokens(512);
  }

  @Test
  void predictsGenesItNeverTrainedOnFromWhatTheModelKnowsOfThem(SparkSession spark)
      throws Exception {
    String tokens = tokens(spark, tmp.resolve("tokens"), 600, true);
    GeneFinetuneResult r =
        GeneFinetuneJob.run(
            spark, options(tokens, "genes").model(modelWithGeneFamilies().toString()).build());

    assertThat(r.folds()).isEqualTo(3);
    assertThat(r.classes()).as("sorted by name").containsExactly("insensitive", "sensitive");
    assertThat(r.macroF1()).as("test macro-F1, mean of 3 folds").isGreaterThan(0.9);
    assertThat(r.rocAuc()).isGreaterThan(0.95);
    Path out = Path.of(r.output().replaceFirst("^file:", ""));

    // genes.csv: every resolved gene once, held out by one fold, predicted from that fold's model.
    List<String> lines = Files.readAllLines(out.resolve("genes.csv"));
    assertThat(lines.get(0))
        .isEqualTo(
            "gene_id,symbol,class,fold,split,occurrences,predicted,correct,"
                + "probability_insensitive,probability_sensitive");
    List<String> rows = lines.subList(1, lines.size());
    assertThat(rows).hasSize(20);
    int correct = 0;
    int[] perFold = new int[3];
    Map<Integer, String[]> heldOut = new HashMap<>(); // token -> fold, split
    for (String row : rows) {
      String[] f = row.split(",", -1);
      int gene = Integer.parseInt(f[0].substring(4));
      heldOut.put(gene + 3, new String[] {f[3], f[4]});
      assertThat(f[1]).isEqualTo(String.format("SYM%02d", gene));
      assertThat(f[2]).isEqualTo(gene <= 10 ? "sensitive" : "insensitive");
      perFold[Integer.parseInt(f[3]) - 1]++;
      assertThat(Long.parseLong(f[5])).as(row).isPositive();
      correct += f[7].equals("true") ? 1 : 0;
      assertThat(Double.parseDouble(f[8]) + Double.parseDouble(f[9])).isCloseTo(1.0, within());
      assertThat(f[7]).isEqualTo(String.valueOf(f[6].equals(f[2])));
    }
    assertThat(correct).as("held-out genes classed right").isGreaterThanOrEqualTo(18);
    assertThat(perFold).as("stratified folds of 20 genes").containsExactly(7, 7, 6);

    JsonNode metrics = new ObjectMapper().readTree(out.resolve("metrics.json").toFile());
    JsonNode folds = metrics.path("metrics").path("folds");
    assertThat(folds).hasSize(3);
    List<List<Integer>> cells = new ArrayList<>();
    spark
        .read()
        .parquet(tokens)
        .select("input_ids")
        .collectAsList()
        .forEach(c -> cells.add(c.getList(0)));
    for (JsonNode f : folds) {
      int held = f.path("genes").path("validation").asInt() + f.path("genes").path("test").asInt();
      assertThat(f.path("genes").path("train").asInt() + held).isEqualTo(20);
      String fold = f.path("fold").asText();
      for (String split : List.of("train", "validation", "test")) {
        long holding =
            cells.stream()
                .filter(
                    c ->
                        c.stream()
                            .anyMatch(
                                t ->
                                    heldOut.containsKey(t)
                                        && (split.equals("train")
                                            ? !heldOut.get(t)[0].equals(fold)
                                            : heldOut.get(t)[0].equals(fold)
                                                && heldOut.get(t)[1].equals(split))))
                .count();
        assertThat(f.path("cells").path(split).asLong())
            .as("fold %s's %s cells: those holding one of its %s genes", fold, split, split)
            .isEqualTo(holding);
      }
      assertThat(f.path("test").path("occurrences").asInt()).isPositive();
      assertThat(f.path("epochs_run").asInt()).isEqualTo(6);
    }
    JsonNode summary = new ObjectMapper().readTree(out.resolve("_cellspark.json").toFile());
    assertThat(summary.path("classes").path("not_in_vocabulary").get(0).asText())
        .isEqualTo("ENSG99999999999");
    assertThat(summary.path("classes").path("genes").path("sensitive").asInt())
        .as("gene 10 named by its symbol")
        .isEqualTo(10);

    assertThat(Files.readAllLines(out.resolve("training.csv"))).hasSize(1 + 3 * 6);
    assertThat(Files.readAllLines(out.resolve("folds.csv"))).hasSize(1 + 3 * 2);
    assertThat(Files.readAllLines(out.resolve("roc.csv"))).hasSize(1 + RocCurves.POINTS);
    for (String png : List.of("roc.png", "confusion_matrix.png")) {
      byte[] head = Files.readAllBytes(out.resolve(png));
      assertThat(new String(head, 1, 3, java.nio.charset.StandardCharsets.US_ASCII))
          .isEqualTo("PNG");
    }
    for (int fold = 1; fold <= 3; fold++) {
      Path model = out.resolve("models/fold-" + fold);
      JsonNode config = new ObjectMapper().readTree(model.resolve("config.json").toFile());
      assertThat(config.path("architectures").get(0).asText())
          .isEqualTo("BertForTokenClassification");
      assertThat(config.path("id2label").path("1").asText()).isEqualTo("sensitive");
      WeightsFile weights = WeightsFile.open(model.resolve("model.safetensors"));
      assertThat(weights.tensors().get("classifier.weight").shape()).containsExactly(2L, 32L);
    }

    // Fold 1's model applied as a saved gene classifier (classify apply) to every cell: a gene
    // fold 1 held out for testing occurs only in fold 1's test cells, so its occurrences and mean
    // probabilities over all the cells are the ones genes.csv gives it.
    Path applied = tmp.resolve("applied");
    GeneClassifierApply.run(
        spark,
        new GeneClassifierApply.Options(
            out.resolve("models/fold-1").toString(),
            tokens,
            VOCABULARY,
            applied.toString(),
            false,
            List.of("all"),
            Fixtures.genes("gene_classes.pickle").toString(),
            null,
            0,
            42,
            Precision.FP32));
    Map<String, String[]> appliedByGene = new HashMap<>();
    Files.readAllLines(applied.resolve("predictions.csv")).stream()
        .skip(1)
        .map(l -> l.split(",", -1))
        .forEach(f -> appliedByGene.put(f[0], f));
    int testGenes = 0;
    for (String row : rows) {
      String[] f = row.split(",", -1);
      if (!f[3].equals("1") || !f[4].equals("test")) {
        continue;
      }
      testGenes++;
      String[] a = appliedByGene.get(f[0]);
      assertThat(a[2]).as("occurrences of %s", f[0]).isEqualTo(f[5]);
      assertThat(a[3]).as("predicted class of %s", f[0]).isEqualTo(f[6]);
      assertThat(a[4]).isEqualTo(f[2]);
      assertThat(Double.parseDouble(a[7])).isCloseTo(Double.parseDouble(f[9]), within());
    }
    assertThat(testGenes).isPositive();
  }

  /**
   * --search in every fold (upstream's n_hyperopt_trials for a gene classifier): two learning
   * rates, each a trial of each of two folds in a task of its own. Each fold keeps the trial best
   * on its validation genes (the rate too small to learn loses), and what it keeps is what a run
   * with that rate alone trains: the same genes.csv. Stopped after an epoch, the search resumes
   * every trial from its own epoch states.
   */
  @Test
  void aSearchInEveryFoldKeepsWhatARunWithTheKeptRateAloneTrains(SparkSession spark)
      throws Exception {
    String tokens = tokens(spark, tmp.resolve("tokens"), 300, true);
    String model = modelWithGeneFamilies().toString();
    GeneFinetuneOptions search =
        options(tokens, "search")
            .model(model)
            .runFolds(2)
            .learningRate(1e-7)
            .search(SettingsSearch.parse(List.of("learning-rate=1e-7,3e-3")))
            .build();
    spark.conf().set(FaultInjection.STOP_FINETUNE_AFTER_EPOCHS, "2");
    try {
      assertThatThrownBy(() -> GeneFinetuneJob.run(spark, search))
          .hasStackTraceContaining("stopped after epoch 2");
    } finally {
      spark.conf().unset(FaultInjection.STOP_FINETUNE_AFTER_EPOCHS);
    }
    assertThat(
            List.of("fold-1-trial-0", "fold-1-trial-1", "fold-2-trial-0", "fold-2-trial-1").stream()
                .filter(
                    unit ->
                        Files.exists(
                            tmp.resolve(".search.cellspark-work/" + unit + "/state.safetensors"))))
        .as("a trial's epoch states in a folder of its own")
        .isNotEmpty();
    assertThat(tmp.resolve("search")).doesNotExist();

    // Run again through the command line, with the options the builder was given: it resumes
    // (a trial whose plan differed from the one it left would be refused), so the command builds
    // the options the builder built.
    StringWriter printed = new StringWriter();
    int exit =
        Main.execute(
            new PrintWriter(printed),
            new PrintWriter(printed),
            "finetune-genes",
            "--input",
            tokens,
            "--vocabulary",
            VOCABULARY,
            "--gene-classes",
            Fixtures.genes("gene_classes.pickle").toString(),
            "--model",
            model,
            "--folds",
            "3",
            "--run-folds",
            "2",
            "--epochs",
            "6",
            "--learning-rate",
            "1e-7",
            "--warmup-steps",
            "10",
            "--batch-tokens",
            "512",
            "--search",
            "learning-rate=1e-7,3e-3",
            "--output",
            search.output());
    assertThat(exit).as("%s", printed).isZero();
    assertThat(printed.toString())
        .contains("gene classifier, 2 classes, 2 fold(s)")
        .contains("fold 1 kept trial 1: {learning-rate=3e-3}")
        .contains("fold 2 kept trial 1: {learning-rate=3e-3}")
        .contains("each fold's trials and the one it kept in trials.csv");
    Path out = Path.of(search.output());
    JsonNode summary = new ObjectMapper().readTree(out.resolve("_cellspark.json").toFile());
    List<String> trials = Files.readAllLines(out.resolve("trials.csv"));
    assertThat(trials.get(0))
        .isEqualTo("fold,trial,learning-rate,best_epoch,validation_loss,validation_macro_f1,kept");
    assertThat(trials).hasSize(1 + 2 * 2);
    for (int fold = 1; fold <= 2; fold++) {
      String prefix = fold + ",";
      List<String[]> ofFold =
          trials.stream().skip(1).filter(l -> l.startsWith(prefix)).map(l -> l.split(",")).toList();
      assertThat(ofFold).hasSize(2);
      String[] kept = ofFold.stream().filter(f -> f[6].equals("yes")).findFirst().orElseThrow();
      assertThat(kept[2]).as("fold %d keeps the rate that learns", fold).isEqualTo("3e-3");
      for (String[] f : ofFold) {
        assertThat(Double.parseDouble(f[5])).isLessThanOrEqualTo(Double.parseDouble(kept[5]));
      }
      assertThat(out.resolve("models/fold-" + fold + "/model.safetensors")).exists();
    }
    assertThat(out.resolve("trials")).doesNotExist();
    assertThat(tmp.resolve(".search.cellspark-work")).doesNotExist();
    assertThat(summary.path("search").path("kept_trial_per_fold").toString()).isEqualTo("[1,1]");

    GeneFinetuneResult single =
        GeneFinetuneJob.run(
            spark, options(tokens, "single").model(model).runFolds(2).learningRate(3e-3).build());
    assertThat(summary.at("/metrics/test/macro_f1_mean").asDouble())
        .isEqualTo(single.macroF1())
        .isGreaterThan(0.8);
    List<String> alone =
        Files.readAllLines(
            Path.of(single.output().replaceFirst("^file:", "")).resolve("genes.csv"));
    List<String> kept = Files.readAllLines(out.resolve("genes.csv"));
    assertThat(kept).hasSameSizeAs(alone).hasSizeGreaterThan(10);
    for (int i = 0; i < kept.size(); i++) {
      String[] a = alone.get(i).split(",", -1);
      String[] k = kept.get(i).split(",", -1);
      assertThat(Arrays.copyOf(k, 8)).isEqualTo(Arrays.copyOf(a, 8));
      assertThat(k).hasSameSizeAs(a);
      for (int c = 8; c < k.length; c++) {
        if (i == 0 || a[c].isEmpty()) { // the header; a gene of fold 3, which did not run
          assertThat(k[c]).isEqualTo(a[c]);
        } else {
          assertThat(Double.parseDouble(k[c]))
              .as(kept.get(i))
              .isCloseTo(Double.parseDouble(a[c]), org.assertj.core.data.Offset.offset(1e-6));
        }
      }
    }
  }

  /**
   * --predict-genes: with genes 10 and 20 left out of the classes, every fold's model classes them
   * (as a screen for new members of a class does): 10 with the sensitive genes, 20 with the
   * insensitive ones, by their place in the cells and their embeddings.
   */
  @Test
  void everyFoldsModelClassesGenesLeftOutOfTheClasses(SparkSession spark) throws Exception {
    String tokens = tokens(spark, tmp.resolve("tokens"), 600, true);
    Path classes = tmp.resolve("nine_each.json");
    StringBuilder json = new StringBuilder("{\"sensitive\": [");
    for (int g = 1; g <= 9; g++) {
      json.append(g > 1 ? ", " : "").append(String.format("\"SYM%02d\"", g));
    }
    json.append("], \"insensitive\": [");
    for (int g = 11; g <= 19; g++) {
      json.append(g > 11 ? ", " : "").append(String.format("\"SYM%02d\"", g));
    }
    Files.writeString(classes, json.append("]}").toString());
    GeneFinetuneResult r =
        GeneFinetuneJob.run(
            spark,
            options(tokens, "predicted")
                .model(modelWithGeneFamilies().toString())
                .geneClasses(classes.toString())
                .predictGenes(List.of("SYM10", "ENSG00000000020", "SYM01"))
                .build());
    Path out = Path.of(r.output().replaceFirst("^file:", ""));
    List<String> lines = Files.readAllLines(out.resolve("predictions.csv"));
    assertThat(lines.get(0))
        .isEqualTo(
            "gene_id,symbol,folds,occurrences,predicted,probability_insensitive,probability_sensitive");
    assertThat(lines).as("a gene of a class (SYM01) is not predicted").hasSize(3);
    Map<String, String[]> byGene = new HashMap<>();
    lines.subList(1, 3).forEach(l -> byGene.put(l.split(",")[1], l.split(",")));
    assertThat(byGene.get("SYM10")[4]).isEqualTo("sensitive");
    assertThat(byGene.get("SYM20")[4]).isEqualTo("insensitive");
    for (String[] row : byGene.values()) {
      assertThat(row[2]).as("every fold's model").isEqualTo("3");
      assertThat(Long.parseLong(row[3])).as("3 folds x the cells holding it").isPositive();
      assertThat(Double.parseDouble(row[5]) + Double.parseDouble(row[6])).isCloseTo(1.0, within());
    }
    assertThat(Files.readAllLines(out.resolve("genes.csv"))).hasSize(19);
  }

  private static org.assertj.core.data.Offset<Double> within() {
    return org.assertj.core.data.Offset.offset(1e-5);
  }

  /**
   * --lora: adapters and the token head learn the gene classes (one fold run), and the fold's saved
   * model is a plain BertForTokenClassification folder, the adapters folded into the query and
   * value projections and every other encoder weight the checkpoint's.
   */
  @Test
  void loraAdaptersLearnTheGeneClasses(SparkSession spark) throws Exception {
    String tokens = tokens(spark, tmp.resolve("tokens"), 600, true);
    Path model = modelWithGeneFamilies();
    GeneFinetuneResult r =
        GeneFinetuneJob.run(
            spark,
            options(tokens, "lora")
                .model(model.toString())
                .runFolds(1)
                .learningRate(1e-2)
                .lora(new org.cellspark.model.LoraAdapters.Settings(8, 16, 0.1))
                .build());
    assertThat(r.macroF1()).as("test macro-F1 of the fold").isGreaterThan(0.8);
    Path out = Path.of(r.output().replaceFirst("^file:", ""));
    var saved =
        org.cellspark.model.WeightsFile.open(out.resolve("models/fold-1/model.safetensors"));
    var checkpoint = org.cellspark.model.WeightsFile.open(model.resolve("model.safetensors"));
    assertThat(saved.tensors().keySet())
        .noneMatch(org.cellspark.model.LoraAdapters::isAdapter)
        .contains("classifier.weight");
    for (String name : List.of("query", "value", "key")) {
      String weight = "bert.encoder.layer.0.attention.self." + name + ".weight";
      if (name.equals("key")) {
        assertThat(saved.floatArray(weight)).containsExactly(checkpoint.floatArray(weight));
      } else {
        assertThat(saved.floatArray(weight)).isNotEqualTo(checkpoint.floatArray(weight));
      }
    }
  }

  @Test
  void staysAtChanceWhereTheCellsDoNotShowTheClasses(SparkSession spark) throws IOException {
    String tokens = tokens(spark, tmp.resolve("shuffled"), 300, false);
    GeneFinetuneResult r =
        GeneFinetuneJob.run(
            spark,
            options(tokens, "chance")
                .runFolds(1)
                .filters(List.of(CellSelection.Filter.parse("donor=A")))
                .maxCells(60)
                .build());
    assertThat(r.folds()).isEqualTo(1);
    assertThat(r.summary().toString()).contains("filters=[donor=A]");
    JsonNode fold =
        new ObjectMapper()
            .readTree(
                Path.of(r.output().replaceFirst("^file:", "")).resolve("metrics.json").toFile())
            .path("metrics")
            .path("folds")
            .get(0);
    assertThat(fold.path("cells").path("train").asInt())
        .as("60 of donor A's 150 cells")
        .isEqualTo(60);
    assertThat(fold.path("cells").path("test").asInt()).isBetween(1, 60);
    assertThat(r.macroF1())
        .as("at chance: no held-out gene's label reached training, or it would be memorised")
        .isLessThan(0.7);
  }

  /** Upstream's own token format, read in place: a `.dataset` folder with FILE:ROW cell IDs. */
  @Test
  void readsAHuggingFaceDatasetAsUpstreamsTokenizerSavedIt(SparkSession spark) throws IOException {
    GeneFinetuneResult r =
        GeneFinetuneJob.run(
            spark,
            options(Fixtures.huggingFace("v2_tokens.dataset").toString(), "from-dataset")
                .folds(2)
                .runFolds(1)
                .epochs(1)
                .build());
    assertThat(r.folds()).isEqualTo(1);
    Path out = Path.of(r.output().replaceFirst("^file:", ""));
    assertThat(Files.readAllLines(out.resolve("genes.csv"))).hasSize(21);
    JsonNode fold =
        new ObjectMapper()
            .readTree(out.resolve("metrics.json").toFile())
            .path("metrics")
            .path("folds")
            .get(0);
    assertThat(fold.path("cells").path("train").asInt()).isPositive();
    assertThat(fold.path("test").path("occurrences").asInt()).isPositive();
  }

  @Test
  void refusesClassesTooSmallForTheFoldsAndGenesInTwoClasses(SparkSession spark) throws Exception {
    String tokens = tokens(spark, tmp.resolve("t"), 20, true);
    assertThatThrownBy(() -> GeneFinetuneJob.run(spark, options(tokens, "o").folds(6).build()))
        .isInstanceOf(UserException.class)
        .hasMessageContaining("class 'insensitive' has 10 gene(s) in the vocabulary")
        .hasMessageContaining("6-fold cross-validation needs at least 12 per class");
    // 3 folds x 22 trials: more trainings than a search may make; 2 of the folds run: not.
    SettingsSearch many =
        SettingsSearch.parse(List.of("warmup-steps=0..21", "learning-rate=1e-4"), 22, 1);
    assertThatThrownBy(() -> options(tokens, "o3").search(many).build())
        .isInstanceOf(UserException.class)
        .hasMessageContaining("--folds 3: 3 folds with --search's 22 trials makes 66 trainings");
    assertThat(options(tokens, "o3").search(many).runFolds(2).build().foldsToRun()).isEqualTo(2);
    Path twice = tmp.resolve("twice.csv");
    Files.writeString(twice, "gene,class\nENSG00000000001,a\nSYM02,a\nSYM01,b\n");
    assertThatThrownBy(
            () ->
                GeneFinetuneJob.run(
                    spark, options(tokens, "o2").geneClasses(twice.toString()).build()))
        .isInstanceOf(UserException.class)
        .hasMessageContaining("gene SYM01 is in class 'a' and in class 'b' (as ENSG00000000001)");
    assertThat(tmp.resolve("o")).doesNotExist();
    assertThat(tmp.resolve("o2")).doesNotExist();
  }
}
